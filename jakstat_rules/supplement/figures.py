"""Figures of the supplement, each as PNG and SVG, drawn from the runs' tables."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from ..figures import (TIME_LABEL, dose_label, experiment_label, model_and_data,
                       model_data_legend, panel_figure, readout_name)
from ..io import save_figure
from ..plots import plot_dose_response, plot_time_course
from .experiments import Run

__all__ = ["scenario_figures", "dose_response_figures", "fit_panels", "fit_figure", "FORMATS"]

#: Formats of every figure: a bitmap and a vector format.
FORMATS = (".png", ".svg")


def scenario_figures(run: Run, table: pd.DataFrame, root: Path) -> list[Path]:
    """Time courses of a scenario (``results/scenarios/<id>.png`` and ``.svg``)."""
    stem = root / Path(run.table).with_suffix("")
    return [plot_time_course(table, stem.with_suffix(ext), title=f"{run.id}: {run.title}")
            for ext in FORMATS]


def dose_response_figures(run: Run, table: pd.DataFrame, root: Path) -> list[Path]:
    """Dose response of pSTAT1_total (time courses and peak / final values against dose)."""
    stem = root / Path(run.table).with_suffix("")
    plotted = table.copy()
    plotted.insert(0, "input", run.scan[0])
    return [plot_dose_response(plotted, stem.with_suffix(ext), "pSTAT1_total", title=run.title)
            for ext in FORMATS]


def fit_panels(measurements: pd.DataFrame, runs: list[Run], tables: list[pd.DataFrame],
               title: str) -> Figure:
    """Model (lines: ``scale * pSTAT1_total`` of each experiment) against the data (points).

    ``measurements`` has columns ``input``, ``dose``, ``experiment``,
    ``time``, ``measurement``; one panel per dose (``IFN-β 20 pM``, in
    numeric order), one colour per experiment (``experiment 2019-01-08``).
    """
    panels = [(run, dose) for run in runs for dose in sorted(run.scan[1])]
    fig, axes = panel_figure(len(panels))
    for ax, (run, dose) in zip(axes, panels):
        table = tables[runs.index(run)]
        sub = table[table["dose"] == dose]
        name = run.scan[0]
        for k, ob in enumerate(run.observables):
            experiment = ob.factor_id.removeprefix("scale_")
            data = measurements[(measurements["input"] == name)
                                & (measurements["dose"] == dose)
                                & (measurements["experiment"] == experiment)]
            model_and_data(ax, f"C{k}", model=(sub["time"], sub[ob.id]),
                           data=(data["time"], data["measurement"]),
                           label=experiment_label(experiment))
        ax.set_title(dose_label(name, dose), fontsize=8)
        ax.set_xlabel(TIME_LABEL, fontsize=8)
        ax.tick_params(labelsize=7)
    model_data_legend(fig, axes, "data")
    readout = runs[0].observables[0].readout if runs and runs[0].observables else ""
    fig.supylabel(f"{readout_name(readout)} (MFI)\n= scale × {readout}", fontsize=9)
    fig.suptitle(title)
    return fig


def fit_figure(measurements: pd.DataFrame, runs: list[Run], tables: list[pd.DataFrame],
               path_stem: Path, title: str) -> list[Path]:
    """:func:`fit_panels` written in every format of :data:`FORMATS`."""
    fig = fit_panels(measurements, runs, tables, title)
    return [save_figure(fig, path_stem.with_suffix(ext)) for ext in FORMATS]
