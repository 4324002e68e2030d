"""Combination maps: a dose grid of two treatments, a readout, and excess over additivity.

Every grid point ``(a, b)`` of two inputs (drug x drug, drug x radiation dose,
drug x cytokine; other inputs held fixed) is simulated from the resting
state; the readout is taken at a time ``T`` or as its area under the curve
from 0 to ``T``.  The **effect** is the fraction of the control's readout
removed,

    E(a, b) = 1 - R(a, b) / R(0, 0),

(positive for an inhibitor; negative when a treatment raises the readout),
and three reference models give the effect expected if the two treatments
did not interact; the **excess** is ``E(a, b)`` minus the expectation, so a
positive excess means the combination suppresses the readout more than
expected (and a negative one, that it raises it more than expected):

Bliss independence (Bliss 1939 Ann Appl Biol 26:585)
    The treatments act as independent probabilistic events:
    ``E_Bliss = Ea + Eb - Ea Eb`` (equivalently, the remaining fractions
    multiply: ``R/R0 = (Ra/R0)(Rb/R0)``).
Loewe additivity (Loewe & Muischnek 1926 Arch Exp Pathol Pharmakol 114:313)
    A treatment combined with itself is additive: ``E_Loewe`` is the effect
    ``E`` for which ``a / Da(E) + b / Db(E) = 1``, with ``Da(E)``, ``Db(E)``
    the single-treatment doses giving ``E`` (interpolated linearly on the
    grid's single-treatment row and column).  Defined where both
    single-treatment curves are strictly monotone in the same direction and
    reach ``E`` within the grid; elsewhere NaN.
Highest single agent (HSA; Gaddum's non-interaction, see Foucquier & Guedj
2015 Pharmacol Res Perspect 3:e00149)
    ``E_HSA = max(Ea, Eb)``: the stronger single suppression of the readout
    (effects compared as signed numbers).

The single-treatment effects ``Ea``, ``Eb`` are the grid's row and column at
the other dose 0, which :func:`combination_map` always includes.
"""
from __future__ import annotations

import math
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from .conditions import check_inputs, check_variant, time_grid
from .errors import JakstatInputError
from .interface import INPUTS

__all__ = ["bliss_excess", "hsa_excess", "loewe_expected", "loewe_excess", "excess_scores",
           "combination_map", "score_grid", "combination_figure", "plot_combination"]


def bliss_excess(effect: np.ndarray, ea: np.ndarray, eb: np.ndarray) -> np.ndarray:
    """``E - (Ea + Eb - Ea Eb)``: excess over Bliss independence (arrays broadcast)."""
    return np.asarray(effect, float) - (ea + eb - np.multiply(ea, eb))


def hsa_excess(effect: np.ndarray, ea: np.ndarray, eb: np.ndarray) -> np.ndarray:
    """``E - max(Ea, Eb)``: excess over the highest single agent (arrays broadcast)."""
    return np.asarray(effect, float) - np.maximum(ea, eb)


def _inverse(doses: np.ndarray, effects: np.ndarray) -> tuple[Callable[[float], float], int] | None:
    """Dose giving an effect on a strictly monotone single-treatment curve, and its direction."""
    step = np.diff(effects)
    if len(effects) < 2 or not (np.all(step > 0) or np.all(step < 0)):
        return None
    order = np.argsort(effects)
    e_sorted, d_sorted = effects[order], doses[order]
    return (lambda e: float(np.interp(e, e_sorted, d_sorted, left=math.nan, right=math.nan)),
            1 if step[0] > 0 else -1)


def loewe_expected(doses_a: Sequence[float], effects_a: Sequence[float], doses_b: Sequence[float],
                   effects_b: Sequence[float], a: float, b: float) -> float:
    """The Loewe-additive effect of doses ``a`` and ``b`` (NaN where undefined).

    Parameters
    ----------
    doses_a, effects_a, doses_b, effects_b
        Single-treatment curves, doses increasing from 0 (effect 0 at dose 0).
    a, b
        The combined doses (> 0).
    """
    from scipy.optimize import brentq

    inv_a = _inverse(np.asarray(doses_a, float), np.asarray(effects_a, float))
    inv_b = _inverse(np.asarray(doses_b, float), np.asarray(effects_b, float))
    if inv_a is None or inv_b is None or inv_a[1] != inv_b[1] or a <= 0 or b <= 0:
        return math.nan
    sign = inv_a[1]
    reach = min(abs(effects_a[-1]), abs(effects_b[-1]))
    (da, _), (db, _) = inv_a, inv_b

    def gap(size: float) -> float:  # a/Da(E) + b/Db(E) - 1 at E = sign * size; decreasing
        return a / da(sign * size) + b / db(sign * size) - 1.0

    tiny = reach * 1e-12
    if not reach > 0 or gap(reach) > 0:
        return math.nan  # the expected effect lies beyond what the single treatments reach
    if gap(tiny) < 0:
        return sign * tiny
    return sign * brentq(gap, tiny, reach, xtol=1e-14 * max(1.0, reach), rtol=1e-13)


def loewe_excess(doses_a: Sequence[float], doses_b: Sequence[float], effect: np.ndarray) -> np.ndarray:
    """``E - E_Loewe`` on a grid ``effect[i, j]`` at ``(doses_a[i], doses_b[j])`` (row/column 0:
    dose 0); NaN on the single-treatment row and column and where Loewe is undefined."""
    effect = np.asarray(effect, float)
    out = np.full(effect.shape, math.nan)
    for i, a in enumerate(doses_a):
        for j, b in enumerate(doses_b):
            if i and j:
                out[i, j] = effect[i, j] - loewe_expected(doses_a, effect[:, 0], doses_b,
                                                          effect[0, :], a, b)
    return out


def excess_scores(doses_a: Sequence[float], doses_b: Sequence[float],
                  effect: np.ndarray) -> dict[str, np.ndarray]:
    """Bliss, HSA and Loewe excess of an effect grid (see the module docstring).

    Raises
    ------
    JakstatInputError
        If the first dose of either axis is not 0 (the single treatments).
    """
    if doses_a[0] != 0 or doses_b[0] != 0:
        raise JakstatInputError(f"dose grids {list(doses_a)} and {list(doses_b)}: expected each to "
                                f"start with dose 0 (the single-treatment responses)")
    effect = np.asarray(effect, float)
    ea, eb = effect[:, :1], effect[:1, :]
    return {"bliss_excess": bliss_excess(effect, ea, eb), "hsa_excess": hsa_excess(effect, ea, eb),
            "loewe_excess": loewe_excess(doses_a, doses_b, effect)}


def _doses(name: str, doses: Sequence[float]) -> list[float]:
    if name not in INPUTS:
        raise JakstatInputError(f"unknown treatment {name!r}: expected an input of {sorted(INPUTS)}")
    clean = sorted({check_inputs({name: d})[name] for d in doses} | {0.0})
    if len(clean) < 2:
        raise JakstatInputError(f"doses of {name} {list(doses)!r}: expected at least one dose > 0")
    return clean


def combination_map(a: str, doses_a: Sequence[float], b: str, doses_b: Sequence[float], *,
                    base: Mapping[str, float] | None = None, readout: str = "pSTAT1_total",
                    time: float = 240.0, auc: bool = False, variant: str = "default",
                    points: int = 49, progress: bool = False) -> pd.DataFrame:
    """Simulate a dose grid of two inputs and score the combinations.

    Parameters
    ----------
    a, b
        Input ids (:data:`~jakstat_rules.interface.INPUTS`), different.
    doses_a, doses_b
        Doses in the inputs' units; 0 is added, the grid is sorted numerically.
    base
        Other inputs held fixed (e.g. ``{"IFNb_pM": 100}``).
    readout
        The readout scored.
    time
        Minutes: the readout at ``time``, or with ``auc`` its area under the
        curve from 0 to ``time`` (trapezoidal on ``points`` times).
    variant
        Model variant.

    Returns
    -------
    pandas.DataFrame
        One row per grid point: ``a``, ``b`` (dose columns named by the
        inputs), ``readout``, ``measure``, ``value``, ``effect``,
        ``bliss_excess``, ``hsa_excess``, ``loewe_excess``.

    Raises
    ------
    JakstatInputError
        For unknown inputs or readouts, the same input twice, bad doses,
        time or points, or a base input that is also an axis.
    """
    from .simulate import get_simulator

    if a == b:
        raise JakstatInputError(f"both treatments are {a!r}: expected two different inputs")
    grid_a, grid_b = _doses(a, doses_a), _doses(b, doses_b)
    base = check_inputs(base or {})
    both = sorted({a, b} & set(base))
    if both:
        raise JakstatInputError(f"{both} are both a treatment and held fixed: expected each input once")
    times = time_grid(time, points)
    sim = get_simulator(check_variant(variant))
    sim._check_readouts([readout])
    values = np.empty((len(grid_a), len(grid_b)))
    cells = [(i, j) for i in range(len(grid_a)) for j in range(len(grid_b))]
    if progress:
        from tqdm import tqdm
        cells = tqdm(cells, desc="combination grid", unit="point", disable=None)
    for i, j in cells:
        series = sim.run({**base, a: grid_a[i], b: grid_b[j]}, times, [readout])[readout].to_numpy()
        values[i, j] = np.trapezoid(series, times) if auc else series[-1]
    measure = f"AUC 0-{time:g} min" if auc else f"at {time:g} min"
    return score_grid(a, grid_a, b, grid_b, values, readout, measure, base)


def score_grid(a: str, grid_a: Sequence[float], b: str, grid_b: Sequence[float],
               values: np.ndarray, readout: str, measure: str,
               base: Mapping[str, float] | None = None) -> pd.DataFrame:
    """The table of :func:`combination_map` from readout values ``values[i, j]`` at
    ``(grid_a[i], grid_b[j])`` (both grids from dose 0).

    Raises
    ------
    JakstatInputError
        If the control's value (no ``a``, no ``b``) is 0.
    """
    values = np.asarray(values, float)
    control = values[0, 0]
    if control == 0:
        raise JakstatInputError(f"{readout} of the control (no {a}, no {b}) is 0: expected a "
                                f"readout the base inputs {dict(base or {}) or '{}'} turn on")
    effect = 1.0 - values / control
    scores = excess_scores(grid_a, grid_b, effect)
    rows = [{a: grid_a[i], b: grid_b[j], "readout": readout, "measure": measure,
             "value": values[i, j], "effect": effect[i, j],
             **{k: v[i, j] for k, v in scores.items()}} for i in range(len(grid_a))
            for j in range(len(grid_b))]
    return pd.DataFrame(rows)


def combination_figure(table: pd.DataFrame, title: str = ""):
    """Heatmaps of a :func:`combination_map` table: the readout and the three excess scores.

    Rows are the first treatment's doses and columns the second's, in
    numerical order; excess maps are centred on 0 (red: more suppression of
    the readout than expected, blue: less).
    """
    from matplotlib.figure import Figure

    from .figures import input_axis_label, readout_axis_label, readout_name

    a, b = table.columns[0], table.columns[1]
    grid_a = sorted(table[a].unique())
    grid_b = sorted(table[b].unique())
    readout, measure = table["readout"].iloc[0], table["measure"].iloc[0]
    unit = readout_axis_label(readout).split("(", 1)[1].rstrip(")")
    if measure.startswith("AUC"):
        unit += " × min"
    panels = [("value", f"{readout_name(readout)} {measure} ({unit})", "viridis"),
              ("bliss_excess", "excess over Bliss independence", "RdBu_r"),
              ("loewe_excess", "excess over Loewe additivity", "RdBu_r"),
              ("hsa_excess", "excess over the highest single agent", "RdBu_r")]
    fig = Figure(figsize=(15, 4.0), layout="constrained")
    axes = fig.subplots(1, 4)
    for ax, (column, label, cmap) in zip(axes, panels):
        grid = (table.pivot(index=a, columns=b, values=column)
                .reindex(index=grid_a, columns=grid_b).to_numpy(float))
        kwargs = {}
        if cmap == "RdBu_r":
            top = float(np.nanmax(np.abs(grid))) if np.isfinite(grid).any() else 1.0
            kwargs = {"vmin": -(top or 1.0), "vmax": top or 1.0}
        image = ax.imshow(grid, origin="lower", aspect="auto", cmap=cmap, **kwargs)
        ax.set_xticks(range(len(grid_b)), [f"{d:g}" for d in grid_b], fontsize=7, rotation=45)
        ax.set_yticks(range(len(grid_a)), [f"{d:g}" for d in grid_a], fontsize=7)
        ax.set_xlabel(input_axis_label(b))
        ax.set_ylabel(input_axis_label(a))
        ax.set_title(label, fontsize=9)
        fig.colorbar(image, ax=ax, shrink=0.85,
                     label="effect fraction" if cmap == "RdBu_r" else unit)
    fig.suptitle(title or f"{readout_name(readout)}: combination map")
    return fig


def plot_combination(table: pd.DataFrame, path, title: str = ""):
    """Save :func:`combination_figure` to ``path``; return the path."""
    from .io import save_figure

    return save_figure(combination_figure(table, title), path)
