"""Profile likelihoods of estimated parameters.

For each parameter the profile is traced from the best fit towards each bound
(two independent branches, run in parallel like the starts of a fit): the
parameter is fixed at successive values on its PEtab scale and all other
parameters are re-optimised from a predicted point (first the Gauss-Newton
path from the optimum, then the secant through the last two points; least
squares, scaling factors analytic).  The step adapts to the NLL increase.  A parameter is
*identifiable* when the NLL rises above the best value by
``chi2.ppf(0.95, 1) / 2 = 1.92`` on both sides within its bounds
(Raue et al. 2009); the crossing points give the 95 % confidence interval.

The output folder is locked while a run lasts (a second run into it is
refused), solver output goes to ``OUT/solver.log``, and a damaged branch
record is reported in one line and traced again.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from petab.v1 import C
from scipy.stats import chi2

from jakstat_rules.errors import JakstatInputError
from jakstat_rules.io import save_figure, write_json, write_record, write_table
from jakstat_rules.io import status as status_line

from .bands import (BAND_METHOD, accepted_sets, band_table, profile_ensemble,
                    simulate_ensemble)
from .defaults import choose_workers
from .mapping import ParameterTable, scale, unscale
from .compiled import get_compiled
from .objective import Objective
from .optimizers import FitSettings, local_fit, residual_jacobian, settings_of_fit
from .parallel import SOLVER_LOG, Progress, check_scheduler, run_tasks, solver_log
from ..petab_io import ProblemPayload, load_problem
from .store import (check_best_parameters, claim_and_lock, load_fit, read_records,
                    remove_temporaries)

__all__ = ["THRESHOLD", "DEFAULT_MAX_STEPS", "ProfileBranch", "profile", "profile_branch",
           "gauss_newton_covariance", "read_profile_sets"]

log = logging.getLogger("jakstat_rules")

#: NLL increase defining the 95 % pointwise confidence interval.
THRESHOLD = float(chi2.ppf(0.95, 1) / 2.0)


@dataclass
class ProfileBranch:
    """One side of a profile, stored as ``branches/<id>_<lower|upper>.json``.

    Attributes
    ----------
    parameter
        The profiled parameter.
    direction
        -1 (towards the lower bound) or +1.
    points
        ``{"x": value on the parameter scale, "fval": NLL, "parameters": {id: linear
        value of every estimated parameter}}`` from the best fit outwards (the
        parameters give the profile-wise prediction bands, :mod:`.bands`).
    crossed
        Whether the NLL rose above the threshold.
    at_bound
        Whether the branch reached the parameter's bound.
    error
        Why the branch stopped early, if it did.
    """

    parameter: str
    direction: int
    points: list[dict[str, float]] = field(default_factory=list)
    crossed: bool = False
    at_bound: bool = False
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The JSON record."""
        return asdict(self)

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> "ProfileBranch":
        """Read a JSON record."""
        return cls(**{k: record[k] for k in cls.__dataclass_fields__ if k in record})

    @property
    def file_name(self) -> str:
        """``<parameter>_lower.json`` or ``<parameter>_upper.json``."""
        return f"{self.parameter}_{'lower' if self.direction < 0 else 'upper'}.json"


#: Default number of re-optimised points per profile side.
DEFAULT_MAX_STEPS = 20

#: NLL rise aimed at between two profile points (a third of the threshold).
TARGET_RISE = THRESHOLD / 3.0

#: Relative tolerance of the re-optimisations along a profile (the NLL is
#: then right to about 1e-6 of its value, far below the 1.92 threshold).
PROFILE_TOL = 1e-6


def gauss_newton_covariance(cp, best: dict, settings: FitSettings
                             ) -> tuple[np.ndarray, list[str]] | None:
    """``(J.T J)^-1`` of the residuals at the best fit, and the free parameter ids of its rows.

    ``J`` is the exact or finite-difference Jacobian, as the fit's
    ``gradient`` setting says.  None when it is not available: no residuals
    (a non-Gaussian likelihood or priors) or a failed simulation.  Computed
    once per profile run and shared by all branches (:func:`_predictor`).
    """
    full = Objective(cp, analytic=settings.analytic_scaling, gradient=settings.gradient)
    if not full.least_squares:
        return None
    x = full.x_from_parameters(best)
    try:
        jac = residual_jacobian(full, x, settings)
    except Exception:  # a failed simulation near the optimum: no predictor
        return None
    if not np.all(np.isfinite(jac)):
        return None
    return np.linalg.pinv(jac.T @ jac), list(full.free_ids)


def _predictor(covariance: tuple[np.ndarray, list[str]] | None, pid: str, width: float
               ) -> tuple[np.ndarray | None, float]:
    """First-order profile path and first step from the Gauss-Newton Hessian at the optimum.

    With ``H = J.T J`` (``covariance`` = ``H^-1``, see
    :func:`gauss_newton_covariance`), the profile of parameter ``i`` rises
    like ``0.5 d**2 / (H^-1)_ii`` and the other parameters move along
    ``(H^-1)_ji / (H^-1)_ii`` per unit step of ``i`` (Venzon & Moolgavkar
    1988; the predictor of integration-based profiles, Chen & Jennrich 2002).

    Returns
    -------
    (slope, step)
        ``slope``: d(other free parameters)/d(parameter), in the order of the
        objective with ``pid`` fixed (None when not available: no
        covariance, or ``pid`` solved in closed form); ``step``: the step on
        the parameter's scale expected to raise the NLL by
        :data:`TARGET_RISE` (2 % of the bounds' width without a predictor).
    """
    default = 0.02 * width
    if covariance is None or pid not in covariance[1]:
        return None, default
    cov, free_ids = covariance
    i = free_ids.index(pid)
    if not cov[i, i] > 0:
        return None, default
    slope = np.delete(cov[:, i] / cov[i, i], i)
    return slope, float(math.sqrt(2.0 * TARGET_RISE * cov[i, i]))


def _next_step(step: float, distance: float, delta: float, rise: float) -> float:
    """The step after one of length ``step`` that ended ``distance`` from the
    optimum, ``delta`` above the best NLL after rising by ``rise``.

    Near the optimum a profile is quadratic, ``delta = a * distance**2``:
    the next point is put where that parabola is :data:`TARGET_RISE` higher.
    Where the profile is flat (no rise), the step doubles; it changes by a
    factor between 1/4 and 2.
    """
    if delta <= 1e-3 or rise <= 1e-3 or distance == 0:
        return 2.0 * step
    d = abs(distance)
    quadratic = d * math.sqrt((delta + TARGET_RISE) / delta) - d
    return min(2.0 * step, max(0.25 * step, quadratic))


def profile_branch(payload: ProblemPayload, settings: FitSettings, pid: str,
                   direction: int, best: dict, best_fval: float,
                   max_steps: int = DEFAULT_MAX_STEPS,
                   covariance: tuple[np.ndarray, list[str]] | None | str = "compute"
                   ) -> ProfileBranch:
    """Trace one side of the profile of ``pid``.

    The parameter is moved on its PEtab scale; at every point the other
    parameters are re-optimised (tolerance :data:`PROFILE_TOL`) from a
    predicted start: the first step follows the Gauss-Newton path from the
    best fit (:func:`_predictor`), later ones the secant through the last two
    profile points.  The step adapts so that each one raises the NLL by about
    :data:`TARGET_RISE` (doubling on flat stretches, at most a quarter of
    the parameter's range); a step that overshoots the threshold by far is
    taken again, shorter, to just before the interpolated crossing.

    Parameters
    ----------
    payload
        The problem.
    settings
        The fit's settings (:class:`~jakstat_rules.calibrate.optimizers.FitSettings`).
    pid
        Profiled parameter.
    direction
        -1 (towards the lower bound) or +1.
    best
        Best-fit parameters (id -> linear value).
    best_fval
        Best NLL.
    max_steps
        Maximal number of re-optimised points.
    covariance
        :func:`gauss_newton_covariance` at the best fit, when the caller has
        it (a profile run computes it once for all its branches); by default
        computed here.

    Returns
    -------
    ProfileBranch
        The points and how the branch ended.
    """
    cp = get_compiled(payload, settings.rtol, settings.atol)
    if isinstance(covariance, str):
        covariance = gauss_newton_covariance(cp, best, settings)
    k = cp.parameters.position(pid)
    scales = [cp.parameters.scales[k]]
    lo = float(scale([cp.parameters.lb[k]], scales)[0])
    hi = float(scale([cp.parameters.ub[k]], scales)[0])
    x_hat = float(scale([best[pid]], scales)[0])
    width = hi - lo
    min_step, max_step = 1e-6 * width, 0.25 * width
    slope, step = _predictor(covariance, pid, width)
    step = float(np.clip(step, min_step, max_step))
    local_settings = replace(settings, max_nfev=min(settings.max_nfev, 200),
                             tol=max(settings.tol, PROFILE_TOL))
    out = ProfileBranch(pid, int(direction), points=[
        {"x": x_hat, "fval": best_fval,
         "parameters": {i: float(best[i]) for i in cp.estimated_ids}}])

    def objective_at(x: float) -> Objective:
        return Objective(cp, fixed={pid: float(unscale([x], scales)[0])},
                         analytic=settings.analytic_scaling, gradient=settings.gradient)

    def optimise(x: float, x_from: float, theta_from: np.ndarray
                 ) -> tuple[float, np.ndarray, dict[str, float]]:
        ob = objective_at(x)
        guess = theta_from + (slope * (x - x_from) if slope is not None else 0.0)
        x0 = np.clip(guess, ob.lb, ob.ub)
        fit = local_fit(ob, x0, local_settings)
        f = ob.fresh_fval(fit.x)
        if not math.isfinite(f):
            raise RuntimeError(f"simulation failed at {pid} = {x:.6g} (scaled)")
        return f, np.asarray(fit.x, float), ob.full_parameters(fit.x)

    x, prev = x_hat, best_fval
    theta = objective_at(x_hat).x_from_parameters(best)
    for _ in range(max_steps):
        if (direction < 0 and x <= lo) or (direction > 0 and x >= hi):
            out.at_bound = True
            break
        x_new = float(np.clip(x + direction * step, lo, hi))
        try:
            f, theta_new, parameters = optimise(x_new, x, theta)
        except Exception as exc:  # recorded; the branch ends here
            out.error = f"{type(exc).__name__}: {exc}"
            break
        if f - best_fval > 2.0 * THRESHOLD and prev - best_fval < THRESHOLD \
                and abs(x_new - x) > 2 * min_step:
            # far past the threshold in one step: step again, to just short of the
            # crossing interpolated on the root scale, so that it is bracketed closely
            ra, rb = math.sqrt(max(prev - best_fval, 0.0)), math.sqrt(f - best_fval)
            step = max(min_step, 0.9 * abs(x_new - x) * (math.sqrt(THRESHOLD) - ra) / (rb - ra))
            continue
        out.points.append({"x": x_new, "fval": f, "parameters": parameters})
        rise = f - prev
        slope = (theta_new - theta) / (x_new - x)
        x, prev, theta = x_new, f, theta_new
        if f - best_fval > THRESHOLD + 0.5:
            out.crossed = True
            break
        step = float(np.clip(_next_step(step, x - x_hat, f - best_fval, rise),
                             min_step, max_step))
    if not out.crossed and out.points[-1]["fval"] - best_fval > THRESHOLD:
        out.crossed = True
    return out


def _crossing(points: list[dict], best_fval: float) -> float | None:
    """x where the NLL first exceeds best + THRESHOLD, interpolated linearly in
    the root of the rise (exact where the profile is quadratic)."""
    root = math.sqrt(THRESHOLD)
    for a, b in zip(points[:-1], points[1:]):
        da, db = a["fval"] - best_fval, b["fval"] - best_fval
        if da <= THRESHOLD < db:
            ra, rb = math.sqrt(max(da, 0.0)), math.sqrt(db)
            return a["x"] + (root - ra) * (b["x"] - a["x"]) / (rb - ra)
    return None


def _branch(path: Path, record: dict[str, Any]) -> ProfileBranch:
    """A branch record read from ``path``; ValueError if it is not the record its name says."""
    rec = ProfileBranch.from_dict(record)
    if rec.file_name != path.name or not all("x" in p and "fval" in p for p in rec.points):
        raise ValueError("not the record its name says")
    return rec


def _load_branches(folder: Path) -> dict[tuple[str, int], ProfileBranch]:
    """Finished branches of a profile folder; a damaged record is reported in
    one warning line naming the file, and its branch is traced again."""
    return {(rec.parameter, rec.direction): rec for _, rec in read_records(
        folder, "*.json", _branch, "profile branch record", "tracing that branch again")}


def profile(problem_yaml: str | os.PathLike, fit_dir: str | os.PathLike,
            out_dir: str | os.PathLike, *, parameters: list[str] | None = None,
            workers: int | None = None, scheduler: str | None = None,
            processes: bool = True, progress: bool = True,
            max_steps: int = DEFAULT_MAX_STEPS) -> dict:
    """Compute profile likelihoods around the best fit of ``fit_dir``.

    Parameters
    ----------
    problem_yaml
        The PEtab problem that was fitted.
    fit_dir
        Output folder of :func:`~jakstat_rules.calibrate.multistart.calibrate`.
    out_dir
        Result folder (resumed if it holds this problem's profiles).
    parameters
        Parameters to profile; default all estimated parameters.
    workers, scheduler, processes
        Parallel execution as in ``calibrate`` (``workers=None``: all cores when
        the branches are expected to take over a minute in one process, from
        the fit's time per start).
    progress
        Live progress line.
    max_steps
        Maximal points per profile side.

    Returns
    -------
    dict
        Content of ``profiles.json``: per parameter ``identifiability``
        (``"identifiable"``, ``"non-identifiable (lower|upper|both)"`` or
        ``"not resolved (...)"``), ``mle``, ``ci_lower``, ``ci_upper``
        (linear scale, or null).

    Raises
    ------
    JakstatInputError
        Bad problem, fit folder, parameter or output folder, or an
        unreachable scheduler: all checked before the first branch.
    """
    problem = load_problem(problem_yaml)
    payload = ProblemPayload.from_problem(problem)
    fit = load_fit(fit_dir, finished=True)
    if fit.get("problem_hash") != payload.hash:
        raise JakstatInputError(
            f"fit folder {str(fit_dir)!r} holds results for problem hash "
            f"{fit.get('problem_hash')!r}, but {str(problem_yaml)!r} has hash "
            f"{payload.hash!r}; expected the fit of this problem")
    table = ParameterTable.from_df(payload.parameter_df)
    check_best_parameters(fit, fit_dir, table.estimated_ids, table.lb, table.ub, problem_yaml)
    estimated = list(fit["best_parameters"])
    ids = list(parameters) if parameters else estimated
    for pid in ids:
        if pid not in estimated:
            raise JakstatInputError(f"cannot profile {pid!r}: not an estimated "
                                    f"parameter; expected one of {estimated}")
    if scheduler is not None:
        check_scheduler(scheduler)
    best_fval = float(fit["best_fval"])
    out = Path(out_dir)
    with contextlib.ExitStack() as stack:
        claim_and_lock(out, "profile", {"problem_hash": payload.hash,
                                        "best_fval": best_fval}, stack)
        stack.enter_context(solver_log(out / SOLVER_LOG, f"jakstat profile {problem_yaml}"))
        return _trace(payload, fit, ids, out, workers=workers, scheduler=scheduler,
                      processes=processes, progress=progress, max_steps=max_steps)


def _trace(payload: ProblemPayload, fit: dict, ids: list[str], out: Path, *,
           workers: int | None,
           scheduler: str | None, processes: bool, progress: bool, max_steps: int) -> dict:
    """Trace the missing branches, then write ``profiles.json``/``.tsv``/``.png``."""
    best = fit["best_parameters"]
    best_fval = float(fit["best_fval"])
    settings = fs = settings_of_fit(fit)
    cp = get_compiled(payload, fs.rtol, fs.atol)
    branch_dir = out / "branches"
    branch_dir.mkdir(exist_ok=True)
    remove_temporaries(out)
    remove_temporaries(branch_dir)
    done = _load_branches(branch_dir)
    missing = [(pid, d) for pid in ids for d in (-1, 1) if (pid, d) not in done]
    covariance = gauss_newton_covariance(cp, best, settings) if missing else None
    tasks = [(settings, pid, d, best, best_fval, max_steps, covariance) for pid, d in missing]

    def on_result(rec: ProfileBranch) -> None:
        write_record(branch_dir / rec.file_name, rec.to_dict())
        done[(rec.parameter, rec.direction)] = rec

    if scheduler is None:
        # a branch re-optimises up to max_steps points from nearby (cheaper than a start)
        per_start = float(fit.get("sum_start_time_s", 0.0)) / max(int(fit.get("n_finished", 1)), 1)
        workers, why = choose_workers(workers, len(tasks), per_start * max_steps / 4)
        if why:
            status_line("%d branches on %d worker%s (%s)", len(tasks), workers,
                        "s" if workers != 1 else "", why)
    bar = Progress("profile branches", 2 * len(ids), done=2 * len(ids) - len(tasks),
                   unit="branch")
    run_tasks(profile_branch, payload, tasks, on_result, workers=workers,
              scheduler=scheduler, processes=processes, progress=bar if progress else None,
              key=lambda task: f"{task[1]} {'down' if task[2] < 0 else 'up'}")

    result: dict = {"threshold": THRESHOLD, "best_fval": best_fval, "parameters": {},
                    "scales": {i: cp.parameters.scales[cp.parameters.position(i)]
                               for i in cp.estimated_ids}}
    rows, frames = [], {}
    lowest = best_fval
    for pid in ids:
        scales = [cp.parameters.scales[cp.parameters.position(pid)]]
        lower = done.get((pid, -1))
        upper = done.get((pid, 1))
        if lower is None or upper is None:
            continue
        pts = list(reversed(lower.points)) + upper.points[1:]
        for pnt in pts:
            lowest = min(lowest, pnt["fval"])
            rows.append({C.PARAMETER_ID: pid, "x": pnt["x"],
                         "value": float(unscale([pnt["x"]], scales)[0]),
                         "fval": pnt["fval"], "delta": pnt["fval"] - best_fval})
        frames[pid] = pd.DataFrame(pts)
        lo_x = _crossing(lower.points, best_fval)
        hi_x = _crossing(upper.points, best_fval)
        missing = [side for side, v in (("lower", lo_x), ("upper", hi_x)) if v is None]
        # a side that stopped before the threshold without reaching its bound (step
        # budget or a failed re-optimisation) is unresolved, not shown flat
        flat = [side for side, br in (("lower", lower), ("upper", upper))
                if side in missing and br.at_bound]
        unresolved = [side for side in missing if side not in flat]
        if not missing:
            status = "identifiable"
        elif flat:
            status = "non-identifiable (" + ("both" if len(flat) == 2 else flat[0]) + ")"
        else:
            status = "not resolved (" + ("both" if len(unresolved) == 2 else unresolved[0]) + ")"

        def linear(v: float | None, scales=scales) -> float | None:
            return None if v is None else float(unscale([v], scales)[0])

        result["parameters"][pid] = {
            "identifiability": status, "mle": best[pid],
            "ci_lower": linear(lo_x), "ci_upper": linear(hi_x),
            "errors": [b.error for b in (lower, upper) if b.error],
        }
    result["better_optimum_found"] = bool(lowest < best_fval - 1e-3)
    result["lowest_fval_on_profiles"] = lowest
    write_table(out / "profiles.tsv", pd.DataFrame(rows))
    if frames:
        from .report import parameter_axis_label, plot_profiles

        plot_profiles(frames, best_fval, THRESHOLD, out / "profiles.png",
                      labels={pid: parameter_axis_label(cp, pid) for pid in frames})
        result["bands"] = _write_bands(cp, best, best_fval, [b for (pid, _), b in done.items()
                                                             if pid in frames], out)
    write_json(out / "profiles.json", result)
    return result


def _write_bands(cp, best: dict, best_fval: float, branches: list, out: Path) -> dict:
    """The profile-wise prediction band of the problem's observables (:mod:`.bands`):
    ``bands.tsv`` and ``bands.png``; what it was made of, for ``profiles.json``."""
    from .report import fit_figure

    p = np.array([best[i] for i in cp.estimated_ids], float)
    vectors = profile_ensemble(cp, branches, best_fval, THRESHOLD)
    if not vectors:
        return {"method": BAND_METHOD, "parameter_sets": 0,
                "note": "profile points carry no parameters (traced by an older version)"}
    status_line("prediction bands: simulating %d parameter sets the profiles accept ...",
                len(vectors))
    members = simulate_ensemble(cp, vectors)
    write_table(out / "bands.tsv", band_table(cp, p, members))
    save_figure(fit_figure(cp, p, "best fit with its profile-wise prediction band",
                           ensemble=members, band_label=BAND_METHOD), out / "bands.png")
    return {"method": BAND_METHOD, "parameter_sets": len(members),
            "profiled": sorted({b.parameter for b in branches}),
            "reference": "Simpson & Maclaren, PLoS Comput Biol 2023;19:e1011515"}


def read_profile_sets(profile_dir, fit: dict, scales: dict[str, str] | None = None
                      ) -> list[dict[str, float]]:
    """The parameter sets the profiles of a fit accept (:func:`.bands.accepted_sets`), read
    from a ``jakstat profile`` folder.

    ``scales``: parameter id -> PEtab scale for the interpolation of the
    crossing points (default: those ``profiles.json`` records).

    Raises
    ------
    JakstatInputError
        No ``profiles.json`` (a profile run not finished), a profile of
        another fit (other best NLL), or profile points without parameters.
    """
    import json


    folder = Path(profile_dir)
    try:
        record = json.loads((folder / "profiles.json").read_text(encoding="utf-8"))
        theirs, threshold = float(record["best_fval"]), float(record["threshold"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise JakstatInputError(f"profile folder {str(folder)!r} has no readable profiles.json "
                                f"({type(exc).__name__}); expected the output folder of a "
                                f"finished 'jakstat profile'") from None
    ours = float(fit["best_fval"])
    if abs(theirs - ours) > 1e-6 * max(1.0, abs(ours)):
        raise JakstatInputError(f"profile folder {str(folder)!r} profiles a fit of best NLL "
                                f"{theirs!r}, not this fit's {ours!r}: expected a profile "
                                f"of this fit ('jakstat profile ... --fit' this fit)")
    if scales is None:
        scales = dict(record.get("scales") or {})
    sets = accepted_sets(_load_branches(folder / "branches").values(), ours, threshold,
                         scales)
    if not sets:
        raise JakstatInputError(f"profile folder {str(folder)!r} has no profile points with "
                                f"their parameters (traced by an older version): expected "
                                f"a profile run again with this version")
    return sets
