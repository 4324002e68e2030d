"""Evaluation counts: what our optimisers record per start, and how
benchmarks/bench_petab.py reports them beside pyPESTO's."""

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from jakstat_rules.calibrate.compiled import CompiledProblem
from jakstat_rules.calibrate.objective import Objective
from jakstat_rules.petab_io import ProblemPayload, load_problem

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import bench_petab  # noqa: E402


def _count_runs(monkeypatch, owner, name: str) -> list[int]:
    """A counter of the calls of ``owner.name`` (the model's simulator), kept in a list."""
    calls = [0]
    run = getattr(owner, name)

    def counted(*args, **kwargs):
        calls[0] += 1
        return run(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


@pytest.mark.parametrize("optimizer", ["trf", "fides", "lbfgsb"])
def test_each_start_records_its_simulations(exact_problem, optimizer, monkeypatch):
    """With finite differences the simulations are every objective evaluation
    of the fit, the difference quotients included (scipy's nfev of trf leaves
    them out); each is one run of the simulator, counted here where it runs."""
    from jakstat_rules.calibrate.optimizers import FitSettings, local_fit

    cp = CompiledProblem(ProblemPayload.from_problem(load_problem(exact_problem)))
    ob = Objective(cp)
    runs = _count_runs(monkeypatch, cp.simulator, "simulate")
    x0 = (ob.lb + ob.ub) / 2 + 0.1 * (ob.ub - ob.lb) * np.linspace(-1, 1, len(ob.lb))
    fit = local_fit(ob, x0, FitSettings(optimizer=optimizer, gradient="fd", tol=1e-8,
                                        rtol=1e-10, atol=1e-10))
    counts = bench_petab.evaluation_counts(fit.message)
    assert counts["n_sim"] == runs[0]
    assert 0 < counts["n_values"] <= counts["n_sim"]
    assert counts["n_derivatives"] > 0
    n = len(x0)
    if optimizer == "trf":  # a forward-difference Jacobian: n simulations beyond the value
        assert counts["n_values"] == fit.n_fev
        assert counts["n_sim"] == counts["n_values"] + n * counts["n_derivatives"]
    if optimizer == "fides":  # value, residuals and n moved residual vectors per point
        assert counts["n_sim"] == (n + 2) * counts["n_values"]


@pytest.mark.parametrize("optimizer", ["trf", "fides", "lbfgsb"])
def test_exact_derivatives_count_a_value_and_a_derivative_simulation(exact_problem, optimizer,
                                                                      monkeypatch):
    """With exact derivatives each value is one run of AMICI without sensitivities and
    each derivative one with them, counted where AMICI runs; a value asked for again
    at a point just simulated (Fides' Jacobian after its gradient) reuses the run."""
    from jakstat_rules.calibrate.optimizers import FitSettings, local_fit

    cp = CompiledProblem(ProblemPayload.from_problem(load_problem(exact_problem)),
                         rtol=1e-8, atol=1e-10)
    ob = Objective(cp, gradient="exact")
    runs = _count_runs(monkeypatch, cp.sensitivities(), "evaluate")
    x0 = (ob.lb + ob.ub) / 2 + 0.1 * (ob.ub - ob.lb) * np.linspace(-1, 1, len(ob.lb))
    fit = local_fit(ob, x0, FitSettings(optimizer=optimizer, gradient="exact", tol=1e-8,
                                        rtol=1e-8, atol=1e-10))
    counts = bench_petab.evaluation_counts(fit.message)
    assert counts["n_sim"] == runs[0] > 0
    assert ob.n_fallback == 0
    assert counts["n_sim"] == counts["n_values"] + counts["n_derivatives"]


def test_counts_absent_from_older_messages():
    assert bench_petab.evaluation_counts("`ftol` termination condition is satisfied.") == {}


def test_table_reports_evaluations_per_start_and_per_converged_start():
    msg = "ok [evaluations: {} simulations, {} values, {} derivatives]"
    ours = {"status": "ok", "wall_s": 10.0, "starts": [
        {"id": 0, "fval": 1.0, **bench_petab.evaluation_counts(msg.format(100, 10, 9))},
        {"id": 1, "fval": 5.0, **bench_petab.evaluation_counts(msg.format(300, 30, 27))}]}
    theirs = {"status": "ok", "setup_s": 0.0, "starts": [
        {"id": 0, "fval": 1.05, "n_fval": 40, "n_grad": 40, "wall": 1.0},
        {"id": 1, "fval": 1.02, "n_fval": 60, "n_grad": 60, "wall": 1.0}]}
    rows = bench_petab.summarise("P", ours, {"fides": theirs}, 1.0, argparse.Namespace())
    (row,) = rows
    o, t = row["ours"], row["theirs"]
    assert o["evals_per_start"] == 20 and o["sims_per_start"] == 200
    assert o["evals_per_conv"] == 40 and o["sims_per_conv"] == 400  # 1 of 2 converged
    assert t["evals_per_start"] == 50 and t["evals_per_conv"] == 50  # 2 of 2
    assert row["evals_ratio"] == pytest.approx(0.8)
    cells = bench_petab.table_cells(row)
    assert len(cells) == len(bench_petab.HEADER)
    assert cells[bench_petab.HEADER.index("evals/conv. ours (sims)")] == "40 (400)"
    assert cells[bench_petab.HEADER.index("evals/conv. ours/theirs")] == "0.80"

    failed = {**ours, "starts": ours["starts"] + [{"id": 2, "fval": math.inf}]}
    (row,) = bench_petab.summarise("P", failed, {"fides": theirs}, 1.0, argparse.Namespace())
    assert row["ours"]["evals_per_conv"] == 40 and row["ours"]["evals_per_start"] == 40 / 3

    none = {**ours, "starts": [{**s, "fval": 9.0} for s in ours["starts"]]}
    (row,) = bench_petab.summarise("P", none, {"fides": theirs}, 1.0, argparse.Namespace())
    assert math.isinf(row["ours"]["evals_per_conv"]) and row["evals_ratio"] is None
