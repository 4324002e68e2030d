"""Exact gradients (forward sensitivities with AMICI) against central finite differences.

Every entry of the objective's gradient is compared with a central
difference quotient of the objective computed on the simulation core
(libroadrunner, finite differences of values only): an independent
reference.  Both at tight tolerances (1e-12), so that the difference
quotient's error is far below the 1e-4 asked for.  Problems: the Kirby
problem (our model, analytic scalings, estimated sigmas), and three of the
PEtab benchmark collection read in place from ../shared/petab_benchmarks:
Brannmark (pre-equilibration, per-measurement overrides), Zheng
(pre-equilibration), Fujita (log10 parameters and an input function).
"""
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jakstat_rules.calibrate.compiled import CompiledProblem
from jakstat_rules.calibrate.objective import Objective
from jakstat_rules.petab_io import ProblemPayload, load_problem

from conftest import REAL_DATA, needs_data

BENCHMARKS = Path(__file__).resolve().parents[1].parent / "shared" / "petab_benchmarks"
needs_benchmarks = pytest.mark.skipif(not BENCHMARKS.is_dir(),
                                      reason=f"{BENCHMARKS} missing")
TOL = 1e-12
#: relative agreement asked for by issue 8
REL = 1e-4


def _objectives(yaml_path, analytic=True, conditions=None, tol=TOL):
    problem = load_problem(yaml_path)
    if conditions is not None:  # a subset of the simulation conditions (time)
        mdf = problem.measurement_df
        problem.measurement_df = mdf[mdf["simulationConditionId"].isin(conditions)]
    cp = CompiledProblem(ProblemPayload.from_problem(problem), rtol=tol, atol=tol)
    return (Objective(cp, analytic=analytic, gradient="exact"),
            Objective(cp, analytic=analytic, gradient="fd"))


def _point(ob, seed=1):
    """A point near the nominal values, off the optimum (nonzero gradient)."""
    table = ob.cp.parameters
    x = ob.x_from_parameters(dict(zip(table.estimated_ids, table.nominal)))
    rng = np.random.default_rng(seed)
    x = x + 0.02 * rng.uniform(-1, 1, len(x)) * (ob.ub - ob.lb)
    return np.clip(x, ob.lb, ob.ub)


def _check_gradient(yaml_path, step=1e-4, analytic=True, jacobian=False, **kwargs):
    exact, fd = _objectives(yaml_path, analytic, **kwargs)
    x = _point(exact)
    f, g = exact.fval_and_gradient(x)
    # the exact-mode value (AMICI) equals the simulation core's value
    assert f == pytest.approx(fd.fval(x), rel=1e-6)
    floor = 1e-3 * np.linalg.norm(g)  # entries below this are compared absolutely
    bad = []
    for k in range(len(x)):
        e = np.zeros(len(x))
        e[k] = step
        quotient = (fd.fval(x + e) - fd.fval(x - e)) / (2 * step)
        err = abs(g[k] - quotient) / max(abs(quotient), floor)
        if err > REL:
            bad.append((exact.free_ids[k], g[k], quotient, err))
    assert not bad, bad
    # the residual Jacobian gives the same gradient (J.T r), least-squares problems
    if exact.least_squares:
        jac = exact.jacobian(x)
        r = exact.residuals(x)
        assert np.allclose(jac.T @ r, g, rtol=1e-6, atol=1e-8 * np.linalg.norm(g))
        if jacobian:
            # every column against central differences of the core's residuals, the inner
            # (closed-form) parameters re-solved at each point: the reduced Jacobian of
            # variable projection, not the one at fixed inner parameters
            for k in range(len(x)):
                e = np.zeros(len(x))
                e[k] = step
                quotient = (fd.residuals(x + e) - fd.residuals(x - e)) / (2 * step)
                err = np.linalg.norm(jac[:, k] - quotient) / np.linalg.norm(quotient)
                assert err < REL, (exact.free_ids[k], err)
    return exact


@needs_benchmarks
@pytest.mark.slow
@pytest.mark.heavy  # 40 s; `make test` checks Brannmark's pre-equilibration with inner parameters, below
def test_gradient_brannmark_with_preequilibration():
    ob = _check_gradient(BENCHMARKS / "Brannmark_JBC2010" / "Brannmark_JBC2010.yaml")
    assert any(u.switch is not None for u in ob.cp.plan.units)  # pre-equilibrated units


@needs_benchmarks
@pytest.mark.slow
def test_gradient_brannmark_with_inner_scalings_and_sigmas():
    """Scalings and noise SDs solved in closed form: the gradient is the partial
    gradient at the inner optimum (envelope theorem)."""
    ob = _check_gradient(BENCHMARKS / "Brannmark_JBC2010" / "Brannmark_JBC2010.yaml",
                         analytic=("scaling", "offset", "sigma"))
    assert "sigma" in ob.inner.kinds.values() and "scaling" in ob.inner.kinds.values()
    assert any(u.switch is not None for u in ob.cp.plan.units)  # pre-equilibrated units


@needs_benchmarks
@pytest.mark.slow
@pytest.mark.heavy  # its own AMICI build (30 s); `make test` checks Zheng as PEtab v2, below
def test_gradient_zheng():
    _check_gradient(BENCHMARKS / "Zheng_PNAS2012" / "Zheng_PNAS2012.yaml")


@needs_benchmarks
@pytest.mark.slow
def test_gradient_of_a_petab_v2_problem_with_preequilibration(tmp_path):
    """Zheng converted to PEtab v2 by libpetab: an experiment of a pre-equilibration
    period and one at time 0 (v2 has no parameter scales: searched on log10, as v1 states)."""
    from petab.v2.petab1to2 import petab1to2

    petab1to2(BENCHMARKS / "Zheng_PNAS2012" / "Zheng_PNAS2012.yaml", tmp_path)
    ob = _check_gradient(tmp_path / "Zheng_PNAS2012.yaml")
    assert ob.cp.payload.version == 2
    assert [p.time for p in ob.cp.plan.units[0].periods] == [-np.inf, 0.0]


@needs_benchmarks
@pytest.mark.slow
def test_gradient_fujita():
    ob = _check_gradient(BENCHMARKS / "Fujita_SciSignal2010" / "Fujita_SciSignal2010.yaml")
    assert len(ob.free_ids) > 10


@needs_data
@pytest.mark.slow
@pytest.mark.heavy
def test_gradient_kirby(tmp_path):
    from jakstat_rules.data.kirby import write_kirby_petab

    paths = write_kirby_petab(REAL_DATA, tmp_path / "petab")
    conditions = pd.read_csv(paths["train"].parent / "measurements.tsv", sep="\t")[
        "simulationConditionId"].drop_duplicates().tolist()
    # four of the 14 dose conditions (alpha and beta, low and high) keep the test short;
    # tolerance 1e-10: the quotients still agree to ~1e-7
    ob = _check_gradient(paths["train"], conditions=conditions[::4], tol=1e-10, jacobian=True)
    assert ob.analytic_ids  # the scalings are solved in closed form (envelope theorem)


def test_gradient_with_parameters_named_as_amici_reserves(tmp_path):
    """AMICI renames ids such as ``k`` and ``p`` on import and then misses them in its own
    PEtab parameter mapping (AMICI-dev/AMICI#2461); the derived problem renames them first."""
    from conftest import write_one_condition_problem

    yaml = write_one_condition_problem(
        tmp_path, "model m; compartment cell = 1; species A = 1, B = 0; k = 0.3; p = 2;"
                  "R1: A -> B; k*A; R2: B -> ; 0.1*B; end",
        measurements={"observableId": ["o"] * 3, "time": [1.0, 2.0, 4.0],
                      "measurement": [0.2, 0.4, 0.6]},
        observables={"observableId": ["o"], "observableFormula": ["p * B"],
                     "noiseFormula": ["0.1"]},
        parameters={"parameterId": ["k", "p"], "parameterScale": ["log10", "lin"],
                    "lowerBound": [0.01, 0.1], "upperBound": [10.0, 10.0],
                    "nominalValue": [0.3, 2.0], "estimate": [1, 1]})
    _check_gradient(yaml, analytic=False)


def test_prior_gradients_match_difference_quotients():
    """d(-log prior)/dp of every PEtab v1 prior type against a central difference."""
    import pandas as pd
    from petab.v1 import C

    from jakstat_rules.calibrate.mapping import ParameterTable
    from jakstat_rules.calibrate.priors import PRIOR_TYPES, ObjectivePriors

    rows = []
    for i, kind in enumerate(PRIOR_TYPES):
        for scale in (C.LIN, C.LOG10):
            params = "0.5;2" if "niform" not in kind else "0.01;10"
            rows.append({C.PARAMETER_ID: f"p{i}_{scale}", C.PARAMETER_SCALE: scale,
                         C.LOWER_BOUND: 0.01, C.UPPER_BOUND: 10, C.NOMINAL_VALUE: 1.3,
                         C.ESTIMATE: 1, C.OBJECTIVE_PRIOR_TYPE: kind,
                         C.OBJECTIVE_PRIOR_PARAMETERS: params})
    df = pd.DataFrame(rows).set_index(C.PARAMETER_ID)
    table = ParameterTable.from_df(df)
    priors = ObjectivePriors.from_table(df, table)
    p = np.linspace(0.7, 3.1, len(table.estimated_ids))
    g = priors.gradient(p)
    for k in range(len(p)):
        h = 1e-6 * p[k]
        up, down = p.copy(), p.copy()
        up[k] += h
        down[k] -= h
        quotient = (priors.neglogprior(up) - priors.neglogprior(down)) / (2 * h)
        assert g[k] == pytest.approx(quotient, rel=1e-6, abs=1e-9), table.estimated_ids[k]


def test_cli_choices_are_the_calibrators():
    from jakstat_rules.calibrate import cli, multistart
    from jakstat_rules.calibrate.cli import (DESIGN_CHOICES, GRADIENT_CHOICES,
                                             OPTIMIZER_CHOICES, PROFILE_MAX_STEPS,
                                             STRATEGY_CHOICES)
    from jakstat_rules.calibrate.design import DESIGNS
    from jakstat_rules.calibrate.profile import DEFAULT_MAX_STEPS
    from jakstat_rules.calibrate.defaults import AUTO
    from jakstat_rules.calibrate.objective import GRADIENTS
    from jakstat_rules.calibrate.optimizers import OPTIMIZERS, STRATEGIES

    assert OPTIMIZER_CHOICES == (AUTO, *OPTIMIZERS) and GRADIENT_CHOICES == (AUTO, *GRADIENTS)
    assert STRATEGY_CHOICES == STRATEGIES and DESIGN_CHOICES == DESIGNS
    assert PROFILE_MAX_STEPS == DEFAULT_MAX_STEPS
    assert cli.START_TIME_SHARE == multistart.START_TIME_SHARE


@pytest.mark.parametrize("optimizer", ["trf", "fides", "lbfgsb"])
def test_every_optimizer_with_exact_gradients_recovers_the_truth(exact_problem, optimizer):
    """Noise-free data simulated from known parameters: each optimiser, given the
    exact derivatives, returns to them from the same start.  Its stopping tolerance
    (``FitSettings.tol``, ``--tol``) reaches it: a loose one stops sooner."""
    from jakstat_rules.calibrate.example import EXAMPLE_TRUE
    from jakstat_rules.calibrate.optimizers import FitSettings, local_fit

    payload = ProblemPayload.from_problem(load_problem(exact_problem))
    ob = Objective(CompiledProblem(payload), gradient="exact")
    x0 = (ob.lb + ob.ub) / 2 + 0.1 * (ob.ub - ob.lb) * np.linspace(-1, 1, len(ob.lb))
    fit, loose = (local_fit(ob, x0, FitSettings(optimizer=optimizer, gradient="exact",
                                                max_nfev=500, tol=tol))
                  for tol in (1e-10, 1e-1))
    assert loose.n_fev < fit.n_fev, (optimizer, loose.n_fev, fit.n_fev)
    got = ob.full_parameters(fit.x)
    for pid in ob.free_ids:
        assert got[pid] == pytest.approx(EXAMPLE_TRUE[pid], rel=1e-3), (optimizer, pid)


def test_cli_fit_with_exact_gradients_and_fides(exact_problem, tmp_path):
    """The whole command with --gradient exact --optimizer fides --tol recovers the truth
    and records its settings."""
    import json

    from jakstat_rules.calibrate.example import EXAMPLE_TRUE
    from jakstat_rules.cli import main

    out = tmp_path / "fit"
    assert main(["calibrate", str(exact_problem), "--starts", "2", "--seed", "0",
                 "--gradient", "exact", "--optimizer", "fides", "--tol", "1e-9",
                 "--out", str(out), "--no-progress"]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["settings"]["gradient"] == "exact"
    assert summary["settings"]["optimizer"] == "fides"
    assert summary["settings"]["tol"] == 1e-9
    for pid in ("k1", "k2"):
        assert summary["best_parameters"][pid] == pytest.approx(EXAMPLE_TRUE[pid], rel=1e-3)
    # the results name the optimiser that ran (Fides' exit flags), not scipy's trf
    table = pd.read_csv(out / "optimize_result.tsv", sep="\t")
    assert table["message"].str.startswith("ExitFlag.").all()
    assert summary["optimizer"] == "fides.Optimizer(Gauss-Newton)"
    assert set(table["optimizer"]) == {summary["optimizer"]}


def test_exact_gradients_fall_back_to_differences_when_amici_cannot_read_the_problem(
        tmp_path, caplog):
    """An event with a delay (AMICI 1.0.1 refuses it; the core simulates it): one warning,
    then finite differences."""
    import logging

    from conftest import write_one_condition_problem

    from jakstat_rules.calibrate.multistart import calibrate
    from jakstat_rules.calibrate.optimizers import FitSettings

    yaml_path = write_one_condition_problem(
        tmp_path / "delayed", "model m; compartment cell = 1; species A = 1, B = 0; kf = 0.3;"
                              "R1: A -> B; kf*A; E1: at 0.5 after time > 1: A = 1; end",
        measurements={"observableId": ["o"] * 3, "time": [1.0, 2.0, 4.0],
                      "measurement": [0.2, 0.4, 0.6]},
        observables={"observableId": ["o"], "observableFormula": ["B"], "noiseFormula": ["0.1"]},
        parameters={"parameterId": ["kf"], "parameterScale": ["log10"], "lowerBound": [0.01],
                    "upperBound": [10.0], "nominalValue": [0.3], "estimate": [1]})
    with caplog.at_level(logging.WARNING):
        summary = calibrate(yaml_path, tmp_path / "fit", n_starts=2, seed=0, progress=False,
                            plots=False, settings=FitSettings(gradient="exact"))
    assert summary["settings"]["gradient"] == "fd"
    assert any("exact derivatives unavailable" in r.getMessage() for r in caplog.records)


def test_a_half_built_amici_model_is_rebuilt(exact_problem, tmp_path, monkeypatch):
    """A build killed half-way leaves a non-empty folder without the completion mark: the
    next use removes it and builds again, with one compiler process per core unless
    ``$AMICI_PARALLEL_COMPILE`` says otherwise.  AMICI's import is replaced by a recorder
    (the real build, 20-30 s, is what every other exact-gradient test here runs)."""
    import amici.importers.petab.v1 as amici_petab

    from jakstat_rules.calibrate.sensitivities import (ObservableSensitivities, build_jobs,
                                                       model_key, unit_problem)

    monkeypatch.setenv("JAKSTAT_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("AMICI_PARALLEL_COMPILE", raising=False)
    payload = unit_problem(CompiledProblem(ProblemPayload.from_problem(
        load_problem(exact_problem))))[0]
    folder = tmp_path / "cache" / "amici" / model_key(payload)[:32]
    (folder / "half").mkdir(parents=True)
    (folder / "half" / "setup.py").write_text("# interrupted\n", encoding="utf-8")
    builds = []

    def build(problem, output_dir, model_name, **kwargs):
        builds.append((sorted(p.name for p in Path(output_dir).glob("*")),
                       os.environ.get("AMICI_PARALLEL_COMPILE")))
        (Path(output_dir) / model_name).mkdir(parents=True, exist_ok=True)
        return "model"

    monkeypatch.setattr(amici_petab, "import_petab_problem", build)
    sens = object.__new__(ObservableSensitivities)
    sens.problem = None
    assert sens._compile(payload) == "model"
    # the half-built folder was gone when the build began, which used every core
    assert builds == [([], str(len(os.sched_getaffinity(0))))]
    assert "AMICI_PARALLEL_COMPILE" not in os.environ            # set for the build only
    assert (folder.parent / f"{folder.name}.complete").is_file()
    # a complete folder is kept: AMICI's import finds the model in it and loads it
    assert sens._compile(payload) == "model" and len(builds[1][0]) == 1
    monkeypatch.setenv("AMICI_PARALLEL_COMPILE", "1")
    assert build_jobs() == 1


def _sensitivities_fail(ob, monkeypatch):
    """Make the forward sensitivities of ``ob`` fail while its values still integrate, as
    CVODES does where it cannot control the sensitivities' error (on
    Fujita_SciSignal2010 at 3 of 8 starting points or fit ends)."""
    from jakstat_rules.errors import SimulationError

    sens = ob.cp.sensitivities()
    values = sens.evaluate

    def evaluate(p, derivatives=True):
        if derivatives:
            raise SimulationError("AMICI: forward sensitivities failed (test)")
        return values(p, derivatives=False)

    monkeypatch.setattr(sens, "evaluate", evaluate)


def test_failed_sensitivities_give_derivatives_by_differences(exact_problem, monkeypatch):
    """Where the sensitivities fail, the Jacobian and gradient are central differences of
    the values, close to the exact ones (AMICI's sensitivities at the same point, before
    they were made to fail), not zeros: zeros are a stationary point to an optimiser."""
    payload = ProblemPayload.from_problem(load_problem(exact_problem))
    cp = CompiledProblem(payload)
    ob = Objective(cp, gradient="exact")
    x = _point(ob)
    jac_exact = ob.jacobian(x)
    f_exact, g_exact = ob.fval_and_gradient(x)
    assert ob.n_fallback == 0 and np.abs(g_exact).max() > 0
    broken = Objective(cp, gradient="exact")
    _sensitivities_fail(broken, monkeypatch)
    evaluations = broken.n_eval
    jac = broken.jacobian(x)
    assert broken.n_fallback == 1
    # the value, then two simulations per free parameter, counted as evaluations
    assert broken.n_eval - evaluations == 1 + 2 * len(x)
    scale = np.abs(jac_exact).max()
    assert np.abs(jac - jac_exact).max() < 1e-4 * scale
    f, g = broken.fval_and_gradient(x)
    assert f == pytest.approx(f_exact, rel=1e-8)  # values integrated without sensitivities
    assert np.abs(g - g_exact).max() < 1e-4 * np.abs(g_exact).max()


@pytest.mark.parametrize("optimizer", ["trf", "fides"])
def test_a_fit_goes_on_where_the_sensitivities_fail(exact_problem, monkeypatch, optimizer):
    """With every sensitivity solve failing, trf and Fides still reach the true parameters
    from the start of the test above, and the fit's message counts the derivatives
    taken by differences.  (With a zero Jacobian trf stopped at its start on ``gtol``.)"""
    from jakstat_rules.calibrate.example import EXAMPLE_TRUE
    from jakstat_rules.calibrate.optimizers import FitSettings, local_fit

    payload = ProblemPayload.from_problem(load_problem(exact_problem))
    ob = Objective(CompiledProblem(payload), gradient="exact")
    _sensitivities_fail(ob, monkeypatch)
    x0 = (ob.lb + ob.ub) / 2 + 0.1 * (ob.ub - ob.lb) * np.linspace(-1, 1, len(ob.lb))
    fit = local_fit(ob, x0, FitSettings(optimizer=optimizer, gradient="exact",
                                        max_nfev=500, tol=1e-10))
    assert fit.n_fev > 3
    assert f"{ob.n_fallback} of the derivatives by central differences" in fit.message
    got = ob.full_parameters(fit.x)
    for pid in ob.free_ids:
        assert got[pid] == pytest.approx(EXAMPLE_TRUE[pid], rel=1e-3), (optimizer, pid)


def test_observable_formulas_that_take_no_arrays_are_evaluated_point_by_point(
        exact_problem, monkeypatch):
    """The chain rule through the observable formulas evaluates the 2 x (free parameters)
    moved points in one call per formula (in blocks of parameters when memory is short);
    where a formula refuses arrays of that shape, it is evaluated at each point in turn,
    with the same Jacobian, and from then on only so."""
    payload = ProblemPayload.from_problem(load_problem(exact_problem))
    ob = Objective(CompiledProblem(payload), gradient="exact")
    x = _point(ob)
    jac = ob.jacobian(x)
    assert ob.cp.sensitivities()._batched is True
    # with too little memory for all parameters at once, one parameter per block
    from jakstat_rules.calibrate.sensitivities import UnitSensitivities

    monkeypatch.setattr(UnitSensitivities, "CHUNK_BYTES", 1)
    assert np.array_equal(Objective(CompiledProblem(payload), gradient="exact").jacobian(x), jac)
    monkeypatch.undo()
    cp = CompiledProblem(payload)
    plain = cp.observables
    calls = {"many": 0, "one": 0}

    def observables(p, sims=None, measured=None):
        if np.ndim(p) > 1:
            calls["many"] += 1
            raise TypeError("a formula of scalars only (test)")
        calls["one"] += 1
        return plain(p, sims, measured)

    monkeypatch.setattr(cp, "observables", observables)
    pointwise = Objective(cp, gradient="exact")
    assert np.array_equal(pointwise.jacobian(x), jac)
    assert cp.sensitivities()._batched is False
    # value, then the moved points one by one: 1 + 2 per free parameter (none fixed here)
    assert calls == {"many": 1, "one": 1 + 2 * len(ob.cp.estimated_ids)}
    pointwise.jacobian(x + 0.01 * (ob.ub - ob.lb))
    assert calls["many"] == 1  # not tried again
