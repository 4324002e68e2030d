"""PEtab problems in and out: reading, the linter, supported features, hash, writing.

* :func:`load_problem` reads a PEtab v1 problem with :mod:`petab.v1` or a
  PEtab v2 problem with :class:`petab.v2.Problem` (YAML, SBML or PySB
  model, TSV tables), runs the PEtab linter of its version
  (:func:`lint_or_raise`) and refuses features this calibrator does not
  support (:func:`check_supported`: v1 mapping tables, a v1 nominal value
  outside its bounds; :func:`read_problem`: several models).  Every failure is a
  :class:`~jakstat_rules.errors.JakstatInputError` naming the file and what
  was expected.
* :class:`ProblemPayload` is everything a worker process needs to rebuild
  the problem (SBML text and the tables; for PEtab v2 also the model-less
  :class:`petab.v2.Problem` with its experiments and mapping table),
  identified by :func:`problem_hash`, which also keys resumable result
  folders.  A PySB model file is loaded with PySB, its network generated
  and exported to SBML by the project's own path
  (:mod:`jakstat_rules.pysb_models`).
* :func:`write_problem` writes a problem folder (``model.xml``, the four
  tables, ``problem.yaml``) atomically through :mod:`jakstat_rules.io`.

Conversions between PEtab v1 and v2 are in :mod:`jakstat_rules.petab_versions`.

Column names are libpetab's constants (:mod:`petab.v1.C`).
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Mapping

import pandas as pd
import petab.v1 as petab
import petab.v2 as petab2
from petab.v1 import C
from petab.v1.models import MODEL_TYPE_PYSB, MODEL_TYPE_SBML
from petab.v1.models.sbml_model import SbmlModel
from petab.v1.yaml import create_problem_yaml
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


def read_problem(yaml_path: str | os.PathLike) -> petab.Problem | petab2.Problem:
    """Read a PEtab v1 problem with an SBML model, or a PEtab v2 problem with
    an SBML or PySB model (no checks beyond reading).

    Raises
    ------
    JakstatInputError
        If the file is missing, cannot be read, is neither PEtab v1 nor v2,
        or has no supported model.
    """
    path = Path(yaml_path)
    if not path.is_file():
        raise JakstatInputError(f"PEtab problem file {str(path)!r} not found; "
                                f"expected a PEtab v1 or v2 YAML file")
    try:
        major = get_major_version(str(path))
    except Exception as exc:  # unreadable YAML or no format_version
        raise JakstatInputError(
            f"PEtab problem {str(path)!r} could not be read ({_one_line(exc)}); "
            f"expected a PEtab YAML file with format_version 1 or 2") from None
    if major == 2:
        return _read_v2(path)
    if major != 1:
        raise JakstatInputError(
            f"PEtab problem {str(path)!r} is PEtab v{major}, which is not supported; "
            f"expected PEtab v1 or v2 (format_version 1 or 2.0.0)")
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


def _read_v2(path: Path) -> petab2.Problem:
    """Read a PEtab v2 problem with libpetab's v2 API."""
    try:
        problem = petab2.Problem.from_yaml(str(path))
    except Exception as exc:  # libpetab raises many types for damaged tables
        raise JakstatInputError(
            f"PEtab problem {str(path)!r} could not be read ({_one_line(exc)}); "
            f"expected a PEtab v2 YAML file with an SBML or PySB model and TSV tables") from None
    if len(problem.models) != 1 or problem.model.type_id not in (MODEL_TYPE_SBML, MODEL_TYPE_PYSB):
        kinds = [m.type_id for m in problem.models]
        raise JakstatInputError(f"PEtab problem {str(path)!r} has models {kinds}; expected "
                                f"one SBML or PySB model")
    return problem


def _lint_v2(problem: petab2.Problem, name: str) -> None:
    """Run libpetab's PEtab v2 validation and raise on any error."""
    try:
        issues = problem.validate()
    except Exception as exc:  # the validator itself choked on the tables
        raise JakstatInputError(
            f"PEtab problem {name!r} could not be checked by the PEtab v2 linter "
            f"({_one_line(exc)}); expected a valid PEtab v2 problem") from None
    if issues.has_errors():
        errors = [i.message for i in issues
                  if i.level >= petab2.lint.ValidationIssueSeverity.ERROR]
        raise JakstatInputError(f"PEtab problem {name!r} fails the PEtab v2 linter: "
                                f"{'; '.join(errors[:5])}; expected a problem that passes "
                                f"petablint")


def lint_or_raise(problem: petab.Problem | petab2.Problem | str | os.PathLike,
                  name: str | None = None) -> None:
    """Run the PEtab linter of the problem's version and raise on any error.

    Parameters
    ----------
    problem
        A :class:`petab.v1.Problem`, a :class:`petab.v2.Problem` or the path
        of its YAML file.
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
    if isinstance(problem, petab2.Problem):
        return _lint_v2(problem, name)
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


def check_supported(problem: petab.Problem | petab2.Problem, name: str = "problem") -> None:
    """Refuse what this calibrator does not support.

    Raises
    ------
    JakstatInputError
        On a PEtab v1 problem: a nominal value outside its bounds, bounds that
        are not finite or leave no room (``lowerBound >= upperBound``), a fixed
        parameter without a finite nominal value, a measurement at a negative
        or undefined time, a measurement that is not a finite number, or a
        mapping table (objective priors are supported:
        :mod:`jakstat_rules.calibrate.priors`).  PEtab v2 problems are checked
        by libpetab's v2 validation when they are read.
    """
    if isinstance(problem, petab2.Problem):
        return  # PEtab v2 lets nominal values lie outside the bounds (test suite case 0026)
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


def load_problem(yaml_path: str | os.PathLike, *, lint: bool = True
                 ) -> petab.Problem | petab2.Problem:
    """Read a PEtab v1 or v2 problem (see :func:`read_problem`) and check it.

    Parameters
    ----------
    yaml_path
        The problem's YAML file.
    lint
        Run the PEtab linter (default).

    Returns
    -------
    petab.v1.Problem or petab.v2.Problem
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
    """SHA-256 of the SBML text and the PEtab tables (first 16 hex digits; None skipped)."""
    h = hashlib.sha256(sbml.encode())
    for t in tables:
        if t is None:
            continue
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
        The PEtab tables (for PEtab v2, libpetab's v2 tables; the parameter
        table with ``estimate`` as 0/1).
    hash
        :func:`problem_hash` of the above.
    v2
        For PEtab v2, the problem without its model (conditions, experiments,
        observables, measurements, parameters and mapping as libpetab's v2
        objects); None for PEtab v1.
    aliases
        PEtab v2 mapping table: PEtab id -> SBML id of the model entity it stands for.
    """

    sbml: str
    condition_df: pd.DataFrame
    measurement_df: pd.DataFrame
    observable_df: pd.DataFrame
    parameter_df: pd.DataFrame
    hash: str
    v2: petab2.Problem | None = None
    aliases: tuple[tuple[str, str], ...] = ()

    @property
    def version(self) -> int:
        """The PEtab major version of the problem."""
        return 1 if self.v2 is None else 2

    @classmethod
    def from_problem(cls, problem: petab.Problem | petab2.Problem) -> "ProblemPayload":
        """The payload of a PEtab v1 problem with an SBML model or a PEtab v2
        problem with an SBML or PySB model."""
        if isinstance(problem, petab2.Problem):
            return cls._from_v2(problem)
        sbml = problem.model.to_sbml_str()
        tables = (problem.condition_df, problem.measurement_df,
                  problem.observable_df, problem.parameter_df)
        return cls(sbml, *[t.copy() for t in tables], hash=problem_hash(sbml, *tables))

    @classmethod
    def _from_v2(cls, problem: petab2.Problem) -> "ProblemPayload":
        aliases = {m.petab_id: m.model_id for m in problem.mappings
                   if m.model_id is not None and m.model_id != m.petab_id}
        if problem.model.type_id == MODEL_TYPE_PYSB:
            from .pysb_models import pysb_to_sbml

            sbml, aliases = pysb_to_sbml(problem.model, aliases)
        else:
            sbml = problem.model.to_sbml_str()
        sbml = _with_output_targets(sbml, problem, aliases)
        bare = petab2.Problem(
            condition_tables=problem.condition_tables,
            experiment_tables=problem.experiment_tables,
            observable_tables=problem.observable_tables,
            measurement_tables=problem.measurement_tables,
            parameter_tables=problem.parameter_tables,
            mapping_tables=problem.mapping_tables, config=problem.config)
        mdf = _written_measurements(problem)
        pdf = problem.parameter_df.drop(columns="index", errors="ignore")
        pdf[C.ESTIMATE] = [int(par.estimate) for par in problem.parameters]
        tables = (problem.condition_df, mdf, problem.observable_df, pdf,
                  problem.experiment_df, problem.mapping_df)
        return cls(sbml, *tables[:4], hash=problem_hash(sbml, *tables), v2=bare,
                   aliases=tuple(sorted(aliases.items())))

    def with_parameter_df(self, parameter_df: pd.DataFrame) -> "ProblemPayload":
        """The same problem with another parameter table (and its own hash)."""
        extra = ((self.v2.experiment_df, self.v2.mapping_df, pd.Series(dict(self.aliases)))
                 if self.v2 is not None else ())
        return replace(self, parameter_df=parameter_df.copy(),
                       hash=problem_hash(self.sbml, self.condition_df, self.measurement_df,
                                         self.observable_df, parameter_df, *extra))

    def sbml_model(self) -> "SbmlModel":
        """The SBML model as libpetab's :class:`~petab.v1.models.sbml_model.SbmlModel`."""

        return SbmlModel.from_string(self.sbml)


def _with_output_targets(sbml: str, problem: petab2.Problem, aliases: Mapping[str, str]) -> str:
    """The SBML with a parameter for every condition target that is an output parameter.

    PEtab v2 allows a condition to target an output parameter, a symbol of an
    observable or noise formula that is neither a model entity nor in the
    parameter table (libpetab's ``CheckValidConditionTargets``; suite case
    v2.0.0/pysb 0005: ``offset_A``).  Such a target becomes a global
    parameter of the model, ``NaN`` until a condition sets it, so that it is
    set at period starts and read by the observables like any model parameter.
    """
    import libsbml

    targets = {change.target_id for condition in problem.conditions
               for change in condition.changes} - set(aliases)
    outputs = sorted(targets & set(problem.get_output_parameters()))
    if not outputs:
        return sbml
    document = libsbml.readSBMLFromString(sbml)
    model = document.getModel()
    added = False
    for pid in outputs:
        if model is None or model.getElementBySId(pid) is not None:
            continue
        parameter = model.createParameter()
        parameter.setId(pid)
        parameter.setValue(math.nan)
        parameter.setConstant(False)
        added = True
    return libsbml.writeSBMLToString(document) if added else sbml


def _written_measurements(problem: petab2.Problem) -> pd.DataFrame:
    """The measurement table of a PEtab v2 problem with the columns its files have
    (libpetab's table adds the optional ones)."""
    config = problem.config
    files = list(getattr(config, "measurement_files", None) or [])
    if files and getattr(config, "base_path", None) is not None:
        table = pd.concat([petab2.get_measurement_df(Path(config.base_path) / f) for f in files],
                          ignore_index=True)
        if len(table) == len(problem.measurements):
            return table
    table = problem.measurement_df.drop(columns="index", errors="ignore")
    return table.replace({None: math.nan, "": math.nan})


# ----------------------------------------------------------------------------- writing
def write_problem_yaml(folder: str | os.PathLike) -> Path:
    """Write ``problem.yaml`` for a folder holding the files of :data:`TABLE_FILES`
    (the YAML of libpetab's ``create_problem_yaml``).

    Returns
    -------
    pathlib.Path
        The YAML file.
    """
    with tempfile.TemporaryDirectory() as tmp:  # libpetab writes; our writer makes it atomic
        draft = Path(tmp) / "problem.yaml"
        create_problem_yaml(TABLE_FILES["model"], TABLE_FILES["conditions"],
                            TABLE_FILES["measurements"], TABLE_FILES["parameters"],
                            TABLE_FILES["observables"], draft, relative_paths=False)
        text = draft.read_text(encoding="utf-8")
    path = Path(folder) / "problem.yaml"
    atomic_write(path, text)
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

