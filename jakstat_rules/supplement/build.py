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
from typing import Sequence

import pandas as pd

from ..errors import JakstatInputError
from ..interface import VARIANTS, model_id
from ..io import atomic_write, atomic_write_bytes, check_output_dir, lock_output_dir, write_json
from ..io import write_table
from . import experiments as ex
from .problem import problem_values
from .report import Author

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
                     quiet: bool = False, copasi_check: bool = True,
                     problem: str | os.PathLike | None = None,
                     authors: Sequence[str] = (),
                     profiles: str | os.PathLike | None = None) -> Path:
    """Write the supplement into ``out``; return the path of the ``.omex``.

    Parameters
    ----------
    out
        Output folder (created; must be writable).
    fit_dir
        Folder of ``jakstat calibrate`` on a PEtab problem on the model
        (default: the committed reference results
        ``calibration/kirby2021/results`` of a repository checkout).
    validation_dir
        Folder of ``jakstat validate`` on that fit (default: ``fit_dir`` if it
        holds ``validation.json``; else the validation is run here when the
        problem has a held-out sibling ``validation/problem.yaml``).
    quiet
        No progress lines.
    copasi_check
        Simulate the standard conditions of the default model in COPASI as
        well and report the largest difference (about 15 s).
    problem
        The fitted problem's ``problem.yaml`` (default: the path the fit
        recorded, or the Kirby 2021 training problem built now).
    authors
        Creators of the archive, ``"Name <ORCID iD>"`` (the iD optional);
        none: the metadata names no creator.
    profiles
        Folder of ``jakstat profile`` on the fit: its intervals and the
        profile-wise prediction band (``bands.tsv``, ``bands.png``) go into
        ``results/profiles/``, and a validation run here gets the band too.

    Raises
    ------
    JakstatInputError
        Bad output path or author, missing fit, a fit of a problem not found,
        changed or not on the model (checked before any long step).
    """
    from .report import parse_author

    parsed = [parse_author(a) for a in authors]
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
            omex = _build(staging, fit_path, validation_dir, progress, copasi_check,
                          problem, parsed, profiles)
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
def _inputs(staging: Path, fit_path: Path, validation_dir, problem_yaml):
    """The fit, its problem and its validation problem, checked (no progress line yet)."""
    import libsbml

    from ..data.kirby import write_kirby_petab
    from ..calibrate.store import load_fit
    from ..artifacts import model_sbml
    from .fit import load_fit_results
    from .problem import (dose_series, file_hash, fit_outputs, training_problem,
                          validation_problem)

    summary = load_fit(fit_path)
    kirby = write_kirby_petab(None, staging / "kirby")
    if file_hash(kirby["train"]) != summary.get("problem_hash"):  # perhaps a fit of its v2
        kirby_v2 = write_kirby_petab(None, staging / "kirby-v2", petab_version=2)
        if file_hash(kirby_v2["train"]) == summary.get("problem_hash"):
            kirby = kirby_v2
    train = training_problem(summary, fit_path, problem_yaml, kirby)
    sbml_doc = libsbml.readSBMLFromString(model_sbml(train.variant))  # alive while read
    model_parameters = {p.getId() for p in sbml_doc.getModel().getListOfParameters()}
    fit = load_fit_results(fit_path, model_parameters, train.hash, validation_dir)
    validation = validation_problem(train, fit.validation, kirby)
    for supplied in (train, validation):  # observables and conditions the SED-ML can state
        if supplied is not None:
            fit_outputs(supplied.problem, problem_values(supplied.problem))
            dose_series(supplied.problem)
    return train, validation, fit, model_parameters


def _build(staging: Path, fit_path: Path, validation_dir, progress, copasi_check: bool,
           problem_yaml=None, authors: Sequence[Author] = (), profiles=None) -> Path:
    from ..artifacts import model_sbml
    from .fit import load_fit_results

    root = staging / FOLDER_NAME
    files: dict[str, str] = {}  # archive path -> what it is

    train, validation, fit, model_parameters = _inputs(staging, fit_path, validation_dir,
                                                       problem_yaml)
    if profiles is not None:
        from ..calibrate.profile import read_profile_sets
        read_profile_sets(profiles, fit.summary)  # a profile of this fit, with its points
    # no progress line before the inputs are checked: bad input gives one line only
    progress(f"fit read from {fit.folder}: a fit of {train.yaml} ({train.variant} model)")
    if validation is not None and fit.validation is None:
        progress(f"predicting the validation problem {validation.yaml} (jakstat validate)")
        from ..calibrate.validate import validate
        val_dir = staging / "validation"
        validate(fit.folder, validation.yaml, val_dir, profiles=profiles)
        fit = load_fit_results(fit.folder, model_parameters, train.hash, val_dir)
    elif validation is not None:
        progress(f"validation results read from {fit.validation_folder}")
    else:
        progress("no validation: the fit has none and its problem no validation/problem.yaml")

    progress("model files (SBML of every variant, SED-ML-ready copies, fitted model, "
             "schedules)")
    from ..calibrate.export import fitted_sbml
    from .tables import sedml_model_sbml
    for variant in VARIANTS:
        path = ex.model_file(variant)
        atomic_write(root / path, model_sbml(variant))
        files[path] = f"SBML L3V2 of the {variant} model (as 'jakstat export' writes it)"
    fitted = ex.fitted_model_file(train.variant)
    atomic_write(root / fitted, fitted_sbml(model_sbml(train.variant), fit.parameters))
    files[fitted] = f"the {train.variant} model with the fitted parameter values"

    _schedule_models(root, files)
    fits = _fit_documents(train, validation, fit)
    documents = [ex.scenario_document(), ex.dose_response_document()]
    documents += [d for d, _ in fits]
    documents += [ex.schedule_document(), ex.combination_document()]
    documents = [_with_readouts(d) for d in documents]
    fits = [(documents[2 + k], data) for k, (_, data) in enumerate(fits)]
    for variant in sorted({r.variant for d in documents for r in d.runs}):
        path = ex.sedml_model_file(variant)
        rest = path.endswith("_rest.xml")
        atomic_write(root / path, sedml_model_sbml(variant, rest=rest))
        files[path] = (f"the {variant} model as the SED-ML starts it: doses given by events"
                       + (", pre-equilibrated resting state" if rest else ""))

    progress("simulating every run with the project's simulator; tables and figures")
    tables = _tables_and_figures(root, documents, fits, files)

    progress("SED-ML L1V4 files")
    from .sedml import sedml_text
    for d in documents:
        atomic_write(root / d.file, sedml_text(d))
        files[d.file] = f"SED-ML: {d.title}"

    progress("PEtab problems with the fitted values, data, fit summaries")
    _write_problems(root, files, fit, train=train, validation=validation)
    if train.kirby:
        _copy_data(root, files)
    if profiles is not None:
        _copy_profiles(Path(profiles), root, files)
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
    return _report_and_archive(staging, root, train, fit, checks, files, authors)


def _with_readouts(document):
    from .tables import with_variant_readouts
    return with_variant_readouts(document)


def data_label(supplied) -> str:
    """Where a problem's data come from, for titles (``Kirby et al. 2021; B cell, Mus musculus``)."""
    study = supplied.study or {}
    cells = ", ".join(str(study[k]) for k in ("cell_type", "organism") if k in study)
    parts = (["Kirby et al. 2021"] if supplied.kirby else []) + ([cells] if cells else [])
    return "; ".join(parts) or supplied.yaml.parent.name


def _fit_documents(train, validation, fit) -> list[tuple[ex.Document, pd.DataFrame]]:
    """The fit (and prediction) documents of the problems, each with its measurement table."""
    best = fit.summary["best_parameters"]
    out = [_fit_document("fit_training", f"Fit to the training data ({data_label(train)})",
                         train, problem_values(train.problem, best), fit.parameters,
                         ("results/fit_training/fit_training.png",
                          "results/fit_training/fit_training.svg"))]
    if validation is not None:
        values = problem_values(validation.problem, best, fit.validation["reestimated"])
        out.append(_fit_document(
            "validation_prediction",
            f"Prediction of the held-out data ({data_label(validation)})", validation, values,
            fit.parameters, ("results/validation_prediction/prediction.png",
                             "results/validation_prediction/prediction.svg")))
    return out


def _fit_document(doc_id: str, title: str, supplied, values, parameters, figures):
    """One fit document and its measurements (condition, output, run, input, dose, time, ...)."""
    from petab.v1 import C

    from .problem import dose_series, fit_outputs

    problem = supplied.problem
    mdf = problem.measurement_df
    outputs = fit_outputs(problem, values)
    series = dose_series(problem)
    by_condition = {cid: s for s in series for cid in s.doses}
    scans = []
    for s in series:
        measured = [o for o, cid in zip(outputs, mdf[C.SIMULATION_CONDITION_ID]) if cid in s.doses]
        scans.append((s.slug(), s.input, dict(s.held), list(s.doses.values()),
                      [ex.Observable(o.id, o.readout, o.factor[0], o.factor[1],
                                     *(o.offset or (None, 0.0))) for o in measured]))
    times = sorted({float(t) for t in mdf[C.TIME]})
    document = ex.fit_document(doc_id, title, scans, times, parameters, supplied.variant, figures)
    rows = []
    for o, (_, m) in zip(outputs, mdf.iterrows()):
        s = by_condition[m[C.SIMULATION_CONDITION_ID]]
        rows.append({"condition": m[C.SIMULATION_CONDITION_ID], "observable": m[C.OBSERVABLE_ID],
                     "output": o.id, "run": f"{doc_id}_{s.slug()}", "input": s.input,
                     "dose": s.doses[m[C.SIMULATION_CONDITION_ID]], "time": float(m[C.TIME]),
                     "measurement": float(m[C.MEASUREMENT])})
    return document, pd.DataFrame(rows)


def _tables_and_figures(root: Path, documents, fits, files) -> dict:
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
            elif run.schedule is not None:
                paths = [_schedule_figure(run, table, root)]
            elif run.scan_inner is not None:
                paths = _combination_map(run, table, root, files)
            else:
                paths = []
            for p in paths:
                files[p.relative_to(root).as_posix()] = f"figure of {run.id}"
    for d, data in fits:
        data = data.copy()
        data["model"] = [_model_value(tables[r.run], r) for r in data.itertuples()]
        path = f"results/{d.id}/measurements_and_model.csv"
        write_table(root / path, data)
        files[path] = ("the measurements and the model's value (the output of the measurement's "
                       "observable, a column of the run's table) at each of them")
        stem = root / Path(d.figures[0]).with_suffix("")
        for p in fit_figure(data, list(d.runs), [tables[r.id] for r in d.runs], stem, d.title):
            files[p.relative_to(root).as_posix()] = f"figure: {d.title}"
    return tables


def _schedule_models(root: Path, files: dict) -> None:
    """The standard schedules written into the model's SBML (``models/schedules/<id>.xml``)."""
    from ..conditions import SCHEDULES
    from ..export.schedule import schedule_sbml

    for s in SCHEDULES.values():
        path = ex.schedule_model_file(s.id)
        atomic_write(root / path, schedule_sbml(s))
        files[path] = (f"the {s.variant} model with the schedule {s.id} written in (oral PK, "
                       f"events): {s.description}")


def _schedule_figure(run, table: pd.DataFrame, root: Path) -> Path:
    from ..conditions import get_schedule
    from ..plots import plot_schedule
    from ..schedules import schedule_events

    shown = table.rename(columns={r: f"{r[:-3]}_free_nM" for r in run.readouts
                                  if r.endswith("_nM")})
    return plot_schedule(shown, schedule_events(get_schedule(run.schedule)),
                         root / Path(run.table).with_suffix(".png"), run.title)


def _combination_map(run, table: pd.DataFrame, root: Path, files: dict) -> list[Path]:
    """The map of a combination grid (the readout at its last time) as a table and heatmaps."""
    import numpy as np

    from ..combination import plot_combination, score_grid

    (a, doses_a), (b, doses_b) = run.scan, run.scan_inner
    readout = run.readouts[0]
    last = table[np.isclose(table["time"], run.t_end)]
    values = (last.pivot(index=a, columns=b, values=readout)
              .reindex(index=list(doses_a), columns=list(doses_b)).to_numpy(float))
    scores = score_grid(a, doses_a, b, doses_b, values, readout, f"at {run.t_end:g} min",
                        run.inputs)
    stem = Path(run.table).with_suffix("")
    path = f"{stem.as_posix()}_map.csv"
    write_table(root / path, scores)
    files[path] = (f"combination map of {run.id}: {readout} at {run.t_end:g} min of every dose "
                   f"pair (the last rows of its table), effect and Bliss, Loewe, HSA excess")
    return [plot_combination(scores, root / f"{stem.as_posix()}_map.png", run.title)]


def _model_value(table: pd.DataFrame, row) -> float:
    sub = table[(table["dose"] == row.dose) & ((table["time"] - row.time).abs() < 1e-9)]
    if len(sub) == 1 and row.output in sub:
        return float(sub[row.output].iloc[0])
    return float("nan")


def _write_problems(root: Path, files: dict, fit, **problems) -> None:
    """Write the problems to ``petab/<name>/`` with the fitted values as nominal values."""
    from petab.v1 import C

    from ..petab_io import write_problem
    from ..petab_versions import convert_to_v2
    from ..data.study import STUDY_FILE
    from ..artifacts import model_sbml

    values = {**fit.summary["best_parameters"],
              **{k: float(v) for k, v in (fit.validation or {}).get("reestimated", {}).items()}}
    for name, supplied in problems.items():
        if supplied is None:
            continue
        p = supplied.problem
        parameters = p.parameter_df.copy()
        for pid in parameters.index:
            if pid in values:
                parameters.at[pid, C.NOMINAL_VALUE] = float(values[pid])
        folder = root / "petab" / name
        if supplied.version == 1:
            write_problem(folder, model_sbml(supplied.variant), p.condition_df,
                          p.observable_df, p.measurement_df, parameters)
        else:  # the PEtab v2 problem, through its v1 view
            with tempfile.TemporaryDirectory() as tmp:
                convert_to_v2(write_problem(Path(tmp) / name, model_sbml(supplied.variant),
                                            p.condition_df, p.observable_df,
                                            p.measurement_df, parameters), folder)
        if supplied.study:
            write_json(folder / STUDY_FILE, supplied.study)
        for path in sorted(folder.iterdir()):
            files[path.relative_to(root).as_posix()] = {
                "measurements.tsv": "PEtab measurement table: the data",
                STUDY_FILE: "organism and cell type of the data",
            }.get(path.name, "PEtab problem file (nominal values: the fit)")


#: What each file of a profile folder is, in the supplement (``results/profiles/``).
PROFILE_FILES = {
    "profiles.json": "profile likelihood: identifiability and 95 % confidence interval of "
                     "each profiled parameter; the band's method",
    "profiles.tsv": "profile likelihood: every profile point (value, NLL)",
    "profiles.png": "figure: profile likelihoods with the 95 % threshold",
    "bands.tsv": "95 % profile-wise prediction band (profile likelihood; Simpson & Maclaren "
                 "2023) of every observable: lower, upper and the best fit on a dense grid",
    "bands.png": "figure: the best fit with its 95 % profile-wise prediction band (shaded)",
}


def _copy_profiles(folder: Path, root: Path, files: dict) -> None:
    """The profile outputs (intervals, prediction band) into ``results/profiles/``."""
    for name, what in PROFILE_FILES.items():
        if (folder / name).is_file():
            dest = f"results/profiles/{name}"
            atomic_write_bytes(root / dest, (folder / name).read_bytes())
            files[dest] = what


def _copy_data(root: Path, files: dict) -> None:
    from ..data import kirby2021_dir

    source = kirby2021_dir()
    for path in sorted(source.iterdir()):
        if path.is_file():
            dest = f"data/kirby2021/{path.name}"
            atomic_write_bytes(root / dest, path.read_bytes())
            files[dest] = ("Kirby et al. 2021 data: " + {"LICENSE": "licence (MIT)",
                           "README.md": "provenance and citation"}.get(path.name, "measurements"))


def data_sentence(train) -> str:
    """What the report says of the fit's data: problem, measurements, organism, cell type
    (``study.json``, any of them may be missing)."""
    study = train.study or {}
    known = "; ".join(([study["organism"]] if "organism" in study else [])
                      + ([f"cell type {study['cell_type']}"] if "cell_type" in study else []))
    return (f"The fit's data: the PEtab problem {train.yaml.parent.name}/{train.yaml.name} "
            f"({len(train.problem.measurement_df)} measurements; "
            f"{known or 'organism and cell type not stated'}).")


def _report_and_archive(staging: Path, root: Path, train, fit, checks, files,
                        authors: Sequence[Author]) -> Path:
    from ..export.revision import CREATED, MODIFIED
    from ..export.annotation import MODEL_PAPERS
    from ..model.parameters import CITATIONS
    from ..artifacts import model_sbml
    from .archive import write_archive
    from .report import build_time, doi_of, metadata_rdf, model_report_html

    study = train.study or {}
    data = data_sentence(train)
    files["report/model_report.html"] = ("the model report: species, reactions, parameters, "
                                         "sources, checks")
    listing = sorted(files.items())
    html = model_report_html(model_sbml("default"), fit.parameters, checks, fit.summary,
                             fit.validation, listing, data)
    atomic_write(root / "report" / "model_report.html", html)
    papers = [d for d in (doi_of(CITATIONS[k]) for k in MODEL_PAPERS) if d]
    now = build_time()
    # the exported models keep their own dates; the fitted model and the SED-ML copies
    # were derived from them now
    exported = {ex.model_file(v) for v in VARIANTS}
    models = {path: (CREATED, MODIFIED if path in exported else now) for path in sorted(files)
              if path.startswith(f"{ex.MODEL_DIR}/") and path.endswith(".xml")}
    data_doi = doi_of(CITATIONS["Kirby2021"]) if train.kirby else None
    source = "Kirby et al. 2021 pSTAT1 data" if train.kirby else "data"
    rdf = metadata_rdf(
        title="jakstat-rules: interferon -> JAK -> STAT1 model, simulation experiments and fit",
        description=("Publication supplement of the rule-based IFN/JAK/STAT1 model "
                     f"({model_id()}): SBML models, SED-ML of the standard scenarios, dose "
                     f"responses, the fit to {source} ({data_label(train)})"
                     + (" and the prediction of held-out data" if fit.validation else "")
                     + "; PEtab problems, data, figures and tables."),
        created=now, authors=authors, papers=papers,
        data_dois=[data_doi] if data_doi else [], taxon=study.get("ncbi_taxon"),
        models=models)
    atomic_write(root / "metadata.rdf", rdf)
    return write_archive(root, staging / ARCHIVE_NAME, dict(files))
