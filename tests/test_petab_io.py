"""Tests of jakstat_rules.petab_io: reading, linting, supported
features, the problem hash and writing problem folders.

References: libpetab reading the written files itself, the PEtab linter
called directly, and the CLI's own exit code and stderr.
"""

from __future__ import annotations

import logging

import pandas as pd
import petab.v1 as petab
import pytest

from jakstat_rules.calibrate.example import write_example_problem
from jakstat_rules.calibrate.multistart import calibrate
from jakstat_rules.petab_io import (ProblemPayload, load_problem, problem_hash,
                                              write_problem)
from jakstat_rules.cli import main
from jakstat_rules.errors import JakstatInputError
from test_calibrate_cli import one_error_line


def test_missing_problem_file(tmp_path, capsys):
    with pytest.raises(JakstatInputError, match="not found"):
        load_problem(tmp_path / "nope.yaml")
    assert main(["calibrate", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "o")]) == 2
    one_error_line(capsys, "nope.yaml", "not found")
    assert not (tmp_path / "o").exists()


def test_lint_failure(tmp_path, capsys):
    d = tmp_path / "p"
    write_example_problem(d)
    par = pd.read_csv(d / "parameters.tsv", sep="\t")
    par.loc[0, "parameterScale"] = "log2"
    par.to_csv(d / "parameters.tsv", sep="\t", index=False)
    with pytest.raises(JakstatInputError, match="linter"):
        load_problem(d / "problem.yaml")
    assert main(["calibrate", str(d / "problem.yaml"), "--out", str(tmp_path / "out")]) == 2
    one_error_line(capsys, "linter")
    assert not (tmp_path / "out").exists()


def test_lint_failure_unknown_observable(tmp_path, caplog):
    """A problem the PEtab linter rejects raises JakstatInputError."""
    yaml_path = write_example_problem(tmp_path / "p")
    meas = pd.read_csv(tmp_path / "p" / "measurements.tsv", sep="\t")
    meas.loc[0, "observableId"] = "no_such_observable"
    meas.to_csv(tmp_path / "p" / "measurements.tsv", sep="\t", index=False)
    with caplog.at_level(logging.ERROR):
        with pytest.raises(JakstatInputError, match="linter"):
            load_problem(yaml_path)


def test_bounds_exclude_nominal(tmp_path, capsys):
    d = tmp_path / "p"
    write_example_problem(d)
    par = pd.read_csv(d / "parameters.tsv", sep="\t")
    par.loc[par["parameterId"] == "k2", "nominalValue"] = 50.0
    par.to_csv(d / "parameters.tsv", sep="\t", index=False)
    with pytest.raises(JakstatInputError, match=r"'k2'.*50\.0.*outside"):
        calibrate(d / "problem.yaml", tmp_path / "out", n_starts=2, progress=False)
    assert not (tmp_path / "out").exists()
    assert main(["calibrate", str(d / "problem.yaml"), "--out", str(tmp_path / "out"),
                 "--starts", "2", "--no-progress"]) == 2
    one_error_line(capsys, "'k2'", "outside its bounds")


def test_priors_are_read_and_bad_ones_refused(tmp_path):
    d = tmp_path / "p"
    write_example_problem(d)
    par = pd.read_csv(d / "parameters.tsv", sep="\t")
    par["objectivePriorType"] = ["normal", "", ""]
    par["objectivePriorParameters"] = ["0.1;0.05", "", ""]
    par.to_csv(d / "parameters.tsv", sep="\t", index=False)
    load_problem(d / "problem.yaml")                      # supported now
    par["objectivePriorType"] = ["cauchy", "", ""]
    par.to_csv(d / "parameters.tsv", sep="\t", index=False)
    with pytest.raises(JakstatInputError, match="linter"):   # libpetab's linter names the type
        load_problem(d / "problem.yaml")


def test_write_problem_is_read_back_by_libpetab(tmp_path):
    """Tables written by write_problem are what libpetab reads; the linter passes."""
    conditions = pd.DataFrame({"conditionId": ["c0", "c1"], "k": [1.0, 2.0]}).set_index("conditionId")
    observables = pd.DataFrame([{"observableId": "A_obs", "observableFormula": "A",
                                 "noiseFormula": "0.1"}]).set_index("observableId")
    measurements = pd.DataFrame({"observableId": "A_obs", "simulationConditionId": ["c0", "c1"],
                                 "time": [1.0, 2.0], "measurement": [0.5, 0.25]})
    parameters = pd.DataFrame([{"parameterId": "k0", "parameterScale": "log10",
                                "lowerBound": 0.01, "upperBound": 10.0, "nominalValue": 1.0,
                                "estimate": 1}]).set_index("parameterId")
    import tellurium as te

    sbml = te.antimonyToSBML("model m\n A = 1; k = 1; k0 = 1\n A -> ; k*k0*A\nend")
    yaml_path = write_problem(tmp_path / "prob", sbml, conditions, observables,
                              measurements, parameters)
    problem = petab.Problem.from_yaml(str(yaml_path))
    assert petab.lint_problem(problem) is False
    pd.testing.assert_frame_equal(problem.condition_df, conditions, check_dtype=False)
    pd.testing.assert_frame_equal(problem.measurement_df[measurements.columns], measurements,
                                  check_dtype=False)
    assert problem.model.to_sbml_str().count("<reaction ") == 1
    assert [p.name for p in (tmp_path / "prob").iterdir() if p.name.startswith(".")] == []


def test_problem_hash_follows_content(exact_problem):
    payload = ProblemPayload.from_problem(load_problem(exact_problem))
    again = ProblemPayload.from_problem(load_problem(exact_problem))
    assert payload.hash == again.hash == problem_hash(
        payload.sbml, payload.condition_df, payload.measurement_df,
        payload.observable_df, payload.parameter_df)
    pdf = payload.parameter_df.copy()
    pdf.loc["k1", "upperBound"] = 20.0
    changed = payload.with_parameter_df(pdf)
    assert changed.hash != payload.hash
    assert changed.parameter_df.loc["k1", "upperBound"] == 20.0
    assert payload.parameter_df.loc["k1", "upperBound"] == 10.0
