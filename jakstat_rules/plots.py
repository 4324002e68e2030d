"""Figures: time courses of scenarios and dose-response curves (PNG)."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import pandas as pd
from matplotlib.figure import Figure  # no pyplot: no GUI backend, no global figure state

from .interface import READOUTS  # noqa: E402
from .io import save_figure  # noqa: E402


#: Readouts shown in time-course figures by default.
PLOTTED = ("pSTAT1_total", "pSTAT1_nuc", "GAF_nuc", "ISGF3_nuc", "SOCS1_mRNA", "ISG_mRNA",
           "pJAK1_total", "SOCS1_total", "IFNb_medium_pM")


def plot_time_course(table: pd.DataFrame, path: str | Path, title: str = "",
                     readouts: Sequence[str] | None = None) -> Path:
    """One panel per readout against time (minutes, or hours past 6 h)."""
    readouts = [r for r in (readouts or PLOTTED) if r != "time" and r in table]
    ncol = 3
    nrow = (len(readouts) + ncol - 1) // ncol
    fig = Figure(figsize=(4 * ncol, 2.8 * nrow))
    axes = fig.subplots(nrow, ncol, squeeze=False)
    hours = table["time"].iloc[-1] > 360
    t = table["time"] / 60 if hours else table["time"]
    for ax, r in zip(axes.flat, readouts):
        ax.plot(t, table[r], color="C0")
        ax.set_title(r, fontsize=9)
        ax.ticklabel_format(axis="y", useOffset=False)
        ax.set_xlabel("time (h)" if hours else "time (min)")
        ax.set_ylabel("pM" if r.endswith("_pM") else "molecules per cell")
    for ax in list(axes.flat)[len(readouts):]:
        ax.axis("off")
    fig.suptitle(title)
    # fixed margins: a layout engine would double the drawing time of the figure
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.07, top=1 - 0.8 / (2.8 * nrow),
                        wspace=0.38, hspace=0.5)
    return save_figure(fig, path)


def plot_dose_response(table: pd.DataFrame, path: str | Path, readout: str = "pSTAT1_total",
                       title: str = "") -> Path:
    """Time courses per dose (left) and the peak / final value against dose (right)."""
    fig = Figure(figsize=(10, 3.6), layout="constrained")
    a1, a2 = fig.subplots(1, 2)
    doses = sorted(table["dose"].unique())
    from matplotlib import colormaps
    cmap = colormaps["viridis"]
    for i, dose in enumerate(doses):
        sub = table[table["dose"] == dose]
        a1.plot(sub["time"], sub[readout], color=cmap(i / max(1, len(doses) - 1)), label=f"{dose:g}")
    a1.set_xlabel("time (min)")
    a1.set_ylabel(f"{readout} (molecules per cell)")
    a1.legend(title=table["input"].iloc[0], fontsize=7, ncol=2)
    summary = dose_summary(table, readout)
    positive = summary[summary["dose"] > 0]
    a2.semilogx(positive["dose"], positive["peak"], "o-", label="peak")
    a2.semilogx(positive["dose"], positive["final"], "s--", label="at end")
    a2.set_xlabel(f"{table['input'].iloc[0]}")
    a2.set_ylabel(readout)
    a2.legend()
    fig.suptitle(title or f"{readout} dose response")
    return save_figure(fig, path)


def dose_summary(table: pd.DataFrame, readout: str = "pSTAT1_total") -> pd.DataFrame:
    """Peak value, its time, and the final value of ``readout`` for each dose."""
    rows = []
    for dose, sub in table.groupby("dose", sort=True):
        i = sub[readout].idxmax()
        rows.append({"dose": dose, "peak": sub[readout].max(), "t_peak": sub.loc[i, "time"],
                     "final": sub[readout].iloc[-1]})
    return pd.DataFrame(rows)


__all__ = ["plot_time_course", "plot_dose_response", "dose_summary", "READOUTS"]
