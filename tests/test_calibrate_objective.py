"""Tests of jakstat_rules.calibrate.objective: the compiled problem and the
objective the optimisers see (residuals, analytic scaling factors, fixed
parameters).

References: the NLL itself (residuals differ from it by a constant), a 1-D
scan of the full NLL (the closed-form scale is its minimum), weighted least
squares written out here.
"""

from __future__ import annotations

import numpy as np
import pytest

from jakstat_rules.calibrate.compiled import CompiledProblem, get_compiled
from jakstat_rules.calibrate.objective import Objective
from jakstat_rules.petab_io import ProblemPayload, load_problem
from jakstat_rules.errors import JakstatInputError


@pytest.fixture(scope="module")
def noisy_cp(noisy_problem) -> CompiledProblem:
    return CompiledProblem(ProblemPayload.from_problem(load_problem(noisy_problem)))


def test_residuals_consistent_with_nll(noisy_cp):
    """0.5*|r|^2 differs from the NLL by a parameter-independent constant."""
    ob = Objective(noisy_cp)
    diffs = []
    for x in (np.log10([0.3, 0.05, 0.1]), np.log10([0.1, 0.2, 0.5])):
        r = ob.residuals(x)
        diffs.append(ob.fval(x) - 0.5 * float(r @ r))
    assert diffs[0] == pytest.approx(diffs[1], abs=1e-8)


def test_analytic_scale_is_weighted_least_squares(noisy_cp):
    """The closed-form scale minimises the NLL over the scale (checked by a
    1-D scan of the full NLL) and equals sum(w h y) / sum(w h^2)."""
    cp = noisy_cp
    ob = Objective(cp)
    assert ob.analytic_ids == ["scale"] and ob.free_ids == ["k1", "k2", "sigma"]
    x = np.log10([0.25, 0.06, 0.12])
    p = ob.full_parameters(x)
    k = cp.estimated_ids.index("scale")
    base = np.array([p[i] for i in cp.estimated_ids])
    f0 = cp.nll(base)
    for factor in (0.99, 1.01):
        trial = base.copy()
        trial[k] *= factor
        assert cp.nll(trial) > f0
    unit = base.copy()
    unit[k] = 1.0
    h, s = cp.observables(unit)
    rows = cp.measurement_df.index[cp.measurement_df["observableId"] == "B_obs"].to_numpy()
    w = 1 / s[rows] ** 2
    assert p["scale"] == pytest.approx(np.sum(w * h[rows] * cp.y[rows]) / np.sum(w * h[rows] ** 2))


def test_fixed_parameters_and_scales(noisy_cp):
    ob = Objective(noisy_cp, fixed={"k1": 0.3}, analytic=False)
    assert ob.free_ids == ["k2", "scale", "sigma"] and ob.analytic_ids == []
    np.testing.assert_allclose(ob.lb, np.log10([1e-3, 1e-2, 1e-3]))
    x = ob.x_from_parameters({"k2": 0.05, "scale": 2.5, "sigma": 0.1})
    np.testing.assert_allclose(x, np.log10([0.05, 2.5, 0.1]))
    full = ob.full_parameters(x)
    assert full == pytest.approx({"k1": 0.3, "k2": 0.05, "scale": 2.5, "sigma": 0.1})
    assert ob.fval(x) == pytest.approx(noisy_cp.nll(np.array([0.3, 0.05, 2.5, 0.1])))
    with pytest.raises(JakstatInputError, match="cannot fix 'A0'"):
        Objective(noisy_cp, fixed={"A0": 1.0})


def test_compiled_once_per_thread(exact_problem):
    payload = ProblemPayload.from_problem(load_problem(exact_problem))
    assert get_compiled(payload) is get_compiled(payload)
    assert get_compiled(payload).rtol == 1e-10
