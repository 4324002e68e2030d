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

from ._io import save_figure_atomic  # noqa: E402

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
    save_figure_atomic(fig, path)


def _grid(n: int) -> tuple[int, int]:
    cols = max(1, math.ceil(math.sqrt(n)))
    return math.ceil(n / cols), cols


def _condition_title(cp, pre: str, sim: str, n: int) -> str:
    cdf = cp.payload.condition_df
    name = sim
    if "conditionName" in cdf.columns and pd.notna(cdf.at[sim, "conditionName"]):
        name = str(cdf.at[sim, "conditionName"])
    if pre:
        name = f"{pre} -> {name}"
    return name if n == 1 else f"{name} ({n} conditions)"


def plot_fit(cp, p: np.ndarray, path: Path, title: str = "best fit vs data") -> None:
    """Model trajectories at parameters ``p`` and the data, per condition.

    Parameters
    ----------
    cp
        :class:`~jakstat_rules.calibrate.problem.CompiledProblem`.
    p
        Linear values of all estimated parameters.
    path
        Output PNG.
    title
        Figure title.
    """
    dense = cp.simulate_dense(p)
    n = len(cp.conditions)
    rows, cols = _grid(n)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows),
                             squeeze=False, sharex=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    labels = []
    for gi, g in enumerate(cp.groups):
        r0 = g.rows[0]
        md = cp.measurement_df.iloc[r0]
        labels.append(f"{md['observableId']} {md.get('observableParameters', '')}".strip())
    for k, (pre, sim) in enumerate(cp.conditions):
        ax = axes[k // cols][k % cols]
        t, arr = dense[k]
        for gi, g in enumerate(cp.groups):
            rows_k = g.rows[cp.row_cond[g.rows] == k]
            if not len(rows_k):
                continue
            c = colors[gi % len(colors)]
            h, _ = cp._group_eval(g, p, None, dense=(t, arr))
            ax.plot(t, h, "-", color=c, lw=1.2, label=labels[gi])
            ax.plot(cp.t[rows_k], cp.y[rows_k], "o", color=c, ms=3)
        ax.set_title(_condition_title(cp, pre, sim, len(cp.condition_members[k])),
                     fontsize=8)
        ax.tick_params(labelsize=7)
    for k in range(n, rows * cols):
        axes[k // cols][k % cols].axis("off")
    handles, labs = axes[0][0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labs, loc="lower center", ncol=min(4, len(labs)),
                   fontsize=7, bbox_to_anchor=(0.5, -0.02))
    fig.suptitle(title + " (lines: model, dots: data; x: time)")
    fig.tight_layout(rect=(0, 0.04, 1, 0.97))
    save_figure_atomic(fig, path)


def plot_parameters(ok_records: list[dict], cp, path: Path, best_fval: float,
                    n_best: int = 20) -> None:
    """Parameter values of the best starts, on the parameters' scale.

    Parameters
    ----------
    ok_records
        Successful start records sorted by NLL.
    cp
        The compiled problem (bounds, scales).
    path
        Output PNG.
    best_fval
        Best NLL (for colouring).
    n_best
        Number of starts shown.
    """
    ids = cp.estimated_ids
    fig, ax = plt.subplots(figsize=(max(5, 0.7 * len(ids) + 2), 4))
    x = np.arange(len(ids))

    def scaled(v, s):
        return np.log10(v) if s == "log10" else (np.log(v) if s == "log" else v)

    lb = [scaled(cp.lb[i], cp.scales[i]) for i in range(len(ids))]
    ub = [scaled(cp.ub[i], cp.scales[i]) for i in range(len(ids))]
    ax.plot(x, lb, "k_", ms=14)
    ax.plot(x, ub, "k_", ms=14)
    for r in reversed(ok_records[:n_best]):
        vals = [scaled(r["parameters"][pid], cp.scales[i]) for i, pid in enumerate(ids)]
        conv = float(r["fval"]) <= best_fval + 0.1
        ax.plot(x, vals, "-o", ms=3, lw=0.8, alpha=0.8,
                color="tab:red" if conv else "tab:blue")
    ax.set_xticks(x)
    ax.set_xticklabels(ids, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("value on parameter scale (log10 unless lin)")
    ax.set_title(f"best {min(n_best, len(ok_records))} starts (red: converged)")
    save_figure_atomic(fig, path)


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
    save_figure_atomic(fig, path)


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
    save_figure_atomic(fig, path)
