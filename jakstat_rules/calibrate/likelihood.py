"""The PEtab v1 likelihood: negative log-likelihood terms and weighted residuals.

For a measurement ``y``, simulated observable ``h`` and noise SD ``sigma``
on the observable's transformation scale ``f`` (``lin``, ``log`` or
``log10``), with ``d = f(y) - f(h)``:

* normal noise: ``0.5 log(2 pi sigma^2) + 0.5 (d / sigma)^2 + J``;
* Laplace noise: ``log(2 sigma) + |d| / sigma + J``;

where ``J`` is the log-Jacobian of the transformation (0, ``log y``,
``log(y log 10)``), as in libpetab's ``calculate_single_llh``.  The
weighted residuals ``d / sigma`` have half their squared norm equal to the
normal NLL up to the ``sigma`` and ``J`` terms.

Functions take the measurement groups of
:func:`~jakstat_rules.calibrate.observables.compile_observables` (anything
with ``rows``, ``transformation`` and ``distribution``).
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
from petab.v1 import C

__all__ = ["transform", "nll_terms", "weighted_residuals", "nll_partials", "residual_partials"]


def transform(values: np.ndarray, transformation: str) -> np.ndarray:
    """Values on the observable transformation scale (``lin``, ``log``, ``log10``)."""
    if transformation == C.LOG:
        return np.log(values)
    if transformation == C.LOG10:
        return np.log10(values)
    return values


def _log_jacobian(y: np.ndarray, transformation: str) -> np.ndarray | float:
    if transformation == C.LOG:
        return np.log(y)
    if transformation == C.LOG10:
        return np.log(y * np.log(10.0))
    return 0.0


def _differences(y: np.ndarray, h: np.ndarray, sigma: np.ndarray, groups: Iterable):
    """Per kind of group (transformation, distribution): its rows, ``d = f(y) - f(h)`` on its
    transformation scale and their SDs, the rows of all groups of one kind at once."""
    kinds: dict[tuple[str, str], list[np.ndarray]] = {}
    for g in groups:
        kinds.setdefault((g.transformation, g.distribution), []).append(g.rows)
    for (transformation, distribution), rows in kinds.items():
        r = rows[0] if len(rows) == 1 else np.concatenate(rows)
        yield (transformation, distribution, r,
               transform(y[r], transformation) - transform(h[r], transformation), sigma[r])


def nll_terms(y: np.ndarray, h: np.ndarray, sigma: np.ndarray, groups: Iterable) -> np.ndarray:
    """Negative log-likelihood of every measurement (PEtab v1 definition).

    Parameters
    ----------
    y, h, sigma
        Measurements, simulated observables and noise SDs, one per row.
    groups
        Measurement groups with ``rows``, ``transformation`` and ``distribution``.

    Returns
    -------
    numpy.ndarray
        One term per row (NaN/inf where the data or simulation allow none).
    """
    out = np.empty(len(y))
    with np.errstate(all="ignore"):
        for transformation, distribution, r, d, s in _differences(y, h, sigma, groups):
            jac = _log_jacobian(y[r], transformation)
            if distribution == C.NORMAL:
                out[r] = 0.5 * np.log(2 * np.pi * s ** 2) + 0.5 * (d / s) ** 2 + jac
            else:
                out[r] = np.log(2 * s) + np.abs(d) / s + jac
    return out


def weighted_residuals(y: np.ndarray, h: np.ndarray, sigma: np.ndarray,
                       groups: Iterable) -> np.ndarray:
    """Residuals ``(f(y) - f(h)) / sigma`` on each observable's transformation scale."""
    out = np.empty(len(y))
    with np.errstate(all="ignore"):
        for _, _, r, d, s in _differences(y, h, sigma, groups):
            out[r] = d / s
    return out


def _transform_derivative(h: np.ndarray, transformation: str) -> np.ndarray | float:
    """Derivative of the transformation at ``h``."""
    if transformation == C.LOG:
        return 1.0 / h
    if transformation == C.LOG10:
        return 1.0 / (h * np.log(10.0))
    return 1.0


def nll_partials(y: np.ndarray, h: np.ndarray, sigma: np.ndarray,
                 groups: Iterable) -> tuple[np.ndarray, np.ndarray]:
    """Partial derivatives of every :func:`nll_terms` entry by its ``h`` and its ``sigma``.

    Returns
    -------
    (dnll_dh, dnll_dsigma)
        One value per row.
    """
    dh = np.empty(len(y))
    ds = np.empty(len(y))
    with np.errstate(all="ignore"):
        for transformation, distribution, r, d, s in _differences(y, h, sigma, groups):
            fprime = _transform_derivative(h[r], transformation)
            if distribution == C.NORMAL:
                dh[r] = -d / s ** 2 * fprime
                ds[r] = 1.0 / s - d ** 2 / s ** 3
            else:
                dh[r] = -np.sign(d) / s * fprime
                ds[r] = 1.0 / s - np.abs(d) / s ** 2
    return dh, ds


def residual_partials(y: np.ndarray, h: np.ndarray, sigma: np.ndarray,
                      groups: Iterable) -> tuple[np.ndarray, np.ndarray]:
    """Partial derivatives of every :func:`weighted_residuals` entry by its ``h`` and ``sigma``."""
    dh = np.empty(len(y))
    ds = np.empty(len(y))
    with np.errstate(all="ignore"):
        for transformation, _, r, d, s in _differences(y, h, sigma, groups):
            dh[r] = -_transform_derivative(h[r], transformation) / s
            ds[r] = -d / s ** 2
    return dh, ds
