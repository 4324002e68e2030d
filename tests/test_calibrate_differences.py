"""Difference Jacobians of the residuals (``--gradient fd``) where simulations fail.

``trf`` takes its Jacobian from :func:`residual_jacobian`: scipy's own one-sided
steps (checked against scipy's ``approx_derivative``, the reference), but a moved
point whose simulation fails (residuals ``FAILED_RESIDUAL``) is not differenced:
the step goes the other way.  A failed simulation otherwise puts quotients of
1e10 in the Jacobian (on Fujita_SciSignal2010 most starts meet one).
"""
import numpy as np
import pytest
from scipy.optimize import least_squares
from scipy.optimize._numdiff import approx_derivative

from jakstat_rules.calibrate.objective import FAILED_RESIDUAL
from jakstat_rules.calibrate.optimizers import FitSettings, residual_jacobian, trf_fit

TARGET = np.array([2.0, -1.0, 0.5])


class _Smooth:
    """Residuals ``x - TARGET`` (minimum 0 at TARGET); the simulation "fails" in a band
    of x[0] given by ``fails`` (residuals ``FAILED_RESIDUAL``, as
    :meth:`Objective.residuals` gives them)."""

    least_squares = True
    n_fallback = 0

    def __init__(self, fails=lambda x0: False) -> None:
        self.lb, self.ub = np.full(3, -5.0), np.full(3, 5.0)
        self.fails = fails
        self.n_eval = self.n_sim = 0  # each residual vector is one simulation

    def residuals(self, x: np.ndarray) -> np.ndarray:
        self.n_eval += 1
        self.n_sim += 1
        x = np.asarray(x, float)
        if self.fails(x[0]):
            return np.full(3, FAILED_RESIDUAL)
        return np.array([np.sinh(x[0] - TARGET[0]),
                         x[1] - TARGET[1] + 0.1 * (x[0] ** 2 - TARGET[0] ** 2),
                         np.exp(x[2]) - np.exp(TARGET[2])])


def test_difference_jacobian_takes_scipys_steps():
    """Without failures, the Jacobian equals scipy's "2-point" one bit for bit, bounds
    (steps turned round or shortened near a bound) and zeros included."""
    rng = np.random.default_rng(0)
    ob = _Smooth()
    settings = FitSettings(gradient="fd", diff_step=1e-5)
    for _ in range(100):
        ob.lb = rng.uniform(-3.0, 0.0, 3)
        ob.ub = ob.lb + rng.uniform(1e-9, 3.0, 3)
        x = np.clip(rng.uniform(ob.lb - 0.1, ob.ub + 0.1), ob.lb, ob.ub)
        x[rng.random(3) < 0.2] = 0.0
        x = np.clip(x, ob.lb, ob.ub)
        reference = approx_derivative(ob.residuals, x, method="2-point", rel_step=1e-5,
                                      bounds=(ob.lb, ob.ub))
        assert np.array_equal(residual_jacobian(ob, x, settings, like_scipy=True), reference)


class _IllConditioned:
    """Residuals ``tanh(A x) - 0.3 + 0.01 sin(7 A x)``, the columns of ``A`` scaled over six
    orders of magnitude: trf's path here changes with the last bits of its steps."""

    least_squares = True
    n_fallback = 0

    def __init__(self) -> None:
        rng = np.random.default_rng(1)
        self.A = rng.normal(size=(40, 8)) * np.logspace(0, 6, 8)
        self.x0 = rng.uniform(-1.0, 1.0, 8)
        self.lb, self.ub = np.full(8, -5.0), np.full(8, 5.0)
        self.n_eval = self.n_sim = 0  # each residual vector is one simulation

    def residuals(self, x: np.ndarray) -> np.ndarray:
        self.n_eval += 1
        self.n_sim += 1
        z = self.A @ np.asarray(x, float)
        return np.tanh(z) - 0.3 + 0.01 * np.sin(7.0 * z)


def test_without_failures_trf_goes_scipys_way():
    """Without failures ``trf_fit`` takes the steps scipy takes with its own "2-point"
    Jacobian, to the last bit (the Jacobian's values and its column-major order: with
    the same values in row-major order this path ends 0.002 away after 21 evaluations
    instead of 18), so fits where no simulation fails are unchanged by the handling."""
    ob = _IllConditioned()
    settings = FitSettings(gradient="fd", diff_step=1e-5, tol=1e-12, stall=0, max_nfev=300)
    fit = trf_fit(ob, ob.x0, settings)
    scipy_fit = least_squares(ob.residuals, ob.x0, jac="2-point", bounds=(ob.lb, ob.ub),
                              method="trf", x_scale="jac", tr_solver="lsmr", ftol=1e-12,
                              xtol=1e-12, gtol=1e-12, max_nfev=300, diff_step=1e-5)
    assert np.array_equal(fit.x, scipy_fit.x) and fit.n_fev == scipy_fit.nfev


def test_a_failed_simulation_is_not_differenced():
    """Where the forward step's simulation fails, the backward difference: the Jacobian
    is close to the analytic one, with no quotient of 1e10 in it."""
    x = np.array([0.0, 0.0, 0.0])
    ob = _Smooth(fails=lambda x0: x0 > 0.0)   # every forward step in x[0] fails
    jac = residual_jacobian(ob, x, FitSettings(gradient="fd", diff_step=1e-5))
    analytic = np.array([[np.cosh(-TARGET[0]), 0, 0], [0.0, 1, 0], [0, 0, 1.0]])  # at 0
    assert np.abs(jac - analytic).max() < 1e-4
    # scipy's own differences put the failure in the Jacobian
    assert np.abs(approx_derivative(ob.residuals, x, method="2-point", rel_step=1e-5,
                                    bounds=(ob.lb, ob.ub))).max() > 1e9


def test_trf_passes_a_point_whose_difference_fails():
    """A narrow band of failing simulations right where the first forward difference
    lands: ``trf`` reaches the minimum.  With scipy's "2-point" Jacobian it takes the
    failure for a steep slope, shrinks its steps to nothing and stops far from it."""
    x0 = np.array([-1.0, 3.0, -2.0])
    h = 1e-5 * abs(x0[0])              # scipy's step there, towards 0
    band = (x0[0] - 1.5 * h, x0[0] - 0.5 * h)   # holds x0[0] - h (x0[0] < 0: step down)
    ob = _Smooth(fails=lambda v: band[0] < v < band[1])
    settings = FitSettings(gradient="fd", diff_step=1e-5, tol=1e-10, stall=0, max_nfev=200)
    fit = trf_fit(ob, x0, settings)
    assert np.abs(fit.x - TARGET).max() < 1e-6, fit.message
    scipy_fit = least_squares(ob.residuals, x0, jac="2-point", bounds=(ob.lb, ob.ub),
                              method="trf", x_scale="jac", tr_solver="lsmr", ftol=1e-10,
                              xtol=1e-10, gtol=1e-10, max_nfev=200, diff_step=1e-5)
    assert np.abs(scipy_fit.x - TARGET).max() > 0.5
