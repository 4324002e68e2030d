"""Tests of jakstat_rules.calibrate.multistart (and its store): multistart fits, resume,
failed starts, optimiser choice and the result folder.

References are independent of the code under test: the true parameters that
generated the data, the Gaussian normalisation constant, an uninterrupted
run.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jakstat_rules.calibrate.example import EXAMPLE_TRUE, write_example_problem
from jakstat_rules.calibrate.multistart import calibrate
from jakstat_rules.calibrate.optimizers import FitSettings
from jakstat_rules.calibrate.store import StartResult
from jakstat_rules.petab_io import write_problem
from jakstat_rules.cli import main
from jakstat_rules.errors import JakstatInputError


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_recovers_true_parameters(exact_fit):
    summary = json.loads((exact_fit / "summary.json").read_text(encoding="utf-8"))
    for pid, true in EXAMPLE_TRUE.items():
        assert summary["best_parameters"][pid] == pytest.approx(true, rel=1e-4)
    assert summary["n_starts"] == 4
    assert summary["n_converged"] >= 3
    assert math.isfinite(summary["best_fval"])
    for name in ("summary.json", "best_parameters.tsv", "optimize_result.tsv",
                 "waterfall.png", "fit.png", "parameters.png"):
        assert (exact_fit / name).is_file()
    best = pd.read_csv(exact_fit / "best_parameters.tsv", sep="\t").set_index("parameterId")
    assert best.loc["k1", "value"] == pytest.approx(EXAMPLE_TRUE["k1"], rel=1e-4)
    assert not (exact_fit / "starts.tsv").exists()  # one results table
    starts = pd.read_csv(exact_fit / "optimize_result.tsv", sep="\t")
    assert len(starts) == 4 and set(starts["status"]) == {"ok"}
    assert starts["converged"].sum() == summary["n_converged"]


def test_best_fval_is_gaussian_normalisation(exact_problem, exact_fit):
    """With noise-free data the residuals vanish: NLL = n/2 log(2 pi sigma^2)."""
    summary = json.loads((exact_fit / "summary.json").read_text(encoding="utf-8"))
    m = pd.read_csv(exact_problem.parent / "measurements.tsv", sep="\t")
    sigma = m["noiseParameters"].astype(float).to_numpy()
    expected = float(np.sum(0.5 * np.log(2 * np.pi * sigma ** 2)))
    assert summary["best_fval"] == pytest.approx(expected, abs=1e-6)


def test_noisy_fit_close_to_truth(noisy_problem, tmp_path):
    summary = calibrate(noisy_problem, tmp_path / "fit", n_starts=3, seed=1,
                        progress=False, plots=False)
    for pid, true in EXAMPLE_TRUE.items():
        assert summary["best_parameters"][pid] == pytest.approx(true, rel=0.1)
    assert summary["best_parameters"]["sigma"] == pytest.approx(0.1, rel=0.35)
    assert summary["analytic_parameters"] == ["scale"]
    from jakstat_rules.engine import DEFAULT_ATOL, DEFAULT_RTOL
    assert (summary["settings"]["rtol"], summary["settings"]["atol"]) == (DEFAULT_RTOL,
                                                                          DEFAULT_ATOL)


def test_resume_gives_same_result(exact_problem, tmp_path):
    full = calibrate(exact_problem, tmp_path / "full", n_starts=5, seed=7,
                     progress=False, plots=False)
    part = tmp_path / "part"
    calibrate(exact_problem, part, n_starts=5, seed=7, progress=False,
              plots=False, max_new_starts=2)
    assert sorted(p.name for p in (part / "starts").glob("start_*.json")) == [
        "start_0000.json", "start_0001.json"]
    # a kill during a write leaves a temp file; a non-atomic writer could
    # have left a truncated file: both must be ignored / redone
    (part / "starts" / ".start_0002.json.abc.tmp").write_text("{")
    (part / "starts" / "start_0003.json").write_text('{"start": 3, "sta')
    before = (part / "starts" / "start_0000.json").read_bytes()
    resumed = calibrate(exact_problem, part, n_starts=5, seed=7, progress=False,
                        plots=False)
    assert (part / "starts" / "start_0000.json").read_bytes() == before
    assert resumed["n_finished"] == 5 and resumed["complete"]
    a = pd.read_csv(tmp_path / "full" / "optimize_result.tsv", sep="\t").set_index("id")
    b = pd.read_csv(part / "optimize_result.tsv", sep="\t").set_index("id")
    np.testing.assert_allclose(b.loc[a.index, "fval"], a["fval"], rtol=0, atol=1e-9)
    assert resumed["best_fval"] == pytest.approx(full["best_fval"], abs=1e-9)


def test_start_record_round_trip(exact_fit):
    """The stored JSON record reads back into the same StartResult; its checksum is
    the SHA-256 of its canonical JSON (sorted keys, compact) without the checksum."""
    raw = json.loads((exact_fit / "starts" / "start_0000.json").read_text(encoding="utf-8"))
    rec = StartResult.from_dict(raw)
    assert rec.ok and rec.start == 0 and set(rec.parameters) == set(EXAMPLE_TRUE)
    checksum = raw.pop("checksum")
    assert json.loads(json.dumps(rec.to_dict())) == raw
    assert checksum == hashlib.sha256(json.dumps(raw, sort_keys=True, separators=(",", ":"))
                                      .encode()).hexdigest()
    failed = StartResult.from_dict({"start": 3, "x0": [0.0], "fval": "inf", "status": "failed"})
    assert failed.fval == math.inf and not failed.ok


def _blow_up_problem(folder: Path) -> Path:
    """dA/dt = k A^2: finite-time blow-up at t = 1/k (A(0) = 1)."""
    import tellurium as te

    times = [1.0, 5.0, 10.0]
    return write_problem(
        folder, te.antimonyToSBML("model blow\n compartment c = 1; species A in c; A = 1; "
                                  "k = 0.01\n grow: -> A; k*A*A\nend"),
        pd.DataFrame({"conditionId": ["c0"]}).set_index("conditionId"),
        pd.DataFrame([{"observableId": "A_obs", "observableFormula": "A",
                       "noiseFormula": "noiseParameter1_A_obs"}]).set_index("observableId"),
        pd.DataFrame({"observableId": "A_obs", "simulationConditionId": "c0",
                      "measurement": [1 / (1 - 0.01 * t) for t in times], "time": times,
                      "noiseParameters": 0.01}),
        pd.DataFrame([{"parameterId": "k", "parameterScale": "log10", "lowerBound": 1e-3,
                       "upperBound": 1.0, "nominalValue": 0.01, "estimate": 1}]
                     ).set_index("parameterId"))


def test_failed_simulations_are_recorded(tmp_path):
    """Blow-up within the measured 10 min for k > 0.1: without redraws those
    starts fail with a reason, the others succeed (redraws:
    test_calibrate_reliability.py)."""
    yaml_path = _blow_up_problem(tmp_path / "blow")
    summary = calibrate(yaml_path, tmp_path / "fit", n_starts=6, seed=0,
                        progress=False, plots=False, settings=FitSettings(max_redraws=0))
    starts = pd.read_csv(tmp_path / "fit" / "optimize_result.tsv", sep="\t")
    assert len(starts) == 6
    assert summary["n_failed"] >= 1
    failed = starts[starts["status"] == "failed"]
    assert failed["reason"].str.contains("simulation failed").all()
    assert summary["best_parameters"]["k"] == pytest.approx(0.01, rel=1e-4)


def test_laplace_problem_uses_lbfgsb(tmp_path):
    d = tmp_path / "p"
    write_example_problem(d, noise_sd=0.0)
    obs = pd.read_csv(d / "observables.tsv", sep="\t")
    obs["noiseDistribution"] = "laplace"
    obs.to_csv(d / "observables.tsv", sep="\t", index=False)
    summary = calibrate(d / "problem.yaml", tmp_path / "fit", n_starts=3, seed=0,
                        progress=False, plots=False)
    assert "L-BFGS-B" in summary["optimizer"]
    assert summary["analytic_parameters"] == []
    assert summary["best_parameters"]["k1"] == pytest.approx(EXAMPLE_TRUE["k1"], rel=1e-2)


# -- the result folder ----------------------------------------------------------

def test_other_problem_in_output_dir(exact_fit, exact_problem, noisy_problem, capsys):
    before = _snapshot(exact_fit)
    with pytest.raises(JakstatInputError, match="results of another problem"):
        calibrate(noisy_problem, exact_fit, n_starts=4, seed=0, progress=False)
    assert main(["calibrate", str(noisy_problem), "--out", str(exact_fit),
                 "--starts", "4", "--no-progress"]) == 2
    assert "another problem" in capsys.readouterr().err
    # a different seed for the same folder is refused as well
    with pytest.raises(JakstatInputError, match="seed 0; this run has seed 99"):
        calibrate(exact_problem, exact_fit, n_starts=4, seed=99, progress=False)
    assert _snapshot(exact_fit) == before


def test_unrelated_nonempty_output_dir(exact_problem, tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(JakstatInputError, match="not empty"):
        calibrate(exact_problem, tmp_path, n_starts=2, progress=False)
    assert (tmp_path / "mine.txt").read_text(encoding="utf-8") == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.txt"]

