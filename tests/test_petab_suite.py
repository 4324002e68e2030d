"""The official PEtab test suite: log-likelihood, chi-square and simulations of every case.

The cases are read in place from ``../shared/petab_test_suite`` (beside the
project).  A case passes as the suite defines it (its ``README.md``): the
log-likelihood, the chi-square and every simulated value agree with the
case's solution file (``_NNNN_solution.yaml``) within its own tolerances
``tol_llh``, ``tol_chi2`` and ``tol_simulations``, and the simulation table
lists the measurement rows in the same order.  Cases using a feature not
supported yet are expected failures (``xfail(strict=True)``) whose refusal
must be a :class:`~jakstat_rules.errors.JakstatInputError`: a wrong number
fails the test instead.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import message_lines
from petab.v1 import C, get_simulation_df

from jakstat_rules.calibrate.nominal import evaluate_nominal
from jakstat_rules.errors import JakstatInputError

SUITE = Path(__file__).resolve().parents[1].parent / "shared" / "petab_test_suite"
#: Case folders of the suite and how many cases each holds (its README).
FOLDERS = {"v1.0.0/sbml": 20, "v2.0.0/sbml": 31, "v2.0.0/pysb": 16}
#: Features not supported yet, by case.
UNSUPPORTED: dict[tuple[str, str], str] = {}


def _cases() -> list:
    params = []
    for folder in FOLDERS:
        root = SUITE / folder
        for case in sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []:
            marks = ([pytest.mark.xfail(raises=JakstatInputError, strict=True,
                                        reason=UNSUPPORTED[folder, case])]
                     if (folder, case) in UNSUPPORTED else [])
            params.append(pytest.param(folder, case, marks=marks, id=f"{folder}/{case}"))
    return params


def _solution(folder: str, case: str) -> tuple[dict, pd.DataFrame]:
    """The solution file of a case and its simulation table(s), concatenated."""
    path = SUITE / folder / case / f"_{case}_solution.yaml"
    solution = yaml.safe_load(path.read_text(encoding="utf-8"))
    tables = [get_simulation_df(path.parent / name) for name in solution["simulation_files"]]
    return solution, pd.concat(tables, ignore_index=True)


def test_the_suite_is_there_with_every_case():
    assert SUITE.is_dir(), (f"{SUITE} missing: the PEtab test suite is read in place "
                            f"beside the project (../shared/petab_test_suite)")
    for folder, n in FOLDERS.items():
        cases = [p for p in (SUITE / folder).iterdir() if p.is_dir()]
        assert len(cases) == n, (folder, len(cases))


@pytest.mark.parametrize(("folder", "case"), _cases())
def test_case_matches_its_solution(folder, case):
    solution, expected = _solution(folder, case)
    result = evaluate_nominal(SUITE / folder / case / f"_{case}.yaml")
    assert abs(-result.data_nll - solution["llh"]) < solution["tol_llh"], (
        -result.data_nll, solution["llh"])
    assert abs(result.chi2 - solution["chi2"]) < solution["tol_chi2"], (
        result.chi2, solution["chi2"])
    ours = result.simulations
    # the same rows in the same order: every column but the simulated values agrees
    assert list(ours.columns) == list(expected.columns)
    keys = list(ours.columns.drop(C.SIMULATION))
    pd.testing.assert_frame_equal(ours[keys].astype(str), expected[keys].astype(str))
    difference = np.abs(ours[C.SIMULATION].to_numpy(float)
                        - expected[C.SIMULATION].to_numpy(float))
    assert difference.max() < solution["tol_simulations"], difference


@pytest.mark.parametrize(("folder", "case"), [("v1.0.0/sbml", "0012"), ("v2.0.0/sbml", "0001")])
def test_command_line_writes_what_the_suite_compares(tmp_path, capsys, folder, case):
    from jakstat_rules.cli import main

    solution, expected = _solution(folder, case)
    out = tmp_path / "simulations.tsv"
    assert main(["calibrate", str(SUITE / folder / case / f"_{case}.yaml"),
                 "--evaluate-nominal", "--json", "--simulations", str(out)]) == 0
    numbers = json.loads(capsys.readouterr().out)
    assert abs(numbers["llh"] - solution["llh"]) < solution["tol_llh"]
    assert abs(numbers["chi2"] - solution["chi2"]) < solution["tol_chi2"]
    written = get_simulation_df(out)
    assert list(written.columns) == list(expected.columns)
    np.testing.assert_allclose(written[C.SIMULATION], expected[C.SIMULATION],
                               rtol=0, atol=solution["tol_simulations"])
    for bad, needle in ((["--evaluate-nominal", "--parameter", "nope=1"], "'nope'"),
                        (["--evaluate-nominal", "--parameter", "k1=fast"], "'fast'"),
                        (["--simulations", str(out)], "--evaluate-nominal")):
        assert main(["calibrate", str(SUITE / folder / case / f"_{case}.yaml"), *bad]) == 2
        err = capsys.readouterr().err.strip()
        assert needle in err and len(err.splitlines()) == 1, err


def _problem(folder: Path, antimony_model: str, conditions: str, experiments: str,
             observables: str, measurements: str, parameters: str) -> Path:
    """A PEtab v2 problem written to ``folder`` (rows of each table as text, tab-separated)."""
    import antimony

    folder.mkdir(exist_ok=True)
    assert antimony.loadAntimonyString(antimony_model) >= 0
    (folder / "model.xml").write_text(antimony.getSBMLString(antimony.getMainModuleName()))
    tables = {"condition": ("conditionId\ttargetId\ttargetValue", conditions),
              "experiment": ("experimentId\ttime\tconditionId", experiments),
              "observable": ("observableId\tobservableFormula\tnoiseFormula", observables),
              "measurement": ("observableId\texperimentId\ttime\tmeasurement", measurements),
              "parameter": ("parameterId\tlowerBound\tupperBound\tnominalValue\testimate",
                            parameters)}
    for kind, (header, rows) in tables.items():
        (folder / f"{kind}s.tsv").write_text(header + "\n" + rows.strip().replace(" | ", "\t")
                                              + "\n")
    (folder / "problem.yaml").write_text(yaml.safe_dump({
        "format_version": "2.0.0",
        "model_files": {"m": {"language": "sbml", "location": "model.xml"}},
        **{f"{kind}_files": [f"{kind}s.tsv"] for kind in tables}}))
    return folder / "problem.yaml"


def test_an_unsupported_v2_feature_is_refused_in_one_line_naming_it(tmp_path, capsys):
    """Case 0016 with a delayed event (no case of the suite has one)."""
    from jakstat_rules.cli import main

    yaml_file = _problem(
        tmp_path, "model delayed; compartment C = 4; species S in C = 3; p = 1; S' = p; "
                  "E: at 1 after (S >= 14): C = C * 2; end",
        "c1 | S | 2\nc2 | S | S + C", "e1 | 0 | c1\ne1 | 10 | c2", "obs_S | S | 1",
        "obs_S | e1 | 15 | 13", "p | 0 | 10 | 1 | true")
    assert main(["calibrate", str(yaml_file), "--evaluate-nominal"]) == 2
    lines = message_lines(capsys.readouterr().err)
    assert len(lines) == 1 and "SBML events with a delay ('E')" in lines[0], lines


def test_an_output_parameter_changed_by_a_later_condition_is_read_after_the_change(tmp_path):
    """A condition target that only an observable uses (as in case v2.0.0/pysb 0005) takes
    each period's value."""
    yaml_file = _problem(
        tmp_path, "model ramp; k = 1; x = 0; x' = k; end", "c1 | offset | 1\nc2 | offset | 10",
        "e1 | 0 | c1\ne1 | 5 | c2", "obs | x + offset | 1",
        "obs | e1 | 2 | 0\nobs | e1 | 5 | 0\nobs | e1 | 7 | 0", "k | 0 | 10 | 1 | true")
    simulated = evaluate_nominal(yaml_file).simulations[C.SIMULATION].to_numpy(float)
    np.testing.assert_allclose(simulated, [3, 15, 17], rtol=1e-6)
    unset = _problem(
        tmp_path / "unset", "model ramp; k = 1; x = 0; x' = k; end",
        "c1 | x | 0\nc2 | offset | 10", "e1 | 0 | c1\ne1 | 5 | c2", "obs | x + offset | 1",
        "obs | e1 | 2 | 0\nobs | e1 | 7 | 0", "k | 0 | 10 | 1 | true")
    with pytest.raises(JakstatInputError, match="'offset' is read at time 0 .* no value"):
        evaluate_nominal(unset)


def test_the_coverage_table_of_the_docs_lists_every_case_with_its_status():
    import re

    docs = (Path(__file__).resolve().parents[1] / "docs" / "calibration.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| (v\d\.\d\.\d/\w+ \d{4}) \| .+ \| (.+) \|$", docs, flags=re.M))
    expected = {f"{folder} {case.name}": (f"refused (xfail): {UNSUPPORTED[folder, case.name]}"
                                          if (folder, case.name) in UNSUPPORTED else "passes")
                for folder in FOLDERS for case in (SUITE / folder).iterdir() if case.is_dir()}
    assert rows == expected
