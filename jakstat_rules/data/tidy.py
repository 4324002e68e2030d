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

One concern a module: :mod:`.units` (input columns and their units),
:mod:`.reading` (rows -> :class:`TidyTable`), :mod:`.sbml_facts` (what the
model offers), :mod:`.design` (the PEtab tables); this module lints and
writes the problems, and re-exports the importer's public names.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable, Mapping

from jakstat_rules.errors import JakstatInputError
from jakstat_rules.io import check_output_dir, write_json
from jakstat_rules.petab_io import check_supported, lint_or_raise, write_problem
from jakstat_rules.petab_versions import convert_to_v2

# the importer's parts, one concern a module; this module writes and is the public face
from .design import (BASELINE_FRACTION, DEFAULT_DECADES, ESTIMATED_PARAMETERS,
                     MEASUREMENTS_PER_PARAMETER, Baseline, BuiltProblem, ImportOptions,
                     baseline_check, build_problems)
from .reading import DEFAULT_READOUT, Measurement, TidyTable, read_table, table_from_records
from .sbml_facts import check_model
from .study import STUDY_FILE
from .units import MOLAR_MASSES, InputColumn

__all__ = [
    "ESTIMATED_PARAMETERS", "DEFAULT_DECADES", "DEFAULT_READOUT", "MOLAR_MASSES",
    "BASELINE_FRACTION", "MEASUREMENTS_PER_PARAMETER",
    "ImportOptions", "TidyTable", "Measurement", "InputColumn", "BuiltProblem", "Baseline",
    "read_table", "table_from_records", "baseline_check", "build_problems", "check_model",
    "lint_problems", "write_problems", "import_table",
]

def lint_problems(problems: Mapping[str, BuiltProblem], out: str | os.PathLike) -> None:
    """Run the PEtab linter on every problem (raises on the first failure)."""
    for name, built in problems.items():
        where = f"{name} problem for {str(Path(out) / name)!r}"
        lint_or_raise(built.problem, where)
        check_supported(built.problem, where)


def write_problems(problems: Mapping[str, BuiltProblem], out: str | os.PathLike,
                   study: Mapping[str, Any] | None = None,
                   petab_version: int = 1) -> dict[str, Path]:
    """Write each problem to ``OUT/<name>/`` (model.xml, four tables, problem.yaml).

    Every output folder is checked before the first file is written; files
    are written atomically (:func:`jakstat_rules.petab_io.write_problem`).
    With ``petab_version`` 2 each problem is written as PEtab v1 into a
    temporary folder and converted (:func:`jakstat_rules.petab_versions.convert_to_v2`:
    the same likelihood, experiments instead of condition pairs, an
    experiment table added).
    A non-empty ``study`` (:func:`jakstat_rules.data.study.study_record`: organism,
    cell type) is written next to each ``problem.yaml`` as ``study.json``.
    """
    if petab_version not in (1, 2):
        raise JakstatInputError(f"PEtab version {petab_version!r}: expected 1 or 2")
    out = Path(out)
    for name in problems:
        check_output_dir(out / name)
    result = {}
    for name, built in problems.items():
        p = built.problem
        if petab_version == 1:
            result[name] = write_problem(out / name, built.sbml, p.condition_df,
                                         p.observable_df, p.measurement_df, p.parameter_df)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                v1 = write_problem(Path(tmp) / name, built.sbml, p.condition_df,
                                   p.observable_df, p.measurement_df, p.parameter_df)
                result[name] = convert_to_v2(v1, out / name)
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
                 study: Mapping[str, Any] | None = None,
                 petab_version: int = 1) -> dict[str, Path]:
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
    petab_version
        1 (PEtab v1) or 2 (PEtab v2, see :func:`write_problems`).

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
    return _write_whole(problems, out, study, petab_version)


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
                 study: Mapping[str, Any] | None = None,
                 petab_version: int = 1) -> dict[str, Path]:
    """Write the problems into a staging folder beside ``out``, then rename it to ``out``:
    the output appears whole or not at all (a failure or a full disk removes the
    staging folder; one left by a killed import is removed by the next import)."""
    _remove_stale_staging(out)
    staging = out.parent / f".{out.name}.import-{os.getpid()}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        written = write_problems(problems, staging, study, petab_version)
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
