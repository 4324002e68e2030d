"""Plots of calibration results (PNG, matplotlib Agg backend).

* :func:`plot_waterfall` - sorted final NLL of all starts;
* :func:`plot_fit` - best fit vs data, one panel per simulation condition;
* :func:`plot_parameters` - parameter values of the best starts within bounds;
* :func:`plot_profiles` - profile likelihoods with the 95 % threshold;
* :func:`plot_prediction` - predicted vs measured values.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from petab.v1 import C  # noqa: E402

from jakstat_rules.io import save_figure  # noqa: E402

from .mapping import scale  # noqa: E402

__all__ = ["plot_waterfall", "plot_fit", "plot_parameters", "plot_profiles",
           "plot_prediction"]


def plot_waterfall(table: pd.DataFrame, path: Path, tol: float = 0.1) -> None:
    """Sorted final NLL of the starts; converged ones highlighted.

    Parameters
    ----------
    table
        ``starts.tsv`` content (columns ``status``, ``fval``).
    path
        Output PNG.
    tol
        Convergence tolerance on the NLL.
    """
    ok = table[table["status"] == "ok"].sort_values("fval")
    fig, ax = plt.subplots(figsize=(6, 4))
    if len(ok):
        f = ok["fval"].to_numpy(float)
        best = f[0]
        shifted = f - best + 1.0
        conv = f <= best + tol
        ax.semilogy(np.arange(len(f)), shifted, "-", color="0.6", lw=0.8)
        ax.semilogy(np.flatnonzero(conv), shifted[conv], "o", color="tab:red",
                    label=f"within {tol} of best ({conv.sum()})")
        ax.semilogy(np.flatnonzero(~conv), shifted[~conv], "o", color="tab:blue",
                    label="other starts")
        ax.legend()
    n_failed = int((table["status"] != "ok").sum()) if len(table) else 0
    ax.set_xlabel("start (sorted)")
    ax.set_ylabel("NLL - best NLL + 1")
    ax.set_title(f"waterfall ({len(ok)} ok, {n_failed} failed)")
    fig.tight_layout()
    save_figure(fig, path)


def _grid(n: int) -> tuple[int, int]:
    cols = max(1, math.ceil(math.sqrt(n)))
    return math.ceil(n / cols), cols


def _condition_title(cp, pre: str, sim: str, n: int) -> str:
    cdf = cp.payload.condition_df
    name = sim
    if C.CONDITION_NAME in cdf.columns and pd.notna(cdf.at[sim, C.CONDITION_NAME]):
        name = str(cdf.at[sim, C.CONDITION_NAME])
    if pre:
        name = f"{pre} -> {name}"
    return name if n == 1 else f"{name} ({n} conditions)"


def plot_fit(cp, p: np.ndarray, path: Path, title: str = "best fit vs data") -> None:
    """Model trajectories at parameters ``p`` and the data, per simulation.

    Parameters
    ----------
    cp
        :class:`~jakstat_rules.calibrate.objective.CompiledProblem`.
    p
        Linear values of all estimated parameters.
    path
        Output PNG.
    title
        Figure title.
    """
    dense = cp.simulate_dense(p)
    units = cp.plan.units
    n = len(units)
    rows, cols = _grid(n)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows),
                             squeeze=False, sharex=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    labels = []
    for g in cp.groups:
        md = cp.measurement_df.iloc[g.rows[0]]
        labels.append(f"{md[C.OBSERVABLE_ID]} {md.get(C.OBSERVABLE_PARAMETERS, '')}".strip())
    for k, unit in enumerate(units):
        ax = axes[k // cols][k % cols]
        for gi, g in enumerate(cp.groups):
            rows_k = g.rows[cp.plan.row_unit[g.rows] == k]
            if not len(rows_k):
                continue
            c = colors[gi % len(colors)]
            h, _ = cp.group_values(g, p, dense=dense[k])
            ax.plot(dense[k][0], h, "-", color=c, lw=1.2, label=labels[gi])
            ax.plot(cp.t[rows_k], cp.y[rows_k], "o", color=c, ms=3)
        ax.set_title(_condition_title(cp, unit.preequilibration_id, unit.simulation_id,
                                      len(unit.members)), fontsize=8)
        ax.tick_params(labelsize=7)
    for k in range(n, rows * cols):
        axes[k // cols][k % cols].axis("off")
    handles, labs = axes[0][0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labs, loc="lower center", ncol=min(4, len(labs)),
                   fontsize=7, bbox_to_anchor=(0.5, 0.0))
    fig.suptitle(title + " (lines: model, dots: data; x: time)")
    fig.tight_layout(rect=(0, 0.05, 1, 0.97))
    save_figure(fig, path)


def plot_parameters(ok_records: list, cp, path: Path, best_fval: float,
                    n_best: int = 20) -> None:
    """Parameter values of the best starts, on the parameters' scale.

    Parameters
    ----------
    ok_records
        Successful :class:`~jakstat_rules.calibrate.optimize.StartResult`
        records sorted by NLL.
    cp
        The compiled problem (bounds, scales).
    path
        Output PNG.
    best_fval
        Best NLL (for colouring).
    n_best
        Number of starts shown.
    """
    table = cp.parameters
    ids = table.estimated_ids
    fig, ax = plt.subplots(figsize=(max(5, 0.7 * len(ids) + 2), 4))
    x = np.arange(len(ids))
    ax.plot(x, scale(table.lb, table.scales), "k_", ms=14)
    ax.plot(x, scale(table.ub, table.scales), "k_", ms=14)
    for r in reversed(ok_records[:n_best]):
        vals = scale([r.parameters[pid] for pid in ids], table.scales)
        conv = float(r.fval) <= best_fval + 0.1
        ax.plot(x, vals, "-o", ms=3, lw=0.8, alpha=0.8,
                color="tab:red" if conv else "tab:blue")
    ax.set_xticks(x)
    ax.set_xticklabels(ids, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("value on parameter scale (log10 unless lin)")
    ax.set_title(f"best {min(n_best, len(ok_records))} starts (red: converged)")
    fig.tight_layout()
    save_figure(fig, path)


def plot_profiles(profiles: dict[str, pd.DataFrame], best_fval: float,
                  threshold: float, path: Path) -> None:
    """Profile likelihoods (NLL - best) with the confidence threshold."""
    n = max(1, len(profiles))
    rows, cols = _grid(n)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), squeeze=False)
    for k, (pid, df) in enumerate(profiles.items()):
        ax = axes[k // cols][k % cols]
        d = df.sort_values("x")
        ax.plot(d["x"], d["fval"] - best_fval, "-o", ms=2)
        ax.axhline(threshold, color="tab:red", ls="--", lw=0.8)
        ax.set_title(pid, fontsize=8)
        ax.set_ylim(bottom=-0.1)
        ax.tick_params(labelsize=7)
    for k in range(len(profiles), rows * cols):
        axes[k // cols][k % cols].axis("off")
    fig.suptitle("profile likelihoods (x: parameter scale, y: NLL - best)")
    fig.tight_layout()
    save_figure(fig, path)


def plot_prediction(y: np.ndarray, h: np.ndarray, path: Path, title: str) -> None:
    """Predicted vs measured values with the identity line."""
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot(y, h, "o", ms=3)
    lo = float(np.nanmin([np.nanmin(y), np.nanmin(h)]))
    hi = float(np.nanmax([np.nanmax(y), np.nanmax(h)]))
    ax.plot([lo, hi], [lo, hi], "k--", lw=0.8)
    ax.set_xlabel("measured")
    ax.set_ylabel("predicted")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    save_figure(fig, path)
