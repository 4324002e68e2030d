"""Prediction of a validation PEtab problem with fitted parameters.

Parameters of the validation problem that also appear in the fit keep their
fitted values; only the rest (typically the new experiment's scale factor
and noise SD) are estimated, by a few least-squares starts.  Reported
measures (on the measurement scale):

* R^2 = 1 - sum (y - h)^2 / sum (y - mean y)^2;
* normalised RMSE = sqrt(mean (y - h)^2) / (max y - min y);
* the PEtab negative log-likelihood.

A fit that shares no parameter with the validation problem, or leaves a
parameter that changes the simulations to be re-estimated, is refused: the
R^2 of a re-fitted model is no prediction.  The output folder is locked
while the run lasts and solver output goes to ``OUT/solver.log``.
"""

from __future__ import annotations

import contextlib
import math
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
from petab.v1 import C

from jakstat_rules.errors import JakstatInputError, SimulationError
from jakstat_rules.io import save_figure, status, write_json, write_table

from .mapping import ParameterTable
from .compiled import get_compiled
from .objective import Objective
from .multistart import run_start, starting_points
from .optimizers import settings_of_fit
from .store import claim_and_lock, load_fit
from .parallel import SOLVER_LOG, solver_log
from ..petab_io import ProblemPayload, load_problem

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
             plots: bool = True, profiles: str | os.PathLike | None = None) -> dict:
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
    profiles
        Output folder of ``jakstat profile`` on the fit: the prediction gets
        the profile-wise prediction band (:mod:`.bands`): each parameter set
        the profiles accept predicts the problem (scales solved anew where
        analytic, other re-estimated parameters at their values), and
        ``predictions.tsv`` gains ``lower``/``upper``, ``fit.png`` the
        shaded band.

    Returns
    -------
    dict
        Content of ``validation.json``: ``r2``, ``nrmse``, ``rmse``, ``nll``,
        ``fixed_from_fit``, ``reestimated`` (id -> value), ``n_measurements``.

    Raises
    ------
    JakstatInputError
        Bad fit folder, problem, bounds or output folder (checked before
        any simulation); a fit that shares no parameter with the problem, or
        misses one of its estimated parameters that change the simulations
        (they would be re-fitted, so R^2 would not measure a prediction); or
        a problem the fitted model cannot simulate.
    """
    fit = load_fit(fit_dir, finished=True)
    fitted = fit["best_parameters"]
    problem = load_problem(problem_yaml)
    # non-estimated parameters that were fitted take the fitted value
    payload = ProblemPayload.from_problem(problem)  # PEtab v1 or v2
    pdf = payload.parameter_df.copy()
    for pid in pdf.index:
        if pid in fitted and int(pdf.at[pid, C.ESTIMATE]) != 1:
            pdf.at[pid, C.NOMINAL_VALUE] = float(fitted[pid])
    payload = payload.with_parameter_df(pdf)
    fs = settings_of_fit(fit, n_starts=int(n_starts), seed=int(seed))
    fs.check()
    table = ParameterTable.from_df(pdf)
    fixed = {pid: float(fitted[pid]) for pid in table.estimated_ids if pid in fitted}
    if not any(pid in fitted for pid in pdf.index):
        raise JakstatInputError(
            f"fit folder {str(fit_dir)!r} shares no parameter with {str(problem_yaml)!r} "
            f"(fit: {_few(fitted)}; validation problem: {_few(pdf.index)}): expected a fit "
            f"of the model the validation problem uses (re-fitting every parameter would "
            f"report a fit, not a prediction)")
    for pid, v in fixed.items():
        k = table.position(pid)
        if not table.lb[k] <= v <= table.ub[k]:
            raise JakstatInputError(
                f"fitted value {v!r} of {pid!r} lies outside its bounds "
                f"[{table.lb[k]!r}, {table.ub[k]!r}] in {str(problem_yaml)!r}; "
                f"expected the validation bounds to contain the fit")
    cp = get_compiled(payload, fs.rtol, fs.atol)
    sets = None
    if profiles is not None:
        from .profile import read_profile_sets

        sets = read_profile_sets(profiles, fit, {i: table.scales[table.position(i)]
                                                 for i in table.estimated_ids})
    refitted = [cp.estimated_ids[k] for k in cp.dynamic if cp.estimated_ids[k] not in fixed]
    if refitted:
        raise JakstatInputError(
            f"{str(problem_yaml)!r} estimates {_few(refitted)}, which change the simulations "
            f"but are not in the fit {str(fit_dir)!r}: expected a fit of every estimated "
            f"model parameter (only observation parameters such as scales and noise are "
            f"re-estimated; re-fitted model parameters would make R^2 no prediction)")
    out = Path(out_dir)
    with contextlib.ExitStack() as stack:
        claim_and_lock(out, "validation", {"problem_hash": payload.hash,
                                           "fit_problem_hash": fit.get("problem_hash"),
                                           "fit_best_fval": fit.get("best_fval")}, stack)
        stack.enter_context(solver_log(out / SOLVER_LOG, f"jakstat validate {fit_dir} "
                                                         f"{problem_yaml}"))
        return _predict(cp, payload, fs, fixed, fit_dir, problem_yaml, out, plots, sets)


def _few(ids, n: int = 6) -> str:
    """Up to ``n`` ids for a message."""
    ids = sorted(ids)
    return ", ".join(ids[:n]) + (f", ... ({len(ids)} in all)" if len(ids) > n else "")


def _band_vectors(cp, fs, fixed: dict, params: dict, free_ids: list[str], sets: list[dict]
                  ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per accepted parameter set: the vector of its values of the fitted parameters, the
    re-estimated ones (``free_ids``) at ``params`` except scales the analytic inner problem
    solves anew; with the observables it predicts (one simulation per set)."""
    out = []
    for s in sets:
        held = {pid: float(s.get(pid, v)) for pid, v in fixed.items()}
        held.update({pid: params[pid] for pid in free_ids})
        ob = Objective(cp, fixed=held, analytic=fs.analytic_scaling, gradient="fd")
        try:
            full = ob.full_parameters(np.zeros(0))
        except SimulationError:
            continue  # a set the validation conditions cannot simulate bounds nothing
        q = np.array([full[i] for i in cp.estimated_ids], float)
        out.append((q, cp.observables(q)[0]))  # the simulation just made, from the cache
    return out


def _predict(cp, payload, fs, fixed, fit_dir, problem_yaml, out: Path, plots: bool,
             sets: list[dict] | None = None) -> dict:
    """Re-estimate the parameters absent from the fit, predict, write the outputs."""
    # only observation parameters are re-estimated: no simulation depends on them, so
    # finite differences cost nothing (the simulations are cached) and no AMICI build is needed
    fs = replace(fs, gradient="fd", optimizer="trf")
    ob = Objective(cp, fixed=fixed, analytic=fs.analytic_scaling, gradient=fs.gradient)
    x0s = starting_points(ob.lb, ob.ub, fs.n_starts, fs.seed, fs.design)
    status("predicting %d measurements with the fitted model parameters; re-estimating "
           "%s (%d starts) ...", len(cp.y), _few(ob.free_ids + ob.analytic_ids) or "nothing",
           fs.n_starts)
    recs = [run_start(payload, fs, i, x0s[i], fixed=fixed)
            for i in range(fs.n_starts)]
    ok = sorted((r for r in recs if r.ok), key=lambda r: r.fval)
    if not ok:
        raise JakstatInputError(
            f"validation problem {str(problem_yaml)!r} could not be simulated "
            f"with the fitted parameters ({recs[0].reason}); expected a "
            f"problem using the fitted model")
    params = ok[0].parameters
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
    predictions = cp.measurement_df.copy()
    predictions["prediction"] = h
    predictions["sigma"] = s
    members = []
    if sets is not None:
        from .bands import BAND_METHOD, simulate_ensemble

        status("prediction band: predicting with %d parameter sets the profiles accept ...",
               len(sets))
        predicted = _band_vectors(cp, fs, fixed, params, ob.free_ids, sets)
        vectors = [q for q, _ in predicted]
        values = np.vstack([h] + [hq for _, hq in predicted])
        predictions["lower"], predictions["upper"] = values.min(axis=0), values.max(axis=0)
        members = simulate_ensemble(cp, vectors) if plots else []
        result["band"] = {"method": BAND_METHOD, "parameter_sets": len(vectors)}
    write_table(out / "predictions.tsv", predictions)
    write_json(out / "validation.json", result)
    if plots:
        from .bands import BAND_METHOD
        from .report import data_axis_label, fit_figure, plot_prediction

        plot_prediction(cp.y, h, out / "prediction.png",
                        f"validation: R² = {metrics['r2']:.3f}, "
                        f"NRMSE = {metrics['nrmse']:.3f}", unit_label=data_axis_label(cp))
        save_figure(fit_figure(cp, p, "validation prediction vs data", ensemble=members,
                               band_label=BAND_METHOD), out / "fit.png")
    return result
