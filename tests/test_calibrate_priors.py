"""Objective priors (all eight PEtab v1 types) against scipy.stats, and in the objective."""
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from jakstat_rules.calibrate.mapping import ParameterTable
from jakstat_rules.calibrate.compiled import CompiledProblem
from jakstat_rules.calibrate.objective import Objective
from jakstat_rules.petab_io import ProblemPayload, load_problem
from jakstat_rules.calibrate.priors import ObjectivePriors
from jakstat_rules.errors import JakstatInputError

X = 0.3  # linear value of the parameter (log10 scale: -0.5229)

CASES = [  # type, parameters, scale, -log density by scipy
    ("normal", (0.2, 0.5), "log10", -stats.norm(0.2, 0.5).logpdf(X)),
    ("laplace", (0.2, 0.5), "log10", -stats.laplace(0.2, 0.5).logpdf(X)),
    ("uniform", (0.0, 2.0), "log10", -stats.uniform(0.0, 2.0).logpdf(X)),
    ("logNormal", (-1.0, 0.7), "lin", -stats.lognorm(s=0.7, scale=math.exp(-1.0)).logpdf(X)),
    ("logLaplace", (-1.0, 0.7), "lin", -stats.laplace(-1.0, 0.7).logpdf(math.log(X)) + math.log(X)),
    ("parameterScaleNormal", (-0.3, 0.4), "log10", -stats.norm(-0.3, 0.4).logpdf(math.log10(X))),
    ("parameterScaleLaplace", (-0.3, 0.4), "log", -stats.laplace(-0.3, 0.4).logpdf(math.log(X))),
    ("parameterScaleUniform", (-2.0, 1.0), "log10", -stats.uniform(-2.0, 3.0).logpdf(math.log10(X))),
]


def _table(kind, params, scale):
    df = pd.DataFrame([{"parameterId": "k", "parameterScale": scale, "lowerBound": 1e-3,
                        "upperBound": 10.0, "nominalValue": X, "estimate": 1,
                        "objectivePriorType": kind,
                        "objectivePriorParameters": ";".join(map(str, params))}]).set_index("parameterId")
    return df, ParameterTable.from_df(df)


@pytest.mark.parametrize("kind,params,scale,expected", CASES, ids=[c[0] for c in CASES])
def test_each_prior_type_matches_scipy(kind, params, scale, expected):
    df, table = _table(kind, params, scale)
    priors = ObjectivePriors.from_table(df, table)
    assert priors.neglogprior(np.array([X])) == pytest.approx(expected, rel=1e-12)
    if kind in ("normal", "parameterScaleNormal"):
        # half the squared residual is -log prior minus its constant
        r = priors.residuals(np.array([X]))
        assert 0.5 * r @ r + 0.5 * math.log(2 * math.pi * params[1] ** 2) == pytest.approx(expected)


def test_bad_prior_entries_are_refused():
    df, table = _table("gamma", (1, 2), "lin")
    with pytest.raises(JakstatInputError, match="objectivePriorType 'gamma'"):
        ObjectivePriors.from_table(df, table)
    df, table = _table("normal", (1,), "lin")
    with pytest.raises(JakstatInputError, match="expected two numbers"):
        ObjectivePriors.from_table(df, table)


def test_objective_adds_the_prior_and_keeps_least_squares_consistent(exact_problem, tmp_path):
    """fval = data NLL + -log prior; the residuals' half squared norm differs by a constant."""
    problem = load_problem(exact_problem)
    pdf = problem.parameter_df.copy()
    pdf["objectivePriorType"] = ["parameterScaleNormal", "normal", None]
    pdf["objectivePriorParameters"] = ["-0.5;0.3", "0.1;0.02", None]
    payload = ProblemPayload.from_problem(problem).with_parameter_df(pdf)
    cp = CompiledProblem(payload)
    ob = Objective(cp, analytic=False)
    assert ob.least_squares
    x1, x2 = ob.x_from_parameters({"k1": 0.2, "k2": 0.07, "scale": 2.0}), \
        ob.x_from_parameters({"k1": 0.4, "k2": 0.05, "scale": 3.0})
    data = [float(np.sum(cp.nll_terms(*_hs(ob, x)))) for x in (x1, x2)]
    prior = [-stats.norm(-0.5, 0.3).logpdf(math.log10(k1)) - stats.norm(0.1, 0.02).logpdf(k2)
             for k1, k2 in ((0.2, 0.07), (0.4, 0.05))]
    for x, d, pr in zip((x1, x2), data, prior):
        assert ob.fval(x) == pytest.approx(d + pr, rel=1e-10)
    half = [0.5 * float(ob.residuals(x) @ ob.residuals(x)) for x in (x1, x2)]
    assert half[0] - half[1] == pytest.approx(ob.fval(x1) - ob.fval(x2), rel=1e-8)
    pdf.loc["k2", "objectivePriorType"] = "laplace"
    assert not Objective(CompiledProblem(payload.with_parameter_df(pdf))).least_squares


def _hs(ob, x):
    ev = ob.evaluate(x)
    return ev.h, ev.sigma
