"""Local optimisers of one start, and the settings of a fit.

One function per optimiser (``--optimizer``), dispatched by :func:`local_fit`:

* ``trf``: :func:`scipy.optimize.least_squares` (trust-region reflective,
  bounds) on the residual vector of
  :class:`~jakstat_rules.calibrate.objective.Objective` when every
  observable has normal noise; otherwise L-BFGS-B on the negative
  log-likelihood;
* ``fides``: the Fides trust-region optimiser with the Gauss-Newton Hessian
  of the residuals (BFGS updates for objectives that are no sum of squares);
* ``lbfgsb``: scipy's L-BFGS-B.

``auto`` (the default) is Fides with exact derivatives and ``trf`` with
finite differences (:func:`resolved_optimizer`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from scipy.optimize import approx_fprime, least_squares, minimize

from jakstat_rules.engine import DEFAULT_ATOL, DEFAULT_RTOL
from jakstat_rules.errors import JakstatInputError

from .defaults import AUTO, FD_TOL, auto_optimizer
from .design import DESIGNS
from .objective import FAILED_RESIDUAL, GRADIENTS, Objective, TimeLimitReached

__all__ = ["OPTIMIZERS", "STRATEGIES", "FitSettings", "settings_of_fit", "LocalFit", "local_fit",
           "STALL_DROP", "StallRule",
           "polish_optimizer", "POLISH_FTOL",
           "trf_fit", "lbfgsb_fit", "fides_fit", "residual_jacobian", "difference_steps",
           "optimizer_name", "resolved_optimizer"]

#: Local optimisers (``--optimizer``); see :func:`local_fit`.
OPTIMIZERS = ("trf", "fides", "lbfgsb")
#: Global strategies (``--strategy``): independent starts, or racing (:mod:`.racing`).
STRATEGIES = ("multistart", "race")


@dataclass(frozen=True)
class FitSettings:
    """Settings of a multistart fit (stored in ``run.json``).

    Attributes
    ----------
    n_starts
        Number of local optimisations.
    seed
        Seed of the design of starting points.
    rtol, atol
        CVODE tolerances of the fit (``--rtol``/``--atol``); None: chosen by
        :func:`~jakstat_rules.calibrate.defaults.choose_settings` (1e-6 and a
        thousandth of that times the model's median initial amount with exact
        derivatives, the engine's 1e-10 with finite differences, whose
        difference quotients looser tolerances make noisy).
    max_nfev
        Maximal objective evaluations per start.
    tol
        ``ftol``/``xtol``/``gtol`` of the local optimiser; None: chosen (1e-6
        with exact derivatives, 1e-8 with finite differences: the NLL is then
        settled to 1e-6 of its value or better, far below the 0.1 that counts a
        start as converged).
    diff_step
        Relative finite-difference step (on the parameter scale).
    analytic_scaling
        Solve multiplicative scaling factors in closed form.
    optimizer
        Local optimiser: ``trf`` (scipy's least-squares trust region on the
        residuals), ``fides`` (trust region with gradient and Gauss-Newton
        Hessian, or BFGS when the objective is no sum of squares) or
        ``lbfgsb`` (scipy's L-BFGS-B); ``trf`` falls back to ``lbfgsb`` for
        objectives that are no sum of squares.  ``auto`` (the default):
        Fides with exact derivatives, ``trf`` with finite differences
        (:func:`resolved_optimizer`; docs/benchmarks.md).
    gradient
        ``auto`` (the default: chosen by what one derivative costs each way,
        :func:`~jakstat_rules.calibrate.defaults.choose_settings`), ``fd``
        (finite differences on the simulation core) or ``exact`` (forward
        sensitivities, :mod:`.sensitivities`).
    max_redraws
        A start whose first evaluation fails (simulation error or
        non-finite objective) is moved to a new point drawn uniformly in the
        bounds, at most this many times (0: never; the start is then
        recorded as failed).
    strategy
        ``multistart`` (every start optimised to convergence) or ``race``
        (every start gets a short budget, the best third of the unfinished
        ones is continued with three times the budget, and so on; the last
        few run to convergence: :mod:`.racing`).
    race_budget
        Evaluations of the first round of ``race``; None: the number of free
        parameters, at least 10.
    stall
        A ``trf`` or ``lbfgsb`` fit stops as stalled when its objective fell by
        less than :data:`STALL_DROP` over its last ``stall`` iterations
        (:class:`StallRule`; 0: never): a start crawling along a valley far
        from any optimum otherwise spends its whole ``max_nfev`` there, up to a
        hundred times a typical start (docs/benchmarks.md).
    polish
        After the starts, continue the best one in rounds of the other
        optimiser (:func:`polish_optimizer`: ``fides`` after ``trf`` or
        ``lbfgsb``, ``trf`` after ``fides``) and the fit's own, ``trf`` always
        with :data:`POLISH_FTOL`, and keep the result if it is lower: ``trf``
        can stop in a long flat valley that Fides' Gauss-Newton/BFGS steps
        follow to its end, and both stop in curved valleys that ``trf`` with
        the tighter ``ftol`` follows (docs/benchmarks.md).
    design
        Design of the starting points (:data:`~jakstat_rules.calibrate.design.DESIGNS`):
        ``sobol`` (a run extends to more starts keeping its finished ones) or
        ``lhs`` (Latin hypercube; the design of runs stored before ``sobol``);
        None: the design of the run the output folder holds, ``sobol`` for a
        new run (:func:`~jakstat_rules.calibrate.defaults.choose_settings`).
    """

    n_starts: int = 50
    seed: int = 0
    rtol: float | None = None
    atol: float | None = None
    max_nfev: int = 1000
    tol: float | None = None
    diff_step: float = 1e-5
    analytic_scaling: bool = True
    optimizer: str = AUTO
    gradient: str = AUTO
    max_redraws: int = 20
    strategy: str = "multistart"
    race_budget: int | None = None
    stall: int = 50
    polish: bool = True
    design: str | None = None

    def check(self) -> None:
        """Raise :class:`JakstatInputError` for impossible values."""
        if int(self.n_starts) < 1:
            raise JakstatInputError(f"--starts {self.n_starts!r}: expected a "
                                    f"positive integer")
        if int(self.seed) < 0:
            raise JakstatInputError(f"--seed {self.seed!r}: expected an "
                                    f"integer >= 0")
        if self.optimizer not in (AUTO, *OPTIMIZERS):
            raise JakstatInputError(f"--optimizer {self.optimizer!r}: expected one of "
                                    f"{[AUTO, *OPTIMIZERS]}")
        if self.gradient not in (AUTO, *GRADIENTS):
            raise JakstatInputError(f"--gradient {self.gradient!r}: expected one of "
                                    f"{[AUTO, *GRADIENTS]}")
        for name in ("rtol", "atol", "tol"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, (int, float))
                                          and 0.0 < float(value) < 1.0):
                raise JakstatInputError(f"{name} {value!r}: expected a tolerance between 0 "
                                        f"and 1, for example 1e-8")
        if self.gradient == "exact":
            from .sensitivities import MISSING_MESSAGE, available

            if not available():
                raise JakstatInputError(MISSING_MESSAGE)
        if self.strategy not in STRATEGIES:
            raise JakstatInputError(f"--strategy {self.strategy!r}: expected one of "
                                    f"{list(STRATEGIES)}")
        if self.race_budget is not None and int(self.race_budget) < 1:
            raise JakstatInputError(f"--race-budget {self.race_budget!r}: expected a "
                                    f"positive integer")
        if self.race_budget is not None and self.strategy != "race":
            raise JakstatInputError(f"--race-budget {self.race_budget}: expected it with "
                                    f"--strategy race only")
        if int(self.stall) < 0:
            raise JakstatInputError(f"--stall {self.stall!r}: expected an integer >= 0 "
                                    f"(iterations; 0: never stop a fit as stalled)")
        if self.design is not None and self.design not in DESIGNS:
            raise JakstatInputError(f"--design {self.design!r}: expected one of "
                                    f"{list(DESIGNS)}")
        if int(self.max_redraws) < 0:
            raise JakstatInputError(f"max_redraws {self.max_redraws!r}: expected an "
                                    f"integer >= 0")

def settings_of_fit(fit: dict, **changes: Any) -> FitSettings:
    """The :class:`FitSettings` stored in a fit summary, with ``changes`` applied."""
    stored = {k: v for k, v in fit.get("settings", {}).items()
              if k in FitSettings.__dataclass_fields__}
    if stored:  # a fit stored before the design was a setting drew a Latin hypercube
        stored.setdefault("design", "lhs")
    settings = FitSettings(**{**stored, **changes})
    # a fit records resolved settings; fill what a hand-made summary may lack
    return replace(settings,
                   rtol=DEFAULT_RTOL if settings.rtol is None else settings.rtol,
                   atol=DEFAULT_ATOL if settings.atol is None else settings.atol,
                   tol=FD_TOL if settings.tol is None else settings.tol,
                   gradient="fd" if settings.gradient == AUTO else settings.gradient)


@dataclass(frozen=True)
class LocalFit:
    """Result of one local optimisation.

    Attributes
    ----------
    x
        Final point (free parameters, PEtab scale).
    n_fev
        Objective (or residual) evaluations.
    message
        The optimiser's message.
    exitflag
        The optimiser's status code (scipy's ``status``, as pyPESTO records it).
    budget_exhausted
        The optimiser stopped because it used its evaluation (or iteration)
        budget ``max_nfev``, or its time (:func:`local_fit_until`), not
        because a stopping rule was met.
    time_limited
        It stopped at its time limit (:func:`local_fit_until`).
    """

    x: np.ndarray
    n_fev: int
    message: str
    exitflag: int = 0
    budget_exhausted: bool = False
    time_limited: bool = False


#: The drop of the objective (NLL units) a fit must make over ``FitSettings.stall``
#: iterations to go on: a tenth of the 0.1 that counts a start as converged.
STALL_DROP = 0.01


class StallRule:
    """Iteration callback of scipy's optimisers: stops a fit (``StopIteration``)
    whose objective fell by less than ``drop`` over its last ``window``
    iterations.

    Parameters
    ----------
    window
        Iterations (0: the rule is off).
    drop
        The least decrease of the objective over ``window`` iterations.
    """

    def __init__(self, window: int, drop: float = STALL_DROP) -> None:
        self.window, self.drop = int(window), float(drop)
        self.values: list[float] = []
        self.stalled = False

    def __call__(self, intermediate_result: Any) -> None:
        cost = intermediate_result.get("cost")  # least_squares: 0.5 |r|^2 = NLL + constant
        self.values.append(float(intermediate_result["fun"] if cost is None else cost))
        w = self.window
        if w and len(self.values) > w and self.values[-w - 1] - self.values[-1] < self.drop:
            self.stalled = True
            raise StopIteration

    def message(self) -> str:
        """Why the fit stopped."""
        return (f"stalled: the objective fell by less than {self.drop:g} over the last "
                f"{self.window} iterations")


def _counts(simulations: int, values: int, derivatives: int, by_differences: int = 0) -> str:
    """What a local fit evaluated, as the end of its message (``bench_petab`` reads it);
    ``by_differences``: exact derivatives that were taken by differences because the
    sensitivities failed (:attr:`Objective.n_fallback`)."""
    text = (f"[evaluations: {simulations} simulations, {values} values, "
            f"{derivatives} derivatives]")
    if by_differences:
        text += (f" ({by_differences} of the derivatives by central differences: "
                 f"the forward sensitivities failed there)")
    return text


def trf_fit(ob: Objective, x0: np.ndarray, settings: FitSettings,
            ftol: float | None = None) -> LocalFit:
    """scipy's least-squares trust region on :meth:`Objective.residuals`; ``ftol``
    (default ``settings.tol``) is its test on the relative decrease of the cost."""
    exact = settings.gradient == "exact"
    n_sim0, fallback0 = ob.n_sim, ob.n_fallback
    # tr_solver "lsmr" (regularised, inexact trust-region steps) rather than the
    # exact SVD solve: on the fast PEtab problems (docs/benchmarks.md) as many
    # or fewer evaluations per converged start, half the evaluations per start
    # on Fujita, one start of 20 at the best-known value on Sneyd and Borghans
    # (none with the exact solve); with one parameter the exact solve (scipy's
    # lsmr steps need a 2-d subspace)
    solver = "lsmr" if len(x0) > 1 else "exact"
    stall = StallRule(settings.stall)
    # differences by residual_jacobian rather than scipy's "2-point": the same steps,
    # but a failed simulation at a moved point does not enter the Jacobian
    fun = _RememberedResiduals(ob, settings)
    res = least_squares(fun, x0, jac=ob.jacobian if exact else fun.jacobian,
                        bounds=(ob.lb, ob.ub), method="trf", x_scale="jac",
                        tr_solver=solver, ftol=settings.tol if ftol is None else ftol,
                        xtol=settings.tol,
                        gtol=settings.tol, max_nfev=settings.max_nfev, callback=stall)
    # scipy's nfev leaves out the difference quotients of the Jacobian; the
    # simulations (every objective evaluation, derivatives included) go with
    # the message, as "[evaluations: S simulations, V values, D derivatives]"
    njev = int(res.njev or 0)
    sims = ob.n_sim - n_sim0
    why = stall.message() if stall.stalled else res.message
    message = f"{why} {_counts(sims, int(res.nfev), njev, ob.n_fallback - fallback0)}"
    # status 0: "the maximum number of function evaluations is exceeded"
    return LocalFit(res.x, int(res.nfev), message, int(res.status),
                    budget_exhausted=int(res.status) == 0)


def lbfgsb_fit(ob: Objective, x0: np.ndarray, settings: FitSettings) -> LocalFit:
    """scipy's L-BFGS-B on :meth:`Objective.fval`."""
    options = {"maxfun": settings.max_nfev, "ftol": settings.tol, "gtol": settings.tol}
    bounds = list(zip(ob.lb, ob.ub))
    n_sim0, fallback0 = ob.n_sim, ob.n_fallback
    exact = settings.gradient == "exact"
    stall = StallRule(settings.stall)
    if exact:
        res = minimize(ob.fval_and_gradient, x0, jac=True, method="L-BFGS-B",
                       bounds=bounds, options=options, callback=stall)
    else:
        res = minimize(ob.fval, x0, method="L-BFGS-B", bounds=bounds,
                       options={**options, "eps": settings.diff_step}, callback=stall)
    # scipy's nfev counts the difference quotients of the gradient as well
    njev = int(getattr(res, "njev", 0) or 0)
    values = int(res.nfev) if exact else max(int(res.nfev) - len(x0) * njev, 0)
    sims = ob.n_sim - n_sim0
    why = stall.message() if stall.stalled else res.message
    message = f"{why} {_counts(sims, values, njev, ob.n_fallback - fallback0)}"
    # status 1: the limit on evaluations or iterations was reached
    return LocalFit(res.x, int(res.nfev), message, int(res.status),
                    budget_exhausted=int(res.status) == 1)


def fides_fit(ob: Objective, x0: np.ndarray, settings: FitSettings) -> LocalFit:
    """Fides with the Gauss-Newton Hessian of the residuals, or BFGS updates."""
    import fides  # only the fides optimiser needs it (0.2 s to import)

    exact = settings.gradient == "exact"
    n_sim0, fallback0 = ob.n_sim, ob.n_fallback
    lb, ub = np.asarray(ob.lb, float), np.asarray(ob.ub, float)
    derivatives = 0  # fides evaluates value and derivatives at every point

    def gradient(x: np.ndarray) -> tuple[float, np.ndarray]:
        nonlocal derivatives
        derivatives += 1
        if exact:
            return ob.fval_and_gradient(x)
        f = ob.fval(x)
        step = settings.diff_step * np.maximum(1.0, np.abs(x))
        return f, approx_fprime(x, ob.fval, step)

    if ob.least_squares and exact:
        def fun(x):
            f, g = gradient(x)
            jac = ob.jacobian(x)
            return f, g, jac.T @ jac
        hessian = None
    elif ob.least_squares:
        # one forward-difference Jacobian of the residuals (n simulations)
        # gives gradient J.T r and Gauss-Newton matrix J.T J; with the value,
        # n + 2 simulations per point instead of 2n + 3 for a difference
        # quotient of the value and another of the residuals
        def fun(x):
            nonlocal derivatives
            derivatives += 1
            x = np.asarray(x, float)
            f = ob.fval(x)
            if not np.isfinite(f):
                return np.inf, np.zeros(len(x)), np.eye(len(x))
            r = ob.residuals(x)
            jac = residual_jacobian(ob, x, settings, r)
            jac[~np.isfinite(jac)] = 0.0
            return f, jac.T @ r, jac.T @ jac
        hessian = None
    else:
        fun = gradient
        hessian = fides.BFGS()
    logging.getLogger("fides").setLevel(logging.WARNING)
    opt = fides.Optimizer(fun, ub=ub, lb=lb,
                          hessian_update=hessian, verbose=logging.WARNING,
                          options={fides.Options.MAXITER: int(settings.max_nfev),
                                   fides.Options.FATOL: 0.0,
                                   fides.Options.FRTOL: float(settings.tol),
                                   fides.Options.XTOL: float(settings.tol),
                                   fides.Options.GATOL: 1e-8})
    try:
        opt.minimize(np.asarray(x0, float))
    except TimeLimitReached:
        raise
    except Exception as exc:  # Fides raises on non-finite values at the start
        failed = exc
    else:
        failed = None
    sims = ob.n_sim - n_sim0
    counts = _counts(sims, derivatives, derivatives, ob.n_fallback - fallback0)
    if failed is not None:
        return LocalFit(np.asarray(x0, float), 1, f"fides: {failed} {counts}", -1)
    x = opt.x_min if opt.x_min is not None else np.asarray(x0, float)
    return LocalFit(np.asarray(x, float), int(opt.iteration), f"{opt.exitflag} {counts}",
                    int(getattr(opt.exitflag, "value", 0)),
                    budget_exhausted=opt.exitflag == fides.ExitFlag.MAXITER)


#: ``trf``'s ``ftol`` when it continues the best start in the polish: with the fits'
#: ``tol``, ``trf`` stops in long curved valleys where a step lowers the cost by
#: less than ``tol`` of it (on Brannmark_JBC2010 2 above the best-known value, where
#: Fides stops too and ``trf`` with the tighter test reaches the best-known value:
#: docs/benchmarks.md); the stall rule still ends a fit that crawls.
POLISH_FTOL = 1e-10


def resolved_optimizer(settings: FitSettings) -> str:
    """The optimiser of ``settings``, ``auto`` resolved: Fides with exact derivatives,
    ``trf`` otherwise.  Fides' Gauss-Newton steps from exact sensitivities reach lower
    values than ``trf`` on the hard problems of the benchmark collection and converge
    more starts per minute on most problems with exact derivatives; with difference
    quotients ``trf`` converges more per minute (docs/benchmarks.md, "Fides and trf
    on the whole collection")."""
    return auto_optimizer(settings.optimizer, settings.gradient)


def optimizer_name(settings: FitSettings, least_squares: bool) -> str:
    """The optimiser :func:`local_fit` runs for ``settings``, named by its library and
    method (the ``optimizer`` of ``summary.json`` and ``optimize_result.tsv``): ``trf``
    on a sum of squares, else L-BFGS-B; Fides with the Gauss-Newton Hessian of the
    residuals, else BFGS updates (:func:`fides_fit`)."""
    optimizer = resolved_optimizer(settings)
    if optimizer == "fides":
        return f"fides.Optimizer({'Gauss-Newton' if least_squares else 'BFGS'})"
    if optimizer == "trf" and least_squares:
        return "scipy.optimize.least_squares(trf)"
    return "scipy.optimize.minimize(L-BFGS-B)"


def polish_optimizer(settings: FitSettings) -> str:
    """The optimiser that continues the best start (``settings.polish``): Fides after
    ``trf`` or ``lbfgsb``, ``trf`` after Fides."""
    return "trf" if resolved_optimizer(settings) == "fides" else "fides"


def local_fit(ob: Objective, x0: np.ndarray, settings: FitSettings,
              ftol: float | None = None) -> LocalFit:
    """One local optimisation from ``x0`` with the optimiser of ``settings``.

    ``trf`` (:func:`trf_fit`) runs scipy's least-squares trust region on
    :meth:`Objective.residuals` (every observable with normal noise;
    otherwise L-BFGS-B on :meth:`Objective.fval`); ``fides``
    (:func:`fides_fit`) the Fides trust-region optimiser (Fröhlich & Sorger
    2022) with the gradient and the Gauss-Newton Hessian ``J.T @ J`` of the
    residuals (BFGS updates when the objective is no sum of squares);
    ``lbfgsb`` (:func:`lbfgsb_fit`) scipy's L-BFGS-B.  With
    ``settings.gradient == "exact"`` the derivatives are the objective's
    exact ones (forward sensitivities); with ``"fd"`` finite differences of
    relative step ``settings.diff_step``.

    Parameters
    ----------
    ob
        The objective.
    x0
        Starting point (free parameters, PEtab scale).
    settings
        The fit's settings (resolved: ``tol`` is a number).
    ftol
        ``trf``'s test on the relative decrease of the cost instead of
        ``settings.tol`` (the polish's tighter test, :data:`POLISH_FTOL`).
    """
    if len(x0) == 0:
        return LocalFit(x0, 1, "no free parameters")
    optimizer = resolved_optimizer(settings)
    if optimizer == "fides":
        return fides_fit(ob, x0, settings)
    if optimizer == "trf" and ob.least_squares:
        return trf_fit(ob, x0, settings, ftol)
    return lbfgsb_fit(ob, x0, settings)


def local_fit_until(ob: Objective, x0: np.ndarray, settings: FitSettings,
                    deadline: float | None, ftol: float | None = None,
                    limit: str | None = None) -> LocalFit:
    """:func:`local_fit`, stopped at ``deadline`` (a ``time.time()``; None: no limit).

    A fit still running at the deadline ends at the lowest objective value it
    evaluated (``x0`` if none), with ``budget_exhausted`` set and a message
    that says so, naming ``limit`` (default: the time limit, ``--max-time``).
    """
    if deadline is None:
        return local_fit(ob, x0, settings, ftol)
    n_eval0, n_sim0 = ob.n_eval, ob.n_sim
    ob.deadline, ob.best = deadline, None
    try:
        return local_fit(ob, x0, settings, ftol)
    except TimeLimitReached:
        x = ob.best[1] if ob.best is not None else np.asarray(x0, float)
        n = ob.n_eval - n_eval0
        return LocalFit(x, n, f"stopped at {limit or 'the time limit (--max-time)'} after {n} "
                              f"evaluations, at the lowest value evaluated "
                              f"{_counts(ob.n_sim - n_sim0, n, 0)}", 0, budget_exhausted=True,
                        time_limited=True)
    finally:
        ob.deadline, ob.best = None, None


def difference_steps(x: np.ndarray, lb: np.ndarray, ub: np.ndarray, relative: float,
                     like_scipy: bool = True) -> np.ndarray:
    """Steps of one-sided differences at ``x`` within the bounds.

    ``like_scipy``: scipy's "2-point" steps, as ``least_squares`` takes them with
    ``diff_step=relative`` (scipy 1.11 and later): ``relative * |x|`` away from 0
    (``sqrt(eps) * max(1, |x|)`` where that step vanishes); the other way where
    that leaves the bounds and the other way fits; else up to the farther bound.
    Otherwise ``relative * max(1, |x|)`` upwards, downwards where the upper bound
    is nearer (the Fides fits' steps, :func:`fides_fit`)."""
    if not like_scipy:
        h = relative * np.maximum(1.0, np.abs(x))
        return np.where(x + h > ub, -h, h)
    sign = np.where(x >= 0, 1.0, -1.0)
    h = relative * sign * np.abs(x)
    h = np.where((x + h) - x == 0, np.sqrt(np.finfo(float).eps) * sign
                 * np.maximum(1.0, np.abs(x)), h)
    lb_dist, ub_dist = x - lb, ub - x
    violated = (x + h < lb) | (x + h > ub)
    fitting = np.abs(h) <= np.maximum(lb_dist, ub_dist)
    h = np.where(violated & fitting, -h, h)
    h = np.where(~fitting & (ub_dist >= lb_dist), ub_dist, h)
    h = np.where(~fitting & (ub_dist < lb_dist), -lb_dist, h)
    return (x + h) - x


def residual_jacobian(ob: Objective, x: np.ndarray, settings: FitSettings,
                      r: np.ndarray | None = None, like_scipy: bool = False) -> np.ndarray:
    """Jacobian of :meth:`Objective.residuals` at ``x``: exact with
    ``settings.gradient == "exact"``, else one-sided differences
    (:func:`difference_steps`, relative step ``settings.diff_step``; scipy's
    steps with ``like_scipy``, as ``trf`` takes them).

    Where the simulation at a moved point fails (residuals
    :data:`~.objective.FAILED_RESIDUAL` that are not so at ``x``), the step is
    taken the other way if that stays in the bounds; rows that fail both ways
    (and rows that failed at ``x``) get 0.  A failed simulation would otherwise
    put differences of 1e10 in the Jacobian, and ``trf`` would shrink its steps
    to nothing and stop on ``xtol`` (on Fujita_SciSignal2010 most starts meet
    such a point).  ``r``: the residuals at ``x`` when the caller has them (no
    second evaluation)."""
    if settings.gradient == "exact":
        return ob.jacobian(x)
    x = np.asarray(x, float)
    r = ob.residuals(x) if r is None else r
    ok = r != FAILED_RESIDUAL
    steps = difference_steps(x, np.asarray(ob.lb, float), np.asarray(ob.ub, float),
                             settings.diff_step, like_scipy)
    jac = np.zeros((len(r), len(x)))
    for i, h in enumerate(steps):
        todo = ok.copy()
        for turned, step in enumerate((h, -h)):
            if turned and not ob.lb[i] <= x[i] + step <= ob.ub[i]:
                break
            moved = x.copy()
            moved[i] += step
            rm = ob.residuals(moved)
            good = todo & (rm != FAILED_RESIDUAL)
            jac[good, i] = (rm[good] - r[good]) / step
            todo &= ~good
            if not todo.any():
                break
    # like scipy's, column-major: trf's steps (lsmr's products) then agree with those
    # of scipy's own "2-point" Jacobian to the last bit
    return np.asfortranarray(jac) if like_scipy else jac


class _RememberedResiduals:
    """:meth:`Objective.residuals` for ``trf``, remembering its last point: ``trf`` asks
    for the Jacobian at a point right after the residuals there, so the difference
    Jacobian (:func:`residual_jacobian`) costs one simulation per parameter, as
    scipy's own "2-point" Jacobian does."""

    def __init__(self, ob: Objective, settings: FitSettings) -> None:
        self.ob, self.settings = ob, settings
        self.last: tuple[np.ndarray, np.ndarray] | None = None

    def __call__(self, x: np.ndarray) -> np.ndarray:
        r = self.ob.residuals(x)
        self.last = (np.array(x, float), r)
        return r

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        r = self.last[1] if self.last is not None and np.array_equal(self.last[0], x) else None
        return residual_jacobian(self.ob, x, self.settings, r, like_scipy=True)
