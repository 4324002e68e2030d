"""Profile-wise prediction bands against the analytic band of a linear model.

The model ``dA/dt = b``, ``A(0) = a`` is linear in its parameters: ``A(t) =
a + b t``.  With normal noise of known SD the negative log-likelihood is
exactly quadratic, the profile of each parameter a straight line through
parameter space, and the profile-wise band at time ``t`` has the half-width
``1.96 max_k |c . Sigma e_k| / sqrt(Sigma_kk)`` with ``c = (1, t)`` and
``Sigma = sd^2 (X^T X)^-1`` (module docstring of
:mod:`jakstat_rules.calibrate.bands`): computed here from the design
matrix alone, independently of the fit and the profiles.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2

from jakstat_rules.cli import main

from conftest import write_one_condition_problem

SD = 0.1
TIMES = np.arange(0.0, 11.0)
TRUE = {"a": 1.0, "b": 0.5}

LINE = """
model line
  compartment c = 1
  species A in c
  a = 1; b = 0.5
  A = a
  grow: -> A; b
end
"""


def _write_problem(problem, times, seed):
    """The straight-line problem with data at ``times`` (noise of SD ``SD``)."""
    rng = np.random.default_rng(seed)
    y = TRUE["a"] + TRUE["b"] * times + rng.normal(0.0, SD, len(times))
    return write_one_condition_problem(
        problem, LINE, {"observableId": "obs_A", "time": times, "measurement": y},
        {"observableId": ["obs_A"], "observableFormula": ["A"], "noiseFormula": [str(SD)]},
        {"parameterId": ["a", "b"], "parameterScale": "lin", "lowerBound": 0.01,
         "upperBound": 10.0, "nominalValue": [1.0, 0.5], "estimate": 1})


def _analytic_half_width(t):
    """1.96 max_k |c . Sigma e_k| / sqrt(Sigma_kk), c = (1, t), from the design matrix."""
    X = np.column_stack([np.ones_like(TIMES), TIMES])
    sigma = SD ** 2 * np.linalg.inv(X.T @ X)
    c = np.column_stack([np.ones_like(t), t])
    return np.sqrt(chi2.ppf(0.95, 1)) * (np.abs(c @ sigma) / np.sqrt(np.diag(sigma))).max(axis=1)


@pytest.fixture(scope="module")
def profiled(tmp_path_factory):
    root = tmp_path_factory.mktemp("bands")
    yaml_path = _write_problem(root / "problem", TIMES, seed=3)
    assert main(["calibrate", str(yaml_path), "--starts", "2", "--out", str(root / "fit"),
                 "--no-progress", "--workers", "1"]) == 0
    assert main(["profile", str(yaml_path), "--fit", str(root / "fit"), "--out",
                 str(root / "profile"), "--workers", "1"]) == 0
    return root


def test_band_half_width_is_the_analytic_one(profiled):
    bands = pd.read_csv(profiled / "profile" / "bands.tsv", sep="\t")
    X = np.column_stack([np.ones_like(TIMES), TIMES])
    sigma = SD ** 2 * np.linalg.inv(X.T @ X)
    z = np.sqrt(chi2.ppf(0.95, 1))  # 1.96: the profile threshold chi2(0.95, 1) / 2 on 2 NLL
    t = bands["time"].to_numpy()
    c = np.column_stack([np.ones_like(t), t])
    expected = _analytic_half_width(t)
    upper = bands["upper"] - bands["model"]
    lower = bands["model"] - bands["lower"]
    np.testing.assert_allclose(upper, expected, rtol=2e-3, atol=1e-6)
    np.testing.assert_allclose(lower, expected, rtol=2e-3, atol=1e-6)
    # inside the full (simultaneous in both parameters) confidence band of the prediction
    full = z * np.sqrt(np.einsum("ti,ij,tj->t", c, sigma, c))
    assert np.all(expected <= full + 1e-12)


def test_profiles_json_states_the_method_and_the_figure_is_written(profiled):
    record = json.loads((profiled / "profile" / "profiles.json").read_text(encoding="utf-8"))
    bands = record["bands"]
    assert bands["method"] == "95 % profile-wise prediction band"
    assert bands["profiled"] == ["a", "b"] and bands["parameter_sets"] >= 4
    assert "Simpson" in bands["reference"]
    assert (profiled / "profile" / "bands.png").stat().st_size > 10_000


def test_the_band_figure_has_the_band_in_its_legend(profiled):
    from jakstat_rules.calibrate.bands import (BAND_METHOD, profile_ensemble,
                                               simulate_ensemble)
    from jakstat_rules.calibrate.compiled import CompiledProblem
    from jakstat_rules.calibrate.profile import THRESHOLD, _load_branches
    from jakstat_rules.calibrate.report import fit_figure
    from jakstat_rules.petab_io import ProblemPayload, load_problem

    cp = CompiledProblem(ProblemPayload.from_problem(
        load_problem(profiled / "problem" / "problem.yaml")))
    fit = json.loads((profiled / "fit" / "summary.json").read_text(encoding="utf-8"))
    branches = list(_load_branches(profiled / "profile" / "branches").values())
    members = simulate_ensemble(cp, profile_ensemble(cp, branches, fit["best_fval"], THRESHOLD))
    p = np.array([fit["best_parameters"][i] for i in cp.estimated_ids])
    fig = fit_figure(cp, p, ensemble=members, band_label=BAND_METHOD)
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert texts[-1] == BAND_METHOD and "model" in texts
    assert len(fig.axes[0].collections) >= 2  # the shaded band and the error bars


def test_validation_prediction_band_is_the_analytic_one(profiled, tmp_path):
    """Extrapolation to t = 12 ... 30 (a held-out experiment): the band of each
    prediction is the analytic one, wider than within the data."""
    later = np.array([12.0, 15.0, 20.0, 30.0])
    val = _write_problem(tmp_path / "val", later, seed=4)
    assert main(["validate", str(profiled / "fit"), str(val), "--out", str(tmp_path / "out"),
                 "--profiles", str(profiled / "profile")]) == 0
    table = pd.read_csv(tmp_path / "out" / "predictions.tsv", sep="\t")
    expected = _analytic_half_width(table["time"].to_numpy())
    np.testing.assert_allclose(table["upper"] - table["prediction"], expected, rtol=2e-3)
    np.testing.assert_allclose(table["prediction"] - table["lower"], expected, rtol=2e-3)
    record = json.loads((tmp_path / "out" / "validation.json").read_text(encoding="utf-8"))
    assert record["band"]["method"] == "95 % profile-wise prediction band"


def test_validate_refuses_a_profile_of_another_fit(profiled, tmp_path, capsys):
    other = tmp_path / "profile"
    other.mkdir()
    record = json.loads((profiled / "profile" / "profiles.json").read_text(encoding="utf-8"))
    record["best_fval"] += 1.0
    (other / "profiles.json").write_text(json.dumps(record))
    assert main(["validate", str(profiled / "fit"), str(profiled / "problem" / "problem.yaml"),
                 "--out", str(tmp_path / "out"), "--profiles", str(other)]) == 2
    err = capsys.readouterr().err
    assert "profiles a fit of best NLL" in err and not (tmp_path / "out").exists()
