"""Plots of calibration results, in the house style of :mod:`jakstat_rules.figures`.

Each figure has a builder that returns the :class:`~matplotlib.figure.Figure`
and a ``plot_*`` function that builds and saves it (PNG, atomically):

* :func:`waterfall_figure` / :func:`plot_waterfall` - the final NLL of the
  starts above the best, converged starts counted;
* :func:`fit_figure` / :func:`plot_fit` - model lines against the data with
  their noise SD, one panel per dose, one colour per experiment;
* :func:`parameters_figure` / :func:`plot_parameters` - parameter values of
  the best starts within their bounds;
* :func:`profiles_figure` / :func:`plot_profiles` - profile likelihoods with
  the 95 % threshold;
* :func:`prediction_figure` / :func:`plot_prediction` - predicted against
  measured values.

Readable names come from the PEtab problem: doses from the condition table's
input columns (model units, e.g. pM), experiments from the measurements'
``replicateId`` (else their observable parameters), readouts and the data's
unit from the observable table, parameter units from the SBML model.
"""

from __future__ import annotations

import math
import re
import textwrap
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from petab.v1 import C

from jakstat_rules.figures import (TIME_LABEL, dose_sort_key, doses_label, experiment_label,
                                   legend_entries, model_and_data, model_data_legend,
                                   panel_figure, readout_name, readout_unit, unit_text)
from jakstat_rules.interface import INPUTS, READOUTS
from jakstat_rules.io import save_figure

from .mapping import scale

__all__ = ["plot_waterfall", "plot_fit", "plot_parameters", "plot_profiles", "plot_prediction",
           "waterfall_figure", "fit_figure", "parameters_figure", "profiles_figure",
           "prediction_figure", "data_axis_label", "parameter_axis_label"]

#: Words in an observable's name taken as the data's unit (else "a.u." for scaled data).
DATA_UNITS = ("MFI", "RFU", "a.u.", "molecules per cell", "pM", "nM", "counts")

#: Colours of converged and other starts.
CONVERGED, OTHER = "tab:red", "tab:blue"


# ----------------------------------------------------------------------------- waterfall
def waterfall_figure(table: pd.DataFrame, tol: float = 0.1) -> Figure:
    """The final NLL of every successful start above the best, sorted.

    The y axis is symmetric-logarithmic and linear below ``tol``: starts at
    the best value sit on 0, starts within the tolerance below the dotted
    line, the others spread over decades above it.  No line connects the
    starts (their order is a ranking, not a trajectory).

    Parameters
    ----------
    table
        ``optimize_result.tsv`` content (columns ``status``, ``fval``).
    tol
        Convergence tolerance on the NLL.
    """
    ok = table[table["status"] == "ok"].sort_values("fval")
    n_failed = int((table["status"] != "ok").sum()) if len(table) else 0
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.subplots()
    f = ok["fval"].to_numpy(float)
    if len(f):
        delta = f - f[0]
        conv = delta <= tol
        rank = np.arange(1, len(f) + 1)
        stopped = (ok["abandoned"].astype(str) == "True").to_numpy() if "abandoned" in ok \
            else np.zeros(len(f), bool)
        ax.plot(rank[conv], delta[conv], "o", color=CONVERGED,
                label=f"within {tol:g} of the best")
        if (~conv & ~stopped).any():
            ax.plot(rank[~conv & ~stopped], delta[~conv & ~stopped], "o", color=OTHER,
                    label="other starts")
        if (~conv & stopped).any():
            ax.plot(rank[~conv & stopped], delta[~conv & stopped], "o", mfc="none",
                    color=OTHER, label="abandoned by the race (not run to convergence)")
        ax.axhline(tol, color="0.4", ls=":", lw=1, label=f"convergence tolerance ({tol:g})")
        ax.set_yscale("symlog", linthresh=tol, linscale=0.5)
        ax.set_ylim(-0.1 * tol, max(10 * tol, 3 * float(delta.max())))
        ax.set_xlim(0.5, len(f) + 0.5)
        ax.legend(loc="upper left", fontsize=8)
        ax.set_title(f"{int(conv.sum())} of {len(f)} starts within {tol:g} of the best "
                     f"(NLL {f[0]:.6g})", fontsize=9)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("start, sorted by final NLL")
    ax.set_ylabel("NLL − best NLL")
    fig.suptitle(f"waterfall: {len(f)} starts finished, {n_failed} failed")
    return fig


def plot_waterfall(table: pd.DataFrame, path: Path, tol: float = 0.1) -> Path:
    """Save :func:`waterfall_figure` to ``path`` (PNG)."""
    return save_figure(waterfall_figure(table, tol), path)


# ----------------------------------------------------------------------------- names
def _split(values) -> tuple[dict[str, float], dict[str, float | str]]:
    """Doses (model inputs, numeric) and the other settings (numbers or ids) of
    ``(target, value)`` pairs."""
    doses, other = {}, {}
    for col, val in values:
        if col == C.CONDITION_NAME or (isinstance(val, float) and math.isnan(val)):
            continue
        try:
            number = float(val)
        except (TypeError, ValueError):
            number = None
        if col in INPUTS and number is not None:
            doses[col] = number
        else:
            other[col] = number if number is not None else str(val)
    return doses, other


def _unit_settings(cp, unit) -> tuple[tuple[dict, dict], tuple[dict, dict]]:
    """(pre-equilibration, simulation) settings of a unit as :func:`_split` gives them:
    its PEtab v1 condition rows, or the changes of its PEtab v2 experiment's
    periods (pre-equilibration: the period at ``-inf``)."""
    payload = cp.payload
    if payload.v2 is None:
        rows = [payload.condition_df.loc[cid].items() if cid else ()
                for cid in (unit.preequilibration_id, unit.simulation_id)]
        return _split(rows[0]), _split(rows[1])
    from ..petab_versions import period_changes

    conditions = {c.id: c for c in payload.v2.conditions}
    pre: dict[str, object] = {}
    main: dict[str, object] = {}
    for experiment in payload.v2.experiments:
        if experiment.id != unit.simulation_id:
            continue
        for period in experiment.periods:
            (pre if period.time == -math.inf else main).update(
                period_changes(period, conditions))
    return _split(pre.items()), _split(main.items())


def _panel(cp, unit) -> tuple[tuple, str]:
    """Sort key and title of the panel of a simulation unit: its doses in words."""
    (pre_doses, _), (doses, other) = _unit_settings(cp, unit)
    words = [f"{k} = {v:.6g}" if isinstance(v, float) else f"{k} = {v}"
             for k, v in sorted(other.items())]
    title = ", ".join(([doses_label(doses)] if any(doses.values()) or not words else []) + words)
    if any(pre_doses.values()):
        title = f"{doses_label(pre_doses)}, then {title}"
    settings = tuple((k, isinstance(v, str), v) for k, v in sorted(other.items()))  # numerically
    return (dose_sort_key(pre_doses), dose_sort_key(doses), settings), title


def _row_experiments(cp) -> np.ndarray:
    """Experiment of each measurement row: ``replicateId``, else the observable
    parameters where they tell rows of one observable apart (``scale_20190108``), else ""."""
    mdf = cp.measurement_df
    if C.REPLICATE_ID in mdf:
        return mdf[C.REPLICATE_ID].fillna("").astype(str).to_numpy()
    out = np.full(len(mdf), "", dtype=object)
    if C.OBSERVABLE_PARAMETERS in mdf:
        pars = mdf[C.OBSERVABLE_PARAMETERS].fillna("").astype(str)
        for _, rows in pars.groupby(mdf[C.OBSERVABLE_ID]):
            if rows.nunique() > 1:
                out[rows.index] = rows.to_numpy()
    return out


def _readout(group) -> str:
    """The model readout an observable measures (the first one known), else its id."""
    known = [s for s in group.model_symbols if s in READOUTS]
    return (known or list(group.model_symbols) or [group.observable_id])[0]


def _data_unit(cp, group) -> str:
    """The data's unit: named in the observable's name, else that of an unscaled readout."""
    odf = cp.payload.observable_df
    name = ""
    if C.OBSERVABLE_NAME in odf and group.observable_id in odf.index:
        value = odf.at[group.observable_id, C.OBSERVABLE_NAME]
        name = "" if pd.isna(value) else str(value)
    for word in DATA_UNITS:
        if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", name):
            return word
    return "a.u." if group.parameter_symbols else readout_unit(_readout(group))


def _observable_label(cp, group) -> str:
    return f"{readout_name(_readout(group))} ({_data_unit(cp, group)})"


def data_axis_label(cp) -> str:
    """The y-axis label of a problem's data: ``"pY701-STAT1 (MFI)"`` (joined by `` / ``)."""
    return " / ".join(dict.fromkeys(_observable_label(cp, g) for g in cp.groups))


def parameter_axis_label(cp, pid: str) -> str:
    """Axis label of a parameter on its estimation scale, with its unit.

    ``"log₁₀ kon_IFNA2_IFNAR2 (M⁻¹ s⁻¹)"`` for a model parameter (unit from
    the SBML model); for a parameter of the PEtab problem only (scale, noise
    SD) its ``parameterName`` stands in place of the id.
    """
    table = cp.parameters
    k = table.position(pid)
    prefix = {"log10": "log₁₀ ", "log": "ln "}.get(table.scales[k] if k is not None else "lin", "")
    sbml = cp.payload.sbml_model().sbml_model
    par = sbml.getParameter(pid)
    if par is not None:
        unit_def = sbml.getUnitDefinition(par.getUnits()) if par.isSetUnits() else None
        unit = unit_text(unit_def.getName() or unit_def.getId()) if unit_def is not None else ""
        return f"{prefix}{pid} ({unit})" if unit else f"{prefix}{pid}"
    pdf = cp.payload.parameter_df
    name = pid
    if C.PARAMETER_NAME in pdf and pid in pdf.index and pd.notna(pdf.at[pid, C.PARAMETER_NAME]):
        name = str(pdf.at[pid, C.PARAMETER_NAME])
    return prefix + name


# ----------------------------------------------------------------------------- fit
def _error_bars(y: np.ndarray, s: np.ndarray, group) -> np.ndarray:
    """Error bars of measurements from their noise SD on the observable's scale."""
    if group.distribution == C.LAPLACE:
        s = s * math.sqrt(2.0)  # SD of a Laplace distribution of scale s
    if group.transformation == C.LIN:
        return s
    base = math.e if group.transformation == C.LOG else 10.0
    return np.vstack([y - y * base ** -s, y * base ** s - y])


def fit_figure(cp, p: np.ndarray, title: str = "best fit vs data",
               ensemble: Sequence[tuple] = (), band_label: str | None = None) -> Figure:
    """Model trajectories at parameters ``p`` (lines) and the data (points ± noise SD).

    One panel per dose (conditions of different experiments with the same
    doses share a panel), ordered by input and numerically by dose; one
    colour per experiment (and readout), in the legend by date or name.

    Parameters
    ----------
    cp
        :class:`~jakstat_rules.calibrate.compiled.CompiledProblem`.
    p
        Linear values of all estimated parameters.
    title
        Figure title.
    ensemble
        Further parameter vectors with their dense simulations (``(q,
        cp.simulate_dense(q))``, :func:`~jakstat_rules.calibrate.bands.simulate_ensemble`):
        each line gets the band from their lowest to their highest value (with
        ``p``'s), shaded and named ``band_label``.
    """
    dense = cp.simulate_dense(p)
    members = list(ensemble)
    _, sd = cp.observables(p)
    experiments = _row_experiments(cp)
    units = cp.plan.units
    panels: dict[tuple, str] = {}
    unit_panel = []
    for unit in units:
        key, text = _panel(cp, unit)
        panels.setdefault(key, text)
        unit_panel.append(key)
    order = sorted(panels)
    fig, axes = panel_figure(len(order), panel=(2.9, 2.3))
    for ax, key in zip(axes, order):
        ax.set_title(panels[key], fontsize=8)
    several_readouts = len({_readout(g) for g in cp.groups}) > 1

    def series_label(g, exp: str) -> str:
        words = [readout_name(_readout(g))] if several_readouts or not exp else []
        return ", ".join(words + ([experiment_label(exp)] if exp else []))

    pieces = []  # (series label, unit, group, measurement rows)
    for g in cp.groups:
        for k in range(len(units)):
            rows = g.rows[cp.plan.row_unit[g.rows] == k]
            for exp in dict.fromkeys(experiments[rows]):
                pieces.append((series_label(g, exp), k, g, rows[experiments[rows] == exp]))
    labels = sorted({piece[0] for piece in pieces})
    drawn = set()  # one model line per series, unit and formula (groups may share them)
    for label, k, g, rows in sorted(pieces, key=lambda piece: labels.index(piece[0])):
        model = band = None
        if (label, k, str(g.observable_expr)) not in drawn:
            drawn.add((label, k, str(g.observable_expr)))
            model = (dense[k][0], cp.group_values(g, p, dense=dense[k])[0])
            if members:
                values = np.vstack([model[1]] + [cp.group_values(g, q, dense=m[k])[0]
                                                 for q, m in members])
                band = (values.min(axis=0), values.max(axis=0))
        y = cp.y[rows]
        model_and_data(axes[order.index(unit_panel[k])], f"C{labels.index(label) % 10}",
                       model=model, data=(cp.t[rows], y), sd=_error_bars(y, sd[rows], g),
                       label=label, band=band)
    for ax in axes:
        ax.set_xlabel(TIME_LABEL, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
    model_data_legend(fig, axes, order=labels, band_label=band_label if members else None)
    fig.supylabel(data_axis_label(cp), fontsize=9)
    fig.suptitle(textwrap.fill(title, max(20, int(fig.get_figwidth() * 9))))
    return fig


def plot_fit(cp, p: np.ndarray, path: Path, title: str = "best fit vs data") -> Path:
    """Save :func:`fit_figure` to ``path`` (PNG)."""
    return save_figure(fit_figure(cp, p, title), path)


# ----------------------------------------------------------------------------- parameters
def parameters_figure(ok_records: list, cp, best_fval: float, n_best: int = 20,
                      tol: float = 0.1) -> Figure:
    """Parameter values of the best starts, on the parameters' scale, within their bounds.

    Parameters
    ----------
    ok_records
        Successful :class:`~jakstat_rules.calibrate.store.StartResult`
        records sorted by NLL.
    cp
        The compiled problem (bounds, scales).
    best_fval
        Best NLL (starts within ``tol`` of it are drawn in red).
    n_best
        Number of starts shown.
    tol
        Convergence tolerance on the NLL.
    """
    table = cp.parameters
    ids = table.estimated_ids
    fig = Figure(figsize=(max(5, 0.7 * len(ids) + 2), 4.2), layout="constrained")
    ax = fig.subplots()
    x = np.arange(len(ids))
    ax.plot(x, scale(table.lb, table.scales), "k_", ms=14, label="bounds")
    ax.plot(x, scale(table.ub, table.scales), "k_", ms=14)
    for r in reversed(ok_records[:n_best]):
        vals = scale([r.parameters[pid] for pid in ids], table.scales)
        conv = float(r.fval) <= best_fval + tol
        ax.plot(x, vals, "-o", ms=3, lw=0.8, alpha=0.8, color=CONVERGED if conv else OTHER,
                label=f"start within {tol:g} of the best" if conv else "other start")
    handles, labels = legend_entries([ax])
    ax.legend(handles, labels, fontsize=7)
    ax.set_xticks(x)
    ax.set_xticklabels(ids, rotation=60, ha="right", fontsize=7)
    scales = sorted(set(table.scales))
    ax.set_ylabel("value, " + " or ".join({"log10": "log₁₀", "log": "ln", "lin": "linear"}
                                          .get(s, s) for s in scales))
    ax.set_title(f"the best {min(n_best, len(ok_records))} starts", fontsize=9)
    return fig


def plot_parameters(ok_records: list, cp, path: Path, best_fval: float, n_best: int = 20,
                    tol: float = 0.1) -> Path:
    """Save :func:`parameters_figure` to ``path`` (PNG)."""
    return save_figure(parameters_figure(ok_records, cp, best_fval, n_best, tol), path)


# ----------------------------------------------------------------------------- profiles
def profiles_figure(profiles: dict[str, pd.DataFrame], best_fval: float, threshold: float,
                    labels: Mapping[str, str] | None = None) -> Figure:
    """Profile likelihoods (NLL − best) against each parameter, with the 95 % threshold.

    Parameters
    ----------
    profiles
        Parameter id -> points (columns ``x``, on the parameter's scale, and ``fval``).
    best_fval
        NLL of the fit.
    threshold
        The confidence threshold on NLL − best (1.92: 95 %, χ²₁ / 2).
    labels
        Parameter id -> x-axis label (default the id;
        :func:`parameter_axis_label` gives name, scale and unit).
    """
    labels = labels or {}
    fig, axes = panel_figure(len(profiles), panel=(3.2, 2.7), ncol=3, legend_height=0.6)
    for ax, (pid, df) in zip(axes, profiles.items()):
        d = df.sort_values("x")
        ax.plot(d["x"], d["fval"] - best_fval, "-o", ms=2.5, color="C0", label="profile")
        ax.axhline(threshold, color="tab:red", ls="--", lw=0.8,
                   label=f"95% threshold (χ²₁: ΔNLL = {threshold:.3g})")
        ax.set_xlabel(labels.get(pid, pid), fontsize=8)
        ax.set_ylim(bottom=-0.1)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5))
        ax.tick_params(labelsize=7)
    handles, texts = legend_entries(axes)
    if handles:
        fig.legend(handles, texts, loc="outside lower center", ncol=2, fontsize=8)
    fig.supylabel("NLL − best NLL", fontsize=9)
    fig.suptitle("profile likelihoods")
    return fig


def plot_profiles(profiles: dict[str, pd.DataFrame], best_fval: float, threshold: float,
                  path: Path, labels: Mapping[str, str] | None = None) -> Path:
    """Save :func:`profiles_figure` to ``path`` (PNG)."""
    return save_figure(profiles_figure(profiles, best_fval, threshold, labels), path)


# ----------------------------------------------------------------------------- prediction
def prediction_figure(y: np.ndarray, h: np.ndarray, title: str, unit_label: str = "") -> Figure:
    """Predicted against measured values with the identity line.

    ``unit_label`` names the data with their unit (e.g. ``"pY701-STAT1 (MFI)"``,
    :func:`data_axis_label`).
    """
    fig = Figure(figsize=(4.5, 4.7), layout="constrained")
    ax = fig.subplots()
    ax.plot(y, h, "o", ms=3, label="measurement")
    lo = float(np.nanmin([np.nanmin(y), np.nanmin(h)]))
    hi = float(np.nanmax([np.nanmax(y), np.nanmax(h)]))
    ax.plot([lo, hi], [lo, hi], "k--", lw=0.8, label="prediction = measurement")
    ax.set_xlabel(f"measured {unit_label}".strip())
    ax.set_ylabel(f"predicted {unit_label}".strip())
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=9)
    return fig


def plot_prediction(y: np.ndarray, h: np.ndarray, path: Path, title: str,
                    unit_label: str = "") -> Path:
    """Save :func:`prediction_figure` to ``path`` (PNG)."""
    return save_figure(prediction_figure(y, h, title, unit_label), path)
