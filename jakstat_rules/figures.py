"""The one style of the project's figures: readable names, units and dose order.

Every figure (``jakstat simulate`` / ``dose-response``, the plots of
``calibrate``, ``validate`` and ``profile``, the supplement's figures)
labels its axes and legends through these functions, so that

* time is in minutes (:data:`TIME_LABEL`), model readouts in molecules per
  cell (or pM for a concentration), data in their own unit
  (``pY701-STAT1 (MFI)``);
* a dose is its input's readable name, its value and its unit
  (``IFN-β 20 pM``, :func:`dose_label`), and doses are ordered by input,
  then numerically (:func:`dose_sort_key`);
* an experiment is a word and, where its id is a date, the date
  (``experiment 2019-01-08``, :func:`experiment_label`);
* data are points with error bars (the noise SD) against model lines
  (:func:`model_and_data`), explained once in a legend below the panels
  (:func:`model_data_legend`).

The figures are :class:`matplotlib.figure.Figure` objects without pyplot (no
GUI backend, no global figure state).
"""
from __future__ import annotations

import datetime
import re
from typing import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .interface import INPUTS, ORAL_DOSES, READOUT_NAMES

__all__ = ["TIME_LABEL", "MODEL_UNIT", "INPUT_NAMES", "input_name", "input_axis_label", "dose_label", "doses_label",
           "dose_sort_key", "experiment_label", "readout_name", "readout_unit",
           "readout_axis_label", "unit_text", "panel_figure", "model_and_data",
           "model_data_legend", "legend_entries"]

#: Label of every time axis (the model's time unit).
TIME_LABEL = "time (min)"

#: Unit of the model's amounts.
MODEL_UNIT = "molecules per cell"

#: Readable names of the model's inputs, by the input id without its unit.
INPUT_NAMES: dict[str, str] = {
    "IFNa": "IFN-α", "IFNb": "IFN-β", "IFNg": "IFN-γ", "ruxolitinib": "ruxolitinib",
    "tofacitinib": "tofacitinib", "IR": "radiation",
    "ruxolitinib_oral": "oral ruxolitinib", "tofacitinib_oral": "oral tofacitinib",
}

_SUPERSCRIPT_MINUS_ONE = "⁻¹"


def _split_input(input_id: str) -> tuple[str, str]:
    """``IFNa_pM`` -> (``IFNa``, ``pM``); an id that is no model input -> (id, "")."""
    unit = INPUTS.get(input_id, ORAL_DOSES.get(input_id, ""))
    base = input_id[: -len(unit) - 1] if unit and input_id.endswith("_" + unit) else input_id
    return base, unit


def input_name(input_id: str) -> str:
    """Readable name of an input (``IFNb_pM`` -> ``IFN-β``); other ids unchanged."""
    base, _ = _split_input(input_id)
    return INPUT_NAMES.get(base, base)


def input_axis_label(input_id: str) -> str:
    """Label of a dose axis: ``IFNb_pM`` -> ``"IFN-β (pM)"``."""
    _, unit = _split_input(input_id)
    return f"{input_name(input_id)} ({unit})" if unit else input_name(input_id)


def dose_label(input_id: str, value: float) -> str:
    """A dose in words: ``dose_label("IFNb_pM", 20.0)`` -> ``"IFN-β 20 pM"``.

    The value is in the input's model unit (:data:`jakstat_rules.interface.INPUTS`),
    written with up to 6 significant digits (``1000.0000000000001`` -> ``1000``).
    """
    _, unit = _split_input(input_id)
    text = f"{input_name(input_id)} {value:.6g}"
    return f"{text} {unit}" if unit else text


def doses_label(doses: Mapping[str, float]) -> str:
    """Doses of several inputs in words, zero doses left out (``"no dose"`` if none).

    ``{"IFNa_pM": 100, "ruxolitinib_nM": 50}`` -> ``"IFN-α 100 pM + ruxolitinib 50 nM"``.
    """
    given = sorted(((k, v) for k, v in doses.items() if v != 0), key=lambda kv: _input_rank(kv[0]))
    return " + ".join(dose_label(k, v) for k, v in given) or "no dose"


def _input_rank(input_id: str) -> int:
    order = list(INPUTS)
    return order.index(input_id) if input_id in order else len(order)


def dose_sort_key(doses: Mapping[str, float]) -> tuple:
    """Sort key of a set of doses: by input (in the order of ``INPUTS``), then numerically.

    Undosed conditions come first; ``IFN-α 100 pM`` sorts before ``IFN-α 10000 pM``.
    """
    given = sorted((_input_rank(k), k, float(v)) for k, v in doses.items() if v != 0)
    return (len(given) > 0, tuple(given))


def experiment_label(experiment: str) -> str:
    """``"exp20190108"`` / ``"e20190108"`` / ``"20190108"`` -> ``"experiment 2019-01-08"``.

    An id that is not a date (optionally after ``exp`` or ``e``) is kept:
    ``"batch3"`` -> ``"experiment batch3"``.
    """
    m = re.fullmatch(r"(?:exp|e)?(\d{4})(\d{2})(\d{2})", experiment)
    if m:
        try:
            return f"experiment {datetime.date(*map(int, m.groups())).isoformat()}"
        except ValueError:
            pass
    return f"experiment {experiment}"


def readout_name(readout: str) -> str:
    """Readable name of a model readout (``pSTAT1_total`` -> ``pY701-STAT1``); a schedule's
    ``ruxolitinib_free_nM`` -> ``free ruxolitinib``; others unchanged."""
    if readout.endswith("_free_nM") and readout not in READOUT_NAMES:
        return f"free {readout[: -len('_free_nM')]}"
    return READOUT_NAMES.get(readout, readout)


def readout_unit(readout: str) -> str:
    """Unit of a model readout: pM or nM for a concentration (``*_pM``, ``*_nM``), else
    :data:`MODEL_UNIT`."""
    for unit in ("pM", "nM"):
        if readout.endswith("_" + unit):
            return unit
    return MODEL_UNIT


def readout_axis_label(readout: str) -> str:
    """``pSTAT1_total`` -> ``"pY701-STAT1 (molecules per cell)"``."""
    return f"{readout_name(readout)} ({readout_unit(readout)})"


def unit_text(unit: str) -> str:
    """A unit string of the model (``1/(M*s)``, ``1/min``, ``molecule``) as text for an axis.

    ``"1/(M*s)"`` -> ``"M⁻¹ s⁻¹"``, ``"1/min"`` -> ``"min⁻¹"``, ``"molecule"`` ->
    ``"molecules per cell"``, ``"molecule/min"`` -> ``"molecules per cell per min"``;
    ``"dimensionless"`` -> ``""``.
    """
    unit = unit.strip()
    if unit in ("", "dimensionless", "1"):
        return ""
    m = re.fullmatch(r"1/\(?([^)]*)\)?", unit)
    if m:
        return " ".join(part.strip() + _SUPERSCRIPT_MINUS_ONE
                        for part in m.group(1).split("*"))
    num, _, den = unit.partition("/")
    num = MODEL_UNIT if num == "molecule" else num
    return f"{num} per {den}" if den else num


def panel_figure(n: int, panel: tuple[float, float] = (3.0, 2.4), ncol: int = 5,
                 legend_height: float = 0.8) -> tuple[Figure, np.ndarray]:
    """A figure of ``n`` panels on a grid of at most ``ncol`` columns (constrained layout).

    Parameters
    ----------
    n
        Number of panels (at least one is made).
    panel
        Width and height of one panel (inches).
    ncol
        Maximal number of columns.
    legend_height
        Height added for a legend below the panels (inches).

    Returns
    -------
    (Figure, numpy.ndarray)
        The figure and its ``n`` axes in reading order; unused grid cells are hidden.
    """
    n = max(1, n)
    ncol = max(1, min(ncol, n))
    nrow = -(-n // ncol)
    fig = Figure(figsize=(panel[0] * ncol, panel[1] * nrow + legend_height),
                 layout="constrained")
    axes = fig.subplots(nrow, ncol, squeeze=False)
    for ax in axes.flat[n:]:
        ax.axis("off")
    return fig, axes.flat[:n]


def model_and_data(ax: Axes, color, model: tuple[np.ndarray, np.ndarray] | None = None,
                   data: tuple[np.ndarray, np.ndarray] | None = None,
                   sd: np.ndarray | tuple[np.ndarray, np.ndarray] | None = None,
                   label: str | None = None,
                   band: tuple[np.ndarray, np.ndarray] | None = None) -> None:
    """One series of a fit figure: the model as a line, the data as points with error bars.

    Parameters
    ----------
    ax
        The panel.
    color
        Colour of line and points.
    model
        ``(times, values)`` of the model, or None.
    data
        ``(times, values)`` of the measurements, or None.
    sd
        Error bars of the data: one SD per point, or ``(lower, upper)``
        distances (asymmetric, e.g. for log-normal noise); None: no bars.
    label
        Legend text of the series (given to the line, else to the points).
    band
        ``(lower, upper)`` of a prediction band at the model's times, shaded.
    """
    if model is not None and band is not None:
        ax.fill_between(model[0], band[0], band[1], color=color, alpha=0.2, lw=0)
    if model is not None:
        ax.plot(model[0], model[1], "-", color=color, lw=1.2, label=label)
        label = None
    if data is not None:
        ax.errorbar(data[0], data[1], yerr=sd, fmt="o", color=color, ms=3, elinewidth=0.8,
                    capsize=1.5, label=label)


def model_data_legend(fig: Figure, axes: Sequence[Axes], data_label: str = "data ± noise SD",
                      ncol: int = 5, order: Sequence[str] = (),
                      band_label: str | None = None) -> None:
    """One legend below the panels: every series once, then what lines and points are.

    ``order``: labels of the series in the order wanted (default: as they appear).
    ``band_label``: what the shaded bands are, if drawn.
    """
    handles, labels = legend_entries(axes)
    rank = {label: i for i, label in enumerate(order)}
    pairs = sorted(zip(handles, labels), key=lambda hl: rank.get(hl[1], len(rank)))
    handles, labels = [h for h, _ in pairs], [lab for _, lab in pairs]
    handles += [Line2D([], [], color="0.35", lw=1.2),
                Line2D([], [], color="0.35", marker="o", ms=3, ls="none")]
    labels += ["model", data_label]
    if band_label:
        handles.append(Patch(color="0.35", alpha=0.2, lw=0))
        labels.append(band_label)
    # entries of about 1.6 inches at 8 pt: as many columns as the figure is wide
    ncol = max(1, min(ncol, len(labels), int(fig.get_figwidth() / 1.6)))
    fig.legend(handles, labels, loc="outside lower center", ncol=ncol, fontsize=8)


def legend_entries(axes: Sequence[Axes]) -> tuple[list, list[str]]:
    """Handles and labels of all panels, each label once, in order of appearance."""
    seen: dict[str, object] = {}
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(lab, h)
    return list(seen.values()), list(seen)
