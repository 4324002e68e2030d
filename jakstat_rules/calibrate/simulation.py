"""Simulation of the PEtab conditions and experiments of a problem on the one simulation core.

A :class:`SimulationUnit` is one simulation: an ordered list of
:class:`Period` s, each a start time and what changes then
(:class:`~jakstat_rules.calibrate.mapping.ConditionSettings`).  PEtab v2
experiments are such lists (:mod:`.experiments`); a PEtab v1
(pre-equilibration, simulation) condition pair is the special case of a
period at ``-inf`` followed by one at 0 (:func:`plan_simulations`).  Units
whose periods set the same values are simulated once.

:class:`ConditionSimulator` runs a unit on an
:class:`~jakstat_rules.engine.Engine`, period by period:

1. the first period's values are initial values
   (:meth:`Engine.start <jakstat_rules.engine.Engine.start>`);
2. a period at ``-inf`` integrates to a steady state
   (:meth:`Engine.preequilibrate <jakstat_rules.engine.Engine.preequilibrate>`)
   and the model time becomes the next period's start (0 if none); units
   that start with the same such period share its steady state, integrated
   once per parameter vector;
3. every later period's values are evaluated together at its start (a
   formula reads the model before any of them is applied), then set as
   current values; SBML events they trigger, or that the start time
   triggers, fire then (:meth:`Engine.fire_events
   <jakstat_rules.engine.Engine.fire_events>`); integration runs through the
   measured times of the period, up to the next period's start;
4. measurements at ``t = inf`` (steady-state data) are read after a further
   pre-equilibration from the end of the last period.

The period integration itself is :meth:`Engine.run_periods
<jakstat_rules.engine.Engine.run_periods>`, shared with therapy schedules.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd
from petab.v1 import C

from jakstat_rules.engine import Engine
from jakstat_rules.errors import SimulationError

from .mapping import ConditionSettings, switch_settings

__all__ = ["Period", "SimulationUnit", "SimulationPlan", "plan_simulations", "group_units",
           "engine_selection", "ConditionSimulator"]

#: Simulation results kept per simulator (the least recently used is dropped first).
CACHE_SIZE = 2


@dataclass(frozen=True)
class Period:
    """A start time and what changes at it.

    Attributes
    ----------
    time
        The start (``-inf``: pre-equilibration, integrated to a steady state).
    settings
        The values set at the start.
    """

    time: float
    settings: ConditionSettings

    @property
    def key(self) -> tuple:
        """What the period does, without condition ids."""
        return self.time, self.settings.key


@dataclass(frozen=True, eq=False)
class SimulationUnit:
    """One simulation standing for one or more PEtab condition pairs or experiments.

    Attributes
    ----------
    preequilibration_id, simulation_id
        The representative PEtab v1 pair (``preequilibration_id`` is ``""``
        if none); for a PEtab v2 experiment ``""`` and the experiment id.
    periods
        The periods, in time order (at most the first at ``-inf``).
    times
        Sorted distinct measurement times (``inf`` last).
    members
        Every (pre-equilibration, simulation) pair or ``("", experiment)``
        this unit simulates.
    """

    preequilibration_id: str
    simulation_id: str
    periods: tuple[Period, ...]
    times: np.ndarray
    members: tuple[tuple[str, str], ...]

    @property
    def start(self) -> ConditionSettings:
        """Values set at the start (the first period's)."""
        return self.periods[0].settings

    @property
    def switch(self) -> ConditionSettings | None:
        """Values set after pre-equilibration (PEtab v1 units), or None."""
        return self.periods[1].settings if self.periods[0].time == -math.inf else None

    @property
    def name(self) -> str:
        """How messages name the unit."""
        return self.simulation_id


@dataclass(frozen=True, eq=False)
class SimulationPlan:
    """Simulation units and where every measurement row finds its value.

    Attributes
    ----------
    units
        The simulations.
    row_unit
        Per measurement row, its unit.
    row_time
        Per measurement row, the position of its time in ``units[k].times``.
    """

    units: list[SimulationUnit]
    row_unit: np.ndarray
    row_time: np.ndarray


def plan_simulations(measurement_df: pd.DataFrame, settings: Mapping[str, ConditionSettings],
                     model_values: Mapping[str, float]) -> SimulationPlan:
    """Group measurement rows into simulation units.

    Parameters
    ----------
    measurement_df
        PEtab measurement table with a 0..n-1 index.
    settings
        :class:`ConditionSettings` of every condition used.
    model_values
        Model values of the settable parameters (see :func:`switch_settings`).

    Returns
    -------
    SimulationPlan
        Units of periods ``(-inf, pre-equilibration), (0, simulation)`` or
        ``(0, simulation)``.
    """
    pre = (measurement_df[C.PREEQUILIBRATION_CONDITION_ID].astype("string").fillna("").astype(str)
           if C.PREEQUILIBRATION_CONDITION_ID in measurement_df
           else pd.Series("", index=measurement_df.index))
    sim = measurement_df[C.SIMULATION_CONDITION_ID].astype(str)
    periods = {}
    for p_id, s_id in dict.fromkeys(zip(pre, sim)):
        periods[(p_id, s_id)] = (
            (Period(-math.inf, settings[p_id]),
             Period(0.0, switch_settings(settings[p_id], settings[s_id], model_values)))
            if p_id else (Period(0.0, settings[s_id]),))
    return group_units(list(zip(pre, sim)), periods, measurement_df[C.TIME].to_numpy(float))


def group_units(row_members: list[tuple[str, str]],
                periods: Mapping[tuple[str, str], tuple[Period, ...]],
                times: np.ndarray) -> SimulationPlan:
    """Simulation units from the periods of every measurement row.

    Parameters
    ----------
    row_members
        Per measurement row, its (pre-equilibration, simulation) pair or
        ``("", experiment)``.
    periods
        The periods of every such member; members with periods of equal
        :attr:`Period.key` share one unit.
    times
        Per measurement row, its time.
    """
    index_of: dict[tuple, int] = {}
    member_unit: dict[tuple[str, str], int] = {}
    representative: list[tuple[str, str]] = []
    members: list[list[tuple[str, str]]] = []
    for member in dict.fromkeys(row_members):
        key = tuple(period.key for period in periods[member])
        if key not in index_of:
            index_of[key] = len(representative)
            representative.append(member)
            members.append([])
        member_unit[member] = index_of[key]
        members[index_of[key]].append(member)
    row_unit = np.array([member_unit[x] for x in row_members], dtype=int)
    times_all = np.asarray(times, float)
    row_time = np.zeros(len(times_all), dtype=int)
    units = []
    for k, (p_id, s_id) in enumerate(representative):
        rows = np.flatnonzero(row_unit == k)
        unit_times = np.unique(times_all[rows])
        row_time[rows] = np.searchsorted(unit_times, times_all[rows])
        units.append(SimulationUnit(p_id, s_id, periods[(p_id, s_id)], unit_times,
                                    tuple(members[k])))
    return SimulationPlan(units, row_unit, row_time)


def engine_selection(engine: Engine, name: str) -> str:
    """libroadrunner selection of a model quantity as SBML means it.

    A species id means its concentration unless it has only substance units.
    """
    species = set(engine.species_ids) | set(engine.boundary_species_ids)
    return f"[{name}]" if name in species and name not in engine.only_substance else name


class ConditionSimulator:
    """Runs the units of a :class:`SimulationPlan` on an engine.

    Parameters
    ----------
    engine
        The compiled model.
    plan
        The simulation units.
    quantities
        Model quantities to return (SBML ids).
    dynamic
        Positions in ``p`` of the estimated parameters the simulations
        depend on (the cache key).
    """

    def __init__(self, engine: Engine, plan: SimulationPlan, quantities: list[str],
                 dynamic: np.ndarray) -> None:
        self.engine = engine
        self.plan = plan
        self.quantities = list(quantities)
        self.selections = [engine_selection(engine, q) for q in self.quantities]
        self._model_ids = set(engine.settable_ids) | engine.rule_ids
        self.dynamic = np.asarray(dynamic, dtype=int)
        #: units that start with the same pre-equilibration share its steady state
        #: (False: each integrates its own; the peer row of benchmarks/bench_evaluation.py)
        self.share_steady_states = True
        # the last CACHE_SIZE results by dynamic parameters: a finite-difference
        # Jacobian perturbs the dynamic parameters one by one and then the others
        # (noise, scaling), which need the unperturbed simulation again
        self._cache: OrderedDict[tuple, list[np.ndarray]] = OrderedDict()

    def _lookup(self, name: str) -> float:
        """Current value of a model quantity as SBML means its id (``time``: model time)."""
        eng = self.engine
        if name == "time" and name not in self._model_ids:
            return float(eng.rr.model.getTime())
        return eng.value(engine_selection(eng, name))

    def _apply(self, settings: ConditionSettings, p: np.ndarray, first: bool) -> None:
        """Set a period's values: initial values for the first period, else current values.

        Every value is evaluated before any is set (a formula sees the model as
        it was at the period's start).
        """
        eng = self.engine
        if first:
            eng.start({**settings.parameter_values(p), **settings.state_values(p)}
                      if not settings.reads_model else None)
            if not settings.reads_model:
                return
        parameters = settings.parameter_values(p, self._lookup)
        states = settings.state_values(p, self._lookup)
        if first:  # formulas of the model's initial values: set them as initial values
            eng.start({**parameters, **states})
            return
        eng.set_values(parameters)
        eng.set_current(states)

    def start_unit(self, unit: SimulationUnit, p: np.ndarray) -> None:
        """Apply ``unit``'s first period at ``p``: the engine holds its initial state."""
        self._apply(unit.periods[0].settings, p, first=True)

    def _run(self, unit: SimulationUnit, p: np.ndarray, times: np.ndarray,
             steady: dict | None = None) -> np.ndarray:
        """Simulate one unit period by period (:meth:`Engine.run_periods
        <jakstat_rules.engine.Engine.run_periods>`); values at ``times`` (sorted, ``inf`` last).

        ``steady``: the pre-equilibrated states of this ``p`` by the first period's
        :attr:`Period.key`, shared by the units that start with the same one."""
        periods = unit.periods
        return self.engine.run_periods(
            [period.time for period in periods],
            lambda k: self._apply(periods[k].settings, p, first=k == 0), times, self.selections,
            steady=None if steady is None else (steady, periods[0].key))

    def simulate(self, p: np.ndarray) -> list[np.ndarray]:
        """Simulate every unit at its measurement times; cached on the dynamic parameters.

        Parameters
        ----------
        p
            Linear values of all estimated parameters.

        Returns
        -------
        list of numpy.ndarray
            Per unit an array (n_times, n_quantities) at ``unit.times``.

        Raises
        ------
        SimulationError
            Solver failure, no steady state, or non-finite results; the
            message names the condition.
        """
        key = tuple(np.asarray(p, float)[self.dynamic].tolist())
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        out, steady = [], ({} if self.share_steady_states else None)
        for unit in self.plan.units:
            try:
                res = self._run(unit, p, unit.times, steady)
            except (SimulationError, RuntimeError) as exc:  # the engine's and libroadrunner's
                # solver failures only: a bad id or setting is a bug to report, not an inf to fit
                raise SimulationError(f"condition {unit.name!r}: {exc}") from None
            if not np.all(np.isfinite(res)):
                raise SimulationError(f"condition {unit.name!r}: non-finite output")
            out.append(res)
        self._cache[key] = out
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return out

    def simulate_dense(self, p: np.ndarray, n: int = 120) -> list[tuple[np.ndarray, np.ndarray]]:
        """Every unit on ``n`` equidistant times up to its last finite time (for plots).

        Returns
        -------
        list of (times, values)
            ``values`` has shape (n, n_quantities).
        """
        out, steady = [], ({} if self.share_steady_states else None)
        for unit in self.plan.units:
            finite = unit.times[np.isfinite(unit.times)]
            first = unit.periods[0].time
            start = first if math.isfinite(first) else (unit.periods[1].time
                                                        if len(unit.periods) > 1 else 0.0)
            grid = np.linspace(start, float(np.max(finite, initial=start + 1.0)), n)
            out.append((grid, self._run(unit, p, grid, steady)))
        return out
