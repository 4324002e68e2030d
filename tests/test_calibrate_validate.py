"""Tests of jakstat_rules.calibrate.validate: prediction of a new experiment
with the fitted parameters, against the data-generating values.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from jakstat_rules.calibrate.example import EXAMPLE_TRUE, write_example_problem
from jakstat_rules.calibrate.validate import prediction_metrics, validate
from jakstat_rules.errors import JakstatInputError


def _new_experiment(folder):
    """The example problem with its own scale (true value 2.5, unknown to the fit)."""
    write_example_problem(folder, noise_sd=0.0)
    for name in ("measurements.tsv", "parameters.tsv"):
        text = (folder / name).read_text(encoding="utf-8").replace("scale", "scale_new")
        (folder / name).write_text(text)
    return folder / "problem.yaml"


def test_validate_reestimates_only_new_parameters(exact_fit, tmp_path):
    """k1, k2 stay fixed, the new scale is recovered, R^2 ~ 1."""
    res = validate(exact_fit, _new_experiment(tmp_path / "val"), tmp_path / "out")
    assert set(res["reestimated"]) == {"scale_new"}
    assert res["reestimated"]["scale_new"] == pytest.approx(EXAMPLE_TRUE["scale"], rel=1e-4)
    assert set(res["fixed_from_fit"]) == {"k1", "k2"}
    assert res["r2"] == pytest.approx(1.0, abs=1e-8)
    assert res["nrmse"] < 1e-4
    saved = json.loads((tmp_path / "out" / "validation.json").read_text(encoding="utf-8"))
    assert saved["r2"] == res["r2"]
    assert (tmp_path / "out" / "prediction.png").is_file()
    predictions = pd.read_csv(tmp_path / "out" / "predictions.tsv", sep="\t")
    np.testing.assert_allclose(predictions["prediction"], predictions["measurement"],
                               rtol=1e-6, atol=1e-9)


def test_validate_bad_fit_dir(exact_problem, tmp_path):
    with pytest.raises(JakstatInputError, match="summary.json"):
        validate(tmp_path / "nofit", exact_problem, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_validation_bounds_must_contain_the_fit(exact_fit, tmp_path):
    yaml_path = _new_experiment(tmp_path / "val")
    par = pd.read_csv(tmp_path / "val" / "parameters.tsv", sep="\t")
    par.loc[par["parameterId"] == "k1", ["upperBound", "nominalValue"]] = [0.2, 0.1]
    par.to_csv(tmp_path / "val" / "parameters.tsv", sep="\t", index=False)
    with pytest.raises(JakstatInputError, match="outside its bounds"):
        validate(exact_fit, yaml_path, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_prediction_metrics():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    h = np.array([1.0, 2.5, 2.5, 4.0])
    m = prediction_metrics(y, h)
    assert m["r2"] == pytest.approx(1 - 0.5 / 5.0)
    assert m["rmse"] == pytest.approx((0.5 / 4) ** 0.5)
    assert m["nrmse"] == pytest.approx(m["rmse"] / 3.0)
