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
    """Model (lines: each output ``factor * readout [+ offset]``) against the data (points).

    ``measurements`` has columns ``run``, ``dose``, ``output``, ``time``,
    ``measurement``; one panel per run and dose (``IFN-β 20 pM``, doses in
    numeric order, inputs held alongside named after it), one colour per
    output measured in it, named by its experiment (``experiment 2019-01-08``).
    """
    panels = [(run, dose) for run in runs for dose in sorted(run.scan[1])]
    outputs = sorted({ob.id for run in runs for ob in run.observables})
    readouts = sorted({ob.readout for run in runs for ob in run.observables})
    fig, axes = panel_figure(len(panels))
    for ax, (run, dose) in zip(axes, panels):
        table = tables[runs.index(run)]
        sub = table[table["dose"] == dose]
        here = measurements[(measurements["run"] == run.id) & (measurements["dose"] == dose)]
        for ob in run.observables:
            data = here[here["output"] == ob.id]
            if data.empty:
                continue
            model_and_data(ax, f"C{outputs.index(ob.id) % 10}",
                           model=(sub["time"], sub[ob.id]),
                           data=(data["time"], data["measurement"]),
                           label=experiment_label(ob.factor_id.removeprefix("scale_")))
        held = "".join(f", {dose_label(k, v)}" for k, v in run.inputs.items()
                       if k != run.scan[0])
        ax.set_title(dose_label(run.scan[0], dose) + held, fontsize=8)
        ax.set_xlabel(TIME_LABEL, fontsize=8)
        ax.tick_params(labelsize=7)
    model_data_legend(fig, axes, "data")
    names = ", ".join(readout_name(r) for r in readouts)
    fig.supylabel(f"{names} (data units)\n= scale × {', '.join(readouts)}", fontsize=9)
    fig.suptitle(title)
    return fig


def fit_figure(measurements: pd.DataFrame, runs: list[Run], tables: list[pd.DataFrame],
               path_stem: Path, title: str) -> list[Path]:
    """:func:`fit_panels` written in every format of :data:`FORMATS`."""
    fig = fit_panels(measurements, runs, tables, title)
    return [save_figure(fig, path_stem.with_suffix(ext)) for ext in FORMATS]
