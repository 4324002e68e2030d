"""Reading tidy (long or wide) tables of measurements into a :class:`TidyTable`,
every bad cell one message naming file, line, column and value."""

from __future__ import annotations

import csv
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from jakstat_rules.conditions import MAX_T_END
from jakstat_rules.errors import JakstatInputError, checked_number
from jakstat_rules.interface import INPUTS, READOUTS, VARIANTS

from .units import (_BASES, _ID, _LABELS, _TIME_COLUMNS, _WIDE_TIME, InputColumn, _input_column,
                    _minutes, _molar_masses)

__all__ = ["DEFAULT_READOUT", "Measurement", "TidyTable", "read_table", "table_from_records"]

#: Readout of rows without a ``readout`` column.
DEFAULT_READOUT = "pSTAT1_total"

COL_EXPERIMENT = "experiment"
COL_READOUT = "readout"
COL_VALUE = "value"
COL_SD = "sd"
COL_VARIANT = "variant"


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
            minutes = _minutes(float(m.group("t")), m.group("u").lower())
            t = checked_number(minutes, f"table {table!r}, line 1: time column {name!r} is "
                                        f"{minutes:g} min; expected a time from 0 to "
                                        f"{MAX_T_END:g} min, named like '5 min', '2.5min' or "
                                        f"'1 h'", low=0.0, high=MAX_T_END)
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
            minutes = _minutes(t, t_unit) if t is not None else 0.0
            if not minutes <= MAX_T_END:
                errors.add(f"{_where(source, line, t_col)}: value {_text(cells[t_idx])!r} is "
                           f"{minutes:g} min; expected a time from 0 to {MAX_T_END:g} min")
                t = None
            ok = ok and t is not None and value is not None
            points = [(minutes, value, sd, COL_VALUE)]
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
