"""The objective function optimisers call, on a compiled problem.

A :class:`~jakstat_rules.calibrate.compiled.CompiledProblem` (:mod:`.compiled`)
gives the negative log-likelihood of the linear values of all estimated
parameters.  :class:`Objective` is the function the optimisers see: scaled free parameters (PEtab scale), some
parameters held fixed (profiles, validation), and scaling factors that
enter an observable purely multiplicatively with normal noise computed in
closed form (weighted least squares, "analytic scaling", as in hierarchical
optimisation, Weber et al. 2011 / Loos et al. 2018).  For normal noise it
also gives a residual vector whose half squared norm equals the NLL up to a
constant, for Gauss-Newton-type solvers (scipy's ``least_squares``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np
import sympy as sp
from petab.v1 import C

from jakstat_rules.errors import JakstatInputError, SimulationError

from .compiled import CompiledProblem, get_compiled
from .hierarchical import InnerProblem
from .likelihood import nll_partials, residual_partials, weighted_residuals
from .mapping import scale, unscale
from .priors import ObjectivePriors

__all__ = ["Evaluation", "Objective", "GRADIENTS", "FAILED_RESIDUAL"]

#: How derivatives are computed: exact forward sensitivities (AMICI) or finite differences.
GRADIENTS = ("exact", "fd")

#: Constant that keeps sqrt(log(2 pi sigma^2) + C) real when sigma has no lower bound.
SIGMA_RESIDUAL_FALLBACK = 60.0

#: The residual of :meth:`Objective.residuals` where a simulation failed or a value is
#: not finite: large, so that an optimiser rejects the point.
FAILED_RESIDUAL = 1e10


def _unscale_derivative(values: np.ndarray, scales: list[str]) -> np.ndarray:
    """d(linear value)/d(scaled value) at linear ``values`` (PEtab lin, log, log10)."""
    values = np.asarray(values, float)
    out = np.ones(len(values))
    for k, sc in enumerate(scales):
        if sc == C.LOG:
            out[k] = values[k]
        elif sc == C.LOG10:
            out[k] = values[k] * math.log(10.0)
    return out


@dataclass(frozen=True, eq=False)
class Evaluation:
    """One evaluation of an :class:`Objective`.

    Attributes
    ----------
    p
        Linear values of all estimated parameters (analytic ones at their optimum).
    h
        Simulated observables, one per measurement.
    sigma
        Noise standard deviations, one per measurement.
    """

    p: np.ndarray
    h: np.ndarray
    sigma: np.ndarray


class TimeLimitReached(Exception):
    """An evaluation was asked for after :attr:`Objective.deadline` (``--max-time``)."""


class Objective:
    """The NLL of a compiled problem as a function of the free parameters.

    Parameters
    ----------
    cp
        The compiled problem.
    fixed
        Estimated parameters held fixed: id -> linear value (profiles,
        validation).
    analytic
        Solve inner parameters in closed form
        (:class:`~jakstat_rules.calibrate.hierarchical.InnerProblem`): True
        for scalings and offsets (the default), False for none, or some of
        ``("scaling", "offset", "sigma")``.

    Attributes
    ----------
    free_ids
        Ids of the parameters the optimiser moves (on their PEtab scale).
    free_scales
        Their scales.
    lb, ub
        Their bounds on that scale.
    analytic_ids
        Ids computed in closed form for every evaluation.
    inner
        The inner problem (:class:`~jakstat_rules.calibrate.hierarchical.InnerProblem`).
    least_squares
        Whether every observable has normal noise, priors are quadratic and no
        sigma is inner (residuals available).
    n_eval
        Number of evaluations so far (in exact mode with the simulations of
        derivatives taken by differences where the sensitivities failed).
    n_sim
        Number of simulations of the model so far (one run over all conditions,
        with or without sensitivities; an evaluation that reuses the last
        simulation at its point counts none).
    n_fallback
        Number of derivatives taken by differences because the forward
        sensitivities failed (exact mode, :meth:`_difference_derivatives`).
    monitor
        None, or called as ``monitor(n_eval, nll)`` after every evaluation
        (progress of a running fit).
    deadline
        None, or a ``time.time()`` after which :meth:`evaluate` raises
        :class:`TimeLimitReached`; while it is set, :attr:`best` keeps the
        lowest objective value evaluated and its point (a fit stopped at the
        deadline ends there).
    """

    def __init__(self, cp: CompiledProblem, fixed: dict[str, float] | None = None,
                 analytic: bool | Iterable[str] = True, gradient: str = "fd") -> None:
        if gradient not in GRADIENTS:
            raise JakstatInputError(f"gradient {gradient!r}: expected one of {list(GRADIENTS)}")
        self.cp = cp
        self.gradient_method = gradient
        self._analytic = analytic if isinstance(analytic, bool) else tuple(analytic)
        self._recent: dict[bytes, tuple] = {}
        table = cp.parameters
        self.fixed = dict(fixed or {})
        for pid in self.fixed:
            if not table.is_estimated(pid):
                raise JakstatInputError(f"cannot fix {pid!r}: not an estimated "
                                        f"parameter; expected one of {table.estimated_ids}")
        self.priors = ObjectivePriors.from_payload(cp.payload, table)
        # a parameter with a prior is not solved in closed form (the closed form ignores it)
        self.inner = InnerProblem.from_groups(cp.groups, table, cp.dynamic.tolist(),
                                              set(self.fixed) | self.priors.ids, kinds=analytic)
        self.analytic_ids = list(self.inner.ids)
        self.free_ids = [pid for pid in table.estimated_ids
                         if pid not in self.fixed and pid not in self.analytic_ids]
        self.free_idx = np.array([table.position(i) for i in self.free_ids], dtype=int)
        self.free_scales = [table.scales[i] for i in self.free_idx]
        self.lb = scale(table.lb[self.free_idx], self.free_scales)
        self.ub = scale(table.ub[self.free_idx], self.free_scales)
        self.n_eval = 0
        self.n_sim = 0
        self.n_fallback = 0
        self.monitor: Callable[[int, float], None] | None = None
        self.deadline: float | None = None
        self.best: tuple[float, np.ndarray] | None = None
        self.least_squares = (all(g.distribution == C.NORMAL for g in cp.groups)
                              and self.priors.least_squares and self.inner.least_squares)
        self._sigma_const = self._sigma_constant()

    def __reduce__(self) -> tuple:
        """Pickled as the problem and the arguments that built it: another process
        (pyPESTO's ``MultiProcessEngine``, a scatter search's workers) compiles the
        problem again, once per process (:func:`~.compiled.get_compiled`); the
        evaluation count, monitor and time limit start afresh."""
        cp = self.cp
        return (_rebuild, (cp.payload, cp.rtol, cp.atol, self.fixed, self._analytic,
                           self.gradient_method))

    def _base(self, x: np.ndarray) -> np.ndarray:
        table = self.cp.parameters
        p = table.nominal.copy()
        for pid, v in self.fixed.items():
            p[table.position(pid)] = v
        p[self.free_idx] = unscale(np.asarray(x, float), self.free_scales)
        return self.inner.raw_parameters(p)

    def evaluate(self, x: np.ndarray) -> Evaluation:
        """Parameters, observables and noise SDs at scaled free parameters ``x``.

        Inner parameters in ``p`` (:attr:`analytic_ids`) are set to their
        optimum (clipped to the bounds).  When :attr:`monitor` is set, it is
        called with the number of evaluations and the NLL of the data.

        Raises
        ------
        SimulationError
            If a simulation fails.
        """
        if self.deadline is not None and time.time() >= self.deadline:
            raise TimeLimitReached(f"time limit reached after {self.n_eval} evaluations")
        self.n_eval += 1
        ev = self._evaluate(x)
        if self.monitor is not None:
            self.monitor(self.n_eval, float(np.sum(self.cp.nll_terms(ev.h, ev.sigma))))
        if self.deadline is not None:
            v = self._value(ev)
            if v < (self.best[0] if self.best is not None else math.inf):
                self.best = (v, np.array(x, float))
        return ev

    def _evaluate(self, x: np.ndarray) -> Evaluation:
        cp, inner = self.cp, self.inner
        p = self._base(x)
        if self.gradient_method == "exact":  # every value from the sensitivity engine
            h, s = self._simulate(p)
            if not inner.ids:
                return Evaluation(p, h, s)
            h_free = (self._simulate(inner.free_parameters(p))[0]
                      if inner.free_term_groups else None)
            return Evaluation(*inner.solve(cp.y, h, s, p, h_free))
        self.n_sim += 1
        if not inner.ids:
            h, s = cp.observables(p)
            return Evaluation(p, h, s)
        sims = cp.simulate(p)
        (h, s), h_free = cp.observables(p, sims), None
        if inner.free_term_groups:  # observables with the scalings at 0 as well
            p_free, h_free = inner.free_parameters(p), np.zeros(len(cp.y))
            measured = cp.measured_quantities(sims)
            for gi in inner.free_term_groups:
                h_free[cp.groups[gi].rows] = cp.group_values(cp.groups[gi], p_free,
                                                             measured=measured)[0]
        return Evaluation(*inner.solve(cp.y, h, s, p, h_free))

    def _simulate(self, p: np.ndarray, derivatives: bool = False) -> tuple:
        """Observables and noise SDs at linear ``p`` (copies), plus their derivatives
        by ``p`` with ``derivatives`` (exact mode only).

        In exact mode every value comes from the sensitivity engine, so that
        values and derivatives come from one simulator; the last result is
        kept (a value call after a derivative call at the same point is free).
        """
        if self.gradient_method != "exact":
            self.n_sim += 1
            return self.cp.observables(p)
        key = np.asarray(p, float).tobytes()
        hit = self._recent.get(key)
        if hit is None or (derivatives and hit[2] is None):
            # values alone for value calls (rejected trial points need no sensitivities)
            try:
                self.n_sim += 1
                hit = self.cp.sensitivities().evaluate(p, derivatives=derivatives)
            except SimulationError:
                if not derivatives:
                    raise
                hit = self._difference_derivatives(p, hit)
            if len(self._recent) >= 4:
                self._recent.pop(next(iter(self._recent)))
            self._recent[key] = hit
        h, s, dh, ds = hit
        if derivatives:
            return h.copy(), s.copy(), dh.copy(), ds.copy()
        return h.copy(), s.copy()

    def _difference_derivatives(self, p: np.ndarray, values: tuple | None) -> tuple:
        """Observables, noise SDs and their derivatives by the free parameters'
        linear values at ``p`` by central differences of the sensitivity engine's
        values, where its forward sensitivities fail and its values do not.

        CVODES controls the error of the sensitivities as well, so it can give up
        where the states alone integrate (on Fujita_SciSignal2010 at 3 of 8
        starting points or fit ends).  A Jacobian of zeros there would be a
        stationary point to the optimiser: ``trf`` would stop on ``gtol`` at
        once, at any value.  The step is ``rtol ** (1/3)`` of ``p_k`` (0.01 at
        the exact mode's 1e-6), where the central difference's truncation error
        (order step**2) and the integration error divided by the step are about
        equal; one side that fails gives the one-sided difference.  Columns of
        parameters that are not free stay 0 (nothing reads them).  ``values``: the
        values at ``p`` already simulated (``_recent``), if any.

        Raises
        ------
        SimulationError
            If the values at ``p`` fail as well.
        """
        sens = self.cp.sensitivities()
        if values is None:
            self.n_eval += 1
            self.n_sim += 1
            values = sens.evaluate(p, derivatives=False)
        h, s = values[:2]
        self.n_fallback += 1
        dh, ds = np.zeros((len(h), len(p))), np.zeros((len(s), len(p)))
        relative = self.cp.rtol ** (1.0 / 3.0)
        for k in self.free_idx:
            if self.deadline is not None and time.time() >= self.deadline:
                raise TimeLimitReached(f"time limit reached after {self.n_eval} evaluations")
            e = relative * (abs(p[k]) if p[k] != 0.0 else 1e-3)
            moved = []
            for sign in (1.0, -1.0):
                q = p.copy()
                q[k] += sign * e
                self.n_eval += 1
                self.n_sim += 1
                try:
                    moved.append((sens.evaluate(q, derivatives=False)[:2], sign * e))
                except SimulationError:
                    pass
            if len(moved) == 2:
                ((hp, sp), _), ((hm, sm), _) = moved
                dh[:, k], ds[:, k] = (hp - hm) / (2.0 * e), (sp - sm) / (2.0 * e)
            elif moved:  # one side failed: the one-sided difference
                (hq, sq), step = moved[0]
                dh[:, k], ds[:, k] = (hq - h) / step, (sq - s) / step
        return h, s, dh, ds

    def _derivatives(self, x: np.ndarray) -> tuple[Evaluation, np.ndarray, np.ndarray]:
        """Evaluation at ``x`` and derivatives of ``h`` and ``sigma`` by the free
        parameters on their scale, at fixed inner (analytic) parameters.

        The inner parameters are at their optimum, so the gradient of the
        objective is its partial gradient there (envelope theorem).  The
        value comes from a simulation without sensitivities and the derivatives
        from one with them.  Taking the value from the run with sensitivities
        instead would save that simulation (a fifth of a derivative's time on
        Bruno_JExpBot2016), but CVODES then controls the error of the
        sensitivities as well and the value differs (by up to 1 % on
        Fujita_SciSignal2010 at rtol 1e-6), which sent Fides on other, longer
        paths there (about twice the time per start in a comparison on the
        first starts of the design; not one of the project's benchmarks).
        """
        if self.gradient_method != "exact":
            raise JakstatInputError("exact derivatives need gradient='exact'")
        ev = self.evaluate(x)
        p0 = self._base(x)
        _, _, dh, ds = self._simulate(p0, derivatives=True)
        inner = self.inner
        if inner.free_term_groups:
            _, _, dh_free, _ = self._simulate(inner.free_parameters(p0), derivatives=True)
        for link in inner.links:  # h = s*h_raw + b (offsets constant), sigma = sd*sigma_raw
            rows = link.rows
            if link.scaling is not None:
                factor = ev.p[inner.positions[link.scaling]]
                if link.free_term:
                    dh[rows] = factor * (dh[rows] - dh_free[rows]) + dh_free[rows]
                else:
                    dh[rows] *= factor
            if link.sigma is not None:
                ds[rows] *= ev.p[inner.positions[link.sigma]]
        chain = _unscale_derivative(ev.p[self.free_idx], self.free_scales)
        return ev, dh[:, self.free_idx] * chain, ds[:, self.free_idx] * chain

    def fval_and_gradient(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """Objective and its exact gradient by the scaled free parameters
        (``(inf, zeros)`` if a simulation fails)."""
        cp = self.cp
        try:
            ev, dh, ds = self._derivatives(x)
        except SimulationError:
            return math.inf, np.zeros(len(x))
        f = float(np.sum(cp.nll_terms(ev.h, ev.sigma)))
        a, b = nll_partials(cp.y, ev.h, ev.sigma, cp.groups)
        g = dh.T @ a + ds.T @ b
        if self.priors:
            f += self.priors.neglogprior(ev.p)
            chain = _unscale_derivative(ev.p[self.free_idx], self.free_scales)
            g = g + self.priors.gradient(ev.p)[self.free_idx] * chain
        if not (math.isfinite(f) and np.all(np.isfinite(g))):
            return math.inf, np.zeros(len(x))
        return f, g

    def gradient(self, x: np.ndarray) -> np.ndarray:
        """Exact gradient of :meth:`fval` by the scaled free parameters."""
        return self.fval_and_gradient(x)[1]

    #: Step (of the scaled parameter) of the central difference through the
    #: closed-form inner problem in :meth:`jacobian`.
    INNER_STEP = 1e-5

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        """Exact Jacobian of :meth:`residuals` by the scaled free parameters.

        With inner (closed-form) parameters, the Jacobian of the *reduced*
        residuals, inner parameters re-solved (variable projection after
        Golub & Pereyra 1973): the observables and noise SDs move along their
        exact derivatives and the closed-form inner solution and residuals
        are differentiated by central differences along them (algebra only,
        no simulation; error of order ``INNER_STEP**2``).  Leaving the inner
        derivative out (Kaufman 1975) keeps ``J.T @ r`` exact but makes a
        poor Gauss-Newton model far from the optimum: trf then crawls (on the
        Kirby problem, hundreds of iterations with NLL steps of 1e-4).
        Zeros if a simulation fails.
        """
        cp = self.cp
        n = len(cp.y)
        size = (n if self._sigma_const is None else 2 * n) + len(
            self.priors.residuals(self.cp.parameters.nominal))
        if self.inner.ids:
            try:
                return self._reduced_jacobian(np.asarray(x, float))
            except SimulationError:
                return np.zeros((size, len(x)))
        try:
            ev, dh, ds = self._derivatives(x)
        except SimulationError:
            return np.zeros((size, len(x)))
        a, b = residual_partials(cp.y, ev.h, ev.sigma, cp.groups)
        blocks = [a[:, None] * dh + b[:, None] * ds]
        if self._sigma_const is not None:
            with np.errstate(all="ignore"):
                e = np.sqrt(np.maximum(np.log(2 * np.pi * ev.sigma ** 2) + self._sigma_const, 0.0))
                de = np.where(e > 0, 1.0 / (ev.sigma * e), 0.0)
            blocks.append(de[:, None] * ds)
        if self.priors:
            chain = _unscale_derivative(ev.p[self.free_idx], self.free_scales)
            blocks.append(self.priors.residual_jacobian(ev.p)[:, self.free_idx] * chain)
        jac = np.vstack(blocks)
        jac[~np.isfinite(jac)] = 0.0
        return jac

    def _reduced_jacobian(self, x: np.ndarray) -> np.ndarray:
        cp, inner = self.cp, self.inner
        p0 = self._base(x)
        h, s, dh, ds = self._simulate(p0, derivatives=True)
        if inner.free_term_groups:
            h_free, _, dh_free, _ = self._simulate(inner.free_parameters(p0), derivatives=True)
        chain = _unscale_derivative(p0[self.free_idx], self.free_scales)
        columns = []
        for c, k in enumerate(self.free_idx):
            e = self.INNER_STEP * max(1.0, abs(float(x[c])))
            moved = []
            for sign in (1.0, -1.0):
                p = p0.copy()
                p[k] = unscale([x[c] + sign * e], [self.free_scales[c]])[0]
                t = sign * e * chain[c]
                hf = (h_free + t * dh_free[:, k]) if inner.free_term_groups else None
                ev = Evaluation(*inner.solve(cp.y, h + t * dh[:, k], s + t * ds[:, k], p, hf))
                moved.append(self._residual_vector(ev))
            columns.append((moved[0] - moved[1]) / (2.0 * e))
        jac = np.column_stack(columns) if columns else np.zeros((len(self.residuals(x)), 0))
        jac[~np.isfinite(jac)] = 0.0
        return jac

    def _residual_vector(self, ev: Evaluation) -> np.ndarray:
        """The residuals of :meth:`residuals` for an evaluation (non-finite entries kept)."""
        cp = self.cp
        r = weighted_residuals(cp.y, ev.h, ev.sigma, cp.groups)
        if self._sigma_const is not None:
            with np.errstate(all="ignore"):
                extra = np.sqrt(np.maximum(np.log(2 * np.pi * ev.sigma ** 2)
                                           + self._sigma_const, 0.0))
            r = np.concatenate([r, extra])
        if self.priors:
            r = np.concatenate([r, self.priors.residuals(ev.p)])
        return r

    def fval(self, x: np.ndarray) -> float:
        """NLL plus ``-log`` objective priors at scaled free parameters ``x``
        (``inf`` if a simulation fails)."""
        try:
            ev = self.evaluate(x)
        except SimulationError:
            return math.inf
        return self._value(ev)

    def fresh_fval(self, x: np.ndarray) -> float:
        """:meth:`fval` from a simulation of its own, never a cached one.

        In exact mode a value call at a point just differentiated reuses the
        simulation that carried the sensitivities, whose error control differs;
        at loose tolerances the two values can differ (Brannmark 2010 at rtol
        1e-6: 290.2 against 194.5 at one fitted point).  A start's recorded value
        comes from here, so that a resumed run, which evaluates the point
        afresh, reproduces it.
        """
        self._recent.clear()
        return self.fval(x)

    def _value(self, ev: Evaluation) -> float:
        """NLL plus ``-log`` objective priors of an evaluation (``inf`` if not finite)."""
        v = float(np.sum(self.cp.nll_terms(ev.h, ev.sigma)))
        if self.priors:
            v += self.priors.neglogprior(ev.p)
        return v if math.isfinite(v) else math.inf

    def _sigma_constant(self) -> float | None:
        """Constant making sqrt(log(2 pi sigma^2) + C) real, or None if
        sigma does not depend on estimated parameters."""
        cp, table = self.cp, self.cp.parameters
        moving = set(self.free_ids) | set(self.analytic_ids)
        depends = False
        for g in cp.groups:
            names = {s.name for s in g.noise_expr.free_symbols}
            if names & moving or names & set(g.model_symbols):
                depends = True
        if not depends:
            return None
        # smallest sigma over the corners of the box of noise parameters
        smin = math.inf
        for g in cp.groups:
            if set(g.model_symbols) & {s.name for s in g.noise_expr.free_symbols}:
                return SIGMA_RESIDUAL_FALLBACK
            names = [n for n in g.parameter_symbols if n in self.free_ids]
            if len(names) > 8:
                return SIGMA_RESIDUAL_FALLBACK
            subs = {}
            for n in g.parameter_symbols:
                if n not in names:
                    k = table.position(n)
                    value = (self.fixed.get(n, table.nominal[k]) if k is not None
                             else table.nominal_all[n])
                    subs[sp.Symbol(n, real=True)] = sp.Float(float(value))
            expr = g.noise_expr.xreplace(subs)
            for corner in range(2 ** len(names)):
                vals = {}
                for b, n in enumerate(names):
                    k = table.position(n)
                    vals[sp.Symbol(n, real=True)] = sp.Float(float(
                        table.ub[k] if (corner >> b) & 1 else table.lb[k]))
                try:
                    v = abs(float(sp.sympify(expr).xreplace(vals)))
                except (TypeError, ValueError):
                    return SIGMA_RESIDUAL_FALLBACK
                smin = min(smin, v)
        if not math.isfinite(smin) or smin <= 0:
            return SIGMA_RESIDUAL_FALLBACK
        return max(0.0, -math.log(2 * math.pi * smin ** 2)) + 1.0

    def residuals(self, x: np.ndarray) -> np.ndarray:
        """Residuals whose half squared norm is the NLL plus a constant.

        Weighted residuals ``(y - h) / sigma`` (on the observable's
        transformation scale) followed, if sigma depends on parameters, by
        ``sqrt(log(2 pi sigma^2) + C)``, then ``(value - mean) / sd`` of the
        normal objective priors.  Only for normal noise and normal or uniform
        priors.  A failed simulation gives large residuals
        (:data:`FAILED_RESIDUAL`, also in place of non-finite entries).
        """
        cp = self.cp
        n = len(cp.y)
        size = (n if self._sigma_const is None else 2 * n) + len(
            self.priors.residuals(self.cp.parameters.nominal))
        try:
            ev = self.evaluate(x)
        except SimulationError:
            return np.full(size, FAILED_RESIDUAL)
        r = self._residual_vector(ev)
        r[~np.isfinite(r)] = FAILED_RESIDUAL
        return r

    def full_parameters(self, x: np.ndarray) -> dict[str, float]:
        """All estimated parameters (linear) at free parameters ``x``."""
        return dict(zip(self.cp.estimated_ids, self.evaluate(x).p.tolist()))

    def x_from_parameters(self, params: dict[str, float]) -> np.ndarray:
        """Scaled free-parameter vector from an id -> linear value dict."""
        return scale([params[i] for i in self.free_ids], self.free_scales)


def _rebuild(payload, rtol: float, atol: float, fixed: dict[str, float],
             analytic: bool | tuple[str, ...], gradient: str) -> Objective:
    """An :class:`Objective` unpickled in this process (:meth:`Objective.__reduce__`)."""
    return Objective(get_compiled(payload, rtol, atol), fixed=fixed, analytic=analytic,
                     gradient=gradient)
