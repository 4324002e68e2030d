"""Kirby et al. (2021) phospho-STAT1 data and the PEtab problems built from them.

The data are phospho-flow cytometry time courses of pY701-STAT1 in mouse
splenocytes after IFN-alpha or IFN-beta (Kirby D et al., Front Immunol 2021,
doi:10.3389/fimmu.2021.748423, MIT licence).  They ship with the package
(``jakstat_rules/data/kirby2021``, :func:`jakstat_rules.data.kirby2021_dir`);
``--data`` or ``$JAKSTAT_DATA`` read another copy.  They become two PEtab v1
problems:

* ``train``: B cells, experiments 20190108, 20190119, 20190121;
* ``validation``: B cells, experiment 20190214 (never used for fitting).

This module is a thin layer over the tidy-table importer
(:mod:`jakstat_rules.data.tidy`): :func:`kirby_table` converts the files to
the tidy table (``experiment``, ``IFNa_M``, ``IFNb_M``, ``time_min``,
``value``; messages still name the Kirby file and line) and
:func:`write_kirby_petab` builds and writes the problems through the same
code as ``jakstat data import``, with the Kirby observable, parameter names
and observation bounds (:data:`KIRBY_OPTIONS`).

Problem design (see ``docs/calibration.md`` for the justification):

* observable ``pSTAT1_B = scale_<experiment> * pSTAT1_total``: one
  fluorescence-per-molecule scale factor per experiment, no offset (the data
  are background subtracted and the signal is zero at t = 0);
* additive normal noise with one ``sigma_<experiment>`` per experiment;
* the model parameters in :data:`ESTIMATED_PARAMETERS` on log10 scale, with
  bounds a fixed number of decades around the model's nominal (literature)
  value; everything else stays at the model's value.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import pandas as pd

from jakstat_rules.data import kirby2021_dir
from jakstat_rules.data.study import study_record
from jakstat_rules.data.tidy import (ESTIMATED_PARAMETERS, ImportOptions, TidyTable,
                                     build_problems, check_model, lint_problems, read_sbml,
                                     table_from_records, write_problems)
from jakstat_rules.errors import JakstatInputError
from jakstat_rules.io import check_output_dir

__all__ = [
    "ESTIMATED_PARAMETERS",
    "TRAIN_EXPERIMENTS",
    "VALIDATION_EXPERIMENTS",
    "DATA_ENV_VAR",
    "default_data_dir",
    "read_kirby_csv",
    "load_kirby",
    "kirby_table",
    "kirby_options",
    "write_kirby_petab",
]

#: :data:`ESTIMATED_PARAMETERS` (imported from :mod:`jakstat_rules.data.tidy`,
#: the default of every import) are the model parameters estimated from the
#: Kirby data: id -> half-width of the search interval in decades.

#: Experiments used for training and for validation.
TRAIN_EXPERIMENTS: tuple[str, ...] = ("20190108", "20190119", "20190121")
VALIDATION_EXPERIMENTS: tuple[str, ...] = ("20190214",)

#: Environment variable that overrides the default data folder.
DATA_ENV_VAR = "JAKSTAT_DATA"

# Model contract: ids the SBML model must provide.
DOSE_PARAMETERS = {"IFN-alpha": "IFNa_pM", "IFN-beta": "IFNb_pM"}
READOUT = "pSTAT1_total"

# Bounds (linear) of the observation parameters, see docs/calibration.md.
SCALE_BOUNDS = (1e-4, 1e2)  # MFI per pSTAT1 molecule
SCALE_NOMINAL = 0.1
SIGMA_BOUNDS = (1.0, 1e3)  # MFI
SIGMA_NOMINAL = 50.0

# Columns of the 2019 csv files.
COL_INDEX = ""
COL_WELL = "Well"
COL_CONC = "Concentration (Mol)"
COL_CYTOKINE = "Cytokine"
COL_TIME = "Time (min)"
CELL_COLUMNS = {
    "B cells": "pSTAT1 in B cells",
    "CD8+ T cells": "pSTAT1 in CD8+ T cells",
    "CD4+ T cells": "pSTAT1 in CD4+ T cells",
}
EXPECTED_COLUMNS = [COL_INDEX, COL_WELL, COL_CONC, COL_CYTOKINE, COL_TIME,
                    *CELL_COLUMNS.values()]
FILE_PATTERN = "{experiment}_pSTAT1_IFN.csv"



def default_data_dir() -> Path:
    """Return the data folder: ``$JAKSTAT_DATA``, else the copy shipped with the package.

    Returns
    -------
    pathlib.Path
        The folder holding the Kirby 2021 csv files
        (:func:`jakstat_rules.data.kirby2021_dir` unless ``$JAKSTAT_DATA`` is set).
    """
    env = os.environ.get(DATA_ENV_VAR)
    if env:
        return Path(env)
    return kirby2021_dir()


def _resolve_data_dir(data_dir: str | os.PathLike | None) -> Path:
    path = Path(data_dir) if data_dir is not None else default_data_dir()
    if not path.is_dir():
        raise JakstatInputError(
            f"data folder {str(path)!r} does not exist; expected a folder with "
            f"the Kirby 2021 files (set --data or ${DATA_ENV_VAR})")
    return path


def read_kirby_csv(path: str | os.PathLike) -> pd.DataFrame:
    """Read and validate one Kirby 2019 ``*_pSTAT1_IFN.csv`` file.

    Parameters
    ----------
    path
        The csv file.

    Returns
    -------
    pandas.DataFrame
        One row per well with columns ``well``, ``cytokine``, ``conc_M``,
        ``time_min`` and one column per cell type (keys of ``CELL_COLUMNS``).

    Raises
    ------
    JakstatInputError
        If the file is missing or unreadable, a column is missing or unknown,
        a time or dose is non-numeric or negative, a cytokine is unknown, or a
        fluorescence value is not a number.  The message names the file, the
        line and the value.
    """
    path = Path(path)
    if not path.is_file():
        raise JakstatInputError(
            f"data file {str(path)!r} not found; expected a Kirby 2021 "
            f"'<date>_pSTAT1_IFN.csv' file")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError,
            UnicodeDecodeError) as exc:
        raise JakstatInputError(
            f"data file {str(path)!r} is not a readable csv table ({exc}); "
            f"expected columns {EXPECTED_COLUMNS}") from None
    columns = ["" if c.startswith("Unnamed: ") else c for c in raw.columns]
    raw.columns = columns
    missing = [c for c in EXPECTED_COLUMNS if c not in columns]
    unknown = [c for c in columns if c not in EXPECTED_COLUMNS]
    if missing or unknown:
        raise JakstatInputError(
            f"data file {str(path)!r}: missing columns {missing}, unknown "
            f"columns {unknown}; expected exactly {EXPECTED_COLUMNS}")
    if raw.empty:
        raise JakstatInputError(f"data file {str(path)!r} has no rows; "
                                f"expected one row per well")

    def number(col: str, i: int, nonneg: bool) -> float:
        text = raw.at[i, col].strip()
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        line = i + 2  # header is line 1
        if not math.isfinite(value):
            raise JakstatInputError(
                f"data file {str(path)!r}, line {line}, column {col!r}: value "
                f"{text!r} is not a number; expected a finite number")
        if nonneg and value < 0:
            raise JakstatInputError(
                f"data file {str(path)!r}, line {line}, column {col!r}: value "
                f"{text!r} is negative; expected a value >= 0")
        return value

    rows = []
    for i in range(len(raw)):
        cytokine = raw.at[i, COL_CYTOKINE].strip()
        if cytokine not in DOSE_PARAMETERS:
            raise JakstatInputError(
                f"data file {str(path)!r}, line {i + 2}, column "
                f"{COL_CYTOKINE!r}: unknown cytokine {cytokine!r}; expected "
                f"one of {sorted(DOSE_PARAMETERS)}")
        row = {
            "well": raw.at[i, COL_WELL].strip(),
            "cytokine": cytokine,
            "conc_M": number(COL_CONC, i, True),
            "time_min": number(COL_TIME, i, True),
        }
        for cell, col in CELL_COLUMNS.items():
            row[cell] = number(col, i, False)
        rows.append(row)
    return pd.DataFrame(rows)


def load_kirby(data_dir: str | os.PathLike | None = None,
               experiments: tuple[str, ...] | list[str] = TRAIN_EXPERIMENTS
               + VALIDATION_EXPERIMENTS) -> pd.DataFrame:
    """Load several Kirby 2019 experiments into one long table.

    Parameters
    ----------
    data_dir
        Data folder; default :func:`default_data_dir`.
    experiments
        Experiment dates, e.g. ``("20190108",)``.

    Returns
    -------
    pandas.DataFrame
        Rows of :func:`read_kirby_csv` with an added ``experiment`` column.
    """
    folder = _resolve_data_dir(data_dir)
    frames = []
    for exp in experiments:
        df = read_kirby_csv(folder / FILE_PATTERN.format(experiment=exp))
        df.insert(0, "experiment", str(exp))
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


#: Columns of the tidy table the Kirby files are converted to.
TIDY_HEADER = ["experiment", "IFNa_M", "IFNb_M", "time_min", "value"]


def kirby_table(data_dir: str | os.PathLike | None = None,
                experiments: tuple[str, ...] | list[str] = TRAIN_EXPERIMENTS
                + VALIDATION_EXPERIMENTS, cell_type: str = "B cells") -> TidyTable:
    """The Kirby experiments as a validated tidy table (one row per well).

    Each file is read and checked by :func:`read_kirby_csv`; its rows become
    rows of the tidy table (``experiment``, ``IFNa_M``, ``IFNb_M``,
    ``time_min``, ``value`` = the ``cell_type`` column) that remember their
    file and line, so the tidy checks (duplicates, undosed experiments) name
    the Kirby file.

    Parameters
    ----------
    data_dir
        Data folder; default :func:`default_data_dir`.
    experiments
        Experiment dates.
    cell_type
        One of the keys of :data:`CELL_COLUMNS`.

    Returns
    -------
    jakstat_rules.data.tidy.TidyTable
    """
    if cell_type not in CELL_COLUMNS:
        raise JakstatInputError(f"cell type {cell_type!r} unknown; expected "
                                f"one of {sorted(CELL_COLUMNS)}")
    folder = _resolve_data_dir(data_dir)
    records = []
    for exp in experiments:
        path = folder / FILE_PATTERN.format(experiment=exp)
        df = read_kirby_csv(path)
        for i in range(len(df)):
            conc = float(df.at[i, "conc_M"])
            alpha = df.at[i, "cytokine"] == "IFN-alpha"
            records.append((str(path), i + 2, [
                str(exp), conc if alpha else 0.0, 0.0 if alpha else conc,
                float(df.at[i, "time_min"]), float(df.at[i, cell_type])]))
    return table_from_records(TIDY_HEADER, records, name=str(folder))


def kirby_options(estimated: dict[str, float] | None = None,
                  cell_type: str = "B cells") -> ImportOptions:
    """The import options of the Kirby problems (no offset; observable, names, bounds in MFI).

    Parameters
    ----------
    estimated
        Estimated model parameters (id -> decades); default :data:`ESTIMATED_PARAMETERS`.
    cell_type
        Names the observable (``pSTAT1_B`` for ``"B cells"``).
    """
    obs_id = "pSTAT1_" + cell_type.split()[0].replace("+", "")
    return ImportOptions(
        estimate=dict(ESTIMATED_PARAMETERS if estimated is None else estimated),
        validate=VALIDATION_EXPERIMENTS, offset=False,
        observables={READOUT: (obs_id, f"pY701-STAT1 MFI in {cell_type}")},
        parameter_names={"scale": "MFI per pSTAT1 molecule, {experiment}",
                         "sigma": "noise SD (MFI), {experiment}"},
        scale_bounds=SCALE_BOUNDS, scale_nominal=SCALE_NOMINAL,
        sigma_bounds=SIGMA_BOUNDS, sigma_nominal=SIGMA_NOMINAL)


def write_kirby_petab(data_dir: str | os.PathLike | None,
                      out_dir: str | os.PathLike,
                      sbml_path: str | os.PathLike | None = None,
                      *,
                      estimated: dict[str, float] | None = None,
                      cell_type: str = "B cells",
                      petab_version: int = 1) -> dict[str, Path]:
    """Write the Kirby 2021 training and validation PEtab problems.

    The files are converted to the tidy table (:func:`kirby_table`) and
    written by the tidy importer (:mod:`jakstat_rules.data.tidy`).  Every
    input is read and both problems are built and linted before the first
    file is written, so bad data (in either set) or a bad output folder
    leaves nothing behind.

    Parameters
    ----------
    data_dir
        Folder with the csv files; ``None`` means :func:`default_data_dir`
        (``$JAKSTAT_DATA``, else the copy shipped with the package).
    out_dir
        Output folder; ``OUT/train/problem.yaml`` and
        ``OUT/validation/problem.yaml`` are written, each next to a copy of
        the SBML model, its condition, observable, measurement and
        parameter tables and ``study.json`` (Mus musculus, the cell type).
    sbml_path
        The model (default: the exported SBML of the default variant,
        :func:`jakstat_rules.artifacts.model_sbml`, the text of
        ``sbml/jakstat_ifn.xml``).  It must define global parameters
        ``IFNa_pM`` and ``IFNb_pM`` (dose in pM), a quantity ``pSTAT1_total``
        (molecules per cell), use minutes and rest at steady state without
        ligand.
    estimated
        Estimated model parameters: id -> half-width of the log10 search
        interval in decades around the model value.  Default
        :data:`ESTIMATED_PARAMETERS`.
    cell_type
        One of ``"B cells"``, ``"CD8+ T cells"``, ``"CD4+ T cells"``.
    petab_version
        1 (PEtab v1) or 2 (PEtab v2: :func:`jakstat_rules.data.tidy.write_problems`).

    Returns
    -------
    dict
        ``{"train": path, "validation": path}`` of the two YAML files.

    Raises
    ------
    JakstatInputError
        Bad data files, an SBML model lacking the contract ids or a listed
        parameter, a problem that fails the PEtab linter, or an output
        folder that is a file or cannot be written.
    """
    if cell_type not in CELL_COLUMNS:
        raise JakstatInputError(f"cell type {cell_type!r} unknown; expected "
                                f"one of {sorted(CELL_COLUMNS)}")
    out = Path(out_dir)
    if out.exists():  # a file or a read-only folder fails before any work
        check_output_dir(out)
    if sbml_path is not None:
        sbml_text, sbml_name = read_sbml(sbml_path), str(sbml_path)
    else:
        from jakstat_rules.artifacts import model_sbml

        sbml_text, sbml_name = model_sbml("default"), "exported model of variant 'default'"
    check_model(sbml_text, sbml_name, DOSE_PARAMETERS.values(), [READOUT])
    table = kirby_table(data_dir, TRAIN_EXPERIMENTS + VALIDATION_EXPERIMENTS, cell_type)
    problems = build_problems(table, kirby_options(estimated, cell_type), sbml=sbml_text,
                              sbml_name=sbml_name)
    lint_problems(problems, out)
    # mouse splenocytes (README.md of the data); "B cells" -> "B cell"
    return write_problems(problems, out, study_record("mouse", cell_type.removesuffix("s")),
                          petab_version)
