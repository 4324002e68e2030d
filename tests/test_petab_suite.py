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
UNSUPPORTED = {("v2.0.0/pysb", "0005"): "condition target that is no model entity "
                                        "(offset_A, absent from the PySB model)"}


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
    solution = yaml.safe_load(path.read_text())
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


def _delayed_event_problem(folder: Path) -> Path:
    """A PEtab v2 problem like case 0016 whose event has a delay (no case of the suite has one)."""
    import antimony

    assert antimony.loadAntimonyString("""
model delayed
  compartment C = 4
  species S in C = 3
  p = 1
  S' = p
  E: at 1 after (S >= 14): C = C * 2
end
""") >= 0
    (folder / "model.xml").write_text(antimony.getSBMLString("delayed"))
    tables = {"conditions.tsv": "conditionId\ttargetId\ttargetValue\nc1\tS\t2\nc2\tS\tS + C\n",
              "experiments.tsv": "experimentId\ttime\tconditionId\ne1\t0\tc1\ne1\t10\tc2\n",
              "observables.tsv": "observableId\tobservableFormula\tnoiseFormula\nobs_S\tS\t1\n",
              "measurements.tsv": "observableId\texperimentId\ttime\tmeasurement\n"
                                  "obs_S\te1\t15\t13\n",
              "parameters.tsv": "parameterId\tlowerBound\tupperBound\tnominalValue\testimate\n"
                                "p\t0\t10\t1\ttrue\n"}
    for name, text in tables.items():
        (folder / name).write_text(text)
    (folder / "problem.yaml").write_text(yaml.safe_dump({
        "format_version": "2.0.0", "model_files": {"m": {"language": "sbml",
                                                         "location": "model.xml"}},
        **{f"{kind}_files": [f"{kind}s.tsv"] for kind in ("condition", "experiment",
                                                         "observable", "measurement",
                                                         "parameter")}}))
    return folder / "problem.yaml"


def test_an_unsupported_v2_feature_is_refused_in_one_line_naming_it(tmp_path, capsys):
    from jakstat_rules.cli import main

    assert main(["calibrate", str(_delayed_event_problem(tmp_path)), "--evaluate-nominal"]) == 2
    lines = message_lines(capsys.readouterr().err)
    assert len(lines) == 1 and "SBML events with a delay ('E')" in lines[0], lines


def test_the_coverage_table_of_the_docs_lists_every_case_with_its_status():
    import re

    docs = (Path(__file__).resolve().parents[1] / "docs" / "calibration.md").read_text()
    rows = dict(re.findall(r"^\| (v\d\.\d\.\d/\w+ \d{4}) \| .+ \| (.+) \|$", docs, flags=re.M))
    expected = {f"{folder} {case.name}": (f"refused (xfail): {UNSUPPORTED[folder, case.name]}"
                                          if (folder, case.name) in UNSUPPORTED else "passes")
                for folder in FOLDERS for case in (SUITE / folder).iterdir() if case.is_dir()}
    assert rows == expected
