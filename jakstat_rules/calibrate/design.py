"""The starting points of a multistart: a seeded scrambled Sobol sequence (or the Latin
hypercube of runs stored before it), and the points that replace a start whose first
simulation fails."""

from __future__ import annotations

import warnings
from typing import Iterator

import numpy as np

__all__ = ["DESIGNS", "DEFAULT_DESIGN", "starting_points", "redraw_points"]

#: ``sobol``: the first points of a scrambled Sobol sequence (Owen scrambling, seeded),
#: so the design of ``n`` points is the start of the design of any larger number and a
#: run extends to more starts keeping its finished ones; ``lhs``: a Latin hypercube of
#: ``n`` points, another design for every ``n`` (the design of runs stored before
#: ``sobol`` was added, which resume with it).
DESIGNS = ("sobol", "lhs")
DEFAULT_DESIGN = "sobol"


def starting_points(lb: np.ndarray, ub: np.ndarray, n: int, seed: int,
                    design: str | None = DEFAULT_DESIGN) -> np.ndarray:
    """``n`` starting points in the box ``[lb, ub]`` (scaled space).

    Parameters
    ----------
    lb, ub
        Bounds on the parameters' PEtab scale.
    n
        Number of points.
    seed
        Seed; the same seed, design and ``n`` give the same points.
    design
        One of :data:`DESIGNS` (None: :data:`DEFAULT_DESIGN`).  With ``sobol``
        the first ``m`` of ``n`` points are the ``m`` points of the same seed.

    Returns
    -------
    numpy.ndarray
        Array (n, len(lb)).
    """
    from scipy.stats import qmc

    design = design or DEFAULT_DESIGN
    if design not in DESIGNS:
        raise ValueError(f"design {design!r}: expected one of {list(DESIGNS)}")
    lb, ub = np.asarray(lb, float), np.asarray(ub, float)
    if len(lb) == 0:
        return np.zeros((n, 0))
    rng = np.random.default_rng(seed)
    if design == "lhs":
        return qmc.scale(qmc.LatinHypercube(d=len(lb), rng=rng).random(n), lb, ub)
    with warnings.catch_warnings():
        # scipy asks for a power of 2 for the balance of the whole set; a prefix of the
        # sequence is what makes the design extensible
        warnings.filterwarnings("ignore", message=".*balance properties of Sobol.*")
        points = qmc.Sobol(d=len(lb), scramble=True, rng=rng).random(n)
    return qmc.scale(points, lb, ub)


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
