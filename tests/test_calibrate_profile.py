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
