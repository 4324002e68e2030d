"""The standard conditions and dose series, defined once, as PEtab-style rows.

Every place that simulates a named condition reads this table: ``jakstat
simulate`` and ``jakstat scenarios``, the demo, the COPASI file's parameter
sets, the docs, the tests and the benchmarks.  A condition is a row with an
id, a description, one column per input (PEtab condition-table style: the
input ids of :data:`jakstat_rules.interface.INPUTS`, absent = 0), the model
variant and its time span.

>>> from jakstat_rules.conditions import condition_table
>>> condition_table().loc["ifnb_100pM", "IFNb_pM"]   # doctest: +SKIP
100.0
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from .errors import JakstatInputError
from .interface import INPUTS, VARIANTS

__all__ = ["Condition", "CONDITIONS", "DOSE_SERIES", "DOSE_RESPONSES", "get_condition",
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


def get_condition(name: str) -> Condition:
    """Look a standard condition up by id.

    Raises
    ------
    JakstatInputError
        For an unknown id (the message lists the known ones).
    """
    if name not in CONDITIONS:
        raise JakstatInputError(f"unknown condition {name!r}: expected one of {sorted(CONDITIONS)}")
    return CONDITIONS[name]


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
    """Validate input values: known ids, finite non-negative numbers.

    Raises
    ------
    JakstatInputError
        Naming the bad id or value and what was expected.
    """
    clean: dict[str, float] = {}
    for name, value in dict(inputs).items():
        if name not in INPUTS:
            raise JakstatInputError(f"unknown input {name!r}: expected one of {sorted(INPUTS)}")
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise JakstatInputError(
                f"input {name}={value!r} is not a number: expected a dose in {INPUTS[name]}") from None
        if not math.isfinite(number) or number < 0:
            raise JakstatInputError(
                f"input {name}={value!r} is invalid: expected a finite dose >= 0 {INPUTS[name]}")
        clean[name] = number
    return clean


def check_variant(variant: str) -> str:
    """Validate a variant id."""
    if variant not in VARIANTS:
        raise JakstatInputError(f"unknown variant {variant!r}: expected one of {sorted(VARIANTS)}")
    return variant


def time_grid(t_end: float, n_points: int):
    """``n_points`` equally spaced times from 0 to ``t_end`` minutes, checked.

    Raises
    ------
    JakstatInputError
        If ``t_end`` is not a positive finite number or ``n_points`` < 2.
    """
    import numpy as np

    try:
        t_end = float(t_end)
    except (TypeError, ValueError):
        raise JakstatInputError(f"end time {t_end!r} is not a number: expected minutes > 0") from None
    if not (math.isfinite(t_end) and t_end > 0):
        raise JakstatInputError(f"end time {t_end!r} is invalid: expected a finite number of minutes > 0")
    if isinstance(n_points, bool) or not isinstance(n_points, int) or n_points < 2:
        raise JakstatInputError(f"number of time points {n_points!r} is invalid: expected an integer >= 2")
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
