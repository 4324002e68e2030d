"""Prediction of a validation PEtab problem with fitted parameters.

Parameters of the validation problem that also appear in the fit keep their
fitted values; only the rest (typically the new experiment's scale factor
and noise SD) are estimated, by a few least-squares starts.  Reported
measures (on the measurement scale):

* R^2 = 1 - sum (y - h)^2 / sum (y - mean y)^2;
* normalised RMSE = sqrt(mean (y - h)^2) / (max y - min y);
* the PEtab negative log-likelihood.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from jakstat_rules.errors import JakstatInputError

from ._io import claim_output_dir, write_json_atomic, write_tsv_atomic
from .optimize import FitSettings, load_fit, run_start, starting_points
from .problem import Objective, ProblemPayload, get_compiled, load_problem, problem_hash

__all__ = ["validate", "prediction_metrics"]


def prediction_metrics(y: np.ndarray, h: np.ndarray) -> dict[str, float]:
    """R^2 and range-normalised RMSE of predictions ``h`` for data ``y``.

    Parameters
    ----------
    y, h
        Measured and predicted values.

    Returns
    -------
    dict
        ``r2``, ``rmse``, ``nrmse``.
    """
    y, h = np.asarray(y, float), np.asarray(h, float)
    ss_res = float(np.sum((y - h) ** 2))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    rmse = math.sqrt(ss_res / len(y))
    span = float(y.max() - y.min())
    return {"r2": 1.0 - ss_res / ss_tot if ss_tot > 0 else math.nan,
            "rmse": rmse, "nrmse": rmse / span if span > 0 else math.nan}


def validate(fit_dir: str | os.PathLike, problem_yaml: str | os.PathLike,
             out_dir: str | os.PathLike, *, n_starts: int = 5, seed: int = 0,
             plots: bool = True) -> dict:
    """Predict a validation problem with the best parameters of a fit.

    Parameters
    ----------
    fit_dir
        Output folder of ``jakstat calibrate``.
    problem_yaml
        The validation PEtab problem.
    out_dir
        Result folder (``validation.json``, ``predictions.tsv``, plots).
    n_starts, seed
        Starts for the parameters that are re-estimated.
    plots
        Write ``prediction.png`` and ``fit.png``.

    Returns
    -------
    dict
        Content of ``validation.json``: ``r2``, ``nrmse``, ``rmse``, ``nll``,
        ``fixed_from_fit``, ``reestimated`` (id -> value), ``n_measurements``.
    """
    fit = load_fit(fit_dir)
    fitted = fit["best_parameters"]
    problem = load_problem(problem_yaml)
    # non-estimated parameters that were fitted take the fitted value
    pdf = problem.parameter_df.copy()
    for pid in pdf.index:
        if pid in fitted and int(pdf.at[pid, "estimate"]) != 1:
            pdf.at[pid, "nominalValue"] = float(fitted[pid])
    base = ProblemPayload.from_problem(problem)
    payload = ProblemPayload(base.sbml, base.condition_df, base.measurement_df,
                             base.observable_df, pdf,
                             hash=problem_hash(base.sbml, base.condition_df,
                                               base.measurement_df,
                                               base.observable_df, pdf))
    fs = FitSettings(**{k: v for k, v in fit.get("settings", {}).items()
                        if k in FitSettings.__dataclass_fields__})
    fs = FitSettings(**{**asdict(fs), "n_starts": int(n_starts), "seed": int(seed)})
    fs.check()
    out = Path(out_dir)
    claim_output_dir(out, "validation", {"problem_hash": payload.hash,
                                         "fit_problem_hash": fit.get("problem_hash"),
                                         "fit_best_fval": fit.get("best_fval")})
    cp = get_compiled(payload, fs.rtol, fs.atol)
    fixed = {pid: float(fitted[pid]) for pid in cp.estimated_ids if pid in fitted}
    for pid, v in fixed.items():
        k = cp.estimated_ids.index(pid)
        if not cp.lb[k] <= v <= cp.ub[k]:
            raise JakstatInputError(
                f"fitted value {v!r} of {pid!r} lies outside its bounds "
                f"[{cp.lb[k]!r}, {cp.ub[k]!r}] in {str(problem_yaml)!r}; "
                f"expected the validation bounds to contain the fit")
    ob = Objective(cp, fixed=fixed, analytic=fs.analytic_scaling)
    x0s = starting_points(ob.lb, ob.ub, fs.n_starts, fs.seed)
    recs = [run_start(payload, asdict(fs), i, x0s[i], fixed=fixed)
            for i in range(fs.n_starts)]
    ok = sorted((r for r in recs if r["status"] == "ok"), key=lambda r: r["fval"])
    if not ok:
        raise JakstatInputError(
            f"validation problem {str(problem_yaml)!r} could not be simulated "
            f"with the fitted parameters ({recs[0]['reason']}); expected a "
            f"problem using the fitted model")
    best = ok[0]
    params = best["parameters"]
    p = np.array([params[i] for i in cp.estimated_ids])
    h, s = cp.observables(p)
    nll = float(np.sum(cp.nll_terms(h, s)))
    metrics = prediction_metrics(cp.y, h)
    result = {
        "fit_dir": str(fit_dir), "problem": str(problem_yaml),
        **metrics, "nll": nll, "n_measurements": int(len(cp.y)),
        "fixed_from_fit": sorted(fixed),
        "reestimated": {i: params[i] for i in cp.estimated_ids if i not in fixed},
        "nrmse_definition": "RMSE / (max(measurement) - min(measurement))",
    }
    table = cp.measurement_df.copy()
    table["prediction"] = h
    table["sigma"] = s
    write_tsv_atomic(out / "predictions.tsv", table)
    write_json_atomic(out / "validation.json", result)
    if plots:
        from .report import plot_fit, plot_prediction

        plot_prediction(cp.y, h, out / "prediction.png",
                        f"validation: R2 = {metrics['r2']:.3f}, "
                        f"NRMSE = {metrics['nrmse']:.3f}")
        plot_fit(cp, p, out / "fit.png", title="validation prediction vs data")
    return result
