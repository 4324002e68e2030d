"""``jakstat supplement``: the archive, its checks, bad input, and independent re-execution.

The fit the supplement reports is made here the cheap way (``jakstat
calibrate`` with one start and one objective evaluation on the real Kirby
training problem); the validation prediction is then run by the build.
The re-execution test runs the archive's SED-ML in tellurium and in COPASI
(``tests/supplement_engines.py``, one process each, at once) and compares
every report with the project's own table in the archive.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jakstat_rules.cli import main
from jakstat_rules.errors import JakstatInputError

HERE = Path(__file__).resolve().parent
TOLERANCE = 1e-6  # of each readout's range (floor 1e-3 molecules for readouts that stay 0)
ORAL_TOLERANCE = 1e-6  # schedules with oral doses: the core integrates the schedule SBML's PK
ENGINES = ("copasi", "tellurium")


@pytest.fixture(scope="module")
def fit_dir(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("fit")
    assert main(["data", "petab", "--out", str(work / "petab")]) == 0
    assert main(["calibrate", str(work / "petab" / "train" / "problem.yaml"), "--starts", "1",
                 "--max-evaluations", "1", "--gradient", "fd", "--out", str(work / "fit"),
                 "--no-progress", "--no-polish"]) == 0
    return work / "fit"


@pytest.fixture(scope="module")
def supplement(fit_dir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("supplement")
    assert main(["supplement", "--out", str(out), "--fit", str(fit_dir)]) == 0
    return out


@pytest.mark.slow
@pytest.mark.heavy
def test_archive_holds_every_file_and_passes_the_validators(supplement):
    from jakstat_rules.supplement.archive import archive_problems

    omex = supplement / "jakstat_supplement.omex"
    folder = supplement / "jakstat_supplement"
    assert archive_problems(omex) == []
    with zipfile.ZipFile(omex) as z:
        members = sorted(n for n in z.namelist() if not n.endswith("/"))
    on_disk = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert members == on_disk
    for needed in ("models/jakstat_ifn.xml", "models/jakstat_ifn_jak2_v617f.xml",
                   "models/jakstat_ifn_socs1_loss.xml", "models/jakstat_ifn_usp18_loss.xml",
                   "models/jakstat_ifn_socs3_loss.xml", "models/jakstat_ifn_stat1_loss.xml",
                   "models/jakstat_ifn_stat3_loss.xml",
                   "models/jakstat_ifn_fitted.xml", "scenarios.sedml", "dose_responses.sedml",
                   "fit_training.sedml", "validation_prediction.sedml", "metadata.rdf",
                   "petab/train/problem.yaml", "petab/validation/problem.yaml",
                   "data/kirby2021/LICENSE", "data/kirby2021/README.md", "fit/summary.json",
                   "fit/validation.json", "report/model_report.html",
                   "results/scenarios/ifnb_100pM.png", "results/scenarios/ifnb_100pM.svg",
                   "results/fit_training/fit_training.svg", "schedules.sedml", "combination.sedml",
                   "models/schedules/radiation_5x2Gy.xml",
                   "models/schedules/ifnb_100pM_ruxolitinib_20mg_bid_3d.xml",
                   "results/schedules/radiation_5x2Gy.png",
                   "results/combination/combination_ruxolitinib_nM_x_tofacitinib_nM_map.csv"):
        assert needed in members, needed
    checks = json.loads((folder / "report" / "checks.json").read_text(encoding="utf-8"))
    assert all(c["passed"] for c in checks)
    copasi = [c for c in checks if c["check"].startswith("cross-simulator")]
    assert copasi and copasi[0]["value"] < 1e-6
    # the fitted values are the nominal values of the PEtab problem and set in the fitted model
    summary = json.loads((fit_dir_of(supplement) / "summary.json").read_text(encoding="utf-8"))
    params = pd.read_csv(folder / "petab/train/parameters.tsv", sep="\t").set_index("parameterId")
    for pid, value in summary["best_parameters"].items():
        assert params.at[pid, "nominalValue"] == pytest.approx(value, rel=1e-12)
    import libsbml
    doc = libsbml.readSBMLFromFile(str(folder / "models/jakstat_ifn_fitted.xml"))
    assert doc.getModel().getParameter("kint_complex").getValue() == pytest.approx(
        summary["best_parameters"]["kint_complex"], rel=1e-12)
    html = (folder / "report/model_report.html").read_text(encoding="utf-8")
    assert "identifiers.org/uniprot:P42224" in html and "Kirby2021" in html
    rdf = (folder / "metadata.rdf").read_text(encoding="utf-8")
    # the data are mouse B cells (study.json of 'jakstat data petab'), not the model's human
    # annotation; no --author: no creator statement at all
    assert "taxonomy:10090" in rdf and "taxonomy:9606" not in rdf
    assert "spdx.org/licenses/MIT" in rdf and "creator" not in rdf
    assert json.loads((folder / "petab/train/study.json").read_text(encoding="utf-8")) == {
        "organism": "Mus musculus", "ncbi_taxon": 10090, "cell_type": "B cell"}


@pytest.mark.slow
@pytest.mark.heavy
def test_archive_passes_the_biosimulators_validator(supplement):
    """BioSimulators' validator (biosimulators-utils, independent of the build's own checks)
    reads the archive, its manifest and metadata, every SED-ML file against its models and
    every SBML file, and finds no error (warnings are its heuristics: L1V4 features it does not
    support, repeated tasks, step counts, statements outside the BioSimulations vocabulary)."""
    tool = Path(sys.executable).parent / "biosimulators-utils"
    env = dict(os.environ, PYTHONWARNINGS="ignore:pkg_resources is deprecated")
    run = subprocess.run([str(tool), "validate-project", str(supplement / "jakstat_supplement.omex")],
                         capture_output=True, text=True, env=env, timeout=600)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-3000:]
    assert "is not a valid" not in output
    assert "Archive contains 6 SED-ML documents" in output, output[-3000:]


def fit_dir_of(supplement: Path) -> Path:
    return supplement / "jakstat_supplement" / "fit"


@pytest.mark.slow
@pytest.mark.heavy
def test_sedml_reruns_in_copasi_and_tellurium_match_the_tables(supplement, tmp_path):
    omex = supplement / "jakstat_supplement.omex"
    folder = supplement / "jakstat_supplement"
    procs = {engine: subprocess.Popen([sys.executable, str(HERE / "supplement_engines.py"), engine,
                                       str(omex), str(tmp_path / f"{engine}.json")],
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
             for engine in ENGINES}
    outputs = {engine: p.communicate(timeout=1800)[0].decode(errors="replace")
               for engine, p in procs.items()}
    import libsedml
    tables = {}
    for sedml in sorted(folder.glob("*.sedml")):
        doc = libsedml.readSedMLFromFile(str(sedml))
        for i in range(doc.getNumOutputs()):
            out = doc.getOutput(i)
            if out.getTypeCode() == libsedml.SEDML_OUTPUT_REPORT:
                path = re.search(r"\(the table (.+?)\)", out.getName()).group(1)
                tables[out.getId()] = pd.read_csv(folder / path)
    # the run of a report: its id is report_<run>__ (supplement.sedml.sedml_id)
    run_of = {rid: rid.removeprefix("report_").removesuffix("__") for rid in tables}
    # one report per standard condition, dose response and schedule, the four of the fit
    # documents and the combination grid
    from jakstat_rules.conditions import CONDITIONS, DOSE_RESPONSES, SCHEDULES
    from jakstat_rules.schedules import oral_doses
    assert len(tables) == len(CONDITIONS) + len(DOSE_RESPONSES) + len(SCHEDULES) + 5
    worst = {}
    for engine, proc in procs.items():
        assert proc.returncode == 0, outputs[engine][-2000:]
        result = json.loads((tmp_path / f"{engine}.json").read_text(encoding="utf-8"))
        assert sorted(result) == sorted(tables)
        for run, ours in tables.items():
            theirs = result[run]
            assert list(theirs) == list(ours.columns), run
            for col in ours.columns:
                a, b = ours[col].to_numpy(float), np.asarray(theirs[col], float)
                assert a.shape == b.shape, (engine, run, col)
                span = max(float(a.max() - a.min()), 1e-3)
                d = float(np.max(np.abs(a - b))) / span
                if run_of[run] in SCHEDULES and oral_doses(SCHEDULES[run_of[run]]):
                    # the core and the SBML integrate the same PK equations (the SBML with
                    # events; tests/test_export_schedule.py: 6e-10)
                    assert d <= ORAL_TOLERANCE, (engine, run, col, d)
                    continue
                worst[engine] = max(worst.get(engine, (0, "")), (d, f"{run} {col}"))
    print("largest differences:", worst)
    for engine, (d, where) in worst.items():
        assert d <= TOLERANCE, (engine, d, where)


def _one_line_exit_2(argv, capsys, *words) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("jakstat: error:"), err
    for w in words:
        assert w in err, err
    return err


def test_missing_fit_folder_is_one_line(tmp_path, capsys):
    _one_line_exit_2(["supplement", "--out", str(tmp_path / "o"), "--fit", str(tmp_path / "nofit")],
                     capsys, "nofit", "does not exist")


def test_output_path_that_is_a_file_is_one_line(tmp_path, capsys):
    (tmp_path / "file").write_text("x", encoding="utf-8")
    _one_line_exit_2(["supplement", "--out", str(tmp_path / "file"), "--fit", str(tmp_path)],
                     capsys, "is a file")


def test_a_folder_that_is_no_supplement_is_not_replaced(tmp_path, capsys):
    (tmp_path / "jakstat_supplement").mkdir()
    (tmp_path / "jakstat_supplement" / "mine.txt").write_text("keep", encoding="utf-8")
    _one_line_exit_2(["supplement", "--out", str(tmp_path), "--fit", str(tmp_path)], capsys,
                     "not a supplement")
    assert (tmp_path / "jakstat_supplement" / "mine.txt").read_text(encoding="utf-8") == "keep"


@pytest.mark.slow
def test_a_profile_of_another_fit_is_refused(fit_dir, tmp_path, capsys):
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    summary = json.loads((fit_dir / "summary.json").read_text(encoding="utf-8"))
    # 3 above the fit's NLL, and above the relative 1e-6 by which two runs of one fit agree
    other = summary["best_fval"] + max(3.0, 1e-3 * abs(summary["best_fval"]))
    (profiles / "profiles.json").write_text(json.dumps(
        {"best_fval": other, "threshold": 1.92}), encoding="utf-8")
    _one_line_exit_2(["supplement", "--out", str(tmp_path / "o"), "--fit", str(fit_dir),
                      "--profiles", str(profiles)], capsys, "profiles a fit of best NLL")
    assert not (tmp_path / "o" / "jakstat_supplement").exists()


@pytest.mark.slow
def test_fit_of_another_problem_is_refused(fit_dir, tmp_path, capsys):
    other = tmp_path / "other_fit"
    other.mkdir()
    summary = json.loads((fit_dir / "summary.json").read_text(encoding="utf-8"))
    summary["problem_hash"] = "0" * 16  # as a fit of any other PEtab problem carries
    (other / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    _one_line_exit_2(["supplement", "--out", str(tmp_path / "o"), "--fit", str(other)], capsys,
                     "another problem")
    assert not (tmp_path / "o" / "jakstat_supplement").exists()


def test_fit_figure_panels_by_numeric_dose_and_legend_by_experiment(tmp_path):
    """Doses of a scan given out of order come out in numeric order with their unit; the
    legend names the experiments by date; the axes carry time and the data's unit."""
    import pandas as pd

    from jakstat_rules.supplement.experiments import Observable, Run
    from jakstat_rules.supplement.figures import fit_figure, fit_panels

    obs = [Observable(f"pSTAT1_{e}", "pSTAT1_total", f"scale_{e}", 2.0)
           for e in ("20190108", "20190119")]
    run = Run("fit_ifnb", "IFN-β fit", "default", "model.xml", {}, 60.0, 3, ["pSTAT1_total"],
              "fit_ifnb.csv", scan=("IFNb_pM", (600.0, 20.0, 2000.0)), observables=obs)
    model = pd.DataFrame([(d, t, d * t, 2 * d * t, 3 * d * t) for d in (600.0, 20.0, 2000.0)
                          for t in (0.0, 30.0, 60.0)],
                         columns=["dose", "time", "pSTAT1_total", "pSTAT1_20190108",
                                  "pSTAT1_20190119"])
    data = pd.DataFrame([("fit_ifnb", d, f"pSTAT1_{e}", 30.0, 7.0)
                         for d in (20.0, 600.0, 2000.0) for e in ("20190108", "20190119")],
                        columns=["run", "dose", "output", "time", "measurement"])
    paths = fit_figure(data, [run], [model], tmp_path / "fit", "fit")
    assert [p.name for p in paths] == ["fit.png", "fit.svg"] and all(p.is_file() for p in paths)
    fig = fit_panels(data, [run], [model], "fit")
    shown = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_title() for ax in shown] == ["IFN-β 20 pM", "IFN-β 600 pM", "IFN-β 2000 pM"]
    assert {ax.get_xlabel() for ax in shown} == {"time (min)"}
    assert fig._supylabel.get_text() == ("pY701-STAT1 (data units)\n"
                                         "= scale × pSTAT1_total")
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        "experiment 2019-01-08", "experiment 2019-01-19", "model", "data"]
    # the model line of 2019-01-19 in the 600 pM panel is that dose's column
    lines = [ln for ln in shown[1].get_lines() if ln.get_linestyle() == "-"]
    assert list(lines[1].get_ydata()) == [0, 3 * 600 * 30, 3 * 600 * 60]


# ----------------------------------------------------------------------------- own data
AUTHORS = ("Josiah Carberry <0000-0002-1825-0097>", "Ada Lovelace")


@pytest.fixture(scope="module")
def own_fit(tmp_path_factory) -> Path:
    """A one-start fit of the shipped example table imported as the user's own data."""
    work = tmp_path_factory.mktemp("own")
    assert main(["data", "example", "--out", str(work / "x")]) == 0
    assert main(["data", "import", str(work / "x" / "pstat1_example.csv"), "--out",
                 str(work / "p"), "--validate", "exp20190214", "--organism", "mouse",
                 "--cell-type", "B cell"]) == 0
    assert main(["calibrate", str(work / "p" / "train" / "problem.yaml"), "--starts", "1",
                 "--max-evaluations", "2", "--out", str(work / "fit"), "--no-progress",
                 "--no-polish"]) == 0
    return work


@pytest.mark.slow
@pytest.mark.heavy
def test_supplement_of_a_fit_of_own_data(own_fit, tmp_path):
    from jakstat_rules.export.revision import CREATED, MODIFIED
    from jakstat_rules.supplement.archive import archive_problems

    before = pd.Timestamp.now(tz="UTC").floor("s")
    assert main(["profile", str(own_fit / "p" / "train" / "problem.yaml"), "--fit",
                 str(own_fit / "fit"), "--out", str(tmp_path / "prof"), "--parameters",
                 "kint_complex", "--max-steps", "2", "--workers", "1"]) == 0
    argv = ["supplement", "--out", str(tmp_path), "--fit", str(own_fit / "fit"),
            "--no-copasi-check", "--quiet", "--profiles", str(tmp_path / "prof")]
    for a in AUTHORS:
        argv += ["--author", a]
    assert main(argv) == 0
    folder = tmp_path / "jakstat_supplement"
    assert archive_problems(tmp_path / "jakstat_supplement.omex") == []
    # the problem's own files, data and held-out data; no Kirby files
    for name in ("train", "validation"):
        ours = pd.read_csv(own_fit / "p" / name / "measurements.tsv", sep="\t")
        theirs = pd.read_csv(folder / "petab" / name / "measurements.tsv", sep="\t")
        pd.testing.assert_frame_equal(theirs, ours)
    assert not (folder / "data" / "kirby2021").exists()
    # the profile and its prediction band, as the profile folder has them
    for name in ("profiles.json", "bands.tsv", "bands.png"):
        assert ((folder / "results" / "profiles" / name).read_bytes()
                == (tmp_path / "prof" / name).read_bytes())
    # the SED-ML scans the problem's doses: IFN-alpha 100 and 10000 pM, IFN-beta 20 and 600 pM
    import libsedml
    doc = libsedml.readSedMLFromFile(str(folder / "fit_training.sedml"))
    ranges = {}
    for i in range(doc.getNumTasks()):
        task = doc.getTask(i)
        if task.getTypeCode() == libsedml.SEDML_TASK_REPEATEDTASK:
            ranges[task.getTaskChange(0).getTarget()] = list(task.getRange(0).getValues())
    assert sorted(ranges.values()) == [[20.0, 600.0], [100.0, 10000.0]]
    data = pd.read_csv(folder / "results/validation_prediction/measurements_and_model.csv")
    assert len(data) == 24 and set(data["output"]) == {"pSTAT1_total_x_scale_exp20190214"}
    assert np.isfinite(data["model"]).all()
    # metadata: mouse, the authors with the ORCID iD, build time, the models' own dates
    rdf = (folder / "metadata.rdf").read_text(encoding="utf-8")
    assert "https://identifiers.org/taxonomy:10090" in rdf and "9606" not in rdf
    assert 'dc:creator rdf:resource="https://identifiers.org/orcid:0000-0002-1825-0097"' in rdf
    assert "<vCard:family-name>Carberry</vCard:family-name>" in rdf
    assert "<vCard:family-name>Lovelace</vCard:family-name>" in rdf
    assert "B cell" in rdf and "Kirby et al. 2021 pSTAT1 data" not in rdf
    import libcombine
    archive = libcombine.CombineArchive()
    assert archive.initializeFromArchive(str(tmp_path / "jakstat_supplement.omex"))
    try:
        meta = archive.getMetadataForLocation(".")
        created = pd.Timestamp(meta.getCreated().getDateAsString())
        assert before <= created <= pd.Timestamp.now(tz="UTC")
        assert meta.getNumModified() == 0
        # libcombine reads the vCards and, as a third creator without a name, the ORCID URI
        names = {meta.getCreator(i).getFamilyName() for i in range(meta.getNumCreators())}
        assert names - {""} == {"Carberry", "Lovelace"}
    finally:
        archive.cleanUp()
    import xml.etree.ElementTree as ET
    rdf_ns, dcterms = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}", "{http://purl.org/dc/terms/}"
    about = {d.get(f"{rdf_ns}about"): d for d in ET.fromstring(rdf).iter(f"{rdf_ns}Description")}

    def date(path, what):
        return about[path].find(f"{dcterms}{what}/{dcterms}W3CDTF").text

    # the exported model keeps its own dates; the fitted model was derived at build time
    assert (date("./models/jakstat_ifn.xml", "created"),
            date("./models/jakstat_ifn.xml", "modified")) == (CREATED, MODIFIED)
    assert pd.Timestamp(date("./models/jakstat_ifn_fitted.xml", "modified")) == created


@pytest.mark.slow
@pytest.mark.heavy
def test_a_fit_of_a_problem_on_another_model_is_refused(own_fit, tmp_path, capsys):
    import libsbml

    from jakstat_rules.petab_io import ProblemPayload, load_problem

    problem = tmp_path / "foreign"
    shutil.copytree(own_fit / "p" / "train", problem)
    doc = libsbml.readSBMLFromFile(str(problem / "model.xml"))
    doc.getModel().getParameter("STAT1_0").setValue(1.0)  # another model, same ids
    libsbml.writeSBMLToFile(doc, str(problem / "model.xml"))
    fit = tmp_path / "fit"
    fit.mkdir()
    summary = json.loads((own_fit / "fit" / "summary.json").read_text(encoding="utf-8"))
    summary["problem"] = str(problem / "problem.yaml")
    summary["problem_hash"] = ProblemPayload.from_problem(load_problem(problem / "problem.yaml")).hash
    (fit / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    _one_line_exit_2(["supplement", "--out", str(tmp_path / "o"), "--fit", str(fit)], capsys,
                     "foreign", "not this project's model")
    assert not (tmp_path / "o" / "jakstat_supplement").exists()


@pytest.mark.parametrize("author, words", [
    ("Josiah Carberry <0000-0002-1825-0098>", ("0000-0002-1825-0098", "check digit")),
    ("Josiah Carberry <0000-0002-1825>", ("0000-0002-1825", "0000-0000-0000-000X")),
    ("<0000-0002-1825-0097>", ("expected 'Given Family <ORCID>'",)),
])
def test_a_bad_author_is_refused_before_any_work(author, words, tmp_path, capsys):
    _one_line_exit_2(["supplement", "--out", str(tmp_path / "o"), "--fit", str(tmp_path / "nofit"),
                      "--author", author], capsys, *words)
    assert not (tmp_path / "o").exists()


def test_orcid_check_digit_follows_iso_7064_mod_11_2():
    from jakstat_rules.supplement.report import parse_author

    # published examples of orcid.org: one ends in a digit, one in X (check value 10)
    assert parse_author("Josiah Carberry <https://orcid.org/0000-0002-1825-0097>").orcid == \
        "0000-0002-1825-0097"
    assert parse_author("A Person <0000-0002-1694-233x>").orcid == "0000-0002-1694-233X"
    assert parse_author("  Ada Lovelace ").orcid is None


def test_model_report_has_one_unit_notation_and_a_source_for_every_parameter():
    """The HTML report writes every unit as the model's unit definitions name it,
    formulas without unit literals ("1 dimensionless"), and a source, "input" or
    "derived from ..." for every parameter."""
    import re
    import xml.etree.ElementTree as ET

    import libsbml

    from jakstat_rules.artifacts import model_sbml
    from jakstat_rules.supplement.report import model_report_html

    sbml = model_sbml("default")
    html = model_report_html(sbml, {}, [], None, None, [])
    assert not re.search(r"\d dimensionless", html)
    section = html[html.index(">Parameters<"):html.index(">Sources<")]
    rows = [ET.fromstring(r) for r in re.findall(r"<tr>.*?</tr>", section, re.S)][1:]
    cells = [[(td.text or "").strip() for td in row] for row in rows]
    model = libsbml.readSBMLFromString(sbml).getModel()
    assert len(cells) == model.getNumParameters()
    names = {u.getName() for u in model.getListOfUnitDefinitions()} | {"dimensionless"}
    assert {c[3] for c in cells} <= names
    assert all(c[4] for c in cells), [c[0] for c in cells if not c[4]]
    derived = [c for c in cells if c[4].startswith("derived from ")]
    assert derived and all(c[1].startswith("= ") for c in derived)


@pytest.mark.parametrize(("study", "words"), [
    (None, "organism and cell type not stated"), ({}, "organism and cell type not stated"),
    ({"cell_type": "B cell"}, "; cell type B cell)"),
    ({"organism": "Mus musculus", "ncbi_taxon": 10090, "cell_type": "B cell"},
     "; Mus musculus; cell type B cell)")])
def test_the_report_states_what_is_known_of_the_data(study, words, tmp_path):
    """A fit of data imported without --organism or --cell-type (no study.json) or with
    one of them: the report says what it knows, and builds."""
    from types import SimpleNamespace

    from jakstat_rules.supplement.build import data_sentence

    train = SimpleNamespace(study=study, yaml=tmp_path / "train" / "problem.yaml",
                            problem=SimpleNamespace(measurement_df=pd.DataFrame({"m": [1, 2]})))
    sentence = data_sentence(train)
    assert sentence.startswith("The fit's data: the PEtab problem train/problem.yaml (2 "
                               "measurements") and words in sentence


def _sedml_ids_and_names(text: str) -> dict[str, list[str]]:
    """Kind of element -> the ids (and, as ``<kind> name``, the names) libsedml reads."""
    import libsedml
    doc = libsedml.readSedMLFromString(text)
    assert doc.getNumErrors(libsedml.LIBSEDML_SEV_ERROR) == 0
    out: dict[str, list[str]] = {}

    def add(kind, elements):
        for el in elements:
            out.setdefault(kind, []).append(el.getId())
            if el.isSetName():
                out.setdefault(f"{kind} name", []).append(el.getName())

    add("model", doc.getListOfModels())
    add("change", [m.getChange(k) for m in doc.getListOfModels() for k in range(m.getNumChanges())
                   if m.getChange(k).isSetId()])
    add("simulation", doc.getListOfSimulations())
    add("task", doc.getListOfTasks())
    add("range", [t.getRange(k) for t in doc.getListOfTasks()
                  if t.getTypeCode() == libsedml.SEDML_TASK_REPEATEDTASK
                  for k in range(t.getNumRanges())])
    add("data generator", doc.getListOfDataGenerators())
    add("variable", [dg.getVariable(k) for dg in doc.getListOfDataGenerators()
                     for k in range(dg.getNumVariables())])
    add("parameter", [dg.getParameter(k) for dg in doc.getListOfDataGenerators()
                      for k in range(dg.getNumParameters())])
    add("output", doc.getListOfOutputs())
    return out


def test_no_sedml_id_or_name_is_a_prefix_of_another():
    """COPASI and basico match ids and names by substring: ``task_ifnb_100pM`` would also
    select ``task_ifnb_100pM_ruxolitinib_1uM``.  Read back with libsedml, no id (of one
    kind, or of the whole file) and no name of a kind is a prefix of another."""
    from jakstat_rules.supplement import experiments as ex
    from jakstat_rules.supplement.sedml import sedml_text

    obs = [ex.Observable("pSTAT1_total_x_scale_a", "pSTAT1_total", "scale_a", 2.0),
           ex.Observable("pSTAT1_total_x_scale_a_b", "pSTAT1_total", "scale_a_b", 3.0,
                         "offset_a_b", 1.0)]
    fit = ex.fit_document("fit_training", "Fit", [
        ("IFNb_pM", "IFNb_pM", {}, [10.0, 100.0], obs[:1]),
        ("IFNb_pM_with_ruxolitinib_nM_100", "IFNb_pM", {"ruxolitinib_nM": 100.0}, [10.0], obs)],
        [0.0, 10.0, 30.0], {"kf_x": 1.5})
    documents = [ex.scenario_document(), ex.dose_response_document(), fit,
                 ex.schedule_document(), ex.combination_document()]
    assert {"ifnb_100pM", "ifnb_100pM_ruxolitinib_1uM"} <= {r.id for r in documents[0].runs}
    for document in documents:
        found = _sedml_ids_and_names(sedml_text(document))
        assert len(found["task"]) >= 2 and len(found["data generator"]) >= 2
        every_id = [i for kind, ids in found.items() if " name" not in kind for i in ids]
        assert len(every_id) == len(set(every_id))
        for kind, ids in [*found.items(), ("any id", every_id)]:
            prefixes = [(a, b) for a in ids for b in ids if a != b and b.startswith(a)]
            assert prefixes == [], (document.file, kind, prefixes[:3])


def test_a_validation_of_another_fit_is_refused(tmp_path):
    """The validation folder's run.json (read through the run store) names the fit it
    validates: another fit's validation is refused naming both hashes."""
    from jakstat_rules.supplement.fit import _load_validation

    (tmp_path / "validation.json").write_text(json.dumps(
        {"reestimated": {"scale_exp": 2.0}, "r2": 0.9, "nrmse": 0.1}))
    (tmp_path / "run.json").write_text(json.dumps({"kind": "validation",
                                                   "fit_problem_hash": "aaa"}))
    assert _load_validation(tmp_path, {"problem_hash": "aaa", "best_parameters": {}})["r2"] == 0.9
    with pytest.raises(JakstatInputError, match="validates another fit .*'aaa'.*'bbb'"):
        _load_validation(tmp_path, {"problem_hash": "bbb", "best_parameters": {}})
