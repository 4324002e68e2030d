"""The result files of a fit: ``summary.json``, ``optimize_result.tsv``,
``best_parameters.tsv``, ``simulations.tsv`` and the plots, and their readers.

``simulations.tsv`` is the PEtab simulation table at the best parameters;
``optimize_result.tsv`` has one row per start with pyPESTO's field names
``id, x, fval, n_fval, x0, time, message, exitflag`` (and ours after them);
:func:`pypesto_result` turns it into a ``pypesto.Result``.
"""

from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from petab.v1 import C

from jakstat_rules.errors import JakstatInputError, SimulationError
from jakstat_rules.io import write_json, write_table

from . import racing
from .mapping import scale
from .compiled import CompiledProblem
from .objective import Objective
from .optimizers import FitSettings, optimizer_name
from .parallel import SOLVER_LOG
from .store import StartResult, fit_file

__all__ = ["CONVERGENCE_TOL", "OPTIMIZE_RESULT_COLUMNS", "simulation_table",
           "write_fit_outputs", "read_optimize_result", "pypesto_result"]

log = logging.getLogger("jakstat_rules")

#: A start counts as converged when its NLL is within this of the best.
CONVERGENCE_TOL = 0.1
#: Columns of ``optimize_result.tsv``: pyPESTO's ``OptimizerResult`` fields, then ours.
OPTIMIZE_RESULT_COLUMNS = ["id", "fval", "x", "x0", "fval0", "n_fval", "time", "message",
                           "exitflag", "optimizer", "status", "reason", "n_redraws",
                           "converged", "abandoned", "fval_tight"]


def simulation_table(cp: CompiledProblem, p: np.ndarray) -> pd.DataFrame:
    """The PEtab simulation table at linear parameters ``p`` (all estimated).

    The measurement table with a ``simulation`` column (``petab.v1.C.SIMULATION``)
    beside ``measurement``: the simulated observable, untransformed, as any
    PEtab tool expects it (e.g. ``petab.v1.calculate_llh``).

    Raises
    ------
    SimulationError
        If a simulation fails.
    """
    h, _ = cp.observables(np.asarray(p, float))
    table = cp.measurement_df.drop(columns=[C.SIMULATION], errors="ignore")
    table.insert(int(table.columns.get_loc(C.MEASUREMENT)) + 1, C.SIMULATION, h)
    return table


def _vector(values: Any) -> str:
    """A vector as a JSON list (null for NaN), '' for None."""
    if values is None:
        return ""
    return json.dumps([float(v) if math.isfinite(float(v)) else None for v in values])


def _optimize_result(records: dict[int, StartResult], cp: CompiledProblem, ob: Objective,
                     optimizer: str, best_fval: float) -> pd.DataFrame:
    """``optimize_result.tsv``: one row per start with pyPESTO's field names, then ours
    (``converged``: finished within :data:`CONVERGENCE_TOL` of ``best_fval``;
    ``abandoned``: left out by a later round of ``--strategy race``; ``fval_tight``: the
    NLL at ``x`` at the engine's tight tolerances when the fit ran at looser ones, blank
    otherwise).

    ``x`` and ``x0`` run over all estimated parameters (``summary.json``
    ``x_names``) on their PEtab scale; ``x0`` is NaN (null) for parameters
    computed in closed form.  Sorted by ``fval`` like pyPESTO's results.
    """
    ids, scales = cp.estimated_ids, cp.parameters.scales
    free = [ids.index(i) for i in ob.free_ids]
    rows = []
    for r in sorted(records.values(), key=lambda r: (r.fval, r.start)):
        x = scale([r.parameters[i] for i in ids], scales) if r.parameters else None
        x0 = np.full(len(ids), np.nan)
        if len(r.x0) == len(free):
            x0[free] = r.x0
        rows.append({"id": str(r.start), "fval": r.fval, "x": _vector(x), "x0": _vector(x0),
                     "fval0": r.fval0, "n_fval": r.n_fev, "time": r.time_s,
                     "message": r.message if r.ok else r.reason,
                     "exitflag": -1 if r.exitflag is None else r.exitflag,
                     "optimizer": optimizer, "status": r.status, "reason": r.reason,
                     "n_redraws": r.n_redraws,
                     "converged": r.ok and r.fval <= best_fval + CONVERGENCE_TOL,
                     "abandoned": bool((r.race or {}).get("abandoned")),
                     "fval_tight": r.fval_tight})
    return pd.DataFrame(rows, columns=OPTIMIZE_RESULT_COLUMNS)


def write_fit_outputs(out: Path, cp: CompiledProblem, ob: Objective,
                      records: dict[int, StartResult], settings: FitSettings,
                      problem_yaml: Any, *, invocations: list[dict[str, Any]],
                      plots: bool = True, final: bool = True,
                      extra: dict[str, Any] | None = None) -> dict:
    """Write the result tables and ``summary.json``; when ``final``, also
    ``simulations.tsv`` and the plots.

    Called after every finished start (``final=False``: cheap tables only,
    so a killed run has an up-to-date summary) and at the end of a run.

    Parameters
    ----------
    invocations
        Invocations of the run so far, each with ``wall_time_s``; their sum
        is ``wall_time_s`` of the summary.
    extra
        Further entries of ``summary.json`` (the automatic choices and the
        re-check of the best fit at tight tolerances).

    Returns
    -------
    dict
        The content of ``summary.json``.
    """
    ok = sorted((r for r in records.values() if r.ok), key=lambda r: r.fval)
    best = ok[0] if ok else None
    best_fval = best.fval if best else math.inf
    n_conv = sum(r.fval <= best_fval + CONVERGENCE_TOL for r in ok)
    optimizer = optimizer_name(settings, ob.least_squares)
    table = _optimize_result(records, cp, ob, optimizer, best_fval)
    write_table(out / "optimize_result.tsv", table)
    estimated = cp.parameters.estimated_ids
    summary = {
        "problem": str(problem_yaml),
        "problem_hash": cp.hash,
        "best_fval": best_fval,
        "best_start": best.start if best else None,
        "best_parameters": dict(best.parameters) if best else {},
        "n_starts": settings.n_starts,
        "n_finished": len(records),
        "n_failed": sum(not r.ok for r in records.values()),
        "n_converged": n_conv,
        "n_redraws": sum(r.n_redraws for r in records.values()),
        "n_starts_redrawn": sum(r.n_redraws > 0 for r in records.values()),
        "convergence_tolerance": CONVERGENCE_TOL,
        "complete": len(records) >= settings.n_starts and not (
            settings.strategy == "race" and racing.next_round(records, settings, len(ob.lb))),
        "wall_time_s": float(sum(c["wall_time_s"] for c in invocations)),
        "invocations": invocations,
        "sum_start_time_s": float(sum(r.time_s for r in records.values())),
        "free_parameters": ob.free_ids,
        "analytic_parameters": ob.analytic_ids,
        "x_names": list(estimated),
        "x_scales": list(cp.parameters.scales),
        "optimizer": optimizer,
        "settings": asdict(settings),
        "solver_log": SOLVER_LOG,
        **(extra or {}),
    }
    if best:
        write_table(out / "best_parameters.tsv", pd.DataFrame({
            C.PARAMETER_ID: estimated,
            "value": [best.parameters[i] for i in estimated],
            C.PARAMETER_SCALE: cp.parameters.scales,
            C.LOWER_BOUND: cp.parameters.lb, C.UPPER_BOUND: cp.parameters.ub,
            "analytic": [i in ob.analytic_ids for i in estimated],
        }))
    write_json(out / "summary.json", summary)
    if final and best:
        p = np.array([best.parameters[i] for i in estimated])
        try:
            write_table(out / "simulations.tsv", simulation_table(cp, p))
            simulated = True
        except SimulationError as exc:  # the fit and its other outputs stay
            simulated = False
            log.warning("jakstat: no simulations.tsv%s: the simulation at the best "
                        "parameters failed (%s)", " and no fit.png" if plots else "", exc)
        if plots:
            from . import report

            report.plot_waterfall(table, out / "waterfall.png", CONVERGENCE_TOL)
            if simulated:
                try:
                    report.plot_fit(cp, p, out / "fit.png")
                except SimulationError as exc:  # the plot's finer time grid
                    log.warning("jakstat: no fit.png: the simulation at the best parameters "
                                "failed (%s)", exc)
            report.plot_parameters(ok, cp, out / "parameters.png", best_fval,
                                   tol=CONVERGENCE_TOL)
    return summary


def read_optimize_result(fit_dir: str | os.PathLike) -> list[dict[str, Any]]:
    """The per-start records of ``optimize_result.tsv`` with pyPESTO's field names.

    Returns
    -------
    list of dict
        Sorted by ``fval``; ``x`` and ``x0`` as arrays over ``x_names`` of
        ``summary.json`` (PEtab scale), None where the start has none;
        numbers left blank (not recorded) as NaN or None.

    Raises
    ------
    JakstatInputError
        If the file is missing or damaged.
    """
    path = fit_file(fit_dir, "optimize_result.tsv", "a folder of 'jakstat calibrate' "
                     "(re-run its command to write the file)")
    try:
        table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
        out = []
        for row in table.to_dict("records"):
            rec: dict[str, Any] = dict(row)
            for key in ("x", "x0"):
                rec[key] = (None if not row[key] else np.array(
                    [np.nan if v is None else v for v in json.loads(row[key])], float))
            for key in ("fval", "fval0", "time", "fval_tight"):
                value = row.get(key, "")
                rec[key] = float(value) if value else math.nan  # blank: not recorded
            for key in ("n_fval", "exitflag", "n_redraws"):
                rec[key] = int(row[key]) if row[key] else None
            rec["converged"] = row.get("converged") == "True"
            rec["abandoned"] = row.get("abandoned") == "True"
            out.append(rec)
    except (KeyError, TypeError, ValueError, pd.errors.ParserError) as exc:
        raise JakstatInputError(f"optimize result {str(path)!r} is damaged ({exc}): expected "
                                f"the file written by 'jakstat calibrate'") from None
    return out


def pypesto_result(fit_dir: str | os.PathLike):
    """The starts of a fit as a ``pypesto.Result`` (its ``optimize_result``).

    For pyPESTO's plots and analyses, e.g.
    ``pypesto.visualize.waterfall(pypesto_result("results/fit"))``.
    Parameter vectors run over ``x_names`` of ``summary.json`` (all
    estimated parameters, PEtab scale).
    """
    import pypesto
    from pypesto.result import OptimizerResult

    fields = ("id", "x", "fval", "n_fval", "x0", "fval0", "time", "message", "exitflag",
              "optimizer")
    result = pypesto.Result()
    result.optimize_result.append(
        [OptimizerResult(**{k: rec[k] for k in fields}) for rec in read_optimize_result(fit_dir)],
        sort=True)
    return result
