"""Tests of jakstat_rules.calibrate.profile: profile likelihoods, their
confidence intervals against the data-generating parameters, and resume.
"""

from __future__ import annotations

import pandas as pd
import pytest

from jakstat_rules.calibrate.example import EXAMPLE_TRUE
from jakstat_rules.calibrate.profile import THRESHOLD, profile
from jakstat_rules.errors import JakstatInputError


def test_profile_identifies_parameters(exact_problem, exact_fit, tmp_path):
    assert THRESHOLD == pytest.approx(1.920729, abs=1e-6)
    res = profile(exact_problem, exact_fit, tmp_path / "prof",
                  parameters=["k1", "scale"], progress=False)
    for pid in ("k1", "scale"):
        info = res["parameters"][pid]
        assert info["identifiability"] == "identifiable"
        assert info["ci_lower"] < EXAMPLE_TRUE[pid] < info["ci_upper"]
    assert not res["better_optimum_found"]
    assert (tmp_path / "prof" / "profiles.png").is_file()
    prof = pd.read_csv(tmp_path / "prof" / "profiles.tsv", sep="\t")
    assert (prof["delta"] > -1e-6).all()


def test_profile_rejects_fit_of_other_problem(noisy_problem, exact_fit, tmp_path):
    with pytest.raises(JakstatInputError, match="hash"):
        profile(noisy_problem, exact_fit, tmp_path / "prof", progress=False)
    assert not (tmp_path / "prof").exists()


def test_profile_rejects_unknown_parameter(exact_problem, exact_fit, tmp_path):
    with pytest.raises(JakstatInputError, match="cannot profile 'sigma'"):
        profile(exact_problem, exact_fit, tmp_path / "prof", parameters=["sigma"],
                progress=False)
    assert not (tmp_path / "prof").exists()


def test_profile_resume_skips_finished_branches(exact_problem, exact_fit, tmp_path):
    out = tmp_path / "prof"
    first = profile(exact_problem, exact_fit, out, parameters=["k2"], progress=False)
    branch = out / "branches" / "k2_lower.json"
    before = branch.read_bytes()
    mtime = branch.stat().st_mtime_ns
    again = profile(exact_problem, exact_fit, out, parameters=["k2"], progress=False)
    assert branch.read_bytes() == before and branch.stat().st_mtime_ns == mtime
    assert again["parameters"] == first["parameters"]


def test_profile_damaged_branch_and_locked_folder(exact_problem, exact_fit, tmp_path, caplog):
    """A damaged branch record is one warning line naming the file and is
    traced again; a folder held by another run is refused."""
    import json
    import logging

    from jakstat_rules.io import lock_output_dir

    out = tmp_path / "prof"
    first = profile(exact_problem, exact_fit, out, parameters=["k2"], progress=False)
    branch = out / "branches" / "k2_upper.json"
    branch.write_text('{"parameter": "k2", "direction": 1, "points": [{"x": ')
    with lock_output_dir(out):
        with pytest.raises(JakstatInputError, match="in use by another run"):
            profile(exact_problem, exact_fit, out, parameters=["k2"], progress=False)
    with caplog.at_level(logging.WARNING, logger="jakstat_rules"):
        again = profile(exact_problem, exact_fit, out, parameters=["k2"], progress=False)
    warned = [r.getMessage() for r in caplog.records if r.name == "jakstat_rules"]
    assert len(warned) == 1 and str(branch) in warned[0] and "tracing that branch again" in warned[0]
    assert json.loads(branch.read_text(encoding="utf-8"))["points"]
    assert again["parameters"] == first["parameters"]
    assert (out / "solver.log").is_file()


def test_profile_edited_branch_record_is_traced_again(exact_problem, exact_fit, tmp_path,
                                                     caplog):
    """Branch records carry a checksum (the run store's records): a record whose
    values were edited (valid JSON) is one warning line and its branch is traced again,
    so an edited profile never reaches profiles.json."""
    import json
    import logging

    out = tmp_path / "prof"
    first = profile(exact_problem, exact_fit, out, parameters=["k2"], progress=False)
    branch = out / "branches" / "k2_lower.json"
    record = json.loads(branch.read_text(encoding="utf-8"))
    assert "checksum" in record
    record["points"][-1]["fval"] = 1e9
    branch.write_text(json.dumps(record))
    with caplog.at_level(logging.WARNING, logger="jakstat_rules"):
        again = profile(exact_problem, exact_fit, out, parameters=["k2"], progress=False)
    warned = [r.getMessage() for r in caplog.records if r.name == "jakstat_rules"]
    assert len(warned) == 1 and "checksum" in warned[0] and str(branch) in warned[0]
    assert again["parameters"] == first["parameters"]


def test_profile_interval_ends_where_a_fresh_fit_crosses_the_threshold(exact_problem, exact_fit,
                                                                        tmp_path):
    """The CI endpoints come from the branch's predicted, warm-started
    re-optimisations; fixing the parameter at an endpoint and fitting the others
    from several unrelated starts with scipy's least squares must give an NLL
    rise of the threshold (chi2(1) 95 % / 2)."""
    import numpy as np
    from scipy.optimize import least_squares

    from jakstat_rules.calibrate.compiled import get_compiled
    from jakstat_rules.calibrate.objective import Objective
    from jakstat_rules.calibrate.store import load_fit
    from jakstat_rules.petab_io import ProblemPayload, load_problem

    res = profile(exact_problem, exact_fit, tmp_path / "prof", parameters=["k1", "k2"],
                  progress=False)
    best = load_fit(exact_fit)["best_fval"]
    cp = get_compiled(ProblemPayload.from_problem(load_problem(exact_problem)))
    checked = 0
    for pid in ("k1", "k2"):
        info = res["parameters"][pid]
        assert info["identifiability"] == "identifiable"
        for end in (info["ci_lower"], info["ci_upper"]):
            ob = Objective(cp, fixed={pid: end})
            fits = [least_squares(ob.residuals, x0, bounds=(ob.lb, ob.ub), xtol=1e-12,
                                  ftol=1e-12, gtol=1e-12)
                    for x0 in np.linspace(ob.lb + 0.5, ob.ub - 0.5, 3)]
            rise = min(ob.fval(f.x) for f in fits) - best
            assert rise == pytest.approx(THRESHOLD, abs=0.05), (pid, end, rise)
            checked += 1
    assert checked == 4
