"""PEtab v1 problems in and out: reading, the linter, supported features, hash, writing.

* :func:`load_problem` reads a problem with :mod:`petab.v1` (YAML, SBML
  model, TSV tables), runs the PEtab linter (:func:`lint_or_raise`) and
  refuses features this calibrator does not support
  (:func:`check_supported`: priors, mapping tables, a nominal value outside
  its bounds).  Every failure is a
  :class:`~jakstat_rules.errors.JakstatInputError` naming the file and what
  was expected.
* :class:`ProblemPayload` is everything a worker process needs to rebuild
  the problem (SBML text and the four tables), identified by
  :func:`problem_hash`, which also keys resumable result folders.
* :func:`write_problem` writes a problem folder (``model.xml``, the four
  tables, ``problem.yaml``) atomically through :mod:`jakstat_rules.io`.

Column names are libpetab's constants (:mod:`petab.v1.C`).
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import petab.v1 as petab
from petab.v1 import C
from petab.v1.models import MODEL_TYPE_SBML
from petab.v1.models.sbml_model import SbmlModel
from petab.versions import get_major_version

from jakstat_rules.errors import JakstatInputError
from jakstat_rules.io import atomic_write

__all__ = [
    "read_problem",
    "lint_or_raise",
    "check_supported",
    "load_problem",
    "problem_hash",
    "ProblemPayload",
    "TABLE_FILES",
    "write_problem",
    "write_problem_yaml",
]

#: File names of a problem folder written by :func:`write_problem`.
TABLE_FILES = {"model": "model.xml", "conditions": "conditions.tsv",
               "observables": "observables.tsv", "measurements": "measurements.tsv",
               "parameters": "parameters.tsv"}


# ----------------------------------------------------------------------------- reading
class _ErrorCollector(logging.Handler):
    """Collects the error messages the PEtab linter logs."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _one_line(exc: Exception) -> str:
    """An exception as ``Type: message`` on one line."""
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"


def read_problem(yaml_path: str | os.PathLike) -> petab.Problem:
    """Read a PEtab v1 problem with an SBML model (no checks beyond reading).

    Raises
    ------
    JakstatInputError
        If the file is missing, cannot be read, is not PEtab v1 (PEtab v2 is
        not supported yet), or has no SBML model.
    """
    path = Path(yaml_path)
    if not path.is_file():
        raise JakstatInputError(f"PEtab problem file {str(path)!r} not found; "
                                f"expected a PEtab v1 YAML file")
    try:
        major = get_major_version(str(path))
    except Exception as exc:  # unreadable YAML or no format_version
        raise JakstatInputError(
            f"PEtab problem {str(path)!r} could not be read ({_one_line(exc)}); "
            f"expected a PEtab v1 YAML file with format_version 1") from None
    if major != 1:
        raise JakstatInputError(
            f"PEtab problem {str(path)!r} is PEtab v{major}: PEtab v{major} is not "
            f"supported yet; expected a PEtab v1 problem (format_version 1)")
    try:
        problem = petab.Problem.from_yaml(str(path))
    except Exception as exc:  # libpetab raises many types for damaged tables
        raise JakstatInputError(
            f"PEtab problem {str(path)!r} could not be read "
            f"({_one_line(exc)}); expected a PEtab v1 YAML file "
            f"with SBML model and TSV tables") from None
    if problem.model is None or problem.model.type_id != MODEL_TYPE_SBML:
        raise JakstatInputError(f"PEtab problem {str(path)!r} has no SBML "
                                f"model; expected an SBML model")
    return problem


def lint_or_raise(problem: petab.Problem | str | os.PathLike, name: str | None = None) -> None:
    """Run the PEtab v1 linter and raise on any error.

    Parameters
    ----------
    problem
        A :class:`petab.v1.Problem` or the path of its YAML file.
    name
        How the problem is named in messages (default: its path).

    Raises
    ------
    JakstatInputError
        If the linter reports errors; the message lists the first five.
    """
    if isinstance(problem, (str, os.PathLike)):
        name = name or str(problem)
        problem = read_problem(problem)
    name = name or "problem"
    handler = _ErrorCollector()
    logger = logging.getLogger("petab")
    logger.addHandler(handler)
    try:
        failed = petab.lint_problem(problem)
    except Exception as exc:  # the linter itself choked on the tables
        raise JakstatInputError(
            f"PEtab problem {name!r} could not be checked by the PEtab linter "
            f"({type(exc).__name__}: {exc}); expected a valid PEtab v1 problem"
        ) from None
    finally:
        logger.removeHandler(handler)
    if failed:
        detail = "; ".join(handler.messages[:5]) or "see log"
        raise JakstatInputError(
            f"PEtab problem {name!r} fails the PEtab linter: {detail}; "
            f"expected a problem that passes petablint")


def check_supported(problem: petab.Problem, name: str = "problem") -> None:
    """Refuse what this calibrator does not support.

    Raises
    ------
    JakstatInputError
        On a nominal value outside its bounds, bounds that are not finite or
        leave no room (``lowerBound >= upperBound``), a fixed parameter
        without a finite nominal value, a measurement at a negative or
        undefined time, a measurement that is not a finite number, or a
        mapping table (objective priors are supported:
        :mod:`jakstat_rules.calibrate.priors`).
    """
    _check_measurements(problem.measurement_df, name)
    pdf = problem.parameter_df
    for pid, row in pdf.iterrows():
        if int(row[C.ESTIMATE]) != 1:
            nominal = pd.to_numeric(pd.Series([row.get(C.NOMINAL_VALUE, math.nan)]),
                                    errors="coerce").iloc[0]
            if not math.isfinite(nominal):
                raise JakstatInputError(
                    f"parameter {pid!r} in {name!r} is fixed (estimate 0) with nominal value "
                    f"{row.get(C.NOMINAL_VALUE, math.nan)}: expected a finite number")
            continue
        lb, ub = float(row[C.LOWER_BOUND]), float(row[C.UPPER_BOUND])
        if not (math.isfinite(lb) and math.isfinite(ub) and lb < ub):
            raise JakstatInputError(
                f"parameter {pid!r} in {name!r} is estimated within [{lb!r}, {ub!r}]: "
                f"expected finite bounds with {C.LOWER_BOUND} < {C.UPPER_BOUND} (fix a "
                f"parameter with {C.ESTIMATE} 0 and its {C.NOMINAL_VALUE})")
        nominal = row.get(C.NOMINAL_VALUE, math.nan)
        if pd.notna(nominal) and not lb <= float(nominal) <= ub:
            raise JakstatInputError(
                f"parameter {pid!r} in {name!r}: nominal value {nominal!r} "
                f"lies outside its bounds [{lb!r}, {ub!r}]; expected "
                f"{C.LOWER_BOUND} <= {C.NOMINAL_VALUE} <= {C.UPPER_BOUND}")
    if problem.mapping_df is not None and len(problem.mapping_df):
        raise JakstatInputError(f"{name!r} has a mapping table; mapping "
                                f"tables are not supported, expected none")


def _check_measurements(measurement_df: pd.DataFrame, name: str) -> None:
    """Refuse measurement times below 0 or undefined (``inf``, a steady state, is
    allowed) and measured values that are not finite numbers."""
    for column, what in ((C.TIME, "a time >= 0 (or inf for a steady state)"),
                         (C.MEASUREMENT, "a finite number")):
        values = pd.to_numeric(measurement_df[column], errors="coerce")
        bad = values.isna() | (values < 0) if column == C.TIME else ~values.map(
            lambda v: math.isfinite(v) if pd.notna(v) else False).astype(bool)
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise JakstatInputError(
                f"measurement table of {name!r}, row {row + 1}: {column} "
                f"{measurement_df[column].iloc[row]}: expected {what}")


def load_problem(yaml_path: str | os.PathLike, *, lint: bool = True) -> petab.Problem:
    """Read a PEtab v1 problem with an SBML model and check it.

    Parameters
    ----------
    yaml_path
        The problem's YAML file.
    lint
        Run the PEtab linter (default).

    Returns
    -------
    petab.v1.Problem
        The problem.

    Raises
    ------
    JakstatInputError
        Missing or unreadable files, linter errors, or features this
        calibrator does not support (see :func:`check_supported`).
    """
    problem = read_problem(yaml_path)
    if lint:
        lint_or_raise(problem, str(yaml_path))
    check_supported(problem, str(yaml_path))
    return problem


# ----------------------------------------------------------------------------- payload
def problem_hash(sbml: str, *tables: pd.DataFrame) -> str:
    """SHA-256 of the SBML text and the PEtab tables (first 16 hex digits)."""
    h = hashlib.sha256(sbml.encode())
    for t in tables:
        h.update(t.to_csv(sep="\t", float_format="%.17g").encode())
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class ProblemPayload:
    """Everything a worker needs to rebuild a problem (picklable).

    Attributes
    ----------
    sbml
        The SBML document as a string.
    condition_df, measurement_df, observable_df, parameter_df
        The PEtab tables.
    hash
        :func:`problem_hash` of the above.
    """

    sbml: str
    condition_df: pd.DataFrame
    measurement_df: pd.DataFrame
    observable_df: pd.DataFrame
    parameter_df: pd.DataFrame
    hash: str

    @classmethod
    def from_problem(cls, problem: petab.Problem) -> "ProblemPayload":
        """The payload of a :class:`petab.v1.Problem` with an SBML model."""
        sbml = problem.model.to_sbml_str()
        tables = (problem.condition_df, problem.measurement_df,
                  problem.observable_df, problem.parameter_df)
        return cls(sbml, *[t.copy() for t in tables], hash=problem_hash(sbml, *tables))

    def with_parameter_df(self, parameter_df: pd.DataFrame) -> "ProblemPayload":
        """The same problem with another parameter table (and its own hash)."""
        return replace(self, parameter_df=parameter_df.copy(),
                       hash=problem_hash(self.sbml, self.condition_df, self.measurement_df,
                                         self.observable_df, parameter_df))

    def sbml_model(self) -> "SbmlModel":
        """The SBML model as libpetab's :class:`~petab.v1.models.sbml_model.SbmlModel`."""

        return SbmlModel.from_string(self.sbml)


# ----------------------------------------------------------------------------- writing
def write_problem_yaml(folder: str | os.PathLike) -> Path:
    """Write ``problem.yaml`` for a folder holding the files of :data:`TABLE_FILES`.

    Returns
    -------
    pathlib.Path
        The YAML file.
    """
    import yaml

    config = {
        C.PARAMETER_FILE: TABLE_FILES["parameters"],
        C.FORMAT_VERSION: 1,
        C.PROBLEMS: [{
            C.CONDITION_FILES: [TABLE_FILES["conditions"]],
            C.MEASUREMENT_FILES: [TABLE_FILES["measurements"]],
            C.SBML_FILES: [TABLE_FILES["model"]],
            C.OBSERVABLE_FILES: [TABLE_FILES["observables"]],
        }],
    }
    path = Path(folder) / "problem.yaml"
    atomic_write(path, yaml.safe_dump(config, default_flow_style=False, sort_keys=False))
    return path


def write_problem(folder: str | os.PathLike, sbml: str, condition_df: pd.DataFrame,
                  observable_df: pd.DataFrame, measurement_df: pd.DataFrame,
                  parameter_df: pd.DataFrame) -> Path:
    """Write a PEtab v1 problem folder atomically, file by file.

    Parameters
    ----------
    folder
        Output folder (created).
    sbml
        The SBML model as text (written as ``model.xml``).
    condition_df, observable_df, parameter_df
        Tables indexed by ``conditionId``, ``observableId``, ``parameterId``.
    measurement_df
        The measurement table (its index is not written).

    Returns
    -------
    pathlib.Path
        The ``problem.yaml`` file.
    """
    folder = Path(folder)
    atomic_write(folder / TABLE_FILES["model"], sbml)
    for key, table, index in (("conditions", condition_df, True),
                              ("observables", observable_df, True),
                              ("measurements", measurement_df, False),
                              ("parameters", parameter_df, True)):
        atomic_write(folder / TABLE_FILES[key], table.to_csv(sep="\t", index=index))
    return write_problem_yaml(folder)
