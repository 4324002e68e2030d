"""Figures: time courses of scenarios and dose-response curves (PNG)."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import pandas as pd
from matplotlib.figure import Figure  # no pyplot: no GUI backend, no global figure state

from .figures import (TIME_LABEL, dose_label, input_axis_label, readout_axis_label,
                      readout_name, readout_unit)
from .interface import READOUTS
from .io import save_figure


#: What the shaded band of a time course is (``<readout>_lower``/``_upper`` columns).
BAND_LABEL = "shaded: 95 % profile-wise prediction band (profile likelihood)"

#: Readouts shown in time-course figures by default.
PLOTTED = ("pSTAT1_total", "pSTAT1_nuc", "GAF_nuc", "ISGF3_nuc", "SOCS1_mRNA", "ISG_mRNA",
           "pJAK1_total", "SOCS1_total", "IFNb_medium_pM")


def time_course_figure(table: pd.DataFrame, title: str = "",
                       readouts: Sequence[str] | None = None) -> Figure:
    """One panel per readout against time (minutes, or hours past 6 h).

    Parameters
    ----------
    table
        Columns ``time`` (min) and one per readout.
    title
        Figure title.
    readouts
        Readouts shown (default :data:`PLOTTED`, those in ``table``).
    """
    readouts = [r for r in (readouts or PLOTTED) if r != "time" and r in table
                and not r.endswith(("_lower", "_upper"))]
    ncol = 3
    nrow = (len(readouts) + ncol - 1) // ncol
    fig = Figure(figsize=(4 * ncol, 2.8 * nrow))
    axes = fig.subplots(nrow, ncol, squeeze=False)
    hours = table["time"].iloc[-1] > 360
    t = table["time"] / 60 if hours else table["time"]
    banded = False
    for ax, r in zip(axes.flat, readouts):
        if f"{r}_lower" in table and f"{r}_upper" in table:
            ax.fill_between(t, table[f"{r}_lower"], table[f"{r}_upper"], color="C0", alpha=0.2,
                            lw=0)
            banded = True
        ax.plot(t, table[r], color="C0")
        ax.set_title(readout_name(r), fontsize=9)
        ax.ticklabel_format(axis="y", useOffset=False)
        ax.set_xlabel("time (h)" if hours else TIME_LABEL)
        ax.set_ylabel(readout_unit(r))
    for ax in list(axes.flat)[len(readouts):]:
        ax.axis("off")
    if banded:
        from matplotlib.patches import Patch

        fig.legend([Patch(color="C0", alpha=0.2, lw=0)], [BAND_LABEL], loc="upper right",
                   fontsize=8, frameon=False)
    fig.suptitle(title)
    # fixed margins: a layout engine would double the drawing time of the figure
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.07, top=1 - 0.8 / (2.8 * nrow),
                        wspace=0.38, hspace=0.5)
    return fig


def plot_time_course(table: pd.DataFrame, path: str | Path, title: str = "",
                     readouts: Sequence[str] | None = None) -> Path:
    """Save :func:`time_course_figure` to ``path`` (format from the suffix); return the path."""
    return save_figure(time_course_figure(table, title, readouts), path)


#: Colours and words of the dosing events of a schedule figure.
EVENT_STYLE = {"oral": ("0.45", "oral dose"), "radiation": ("C3", "radiation fraction"),
               "input": ("C2", "medium change")}


def schedule_figure(table: pd.DataFrame, events: Sequence[tuple[float, str, str]],
                    title: str = "", readouts: Sequence[str] | None = None) -> Figure:
    """A schedule's free drug concentrations and readouts against time, doses marked.

    Parameters
    ----------
    table
        Columns ``time`` (min), readouts and ``<drug>_free_nM`` columns
        (:func:`jakstat_rules.schedules.simulate_schedule`).
    events
        ``(time in min, kind, words)`` of every change
        (:func:`jakstat_rules.schedules.schedule_events`); a vertical line each,
        coloured by kind (:data:`EVENT_STYLE`), explained in a legend.
    title
        Figure title.
    readouts
        Readouts shown (default :data:`PLOTTED`, those in ``table``).
    """
    from matplotlib.lines import Line2D

    drugs = [c for c in table if c.endswith("_free_nM")]
    shown = drugs + [r for r in (readouts or PLOTTED) if r in table and r != "time" and r not in drugs]
    ncol = 3 if len(shown) > 4 else max(1, min(2, len(shown)))
    nrow = (len(shown) + ncol - 1) // ncol
    fig = Figure(figsize=(4.2 * ncol, 2.7 * nrow + 0.9))
    axes = fig.subplots(nrow, ncol, squeeze=False)
    t = table["time"] / 60.0
    kinds = []
    for ax, column in zip(axes.flat, shown):
        for time, kind, _ in events:
            ax.axvline(time / 60.0, color=EVENT_STYLE[kind][0], lw=0.7, ls="--", zorder=0)
            kinds.append(kind)
        ax.plot(t, table[column], color="C1" if column in drugs else "C0")
        ax.set_title(readout_name(column) + (" (plasma, unbound)" if column in drugs else ""),
                     fontsize=9)
        ax.ticklabel_format(axis="y", useOffset=False)
        ax.set_xlabel("time (h)")
        ax.set_ylabel(readout_unit(column))
    for ax in list(axes.flat)[len(shown):]:
        ax.axis("off")
    handles, labels = [], []
    for kind in dict.fromkeys(kinds):
        words = sorted({w for _, k, w in events if k == kind})
        handles.append(Line2D([], [], color=EVENT_STYLE[kind][0], lw=0.9, ls="--"))
        labels.append(f"{EVENT_STYLE[kind][1]}: {', '.join(words)}")
    if handles:
        fig.legend(handles, labels, loc="lower center", ncol=min(3, len(handles)), fontsize=8,
                   frameon=False)
    fig.suptitle(title)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.9 / (2.7 * nrow + 0.9) + 0.06,
                        top=1 - 0.8 / (2.7 * nrow + 0.9), wspace=0.38, hspace=0.6)
    return fig


def plot_schedule(table: pd.DataFrame, events: Sequence[tuple[float, str, str]],
                  path: str | Path, title: str = "", readouts: Sequence[str] | None = None) -> Path:
    """Save :func:`schedule_figure` to ``path``; return the path."""
    return save_figure(schedule_figure(table, events, title, readouts), path)


def dose_response_figure(table: pd.DataFrame, readout: str = "pSTAT1_total",
                         title: str = "") -> Figure:
    """Time courses per dose (left) and the peak / final value against dose (right).

    Parameters
    ----------
    table
        Long table with columns ``input`` (an input id such as ``IFNb_pM``),
        ``dose`` (in the input's unit), ``time`` (min) and ``readout``.
    readout
        The readout shown.
    title
        Figure title (default: the readout's name).
    """
    from matplotlib import colormaps

    fig = Figure(figsize=(10, 3.6), layout="constrained")
    a1, a2 = fig.subplots(1, 2)
    input_id = str(table["input"].iloc[0])
    doses = sorted(table["dose"].astype(float).unique())
    cmap = colormaps["viridis"]
    for i, dose in enumerate(doses):
        sub = table[table["dose"] == dose]
        a1.plot(sub["time"], sub[readout], color=cmap(i / max(1, len(doses) - 1)),
                label=dose_label(input_id, dose))
    a1.set_xlabel(TIME_LABEL)
    a1.set_ylabel(readout_axis_label(readout))
    a1.legend(fontsize=7, ncol=2)
    summary = dose_summary(table, readout)
    positive = summary[summary["dose"] > 0]
    a2.semilogx(positive["dose"], positive["peak"], "o-", label="peak")
    a2.semilogx(positive["dose"], positive["final"], "s--", label="at the end")
    a2.set_xlabel(input_axis_label(input_id))
    a2.set_ylabel(readout_axis_label(readout))
    a2.legend()
    fig.suptitle(title or f"{readout_name(readout)}: dose response")
    return fig


def plot_dose_response(table: pd.DataFrame, path: str | Path, readout: str = "pSTAT1_total",
                       title: str = "") -> Path:
    """Save :func:`dose_response_figure` to ``path`` (format from the suffix); return the path."""
    return save_figure(dose_response_figure(table, readout, title), path)


def dose_summary(table: pd.DataFrame, readout: str = "pSTAT1_total") -> pd.DataFrame:
    """Peak value, its time, and the final value of ``readout`` for each dose."""
    rows = []
    for dose, sub in table.groupby("dose", sort=True):
        i = sub[readout].idxmax()
        rows.append({"dose": dose, "peak": sub[readout].max(), "t_peak": sub.loc[i, "time"],
                     "final": sub[readout].iloc[-1]})
    return pd.DataFrame(rows)


__all__ = ["time_course_figure", "plot_time_course", "schedule_figure", "plot_schedule", "dose_response_figure", "plot_dose_response",
           "dose_summary", "READOUTS"]
