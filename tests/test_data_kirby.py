"""Tests of jakstat_rules.data.kirby: Kirby 2021 reader and PEtab writer."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jakstat_rules.data import kirby as data
from jakstat_rules.calibrate.example import write_standin_sbml
from jakstat_rules.errors import JakstatInputError

REAL_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "kirby2021"
needs_data = pytest.mark.skipif(not REAL_DATA.is_dir(),
                                reason=f"Kirby 2021 data folder {REAL_DATA} missing")

HEADER = [""] + data.EXPECTED_COLUMNS[1:]


def _write_csv(path: Path, rows: list[list], header=HEADER) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def _good_rows() -> list[list]:
    return [["f1.fcs", "B1", "1.00E-11", "IFN-alpha", "5", "10.5", "1", "2"],
            ["f2.fcs", "B2", "2.00E-13", "IFN-beta", "2.5", "-3.0", "1", "2"]]


@pytest.fixture(scope="module")
def standin_sbml(tmp_path_factory) -> Path:
    return write_standin_sbml(tmp_path_factory.mktemp("sbml") / "standin.xml")


# -- reader ---------------------------------------------------------------

def test_read_small_file(tmp_path):
    df = data.read_kirby_csv(_write_csv(tmp_path / "x.csv", _good_rows()))
    assert list(df["conc_M"]) == [1e-11, 2e-13]
    assert list(df["time_min"]) == [5.0, 2.5]
    assert list(df["B cells"]) == [10.5, -3.0]
    assert list(df["cytokine"]) == ["IFN-alpha", "IFN-beta"]


def test_missing_file(tmp_path):
    with pytest.raises(JakstatInputError, match="nope.csv"):
        data.read_kirby_csv(tmp_path / "nope.csv")


def test_missing_column(tmp_path):
    header = [c for c in HEADER if c != "Time (min)"]
    rows = [r[:4] + r[5:] for r in _good_rows()]
    with pytest.raises(JakstatInputError, match=r"missing columns \['Time \(min\)'\]"):
        data.read_kirby_csv(_write_csv(tmp_path / "x.csv", rows, header))


def test_unknown_column(tmp_path):
    header = HEADER + ["Comment"]
    rows = [r + ["hi"] for r in _good_rows()]
    with pytest.raises(JakstatInputError, match="unknown columns \\['Comment'\\]"):
        data.read_kirby_csv(_write_csv(tmp_path / "x.csv", rows, header))


@pytest.mark.parametrize("col, value, what", [
    (4, "five", "not a number"),
    (4, "-2.5", "negative"),
    (2, "-1e-11", "negative"),
    (2, "", "not a number"),
])
def test_bad_time_or_dose(tmp_path, col, value, what):
    rows = _good_rows()
    rows[1][col] = value
    with pytest.raises(JakstatInputError) as err:
        data.read_kirby_csv(_write_csv(tmp_path / "x.csv", rows))
    msg = str(err.value)
    assert "line 3" in msg and repr(value) in msg and what in msg and "x.csv" in msg


def test_unknown_cytokine(tmp_path):
    rows = _good_rows()
    rows[0][3] = "IFN-gamma"
    with pytest.raises(JakstatInputError, match="line 2.*'IFN-gamma'"):
        data.read_kirby_csv(_write_csv(tmp_path / "x.csv", rows))


def test_env_var_overrides_default(tmp_path, monkeypatch):
    monkeypatch.setenv(data.DATA_ENV_VAR, str(tmp_path))
    assert data.default_data_dir() == tmp_path
    monkeypatch.delenv(data.DATA_ENV_VAR)
    shipped = Path(data.__file__).resolve().parents[1] / "data" / "kirby2021"
    assert data.default_data_dir() == shipped
    assert sorted(f.name for f in shipped.glob("2019*_pSTAT1_IFN.csv")) == [
        f"{e}_pSTAT1_IFN.csv" for e in ("20190108", "20190119", "20190121", "20190214")]


def test_missing_data_dir(tmp_path, standin_sbml):
    with pytest.raises(JakstatInputError, match="does not exist"):
        data.write_kirby_petab(tmp_path / "none", tmp_path / "out", standin_sbml)
    assert not (tmp_path / "out").exists()


def test_sbml_without_contract_ids(tmp_path):
    import tellurium as te

    sbml = tmp_path / "m.xml"
    sbml.write_text(te.antimonyToSBML("model m\n k = 1; A = 1; A -> ; k*A\nend"))
    data_dir = tmp_path / "d"
    data_dir.mkdir()
    with pytest.raises(JakstatInputError, match="IFNa_pM"):
        data.write_kirby_petab(data_dir, tmp_path / "out", sbml)


# -- writer on the real data ------------------------------------------------

@needs_data
def test_write_kirby_petab_real_data(tmp_path, standin_sbml):
    import petab.v1 as petab

    paths = data.write_kirby_petab(REAL_DATA, tmp_path / "petab", standin_sbml)
    assert paths["train"] == tmp_path / "petab" / "train" / "problem.yaml"
    assert paths["validation"] == tmp_path / "petab" / "validation" / "problem.yaml"
    for name, n_exp in (("train", 3), ("validation", 1)):
        folder = tmp_path / "petab" / name
        for f in ("model.xml", "conditions.tsv", "observables.tsv",
                  "measurements.tsv", "parameters.tsv"):
            assert (folder / f).is_file()
        problem = petab.Problem.from_yaml(str(folder / "problem.yaml"))
        # the PEtab linter itself (independent of our wrapper) finds nothing
        assert petab.lint_problem(problem) is False
        m = problem.measurement_df
        assert len(m) == 84 * n_exp
        assert m["observableParameters"].nunique() == n_exp
        assert m["noiseParameters"].nunique() == n_exp
        assert set(problem.condition_df.columns) >= {"IFNa_pM", "IFNb_pM"}
        assert len(problem.condition_df) == 14 * n_exp
        est = problem.parameter_df[problem.parameter_df["estimate"] == 1]
        assert (est["parameterScale"] == "log10").all()
        decades = np.log10(est["upperBound"] / est["lowerBound"])
        assert (decades <= 8).all()
        assert ((est["lowerBound"] <= est["nominalValue"])
                & (est["nominalValue"] <= est["upperBound"])).all()


@needs_data
def test_measurements_match_raw_csv(tmp_path, standin_sbml):
    """Every B-cell value of 20190214 lands in the validation problem with
    the dose converted M -> pM (read independently with the csv module)."""
    import petab.v1 as petab

    data.write_kirby_petab(REAL_DATA, tmp_path / "petab", standin_sbml)
    problem = petab.Problem.from_yaml(str(tmp_path / "petab" / "validation" / "problem.yaml"))
    m = problem.measurement_df
    c = problem.condition_df
    with open(REAL_DATA / "20190214_pSTAT1_IFN.csv", encoding="utf-8") as fh:
        raw = list(csv.DictReader(fh))
    assert len(raw) == len(m)
    for rec in raw:
        t, y = float(rec["Time (min)"]), float(rec["pSTAT1 in B cells"])
        dose_pm = float(rec["Concentration (Mol)"]) * 1e12
        col = "IFNa_pM" if rec["Cytokine"] == "IFN-alpha" else "IFNb_pM"
        other = "IFNb_pM" if col == "IFNa_pM" else "IFNa_pM"
        hit = m[(m["time"] == t) & np.isclose(m["measurement"], y, rtol=0, atol=1e-9)]
        assert len(hit) == 1
        cond = c.loc[hit["simulationConditionId"].iloc[0]]
        assert cond[col] == pytest.approx(dose_pm, rel=1e-12)
        assert cond[other] == 0


@needs_data
def test_bad_estimated_parameter_name(tmp_path, standin_sbml):
    with pytest.raises(JakstatInputError, match="kf_nonexistent"):
        data.write_kirby_petab(REAL_DATA, tmp_path / "o", standin_sbml,
                               estimated={"kf_nonexistent": 2.0})


@needs_data
def test_corrupt_copy_of_real_file(tmp_path, standin_sbml):
    """A copy of the real data with one non-numeric time names file and line."""
    for f in REAL_DATA.glob("2019*_pSTAT1_IFN.csv"):
        shutil.copy(f, tmp_path / f.name)
    target = tmp_path / "20190119_pSTAT1_IFN.csv"
    df = pd.read_csv(target, dtype=str, keep_default_na=False)
    df.loc[9, "Time (min)"] = "ten"
    df.to_csv(target, index=False)
    with pytest.raises(JakstatInputError, match=r"20190119_pSTAT1_IFN.csv.*line 11.*'ten'"):
        data.write_kirby_petab(tmp_path, tmp_path / "out", standin_sbml)


REAL_SBML = Path(__file__).resolve().parents[1] / "sbml" / "jakstat_ifn.xml"


@needs_data
@pytest.mark.skipif(not REAL_SBML.is_file(), reason=f"{REAL_SBML} not exported yet")
def test_default_design_fits_the_real_model(tmp_path):
    """The default estimated parameters exist in the exported model and the
    problems built on it pass the PEtab linter."""
    import libsbml
    import petab.v1 as petab

    model = libsbml.readSBMLFromFile(str(REAL_SBML)).getModel()
    ruled = {r.getVariable() for r in model.getListOfRules()}
    for pid in data.ESTIMATED_PARAMETERS:
        assert model.getParameter(pid) is not None and pid not in ruled
    paths = data.write_kirby_petab(REAL_DATA, tmp_path / "petab")  # default SBML
    for path in paths.values():
        assert petab.lint_problem(petab.Problem.from_yaml(str(path))) is False


# -- the Kirby writer through the tidy importer equals the writer it replaced ------

#: Last commit with the Kirby writer that built the PEtab tables itself, before it
#: became a layer over the tidy importer (jakstat_rules/data/tidy.py).
OLD_WRITER_COMMIT = "8d4efd6894a4227d96827580b5bac434e25e73a7"
ROOT = Path(__file__).resolve().parents[1]


def _old_writer():
    """``write_kirby_petab`` of the old module, loaded from git history."""
    import importlib.util
    import subprocess
    import sys

    try:
        source = subprocess.run(
            ["git", "-C", str(ROOT), "show",
             f"{OLD_WRITER_COMMIT}:jakstat_rules/calibrate/data.py"],
            capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip(f"git history with commit {OLD_WRITER_COMMIT[:7]} not available")
    spec = importlib.util.spec_from_loader("jakstat_rules.calibrate._data_before_tidy",
                                           loader=None)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "jakstat_rules.calibrate"  # its relative import of petab_io
    module.__file__ = str(ROOT / "jakstat_rules" / "calibrate" / "data.py")
    sys.modules[spec.name] = module  # dataclasses look their module up there
    # petab_io moved from calibrate/ to the package's floor since that commit
    sys.modules["jakstat_rules.calibrate.petab_io"] = importlib.import_module(
        "jakstat_rules.petab_io")
    try:
        exec(compile(source, f"data.py@{OLD_WRITER_COMMIT[:7]}", "exec"), module.__dict__)
    finally:
        del sys.modules[spec.name]
    return module.write_kirby_petab


@needs_data
@pytest.mark.parametrize("kwargs", [
    {},
    {"cell_type": "CD8+ T cells", "estimated": {"kint_complex": 1.5, "kcat_STAT_phos": 3.0}},
])
def test_same_problem_as_the_old_writer(tmp_path, standin_sbml, kwargs):
    """Every file of both problems (model, conditions, observables, measurements,
    parameters, YAML) is byte-identical to what the old writer produces; the new
    one reads the copy shipped with the package (data_dir=None) and adds study.json."""
    old = _old_writer()(REAL_DATA, tmp_path / "old", standin_sbml, **kwargs)
    new = data.write_kirby_petab(None, tmp_path / "new", standin_sbml, **kwargs)
    assert set(old) == set(new) == {"train", "validation"}
    for name in old:
        files = sorted(p.name for p in (tmp_path / "old" / name).iterdir())
        assert sorted(files + ["study.json"]) == sorted(
            p.name for p in (tmp_path / "new" / name).iterdir())
        assert len(files) == 6
        for f in files:
            assert (tmp_path / "new" / name / f).read_bytes() == \
                (tmp_path / "old" / name / f).read_bytes(), f"{name}/{f}"


def test_kirby_table_is_the_tidy_table(tmp_path):
    """The Kirby files become tidy rows that remember file and line (checked
    against the raw csv read independently)."""
    table = data.kirby_table(None, ["20190119"], "B cells")
    path = data.default_data_dir() / "20190119_pSTAT1_IFN.csv"
    with open(path, encoding="utf-8") as fh:
        raw = list(csv.DictReader(fh))
    assert len(table.rows) == len(raw) == 84
    for row in table.rows:
        rec = raw[row.line - 2]
        assert row.source == str(path) and row.experiment == "20190119"
        assert row.value == float(rec["pSTAT1 in B cells"])
        assert row.time == float(rec["Time (min)"])
        pm = float(rec["Concentration (Mol)"]) * 1e12
        assert row.doses == ((pm, 0.0) if rec["Cytokine"] == "IFN-alpha" else (0.0, pm))


def test_duplicate_well_names_the_kirby_file(tmp_path):
    """A tidy check (duplicates) on Kirby data names the Kirby file and line."""
    rows = [["f1.fcs", "B1", "1.00E-11", "IFN-alpha", "5", "10.5", "1", "2"],
            ["f2.fcs", "B2", "1.00E-11", "IFN-alpha", "5", "11.0", "1", "2"]]
    _write_csv(tmp_path / "20190108_pSTAT1_IFN.csv", rows)
    with pytest.raises(JakstatInputError, match=r"20190108_pSTAT1_IFN.csv', line 3.*duplicates"):
        data.kirby_table(tmp_path, ["20190108"])


def test_cli_data_petab_without_shared_folder(tmp_path, standin_sbml, monkeypatch, capsys):
    """`jakstat data petab` run from a folder with no ../shared and no
    $JAKSTAT_DATA reads the shipped files."""
    from jakstat_rules.cli import main

    monkeypatch.delenv(data.DATA_ENV_VAR, raising=False)
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    assert main(["data", "petab", "--out", "petab", "--sbml", str(standin_sbml)]) == 0
    assert "train: petab/train/problem.yaml" in capsys.readouterr().out
    m = pd.read_csv(work / "petab" / "validation" / "measurements.tsv", sep="\t")
    assert len(m) == 84
