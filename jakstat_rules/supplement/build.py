"""``jakstat supplement``: the publication supplement as a COMBINE archive and a folder.

:func:`build_supplement` writes ``OUT/jakstat_supplement.omex`` and its
unpacked folder ``OUT/jakstat_supplement/`` (the file list is in
``docs/supplement.md`` and in the archive's model report).  Everything is
built in a temporary folder next to the outputs and moved into place at the
end: an existing supplement is replaced only by a complete new one, an
interrupted build leaves the old one untouched, and a folder of that name
that is not a supplement is never touched.  Progress goes to stderr, one
line per step.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from ..errors import JakstatInputError
from ..interface import VARIANTS, model_id
from ..io import atomic_write, atomic_write_bytes, check_output_dir, lock_output_dir, write_json
from ..io import write_table
from . import experiments as ex

__all__ = ["build_supplement", "ARCHIVE_NAME", "FOLDER_NAME"]

#: Names of the archive and of its unpacked folder inside the output folder.
ARCHIVE_NAME, FOLDER_NAME = "jakstat_supplement.omex", "jakstat_supplement"
#: Name prefix of the staging folders a build writes in its output folder.
STAGING_PREFIX = ".jakstat_supplement.build-"
#: Standard conditions the build also simulates in COPASI (cross-simulator check).
COPASI_CHECK_TOLERANCE = 1e-6


class _Progress:
    def __init__(self, total: int, quiet: bool = False) -> None:
        self.total, self.step, self.quiet, self.t0 = total, 0, quiet, time.perf_counter()

    def __call__(self, what: str) -> None:
        self.step += 1
        if not self.quiet:
            print(f"jakstat supplement [{self.step}/{self.total}, "
                  f"{time.perf_counter() - self.t0:.0f} s] {what}", file=sys.stderr, flush=True)


def _check_target(out: Path) -> None:
    folder, archive = out / FOLDER_NAME, out / ARCHIVE_NAME
    if folder.exists() and not (folder.is_dir() and (folder / "manifest.xml").is_file()):
        raise JakstatInputError(f"{str(folder)!r} exists and is not a supplement folder (no "
                                f"manifest.xml): expected an output folder without it, or with a "
                                f"supplement written by 'jakstat supplement' (it is replaced)")
    if archive.is_dir():
        raise JakstatInputError(f"{str(archive)!r} is a folder: expected a file path")


def build_supplement(out: str | os.PathLike, fit_dir: str | os.PathLike | None = None,
                     validation_dir: str | os.PathLike | None = None,
                     quiet: bool = False, copasi_check: bool = True) -> Path:
    """Write the supplement into ``out``; return the path of the ``.omex``.

    Parameters
    ----------
    out
        Output folder (created; must be writable).
    fit_dir
        Folder of ``jakstat calibrate`` (default: the committed reference
        results ``calibration/kirby2021/results`` of a repository checkout).
    validation_dir
        Folder of ``jakstat validate`` on that fit (default: ``fit_dir`` if it
        holds ``validation.json``; else the validation is run here).
    quiet
        No progress lines.
    copasi_check
        Simulate the standard conditions of the default model in COPASI as
        well and report the largest difference (about 15 s).

    Raises
    ------
    JakstatInputError
        Bad output path, missing or foreign fit (checked before any long step).
    """
    out = check_output_dir(out)
    _check_target(out)
    if fit_dir is None:
        from .fit import default_fit_dir
        fit_dir = default_fit_dir()
        if fit_dir is None:
            raise JakstatInputError("no fit given and no committed reference results found: "
                                    "expected --fit FITDIR, the --out folder of 'jakstat "
                                    "calibrate' (see docs/supplement.md)")
    fit_path = Path(fit_dir)
    if not fit_path.is_dir():
        what = "is a file" if fit_path.exists() else "does not exist"
        raise JakstatInputError(f"fit folder {str(fit_path)!r} {what}: expected the --out folder "
                                f"of 'jakstat calibrate' (or calibration/kirby2021/results)")
    progress = _Progress(9, quiet)
    with lock_output_dir(out, "supplement output folder"):
        recover_interrupted_install(out)
        staging = Path(tempfile.mkdtemp(dir=out, prefix=STAGING_PREFIX))
        try:
            omex = _build(staging, fit_path, validation_dir, progress, copasi_check)
            progress("moving the archive and its folder into place")
            return _install(staging, out, omex)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def recover_interrupted_install(out: Path) -> list[str]:
    """Undo what a build killed during :func:`_install` (or before) left in ``out``.

    Call it holding the folder's lock (no build is then active).  A staging
    folder holding the previous supplement folder while ``out`` has none (the
    kill fell between moving the old folder out and the new one in) gives
    the previous folder back; one whose new folder was already moved into
    place moves its archive after it, so folder and archive match.  Every
    staging folder is then removed.

    Returns
    -------
    list of str
        What was done, one line each (also logged as warnings).
    """
    import logging

    done = []
    folder, archive = out / FOLDER_NAME, out / ARCHIVE_NAME
    for staging in sorted(out.glob(f"{STAGING_PREFIX}*")):
        if not staging.is_dir() or staging.is_symlink():
            continue
        previous = staging / "previous"
        if previous.is_dir() and not folder.exists():
            os.replace(previous, folder)
            done.append(f"restored the previous {FOLDER_NAME} of an interrupted build")
        elif (previous.is_dir() and not (staging / FOLDER_NAME).exists()
              and (staging / ARCHIVE_NAME).is_file()):
            os.replace(staging / ARCHIVE_NAME, archive)
            done.append(f"completed the install of an interrupted build ({ARCHIVE_NAME})")
        shutil.rmtree(staging, ignore_errors=True)
    for line in done:
        logging.getLogger("jakstat_rules").warning("jakstat: %s in %s", line, out)
    return done


def _install(staging: Path, out: Path, omex: Path) -> Path:
    folder, archive = out / FOLDER_NAME, out / ARCHIVE_NAME
    old = None
    if folder.exists():
        _check_target(out)  # still a supplement
        old = staging / "previous"
        os.replace(folder, old)
    try:
        os.replace(staging / FOLDER_NAME, folder)
    except OSError:
        if old is not None:
            os.replace(old, folder)
        raise
    os.replace(omex, archive)
    return archive


# ----------------------------------------------------------------------------- the build
def _build(staging: Path, fit_path: Path, validation_dir, progress, copasi_check: bool) -> Path:
    from ..calibrate.data import write_kirby_petab
    from ..calibrate.petab_io import ProblemPayload, load_problem
    from ..network import model_sbml
    from .fit import load_fit_results

    root = staging / FOLDER_NAME
    files: dict[str, str] = {}  # archive path -> what it is

    petab_dir = root / "petab"
    problems = write_kirby_petab(None, petab_dir)
    train = load_problem(problems["train"])
    train_hash = ProblemPayload.from_problem(train).hash
    default_sbml = model_sbml("default")
    import libsbml
    sbml_doc = libsbml.readSBMLFromString(default_sbml)  # kept alive while its model is read
    model_parameters = {p.getId() for p in sbml_doc.getModel().getListOfParameters()}
    fit = load_fit_results(fit_path, model_parameters, train_hash, validation_dir)
    # no progress line before the inputs are checked: bad input gives one line only
    progress(f"PEtab problems from the Kirby 2021 data built; fit read from {fit.folder}")
    if fit.validation is None:
        progress("predicting the validation experiment (jakstat validate)")
        from ..calibrate.validate import validate
        val_dir = staging / "validation"
        validate(fit.folder, problems["validation"], val_dir)
        fit = load_fit_results(fit.folder, model_parameters, train_hash, val_dir)
    else:
        progress(f"validation results read from {fit.validation_folder}")
    validation = load_problem(problems["validation"])

    progress("model files (SBML of every variant, SED-ML-ready copies, fitted model)")
    from ..calibrate.export import fitted_sbml
    from .tables import sedml_model_sbml
    for variant in VARIANTS:
        path = ex.model_file(variant)
        atomic_write(root / path, model_sbml(variant))
        files[path] = f"SBML L3V2 of the {variant} model (as 'jakstat export' writes it)"
    fitted_text = fitted_sbml(default_sbml, fit.parameters)
    atomic_write(root / ex.FITTED_MODEL_FILE, fitted_text)
    files[ex.FITTED_MODEL_FILE] = "the default model with the fitted parameter values"

    documents = [ex.scenario_document(), ex.dose_response_document()]
    documents += _fit_documents(train, validation, fit)
    documents = [_with_readouts(d) for d in documents]
    for variant in sorted({r.variant for d in documents for r in d.runs}):
        path = ex.sedml_model_file(variant)
        rest = path.endswith("_rest.xml")
        atomic_write(root / path, sedml_model_sbml(variant, rest=rest))
        files[path] = (f"the {variant} model as the SED-ML starts it: doses given by events"
                       + (", pre-equilibrated resting state" if rest else ""))

    progress("simulating every run with the project's simulator; tables and figures")
    tables = _tables_and_figures(root, documents, train, validation, fit, files)

    progress("SED-ML L1V4 files")
    from .sedml import sedml_text
    for d in documents:
        atomic_write(root / d.file, sedml_text(d))
        files[d.file] = f"SED-ML: {d.title}"

    progress("PEtab problems with the fitted values, data with licence, fit summaries")
    _petab_nominals(petab_dir, fit)
    for path in sorted(petab_dir.rglob("*")):
        if path.is_file():
            files[path.relative_to(root).as_posix()] = "PEtab problem file (nominal values: the fit)"
    _copy_data(root, files)
    for src, name in fit.files():
        dest = f"fit/{name}"
        atomic_write_bytes(root / dest, src.read_bytes())
        files[dest] = "fit / validation result of 'jakstat calibrate' / 'jakstat validate'"

    progress("checks: SBML validity, SED-ML, cross-simulator agreement (COPASI)")
    from .checks import run_checks
    checks = run_checks(root, documents, tables, fit, copasi=copasi_check)
    write_json(root / "report" / "checks.json", checks)
    files["report/checks.json"] = "the checks the build ran and their results"
    failed = [c for c in checks if not c["passed"]]
    if failed:
        raise JakstatInputError(f"supplement check failed: {failed[0]['check']}: "
                                f"{failed[0]['result']}")

    progress("model report, metadata, COMBINE archive")
    omex = _report_and_archive(staging, root, default_sbml, fit, checks, files)
    return omex


def _with_readouts(document):
    from .tables import with_variant_readouts
    return with_variant_readouts(document)


def _experiment_of(scale_id: str) -> str:
    return scale_id.removeprefix("scale_")


def _doses_and_times(problem) -> tuple[dict[str, list[float]], list[float]]:
    """Doses per input (one input non-zero per condition) and measurement times of a problem."""
    from petab.v1 import C

    conditions = problem.condition_df
    doses: dict[str, list[float]] = {}
    for cid in problem.measurement_df[C.SIMULATION_CONDITION_ID].unique():
        row = conditions.loc[cid]
        given = {k: float(row[k]) for k in conditions.columns
                 if k != C.CONDITION_NAME and float(row[k]) != 0.0}
        if len(given) != 1:
            raise JakstatInputError(f"condition {cid!r} sets {sorted(given)}: expected exactly "
                                    f"one dosed input per condition")
        (name, value), = given.items()
        doses.setdefault(name, []).append(value)
    times = sorted({float(t) for t in problem.measurement_df[C.TIME]})
    return doses, times


def _fit_documents(train, validation, fit) -> list[ex.Document]:
    readout = "pSTAT1_total"
    doses, times = _doses_and_times(train)
    scales = {k: v for k, v in fit.observation.items() if k.startswith("scale_")}
    docs = [ex.fit_document("fit_training", "Fit to the training data (Kirby 2021, B cells)",
                            doses, times, fit.parameters, scales, readout,
                            figures=("results/fit_training/fit_training.png",
                                     "results/fit_training/fit_training.svg"))]
    vdoses, vtimes = _doses_and_times(validation)
    vscales = {k: float(v) for k, v in fit.validation["reestimated"].items()
               if k.startswith("scale_")}
    docs.append(ex.fit_document("validation_prediction",
                                "Prediction of the validation experiment (Kirby 2021, 20190214)",
                                vdoses, vtimes, fit.parameters, vscales, readout,
                                figures=("results/validation_prediction/prediction.png",
                                         "results/validation_prediction/prediction.svg")))
    return docs


def _measurements(problem) -> pd.DataFrame:
    """The measurements as ``input, dose, experiment, time, measurement``."""
    from petab.v1 import C

    conditions = problem.condition_df
    rows = []
    for _, m in problem.measurement_df.iterrows():
        row = conditions.loc[m[C.SIMULATION_CONDITION_ID]]
        (name, dose), = {k: float(row[k]) for k in conditions.columns
                         if k != C.CONDITION_NAME and float(row[k]) != 0.0}.items()
        scale = str(m[C.OBSERVABLE_PARAMETERS]).split(";")[0]
        rows.append({"input": name, "dose": dose, "experiment": _experiment_of(scale),
                     "time": float(m[C.TIME]), "measurement": float(m[C.MEASUREMENT])})
    return pd.DataFrame(rows)


def _tables_and_figures(root: Path, documents, train, validation, fit, files) -> dict:
    from .figures import dose_response_figures, fit_figure, scenario_figures
    from .tables import run_table

    tables = {}
    for d in documents:
        for run in d.runs:
            table = run_table(run)
            tables[run.id] = table
            write_table(root / run.table, table)
            files[run.table] = f"table of {run.id} by the project's simulator ({d.file})"
            if d.id == "scenarios":
                paths = scenario_figures(run, table, root)
            elif d.id == "dose_responses":
                paths = dose_response_figures(run, table, root)
            else:
                paths = []
            for p in paths:
                files[p.relative_to(root).as_posix()] = f"figure of {run.id}"
    for d, problem in ((documents[2], train), (documents[3], validation)):
        data = _measurements(problem)
        data["model"] = [_model_value(tables, d, r) for r in data.itertuples()]
        path = f"results/{d.id}/measurements_and_model.csv"
        write_table(root / path, data)
        files[path] = ("the measurements and the model's value (scale x pSTAT1_total) at each "
                       "of them")
        stem = root / Path(d.figures[0]).with_suffix("")
        for p in fit_figure(data, list(d.runs), [tables[r.id] for r in d.runs], stem, d.title):
            files[p.relative_to(root).as_posix()] = f"figure: {d.title}"
    return tables


def _model_value(tables, document, row) -> float:
    for run in document.runs:
        if run.scan[0] != row.input:
            continue
        table = tables[run.id]
        sub = table[(table["dose"] == row.dose) & ((table["time"] - row.time).abs() < 1e-9)]
        column = f"pSTAT1_total_x_scale_{row.experiment}"
        if len(sub) == 1 and column in sub:
            return float(sub[column].iloc[0])
    return float("nan")


def _petab_nominals(petab_dir: Path, fit) -> None:
    """Set the fitted values as nominal values of both PEtab problems."""
    import petab.v1 as petab
    from petab.v1 import C

    values = {**fit.parameters, **fit.observation,
              **{k: float(v) for k, v in (fit.validation or {}).get("reestimated", {}).items()}}
    for name in ("train", "validation"):
        path = petab_dir / name / "parameters.tsv"
        df = petab.get_parameter_df(str(path))
        for pid in df.index:
            if pid in values:
                df.at[pid, C.NOMINAL_VALUE] = values[pid]
        atomic_write(path, df.reset_index().to_csv(sep="\t", index=False))


def _copy_data(root: Path, files: dict) -> None:
    from ..data import kirby2021_dir

    source = kirby2021_dir()
    for path in sorted(source.iterdir()):
        if path.is_file():
            dest = f"data/kirby2021/{path.name}"
            atomic_write_bytes(root / dest, path.read_bytes())
            files[dest] = ("Kirby et al. 2021 data: " + {"LICENSE": "licence (MIT)",
                           "README.md": "provenance and citation"}.get(path.name, "measurements"))


def _report_and_archive(staging: Path, root: Path, default_sbml: str, fit, checks, files) -> Path:
    from ..export.revision import CREATED, CREATOR, MODIFIED
    from ..export.sbml import MODEL_PAPERS, TAXON
    from ..model.parameters import CITATIONS
    from .archive import write_archive
    from .report import doi_of, metadata_rdf, model_report_html

    files["report/model_report.html"] = ("the model report: species, reactions, parameters, "
                                         "sources, checks")
    listing = sorted(files.items())
    html = model_report_html(default_sbml, fit.parameters, checks, fit.summary, fit.validation,
                             listing)
    atomic_write(root / "report" / "model_report.html", html)
    papers = [d for d in (doi_of(CITATIONS[k]) for k in MODEL_PAPERS) if d]
    data_doi = doi_of(CITATIONS["Kirby2021"])
    rdf = metadata_rdf(
        title="jakstat-rules: interferon -> JAK -> STAT1 model, simulation experiments and fit",
        description=("Publication supplement of the rule-based IFN/JAK/STAT1 model "
                     f"({model_id()}): SBML models, SED-ML of the standard scenarios, dose "
                     "responses, the fit to Kirby et al. 2021 pSTAT1 data and the prediction of "
                     "a held-out experiment; PEtab problems, data, figures and tables."),
        created=CREATED, modified=MODIFIED, creator=CREATOR, papers=papers,
        data_dois=[data_doi] if data_doi else [], taxon=TAXON)
    atomic_write(root / "metadata.rdf", rdf)
    return write_archive(root, staging / ARCHIVE_NAME, dict(files))

