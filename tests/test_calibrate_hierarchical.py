"""Tests of jakstat_rules.calibrate.hierarchical: which parameters are inner,
and their closed-form optimum.

References: a numerical minimisation of the NLL over the inner parameters
(scipy) on synthetic observable groups; pyPESTO's hierarchical optimisation
(AMICI, analytical inner solver) on a small PEtab problem; the objective of
the Kirby problem computed with the closed form for scalings as it was
before offsets and sigmas were added.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from petab.v1 import C
from scipy.optimize import minimize

from jakstat_rules.calibrate.hierarchical import INNER_KINDS, InnerProblem
from jakstat_rules.calibrate.likelihood import nll_terms
from jakstat_rules.calibrate.mapping import ParameterTable, unscale
from jakstat_rules.calibrate.compiled import CompiledProblem
from jakstat_rules.calibrate.objective import Objective
from jakstat_rules.calibrate.observables import compile_observables
from jakstat_rules.petab_io import ProblemPayload, load_problem
from jakstat_rules.errors import JakstatInputError
from conftest import REAL_DATA, needs_data


# -- synthetic groups ---------------------------------------------------------
class Synthetic:
    """Observable groups over two model quantities ``x`` and ``z`` given per row."""

    def __init__(self, observables: list[tuple], parameters: dict[str, tuple],
                 truth: dict[str, float], n: int = 12, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        odf = pd.DataFrame([{C.OBSERVABLE_ID: oid, C.OBSERVABLE_FORMULA: f,
                             C.NOISE_FORMULA: nf, C.OBSERVABLE_TRANSFORMATION: tr,
                             C.NOISE_DISTRIBUTION: dist}
                            for oid, f, nf, tr, dist in observables]).set_index(C.OBSERVABLE_ID)
        mdf = pd.DataFrame([{C.OBSERVABLE_ID: o[0], C.TIME: float(t)}
                            for o in observables for t in range(n)])
        pdf = pd.DataFrame([{C.PARAMETER_ID: pid, C.LOWER_BOUND: lb, C.UPPER_BOUND: ub,
                             C.NOMINAL_VALUE: nominal, C.ESTIMATE: estimate}
                            for pid, (lb, ub, nominal, estimate) in parameters.items()]
                           ).set_index(C.PARAMETER_ID)
        self.table = ParameterTable.from_df(pdf)
        self.groups = compile_observables(mdf, odf, {"x", "z"}, self.table)
        self.model = {"x": rng.uniform(0.5, 3.0, len(mdf)), "z": rng.uniform(0.2, 2.0, len(mdf))}
        self.t = mdf[C.TIME].to_numpy(float)
        true_p = self.vector(truth)
        h, s = self.observables(true_p)
        self.y = h + s * rng.standard_normal(len(h))
        for g in self.groups:  # positive data where the scale is logarithmic
            if g.transformation != C.LIN:
                self.y[g.rows] = h[g.rows] * np.exp(s[g.rows] * rng.standard_normal(len(g.rows)))

    def vector(self, values: dict[str, float]) -> np.ndarray:
        p = self.table.nominal.copy()
        for pid, v in values.items():
            p[self.table.position(pid)] = v
        return p

    def observables(self, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h, s = np.empty(len(self.t)), np.empty(len(self.t))
        for g in self.groups:
            h[g.rows], s[g.rows] = g.evaluate(
                [self.model[m][g.rows] for m in g.model_symbols],
                [self.table.value(n, p) for n in g.parameter_symbols], self.t[g.rows])
        return h, s

    def nll(self, p: np.ndarray) -> float:
        h, s = self.observables(p)
        return float(np.sum(nll_terms(self.y, h, s, self.groups)))

    def inner(self, kinds=INNER_KINDS, dynamic=(), excluded=()) -> InnerProblem:
        return InnerProblem.from_groups(self.groups, self.table, dynamic, excluded, kinds=kinds)

    def solve(self, inner: InnerProblem, p: np.ndarray):
        raw = inner.raw_parameters(p.copy())
        h_raw, s_raw = self.observables(raw)
        h_free = self.observables(inner.free_parameters(raw))[0] if inner.free_term_groups else None
        return inner.solve(self.y, h_raw, s_raw, raw, h_free)


def _numerical_optimum(syn: Synthetic, inner: InnerProblem, p: np.ndarray, start: np.ndarray):
    """The NLL minimised over the inner parameters by L-BFGS-B (sigmas on a log scale)."""
    k = np.array([inner.positions[i] for i in inner.ids])
    sig = np.array([inner.kinds[i] == "sigma" for i in inner.ids])
    lb, ub = syn.table.lb[k].copy(), syn.table.ub[k].copy()
    lb[sig], ub[sig] = np.log(lb[sig]), np.log(ub[sig])

    def f(v):
        q = p.copy()
        q[k] = np.where(sig, np.exp(v), v)
        return syn.nll(q)

    with np.errstate(divide="ignore"):
        v0 = np.where(sig, np.log(start[k]), start[k])
    res = minimize(f, v0, method="L-BFGS-B", bounds=list(zip(lb, ub)),
                   options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 5000})
    q = p.copy()
    q[k] = np.where(sig, np.exp(res.x), res.x)
    return q


SHARED = dict(
    observables=[
        ("o1", "s1 * x + b1", "sd1", C.LIN, C.NORMAL),
        ("o2", "s1 * z + 2 * b1", "sd1", C.LIN, C.NORMAL),          # shared, offset times 2
        ("o3", "s2 * x + z + k_fixed", "sd2 * (1 + 0.1 * z)", C.LIN, C.NORMAL),  # free term
        ("o4", "x", "sd3", C.LOG10, C.LAPLACE),                     # sigma only, Laplace
        ("o5", "z", "sd3", C.LOG, C.NORMAL),                        # ... mixed with normal
    ],
    parameters={"s1": (-50, 50, 1.0, 1), "b1": (-50, 50, 0.0, 1), "s2": (1e-3, 1e3, 1.0, 1),
                "sd1": (1e-4, 1e3, 1.0, 1), "sd2": (1e-4, 1e3, 1.0, 1),
                "sd3": (1e-4, 1e3, 1.0, 1), "k_fixed": (0, 10, 0.7, 0)},
    truth={"s1": 2.0, "b1": 0.5, "s2": 3.0, "sd1": 0.3, "sd2": 0.2, "sd3": 0.1})

COUPLED = dict(
    observables=[
        ("o1", "s1 * x + b1", "sd1", C.LIN, C.NORMAL),
        ("o2", "s1 * z", "sd2", C.LIN, C.NORMAL),      # s1 spans two inner sigmas
        ("o3", "s1 * x * z", "0.5", C.LIN, C.NORMAL),  # ... and a fixed SD
    ],
    parameters={"s1": (-50, 50, 1.0, 1), "b1": (-50, 50, 0.0, 1),
                "sd1": (1e-4, 1e3, 1.0, 1), "sd2": (1e-4, 1e3, 1.0, 1)},
    truth={"s1": 2.0, "b1": 0.5, "sd1": 0.2, "sd2": 0.6})


@pytest.mark.parametrize("case", [SHARED, COUPLED], ids=["shared", "coupled"])
def test_closed_form_is_the_numerical_optimum(case):
    syn = Synthetic(**case)
    inner = syn.inner()
    assert sorted(inner.ids) == sorted(case["truth"])
    assert not inner.least_squares
    assert inner.alternating == (case is COUPLED)
    p = syn.vector({})
    p_opt, h, s = syn.solve(inner, p)
    assert syn.observables(p_opt)[0] == pytest.approx(h, rel=1e-12)
    assert syn.observables(p_opt)[1] == pytest.approx(s, rel=1e-12)
    # from the truth, perturbed: the numerical optimum agrees with the closed form
    start = syn.vector({pid: v * 1.3 for pid, v in case["truth"].items()})
    p_num = _numerical_optimum(syn, inner, p, start)
    assert syn.nll(p_opt) <= syn.nll(p_num) + 1e-9
    for pid in inner.ids:
        k = inner.positions[pid]
        assert p_opt[k] == pytest.approx(p_num[k], rel=1e-5, abs=1e-7), pid
    # and it is stationary: every inner direction raises the NLL
    for pid in inner.ids:
        k = inner.positions[pid]
        for factor in (1 - 1e-4, 1 + 1e-4):
            q = p_opt.copy()
            q[k] *= factor
            assert syn.nll(q) > syn.nll(p_opt)


def test_bounds_clip_and_coupled_bounds_are_solved_with_them():
    """Bounds below the free optimum: a single sigma is clipped, a coupled
    scaling and offset are solved as a bounded least-squares problem."""
    case = dict(SHARED, parameters=dict(SHARED["parameters"], s1=(-50, 1.5, 1.0, 1),
                                        sd2=(0.5, 10, 1.0, 1)))
    syn = Synthetic(**case)
    inner = syn.inner()
    p_opt = syn.solve(inner, syn.vector({}))[0]
    assert p_opt[inner.positions["s1"]] == 1.5
    assert p_opt[inner.positions["sd2"]] == 0.5
    p_num = _numerical_optimum(syn, inner, syn.vector({}), syn.vector({"sd2": 0.6, "s1": 1.0}))
    assert syn.nll(p_opt) <= syn.nll(p_num) + 1e-9
    assert p_opt[inner.positions["b1"]] == pytest.approx(p_num[inner.positions["b1"]], rel=1e-5)


@pytest.mark.parametrize("formula, noise, transformation, distribution, expected", [
    ("s * x", "sd", C.LOG, C.NORMAL, {"sd"}),          # scale under log: left to the optimiser
    ("s * x + b", "sd", C.LIN, C.LAPLACE, {"sd"}),     # Laplace: an L1 fit, no closed form here
    ("s * (x + b)", "sd", C.LIN, C.NORMAL, {"sd"}),    # not affine in (s, b) jointly
    ("s^2 * x", "sd", C.LIN, C.NORMAL, {"sd"}),
    ("s * b * x", "sd", C.LIN, C.NORMAL, {"sd"}),
    ("s * x + b * z", "sd", C.LIN, C.NORMAL, {"sd"}),  # two scalings in one group
    ("s * x", "sd * s", C.LIN, C.NORMAL, {"sd"}),      # a scaling in the noise: outer
    ("s * x + sd", "sd", C.LIN, C.NORMAL, {"s"}),      # a sigma in the observable: outer
    ("s * x", "sd + 0.1", C.LIN, C.NORMAL, {"s"}),     # noise not proportional to sd
    ("s * x", "sd * b", C.LIN, C.NORMAL, {"s"}),       # two sigmas in one formula
    ("s * x + b", "0.1 * sd", C.LOG10, C.LAPLACE, {"sd"}),
])
def test_what_is_inner(formula, noise, transformation, distribution, expected):
    syn = Synthetic([("o", formula, noise, transformation, distribution)],
                    {n: (0.01, 100, 1.0, 1) for n in ("s", "b", "sd")}, {}, n=4)
    assert set(syn.inner().ids) == expected


def test_exclusions_kinds_and_shared_kinds():
    syn = Synthetic(SHARED["observables"], SHARED["parameters"], SHARED["truth"], n=4)
    everything = set(SHARED["truth"])
    position = syn.table.position
    assert set(syn.inner(dynamic=[position("s2")]).ids) == everything - {"s2"}
    assert set(syn.inner(excluded={"b1", "sd3"}).ids) == everything - {"b1", "sd3"}
    assert set(syn.inner(kinds=("scaling",)).ids) == {"s1", "s2"}
    assert set(syn.inner(kinds=True).ids) == {"s1", "s2", "b1"}
    assert syn.inner(kinds=True).least_squares
    assert syn.inner(kinds=False).ids == []
    with pytest.raises(JakstatInputError, match="unknown inner parameter kind"):
        syn.inner(kinds=("scale",))
    # a parameter that is a scaling in one group and an offset in another stays outer
    mixed = Synthetic([("o1", "a * x", "0.1", C.LIN, C.NORMAL),
                       ("o2", "z + a", "0.1", C.LIN, C.NORMAL)],
                      {"a": (0, 10, 1.0, 1)}, {}, n=4)
    assert mixed.inner().ids == []


# -- through the objective ------------------------------------------------------
@pytest.fixture(scope="module")
def noisy_cp(noisy_problem) -> CompiledProblem:
    return CompiledProblem(ProblemPayload.from_problem(load_problem(noisy_problem)))


def test_objective_with_inner_sigma_is_the_profile_over_it(noisy_cp):
    cp = noisy_cp
    ob = Objective(cp, analytic=INNER_KINDS)
    assert ob.analytic_ids == ["scale", "sigma"] and ob.free_ids == ["k1", "k2"]
    assert not ob.least_squares
    outer = Objective(cp)  # sigma moved by the optimiser
    x = np.log10([0.25, 0.06])
    ev = ob.evaluate(x)
    assert ob.fval(x) == pytest.approx(cp.nll(ev.p), rel=1e-12)
    best = minimize(lambda v: outer.fval(np.append(x, v)), [-1.0], method="Nelder-Mead",
                    options={"xatol": 1e-10, "fatol": 1e-12})
    assert 10 ** best.x[0] == pytest.approx(ev.p[cp.estimated_ids.index("sigma")], rel=1e-6)
    assert ob.fval(x) == pytest.approx(best.fun, rel=1e-10)


def test_objective_solves_scalings_with_free_terms(exact_problem, tmp_path):
    """``scale * B + 0.5 * A``: the observable is evaluated once more with the
    scaling at 0; the closed form is the minimum of a 1-D scan."""
    import shutil

    d = tmp_path / "p"
    shutil.copytree(Path(exact_problem).parent, d)
    obs = pd.read_csv(d / "observables.tsv", sep="\t")
    obs.loc[obs[C.OBSERVABLE_ID] == "B_obs", C.OBSERVABLE_FORMULA] = \
        "observableParameter1_B_obs * B + 0.5 * A"
    obs.to_csv(d / "observables.tsv", sep="\t", index=False)
    cp = CompiledProblem(ProblemPayload.from_problem(load_problem(d / "problem.yaml")))
    ob = Objective(cp)
    assert ob.analytic_ids == ["scale"] and ob.inner.free_term_groups
    x = np.log10([0.25, 0.06])
    p = ob.evaluate(x).p
    k = cp.estimated_ids.index("scale")
    for factor in (1 - 1e-5, 1 + 1e-5):
        q = p.copy()
        q[k] *= factor
        assert cp.nll(q) > cp.nll(p)
    assert ob.fval(x) == pytest.approx(cp.nll(p), rel=1e-12)


@needs_data
def test_kirby_objective_unchanged(tmp_path):
    """The Kirby stand-in problem: same inner parameters and bit-identical NLL
    as the closed form for scalings alone (written out here as it was)."""
    from jakstat_rules.data.kirby import write_kirby_petab
    from jakstat_rules.calibrate.example import write_standin_sbml

    sbml = write_standin_sbml(tmp_path / "standin.xml")
    yaml_path = write_kirby_petab(REAL_DATA, tmp_path / "petab", sbml)["train"]
    cp = CompiledProblem(ProblemPayload.from_problem(load_problem(yaml_path)))
    table = cp.parameters
    ob = Objective(cp)
    scales = ["scale_20190108", "scale_20190119", "scale_20190121"]
    assert ob.analytic_ids == scales
    x = ob.lb + 0.37 * (ob.ub - ob.lb)
    p = table.nominal.copy()
    p[ob.free_idx] = unscale(x, ob.free_scales)
    for pid in scales:
        p[table.position(pid)] = 1.0
    h, s = cp.observables(p)
    for pid in scales:
        rows = np.concatenate([g.rows for g in cp.groups if pid in g.parameter_symbols])
        k = table.position(pid)
        w = 1.0 / s[rows] ** 2
        val = float(np.clip(np.sum(w * h[rows] * cp.y[rows]) / np.sum(w * h[rows] ** 2),
                            table.lb[k], table.ub[k]))
        h[rows] = h[rows] * val
    assert ob.fval(x) == float(np.sum(cp.nll_terms(h, s)))
    assert ob.fval(x) == pytest.approx(54728.08108522689, rel=1e-8)  # before this module
    # with the sigmas inner too, only the six dynamic parameters remain outer
    ob_all = Objective(cp, analytic=INNER_KINDS)
    assert ob_all.free_ids == table.estimated_ids[:6]
    assert ob_all.fval(x[:6]) <= ob.fval(x)


# -- against pyPESTO ------------------------------------------------------------
@pytest.fixture(scope="module")
def relative_problem(tmp_path_factory) -> Path:
    """The example problem (``A -> B -> 0``) with ``scale * B + offset`` (noise
    ``sd_B``, data shifted by 1) and ``A`` (noise ``sd_A``); scale, offset and
    both SDs estimated on the linear scale and marked for pyPESTO as inner."""
    from jakstat_rules.calibrate.example import write_example_problem

    d = write_example_problem(tmp_path_factory.mktemp("relative"), noise_sd=0.1, seed=1,
                              estimate_sigma=True).parent
    meas = pd.read_csv(d / "measurements.tsv", sep="\t")
    b = meas[C.OBSERVABLE_ID] == "B_obs"
    meas.loc[b, C.MEASUREMENT] += 1.0
    meas[C.OBSERVABLE_PARAMETERS] = np.where(b, "scale;offset", "")
    meas[C.NOISE_PARAMETERS] = np.where(b, "sd_B", "sd_A")
    meas.to_csv(d / "measurements.tsv", sep="\t", index=False)
    obs = pd.read_csv(d / "observables.tsv", sep="\t")
    obs.loc[obs[C.OBSERVABLE_ID] == "B_obs", C.OBSERVABLE_FORMULA] = \
        "observableParameter1_B_obs * B + observableParameter2_B_obs"
    obs.to_csv(d / "observables.tsv", sep="\t", index=False)
    par = pd.read_csv(d / "parameters.tsv", sep="\t").set_index(C.PARAMETER_ID)
    par = par.drop(index=["scale", "sigma"]).assign(parameterType="")
    inner = {C.PARAMETER_SCALE: C.LIN, C.ESTIMATE: 1}
    for pid, lb, ub, nominal, kind in (("scale", -100, 100, 2.5, "scaling"),
                                       ("offset", -100, 100, 1.0, "offset"),
                                       ("sd_B", 1e-6, 1e6, 0.1, "sigma"),
                                       ("sd_A", 1e-6, 1e6, 0.1, "sigma")):
        par.loc[pid] = {**inner, C.LOWER_BOUND: lb, C.UPPER_BOUND: ub,
                        C.NOMINAL_VALUE: nominal, "parameterType": kind}
    par.to_csv(d / "parameters.tsv", sep="\t")
    return d / "problem.yaml"


@pytest.fixture(scope="module")
def pypesto_problem(relative_problem, tmp_path_factory):
    """pyPESTO's hierarchical problem (AMICI, tolerances 1e-12/1e-14)."""
    pytest.importorskip("amici")
    petab = pytest.importorskip("petab.v1")
    pypesto_petab = pytest.importorskip("pypesto.petab")
    from pypesto.hierarchical.petab import correct_parameter_df_bounds

    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]
    problem = petab.Problem.from_yaml(relative_problem)
    # pyPESTO wants sigma bounds [0, inf]; its validation of inner-parameter
    # pairings (0.7.0) fails on rows without scaling/offset, so it is skipped
    problem.parameter_df = correct_parameter_df_bounds(problem.parameter_df)
    importer = pypesto_petab.PetabImporter(
        problem, hierarchical=True, validate_petab_hierarchical=False,
        model_name="relative_example", output_folder=str(tmp_path_factory.mktemp("amici")))
    pp = importer.create_problem()
    solver = pp.objective.amici_solver
    solver.set_relative_tolerance(1e-12)
    solver.set_absolute_tolerance(1e-14)
    return pp


@pytest.fixture(scope="module")
def our_objective(relative_problem) -> Objective:
    payload = ProblemPayload.from_problem(load_problem(relative_problem))
    return Objective(CompiledProblem(payload, rtol=1e-12, atol=1e-14), analytic=INNER_KINDS)


@pytest.mark.slow
def test_inner_optimum_matches_pypesto(pypesto_problem, our_objective):
    pp, ob = pypesto_problem, our_objective
    assert ob.free_ids == list(pp.x_names) == ["k1", "k2"]
    assert ob.inner.kinds == {"scale": "scaling", "offset": "offset", "sd_B": "sigma",
                              "sd_A": "sigma"}
    inner_ids = pp.objective.calculator.inner_calculators[0].inner_problem.get_x_ids()
    assert sorted(ob.analytic_ids) == sorted(inner_ids)
    for x in (np.log10([0.25, 0.06]), np.log10([0.4, 0.03])):
        theirs = pp.objective(x, return_dict=True)
        ev = ob.evaluate(x)
        ours = dict(zip(ob.cp.estimated_ids, ev.p))
        for pid, value in zip(inner_ids, theirs["inner_parameters"]):
            assert ours[pid] == pytest.approx(value, rel=1e-6), pid
        assert ob.fval(x) == pytest.approx(theirs["fval"], rel=1e-6)


@pytest.mark.slow
def test_fit_matches_pypesto(pypesto_problem, our_objective):
    """One local fit of (k1, k2) from the same start with both; same optimum."""
    from pypesto.optimize import ScipyOptimizer, minimize as pypesto_minimize

    pp, ob = pypesto_problem, our_objective
    x0 = np.log10([0.25, 0.06])
    pp.set_x_guesses(x0[None, :])
    theirs = pypesto_minimize(pp, optimizer=ScipyOptimizer(
        method="L-BFGS-B", options={"ftol": 1e-15, "gtol": 1e-10}),
        n_starts=1, progress_bar=False).optimize_result[0]
    ours = minimize(ob.fval, x0, method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-12})
    assert ours.fun == pytest.approx(theirs.fval, rel=1e-6)
    np.testing.assert_allclose(ours.x, theirs.x, rtol=1e-5)
    inner = pp.objective(theirs.x, return_dict=True)["inner_parameters"]
    inner_ids = pp.objective.calculator.inner_calculators[0].inner_problem.get_x_ids()
    p = dict(zip(ob.cp.estimated_ids, ob.evaluate(ours.x).p))
    for pid, value in zip(inner_ids, inner):
        assert p[pid] == pytest.approx(value, rel=1e-5), pid
