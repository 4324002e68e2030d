"""Tests of jakstat_rules.data.tidy, the tidy-table importer (``jakstat data import``).

References are independent of the importer: unit conversions computed here
by hand from their definitions, tables read back with libpetab and checked
by the PEtab linter itself, and for every bad row the exact file, line,
column and value that were written into the table.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from jakstat_rules.calibrate.example import write_standin_sbml
from jakstat_rules.cli import main
from jakstat_rules.data import design, example_path, tidy
from jakstat_rules.errors import JakstatInputError
from test_calibrate_cli import one_error_line


@pytest.fixture(scope="module")
def standin(tmp_path_factory) -> Path:
    """The stand-in model (IFNa_pM, IFNb_pM, pSTAT1_total, the default estimated ids)."""
    return write_standin_sbml(tmp_path_factory.mktemp("standin") / "standin.xml")


def _write(folder: Path, text: str, name: str = "table.csv") -> Path:
    path = folder / name
    path.write_text(text.lstrip("\n"), encoding="utf-8")
    return path


GOOD = """
experiment,IFNb_pM,time_min,value
rep1,100,5,10.5
rep1,100,10,20.0
rep1,0,10,0.3
rep2,100,5,31.0
rep2,100,10,62.0
"""


def _problems(table: Path, sbml: Path, **options) -> dict:
    return tidy.build_problems(tidy.read_table(table), tidy.ImportOptions(**options),
                               sbml=sbml.read_text(encoding="utf-8"), sbml_name=str(sbml))


# ----------------------------------------------------------------------------- units
def test_units_are_converted(tmp_path):
    """Every unit against its definition: M = mol/L, ng/mL -> mol/L through the
    molar mass, h and s -> min, cGy -> Gy."""
    table = _write(tmp_path, """
experiment,IFNa_nM,IFNb_ng/mL,IFNg_pg_per_mL,ruxolitinib_uM,tofacitinib_ng/mL,IR_cGy,time_h,value
r1,0.25,5,300,1.5,100,200,1.5,7
""")
    t = tidy.read_table(table, molar_masses={"IFNg": 34000})
    (row,) = t.rows
    doses = dict(zip([c.input_id for c in t.inputs], row.doses))
    assert doses["IFNa_pM"] == pytest.approx(0.25e-9 / 1e-12)
    assert doses["IFNb_pM"] == pytest.approx(5e-9 / 1e-3 / 20027.0 / 1e-12)  # g/L / (g/mol)
    assert doses["IFNg_pM"] == pytest.approx(300e-12 / 1e-3 / 34000 / 1e-12)
    assert doses["ruxolitinib_nM"] == pytest.approx(1500.0)
    assert doses["tofacitinib_nM"] == pytest.approx(100e-9 / 1e-3 / 312.37 / 1e-9)
    assert doses["IR_Gy"] == pytest.approx(2.0)
    assert row.time == pytest.approx(90.0)
    assert row.labels[1] == "IFN-beta 5 ng/mL"


def test_seconds_and_default_readout(tmp_path):
    t = tidy.read_table(_write(tmp_path, "experiment,IFNb_pM,time_s,value\nr1,5,90,1\n"))
    assert t.rows[0].time == pytest.approx(1.5)
    assert t.rows[0].readout == "pSTAT1_total" and t.rows[0].sd is None


def test_molar_doses_are_exact(tmp_path):
    """M -> pM multiplies by 1e12 exactly as the Kirby writer always did."""
    t = tidy.read_table(_write(tmp_path, "experiment,IFNa_M,time_min,value\nr,3.00E-10,5,1\n"))
    assert t.rows[0].doses == (3e-10 * 1e12,)


# ----------------------------------------------------------------------------- problems
def test_problem_tables(tmp_path, standin):
    import petab.v1 as petab

    yaml = tidy.import_table(_write(tmp_path, GOOD), tmp_path / "out",
                             tidy.ImportOptions(estimate={"kint_complex": 1.0}),
                             sbml=standin)["train"]
    problem = petab.Problem.from_yaml(str(yaml))
    assert petab.lint_problem(problem) is False
    assert (yaml.parent / "model.xml").read_text(encoding="utf-8") == standin.read_text(encoding="utf-8")
    m, c, p = problem.measurement_df, problem.condition_df, problem.parameter_df
    assert len(m) == 5 and set(m["replicateId"]) == {"rep1", "rep2"}
    assert list(c.index) == ["rep1_IFNb_100pM", "rep1_control", "rep2_IFNb_100pM"]
    assert list(c["IFNb_pM"]) == [100.0, 0.0, 100.0]
    assert list(c.columns) == ["conditionName", "IFNb_pM"]
    row = m[(m["simulationConditionId"] == "rep2_IFNb_100pM") & (m["time"] == 10)]
    assert row["measurement"].item() == 62.0
    assert row["observableParameters"].item() == "scale_rep2"
    assert row["noiseParameters"].item() == "sigma_rep2"
    assert list(p.index) == ["kint_complex", "scale_rep1", "sigma_rep1", "scale_rep2", "sigma_rep2"]
    assert p.at["kint_complex", "lowerBound"] == pytest.approx(0.003)
    assert p.at["kint_complex", "upperBound"] == pytest.approx(0.3)
    # observation bounds scale with the experiment's values (rep2 twice rep1... ranges)
    assert p.at["sigma_rep2", "upperBound"] == pytest.approx(62.0)
    assert p.at["scale_rep1", "lowerBound"] < p.at["scale_rep1", "nominalValue"] \
        < p.at["scale_rep1", "upperBound"]
    # the measurement table is sorted by condition (pyPESTO 0.7 needs it)
    assert list(m["simulationConditionId"]) == sorted(m["simulationConditionId"])


def test_offset_lognormal_sd_bounds_validate(tmp_path, standin):
    table = _write(tmp_path, """
experiment,IFNa_pM,IFNb_pM,time_min,value,sd
rep1,100,0,5,10.5,1.0
rep1,0,50,10,20.0,2.0
rep2,100,0,5,31.0,3.0
rep2,0,50,10,62.0,4.0
""")
    probs = _problems(table, standin, offset=True, noise="lognormal", validate=["rep2"],
                      estimate={"kint_complex": 2.0}, bounds={"offset_rep1": (-5, 5)})
    train, val = probs["train"].problem, probs["validation"].problem
    obs = train.observable_df.iloc[0]
    assert obs["observableTransformation"] == "log"
    assert obs["observableFormula"].endswith("* pSTAT1_total + observableParameter2_obs_pSTAT1_total")
    m = train.measurement_df
    assert set(m["observableParameters"]) == {"scale_rep1;offset_rep1"}
    # log-normal SD of the log: sqrt(ln(1 + CV^2))
    sd = m.loc[m["time"] == 5, "noiseParameters"].item()
    assert sd == pytest.approx(math.sqrt(math.log(1 + (1.0 / 10.5) ** 2)))
    assert train.parameter_df.loc["offset_rep1", ["lowerBound", "upperBound"]].tolist() == [-5, 5]
    assert "sigma_rep1" not in train.parameter_df.index
    assert set(val.measurement_df["replicateId"]) == {"rep2"}
    assert {"scale_rep2", "offset_rep2", "kint_complex"} <= set(val.parameter_df.index)
    assert list(train.condition_df.index) == ["rep1_IFNa_100pM", "rep1_IFNb_50pM"]


def test_several_readouts_get_their_own_parameters(tmp_path):
    table = _write(tmp_path, """
experiment,IFNb_pM,time_min,readout,value
r1,10,5,pSTAT1_total,1
r1,10,5,pSTAT1_nuc,2
""")
    sbml = design._variant_sbml("default")
    probs = tidy.build_problems(tidy.read_table(table), tidy.ImportOptions(estimate={}),
                                sbml=sbml)
    p = probs["train"].problem
    assert set(p.observable_df.index) == {"obs_pSTAT1_total", "obs_pSTAT1_nuc"}
    assert {"scale_r1_pSTAT1_total", "scale_r1_pSTAT1_nuc", "sigma_r1_pSTAT1_nuc"} \
        <= set(p.parameter_df.index)


def test_pstat3_table_with_il6_doses_becomes_a_problem_of_the_model(tmp_path):
    """A user's pSTAT3 time course after IL-6 (ng/mL) imports into a PEtab problem of the
    exported model: the observable reads the model's pSTAT3_total, the dose is IL-6's molar
    concentration (mature human IL-6, UniProt P05231 residues 30-212, 20.9 kDa unglycosylated),
    and libpetab's linter accepts the problem."""
    import petab.v1 as petab

    table = _write(tmp_path, """
experiment,IL6_ng/mL,time_min,readout,value
blot1,0,0,pSTAT3_total,0.05
blot1,20,15,pSTAT3_total,1.00
blot1,20,30,pSTAT3_total,0.85
blot1,20,60,pSTAT3_total,0.40
blot1,20,120,pSTAT3_total,0.20
""")
    yaml = tidy.import_table(table, tmp_path / "out", tidy.ImportOptions(estimate={}))["train"]
    problem = petab.Problem.from_yaml(str(yaml))
    assert petab.lint_problem(problem) is False
    obs = problem.observable_df
    assert list(obs.index) == ["obs_pSTAT3_total"]
    assert re.search(r"\bpSTAT3_total\b", obs.at["obs_pSTAT3_total", "observableFormula"])
    assert "pSTAT3_total" in {p.getId() for p in problem.sbml_model.getListOfParameters()}
    dosed = problem.condition_df[problem.condition_df["IL6_pM"] > 0]
    # 20 ng/mL = 20e-9 g / 1e-3 L; / 20900 g/mol -> mol/L; / 1e-12 -> pM
    assert dosed["IL6_pM"].tolist() == [pytest.approx(20e-9 / 1e-3 / 20900.0 / 1e-12)]
    m = problem.measurement_df
    assert set(m["observableId"]) == {"obs_pSTAT3_total"} and len(m) == 5
    assert m.loc[m["time"] == 15, "measurement"].item() == 1.0


def test_preequilibrated_variant(tmp_path):
    """A variant not at rest (JAK2 V617F) gets a pre-equilibration condition with
    every input 0, and its own exported SBML."""
    table = _write(tmp_path, "experiment,IFNb_pM,time_min,value,variant\n"
                             "r1,10,5,1,jak2_v617f\nr1,10,10,2,jak2_v617f\n")
    seen = []
    probs = tidy.build_problems(tidy.read_table(table), tidy.ImportOptions(estimate={}),
                                sbml_of=lambda v: seen.append(v) or design._variant_sbml("default"))
    p = probs["train"].problem
    assert seen == ["jak2_v617f"]
    assert set(p.measurement_df["preequilibrationConditionId"]) == {"rest"}
    assert p.condition_df.loc["rest", "IFNb_pM"] == 0.0


def test_cli_import_and_example(tmp_path, standin, capsys):
    assert main(["data", "example", "--out", str(tmp_path / "ex")]) == 0
    table = tmp_path / "ex" / "pstat1_example.csv"
    assert main(["data", "import", str(table), "--out", str(tmp_path / "p"), "--sbml",
                 str(standin), "--validate", "exp20190214", "--estimate", "kint_complex",
                 "kcat_STAT_phos", "--decades", "1", "--offset",
                 "--bounds", "scale_exp20190108=0.001:10"]) == 0
    out = capsys.readouterr().out
    assert "train:" in out and "validation:" in out
    import pandas as pd
    par = pd.read_csv(tmp_path / "p" / "train" / "parameters.tsv", sep="\t", index_col=0)
    assert list(par.index[:2]) == ["kint_complex", "kcat_STAT_phos"]
    assert par.at["kint_complex", "upperBound"] == pytest.approx(0.3)  # 1 decade
    assert par.loc["scale_exp20190108", ["lowerBound", "upperBound"]].tolist() == [0.001, 10]
    assert "offset_exp20190119" in par.index and "exp20190214" not in "".join(par.index)


# ----------------------------------------------------------------------------- bad rows
BAD_ROWS = {
    # case: (table text, line, column, value, expectation snippet)
    "unknown readout": ("experiment,IFNb_pM,time_min,readout,value\nr1,10,5,pSTAT1_total,1\n"
                        "r1,10,10,pSTAT3,2\n", 3, "readout", "'pSTAT3'", "expected one of"),
    "negative dose": ("experiment,IFNb_pM,time_min,value\nr1,10,5,1\nr1,-10,10,2\n",
                      3, "IFNb_pM", "'-10'", "expected a number >= 0"),
    "negative time": ("experiment,IFNb_pM,time_min,value\nr1,10,-5,1\n",
                      2, "time_min", "'-5'", "expected a number >= 0"),
    "text in number column": ("experiment,IFNb_pM,time_min,value\nr1,10,5,n.d.\n",
                              2, "value", "'n.d.'", "expected a number"),
    "decimal comma": ("experiment,IFNb_pM,time_min,value\nr1,10,5,\"1,5\"\n",
                      2, "value", "'1,5'", "with a decimal point"),
    "duplicate row": ("experiment,IFNb_pM,time_min,value\nr1,10,5,1\nr1,10,10,1\nr1,10,5,2\n",
                      4, "value", "duplicates line 2", "one row per measurement"),
    "no dose in experiment": ("experiment,IFNb_pM,time_min,value\nr1,10,5,1\nr2,0,5,1\n"
                              "r2,0,10,2\n", 3, "IFNb_pM", "'r2'", "no non-zero dose"),
    "unknown variant": ("experiment,IFNb_pM,time_min,value,variant\nr1,10,5,1,mutant\n",
                        2, "variant", "'mutant'", "expected one of"),
    "zero sd": ("experiment,IFNb_pM,time_min,value,sd\nr1,10,5,1,0\n",
                2, "sd", "'0'", "expected a number > 0"),
    "negative sd": ("experiment,IFNb_pM,time_min,value,sd\nr1,10,5,1,0.2\nr1,10,10,2,-0.3\n",
                    3, "sd", "'-0.3'", "expected a number > 0"),
    "text sd": ("experiment,IFNb_pM,time_min,value,sd\nr1,10,5,1,n/a\n",
                2, "sd", "'n/a'", "expected a number"),
    "wide negative sd": ("experiment,IFNb_pM,5 min,10 min,sd 5 min,sd 10 min\n"
                         "r1,10,1.0,2.0,0.1,-0.2\n", 2, "sd 10 min", "'-0.2'",
                         "expected a number > 0"),
    "bad experiment id": ("experiment,IFNb_pM,time_min,value\nrep 1,10,5,1\n",
                          2, "experiment", "'rep 1'", "letters, digits and '_'"),
    "ragged row": ("experiment,IFNb_pM,time_min,value\nr1,10,5\n",
                   2, None, "3 cells", "one cell per column"),
    "wide text cell": ("experiment,IFNb_pM,5 min,10 min\nr1,10,1.0,high\n",
                       2, "10 min", "'high'", "expected a number"),
    "wide sd without value": ("experiment,IFNb_pM,5 min,10 min,sd 5 min,sd 10 min\n"
                              "r1,10,1.0,,0.1,0.2\n", 2, "sd 10 min", "'0.2'",
                              "expected an empty cell"),
}
HEADER_ERRORS = {
    "unknown input": ("experiment,IL2_pM,time_min,value\nr1,10,5,1\n", "'IL2_pM'",
                      "expected experiment, input columns"),
    "unknown unit": ("experiment,IFNb_U/mL,time_min,value\nr1,10,5,1\n", "'U/mL'",
                     "cannot be converted"),
    "no time": ("experiment,IFNb_pM,value\nr1,10,1\n", "no time column", "time_min"),
    "time columns in a long table": ("experiment,IFNb_pM,5 min,10 min\nr1,10,1,2\n",
                                     "'5 min'", "needs --wide"),
    "input twice": ("experiment,IFNb_pM,IFNb_nM,time_min,value\nr1,1,1,5,1\n", "two columns",
                    "one column per input"),
}


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_bad_row_names_file_line_column_value(tmp_path, case, capsys):
    text, line, column, value, expected = BAD_ROWS[case]
    table = _write(tmp_path, text)
    wide = ["--wide"] if case.startswith("wide") else []
    out = tmp_path / "out"
    assert main(["data", "import", str(table), "--out", str(out), *wide]) == 2
    msg = one_error_line(capsys, f"table {str(table)!r}, line {line}", value, expected)
    if column is not None:
        assert f"column {column!r}" in msg or f"columns {column}" in msg
    assert not out.exists()


@pytest.mark.parametrize("case", sorted(HEADER_ERRORS))
def test_bad_header(tmp_path, case, capsys):
    text, what, expected = HEADER_ERRORS[case]
    table = _write(tmp_path, text)
    assert main(["data", "import", str(table), "--out", str(tmp_path / "out")]) == 2
    one_error_line(capsys, f"table {str(table)!r}, line 1", what, expected)
    assert not (tmp_path / "out").exists()


def test_every_bad_row_is_counted(tmp_path):
    table = _write(tmp_path, "experiment,IFNb_pM,time_min,value\nr1,-1,5,1\nr1,10,x,1\n"
                             "r1,10,5,y\nr1,10,6,1\n")
    with pytest.raises(JakstatInputError, match=r"line 2, column 'IFNb_pM'.*\(2 more problems"):
        tidy.read_table(table)


def test_held_out_experiment_must_exist(tmp_path, standin, capsys):
    table = _write(tmp_path, GOOD)
    out = tmp_path / "out"
    assert main(["data", "import", str(table), "--out", str(out), "--sbml", str(standin),
                 "--validate", "rep3"]) == 2
    one_error_line(capsys, "--validate 'rep3'", str(table), "column 'experiment'",
                   "expected one of ['rep1', 'rep2']")
    assert main(["data", "import", str(table), "--out", str(out), "--sbml", str(standin),
                 "--validate", "rep1", "rep2"]) == 2
    one_error_line(capsys, "every experiment", "left for training")
    assert not out.exists()


@pytest.mark.parametrize("argv, needles", [
    (["--noise", "lognormal"], ["line 4, column 'value'", "value 0.0", "log-normal"]),
    (["--estimate", "kf_nonexistent"], ["kf_nonexistent", "not a global parameter"]),
    (["--estimate", "IFNb_pM"], ["'IFNb_pM' is an input"]),
    (["--bounds", "scale_rep9=1:2"], ["--bounds scale_rep9", "expected one of"]),
    (["--bounds", "scale_rep1=2:1"], ["--bounds scale_rep1", "lower < upper"]),
    (["--bounds", "scale_rep1=two"], ["LOW:HIGH"]),
    (["--molar-mass", "IFNx=3"], ["--molar-mass IFNx", "expected one of"]),
    (["--molar-mass", "IFNb=0"], ["--molar-mass IFNb='0'", "expected a positive number of g/mol"]),
    (["--molar-mass", "IFNb=inf"], ["--molar-mass IFNb='inf'", "expected a positive number"]),
])
def test_bad_options(tmp_path, standin, capsys, argv, needles):
    table = _write(tmp_path, GOOD.replace("rep1,0,10,0.3", "rep1,0,10,0"))
    out = tmp_path / "out"
    assert main(["data", "import", str(table), "--out", str(out), "--sbml", str(standin),
                 *argv]) == 2
    one_error_line(capsys, *needles)
    assert not out.exists()


def test_model_without_the_tables_input(tmp_path, standin):
    table = _write(tmp_path, "experiment,IFNg_pM,time_min,value\nr1,10,5,1\n")
    with pytest.raises(JakstatInputError, match="no global parameter 'IFNg_pM'"):
        tidy.import_table(table, tmp_path / "out", sbml=standin)
    assert not (tmp_path / "out").exists()


def test_mixed_variants_in_one_problem(tmp_path, standin):
    table = _write(tmp_path, "experiment,IFNb_pM,time_min,value,variant\n"
                             "r1,10,5,1,default\nr2,10,5,1,socs1_loss\n")
    with pytest.raises(JakstatInputError, match=r"line 3, column 'variant'.*'socs1_loss'"):
        tidy.import_table(table, tmp_path / "out", sbml=standin)


def test_missing_file_and_empty_table(tmp_path):
    with pytest.raises(JakstatInputError, match="not found"):
        tidy.read_table(tmp_path / "nope.csv")
    with pytest.raises(JakstatInputError, match="is empty"):
        tidy.read_table(_write(tmp_path, "\n\n"))
    with pytest.raises(JakstatInputError, match="no measurements"):
        tidy.read_table(_write(tmp_path, "experiment,IFNb_pM,time_min,value\n"))


def test_bad_output_folder_writes_nothing(tmp_path, standin, capsys):
    table = _write(tmp_path, GOOD)
    target = tmp_path / "file"
    target.write_text("x")
    assert main(["data", "import", str(table), "--out", str(target), "--sbml", str(standin)]) == 2
    one_error_line(capsys, str(target), "is a file")
    assert target.read_text(encoding="utf-8") == "x"


# ----------------------------------------------------------------------------- problem design
#: The stand-in readout's factor and the baseline of the table shaped like a
#: user's report (pSTAT1 time courses with an SD column, t = 0 values ~300).
USER_SCALE, USER_BASELINE = 0.05, 300.0


@pytest.fixture(scope="module")
def user_table(tmp_path_factory, standin) -> Path:
    """The shipped example's experiments, doses and times plus t = 0, values
    simulated from the stand-in model (roadrunner directly, at its parameter
    values) as ``USER_SCALE * pSTAT1_total + USER_BASELINE`` plus normal noise
    of a different SD on every row, given in column ``sd``."""
    import pandas as pd
    import roadrunner

    design = pd.read_csv(example_path())
    rr = roadrunner.RoadRunner(str(standin))
    rng = np.random.default_rng(3)
    rows = []
    for (exp, a, b), group in design.groupby(["experiment", "IFNa_pM", "IFNb_pM"]):
        times = [0.0, *sorted(group["time_min"])]
        rr.resetAll()
        rr["IFNa_pM"], rr["IFNb_pM"] = a, b
        signal = USER_SCALE * rr.simulate(times=times, selections=["pSTAT1_total"])[:, 0]
        for t, x in zip(times, signal):
            sd = 10 + 0.02 * x + 0.1 * len(rows)
            value = x + USER_BASELINE + sd * rng.standard_normal()
            rows.append(f"{exp},{a},{b},{t},{value:.6g},{sd:.6g}")
    path = tmp_path_factory.mktemp("user") / "user.csv"
    path.write_text("experiment,IFNa_pM,IFNb_pM,time_min,value,sd\n" + "\n".join(rows) + "\n",
                    encoding="utf-8")
    return path


def _cli_problem(table: Path, out: Path, sbml: Path, *argv: str):
    """The imported problem, written as PEtab v1 to read its tables with libpetab's v1 API
    (the v2 output of the same design: tests/test_petab_v2_out.py)."""
    import petab.v1 as petab

    assert main(["data", "import", str(table), "--out", str(out), "--sbml", str(sbml),
                 "--petab-version", "1", *argv]) == 0
    return petab.Problem.from_yaml(str(out / "train" / "problem.yaml"))


def test_measured_sds_are_numeric_noise_values_of_one_observable(tmp_path, standin,
                                                                 user_table):
    """84 measurements, each with its own SD: one observable, the SDs as
    numbers in noiseParameters, lint-clean; no sigma_ parameter."""
    import pandas as pd
    import petab.v1 as petab

    problem = _cli_problem(user_table, tmp_path / "p", standin)
    assert petab.lint_problem(problem) is False
    table = pd.read_csv(user_table)
    assert table["sd"].nunique() == len(table) == 84
    obs = problem.observable_df
    assert list(obs.index) == ["obs_pSTAT1_total"]
    assert obs.at["obs_pSTAT1_total", "noiseFormula"] == "noiseParameter1_obs_pSTAT1_total"
    m = problem.measurement_df
    assert len(m) == len(table)
    noise = dict(zip(m["measurement"], m["noiseParameters"]))
    assert noise == dict(zip(table["value"], table["sd"]))
    assert all(isinstance(v, float) for v in noise.values())
    assert not any(pid.startswith("sigma_") for pid in problem.parameter_df.index)


def test_baseline_offset_estimated_by_default(tmp_path, standin, user_table, capsys):
    """t = 0 values ~300 against a peak ~2300: offset_<experiment> is estimated
    (nominal: the experiment's median t = 0 value) and announced; --no-offset
    refuses it, --offset still forces it."""
    import pandas as pd

    table = pd.read_csv(user_table)
    capsys.readouterr()
    problem = _cli_problem(user_table, tmp_path / "auto", standin)
    out = capsys.readouterr().out
    (line,) = [ln for ln in out.splitlines() if ln.startswith("baseline:")]
    assert "t = 0 values" in line and "estimating offset_<experiment>" in line
    assert "--no-offset to refuse" in line
    exps = sorted(table["experiment"].unique())
    par = problem.parameter_df
    assert [pid for pid in par.index if pid.startswith("offset_")] == [f"offset_{e}" for e in exps]
    for exp in exps:
        t0 = table[(table["experiment"] == exp) & (table["time_min"] == 0)]["value"]
        assert par.at[f"offset_{exp}", "nominalValue"] == pytest.approx(t0.median())
    assert problem.observable_df.iloc[0]["observableFormula"].endswith(
        "+ observableParameter2_obs_pSTAT1_total")
    assert set(problem.measurement_df["observableParameters"]) == {
        f"scale_{e};offset_{e}" for e in exps}

    refused = _cli_problem(user_table, tmp_path / "no", standin, "--no-offset")
    assert "no offset estimated (--no-offset)" in capsys.readouterr().out
    assert not any(pid.startswith("offset_") for pid in refused.parameter_df.index)
    assert "observableParameter2" not in refused.observable_df.iloc[0]["observableFormula"]

    table.loc[table["time_min"] == 0, "value"] = 1.0  # no baseline left: nothing by default
    flat = tmp_path / "flat.csv"
    table.to_csv(flat, index=False)
    assert not any(p.startswith("offset_") for p in
                   _cli_problem(flat, tmp_path / "flat", standin).parameter_df.index)
    assert "baseline:" not in capsys.readouterr().out
    forced = _cli_problem(flat, tmp_path / "forced", standin, "--offset")
    assert "offset_exp20190108" in forced.parameter_df.index


def test_offset_lowers_the_nominal_nll(tmp_path, standin, user_table):
    """At the parameters the table was simulated with (the stand-in's values,
    scale USER_SCALE), the NLL with the default offset is that of the noise
    alone; without it, every row misses its baseline of ~300."""
    import pandas as pd

    from jakstat_rules.calibrate.nominal import evaluate_nominal

    table = pd.read_csv(user_table)
    n = len(table)
    floor = float(np.sum(0.5 * np.log(2 * np.pi * table["sd"] ** 2)))
    nll = {}
    for offset in (None, False):
        yaml = tidy.import_table(user_table, tmp_path / str(offset), tidy.ImportOptions(
            offset=offset, scale_bounds=(1e-4, 10.0), scale_nominal=USER_SCALE),
            sbml=standin)["train"]
        nll[offset] = evaluate_nominal(yaml).data_nll - floor
    assert 0 < nll[None] < n            # half a chi-square of n rows: about n / 2
    assert nll[False] > 20 * n          # (300 / SD)^2 / 2 per row, SD 10 to 60


@pytest.mark.parametrize("baseline, offset", [(0.04, False), (0.06, True)])
def test_baseline_criterion(tmp_path, standin, baseline, offset):
    """The median of the t = 0 / untreated values against BASELINE_FRACTION of
    the experiment's largest |value| (here 100)."""
    assert tidy.BASELINE_FRACTION == 0.05
    b = 100 * baseline
    table = _write(tmp_path, f"""
experiment,IFNb_pM,time_min,value
r1,10,0,{b}
r1,0,30,{b + 1}
r1,0,60,{b - 1}
r1,10,30,100
""")
    found = tidy.baseline_check(tidy.read_table(table))
    assert (found.experiment, found.kinds) == ("r1", ("t = 0", "untreated"))
    assert found.median == pytest.approx(b) and found.fraction == pytest.approx(baseline)
    params = _problems(table, standin, estimate={})["train"].problem.parameter_df
    assert ("offset_r1" in params.index) is offset


@pytest.mark.parametrize("n_rows, warned", [(6, False), (5, True)])
def test_warning_when_parameters_outnumber_the_data(tmp_path, standin, capsys, n_rows,
                                                    warned):
    """One model parameter and one scale (SDs given, no baseline rows): 6
    measurements are 3 per parameter, 5 are fewer."""
    rows = "".join(f"r1,10,{t},{t + 1},0.5\n" for t in range(1, n_rows + 1))
    table = _write(tmp_path, "experiment,IFNb_pM,time_min,value,sd\n" + rows)
    capsys.readouterr()
    problem = _cli_problem(table, tmp_path / "p", standin, "--estimate", "kint_complex")
    assert list(problem.parameter_df.index) == ["kint_complex", "scale_r1"]
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == ("baseline: no t = 0 or untreated measurements to check; no offset "
                        "estimated (--offset to estimate offset_<experiment>)")
    warning = [ln for ln in lines if ln.startswith("warning:")]
    assert bool(warning) is warned
    if warned:
        assert warning[0].startswith("warning: 2 estimated parameters (1 of the model, 1 "
                                     "scale/offset/noise) for 5 measurements, fewer than 3")
