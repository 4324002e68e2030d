"""Tests of jakstat_rules.data.tidy, the tidy-table importer (``jakstat data import``).

References are independent of the importer: unit conversions computed here
by hand from their definitions, tables read back with libpetab and checked
by the PEtab linter itself, and for every bad row the exact file, line,
column and value that were written into the table.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from jakstat_rules.calibrate.example import write_standin_sbml
from jakstat_rules.cli import main
from jakstat_rules.data import tidy
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
    sbml = tidy._variant_sbml("default")
    probs = tidy.build_problems(tidy.read_table(table), tidy.ImportOptions(estimate={}),
                                sbml=sbml)
    p = probs["train"].problem
    assert set(p.observable_df.index) == {"obs_pSTAT1_total", "obs_pSTAT1_nuc"}
    assert {"scale_r1_pSTAT1_total", "scale_r1_pSTAT1_nuc", "sigma_r1_pSTAT1_nuc"} \
        <= set(p.parameter_df.index)


def test_preequilibrated_variant(tmp_path):
    """A variant not at rest (JAK2 V617F) gets a pre-equilibration condition with
    every input 0, and its own exported SBML."""
    table = _write(tmp_path, "experiment,IFNb_pM,time_min,value,variant\n"
                             "r1,10,5,1,jak2_v617f\nr1,10,10,2,jak2_v617f\n")
    seen = []
    probs = tidy.build_problems(tidy.read_table(table), tidy.ImportOptions(estimate={}),
                                sbml_of=lambda v: seen.append(v) or tidy._variant_sbml("default"))
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
    "unknown input": ("experiment,IL6_pM,time_min,value\nr1,10,5,1\n", "'IL6_pM'",
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


def test_measured_sds_varying_within_a_condition_are_flattened(tmp_path, standin):
    """Per-row SDs would be time-point-specific noise overrides; the problem
    gets one observable copy per (condition, SD) instead (libpetab's flattening)."""
    import petab.v1 as petab
    from petab.v1.lint import measurement_table_has_timepoint_specific_mappings

    table = _write(tmp_path, "experiment,IFNb_pM,time_min,value,sd\n"
                             "r1,10,5,1,0.1\nr1,10,10,2,0.2\nr2,10,5,3,0.3\n")
    yaml = tidy.import_table(table, tmp_path / "out", tidy.ImportOptions(estimate={}),
                             sbml=standin)["train"]
    problem = petab.Problem.from_yaml(str(yaml))
    assert petab.lint_problem(problem) is False
    assert not measurement_table_has_timepoint_specific_mappings(problem.measurement_df)
    assert len(problem.observable_df) == 3
    assert sorted(problem.measurement_df["noiseParameters"]) == [0.1, 0.2, 0.3]
