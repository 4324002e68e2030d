"""Tests of jakstat_rules.calibrate.data: Kirby 2021 reader and PEtab writer."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jakstat_rules.calibrate import data
from jakstat_rules.calibrate.example import write_standin_sbml
from jakstat_rules.errors import JakstatInputError

REAL_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "kirby2021"
needs_data = pytest.mark.skipif(not REAL_DATA.is_dir(),
                                reason=f"Kirby 2021 data folder {REAL_DATA} missing")

HEADER = [""] + data.EXPECTED_COLUMNS[1:]


def _write_csv(path: Path, rows: list[list], header=HEADER) -> Path:
    with open(path, "w", newline="") as fh:
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
    with open(REAL_DATA / "20190214_pSTAT1_IFN.csv") as fh:
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
