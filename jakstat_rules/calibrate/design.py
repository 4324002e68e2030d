"""The starting points of a multistart: a seeded Latin hypercube, and the points that
replace a start whose first simulation fails."""

from __future__ import annotations

from typing import Iterator

import numpy as np

__all__ = ["starting_points", "redraw_points"]


def starting_points(lb: np.ndarray, ub: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Latin hypercube of ``n`` points in the box ``[lb, ub]`` (scaled space).

    Parameters
    ----------
    lb, ub
        Bounds on the parameters' PEtab scale.
    n
        Number of points.
    seed
        Seed; the same seed and ``n`` give the same points.

    Returns
    -------
    numpy.ndarray
        Array (n, len(lb)).
    """
    from scipy.stats import qmc

    lb, ub = np.asarray(lb, float), np.asarray(ub, float)
    if len(lb) == 0:
        return np.zeros((n, 0))
    sampler = qmc.LatinHypercube(d=len(lb), rng=np.random.default_rng(seed))
    return qmc.scale(sampler.random(n), lb, ub)


def redraw_points(lb: np.ndarray, ub: np.ndarray, seed: int, start: int) -> Iterator[np.ndarray]:
    """Replacement starting points of start ``start``: uniform in ``[lb, ub]``.

    The sequence depends only on ``(seed, start)``, not on which worker runs
    the start or in which order, so a redrawn run is reproducible.

    Parameters
    ----------
    lb, ub
        Bounds on the parameters' PEtab scale.
    seed
        Seed of the run.
    start
        Start index.

    Yields
    ------
    numpy.ndarray
        One point after the other.
    """
    rng = np.random.default_rng([int(seed), int(start)])
    lb, ub = np.asarray(lb, float), np.asarray(ub, float)
    while True:
        yield rng.uniform(lb, ub)
