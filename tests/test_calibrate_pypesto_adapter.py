"""Tests of jakstat_rules.calibrate.pypesto_adapter: pyPESTO runs on our objective."""
from __future__ import annotations

import numpy as np
import pytest

from jakstat_rules.calibrate.example import EXAMPLE_TRUE
from jakstat_rules.calibrate.compiled import CompiledProblem
from jakstat_rules.calibrate.objective import Objective
from jakstat_rules.petab_io import ProblemPayload, load_problem

pypesto = pytest.importorskip("pypesto")


@pytest.fixture(scope="module")
def objective(exact_problem) -> Objective:
    payload = ProblemPayload.from_problem(load_problem(exact_problem))
    return Objective(CompiledProblem(payload), gradient="exact")


def test_values_are_the_objectives(objective):
    from jakstat_rules.calibrate.pypesto_adapter import PypestoObjective

    adapter = PypestoObjective(objective)
    x = (objective.lb + objective.ub) / 2
    assert adapter(x) == objective.fval(x)
    fval, grad = adapter(x, sensi_orders=(0, 1))           # the sensitivity simulation
    assert fval == pytest.approx(objective.fval(x), rel=1e-7)
    np.testing.assert_allclose(grad, objective.gradient(x), rtol=1e-6)
    assert adapter.has_res and adapter.has_sres
    np.testing.assert_allclose(adapter(x, mode="mode_res"), objective.residuals(x))
    assert adapter.x_names == objective.free_ids


def test_pypesto_optimisation_reaches_the_true_parameters(objective):
    """pyPESTO's multistart (its scipy L-BFGS-B, our exact gradient) on the stand-in
    problem with noise-free data returns to the parameters that made the data."""
    import pypesto.optimize

    from jakstat_rules.calibrate.pypesto_adapter import pypesto_problem

    problem = pypesto_problem(objective)
    result = pypesto.optimize.minimize(
        problem, optimizer=pypesto.optimize.ScipyOptimizer(
            method="L-BFGS-B", options={"ftol": 1e-14, "gtol": 1e-10, "maxfun": 500}),
        n_starts=3, progress_bar=False)
    best = result.optimize_result[0]
    got = objective.full_parameters(best.x)
    for pid in objective.free_ids:
        assert got[pid] == pytest.approx(EXAMPLE_TRUE[pid], rel=1e-3), pid
    assert best.fval == pytest.approx(objective.fval(best.x))


def test_pyPESTO_runs_the_starts_on_worker_processes(objective, exact_problem):
    """The objective pickles as its problem (pyPESTO's MultiProcessEngine sends it to
    two worker processes, each compiling the model once): the starts end where the
    same starts end in this process, at the parameters that made the data."""
    import pickle

    import pypesto.engine
    import pypesto.optimize

    from jakstat_rules.calibrate.pypesto_adapter import pypesto_problem

    fd = Objective(CompiledProblem(objective.cp.payload), fixed={}, analytic=("scaling",),
                   gradient="fd")
    copy = pickle.loads(pickle.dumps(fd))
    assert copy is not fd and copy.n_eval == 0 and copy.free_ids == fd.free_ids
    x = (fd.lb + fd.ub) / 2
    assert copy.fval(x) == fd.fval(x) and copy.analytic_ids == fd.analytic_ids

    optimizer = pypesto.optimize.ScipyOptimizer(
        method="L-BFGS-B", options={"ftol": 1e-14, "gtol": 1e-10, "maxfun": 500})
    starts = np.random.default_rng(5).uniform(objective.lb, objective.ub, (2, len(objective.lb)))
    results = {}
    for name, engine in (("here", pypesto.engine.SingleCoreEngine()),
                         ("processes", pypesto.engine.MultiProcessEngine(n_procs=2))):
        problem = pypesto_problem(objective, x_guesses=starts)
        results[name] = pypesto.optimize.minimize(problem, optimizer=optimizer, n_starts=2,
                                                  engine=engine, progress_bar=False)
    for a, b in zip(sorted(results["here"].optimize_result, key=lambda r: r.id),
                    sorted(results["processes"].optimize_result, key=lambda r: r.id)):
        assert a.fval == pytest.approx(b.fval, rel=1e-9, abs=1e-9)
    got = objective.full_parameters(results["processes"].optimize_result[0].x)
    for pid in objective.free_ids:
        assert got[pid] == pytest.approx(EXAMPLE_TRUE[pid], rel=1e-3), pid
