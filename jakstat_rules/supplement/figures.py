"""Figures of the supplement, each as PNG and SVG, drawn from the runs' tables."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from ..io import save_figure
from ..plots import plot_dose_response, plot_time_course
from .experiments import Run

__all__ = ["scenario_figures", "dose_response_figures", "fit_figure", "FORMATS"]

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


def fit_figure(measurements: pd.DataFrame, runs: list[Run], tables: list[pd.DataFrame],
               path_stem: Path, title: str) -> list[Path]:
    """Model (lines: each output ``factor * readout [+ offset]``) against the data (points).

    ``measurements`` has columns ``run``, ``dose``, ``output``, ``time``,
    ``measurement``; one panel per run and dose, one colour per output
    measured in it.
    """
    panels = [(run, dose) for run in runs for dose in run.scan[1]]
    ncol = min(5, max(1, len(panels)))
    nrow = max(1, (len(panels) + ncol - 1) // ncol)
    outputs = sorted({ob.id for run in runs for ob in run.observables})
    readouts = sorted({ob.readout for run in runs for ob in run.observables})
    paths = []
    for ext in FORMATS:
        fig = Figure(figsize=(3.0 * ncol, 2.4 * nrow), layout="constrained")
        axes = fig.subplots(nrow, ncol, squeeze=False)
        for ax, (run, dose) in zip(axes.flat, panels):
            table = tables[runs.index(run)]
            sub = table[table["dose"] == dose]
            here = measurements[(measurements["run"] == run.id) & (measurements["dose"] == dose)]
            for ob in run.observables:
                data = here[here["output"] == ob.id]
                if data.empty:
                    continue
                color = f"C{outputs.index(ob.id) % 10}"
                ax.plot(sub["time"], sub[ob.id], color=color, lw=1.2)
                ax.plot(data["time"], data["measurement"], "o", color=color, ms=3,
                        label=ob.factor_id)
            held = "".join(f", {k} = {v:g}" for k, v in run.inputs.items() if k != run.scan[0])
            ax.set_title(f"{run.scan[0]} = {dose:g}{held}", fontsize=8)
            ax.tick_params(labelsize=7)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=5)
        for ax in list(axes.flat)[len(panels):]:
            ax.axis("off")
        fig.supxlabel("time (min)")
        fig.supylabel(f"data; model: scale x {', '.join(readouts)}")
        fig.suptitle(title)
        paths.append(save_figure(fig, path_stem.with_suffix(ext)))
    return paths
