"""Kirby et al. (2021) phospho-STAT1 data and the PEtab problems built from them.

The data are phospho-flow cytometry time courses of pY701-STAT1 in mouse
splenocytes after IFN-alpha or IFN-beta (Kirby D et al., Front Immunol 2021,
doi:10.3389/fimmu.2021.748423).  They are read in place from the shared data
folder (never copied into the project) and turned into two PEtab v1 problems:

* ``train``: B cells, experiments 20190108, 20190119, 20190121;
* ``validation``: B cells, experiment 20190214 (never used for fitting).

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
from dataclasses import dataclass
from pathlib import Path

import libsbml
import pandas as pd
from petab.v1 import C

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
    "write_kirby_petab",
]

#: Model parameters estimated from the Kirby data: id -> half-width of the
#: search interval in decades around the model's nominal value.  Kept small on
#: purpose: relative pSTAT1 time courses under two ligands at seven doses
#: constrain the ligand-specific receptor binding (IFNAR2 association of
#: IFN-alpha2 and IFN-beta: the dose position of the response), the STAT1
#: phosphorylation rate (rise time), and the three steps that end the signal
#: within the hour the data show: nuclear pSTAT1 dimer dissociation
#: (``kr_pSTAT_dimer``), PTPN2 dephosphorylation and ligand-induced receptor
#: internalisation (``kint_complex``).  ``STAT1_0`` is deliberately NOT estimated: with one free
#: fluorescence scale per experiment it trades off against the scale.  Names
#: are those of ``sbml/jakstat_ifn.xml``; edit them when the model changes.
ESTIMATED_PARAMETERS: dict[str, float] = {
    "kon_IFNA2_IFNAR2": 2.0,
    "kon_IFNB1_IFNAR2": 2.0,
    "kcat_STAT_phos": 2.0,
    "kdp_PTPN2_pSTAT1": 2.0,
    "kr_pSTAT_dimer": 2.0,
    "kint_complex": 2.0,
}

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

_PROJECT_ROOT = Path(__file__).resolve().parents[2]


def default_data_dir() -> Path:
    """Return the data folder: ``$JAKSTAT_DATA`` or ``../shared/data/kirby2021``.

    Returns
    -------
    pathlib.Path
        The folder holding the Kirby 2021 csv files.  The default is relative
        to the project root.
    """
    env = os.environ.get(DATA_ENV_VAR)
    if env:
        return Path(env)
    return _PROJECT_ROOT.parent / "shared" / "data" / "kirby2021"


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


def _format_dose(pm: float) -> str:
    text = f"{pm:.6g}".replace(".", "p").replace("-", "m").replace("+", "")
    return text


def _condition_id(experiment: str, cytokine: str, conc_M: float) -> str:
    # one condition per experiment and dose: the observable parameters
    # (scale, sigma) are then constant within a condition, so tools without
    # time-point-specific overrides (AMICI, pyPESTO) read the problem as is
    ligand = "IFNa" if cytokine == "IFN-alpha" else "IFNb"
    return f"e{experiment}_{ligand}_{_format_dose(conc_M * 1e12)}pM"


@dataclass(frozen=True)
class _ModelFacts:
    """What the PEtab writer needs to know about the SBML model."""

    values: dict[str, float]
    rule_targets: set[str]
    initial_assignments: set[str]
    species: set[str]


def _model_facts(sbml_text: str, sbml_path: Path) -> _ModelFacts:
    doc = libsbml.readSBMLFromString(sbml_text)
    if doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR) or doc.getModel() is None:
        raise JakstatInputError(
            f"SBML file {str(sbml_path)!r} could not be read: "
            f"{doc.getErrorLog().toString().strip()[:300]}; expected a valid "
            f"SBML model")
    model = doc.getModel()
    return _ModelFacts(
        values={p.getId(): p.getValue() if p.isSetValue() else math.nan
                for p in model.getListOfParameters()},
        rule_targets={r.getVariable() for r in model.getListOfRules()},
        initial_assignments={a.getSymbol() for a in model.getListOfInitialAssignments()},
        species={s.getId() for s in model.getListOfSpecies()})


@dataclass(frozen=True)
class _Design:
    estimated: dict[str, float]
    cell_type: str


def _parameter_rows(design: _Design, facts: _ModelFacts, experiments,
                    sbml_path: Path) -> pd.DataFrame:
    rows = []
    for pid, decades in design.estimated.items():
        if pid not in facts.values:
            raise JakstatInputError(
                f"estimated parameter {pid!r} is not a global parameter of "
                f"SBML model {str(sbml_path)!r}; expected one of "
                f"{sorted(facts.values)}")
        if pid in facts.rule_targets or pid in facts.initial_assignments:
            raise JakstatInputError(
                f"estimated parameter {pid!r} is set by a rule or initial "
                f"assignment in {str(sbml_path)!r}; expected a free parameter")
        value = facts.values[pid]
        if not (math.isfinite(value) and value > 0):
            raise JakstatInputError(
                f"parameter {pid!r} has nominal value {value!r} in "
                f"{str(sbml_path)!r}; expected a positive number for a "
                f"log10-scaled estimate")
        if not (0 < decades <= 4):
            raise JakstatInputError(
                f"search width {decades!r} decades for {pid!r}; expected a "
                f"number in (0, 4]")
        rows.append({C.PARAMETER_ID: pid, C.PARAMETER_NAME: pid,
                     C.PARAMETER_SCALE: C.LOG10,
                     C.LOWER_BOUND: float(f"{value * 10 ** -decades:.6g}"),
                     C.UPPER_BOUND: float(f"{value * 10 ** decades:.6g}"),
                     C.NOMINAL_VALUE: value, C.ESTIMATE: 1})
    for exp in experiments:
        rows.append({C.PARAMETER_ID: f"scale_{exp}",
                     C.PARAMETER_NAME: f"MFI per pSTAT1 molecule, {exp}",
                     C.PARAMETER_SCALE: C.LOG10,
                     C.LOWER_BOUND: SCALE_BOUNDS[0], C.UPPER_BOUND: SCALE_BOUNDS[1],
                     C.NOMINAL_VALUE: SCALE_NOMINAL, C.ESTIMATE: 1})
        rows.append({C.PARAMETER_ID: f"sigma_{exp}",
                     C.PARAMETER_NAME: f"noise SD (MFI), {exp}",
                     C.PARAMETER_SCALE: C.LOG10,
                     C.LOWER_BOUND: SIGMA_BOUNDS[0], C.UPPER_BOUND: SIGMA_BOUNDS[1],
                     C.NOMINAL_VALUE: SIGMA_NOMINAL, C.ESTIMATE: 1})
    return pd.DataFrame(rows).set_index(C.PARAMETER_ID)


def _build_problem(data: pd.DataFrame, design: _Design, sbml_text: str,
                   sbml_path: Path, facts: _ModelFacts, experiments):
    """The PEtab problem (in memory) of one set of experiments."""
    import petab.v1 as petab
    from petab.v1.models.sbml_model import SbmlModel

    obs_id = "pSTAT1_" + design.cell_type.split()[0].replace("+", "")
    conds = (data[["experiment", "cytokine", "conc_M"]].drop_duplicates()
             .sort_values(["experiment", "cytokine", "conc_M"]))
    cond_rows = []
    for exp, cyt, conc in conds.itertuples(index=False):
        row = {C.CONDITION_ID: _condition_id(exp, cyt, conc),
               C.CONDITION_NAME: f"{cyt} {conc:g} M"}
        for c, pid in DOSE_PARAMETERS.items():
            row[pid] = conc * 1e12 if c == cyt else 0.0
        cond_rows.append(row)
    condition_df = pd.DataFrame(cond_rows).set_index(C.CONDITION_ID)

    observable_df = pd.DataFrame([{
        C.OBSERVABLE_ID: obs_id,
        C.OBSERVABLE_NAME: f"pY701-STAT1 MFI in {design.cell_type}",
        C.OBSERVABLE_FORMULA: f"observableParameter1_{obs_id} * {READOUT}",
        C.OBSERVABLE_TRANSFORMATION: C.LIN,
        C.NOISE_FORMULA: f"noiseParameter1_{obs_id}",
        C.NOISE_DISTRIBUTION: C.NORMAL,
    }]).set_index(C.OBSERVABLE_ID)

    meas = pd.DataFrame({
        C.OBSERVABLE_ID: obs_id,
        C.SIMULATION_CONDITION_ID: [_condition_id(e, c, x) for e, c, x in
                                    zip(data["experiment"], data["cytokine"],
                                        data["conc_M"])],
        C.MEASUREMENT: data[design.cell_type].to_numpy(float),
        C.TIME: data["time_min"].to_numpy(float),
        C.OBSERVABLE_PARAMETERS: ["scale_" + e for e in data["experiment"]],
        C.NOISE_PARAMETERS: ["sigma_" + e for e in data["experiment"]],
        C.DATASET_ID: [f"exp{e}_{'IFNa' if c == 'IFN-alpha' else 'IFNb'}"
                       for e, c in zip(data["experiment"], data["cytokine"])],
        C.REPLICATE_ID: ["exp" + e for e in data["experiment"]],
    })
    # sorted by condition: pyPESTO 0.7's roadrunner objective pairs
    # conditions with parameter mappings correctly only in sorted order
    meas = meas.sort_values([C.SIMULATION_CONDITION_ID, C.TIME], kind="stable")
    meas = meas.reset_index(drop=True)
    parameter_df = _parameter_rows(design, facts, experiments, sbml_path)
    return petab.Problem(model=SbmlModel.from_string(sbml_text), condition_df=condition_df,
                         measurement_df=meas, observable_df=observable_df,
                         parameter_df=parameter_df)


def write_kirby_petab(data_dir: str | os.PathLike | None,
                      out_dir: str | os.PathLike,
                      sbml_path: str | os.PathLike | None = None,
                      *,
                      estimated: dict[str, float] | None = None,
                      cell_type: str = "B cells") -> dict[str, Path]:
    """Write the Kirby 2021 training and validation PEtab v1 problems.

    Every input is read and both problems are built and linted before the
    first file is written, so bad data (in either set) or a bad output
    folder leaves nothing behind.

    Parameters
    ----------
    data_dir
        Folder with the csv files; ``None`` means :func:`default_data_dir`.
    out_dir
        Output folder; ``OUT/train/problem.yaml`` and
        ``OUT/validation/problem.yaml`` are written, each next to a copy of
        the SBML model and its condition, observable, measurement and
        parameter tables.
    sbml_path
        The model (default ``sbml/jakstat_ifn.xml`` in the project).  It must
        define global parameters ``IFNa_pM`` and ``IFNb_pM`` (dose in pM), a
        quantity ``pSTAT1_total`` (molecules per cell), use minutes and rest
        at steady state without ligand.
    estimated
        Estimated model parameters: id -> half-width of the log10 search
        interval in decades around the model value.  Default
        :data:`ESTIMATED_PARAMETERS`.
    cell_type
        One of ``"B cells"``, ``"CD8+ T cells"``, ``"CD4+ T cells"``.

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
    from .petab_io import lint_or_raise, write_problem

    if cell_type not in CELL_COLUMNS:
        raise JakstatInputError(f"cell type {cell_type!r} unknown; expected "
                                f"one of {sorted(CELL_COLUMNS)}")
    out = Path(out_dir)
    if out.exists():  # a file or a read-only folder fails before any work
        check_output_dir(out)
    sbml = Path(sbml_path) if sbml_path is not None else (
        _PROJECT_ROOT / "sbml" / "jakstat_ifn.xml")
    if not sbml.is_file():
        raise JakstatInputError(
            f"SBML model {str(sbml)!r} not found; expected an SBML file "
            f"(pass --sbml or export the model first)")
    try:
        sbml_text = sbml.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise JakstatInputError(f"SBML model {str(sbml)!r} cannot be read ({exc}); "
                                f"expected an SBML file") from None
    facts = _model_facts(sbml_text, sbml)
    for pid in DOSE_PARAMETERS.values():
        if pid not in facts.values:
            raise JakstatInputError(
                f"SBML model {str(sbml)!r} has no global parameter {pid!r}; "
                f"expected dose parameters {sorted(DOSE_PARAMETERS.values())}")
    if READOUT not in facts.values and READOUT not in facts.species:
        raise JakstatInputError(
            f"SBML model {str(sbml)!r} defines no {READOUT!r}; expected an "
            f"assignment-rule parameter with the total pSTAT1 (molecules/cell)")
    design = _Design(dict(ESTIMATED_PARAMETERS if estimated is None
                          else estimated), cell_type)
    folder = _resolve_data_dir(data_dir)
    sets = {"train": TRAIN_EXPERIMENTS, "validation": VALIDATION_EXPERIMENTS}
    data = {name: load_kirby(folder, exps) for name, exps in sets.items()}
    problems = {name: _build_problem(data[name], design, sbml_text, sbml, facts, exps)
                for name, exps in sets.items()}
    for name, problem in problems.items():
        lint_or_raise(problem, f"{name} problem for {str(out / name)!r}")
    for name in problems:
        check_output_dir(out / name)
    return {name: write_problem(out / name, sbml_text, p.condition_df, p.observable_df,
                                p.measurement_df, p.parameter_df)
            for name, p in problems.items()}
