"""Named conditions and dose responses as tables, on the one simulation core.

A :class:`Simulator` takes a model variant's exported SBML (from
:func:`jakstat_rules.artifacts.model_sbml`, which finds it in a content-keyed
cache, or any SBML text you pass), compiles it once through
:class:`jakstat_rules.engine.Engine` (compiled state reused across
processes), and simulates any number of conditions; parameter value
overrides are applied to the compiled model, never by regenerating the
network.  Each condition runs on the species its inputs can make
(:meth:`Simulator.pruned`, a smaller model compiled once per set of
receptor arms and cached).  Results are pandas tables: one row per time
point, one column per readout.

A condition starts from the resting state (pre-equilibrated with every input
0 for variants whose initial amounts are not at rest, such as JAK2 V617F);
doses given at t = 0 (IFN in the medium, radiation) are added to it, and drug
concentrations act for the whole run.

The PySB ``ScipyOdeSimulator`` path on the BioNetGen network stays
available (:func:`simulate_pysb`) as an independent cross-check.

Examples
--------
>>> from jakstat_rules.simulate import Simulator
>>> sim = Simulator()                                       # doctest: +SKIP
>>> table = sim.run({"IFNb_pM": 100}, times=range(0, 241, 10))  # doctest: +SKIP
>>> table["pSTAT1_total"].max()                             # doctest: +SKIP
"""
from __future__ import annotations

import copy
import math
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from .conditions import (CONDITIONS, DOSE_SERIES, Condition, check_inputs, check_times,
                         check_variant, get_condition, time_grid)
from .engine import Engine
from .errors import JakstatInputError, SimulationError, checked_number
from .interface import DEFAULT_READOUTS, INPUTS, NEEDS_PREEQUILIBRATION, READOUTS, SEPARATE_ARMS
from .io import sha256
from .pruning import pruned_model
from .sbml_summary import SUMMARY_FORMAT, model_summary, species_nonzero_at_start

#: Deprecated alias of :data:`jakstat_rules.conditions.CONDITIONS`.
SCENARIOS = CONDITIONS

#: CVODE tolerances of the model simulator (``jakstat simulate``, dose responses, schedules,
#: combination maps), chosen by measurement (``benchmarks/bench_simulation.py``,
#: docs/benchmarks.md): the fastest pair that keeps every readout of the standard conditions
#: within 1e-7 of its range of a 1e-12 reference, each run on the species its inputs can make
#: (rtol = atol = 1e-8, atol in molecules: 4.9e-8 at worst, in about 0.8x the time of the
#: engine's 1e-10; atol 1e-6 gives 1.8e-7).  The supplement's tables use the engine's 1e-10,
#: as its SED-ML states.
MODEL_RTOL = 1e-8
MODEL_ATOL = 1e-8

__all__ = ["Simulator", "get_simulator", "simulate", "dose_response", "simulate_pysb",
           "SCENARIOS", "DEFAULT_READOUTS", "MODEL_RTOL", "MODEL_ATOL", "get_condition",
           "check_inputs", "check_times"]


class Simulator:
    """One compiled model variant, ready to simulate many conditions.

    Parameters
    ----------
    variant
        Model variant (see :data:`jakstat_rules.interface.VARIANTS`).
    overrides
        Parameter values replacing the defaults (SBML parameter ids), set on
        the compiled model.
    rtol, atol
        Integrator tolerances (default :data:`MODEL_RTOL` 1e-8, :data:`MODEL_ATOL` 1e-8).
    sbml
        SBML text to simulate instead of the variant's generated SBML.
    prune
        Run each condition on the species its inputs can make (:meth:`pruned`;
        the same readouts, a third of the time on an interferon run); False
        integrates the whole network.
    """

    def __init__(self, variant: str = "default", overrides: Mapping[str, float] | None = None,
                 rtol: float = MODEL_RTOL, atol: float = MODEL_ATOL,
                 sbml: str | None = None, prune: bool = True) -> None:
        from .artifacts import model_sbml

        self.variant = check_variant(variant)
        self.sbml = sbml if sbml is not None else model_sbml(variant)
        self.rtol, self.atol, self.prune = float(rtol), float(atol), bool(prune)
        # shared with the copies of with_overrides: the model's ids and start values, read
        # without compiling it (:mod:`jakstat_rules.sbml_summary`); the whole network's
        # engine (compiled on first use); the pruned simulators (:meth:`pruned`)
        summary = model_summary(self.sbml)
        settable = set(summary["settable_ids"])
        parameters = set(summary["parameter_ids"])
        self._shared = {"summary": summary, "settable": settable,
                        "settable_parameters": settable & parameters, "engine": None, "pruned": {}}
        self.overrides = self._check_overrides(overrides or {})
        self.readouts = [r for r in READOUTS if r in parameters]
        self._rest_state: np.ndarray | None = None
        self._zero_input_initial: np.ndarray | None = None

    @property
    def engine(self) -> Engine:
        """The compiled model (:class:`~jakstat_rules.engine.Engine`), loaded on first use."""
        if self._shared["engine"] is None:
            self._shared["engine"] = Engine(self.sbml, rtol=self.rtol, atol=self.atol)
        return self._shared["engine"]

    def _check_overrides(self, overrides: Mapping[str, float]) -> dict[str, float]:
        clean = {}
        settable = self._shared["settable_parameters"]
        for name, value in overrides.items():
            if name in INPUTS:
                raise JakstatInputError(f"{name!r} is an input, not a parameter: pass it as an input")
            if name not in settable:
                raise JakstatInputError(f"unknown parameter {name!r}: expected a parameter id of the "
                                        f"model, e.g. {sorted(settable - set(INPUTS))[:5]}")
            clean[name] = checked_number(
                value, f"parameter {name}={value!r} must be a finite number >= 0", low=0.0,
                not_a_number=f"parameter {name}={value!r} is not a number")
        return clean

    def with_overrides(self, overrides: Mapping[str, float]) -> "Simulator":
        """This simulator, sharing its compiled model, with further parameter values."""
        other = copy.copy(self)
        other.overrides = self._check_overrides({**self.overrides, **overrides})
        other._rest_state = other._zero_input_initial = None
        return other

    def model_parameters(self, values: Mapping[str, float]) -> dict[str, float]:
        """The entries of ``values`` that are settable parameters of this model (a fit's
        model parameters, without its scales and noise parameters)."""
        settable = self._shared["settable_parameters"]
        return {k: float(v) for k, v in values.items() if k in settable and k not in INPUTS}

    def band(self, parameter_sets: Sequence[Mapping[str, float]], inputs: Mapping[str, float],
             times: Iterable[float], readouts: Sequence[str] | None = None) -> pd.DataFrame:
        """The lowest and highest value of every readout over parameter sets.

        Each set's model parameters (:meth:`model_parameters`) are set on top
        of this simulator's; returns ``time`` and ``<readout>_lower``,
        ``<readout>_upper`` (this simulator's own run included).  A set the
        solver fails on is left out.
        """
        runs = [self.run(inputs, times, readouts)]
        for values in parameter_sets:
            try:
                runs.append(self.with_overrides(self.model_parameters(values)).run(
                    inputs, times, readouts))
            except SimulationError:
                continue
        stack = np.stack([r.drop(columns="time").to_numpy() for r in runs])
        names = list(runs[0].columns.drop("time"))
        out = pd.DataFrame({"time": runs[0]["time"]})
        for j, name in enumerate(names):
            out[f"{name}_lower"] = stack[:, :, j].min(axis=0)
            out[f"{name}_upper"] = stack[:, :, j].max(axis=0)
        return out

    # ------------------------------------------------------------------
    def _initial_amounts(self, inputs: Mapping[str, float]) -> np.ndarray:
        self.engine.start({**self.overrides, **inputs})
        return self.engine.state

    def resting_state(self) -> np.ndarray:
        """Species amounts at rest (pre-equilibrated with every input 0 where needed)."""
        if self._rest_state is None:
            x0 = self._zero_input_initial = self._initial_amounts({})
            if self.variant in NEEDS_PREEQUILIBRATION:
                try:
                    x0 = self.engine.preequilibrate()
                except SimulationError as exc:
                    raise SimulationError(f"resting state of the {self.variant} model: {exc}") from None
            self._rest_state = x0
        return self._rest_state

    def run(self, inputs: Mapping[str, float] | None = None, times: Iterable[float] | None = None,
            readouts: Sequence[str] | None = None) -> pd.DataFrame:
        """Simulate one condition from the resting state.

        Returns
        -------
        pandas.DataFrame
            Column ``time`` (min) and one column per readout.

        Raises
        ------
        JakstatInputError
            For unknown or negative inputs, bad times or unknown readouts.
        SimulationError
            When the solver fails (names the inputs and the variant).
        """
        inputs = check_inputs(inputs or {})
        times = check_times(time_grid(240.0, 97) if times is None else times)
        readouts = self._check_readouts(readouts)
        if self.prune:
            smaller = self.pruned(inputs)
            if smaller is not None:
                return smaller.run(inputs, times, readouts)
        rest = self.resting_state()
        added = self._initial_amounts(inputs) - self._zero_input_initial
        self.engine.state = rest + added
        try:
            return self.engine.table(times, readouts)
        except SimulationError as exc:
            raise SimulationError(f"inputs {inputs} ({self.variant} model): {exc}") from None

    def pruned(self, inputs: Mapping[str, float]) -> "Simulator | None":
        """This simulator on the model without the species that stay zero in runs with
        ``inputs`` (:mod:`jakstat_rules.pruning`), or None if every species can become non-zero.

        One pruned model serves every run that doses the same receptor arms
        (:data:`~jakstat_rules.interface.SEPARATE_ARMS`: IFN-γ and IL-6 each
        open one; the interferons α and β, radiation and the drugs share the
        rest) and every parameter value that makes no species non-zero that
        the default values leave at zero (an amount set to 0 included); it is
        compiled once and cached on disk.  The result is exact: a left-out
        species is zero at all times in the whole network too.  The pruned
        simulators (and their compiled models) are shared with the copies of
        :meth:`with_overrides`, as the whole network's is, and with no other
        simulator, so that simulators made separately can run in separate
        threads.  One difference: a rate constant that is not a number (NaN,
        e.g. from an IC50 of 0) in a reaction that cannot fire stops the
        whole network's solver, not the pruned model's.
        """
        arms = sorted(i for i in INPUTS if i not in SEPARATE_ARMS or inputs.get(i))
        family = self._shared["pruned"]
        key = (tuple(arms), tuple(sorted(self.overrides.items())))
        if key not in family:
            def nonzero() -> set[str]:
                dosed = {i: 1.0 for i in arms if i in self._shared["settable"]}
                # defaults included: a value that zeros adds no model
                return set().union(*(species_nonzero_at_start(self._shared["summary"], values)
                                     for values in ({}, dosed, self.overrides,
                                                    {**self.overrides, **dosed})))

            run = {"arms": arms, "overrides": self.overrides, "variant": self.variant,
                   "starts": SUMMARY_FORMAT}
            sbml = pruned_model(self.sbml, run, nonzero)
            model = sha256(sbml) if sbml else None
            if model is not None and model not in family:  # one compiled model per pruned SBML
                family[model] = Simulator(self.variant, None, self.rtol, self.atol, sbml=sbml,
                                          prune=False)
            family[key] = (None if model is None else
                           family[model].with_overrides(self.overrides) if self.overrides
                           else family[model])
        return family[key]

    def _check_readouts(self, readouts: Sequence[str] | None) -> list[str]:
        if readouts is None:
            return list(self.readouts)
        bad = [r for r in readouts if r not in self.readouts]
        if bad or not readouts:
            raise JakstatInputError(f"unknown readout(s) {bad or readouts!r}: expected some of "
                                    f"{self.readouts}")
        return list(readouts)

    def dose_response(self, input_name: str, doses: Iterable[float], times: Iterable[float] | None = None,
                      readouts: Sequence[str] | None = None,
                      base: Mapping[str, float] | None = None, progress: bool = False) -> pd.DataFrame:
        """Time courses for a series of doses of one input (long table).

        Returns
        -------
        pandas.DataFrame
            Columns ``input``, ``dose``, ``time`` and one per readout.
        """
        doses = check_doses(input_name, doses)
        base = check_inputs(base or {})
        frames = []
        iterator: Iterable[float] = doses
        if progress:
            from tqdm import tqdm
            # disable=None: no bar when stderr is not a terminal (logs stay short)
            iterator = tqdm(doses, desc=f"{input_name} doses", unit="dose", disable=None)
        for dose in iterator:
            table = self.run({**base, input_name: dose}, times, readouts)
            table.insert(0, "dose", dose)
            table.insert(0, "input", input_name)
            frames.append(table)
        return pd.concat(frames, ignore_index=True)

    def ic50(self, drug: str, readout: str, time: float, base: Mapping[str, float] | None = None,
             low: float = 1e-3, high: float = 1e6, rtol: float = 1e-8) -> float:
        """Concentration of ``drug`` that halves ``readout`` at ``time``, relative to no drug.

        The readout at ``time`` minutes with the drug at ``c`` (and the inputs ``base``)
        is divided by its value without the drug; the concentration where that
        fraction is 1/2 is found by Brent's method on ``log10(c)`` between ``low``
        and ``high`` (units of the drug input).

        Raises
        ------
        JakstatInputError
            For an unknown drug input or readout, a readout of 0 without the drug,
            or a fraction that does not cross 1/2 between ``low`` and ``high``.
        """
        from scipy.optimize import brentq

        if INPUTS.get(drug) != "nM" or not drug.endswith("_nM"):
            raise JakstatInputError(f"{drug!r} is not a drug input: expected one of "
                                    f"{sorted(k for k, u in INPUTS.items() if u == 'nM')}")
        base = check_inputs(base or {})
        times = check_times([0.0, time])
        self._check_readouts([readout])

        def value(conc: float) -> float:
            return float(self.run({**base, drug: conc}, times, [readout])[readout].iloc[-1])

        control = value(0.0)
        if not control > 0:
            raise JakstatInputError(f"{readout} at {time:g} min without {drug} is {control:g}: "
                                    f"expected > 0 to define an IC50")

        def excess(log_conc: float) -> float:
            return value(10.0 ** log_conc) / control - 0.5

        a, b = math.log10(low), math.log10(high)
        if not excess(a) > 0 > excess(b):
            raise JakstatInputError(f"{readout} at {time:g} min does not fall to half of its value "
                                    f"without {drug} between {low:g} and {high:g} nM")
        return 10.0 ** brentq(excess, a, b, rtol=rtol)


def check_doses(input_name: str, doses: Iterable[float] | None) -> list[float]:
    """Validate a dose series (default: :data:`~jakstat_rules.conditions.DOSE_SERIES`)."""
    if input_name not in INPUTS:
        raise JakstatInputError(f"unknown input {input_name!r}: expected one of {sorted(INPUTS)}")
    doses = DOSE_SERIES[input_name] if doses is None else list(doses)
    if not doses:
        raise JakstatInputError(f"empty dose series for {input_name}: expected one or more doses")
    return [check_inputs({input_name: d})[input_name] for d in doses]


_SIMULATORS: dict[str, Simulator] = {}


def get_simulator(variant: str = "default") -> Simulator:
    """The :class:`Simulator` of a variant with default parameters, one per process."""
    check_variant(variant)
    if variant not in _SIMULATORS:
        _SIMULATORS[variant] = Simulator(variant)
    return _SIMULATORS[variant]


def simulate(condition: str | Condition | Mapping[str, float], times: Iterable[float] | None = None,
             variant: str | None = None, readouts: Sequence[str] | None = None) -> pd.DataFrame:
    """Simulate a standard condition (by id) or a dict of inputs.

    Parameters
    ----------
    condition
        An id of :data:`~jakstat_rules.conditions.CONDITIONS`, a
        :class:`~jakstat_rules.conditions.Condition`, or ``{input id: value}``.
    times
        Output times in minutes (default: the condition's).
    variant
        Model variant (default: the condition's, else ``default``).
    """
    if isinstance(condition, str):
        condition = get_condition(condition)
    if isinstance(condition, Condition):
        inputs, variant = condition.inputs, variant or condition.variant
        times = condition.times if times is None else times
    else:
        inputs, variant = condition, variant or "default"
    return get_simulator(variant).run(inputs, times, readouts)


def dose_response(input_name: str, doses: Iterable[float] | None = None,
                  times: Iterable[float] | None = None, variant: str = "default",
                  readouts: Sequence[str] | None = None,
                  base: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Dose response of one input (default doses: :data:`~jakstat_rules.conditions.DOSE_SERIES`);
    see :meth:`Simulator.dose_response`."""
    return get_simulator(variant).dose_response(input_name, check_doses(input_name, doses), times,
                                                readouts, base)


def simulate_pysb(condition: Mapping[str, float], times: Iterable[float], variant: str = "default",
                  rtol: float = 1e-8, atol: float = 1e-8,
                  overrides: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Cross-check path: PySB ``ScipyOdeSimulator`` on the BioNetGen network (no SBML).

    Independent of the simulation core (no SBML, no libroadrunner; LSODA at
    1e-8 by default, about 100 times slower).  Only for models whose initial
    amounts are the resting state.  ``overrides`` rebuild the PySB model with
    other parameter values (the route :class:`Simulator` avoids).
    """
    from pysb.simulator import ScipyOdeSimulator

    from .model import build_model
    from .network import generate_network

    inputs = check_inputs(condition)
    times = check_times(times)
    model = build_model(variant, overrides=dict(overrides or {}))
    generate_network(model)
    sim = ScipyOdeSimulator(model, tspan=times, compiler="python",
                            integrator_options={"rtol": rtol, "atol": atol})
    params = {name: inputs.get(name, 0.0) for name in INPUTS}
    res = sim.run(param_values=params)
    data = {"time": times}
    for name in READOUTS:
        if name in res.observables.dtype.names:
            data[name] = res.observables[name]
        elif name in res.expressions.dtype.names:
            data[name] = res.expressions[name]
    return pd.DataFrame(data)
