"""A PEtab problem compiled once: :class:`CompiledProblem` assembles its pieces.

* the SBML model on the simulation core (:class:`~jakstat_rules.engine.Engine`,
  compiled once per process and reused across processes through its cache);
* the parameter table and the condition settings (:mod:`.mapping`);
* the simulation units (:mod:`.simulation`; PEtab v2 experiments: :mod:`.experiments`);
* the compiled observable and noise formulas (:mod:`.observables`);
* the PEtab likelihood (:mod:`.likelihood`).

Its :meth:`~CompiledProblem.nll` is the negative log-likelihood of the
linear values of all estimated parameters; :func:`get_compiled` keeps one per
problem, tolerances and thread.  The function optimisers see is
:class:`~jakstat_rules.calibrate.objective.Objective`.
"""

from __future__ import annotations

import math
import threading

import numpy as np
from petab.v1 import C

from jakstat_rules.engine import DEFAULT_ATOL, DEFAULT_RTOL, Engine

from ..petab_io import ProblemPayload
from .experiments import plan_experiments
from .hierarchical import SCALING, InnerProblem
from .likelihood import nll_terms
from .mapping import ParameterTable, condition_settings
from .observables import ObservableGroup, batch_groups, compile_observables, observable_specs_v2
from ..pruning import pruned_sbml, reachability
from .pruning import nonzero_at_start
from .simulation import ConditionSimulator, plan_simulations

__all__ = ["CompiledProblem", "get_compiled", "analytic_scalings"]


class CompiledProblem:
    """A PEtab v1 or v2 problem with its SBML model compiled once.

    Parameters
    ----------
    payload
        The problem (see :class:`~jakstat_rules.petab_io.ProblemPayload`).
    rtol, atol
        Integrator tolerances (default: the engine's).
    prune
        Simulate without the species that stay zero in every simulation unit
        (:mod:`jakstat_rules.pruning`; exact).

    Attributes
    ----------
    parameters
        The parameter table (:class:`~jakstat_rules.calibrate.mapping.ParameterTable`).
    estimated_ids
        Ids of the estimated parameters: the order of every vector ``p``.
    condition_settings
        Condition id -> :class:`~jakstat_rules.calibrate.mapping.ConditionSettings`.
    plan
        The simulation units (:class:`~jakstat_rules.calibrate.simulation.SimulationPlan`).
    groups
        Compiled observables (:class:`~jakstat_rules.calibrate.observables.ObservableGroup`).
    measurement_df
        The measurement table (0..n-1 index); ``y`` and ``t`` its values and times.
    dynamic
        Positions in ``p`` of parameters that change the simulations.
    quantities
        Model quantities the observables read, in the column order of
        :meth:`simulate`'s arrays.
    analytic_candidates
        Scaling factors that may be computed in closed form: id -> group positions.
    sbml
        The SBML model simulated: the problem's, without the species that stay
        zero (``pruned``) when ``prune``.
    pruned
        Those species (constant zeros in ``sbml``).

    Notes
    -----
    Parameter vectors called ``p`` are *linear-scale* values of all
    estimated parameters, in the order of :attr:`estimated_ids`.
    """

    def __init__(self, payload: ProblemPayload, rtol: float = DEFAULT_RTOL,
                 atol: float = DEFAULT_ATOL, prune: bool = True) -> None:
        self.payload = payload
        self.hash = payload.hash
        self.rtol, self.atol = rtol, atol
        self.engine = Engine(payload.sbml, rtol=rtol, atol=atol)
        self._sensitivities = None  # the AMICI build, made on first use (sensitivities())
        eng = self.engine
        self.parameters = ParameterTable.from_df(payload.parameter_df)
        self.estimated_ids = self.parameters.estimated_ids
        mdf = payload.measurement_df.reset_index(drop=True)
        self.measurement_df = mdf
        self.y = mdf[C.MEASUREMENT].to_numpy(float)
        self.t = mdf[C.TIME].to_numpy(float)
        # settable parameters and their values in the model (nothing set yet)
        self.model_values = {pid: eng.value(pid) for pid in eng.parameter_ids
                             if pid not in eng.rule_ids}
        # initial values set by conditions: species, compartments and rate-rule targets
        states = (set(eng.species_ids) | set(eng.boundary_species_ids)
                  | set(eng.compartment_ids) | eng.rate_rule_ids)
        model_ids = states | set(eng.parameter_ids)
        if payload.v2 is None:
            used = set(mdf[C.SIMULATION_CONDITION_ID].astype(str))
            if C.PREEQUILIBRATION_CONDITION_ID in mdf:
                used |= {c for c in mdf[C.PREEQUILIBRATION_CONDITION_ID].dropna().astype(str)
                         if c}
            self.condition_settings = condition_settings(
                sorted(used), condition_df=payload.condition_df,
                parameter_df=payload.parameter_df, table=self.parameters,
                sbml_model=payload.sbml_model(), model_values=self.model_values,
                state_ids=states)
            self.plan = plan_simulations(mdf, self.condition_settings, self.model_values)
            observables = payload.observable_df
        else:  # PEtab v2: experiments of periods
            aliases = dict(payload.aliases)
            self.plan = plan_experiments(payload.v2, self.t, self.parameters, self.model_values,
                                         states, model_ids | eng.rule_ids, aliases,
                                         delayed_events=eng.delayed_event_ids)
            self.condition_settings = {f"{period.settings.condition_id}": period.settings
                                       for unit in self.plan.units for period in unit.periods}
            observables = observable_specs_v2(payload.v2.observables, aliases)
        self.groups: list[ObservableGroup] = compile_observables(
            mdf, observables, model_ids | eng.rule_ids, self.parameters)
        self._batches = batch_groups(self.groups)  # what observables() evaluates
        quantities = list(dict.fromkeys(n for g in self.groups for n in g.model_symbols))
        self.quantities = quantities  # the model quantities simulated, in column order
        self._column = {n: k for k, n in enumerate(quantities)}
        positions: set[int] = set()
        for unit in self.plan.units:
            for period in unit.periods:
                positions |= period.settings.estimated_positions()
        self.dynamic = np.array(sorted(positions), dtype=int)
        self.simulator = ConditionSimulator(eng, self.plan, quantities, self.dynamic)
        self.sbml = payload.sbml
        self.pruned: set[str] = set()
        if prune:
            self._prune()
        self.analytic_candidates = analytic_scalings(self.groups, self.parameters,
                                                     set(self.dynamic.tolist()))

    def _prune(self) -> None:
        """Simulate without the species that stay zero in every unit (:mod:`jakstat_rules.pruning`)."""
        done = _PRUNED.get(self.hash)  # the same problem at other tolerances prunes the same
        if done is None:
            zero, dead = reachability(self.sbml, nonzero_at_start(self.simulator,
                                                                  self._trial_points()))
            done = _PRUNED[self.hash] = (
                pruned_sbml(self.sbml, zero, dead, keep=self.quantities) if zero else self.sbml,
                frozenset(zero))
        if not done[1]:
            return
        self.sbml, self.pruned = done[0], set(done[1])
        self.engine = Engine(self.sbml, rtol=self.rtol, atol=self.atol)
        self.simulator = ConditionSimulator(self.engine, self.plan, self.quantities, self.dynamic)

    def _trial_points(self) -> list[np.ndarray]:
        """The nominal values, and two points with each parameter at another fraction of its
        range (so that a difference of two parameters with the same nominal value and bounds
        is not 0)."""
        table = self.parameters
        bounded = np.isfinite(table.lb) & np.isfinite(table.ub)
        lb, ub = np.where(bounded, table.lb, 0.0), np.where(bounded, table.ub, 1.0)
        points = [np.where(np.isfinite(table.nominal), table.nominal, 0.5 * lb + 0.5 * ub)]
        for shift in (0.0, 0.5):
            f = 0.1 + 0.8 * np.mod(shift + 0.618034 * np.arange(1, len(lb) + 1), 1.0)
            points.append((1.0 - f) * lb + f * ub)
        return points

    # -- simulation and observables -------------------------------------------
    def sensitivities(self):
        """The problem compiled for exact derivatives, one AMICI simulation per
        simulation unit (:class:`~jakstat_rules.calibrate.sensitivities.UnitSensitivities`),
        built on first use (AMICI; cached on disk by content)."""
        if self._sensitivities is None:
            from .sensitivities import UnitSensitivities

            self._sensitivities = UnitSensitivities(self)
        return self._sensitivities

    def simulate(self, p: np.ndarray) -> list[np.ndarray]:
        """Model quantities at the measured times, per simulation unit (see
        :meth:`ConditionSimulator.simulate <jakstat_rules.calibrate.simulation.ConditionSimulator.simulate>`)."""
        return self.simulator.simulate(p)

    def simulate_dense(self, p: np.ndarray, n: int = 120) -> list[tuple[np.ndarray, np.ndarray]]:
        """Model quantities on a dense time grid per unit (for plots)."""
        return self.simulator.simulate_dense(p, n)

    def measured_quantities(self, sims: list[np.ndarray]) -> np.ndarray:
        """The model quantities at every measurement: one row per measurement table row,
        one column per :attr:`quantities`, gathered from :meth:`simulate`'s result at once."""
        if len(sims) <= 1:
            return sims[0][self.plan.row_time] if sims else np.empty((0, len(self.quantities)))
        offsets = np.cumsum([0] + [len(s) for s in sims[:-1]])
        return np.concatenate(sims, axis=0)[offsets[self.plan.row_unit] + self.plan.row_time]

    def group_values(self, group: ObservableGroup, p: np.ndarray,
                     sims: list[np.ndarray] | None = None,
                     dense: tuple[np.ndarray, np.ndarray] | None = None,
                     measured: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Observable and noise SD of one group.

        Parameters
        ----------
        group
            One of :attr:`groups`.
        p
            Linear values of all estimated parameters.
        sims
            Result of :meth:`simulate` (for the group's measurement rows).
        dense
            ``(times, values)`` of one unit from :meth:`simulate_dense`
            instead: the observable along that trajectory.
        measured
            :meth:`measured_quantities` of ``sims``, when already gathered.
        """
        if dense is None:
            return self._evaluate(group, group.rows, p, self.measured_quantities(sims)
                                  if measured is None else measured)
        times, arr = dense
        return self._evaluate(group, None, p, arr, times)

    def _evaluate(self, group: ObservableGroup, rows: np.ndarray | None, p: np.ndarray,
                  values: np.ndarray, times: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
        """``group``'s formulas on ``values`` (quantities in columns), at ``rows`` of the
        measurement table (``None``: every row of ``values``, at ``times``)."""
        if rows is not None:
            values, times = values[rows], self.t[rows]
        model_values = [values[:, self._column[name]] for name in group.model_symbols]
        pars = [self.parameters.value(n, p) for n in group.parameter_symbols]
        if np.ndim(p) > 1:  # K parameter vectors: every row at its time for each of them
            times = np.broadcast_to(times[:, None], (len(times),) + np.shape(p)[1:])
        return group.evaluate(model_values, pars, times)

    def observables(self, p: np.ndarray, sims: list[np.ndarray] | None = None,
                    measured: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Simulated observables and noise SDs for all measurements.

        ``sims``: model quantities per unit as :meth:`simulate` returns them
        (default: simulated here at ``p``); or ``measured``, those quantities
        already gathered by :meth:`measured_quantities`.  With ``p`` of shape
        (n, K), K parameter vectors in columns, and quantities with K trailing
        columns, the formulas are evaluated for all K at once.

        Returns
        -------
        (h, sigma)
            Arrays aligned with the measurement table rows (one column per
            parameter vector for a 2-D ``p``).

        Raises
        ------
        SimulationError
            If a simulation fails.
        """
        if measured is None:
            measured = self.measured_quantities(self.simulate(p) if sims is None else sims)
        shape = (len(self.y),) + np.shape(p)[1:]
        h = np.empty(shape)
        s = np.empty(shape)
        for b in self._batches:
            h[b.rows], s[b.rows] = self._evaluate(b.group, b.rows, p, measured)
            if b.noise is not None:
                s[b.rows] = b.noise.reshape((-1,) + (1,) * (len(shape) - 1))
        return h, s

    def nll_terms(self, h: np.ndarray, s: np.ndarray) -> np.ndarray:
        """Per-measurement negative log-likelihood (PEtab v1 definition)."""
        return nll_terms(self.y, h, s, self.groups)

    def nll(self, p: np.ndarray) -> float:
        """Negative log-likelihood at linear parameters ``p`` (all estimated).

        Returns ``inf`` for non-finite values; raises
        :class:`~jakstat_rules.errors.SimulationError` when a simulation fails.
        """
        h, s = self.observables(p)
        val = float(np.sum(self.nll_terms(h, s)))
        return val if math.isfinite(val) else math.inf


_COMPILED: dict[tuple, CompiledProblem] = {}
#: Problem hash -> (SBML simulated, species left out): :meth:`CompiledProblem._prune`'s result.
_PRUNED: dict[str, tuple[str, frozenset[str]]] = {}


def get_compiled(payload: ProblemPayload, rtol: float = DEFAULT_RTOL,
                 atol: float = DEFAULT_ATOL) -> CompiledProblem:
    """The compiled problem for ``payload``, built once per thread.

    A libroadrunner instance is not thread safe, so threads of one process
    (dask workers with ``processes=False``) each get their own copy.
    """
    key = (payload.hash, rtol, atol, threading.get_ident())
    cp = _COMPILED.get(key)
    if cp is None:
        cp = CompiledProblem(payload, rtol=rtol, atol=atol)
        _COMPILED[key] = cp
    return cp


def analytic_scalings(groups: list[ObservableGroup], table: ParameterTable,
                      dynamic: set[int]) -> dict[str, list[int]]:
    """Estimated parameters that scale observables and can be solved in closed form.

    The scalings of :class:`~jakstat_rules.calibrate.hierarchical.InnerProblem`
    (before fixed parameters and priors are excluded); the offsets and sigmas
    it may also solve are left out here.

    Returns
    -------
    dict
        Parameter id -> positions of the groups it scales.
    """
    inner = InnerProblem.from_groups(groups, table, dynamic, kinds=(SCALING,))
    return {pid: inner.groups_of(pid) for pid in inner.ids}
