"""Simulation of named conditions with libroadrunner through the exported SBML.

A :class:`Simulator` builds the model variant once, generates its network
(cached), exports the SBML and compiles it in libroadrunner once; every
condition after that only resets the state and sets input parameters.
Results are pandas tables: one row per time point, one column per readout.

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

import math
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from .errors import JakstatInputError
from .model import INPUTS, READOUTS, VARIANTS, build_model
from .network import generate_network

#: Readouts returned by default (the public interface).
DEFAULT_READOUTS = ("pSTAT1_total", "pSTAT1_nuc", "GAF_nuc", "ISGF3_nuc", "SOCS1_mRNA", "ISG_mRNA")


@dataclass(frozen=True)
class Scenario:
    """A named condition: inputs, variant and time span."""

    name: str
    inputs: Mapping[str, float]
    t_end: float = 240.0
    n_points: int = 97
    variant: str = "default"
    description: str = ""

    @property
    def times(self) -> np.ndarray:
        return np.linspace(0.0, self.t_end, self.n_points)


#: The standard scenarios of the demo and the docs.
SCENARIOS: dict[str, Scenario] = {s.name: s for s in [
    Scenario("rest", {}, description="no input: the resting steady state"),
    Scenario("ifna_1nM", {"IFNa_pM": 1000}, description="IFN-alpha2 1 nM"),
    Scenario("ifnb_100pM", {"IFNb_pM": 100}, description="IFN-beta 100 pM"),
    Scenario("ifng_100pM", {"IFNg_pM": 100}, description="IFN-gamma 100 pM"),
    Scenario("ifnb_100pM_ruxolitinib_1uM", {"IFNb_pM": 100, "ruxolitinib_nM": 1000},
             description="IFN-beta 100 pM with ruxolitinib 1 uM"),
    Scenario("ifnb_100pM_tofacitinib_1uM", {"IFNb_pM": 100, "tofacitinib_nM": 1000},
             description="IFN-beta 100 pM with tofacitinib 1 uM"),
    Scenario("radiation_10Gy", {"IR_Gy": 10}, t_end=2880.0, n_points=97,
             description="10 Gy ionising radiation at t = 0, followed for 48 h"),
    Scenario("ifnb_100pM_socs1_loss", {"IFNb_pM": 100}, variant="socs1_loss",
             description="IFN-beta 100 pM in SOCS1-deficient cells"),
    Scenario("ifng_100pM_jak2_v617f", {"IFNg_pM": 100}, variant="jak2_v617f",
             description="IFN-gamma 100 pM in JAK2 V617F cells (pre-equilibrated)"),
]}

#: Dose series of the standard dose responses (pM).
DOSE_SERIES: dict[str, list[float]] = {
    "IFNa_pM": [1, 10, 30, 100, 300, 1000, 3000, 10000, 100000],
    "IFNb_pM": [0.1, 1, 3, 10, 30, 100, 300, 1000, 10000],
    "IFNg_pM": [0.1, 1, 3, 10, 30, 100, 300, 1000, 10000],
    "ruxolitinib_nM": [0, 1, 10, 30, 100, 300, 1000, 3000, 10000],
    "tofacitinib_nM": [0, 1, 10, 30, 100, 300, 1000, 3000, 10000],
    "IR_Gy": [0, 1, 2, 5, 10, 20],
}


def check_inputs(inputs: Mapping[str, object]) -> dict[str, float]:
    """Validate input values: known names, finite non-negative numbers."""
    clean: dict[str, float] = {}
    for name, value in dict(inputs).items():
        if name not in INPUTS:
            raise JakstatInputError(f"unknown input {name!r}: expected one of {sorted(INPUTS)}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise JakstatInputError(
                f"input {name}={value!r} is not a number: expected a dose in {INPUTS[name]}") from None
        if not math.isfinite(number) or number < 0:
            raise JakstatInputError(
                f"input {name}={value!r} is invalid: expected a finite dose >= 0 {INPUTS[name]}")
        clean[name] = number
    return clean


def check_times(times: Iterable[float]) -> np.ndarray:
    """Validate output times: finite, non-negative, increasing, starting at 0."""
    try:
        arr = np.asarray(list(times), dtype=float)
    except (TypeError, ValueError):
        raise JakstatInputError(f"times {times!r} are not numbers: expected minutes") from None
    if arr.size < 2 or not np.all(np.isfinite(arr)) or arr[0] < 0 or np.any(np.diff(arr) <= 0):
        raise JakstatInputError(
            f"times {arr.tolist()[:6]}... are invalid: expected >= 2 increasing, finite minutes >= 0")
    if arr[0] != 0:
        arr = np.concatenate([[0.0], arr])
    return arr


def get_scenario(name: str) -> Scenario:
    """Look a standard scenario up by name."""
    if name not in SCENARIOS:
        raise JakstatInputError(f"unknown condition {name!r}: expected one of {sorted(SCENARIOS)}")
    return SCENARIOS[name]


@dataclass
class Simulator:
    """One compiled model variant, ready to simulate many conditions.

    Parameters
    ----------
    variant
        Model variant (see :data:`jakstat_rules.model.VARIANTS`).
    overrides
        Parameter values replacing the defaults.
    rtol, atol
        Integrator tolerances.
    """

    variant: str = "default"
    overrides: Mapping[str, float] | None = None
    rtol: float = 1e-8
    atol: float = 1e-8
    model: object = field(init=False, repr=False)

    def __post_init__(self) -> None:
        import roadrunner

        from .export.sbml import to_sbml

        if self.variant not in VARIANTS:
            raise JakstatInputError(f"unknown variant {self.variant!r}: expected one of {sorted(VARIANTS)}")
        self.model = build_model(self.variant, overrides=dict(self.overrides or {}))
        self.network = generate_network(self.model)
        self.sbml = to_sbml(self.model)
        self.rr = roadrunner.RoadRunner(self.sbml)
        self.rr.integrator.relative_tolerance = self.rtol
        self.rr.integrator.absolute_tolerance = self.atol
        self.rr.integrator.maximum_num_steps = 200000
        gp = set(self.rr.model.getGlobalParameterIds())
        self.readouts = [r for r in READOUTS if r in gp]
        self._rest_state: np.ndarray | None = None

    # ------------------------------------------------------------------
    def _set_inputs(self, inputs: Mapping[str, float]) -> None:
        for name in INPUTS:
            self.rr[name] = float(inputs.get(name, 0.0))

    def _initial_amounts(self, inputs: Mapping[str, float]) -> np.ndarray:
        self._set_inputs(inputs)
        self.rr.reset()
        return np.array(self.rr.model.getFloatingSpeciesAmounts())

    def resting_state(self) -> np.ndarray:
        """Species amounts at rest (pre-equilibrated with every input 0)."""
        if self._rest_state is None:
            x0 = self._zero_input_initial = self._initial_amounts({})
            if getattr(self.model, "jakstat_needs_preequilibration", False):
                self.rr.simulate(0, 1e5, 2)
                x0 = np.array(self.rr.model.getFloatingSpeciesAmounts())
            self._rest_state = x0
        return self._rest_state

    def run(self, inputs: Mapping[str, float] | None = None, times: Iterable[float] | None = None,
            readouts: Sequence[str] | None = None) -> pd.DataFrame:
        """Simulate one condition from the resting state.

        Doses given at t = 0 (IFN in the medium, radiation) are added to the
        resting state; drug concentrations act for the whole run.

        Returns
        -------
        pandas.DataFrame
            Column ``time`` (min) and one column per readout.
        """
        inputs = check_inputs(inputs or {})
        times = check_times(np.linspace(0, 240, 97) if times is None else times)
        readouts = self._check_readouts(readouts)
        rest = self.resting_state()
        added = self._initial_amounts(inputs) - self._zero_input_initial
        self._set_inputs(inputs)
        self.rr.reset()
        self.rr.model.setFloatingSpeciesAmounts(list(rest + added))
        try:
            result = self.rr.simulate(times=list(times), selections=["time", *readouts])
        except RuntimeError as exc:
            raise JakstatInputError(
                f"the solver failed for inputs {inputs} ({self.variant} model): {exc}") from None
        table = pd.DataFrame(np.asarray(result), columns=["time", *readouts])
        if not np.all(np.isfinite(table.to_numpy())):
            raise JakstatInputError(f"the solver returned non-finite values for inputs {inputs}")
        return table

    def _check_readouts(self, readouts: Sequence[str] | None) -> list[str]:
        if readouts is None:
            return list(self.readouts)
        bad = [r for r in readouts if r not in self.readouts]
        if bad:
            raise JakstatInputError(f"unknown readout(s) {bad}: expected some of {self.readouts}")
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
        if input_name not in INPUTS:
            raise JakstatInputError(f"unknown input {input_name!r}: expected one of {sorted(INPUTS)}")
        doses = list(doses)
        for d in doses:
            check_inputs({input_name: d})
        frames = []
        iterator = doses
        if progress:
            from tqdm import tqdm
            iterator = tqdm(doses, desc=f"{input_name} doses", unit="dose")
        for dose in iterator:
            table = self.run({**dict(base or {}), input_name: dose}, times, readouts)
            table.insert(0, "dose", dose)
            table.insert(0, "input", input_name)
            frames.append(table)
        return pd.concat(frames, ignore_index=True)


_SIMULATORS: dict[tuple, Simulator] = {}


def get_simulator(variant: str = "default") -> Simulator:
    """A cached :class:`Simulator` per variant (default parameters)."""
    if variant not in _SIMULATORS:
        _SIMULATORS[variant] = Simulator(variant)
    return _SIMULATORS[variant]


def simulate(condition: str | Mapping[str, float], times: Iterable[float] | None = None,
             variant: str | None = None, readouts: Sequence[str] | None = None) -> pd.DataFrame:
    """Simulate a named scenario or a dict of inputs.

    Parameters
    ----------
    condition
        A name from :data:`SCENARIOS` or a mapping ``{input id: value}``.
    times
        Output times in minutes (default: the scenario's).
    variant
        Model variant (default: the scenario's, else ``default``).
    """
    if isinstance(condition, str):
        sc = get_scenario(condition)
        inputs, variant = sc.inputs, variant or sc.variant
        times = sc.times if times is None else times
    else:
        inputs, variant = condition, variant or "default"
    return get_simulator(variant).run(inputs, times, readouts)


def dose_response(input_name: str, doses: Iterable[float] | None = None,
                  times: Iterable[float] | None = None, variant: str = "default",
                  readouts: Sequence[str] | None = None,
                  base: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Dose response of one input (default doses: :data:`DOSE_SERIES`); see
    :meth:`Simulator.dose_response`."""
    if doses is None:
        if input_name not in DOSE_SERIES:
            raise JakstatInputError(f"unknown input {input_name!r}: expected one of {sorted(DOSE_SERIES)}")
        doses = DOSE_SERIES[input_name]
    return get_simulator(variant).dose_response(input_name, doses, times, readouts, base)


def simulate_pysb(condition: Mapping[str, float], times: Iterable[float], variant: str = "default",
                  rtol: float = 1e-8, atol: float = 1e-8) -> pd.DataFrame:
    """Cross-check path: PySB ``ScipyOdeSimulator`` on the BioNetGen network.

    Only for models whose initial amounts are the resting state.
    """
    from pysb.simulator import ScipyOdeSimulator

    inputs = check_inputs(condition)
    times = check_times(times)
    model = build_model(variant)
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
