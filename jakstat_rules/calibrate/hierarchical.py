"""The hierarchical inner problem: scalings, offsets and noise SDs in closed form.

Hierarchical optimisation splits the parameters of a PEtab problem into
*outer* parameters, which the optimiser moves, and *inner* parameters, which
for given outer values are set to their optimum in closed form (Weber et al.
2011, BMC Bioinformatics 12:319; Loos et al. 2018, Bioinformatics 34:4266;
Schmiester et al. 2020, Bioinformatics 36:4160 for noise parameters).  The
optimiser then sees the NLL minimised over the inner parameters, a function
of fewer parameters, and by the envelope theorem its gradient is the partial
gradient of the NLL at the inner optimum.

:meth:`InnerProblem.from_groups` finds the inner parameters of any PEtab
problem from its compiled observable groups
(:class:`~jakstat_rules.calibrate.observables.ObservableGroup`).  A candidate
is an estimated parameter that no simulation depends on, that carries no
objective prior and is not held fixed.  Of those:

* a **scaling** ``s`` in a group whose observable is ``s * g + b + r`` and an
  **offset** ``b`` in a group whose observable is ``g + c * b`` (``c`` a
  number) where ``g`` and ``r`` are free of inner parameters: the observable
  is affine in them, with at most one scaling and one offset per group, and a
  parameter is a scaling in all its groups or an offset in all of them.  They
  must not enter a noise formula, and every group they enter has normal noise
  on the ``lin`` scale.  Under ``log``/``log10`` transformations the residual
  ``log y - log(s g + b)`` is not linear in them (a pure scaling would be an
  offset on the log scale, but mixed with offsets or ``lin`` groups it is
  not), and Laplace noise makes the problem an L1 fit: such parameters are
  left to the optimiser.
* a **sigma** ``sd`` whose noise formulas are ``sd * c`` with ``c`` free of
  inner parameters (``c`` is often 1), which enters no observable formula,
  and one inner sigma per group; any transformation (the residual is on the
  transformation scale) and normal or Laplace noise.

The solution for given outer parameters:

1. For fixed noise SDs, the scalings and offsets by weighted linear least
   squares over all their rows (weights ``1 / sigma^2``), jointly for
   parameters that share a group (and, through them, transitively); a single
   scaling is ``sum(w g y) / sum(w g^2)``, a single offset a weighted mean.
   Values outside the parameter bounds are clipped to them (exact for one
   parameter; several coupled ones are solved with bounds by
   :func:`scipy.optimize.lsq_linear`).
2. Each sigma from the residuals ``d`` of its rows (on the transformation
   scale, divided by ``c``): the root mean square of ``d`` for normal noise,
   the mean of ``|d|`` for Laplace noise, the positive root of
   ``n sd^2 - A sd - B = 0`` (``A = sum |d|`` over Laplace rows, ``B =
   sum d^2`` over normal rows) for a mixture; clipped to the bounds (the NLL
   is unimodal in ``sd``, so clipping is exact).

Step 2 after step 1 is the exact joint optimum when the rows of each
scaling/offset share one inner sigma or have fixed noise SDs only (the common
factor ``sd^2`` cancels from the weights).  Otherwise (a scaling whose rows
span two inner sigmas, or an inner sigma and fixed SDs) the two steps
alternate until the inner values change by less than 1e-12 relative (at most
:data:`MAX_ALTERNATIONS` rounds); every step lowers the NLL, and the fixed
point is a stationary point of the NLL in the inner parameters.  (pyPESTO
refuses this case.)

An inner sigma makes the NLL a function of the outer parameters that is no
sum of squares (:attr:`InnerProblem.least_squares` is False), so a
Gauss-Newton solver cannot use it; that is why :data:`DEFAULT_KINDS` leaves
sigmas to the optimiser unless asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Collection, Iterable, Sequence

import numpy as np
import sympy as sp
from petab.v1 import C

from jakstat_rules.errors import JakstatInputError

from .likelihood import transform
from .mapping import ParameterTable

__all__ = ["SCALING", "OFFSET", "SIGMA", "INNER_KINDS", "DEFAULT_KINDS",
           "MAX_ALTERNATIONS", "GroupLink", "InnerProblem"]

SCALING, OFFSET, SIGMA = "scaling", "offset", "sigma"
#: Every kind of inner parameter.
INNER_KINDS = (SCALING, OFFSET, SIGMA)
#: Kinds solved by default: those that keep the objective a sum of squares.
DEFAULT_KINDS = (SCALING, OFFSET)
#: Most rounds of alternating least squares / sigma updates (coupled case).
MAX_ALTERNATIONS = 500
_TOLERANCE = 1e-12


def _symbol(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


@dataclass(frozen=True)
class GroupLink:
    """How one observable group depends on inner parameters.

    Attributes
    ----------
    group
        Position of the group in the list of groups.
    rows
        Its measurement rows.
    scaling, offset, sigma
        Inner parameter ids (None if the group has none of that kind).
    offset_coefficient
        ``c`` in ``... + c * offset``.
    free_term
        Whether the observable has terms free of the scaling (``r`` in
        ``s * g + b + r``); then :meth:`InnerProblem.solve` needs the
        observable with the scaling at 0.
    transformation, distribution
        The group's observable transformation and noise distribution.
    """

    group: int
    rows: np.ndarray
    scaling: str | None
    offset: str | None
    offset_coefficient: float
    free_term: bool
    sigma: str | None
    transformation: str
    distribution: str


def _linear_structure(groups, names: set[str]) -> tuple[set[str], dict[str, str]]:
    """Drop scaling/offset candidates until every group is affine in the rest.

    Returns the surviving candidates and their kinds.
    """
    names = set(names)
    while True:
        drop: set[str] = set()
        kinds: dict[str, set[str]] = {}
        for g in groups:
            expr = g.observable_expr
            inside = sorted(n for n in names if _symbol(n) in expr.free_symbols)
            if not inside:
                continue
            if g.transformation != C.LIN or g.distribution != C.NORMAL:
                drop.update(inside)
                continue
            symbols = {_symbol(n) for n in inside}
            found: dict[str, list[str]] = {SCALING: [], OFFSET: []}
            for n in inside:
                derivative = sp.diff(expr, _symbol(n))
                if derivative.free_symbols & symbols:  # not affine (product, power, ...)
                    drop.add(n)
                elif derivative != 0:
                    found[SCALING if derivative.free_symbols else OFFSET].append(n)
            for kind, members in found.items():
                if len(members) > 1:  # one scaling and one offset per group
                    drop.update(members)
                for n in members:
                    kinds.setdefault(n, set()).add(kind)
        drop.update(n for n, k in kinds.items() if len(k) > 1)
        if not drop:
            return names, {n: k.pop() for n, k in kinds.items() if n in names}
        names -= drop


def _sigma_structure(groups, names: set[str]) -> set[str]:
    """Sigma candidates that every noise formula they enter multiplies."""
    drop: set[str] = set()
    for g in groups:
        expr = g.noise_expr
        inside = [n for n in names if _symbol(n) in expr.free_symbols]
        if len(inside) > 1:
            drop.update(inside)
        elif inside:
            s = _symbol(inside[0])
            factor = sp.diff(expr, s)
            if (s in factor.free_symbols or sp.expand(expr - factor * s) != 0
                    or g.distribution not in (C.NORMAL, C.LAPLACE)):
                drop.add(inside[0])
    return names - drop


def _kinds(kinds: bool | str | Iterable[str]) -> tuple[str, ...]:
    if kinds is True:
        return DEFAULT_KINDS
    if kinds is False or kinds is None:
        return ()
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    unknown = [k for k in kinds if k not in INNER_KINDS]
    if unknown:
        raise JakstatInputError(f"unknown inner parameter kind(s) {unknown}; "
                                f"expected some of {list(INNER_KINDS)}")
    return kinds


class InnerProblem:
    """The inner parameters of a problem and their closed-form optimum.

    Build it with :meth:`from_groups`.

    Attributes
    ----------
    ids
        Inner parameter ids, in the order of the estimated parameters.
    kinds
        Id -> ``"scaling"``, ``"offset"`` or ``"sigma"``.
    positions
        Id -> position in the vector ``p`` of estimated parameters.
    links
        The groups that depend on inner parameters (:class:`GroupLink`).
    free_term_groups
        Positions of groups whose observables have terms free of their
        scaling (pass ``h_free`` to :meth:`solve`).
    least_squares
        False when a sigma is inner: the NLL over the outer parameters is
        then no sum of squares.
    alternating
        Whether a scaling/offset shares rows with several inner sigmas (or an
        inner sigma and fixed SDs): :meth:`solve` then alternates least
        squares and sigma updates until they settle.
    """

    def __init__(self, table: ParameterTable, kinds: dict[str, str],
                 links: Sequence[GroupLink]) -> None:
        self.ids = [pid for pid in table.estimated_ids if pid in kinds]
        self.kinds = {pid: kinds[pid] for pid in self.ids}
        self.positions = {pid: table.position(pid) for pid in self.ids}
        self.links = list(links)
        self.free_term_groups = [ln.group for ln in self.links if ln.free_term]
        self.least_squares = SIGMA not in self.kinds.values()
        self._lb = {pid: float(table.lb[k]) for pid, k in self.positions.items()}
        self._ub = {pid: float(table.ub[k]) for pid, k in self.positions.items()}
        self._nominal = {pid: float(table.nominal[k]) for pid, k in self.positions.items()}
        self._components = self._linear_components()
        self.alternating = any(len({ln.sigma for ln in comp}) > 1 for _, comp in self._components)
        self._sigma_links = {pid: [ln for ln in self.links if ln.sigma == pid]
                             for pid in self.ids if self.kinds[pid] == SIGMA}

    @classmethod
    def from_groups(cls, groups: Sequence, table: ParameterTable,
                    dynamic_positions: Collection[int], excluded_ids: Collection[str] = (),
                    kinds: bool | str | Iterable[str] = True) -> "InnerProblem":
        """Find the inner parameters of compiled observable groups.

        Parameters
        ----------
        groups
            The problem's :class:`~jakstat_rules.calibrate.observables.ObservableGroup`\\ s.
        table
            The parameter table.
        dynamic_positions
            Positions in ``p`` of parameters that change a simulation.
        excluded_ids
            Parameters that must stay outer (held fixed, with a prior).
        kinds
            Which kinds to solve: True for :data:`DEFAULT_KINDS`, False for
            none, or some of :data:`INNER_KINDS`.

        Raises
        ------
        JakstatInputError
            For an unknown kind.
        """
        wanted = _kinds(kinds)
        dynamic, excluded = set(dynamic_positions), set(excluded_ids)
        candidates = {n for g in groups for n in g.parameter_symbols
                      if table.position(n) is not None and table.position(n) not in dynamic
                      and n not in excluded}
        in_observable = {s.name for g in groups for s in g.observable_expr.free_symbols}
        in_noise = {s.name for g in groups for s in g.noise_expr.free_symbols}
        linear, found = set(), {}
        if SCALING in wanted or OFFSET in wanted:
            linear, found = _linear_structure(groups, candidates & in_observable - in_noise)
            linear = {n for n in linear if found[n] in wanted}
            found = {n: found[n] for n in linear}
        if SIGMA in wanted:
            for n in _sigma_structure(groups, candidates & in_noise - in_observable):
                found[n] = SIGMA
        links = []
        for gi, g in enumerate(groups):
            names = {s.name for s in g.observable_expr.free_symbols | g.noise_expr.free_symbols}
            mine = {found[n]: n for n in names if n in found}
            if not mine:
                continue
            scaling, offset = mine.get(SCALING), mine.get(OFFSET)
            coefficient, free = 1.0, False
            if offset is not None:
                coefficient = float(sp.diff(g.observable_expr, _symbol(offset)))
            if scaling is not None:
                zero = {_symbol(n): sp.Integer(0) for n in (scaling, offset) if n is not None}
                free = g.observable_expr.xreplace(zero) != 0
            links.append(GroupLink(gi, g.rows, scaling, offset, coefficient, bool(free),
                                   mine.get(SIGMA), g.transformation, g.distribution))
        return cls(table, found, links)

    # -- parameter vectors -------------------------------------------------
    def raw_parameters(self, p: np.ndarray) -> np.ndarray:
        """``p`` with scalings at 1, offsets at 0 and inner sigmas at 1 (in place)."""
        for pid, k in self.positions.items():
            p[k] = 0.0 if self.kinds[pid] == OFFSET else 1.0
        return p

    def free_parameters(self, p: np.ndarray) -> np.ndarray:
        """A copy of ``p`` with the scalings at 0 as well: the observables then
        give the terms free of the scaling (for :attr:`free_term_groups`)."""
        p = p.copy()
        for pid, k in self.positions.items():
            if self.kinds[pid] == SCALING:
                p[k] = 0.0
        return p

    def groups_of(self, pid: str) -> list[int]:
        """Positions of the groups in which inner parameter ``pid`` appears."""
        return [ln.group for ln in self.links if pid in (ln.scaling, ln.offset, ln.sigma)]

    # -- the solution ------------------------------------------------------
    def _linear_components(self) -> list[tuple[list[str], list[GroupLink]]]:
        """Scalings/offsets that share groups (transitively), with their groups."""
        parent: dict[str, str] = {}

        def root(n: str) -> str:
            while parent.setdefault(n, n) != n:
                n = parent[n]
            return n

        for ln in self.links:
            members = [n for n in (ln.scaling, ln.offset) if n is not None]
            for n in members:
                root(n)
            if len(members) == 2:
                parent[root(members[0])] = root(members[1])
        out: dict[str, tuple[list[str], list[GroupLink]]] = {}
        for pid in self.ids:
            if self.kinds[pid] != SIGMA:
                out.setdefault(root(pid), ([], []))[0].append(pid)
        for ln in self.links:
            if ln.scaling is not None or ln.offset is not None:
                out[root(ln.scaling or ln.offset)][1].append(ln)
        return list(out.values())

    def _fallback(self, pid: str) -> float:
        value = self._nominal[pid]
        return value if np.isfinite(value) else self._lb[pid]

    def _solve_component(self, names: list[str], links: list[GroupLink], y: np.ndarray,
                         base: np.ndarray, slope: np.ndarray, sigma: np.ndarray) -> dict:
        """Weighted least squares for the scalings/offsets ``names`` over ``links``."""
        rows = np.concatenate([ln.rows for ln in links])
        w = 1.0 / sigma[rows] ** 2
        if len(names) == 1:
            pid = names[0]
            if self.kinds[pid] == SCALING:  # sum(w g y) / sum(w g^2), as before
                a = slope[rows]
            else:
                a = np.concatenate([np.full(len(ln.rows), ln.offset_coefficient) for ln in links])
            z = y[rows] - base[rows]
            den = np.sum(w * a ** 2)
            if den > 0 and np.isfinite(den):
                value = np.sum(w * a * z) / den
            else:
                value = self._fallback(pid)
            return {pid: float(np.clip(value, self._lb[pid], self._ub[pid]))}
        column = {n: j for j, n in enumerate(names)}
        design = np.zeros((len(rows), len(names)))
        start = 0
        for ln in links:
            part = slice(start, start + len(ln.rows))
            if ln.scaling is not None:
                design[part, column[ln.scaling]] = slope[ln.rows]
            if ln.offset is not None:
                design[part, column[ln.offset]] = ln.offset_coefficient
            start += len(ln.rows)
        root_w = np.sqrt(w)
        a, z = design * root_w[:, None], (y[rows] - base[rows]) * root_w
        if not (np.all(np.isfinite(a)) and np.all(np.isfinite(z))):
            return {n: self._fallback(n) for n in names}
        lb = np.array([self._lb[n] for n in names])
        ub = np.array([self._ub[n] for n in names])
        value = np.linalg.lstsq(a, z, rcond=None)[0]
        if np.any(value < lb) or np.any(value > ub):
            from scipy.optimize import lsq_linear
            value = lsq_linear(a, z, bounds=(lb, ub), method="bvls", tol=1e-14).x
        return {n: float(np.clip(v, self._lb[n], self._ub[n])) for n, v in zip(names, value)}

    def _linear_step(self, y, h_raw, sigma, base, slope, values) -> np.ndarray:
        h = h_raw.copy()
        for names, links in self._components:
            values.update(self._solve_component(names, links, y, base, slope, sigma))
            for ln in links:
                r = ln.rows
                if ln.scaling is not None and ln.offset is None and not ln.free_term:
                    h[r] = h_raw[r] * values[ln.scaling]  # the pure scaling, as before
                    continue
                h[r] = base[r]
                if ln.scaling is not None:
                    h[r] = h[r] + values[ln.scaling] * slope[r]
                if ln.offset is not None:
                    h[r] = h[r] + ln.offset_coefficient * values[ln.offset]
        return h

    def _sigma_step(self, y, h, sigma_raw, values) -> np.ndarray:
        sigma = sigma_raw.copy()
        for pid, links in self._sigma_links.items():
            n, sq, ab = 0, 0.0, 0.0
            with np.errstate(all="ignore"):
                for ln in links:
                    r = ln.rows
                    d = (transform(y[r], ln.transformation)
                         - transform(h[r], ln.transformation)) / sigma_raw[r]
                    n += len(r)
                    if ln.distribution == C.NORMAL:
                        sq += float(np.sum(d ** 2))
                    else:
                        ab += float(np.sum(np.abs(d)))
                value = (np.sqrt(sq / n) if ab == 0 else
                         (ab + np.sqrt(ab ** 2 + 4 * n * sq)) / (2 * n))
            value = float(np.clip(value, self._lb[pid], self._ub[pid]))
            values[pid] = value
            for ln in links:
                sigma[ln.rows] = sigma_raw[ln.rows] * value
        return sigma

    def solve(self, y: np.ndarray, h_raw: np.ndarray, sigma_raw: np.ndarray, p: np.ndarray,
              h_free: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The inner optimum for fixed outer parameters.

        Parameters
        ----------
        y
            Measurements, one per row of the measurement table.
        h_raw, sigma_raw
            Observables and noise SDs with scalings at 1, offsets at 0 and
            inner sigmas at 1 (:meth:`raw_parameters`).
        p
            Linear values of all estimated parameters (outer ones used).
        h_free
            Observables at :meth:`free_parameters` on the rows of
            :attr:`free_term_groups` (needed only if there are such groups).

        Returns
        -------
        (p, h, sigma)
            A copy of ``p`` with the inner parameters at their optimum, and
            the observables and noise SDs there.
        """
        p = np.array(p, float)
        if not self.ids:
            return p, h_raw, sigma_raw
        if self.free_term_groups and h_free is None:
            raise ValueError("h_free is needed: groups "
                             f"{self.free_term_groups} have terms free of their scaling")
        # observable = base + scaling * slope + c * offset on every inner row
        base, slope = h_raw.copy(), h_raw.copy() if self.free_term_groups else h_raw
        for ln in self.links:
            if ln.free_term:
                base[ln.rows] = h_free[ln.rows]
                slope[ln.rows] = h_raw[ln.rows] - h_free[ln.rows]
            elif ln.scaling is not None:
                base[ln.rows] = 0.0
        values: dict[str, float] = {}
        h = self._linear_step(y, h_raw, sigma_raw, base, slope, values)
        sigma = sigma_raw
        if self._sigma_links:
            sigma = self._sigma_step(y, h, sigma_raw, values)
            for _ in range(MAX_ALTERNATIONS if self.alternating else 0):
                before = dict(values)
                h = self._linear_step(y, h_raw, sigma, base, slope, values)
                sigma = self._sigma_step(y, h, sigma_raw, values)
                change = max(abs(values[k] - before[k]) / max(abs(before[k]), 1e-300)
                             for k in values)
                if not change > _TOLERANCE:
                    break
        for pid, value in values.items():
            p[self.positions[pid]] = value
        return p, h, sigma
