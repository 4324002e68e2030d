"""Tidy tables of measurements -> PEtab v1 problems on the model's SBML.

The one path from data to PEtab: ``jakstat data import`` reads a table the
user wrote, and the Kirby 2021 writer (:mod:`jakstat_rules.data.kirby`)
converts its files to the same table first.  ``docs/own-data.md`` is the
user's guide; the layout in short:

Long table (one row per measurement, csv or tsv)
    ``experiment``
        A replicate or batch: letters, digits and ``_``.  Each experiment
        has its own scale factor (and offset when one is estimated; its noise
        SD when there is no ``sd`` column).
    input columns, ``<input>_<unit>``
        ``IFNa``, ``IFNb``, ``IFNg`` (interferons), ``ruxolitinib``,
        ``tofacitinib`` (drugs), ``IR`` (radiation) followed by the unit of
        the column: molar (``fM pM nM uM mM M``), mass (``pg/mL ng/mL ug/mL
        mg/mL ng/L ug/L mg/L``, also written ``ng_per_mL``; converted with
        the molar mass of :data:`MOLAR_MASSES` or ``--molar-mass``) or
        ``Gy``/``cGy`` for ``IR``.  Converted to the model's inputs
        (:data:`jakstat_rules.interface.INPUTS`: pM, nM, Gy); an absent
        input is 0.
    ``time_min`` | ``time_h`` | ``time_s``
        Time after the doses were given (converted to minutes).
    ``readout`` (optional)
        A documented readout (:data:`jakstat_rules.interface.READOUTS`);
        default ``pSTAT1_total``.
    ``value``
        The measurement.
    ``sd`` (optional)
        Its standard deviation; without it the noise SD is estimated per
        experiment (and readout).
    ``variant`` (optional)
        Model variant of the row (one per problem).
Wide table (``wide=True``)
    The identifying columns above (``experiment``, inputs, ``readout``,
    ``variant``) and one column per time point named by its time and unit
    (``5 min``, ``2.5min``, ``1 h``, ``30 s``), optionally followed by a block
    of standard deviations with the same names prefixed ``sd `` (``sd 5 min``).
    An empty cell is a time point not measured.

The problem (``OUT/train``; ``OUT/validation`` with the held-out
experiments):

* one condition per experiment and dose combination (inputs in the model's
  units), simulated from the model's resting state; variants that are not at
  rest (:data:`jakstat_rules.interface.NEEDS_PREEQUILIBRATION`) are
  pre-equilibrated with every input 0;
* one observable per readout: ``scale * readout`` (``+ offset`` when an
  offset is estimated: with ``offset=True``, or by default when the median of
  an experiment's t = 0 or untreated values exceeds :data:`BASELINE_FRACTION`
  of its largest value, :func:`baseline_check`), normal noise on the linear
  scale or, with ``noise="lognormal"``, on the natural log (PEtab
  transformation ``log``); noise formula ``noiseParameter1_<observable>``,
  whose value in each measurement row is the row's ``sd`` (a number) or the
  experiment's ``sigma_`` parameter;
* parameters: the model parameters of :data:`ESTIMATED_PARAMETERS` (or
  ``estimate``) on log10 scale, ``decades`` around the model's value;
  ``scale_<experiment>`` (log10), ``offset_<experiment>`` (lin, nominal
  value the median of the experiment's baseline values),
  ``sigma_<experiment>`` (log10) with bounds derived from the experiment's
  values (``_<readout>`` is appended when the table has several readouts);
  a warning when there are fewer than :data:`MEASUREMENTS_PER_PARAMETER`
  measurements per estimated parameter.

Every bad row gets one message naming the file, line, column and value and
what was expected; :class:`~jakstat_rules.errors.JakstatInputError` carries
the first one and counts the others.  Everything is read, built and linted
before the first file is written.
"""

from __future__ import annotations

import csv
import math
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from jakstat_rules.errors import JakstatInputError
from jakstat_rules.interface import INPUTS, NEEDS_PREEQUILIBRATION, READOUTS, VARIANTS
from jakstat_rules.io import check_output_dir

__all__ = [
    "ESTIMATED_PARAMETERS", "DEFAULT_DECADES", "DEFAULT_READOUT", "MOLAR_MASSES",
    "BASELINE_FRACTION", "MEASUREMENTS_PER_PARAMETER",
    "ImportOptions", "TidyTable", "Measurement", "InputColumn", "BuiltProblem", "Baseline",
    "read_table", "table_from_records", "baseline_check", "build_problems", "check_model",
    "lint_problems", "write_problems", "import_table",
]

#: Model parameters estimated by default: id -> half-width of the log10 search
#: interval in decades around the model's value.  The set of the reference fit
#: (``calibration/kirby2021``): relative pSTAT1 time courses under two ligands
#: constrain the ligand-specific IFNAR2 association (dose position of the
#: response), the STAT1 phosphorylation rate (rise time) and the three steps
#: that end the signal within the hour: nuclear pSTAT1 dimer dissociation,
#: PTPN2 dephosphorylation and receptor internalisation.  ``STAT1_0`` is not
#: estimated: with one free scale per experiment it trades off against the scale.
ESTIMATED_PARAMETERS: dict[str, float] = {
    "kon_IFNA2_IFNAR2": 2.0,
    "kon_IFNB1_IFNAR2": 2.0,
    "kcat_STAT_phos": 2.0,
    "kdp_PTPN2_pSTAT1": 2.0,
    "kr_pSTAT_dimer": 2.0,
    "kint_complex": 2.0,
}

#: Default half-width (decades) of the bounds of estimated model parameters.
DEFAULT_DECADES = 2.0

#: An offset is estimated by default when the median of the t = 0 or untreated
#: values of an experiment exceeds this fraction of its largest value.
BASELINE_FRACTION = 0.05

#: Fewer measurements per estimated parameter than this draw a warning.
MEASUREMENTS_PER_PARAMETER = 3

#: Readout of rows without a ``readout`` column.
DEFAULT_READOUT = "pSTAT1_total"

COL_EXPERIMENT = "experiment"
COL_READOUT = "readout"
COL_VALUE = "value"
COL_SD = "sd"
COL_VARIANT = "variant"

#: Molar masses (g/mol) used to convert mass concentrations (ng/mL, ...).
#: Interferons: average mass of the recombinant human polypeptide (DrugBank:
#: IFN alfa-2a DB00034, IFN beta-1a DB00060 - 22.5 kDa when glycosylated -,
#: IFN gamma-1b DB00033; one IFN-gamma chain, as one IFNG unit of the model).
#: Drugs: free base (PubChem; salts weigh more).  Mouse or other preparations
#: differ: give the vendor's value with ``--molar-mass NAME=G_PER_MOL``.
MOLAR_MASSES: dict[str, float] = {
    "IFNa": 19241.1,
    "IFNb": 20027.0,
    "IFNg": 17145.6,
    "ruxolitinib": 306.37,
    "tofacitinib": 312.37,
}

_LABELS = {"IFNa": "IFN-alpha", "IFNb": "IFN-beta", "IFNg": "IFN-gamma",
           "ruxolitinib": "ruxolitinib", "tofacitinib": "tofacitinib", "IR": "radiation"}
# molar units: power of ten of one unit in mol/L
_MOLAR = {"fM": -15, "pM": -12, "nM": -9, "uM": -6, "µM": -6, "μM": -6, "mM": -3, "M": 0}
# mass units: power of ten of one unit in g/L
_MASS = {"pg/mL": -9, "ng/mL": -6, "ug/mL": -3, "µg/mL": -3, "μg/mL": -3, "mg/mL": 0,
         "ng/L": -9, "ug/L": -6, "µg/L": -6, "μg/L": -6, "mg/L": -3}
_RADIATION = {"Gy": 1.0, "cGy": 0.01}
_TIME_COLUMNS = {"time_min": "min", "time_h": "h", "time_s": "s"}
_WIDE_TIME = re.compile(r"^(?:(?P<sd>sd)[ _]?)?(?P<t>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)[ _]?"
                        r"(?P<u>s|min|h)$", re.IGNORECASE)
_ID = re.compile(r"^[A-Za-z0-9_]+$")
_UNITS_HELP = ("molar (fM, pM, nM, uM, mM, M), mass (pg/mL, ng/mL, ug/mL, mg/mL, ng/L, "
               "ug/L, mg/L; also written ng_per_mL) or, for IR, Gy or cGy")


def _minutes(value: float, unit: str) -> float:
    if unit == "min":
        return value
    if unit == "h":
        return value * 60.0
    return value / 60.0


# ----------------------------------------------------------------------------- columns
@dataclass(frozen=True)
class InputColumn:
    """An input column of a table and how its values become model inputs.

    Attributes
    ----------
    name
        The column header, e.g. ``IFNb_ng/mL``.
    base
        ``IFNa``, ``IFNb``, ``IFNg``, ``ruxolitinib``, ``tofacitinib`` or ``IR``.
    input_id
        The model input it sets (``IFNb_pM``).
    unit
        The column's unit as displayed (``ng/mL``).
    factor
        Model units per column unit (molar and radiation units).
    molar_mass
        g/mol for mass units (else None).
    """

    name: str
    base: str
    input_id: str
    unit: str
    factor: float | None
    molar_mass: float | None = None

    def convert(self, value: float) -> float:
        """Column value -> model units."""
        if self.molar_mass is None:
            return value * self.factor
        molar = value * 10.0 ** _MASS[self.unit] / self.molar_mass  # mol/L
        return molar * 10.0 ** -_MOLAR[INPUTS[self.input_id]]


_BASES = {pid.rsplit("_", 1)[0]: pid for pid in INPUTS}


def _input_column(name: str, molar_masses: Mapping[str, float]) -> InputColumn | None:
    """The input column ``name`` (None if ``name`` names no input).

    Raises
    ------
    JakstatInputError
        For a known input with an unknown unit (the message is completed by the caller).
    """
    base, sep, unit = name.partition("_")
    if not sep or base not in _BASES:
        return None
    unit = unit.replace("_per_", "/")
    input_id = _BASES[base]
    model_unit = INPUTS[input_id]
    if model_unit == "Gy":
        if unit in _RADIATION:
            return InputColumn(name, base, input_id, unit, _RADIATION[unit] / _RADIATION[model_unit])
        raise JakstatInputError(f"unit {unit!r} of input column {name!r} unknown; expected "
                                f"{base}_Gy or {base}_cGy")
    if unit in _MOLAR:
        exponent = _MOLAR[unit] - _MOLAR[model_unit]
        return InputColumn(name, base, input_id, unit, 10.0 ** exponent)
    if unit in _MASS:
        return InputColumn(name, base, input_id, unit, None, float(molar_masses[base]))
    raise JakstatInputError(
        f"unit {unit!r} of input column {name!r} unknown; expected {_UNITS_HELP} "
        f"(activity units such as U/mL cannot be converted: give a mass or molar concentration)")


@dataclass(frozen=True)
class _Layout:
    experiment: int
    inputs: tuple[tuple[int, InputColumn], ...]
    readout: int | None
    variant: int | None
    time: tuple[int, str] | None = None          # long: (index, unit)
    value: int | None = None                     # long
    sd: int | None = None                        # long
    times: tuple[tuple[float, int, int | None, str], ...] = ()  # wide: (t_min, value, sd, header)


def _layout(header: Sequence[str], table: str, wide: bool,
            molar_masses: Mapping[str, float]) -> _Layout:
    """Where each column is; header errors raise at once (one message)."""
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        if name in seen:
            raise JakstatInputError(f"table {table!r}, line 1: column {name!r} appears twice "
                                    f"(columns {seen[name] + 1} and {i + 1}); expected each "
                                    f"column once")
        seen[name] = i
    ident = {COL_EXPERIMENT, COL_READOUT, COL_VARIANT}
    if not wide:
        ident |= {COL_VALUE, COL_SD, *_TIME_COLUMNS}
    inputs: list[tuple[int, InputColumn]] = []
    by_input: dict[str, str] = {}
    wide_values: dict[float, tuple[int, str]] = {}
    wide_sds: dict[float, tuple[int, str]] = {}
    unknown = []
    for i, name in enumerate(header):
        if name in ident:
            continue
        try:
            col = _input_column(name, molar_masses)
        except JakstatInputError as exc:
            raise JakstatInputError(f"table {table!r}, line 1: {exc}") from None
        if col is not None:
            if col.input_id in by_input:
                raise JakstatInputError(
                    f"table {table!r}, line 1: input {col.base} given in two columns "
                    f"({by_input[col.input_id]!r} and {name!r}); expected one column per input")
            by_input[col.input_id] = name
            inputs.append((i, col))
            continue
        m = _WIDE_TIME.match(name) if wide else None
        if m:
            t = _minutes(float(m.group("t")), m.group("u").lower())
            target = wide_sds if m.group("sd") else wide_values
            if t in target:
                raise JakstatInputError(
                    f"table {table!r}, line 1: columns {target[t][1]!r} and {name!r} are the "
                    f"same time point ({t:g} min); expected one column per time point")
            target[t] = (i, name)
            continue
        unknown.append(name)
    if unknown:
        if wide:
            expected = ("experiment, input columns such as IFNb_pM, readout, variant, and time "
                        "columns such as '5 min' (standard deviations: 'sd 5 min')")
        else:
            expected = ("experiment, input columns such as IFNb_pM, time_min (or time_h, "
                        "time_s), readout, value, sd, variant")
        hint = ""
        if not wide and any(_WIDE_TIME.match(u) for u in unknown):
            hint = " (a table with one column per time point needs --wide)"
        raise JakstatInputError(f"table {table!r}, line 1: unknown column(s) {unknown}{hint}; "
                                f"expected {expected}")
    if COL_EXPERIMENT not in seen:
        raise JakstatInputError(f"table {table!r}, line 1: no column {COL_EXPERIMENT!r}; "
                                f"expected a column naming the experiment (replicate or batch) "
                                f"of each row")
    inputs.sort(key=lambda ic: list(INPUTS).index(ic[1].input_id))
    if not inputs:
        raise JakstatInputError(f"table {table!r}, line 1: no input column; expected at least "
                                f"one of {[f'{b}_<unit>' for b in _BASES]}, e.g. IFNb_pM")
    common = dict(experiment=seen[COL_EXPERIMENT], inputs=tuple(inputs),
                  readout=seen.get(COL_READOUT), variant=seen.get(COL_VARIANT))
    if wide:
        if not wide_values:
            raise JakstatInputError(f"table {table!r}, line 1: no time column; expected one "
                                    f"column per time point named like '5 min', '2.5min' or '1 h'")
        for t, (_, name) in wide_sds.items():
            if t not in wide_values:
                raise JakstatInputError(
                    f"table {table!r}, line 1: standard-deviation column {name!r} has no value "
                    f"column of the same time ({t:g} min); expected a column such as '{t:g} min'")
        if wide_sds and len(wide_sds) != len(wide_values):
            lacking = [name for t, (_, name) in sorted(wide_values.items()) if t not in wide_sds]
            raise JakstatInputError(
                f"table {table!r}, line 1: time column(s) {lacking} have no standard-deviation "
                f"column while others have one; expected an 'sd' column for every time point "
                f"or none")
        times = tuple((t, i, wide_sds.get(t, (None,))[0], name)
                      for t, (i, name) in sorted(wide_values.items()))
        return _Layout(**common, times=times)
    time_cols = [c for c in _TIME_COLUMNS if c in seen]
    if len(time_cols) != 1:
        what = f"columns {time_cols}" if time_cols else "no time column"
        raise JakstatInputError(f"table {table!r}, line 1: {what}; expected exactly one of "
                                f"{list(_TIME_COLUMNS)}")
    if COL_VALUE not in seen:
        raise JakstatInputError(f"table {table!r}, line 1: no column {COL_VALUE!r}; expected "
                                f"the measured values in a column 'value'")
    return _Layout(**common, time=(seen[time_cols[0]], _TIME_COLUMNS[time_cols[0]]),
                   value=seen[COL_VALUE], sd=seen.get(COL_SD))


# ----------------------------------------------------------------------------- rows
@dataclass(frozen=True)
class Measurement:
    """One validated measurement.

    Attributes
    ----------
    experiment, readout, variant
        Ids.
    doses
        Model-unit values of the table's inputs (order of :attr:`TidyTable.inputs`).
    labels
        How the non-zero doses read in the table's units (``IFN-beta 5 ng/mL``).
    time
        Minutes.
    value
        The measurement.
    sd
        Its standard deviation (None: estimated).
    source, line, column
        Where the value is (file, line, column header).
    """

    experiment: str
    doses: tuple[float, ...]
    labels: tuple[str, ...]
    time: float
    readout: str
    value: float
    sd: float | None
    variant: str
    source: str
    line: int
    column: str


@dataclass(frozen=True)
class TidyTable:
    """A validated table: its input columns and measurements (in file order)."""

    name: str
    inputs: tuple[InputColumn, ...]
    rows: tuple[Measurement, ...]
    has_sd: bool

    @property
    def experiments(self) -> list[str]:
        """Experiment ids, sorted."""
        return sorted({r.experiment for r in self.rows})

    @property
    def readouts(self) -> list[str]:
        """Readout ids, in the order of the documented readouts."""
        present = {r.readout for r in self.rows}
        return [r for r in READOUTS if r in present]


class _Errors:
    """Row messages, reported together: the first in full, the others counted."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, message: str) -> None:
        self.messages.append(message)

    def raise_if_any(self) -> None:
        if self.messages:
            more = len(self.messages) - 1
            tail = f" ({more} more problem{'s' if more > 1 else ''} after this one)" if more else ""
            raise JakstatInputError(self.messages[0] + tail)


def _where(source: str, line: int, column: str) -> str:
    return f"table {source!r}, line {line}, column {column!r}"


def _text(cell: Any) -> str:
    return cell.strip() if isinstance(cell, str) else str(cell)


def _number(cell: Any, errors: _Errors, where: str, *, minimum: float | None = None,
            positive: bool = False, blank_ok: bool = False) -> float | None:
    """The cell as a finite number, or None after recording what is wrong."""
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        value, text = float(cell), repr(cell)
    else:
        text = cell.strip() if isinstance(cell, str) else str(cell)
        if not text:
            if blank_ok:
                return None
            errors.add(f"{where}: empty; expected a number")
            return None
        try:
            value = float(text)
        except ValueError:
            hint = " with a decimal point" if re.fullmatch(r"-?\d+,\d+", text) else ""
            errors.add(f"{where}: value {text!r} is text, not a number; expected a "
                       f"number{hint}")
            return None
    if not math.isfinite(value):
        errors.add(f"{where}: value {text!r} is not finite; expected a finite number")
        return None
    if positive and value <= 0:
        errors.add(f"{where}: value {text!r} is not positive; expected a number > 0")
        return None
    if minimum is not None and value < minimum:
        errors.add(f"{where}: value {text!r} is negative; expected a number >= {minimum:g}")
        return None
    return value


def _choice(cells: Sequence[Any], index: int | None, column: str, allowed: Iterable[str],
            default: str, what: str, errors: _Errors, source: str, line: int) -> str | None:
    """The cell of an id column (``default`` without the column), None if not allowed."""
    if index is None:
        return default
    value = _text(cells[index])
    if value not in allowed:
        errors.add(f"{_where(source, line, column)}: value {value!r} is not {what}; expected "
                   f"one of {list(allowed)}")
        return None
    return value


Record = tuple[str, int, Sequence[Any]]


def table_from_records(header: Sequence[str], records: Iterable[Record], *, name: str,
                       wide: bool = False,
                       molar_masses: Mapping[str, float] | None = None) -> TidyTable:
    """Validate rows given as ``(source, line, cells)`` against ``header``.

    Parameters
    ----------
    header
        Column names.
    records
        ``(source, line, cells)``: the file and line each row comes from
        (messages name them) and its cells (text, or numbers).
    name
        How the table is named in messages about its header.
    wide
        One column per time point (see the module docstring).
    molar_masses
        g/mol by input (``IFNb``), replacing :data:`MOLAR_MASSES`.

    Returns
    -------
    TidyTable
        The measurements with doses in model units and times in minutes.

    Raises
    ------
    JakstatInputError
        Header errors at once; row errors after every row was checked (the
        first message in full, the number of others).
    """
    masses = _molar_masses(molar_masses)
    header = [h.strip() if isinstance(h, str) else str(h) for h in header]
    lay = _layout(header, name, wide, masses)
    errors = _Errors()
    rows: list[Measurement] = []
    first_line: dict[tuple, tuple[str, int]] = {}
    exp_first: dict[str, tuple[str, int]] = {}
    exp_dosed: set[str] = set()
    n = 0
    for source, line, cells in records:
        n += 1
        if len(cells) != len(header):
            errors.add(f"table {source!r}, line {line}: {len(cells)} cells, the header has "
                       f"{len(header)}; expected one cell per column")
            continue
        ok = True
        exp = _text(cells[lay.experiment])
        if not exp or not _ID.match(exp):
            errors.add(f"{_where(source, line, COL_EXPERIMENT)}: value {exp!r} is not an "
                       f"experiment id; expected letters, digits and '_' only (it becomes part of "
                       f"parameter ids such as scale_<experiment>)")
            ok = False
        doses, labels = [], []
        for i, col in lay.inputs:
            v = _number(cells[i], errors, _where(source, line, col.name), minimum=0.0)
            if v is None:
                ok = False
                continue
            doses.append(col.convert(v))
            if v != 0:
                labels.append(f"{_LABELS[col.base]} {v:g} {col.unit}")
        readout, variant = (
            _choice(cells, index, column, allowed, default, what, errors, source, line)
            for index, column, allowed, default, what in (
                (lay.readout, COL_READOUT, READOUTS, DEFAULT_READOUT, "a readout"),
                (lay.variant, COL_VARIANT, VARIANTS, "default", "a model variant")))
        ok = ok and readout is not None and variant is not None
        if wide:
            points = []
            for t, vi, si, col_name in lay.times:
                sd_cell = cells[si] if si is not None else ""
                if _text(cells[vi]) == "":
                    if _text(sd_cell):
                        errors.add(f"{_where(source, line, header[si])}: value "
                                   f"{_text(sd_cell)!r} has no measurement in column "
                                   f"{col_name!r}; expected an empty cell where nothing was "
                                   f"measured")
                        ok = False
                    continue
                value = _number(cells[vi], errors, _where(source, line, col_name))
                sd = None
                if si is not None:
                    sd = _number(sd_cell, errors, _where(source, line, header[si]),
                                 positive=True)
                if value is None or (si is not None and sd is None):
                    ok = False
                    continue
                points.append((t, value, sd, col_name))
        else:
            t_idx, t_unit = lay.time
            t_col = header[t_idx]
            t = _number(cells[t_idx], errors, _where(source, line, t_col), minimum=0.0)
            value = _number(cells[lay.value], errors, _where(source, line, COL_VALUE))
            sd = None
            if lay.sd is not None:
                sd = _number(cells[lay.sd], errors, _where(source, line, COL_SD), positive=True)
                ok = ok and sd is not None
            ok = ok and t is not None and value is not None
            points = [(_minutes(t, t_unit) if t is not None else 0.0, value, sd, COL_VALUE)]
        if not ok:
            continue
        exp_first.setdefault(exp, (source, line))
        if any(d != 0 for d in doses):
            exp_dosed.add(exp)
        for t, value, sd, col_name in points:
            key = (exp, tuple(doses), readout, t)
            if key in first_line:
                src, ln = first_line[key]
                at = f"line {ln}" if src == source else f"{src!r}, line {ln}"
                errors.add(f"{_where(source, line, col_name)}: duplicates {at} (experiment "
                           f"{exp!r}, same doses, readout {readout!r}, time {t:g} min); "
                           f"expected one row per measurement: average replicate wells (their "
                           f"spread as 'sd') or give each replicate its own experiment id")
                continue
            first_line[key] = (source, line)
            rows.append(Measurement(exp, tuple(doses), tuple(labels), t, readout, value, sd,
                                    variant, source, line, col_name))
    for exp, (source, line) in exp_first.items():
        if exp not in exp_dosed:
            cols = ", ".join(c.name for _, c in lay.inputs)
            errors.add(f"table {source!r}, line {line}, columns {cols}: experiment {exp!r} has "
                       f"no non-zero dose in any row; expected at least one dosed row per "
                       f"experiment (an experiment's scale cannot be fitted from unstimulated "
                       f"cells alone)")
    errors.raise_if_any()
    if n == 0 or not rows:
        raise JakstatInputError(f"table {name!r} has no measurements; expected one row per "
                                f"measurement below the header")
    has_sd = lay.sd is not None if not wide else lay.times[0][2] is not None
    return TidyTable(name, tuple(c for _, c in lay.inputs), tuple(rows), has_sd)


def _molar_masses(overrides: Mapping[str, float] | None) -> dict[str, float]:
    masses = dict(MOLAR_MASSES)
    for key, value in (overrides or {}).items():
        if key not in masses:
            raise JakstatInputError(f"--molar-mass {key}: unknown input; expected one of "
                                    f"{sorted(masses)}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not (math.isfinite(number) and number > 0):
            raise JakstatInputError(f"--molar-mass {key}={value!r}: expected a positive "
                                    f"number of g/mol")
        masses[key] = number
    return masses


def read_table(path: str | os.PathLike, *, wide: bool = False,
               molar_masses: Mapping[str, float] | None = None) -> TidyTable:
    """Read and validate a tidy (or, with ``wide``, wide) table of measurements.

    Parameters
    ----------
    path
        A csv file (``.tsv``: tab-separated); UTF-8, with or without BOM.
        Empty lines are ignored.
    wide
        One column per time point (see the module docstring).
    molar_masses
        g/mol by input (``{"IFNb": 22500}``) for mass units.

    Returns
    -------
    TidyTable

    Raises
    ------
    JakstatInputError
        A missing or unreadable file, a bad header, or bad rows: every
        message names the file, line, column and value and what was expected.
    """
    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise JakstatInputError(f"table {name!r} not found; expected a csv file with one row "
                                f"per measurement")
    delimiter = "\t" if path.suffix.lower() in (".tsv", ".tab") else ","
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh, delimiter=delimiter)
            lines = [(reader.line_num, cells) for cells in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise JakstatInputError(f"table {name!r} cannot be read ({exc}); expected a UTF-8 "
                                f"csv file") from None
    lines = [(n, cells) for n, cells in lines if any(c.strip() for c in cells)]
    if not lines:
        raise JakstatInputError(f"table {name!r} is empty; expected a header line and one row "
                                f"per measurement")
    header = lines[0][1]
    return table_from_records(header, ((name, n, cells) for n, cells in lines[1:]),
                              name=name, wide=wide, molar_masses=molar_masses)


# ----------------------------------------------------------------------------- model
@dataclass(frozen=True)
class _ModelFacts:
    """What the PEtab writer needs to know about an SBML model."""

    values: dict[str, float]
    rule_targets: set[str]
    initial_assignments: set[str]
    species: set[str]


_FACTS: dict[int, _ModelFacts] = {}


def _model_facts(sbml_text: str, name: str) -> _ModelFacts:
    key = hash(sbml_text)
    if key in _FACTS:
        return _FACTS[key]
    import libsbml

    doc = libsbml.readSBMLFromString(sbml_text)
    if doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR) or doc.getModel() is None:
        raise JakstatInputError(
            f"SBML file {name!r} could not be read: "
            f"{doc.getErrorLog().toString().strip()[:300]}; expected a valid SBML model")
    model = doc.getModel()
    facts = _ModelFacts(
        values={p.getId(): p.getValue() if p.isSetValue() else math.nan
                for p in model.getListOfParameters()},
        rule_targets={r.getVariable() for r in model.getListOfRules()},
        initial_assignments={a.getSymbol() for a in model.getListOfInitialAssignments()},
        species={s.getId() for s in model.getListOfSpecies()})
    _FACTS.clear()
    _FACTS[key] = facts
    return facts


def check_model(sbml_text: str, name: str, inputs: Iterable[str], readouts: Iterable[str]) -> None:
    """Raise unless the SBML model defines the inputs (global parameters) and readouts.

    Raises
    ------
    JakstatInputError
        Naming the missing id and the model file.
    """
    facts = _model_facts(sbml_text, name)
    for pid in inputs:
        if pid not in facts.values:
            raise JakstatInputError(
                f"SBML model {name!r} has no global parameter {pid!r}; expected the model's "
                f"inputs {sorted(INPUTS)} (a dose in the table needs its input in the model)")
    for rid in readouts:
        if rid not in facts.values and rid not in facts.species:
            raise JakstatInputError(
                f"SBML model {name!r} defines no readout {rid!r}; expected a parameter or "
                f"species of that id (the documented readouts: jakstat_rules.interface.READOUTS)")


# ----------------------------------------------------------------------------- problems
@dataclass(frozen=True)
class ImportOptions:
    """How a table becomes PEtab problems.

    Attributes
    ----------
    estimate
        Estimated model parameters: id -> half-width of the log10 bounds in
        decades around the model's value.  None: :data:`ESTIMATED_PARAMETERS`.
    bounds
        Explicit linear bounds ``id -> (lower, upper)`` of any estimated
        parameter (model or ``scale_``/``offset_``/``sigma_``); the nominal
        value moves to the bounds' (geometric) middle if it lies outside.
    offset
        Fit an additive offset (baseline) per experiment: True (always),
        False (never) or None (the default: when the table's baseline says
        so, see :func:`baseline_check`).
    noise
        ``"normal"`` (additive) or ``"lognormal"`` (normal on the natural
        log; ``sd`` values are converted: ``sqrt(ln(1 + (sd/value)^2))``).
    validate
        Experiments held out into the validation problem.
    molar_masses
        g/mol by input for mass units (replacing :data:`MOLAR_MASSES`).
    observables
        ``readout -> (observableId, observableName)``; default
        ``obs_<readout>``.
    parameter_names
        Templates of ``parameterName`` for ``"scale"``, ``"offset"``,
        ``"sigma"`` (fields ``{experiment}``, ``{readout}``).
    scale_bounds, scale_nominal, sigma_bounds, sigma_nominal
        Fixed bounds and nominal values of the scale and noise parameters
        instead of those derived from each experiment's values (the Kirby
        problem sets them in MFI).
    """

    estimate: Mapping[str, float] | None = None
    bounds: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    offset: bool | None = None
    noise: str = "normal"
    validate: Sequence[str] = ()
    molar_masses: Mapping[str, float] = field(default_factory=dict)
    observables: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    parameter_names: Mapping[str, str] = field(default_factory=dict)
    scale_bounds: tuple[float, float] | None = None
    scale_nominal: float | None = None
    sigma_bounds: tuple[float, float] | None = None
    sigma_nominal: float | None = None


@dataclass(frozen=True)
class Baseline:
    """The baseline of the (experiment, readout) whose baseline is largest.

    Attributes
    ----------
    experiment, readout
        Where it is.
    kinds
        Which rows are baseline rows: ``"t = 0"``, ``"untreated"`` or both.
    median
        Median of the baseline values.
    fraction
        ``|median|`` over the largest ``|value|`` of that experiment and readout.
    """

    experiment: str
    readout: str
    kinds: tuple[str, ...]
    median: float
    fraction: float

    @property
    def large(self) -> bool:
        """Whether the baseline exceeds :data:`BASELINE_FRACTION` of the signal."""
        return self.fraction > BASELINE_FRACTION


def _is_baseline(row: Measurement) -> bool:
    return row.time == 0 or all(d == 0 for d in row.doses)


def _baseline_medians(rows: Iterable[Measurement]) -> dict[tuple[str, str], float]:
    """Median of the baseline values of each (experiment, readout) that has some."""
    import numpy as np

    values: dict[tuple[str, str], list[float]] = {}
    for r in rows:
        if _is_baseline(r):
            values.setdefault((r.experiment, r.readout), []).append(r.value)
    return {key: float(np.median(v)) for key, v in values.items()}


def baseline_check(table: TidyTable) -> Baseline | None:
    """The largest baseline of a table relative to its signal (None: no baseline rows).

    Baseline rows are the measurements at t = 0 or without any dose (every
    input 0), where the model is at rest and its readouts are (close to) 0.
    For each experiment and readout with baseline rows, the median of their
    values is compared with the largest ``|value|`` of that experiment and
    readout; the (experiment, readout) with the largest fraction is returned.
    ``jakstat data import`` estimates an offset per experiment when that
    fraction exceeds :data:`BASELINE_FRACTION`.
    """
    medians = _baseline_medians(table.rows)
    if not medians:
        return None
    span: dict[tuple[str, str], float] = {}
    kinds: dict[tuple[str, str], set[str]] = {}
    for r in table.rows:
        key = (r.experiment, r.readout)
        span[key] = max(span.get(key, 0.0), abs(r.value))
        if key in medians and r.time == 0:
            kinds.setdefault(key, set()).add("t = 0")
        if key in medians and all(d == 0 for d in r.doses):
            kinds.setdefault(key, set()).add("untreated")
    fractions = {key: abs(m) / span[key] if span[key] else 0.0 for key, m in medians.items()}
    exp, ro = max(fractions, key=lambda key: (fractions[key], key))
    return Baseline(exp, ro, tuple(k for k in ("t = 0", "untreated") if k in kinds[(exp, ro)]),
                    medians[(exp, ro)], fractions[(exp, ro)])


@dataclass(frozen=True)
class BuiltProblem:
    """A PEtab problem in memory and the SBML text it is written with (verbatim)."""

    problem: Any
    sbml: str


_DEFAULT_NAMES = {"scale": "scale of {readout}, experiment {experiment}",
                  "offset": "offset of {readout}, experiment {experiment}",
                  "sigma": "noise SD of {readout}, experiment {experiment}"}
_NOISES = ("normal", "lognormal")


def _format_dose(value: float) -> str:
    return f"{value:.6g}".replace(".", "p").replace("-", "m").replace("+", "")


def _lead(exp: str, prefix: str) -> str:
    """``exp`` as the start of an id: prefixed when it starts with a digit (``e20190108``)."""
    return exp if exp[0].isalpha() else prefix + exp


def _condition_key(exp: str, doses: tuple[float, ...]) -> tuple:
    # by experiment, then inputs given in the order of INPUTS (a dosed input first), then dose
    return (exp, tuple((0 if d != 0 else 1, d) for d in doses))


def _observation_bounds(kind: str, values: list[float], options: ImportOptions
                        ) -> tuple[str, float, float, float]:
    """scale, lower, upper, nominal of an observation parameter of one experiment."""
    span = max((abs(v) for v in values), default=0.0) or 1.0
    if kind == "scale":
        if options.scale_bounds is not None:
            lb, ub = options.scale_bounds
            return "log10", lb, ub, options.scale_nominal or math.sqrt(lb * ub)
        # the readout's peak may lie anywhere between 1e-2 and 1e7 model units
        return "log10", _sig(span * 1e-7), _sig(span * 1e2), _sig(span * 1e-4)
    if kind == "offset":
        return "lin", -_sig(span), _sig(span), 0.0
    if options.sigma_bounds is not None:
        lb, ub = options.sigma_bounds
        return "log10", lb, ub, options.sigma_nominal or math.sqrt(lb * ub)
    if options.noise == "lognormal":  # SD of ln(value)
        return "log10", 1e-3, 3.0, 0.2
    return "log10", _sig(span * 1e-4), _sig(span), _sig(span * 0.05)


def _sig(x: float) -> float:
    return float(f"{x:.3g}")


def _model_parameter_rows(estimate: Mapping[str, float], facts: _ModelFacts,
                          sbml_name: str) -> list[dict]:
    from petab.v1 import C

    rows = []
    for pid, decades in estimate.items():
        if pid in INPUTS:
            raise JakstatInputError(f"estimated parameter {pid!r} is an input of the model; "
                                    f"expected a model parameter (inputs come from the table)")
        if pid not in facts.values:
            raise JakstatInputError(
                f"estimated parameter {pid!r} is not a global parameter of SBML model "
                f"{sbml_name!r}; expected one of {sorted(facts.values)[:20]}...")
        if pid in facts.rule_targets or pid in facts.initial_assignments:
            raise JakstatInputError(
                f"estimated parameter {pid!r} is set by a rule or initial assignment in "
                f"{sbml_name!r}; expected a free parameter")
        value = facts.values[pid]
        if not (math.isfinite(value) and value > 0):
            raise JakstatInputError(
                f"parameter {pid!r} has nominal value {value!r} in {sbml_name!r}; expected a "
                f"positive number for a log10-scaled estimate")
        if not (0 < decades <= 4):
            raise JakstatInputError(f"search width {decades!r} decades for {pid!r}; expected "
                                    f"a number in (0, 4]")
        rows.append({C.PARAMETER_ID: pid, C.PARAMETER_NAME: pid,
                     C.PARAMETER_SCALE: C.LOG10,
                     C.LOWER_BOUND: float(f"{value * 10 ** -decades:.6g}"),
                     C.UPPER_BOUND: float(f"{value * 10 ** decades:.6g}"),
                     C.NOMINAL_VALUE: value, C.ESTIMATE: 1})
    return rows


def _apply_bounds(rows: list[dict], bounds: Mapping[str, tuple[float, float]]) -> None:
    from petab.v1 import C

    for row in rows:
        pid = row[C.PARAMETER_ID]
        if pid not in bounds:
            continue
        lb, ub = (float(b) for b in bounds[pid])
        log = row[C.PARAMETER_SCALE] == C.LOG10
        if not (math.isfinite(lb) and math.isfinite(ub) and lb < ub and (lb > 0 or not log)):
            need = "0 < lower < upper" if log else "lower < upper"
            raise JakstatInputError(f"--bounds {pid}={lb:g}:{ub:g}: expected finite numbers "
                                    f"with {need} ({pid} is on {row[C.PARAMETER_SCALE]} scale)")
        row[C.LOWER_BOUND], row[C.UPPER_BOUND] = lb, ub
        if not lb <= row[C.NOMINAL_VALUE] <= ub:
            row[C.NOMINAL_VALUE] = math.sqrt(lb * ub) if log else (lb + ub) / 2


def _split(table: TidyTable, validate: Sequence[str]) -> dict[str, list[Measurement]]:
    exps = table.experiments
    missing = [e for e in validate if e not in exps]
    if missing:
        raise JakstatInputError(f"--validate {missing[0]!r}: table {table.name!r}, column "
                                f"{COL_EXPERIMENT!r} has no experiment {missing[0]!r}; expected "
                                f"one of {exps}")
    held = set(validate)
    if held and held >= set(exps):
        raise JakstatInputError(f"--validate {sorted(held)}: every experiment of table "
                                f"{table.name!r} is held out; expected at least one experiment "
                                f"left for training")
    sets = {"train": [r for r in table.rows if r.experiment not in held]}
    if held:
        sets["validation"] = [r for r in table.rows if r.experiment in held]
    return sets


def _variant_of(rows: list[Measurement], name: str) -> str:
    first = rows[0]
    for r in rows:
        if r.variant != first.variant:
            raise JakstatInputError(
                f"{_where(r.source, r.line, COL_VARIANT)}: value {r.variant!r} differs from "
                f"{first.variant!r} (line {first.line}) in the {name} problem; expected one "
                f"variant per problem (hold one variant's experiments out with --validate, or "
                f"import it separately)")
    return first.variant


class _Design:
    """The table-wide choices of a problem: parameter ids, names, observables, offset.

    ``notes`` are the lines that tell the user about choices made for them
    (the baseline offset).
    """

    def __init__(self, table: TidyTable, options: ImportOptions) -> None:
        self.table = table
        self.options = options
        self.lognormal = options.noise == "lognormal"
        self.multi = len(table.readouts) > 1
        self.names = {**_DEFAULT_NAMES, **options.parameter_names}
        self.input_ids = [c.input_id for c in table.inputs]
        self.observables = {ro: options.observables.get(ro, (f"obs_{ro}", f"measured {ro}"))
                            for ro in table.readouts}
        self.baselines = _baseline_medians(table.rows)
        self.notes: list[str] = []
        self.offset = self._decide_offset()

    def _decide_offset(self) -> bool:
        if self.options.offset:
            return True
        found = baseline_check(self.table)
        offset_id = self.pid("offset", "<experiment>", "<readout>")
        if found is None:
            if self.options.offset is None:
                self.notes.append(f"baseline: no t = 0 or untreated measurements to check; "
                                  f"no offset estimated (--offset to estimate {offset_id})")
            return False
        where = f"experiment {found.experiment}" + (f", {found.readout}" if self.multi else "")
        seen = (f"baseline: {' and '.join(found.kinds)} values of {where} have median "
                f"{found.median:.3g} ({100 * found.fraction:.0f}% of its largest |value|")
        if not found.large:
            return False
        if self.options.offset is None:
            self.notes.append(f"{seen}, above {100 * BASELINE_FRACTION:g}%): estimating "
                              f"{offset_id}; --no-offset to refuse")
            return True
        self.notes.append(f"{seen}, above {100 * BASELINE_FRACTION:g}%): no offset estimated "
                          f"(--no-offset)")
        return False

    def pid(self, kind: str, exp: str, readout: str) -> str:
        """Id of the ``kind`` (scale, offset, sigma) parameter of an experiment and readout."""
        return f"{kind}_{exp}_{readout}" if self.multi else f"{kind}_{exp}"

    def conditions(self, rows: list[Measurement], preeq: bool):
        """Condition table and the condition id of each (experiment, doses)."""
        import pandas as pd
        from petab.v1 import C

        labels: dict[tuple, tuple[str, ...]] = {}
        for r in rows:
            labels.setdefault((r.experiment, r.doses), r.labels)
        ids: dict[tuple, str] = {}
        table = []
        for exp, doses in sorted(labels, key=lambda k: _condition_key(*k)):
            parts = [f"{c.base}_{_format_dose(d)}{INPUTS[c.input_id]}"
                     for c, d in zip(self.table.inputs, doses) if d != 0]
            cid = base_id = f"{_lead(exp, 'e')}_{'_'.join(parts) or 'control'}"
            k = 2
            while cid in ids.values():
                cid, k = f"{base_id}_{k}", k + 1
            ids[(exp, doses)] = cid
            table.append({C.CONDITION_ID: cid,
                          C.CONDITION_NAME: ", ".join(labels[(exp, doses)]) or "no dose",
                          **dict(zip(self.input_ids, doses))})
        if preeq:
            table.append({C.CONDITION_ID: "rest",
                          C.CONDITION_NAME: "resting state (every input 0)",
                          **{i: 0.0 for i in self.input_ids}})
        return pd.DataFrame(table).set_index(C.CONDITION_ID), ids

    def observable_table(self, readouts: list[str]):
        import pandas as pd
        from petab.v1 import C

        rows = []
        for ro in readouts:
            oid, name = self.observables[ro]
            offset = f" + observableParameter2_{oid}" if self.offset else ""
            rows.append({C.OBSERVABLE_ID: oid, C.OBSERVABLE_NAME: name,
                         C.OBSERVABLE_FORMULA: f"observableParameter1_{oid} * {ro}{offset}",
                         C.OBSERVABLE_TRANSFORMATION: C.LOG if self.lognormal else C.LIN,
                         C.NOISE_FORMULA: f"noiseParameter1_{oid}",
                         C.NOISE_DISTRIBUTION: C.NORMAL})
        return pd.DataFrame(rows).set_index(C.OBSERVABLE_ID)

    def measurement_table(self, rows: list[Measurement], cond_ids: dict[tuple, str],
                          preeq: bool):
        import pandas as pd
        from petab.v1 import C

        def noise(r: Measurement) -> Any:
            if r.sd is None:
                return self.pid("sigma", r.experiment, r.readout)
            if self.lognormal:  # SD of ln(value) of a log-normal with this mean and SD
                return math.sqrt(math.log1p((r.sd / r.value) ** 2))
            return r.sd

        def dataset(r: Measurement) -> str:
            given = [c.base for c, d in zip(self.table.inputs, r.doses) if d != 0]
            return f"{_lead(r.experiment, 'exp')}_{'_'.join(given) or 'control'}"

        kinds = ["scale"] + (["offset"] if self.offset else [])
        table = {C.OBSERVABLE_ID: [self.observables[r.readout][0] for r in rows],
                 C.SIMULATION_CONDITION_ID: [cond_ids[(r.experiment, r.doses)] for r in rows]}
        if preeq:
            table[C.PREEQUILIBRATION_CONDITION_ID] = ["rest"] * len(rows)
        table.update({
            C.MEASUREMENT: [r.value for r in rows],
            C.TIME: [r.time for r in rows],
            C.OBSERVABLE_PARAMETERS: [";".join(self.pid(k, r.experiment, r.readout)
                                               for k in kinds) for r in rows],
            C.NOISE_PARAMETERS: [noise(r) for r in rows],
            C.DATASET_ID: [dataset(r) for r in rows],
            C.REPLICATE_ID: [_lead(r.experiment, "exp") for r in rows],
        })
        # sorted by condition: pyPESTO 0.7's roadrunner objective pairs
        # conditions with parameter mappings correctly only in sorted order
        return _sorted_measurements(pd.DataFrame(table))

    def check_size(self, rows: list[Measurement], parameters: list[dict],
                   n_model: int) -> None:
        """Warn (a note) when the estimated parameters outnumber what the rows inform."""
        n = len(parameters)
        if n * MEASUREMENTS_PER_PARAMETER <= len(rows):
            return
        self.notes.append(
            f"warning: {n} estimated parameters ({n_model} of the model, {n - n_model} "
            f"scale/offset/noise) for {len(rows)} measurements, fewer than "
            f"{MEASUREMENTS_PER_PARAMETER} per parameter: the data cannot inform them all "
            f"(expect flat profiles); estimate fewer (--estimate, --no-offset) or add data")

    def parameter_rows(self, rows: list[Measurement], readouts: list[str],
                       estimate: Mapping[str, float], facts: _ModelFacts,
                       sbml_name: str) -> list[dict]:
        from petab.v1 import C

        table = _model_parameter_rows(estimate, facts, sbml_name)
        values: dict[tuple[str, str], list[float]] = {}
        for r in rows:
            values.setdefault((r.experiment, r.readout), []).append(r.value)
        kinds = (["scale"] + (["offset"] if self.offset else [])
                 + ([] if self.table.has_sd else ["sigma"]))
        for exp in sorted({r.experiment for r in rows}):
            for ro in (ro for ro in readouts if (exp, ro) in values):
                for kind in kinds:
                    scale, lb, ub, nominal = _observation_bounds(kind, values[(exp, ro)],
                                                                 self.options)
                    if kind == "offset":  # the experiment's baseline, if measured
                        nominal = self.baselines.get((exp, ro), nominal)
                    table.append({
                        C.PARAMETER_ID: self.pid(kind, exp, ro),
                        C.PARAMETER_NAME: self.names[kind].format(experiment=exp, readout=ro),
                        C.PARAMETER_SCALE: scale, C.LOWER_BOUND: lb, C.UPPER_BOUND: ub,
                        C.NOMINAL_VALUE: nominal, C.ESTIMATE: 1})
        _apply_bounds(table, self.options.bounds)
        return table


def _sorted_measurements(measurement_df):
    from petab.v1 import C

    return measurement_df.sort_values([C.SIMULATION_CONDITION_ID, C.TIME, C.OBSERVABLE_ID],
                                      kind="stable").reset_index(drop=True)


def build_problems(table: TidyTable, options: ImportOptions | None = None, *,
                   sbml: str | None = None, sbml_name: str | None = None,
                   sbml_of: Callable[[str], str] | None = None,
                   report: Callable[[str], None] | None = None) -> dict[str, BuiltProblem]:
    """The PEtab problems of a table (in memory, not yet linted).

    Measured SDs are the numeric ``noiseParameters`` of their rows (one
    observable per readout, noise formula ``noiseParameter1_<observable>``).
    An offset is estimated when ``options.offset`` is True, or when it is
    None and :func:`baseline_check` finds a baseline above
    :data:`BASELINE_FRACTION`.  A training problem with fewer than
    :data:`MEASUREMENTS_PER_PARAMETER` measurements per estimated parameter
    draws a warning.

    Parameters
    ----------
    table
        From :func:`read_table` or :func:`table_from_records`.
    options
        :class:`ImportOptions` (default: all defaults).
    sbml, sbml_name
        SBML text of the model (and its name in messages).  None: the
        exported SBML of each problem's variant
        (:func:`jakstat_rules.artifacts.model_sbml`).
    sbml_of
        Alternative source of the SBML text of a variant (tests).
    report
        Called with each line telling the user about a choice made for them
        (the baseline offset) or a warning (``"warning: ..."``); None: silent.

    Returns
    -------
    dict
        ``{"train": BuiltProblem, "validation": ...}`` (validation only
        with ``options.validate``).

    Raises
    ------
    JakstatInputError
        Bad options, a model lacking an input, readout or estimated
        parameter, values a noise model cannot take.
    """
    import pandas as pd
    import petab.v1 as petab
    from petab.v1 import C
    from petab.v1.models.sbml_model import SbmlModel

    options = options or ImportOptions()
    if options.noise not in _NOISES:
        raise JakstatInputError(f"noise model {options.noise!r} unknown; expected one of "
                                f"{list(_NOISES)}")
    estimate = dict(ESTIMATED_PARAMETERS if options.estimate is None else options.estimate)
    if options.noise == "lognormal":
        errors = _Errors()
        for r in table.rows:
            if r.value <= 0:
                errors.add(f"{_where(r.source, r.line, r.column)}: value {r.value!r} is not "
                           f"positive; expected values > 0 for log-normal noise (use the "
                           f"normal noise model for background-subtracted data)")
        errors.raise_if_any()
    design = _Design(table, options)
    problems: dict[str, BuiltProblem] = {}
    all_ids: set[str] = set()
    for name, rows in _split(table, options.validate).items():
        variant = _variant_of(rows, name)
        if sbml is not None:
            text, text_name = sbml, sbml_name or "model"
        else:
            text = sbml_of(variant) if sbml_of else _variant_sbml(variant)
            text_name = f"exported model of variant {variant!r}"
        readouts = sorted({r.readout for r in rows}, key=list(READOUTS).index)
        check_model(text, text_name, design.input_ids, readouts)
        preeq = variant in NEEDS_PREEQUILIBRATION
        condition_df, cond_ids = design.conditions(rows, preeq)
        parameters = design.parameter_rows(rows, readouts, estimate,
                                           _model_facts(text, text_name), text_name)
        all_ids.update(row[C.PARAMETER_ID] for row in parameters)
        problem = petab.Problem(
            model=SbmlModel.from_string(text), condition_df=condition_df,
            observable_df=design.observable_table(readouts),
            measurement_df=design.measurement_table(rows, cond_ids, preeq),
            parameter_df=pd.DataFrame(parameters).set_index(C.PARAMETER_ID))
        if name == "train":
            design.check_size(rows, parameters, len(estimate))
        problems[name] = BuiltProblem(problem, text)
    unknown = [p for p in options.bounds if p not in all_ids]
    if unknown:
        raise JakstatInputError(f"--bounds {unknown[0]}: not an estimated parameter of the "
                                f"problem; expected one of {sorted(all_ids)}")
    for line in design.notes if report else ():
        report(line)
    return problems


def _variant_sbml(variant: str) -> str:
    from jakstat_rules.artifacts import model_sbml

    return model_sbml(variant)


def lint_problems(problems: Mapping[str, BuiltProblem], out: str | os.PathLike) -> None:
    """Run the PEtab linter on every problem (raises on the first failure)."""
    from jakstat_rules.petab_io import check_supported, lint_or_raise

    for name, built in problems.items():
        where = f"{name} problem for {str(Path(out) / name)!r}"
        lint_or_raise(built.problem, where)
        check_supported(built.problem, where)


def write_problems(problems: Mapping[str, BuiltProblem], out: str | os.PathLike,
                   study: Mapping[str, Any] | None = None) -> dict[str, Path]:
    """Write each problem to ``OUT/<name>/`` (model.xml, four tables, problem.yaml).

    Every output folder is checked before the first file is written; files
    are written atomically (:func:`jakstat_rules.petab_io.write_problem`).
    A non-empty ``study`` (:func:`jakstat_rules.data.study.study_record`: organism,
    cell type) is written next to each ``problem.yaml`` as ``study.json``.
    """
    from jakstat_rules.petab_io import write_problem
    from jakstat_rules.data.study import STUDY_FILE
    from jakstat_rules.io import write_json

    out = Path(out)
    for name in problems:
        check_output_dir(out / name)
    result = {}
    for name, built in problems.items():
        p = built.problem
        result[name] = write_problem(out / name, built.sbml, p.condition_df, p.observable_df,
                                     p.measurement_df, p.parameter_df)
        if study:
            write_json(out / name / STUDY_FILE, dict(study))
    return result


def read_sbml(path: str | os.PathLike) -> str:
    """The text of an SBML file given with ``--sbml`` (missing or unreadable: error)."""
    path = Path(path)
    if not path.is_file():
        raise JakstatInputError(f"SBML model {str(path)!r} not found; expected an SBML file")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise JakstatInputError(f"SBML model {str(path)!r} cannot be read ({exc}); expected "
                                f"an SBML file") from None


def import_table(path: str | os.PathLike, out_dir: str | os.PathLike,
                 options: ImportOptions | None = None, *, sbml: str | os.PathLike | None = None,
                 wide: bool = False,
                 report: Callable[[str], None] | None = None,
                 study: Mapping[str, Any] | None = None) -> dict[str, Path]:
    """Read a table, build, lint and write its PEtab problem(s).

    Parameters
    ----------
    path
        The table (see the module docstring).
    out_dir
        Output folder, new or empty (not a symbolic link):
        ``OUT/train/problem.yaml`` and, with ``options.validate``,
        ``OUT/validation/problem.yaml``, each next to a copy of the model
        SBML and the four tables.  They are written into a staging folder
        beside it that is then renamed to ``OUT``: the output appears whole
        or not at all.
    options
        :class:`ImportOptions`.
    sbml
        SBML file to use instead of the exported model of the table's variant.
    wide
        The table has one column per time point.
    report
        Called with each line about the baseline offset and each warning
        (``jakstat data import`` prints them); None: silent.
    study
        Organism and cell type of the data
        (:func:`jakstat_rules.data.study.study_record`), written as
        ``study.json`` next to each ``problem.yaml``.

    Returns
    -------
    dict
        ``{"train": path, "validation": path}`` of the YAML files.

    Raises
    ------
    JakstatInputError
        Bad table, options, model or output folder (a link, a file, a
        non-empty folder); nothing is written then.
    """
    options = options or ImportOptions()
    out = Path(out_dir)
    _check_import_out(out)  # before any work
    sbml_text = read_sbml(sbml) if sbml is not None else None
    table = read_table(path, wide=wide, molar_masses=options.molar_masses)
    problems = build_problems(table, options, sbml=sbml_text,
                              sbml_name=str(sbml) if sbml is not None else None, report=report)
    lint_problems(problems, out)
    return _write_whole(problems, out, study)


#: Staging folders of :func:`_write_whole`: ``.<OUT name>.import-<pid>.tmp`` beside OUT.
_STAGING = re.compile(r"^\.(?P<name>.+)\.import-(?P<pid>\d+)\.tmp$")


def _check_import_out(out: Path) -> None:
    """Refuse an ``--out`` that is a symbolic link, a file or a non-empty folder, and
    one whose parent folder cannot be written (nothing is written then)."""
    if out.is_symlink():
        raise JakstatInputError(f"output folder {str(out)!r} is a symbolic link: expected a "
                                f"new or empty folder (the import never writes through a link)")
    if out.exists() and not out.is_dir():
        raise JakstatInputError(f"output folder {str(out)!r} is a file: expected a folder")
    if out.is_dir() and any(out.iterdir()):
        raise JakstatInputError(f"output folder {str(out)!r} is not empty: expected a new or "
                                f"empty folder (import into another --out, or remove it)")
    check_output_dir(out.parent, what=f"folder of the output folder {str(out)!r}")


def _remove_stale_staging(out: Path) -> None:
    """Delete staging folders of imports into ``out`` whose process is gone (killed)."""
    for entry in out.parent.iterdir():
        match = _STAGING.match(entry.name)
        if not (match and match["name"] == out.name and entry.is_dir()
                and not entry.is_symlink()):
            continue
        try:
            os.kill(int(match["pid"]), 0)
            continue  # its import is still running
        except ProcessLookupError:
            shutil.rmtree(entry, ignore_errors=True)
        except (PermissionError, OverflowError):
            continue


def _write_whole(problems: Mapping[str, BuiltProblem], out: Path,
                 study: Mapping[str, Any] | None = None) -> dict[str, Path]:
    """Write the problems into a staging folder beside ``out``, then rename it to ``out``:
    the output appears whole or not at all (a failure or a full disk removes the
    staging folder; one left by a killed import is removed by the next import)."""
    _remove_stale_staging(out)
    staging = out.parent / f".{out.name}.import-{os.getpid()}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        written = write_problems(problems, staging, study)
        _check_import_out(out)  # still new or empty (another import may have finished)
        try:
            os.rename(staging, out)  # replaces an empty folder, atomically
        except OSError as exc:
            raise JakstatInputError(f"cannot write output folder {str(out)!r} "
                                    f"({exc.strerror or exc}): expected a new or empty "
                                    f"folder") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {name: out / path.relative_to(staging) for name, path in written.items()}
