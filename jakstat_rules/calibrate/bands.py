"""Prediction bands from the profile likelihood (profile-wise prediction).

Each point of a parameter's profile is a full parameter vector: the profiled
parameter held at a value, every other parameter re-optimised.  The points
whose negative log-likelihood lies within :data:`~.profile.THRESHOLD`
(``chi2(0.95, 1) / 2``) of the best fit, with the point where the profile
crosses the threshold (interpolated between the two points around it), are
the parameter sets that profile accepts; simulating each and taking the
lowest and highest value at every time gives that profile's 95 % prediction
interval, and the union over the profiled parameters the profile-wise
prediction band (Simpson & Maclaren, PLoS Comput Biol 2023;19:e1011515).

For a model linear in its parameters with normal noise, the profile of
parameter ``k`` is a straight line and the band's half-width at a
prediction ``c . theta`` is ``1.96 |c . Sigma e_k| / sqrt(Sigma_kk)``,
the largest over ``k`` (``Sigma`` the parameters' covariance): within the
full confidence band ``1.96 sqrt(c . Sigma c)``, reached when ``c`` points
along one profile.  The band thus covers the uncertainty the profiled
parameters carry; parameters not profiled contribute only as they move
along the profiles.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd
from petab.v1 import C

from .mapping import scale, unscale

__all__ = ["accepted_parameters", "accepted_sets", "profile_ensemble", "simulate_ensemble",
           "band_table", "BAND_METHOD"]

#: How figures and tables name the band.
BAND_METHOD = "95 % profile-wise prediction band"


def accepted_parameters(points: Sequence[dict], best_fval: float, threshold: float,
                        scales: dict[str, str]) -> list[dict[str, float]]:
    """Parameter sets of one profile branch within the threshold, and its crossing.

    Parameters
    ----------
    points
        The branch's points from the best fit outwards (``fval`` and
        ``parameters``: id -> linear value).
    best_fval, threshold
        The best NLL and the accepted rise.
    scales
        Parameter id -> its PEtab scale: the crossing point is interpolated
        on each parameter's estimation scale, in the root of the NLL rise
        (as the confidence bound is), exact on a quadratic profile along a
        straight path.
    """
    out = []
    for a, b in zip(points, list(points[1:]) + [None]):
        da = a["fval"] - best_fval
        if da > threshold:
            break
        out.append(dict(a["parameters"]))
        if b is None or b["fval"] - best_fval <= threshold:
            continue
        ra, rb = math.sqrt(max(da, 0.0)), math.sqrt(b["fval"] - best_fval)
        w = (math.sqrt(threshold) - ra) / (rb - ra)
        ids = list(a["parameters"])
        sc = [scales.get(i, "lin") for i in ids]
        xa = np.asarray(scale([a["parameters"][i] for i in ids], sc), float)
        xb = np.asarray(scale([b["parameters"][i] for i in ids], sc), float)
        out.append(dict(zip(ids, map(float, unscale(xa + w * (xb - xa), sc)))))
        break
    return out


def accepted_sets(branches: Sequence, best_fval: float, threshold: float,
                  scales: dict[str, str]) -> list[dict[str, float]]:
    """The parameter sets (id -> linear value) all profile branches accept
    (:func:`accepted_parameters`); branches traced before parameters were
    recorded are left out."""
    out = []
    for branch in branches:
        if branch.points and all("parameters" in pt for pt in branch.points):
            out += accepted_parameters(branch.points, best_fval, threshold, scales)
    return out


def profile_ensemble(cp, branches: Sequence, best_fval: float, threshold: float
                     ) -> list[np.ndarray]:
    """The parameter vectors (linear, in ``cp.estimated_ids`` order) the profiles accept.

    ``branches``: :class:`~.profile.ProfileBranch` records whose points carry
    their parameters.
    """
    table = cp.parameters
    scales = {i: table.scales[table.position(i)] for i in cp.estimated_ids}
    return [np.array([params[i] for i in cp.estimated_ids], float)
            for params in accepted_sets(branches, best_fval, threshold, scales)]


def simulate_ensemble(cp, vectors: Sequence[np.ndarray]) -> list[tuple[np.ndarray, list]]:
    """Each vector with its dense simulation (``cp.simulate_dense``); a vector whose
    simulation fails is left out (it cannot bound a band)."""
    from jakstat_rules.errors import SimulationError

    out = []
    for q in vectors:
        try:
            out.append((q, cp.simulate_dense(q)))
        except SimulationError:
            continue
    return out


def band_table(cp, p: np.ndarray, members: Sequence[tuple[np.ndarray, list]],
               quantiles: tuple[float, float] = (0.0, 1.0)) -> pd.DataFrame:
    """The band of every observable and simulation on the dense time grid.

    Columns: ``simulation`` (the condition or experiment), ``observableId``,
    the observable's parameters (``observableParameters``, as the
    measurements give them), ``time``, ``model`` (at ``p``), ``lower`` and
    ``upper``: the ``quantiles`` over ``p`` and the members (the default, 0
    and 1, their lowest and highest value; a sampled band takes e.g. 0.025
    and 0.975).
    """
    dense = cp.simulate_dense(p)
    rows = []
    for g in cp.groups:
        for k in sorted(set(cp.plan.row_unit[g.rows].tolist())):
            times, best = dense[k][0], cp.group_values(g, p, dense=dense[k])[0]
            values = np.vstack([best] + [cp.group_values(g, q, dense=m[k])[0]
                                         for q, m in members])
            overrides = ";".join(map(str, g.parameter_symbols))
            lower, upper = np.quantile(values, quantiles, axis=0)
            for t, v, lo, hi in zip(times, best, lower, upper):
                rows.append({"simulation": cp.plan.units[k].name,
                             C.OBSERVABLE_ID: g.observable_id,
                             C.OBSERVABLE_PARAMETERS: overrides, C.TIME: float(t),
                             "model": float(v), "lower": float(lo), "upper": float(hi)})
    return pd.DataFrame(rows)
