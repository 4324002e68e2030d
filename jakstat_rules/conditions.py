"""The standard conditions and dose series, defined once, as PEtab-style rows.

Every place that simulates a named condition reads this table: ``jakstat
simulate`` and ``jakstat scenarios``, the demo, the COPASI file's parameter
sets, the docs, the tests and the benchmarks.  A condition is a row with an
id, a description, one column per input (PEtab condition-table style: the
input ids of :data:`jakstat_rules.interface.INPUTS`, absent = 0), the model
variant and its time span.

Therapy schedules live here too (:data:`SCHEDULES`): a schedule is a PEtab
v2 experiment in shape, a list of periods, each a start time (min) and the
changes made then (an input set to a level: a cytokine added or washed out,
a drug concentration in the medium; a radiation fraction ``IR_Gy``; an oral
dose ``<drug>_oral_mg``); :mod:`jakstat_rules.schedules` simulates them and
reads them from files.

>>> from jakstat_rules.conditions import condition_table
>>> condition_table().loc["ifnb_100pM", "IFNb_pM"]   # doctest: +SKIP
100.0
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from .errors import JakstatInputError, checked_number
from .interface import INPUTS, ORAL_DOSES, VARIANTS

__all__ = ["Condition", "CONDITIONS", "DOSE_SERIES", "DOSE_RESPONSES", "get_condition",
           "SchedulePeriod", "Schedule", "SCHEDULES", "get_schedule", "repeated", "check_changes",
           "condition_table", "check_inputs", "check_times", "time_grid"]


@dataclass(frozen=True)
class Condition:
    """A named condition: inputs, variant and time span.

    Attributes
    ----------
    id
        Condition id (PEtab ``conditionId``), also the output file stem.
    inputs
        Input id -> value (units of :data:`~jakstat_rules.interface.INPUTS`); others are 0.
    variant
        Model variant.
    t_end, n_points
        Output times: ``n_points`` equally spaced from 0 to ``t_end`` minutes.
    description
        One line for tables and plot titles (PEtab ``conditionName``).
    """

    id: str
    inputs: Mapping[str, float] = field(default_factory=dict)
    variant: str = "default"
    t_end: float = 240.0
    n_points: int = 97
    description: str = ""

    @property
    def name(self) -> str:
        """Alias of :attr:`id`."""
        return self.id

    @property
    def times(self):
        """Output times (minutes) as a numpy array."""
        return time_grid(self.t_end, self.n_points)


#: The standard conditions of the demo, the docs and the COPASI file.
CONDITIONS: dict[str, Condition] = {c.id: c for c in [
    Condition("rest", {}, description="no input: the resting steady state"),
    Condition("ifna_1nM", {"IFNa_pM": 1000.0}, description="IFN-alpha2 1 nM"),
    Condition("ifnb_100pM", {"IFNb_pM": 100.0}, description="IFN-beta 100 pM"),
    Condition("ifng_100pM", {"IFNg_pM": 100.0}, description="IFN-gamma 100 pM"),
    Condition("ifnb_100pM_ruxolitinib_1uM", {"IFNb_pM": 100.0, "ruxolitinib_nM": 1000.0},
              description="IFN-beta 100 pM with ruxolitinib 1 uM"),
    Condition("ifnb_100pM_tofacitinib_1uM", {"IFNb_pM": 100.0, "tofacitinib_nM": 1000.0},
              description="IFN-beta 100 pM with tofacitinib 1 uM"),
    Condition("radiation_10Gy", {"IR_Gy": 10.0}, t_end=2880.0,
              description="10 Gy ionising radiation at t = 0, followed for 48 h"),
    Condition("ifnb_100pM_socs1_loss", {"IFNb_pM": 100.0}, variant="socs1_loss",
              description="IFN-beta 100 pM in SOCS1-deficient cells"),
    Condition("il6_1nM", {"IL6_pM": 1000.0}, description="IL-6 1 nM (about 20 ng/mL)"),
    Condition("il6_1nM_socs3_loss", {"IL6_pM": 1000.0}, variant="socs3_loss",
              description="IL-6 1 nM in SOCS3-deficient cells"),
    Condition("ifng_100pM_jak2_v617f", {"IFNg_pM": 100.0}, variant="jak2_v617f",
              description="IFN-gamma 100 pM in JAK2 V617F cells (pre-equilibrated)"),
]}

#: Dose series of the standard dose responses (units of the input).
DOSE_SERIES: dict[str, list[float]] = {
    "IFNa_pM": [1, 10, 30, 100, 300, 1000, 3000, 10000, 100000],
    "IFNb_pM": [0.1, 1, 3, 10, 30, 100, 300, 1000, 10000],
    "IFNg_pM": [0.1, 1, 3, 10, 30, 100, 300, 1000, 10000],
    "ruxolitinib_nM": [0, 1, 10, 30, 100, 300, 1000, 3000, 10000],
    "tofacitinib_nM": [0, 1, 10, 30, 100, 300, 1000, 3000, 10000],
    "IR_Gy": [0, 1, 2, 5, 10, 20],
    "IL6_pM": [0.1, 1, 3, 10, 30, 100, 300, 1000, 10000],
}

#: The dose responses of the demo and the docs: (input, inputs held fixed).
DOSE_RESPONSES: tuple[tuple[str, dict[str, float]], ...] = (
    ("IFNa_pM", {}), ("IFNb_pM", {}), ("IFNg_pM", {}), ("ruxolitinib_nM", {"IFNb_pM": 100.0}),
)


@dataclass(frozen=True)
class SchedulePeriod:
    """A start time and the changes made at it (a PEtab v2 experiment period).

    Attributes
    ----------
    time
        Start (minutes from the beginning of the schedule).
    changes
        Target id -> value: an input of :data:`~jakstat_rules.interface.INPUTS`
        (a level held from then on; ``IR_Gy`` is a fraction given then) or an
        oral dose of :data:`~jakstat_rules.interface.ORAL_DOSES` (mg).
    """

    time: float
    changes: Mapping[str, float]


@dataclass(frozen=True)
class Schedule:
    """A named therapy schedule: periods of changes, variant and time span.

    Attributes
    ----------
    id, description
        Id (output file stem) and one line for tables and plot titles.
    periods
        The periods in time order, at most one per time (see :func:`repeated`).
    variant
        Model variant.
    t_end, n_points
        Output times: ``n_points`` equally spaced from 0 to ``t_end`` minutes.
    """

    id: str
    periods: tuple[SchedulePeriod, ...]
    variant: str = "default"
    t_end: float = 4320.0
    n_points: int = 433
    description: str = ""

    @property
    def times(self):
        """Output times (minutes) as a numpy array."""
        return time_grid(self.t_end, self.n_points)


def repeated(changes: Mapping[str, float], every: float, count: int,
             start: float = 0.0) -> list[SchedulePeriod]:
    """``count`` periods of the same changes, ``every`` minutes from ``start``.

    >>> [p.time for p in repeated({"ruxolitinib_oral_mg": 20}, 720, 3)]
    [0.0, 720.0, 1440.0]
    """
    return [SchedulePeriod(float(start + k * every), dict(changes)) for k in range(int(count))]


def _merged(periods: Iterable[SchedulePeriod], where: str) -> tuple[SchedulePeriod, ...]:
    """Periods at the same time joined (a target changed twice then is an error)."""
    by_time: dict[float, dict[str, float]] = {}
    for period in periods:
        now = by_time.setdefault(float(period.time), {})
        twice = sorted(set(now) & set(period.changes))
        if twice:
            raise JakstatInputError(f"{where}: {twice} changed twice at {period.time:g} min; "
                                    f"expected one change per target and time")
        now.update(period.changes)
    return tuple(SchedulePeriod(t, by_time[t]) for t in sorted(by_time))


#: A day and twice daily, in minutes.
DAY, BID = 1440.0, 720.0

#: The standard therapy schedules (``jakstat simulate --schedule ID``).
SCHEDULES: dict[str, Schedule] = {s.id: s for s in [
    Schedule("ifnb_100pM_ruxolitinib_20mg_bid_3d",
             _merged([SchedulePeriod(0.0, {"IFNb_pM": 100.0}),
                      *repeated({"ruxolitinib_oral_mg": 20.0}, BID, 6)], "schedule"),
             t_end=3 * DAY, n_points=289,
             description="IFN-beta 100 pM with oral ruxolitinib 20 mg twice daily for 3 days"),
    Schedule("radiation_5x2Gy",
             tuple(repeated({"IR_Gy": 2.0}, DAY, 5)), t_end=7 * DAY, n_points=337,
             description="5 x 2 Gy, one fraction a day Monday to Friday, followed for 7 days"),
    Schedule("radiation_5x2Gy_ruxolitinib_20mg_bid",
             _merged([*repeated({"IR_Gy": 2.0}, DAY, 5),
                      *repeated({"ruxolitinib_oral_mg": 20.0}, BID, 14)], "schedule"),
             t_end=7 * DAY, n_points=337,
             description="5 x 2 Gy on weekdays with oral ruxolitinib 20 mg twice daily for 7 days"),
]}


def _lookup(table: Mapping[str, Any], kind: str, name: str) -> Any:
    """``table[name]``, or a JakstatInputError naming the unknown ``kind`` and the known ids."""
    if name not in table:
        raise JakstatInputError(f"unknown {kind} {name!r}: expected one of {sorted(table)}")
    return table[name]


def get_schedule(name: str) -> Schedule:
    """Look a standard schedule up by id (JakstatInputError for an unknown id)."""
    return _lookup(SCHEDULES, "schedule", name)


def check_changes(changes: Mapping[str, object], where: str) -> dict[str, float]:
    """Validate the changes of a schedule period: inputs (see :func:`check_inputs`) and oral doses.

    Raises
    ------
    JakstatInputError
        Naming the bad target or value and what was expected.
    """
    clean: dict[str, float] = {}
    for name, value in dict(changes).items():
        if name in ORAL_DOSES:
            clean[name] = checked_number(
                value, f"{where}: oral dose {name}={value!r} is invalid: expected mg > 0 and "
                       f"<= {MAX_ORAL_MG:g}", low=0.0, low_included=False, high=MAX_ORAL_MG)
        elif name in INPUTS:
            try:
                clean.update(check_inputs({name: value}))
            except JakstatInputError as exc:
                raise JakstatInputError(f"{where}: {exc}") from None
        else:
            raise JakstatInputError(f"{where}: unknown target {name!r}: expected an input of "
                                    f"{sorted(INPUTS)} or an oral dose of {sorted(ORAL_DOSES)}")
    return clean


def get_condition(name: str) -> Condition:
    """Look a standard condition up by id.

    Raises
    ------
    JakstatInputError
        For an unknown id (the message lists the known ones).
    """
    return _lookup(CONDITIONS, "condition", name)


def condition_table():
    """The standard conditions as a PEtab-style table (index ``conditionId``).

    Columns: ``conditionName``, one per input (0 where absent), ``variant``,
    ``t_end_min`` and ``n_points``.
    """
    import pandas as pd

    rows = [{"conditionId": c.id, "conditionName": c.description,
             **{k: float(c.inputs.get(k, 0.0)) for k in INPUTS},
             "variant": c.variant, "t_end_min": c.t_end, "n_points": c.n_points}
            for c in CONDITIONS.values()]
    return pd.DataFrame(rows).set_index("conditionId")


# ----------------------------------------------------------------------------- checks
def check_inputs(inputs: Mapping[str, object]) -> dict[str, float]:
    """Validate input values: known ids, numbers from 0 to :data:`MAX_DOSE` of their unit.

    Raises
    ------
    JakstatInputError
        Naming the bad id or value and what was expected.
    """
    clean: dict[str, float] = {}
    for name, value in dict(inputs).items():
        if name not in INPUTS:
            raise JakstatInputError(f"unknown input {name!r}: expected one of {sorted(INPUTS)}")
        high = MAX_DOSE.get(INPUTS[name], math.inf)
        clean[name] = checked_number(
            value, f"input {name}={value!r} is invalid: expected a finite dose >= 0 and <= "
                   f"{high:g} {INPUTS[name]}", low=0.0, high=high,
            not_a_number=f"input {name}={value!r} is not a number: expected a dose in "
                         f"{INPUTS[name]}")
    return clean


def check_variant(variant: str) -> str:
    """Validate a variant id."""
    if variant not in VARIANTS:
        raise JakstatInputError(f"unknown variant {variant!r}: expected one of {sorted(VARIANTS)}")
    return variant


#: Largest end time of a simulation (minutes, about two years).
MAX_T_END = 1e6
#: Most output times of one simulation.
MAX_POINTS = 100_000
#: Largest dose by unit (1 mM of a ligand or drug; 1000 Gy, far above any lethal dose).
MAX_DOSE = {"pM": 1e9, "nM": 1e6, "Gy": 1e3}
#: Largest single oral dose (mg; the largest tablets are 25 mg of ruxolitinib, 10 mg of tofacitinib).
MAX_ORAL_MG = 1000.0


def time_grid(t_end: float, n_points: int):
    """``n_points`` equally spaced times from 0 to ``t_end`` minutes, checked.

    Raises
    ------
    JakstatInputError
        If ``t_end`` is not a positive number up to :data:`MAX_T_END`, or
        ``n_points`` is not an integer from 2 to :data:`MAX_POINTS`.
    """
    import numpy as np

    t_end = checked_number(
        t_end, f"end time {t_end!r} is invalid: expected a finite number of minutes > 0 and "
               f"<= {MAX_T_END:g}", low=0.0, low_included=False, high=MAX_T_END,
        not_a_number=f"end time {t_end!r} is not a number: expected minutes > 0")
    if (isinstance(n_points, bool) or not isinstance(n_points, int)
            or not 2 <= n_points <= MAX_POINTS):
        raise JakstatInputError(f"number of time points {n_points!r} is invalid: expected an "
                                f"integer >= 2 and <= {MAX_POINTS}")
    return np.linspace(0.0, t_end, n_points)


def check_times(times: Iterable[float]):
    """Validate output times: finite, non-negative, increasing; 0 is prepended if missing."""
    import numpy as np

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
