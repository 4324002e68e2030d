"""Profile likelihoods of estimated parameters.

For each parameter the profile is traced from the best fit towards each bound
(two independent branches, run in parallel like the starts of a fit): the
parameter is fixed at successive values on its PEtab scale and all other
parameters are re-optimised from the previous point (least squares, scaling
factors analytic).  The step adapts to the NLL increase.  A parameter is
*identifiable* when the NLL rises above the best value by
``chi2.ppf(0.95, 1) / 2 = 1.92`` on both sides within its bounds
(Raue et al. 2009); the crossing points give the 95 % confidence interval.
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import chi2

from jakstat_rules.errors import JakstatInputError

from ._io import claim_output_dir, read_json, write_json_atomic, write_tsv_atomic
from .optimize import FitSettings, _local_fit, load_fit, run_tasks
from .problem import (Objective, ProblemPayload, _scale, _unscale, get_compiled,
                      load_problem)

__all__ = ["THRESHOLD", "profile", "profile_branch"]

#: NLL increase defining the 95 % pointwise confidence interval.
THRESHOLD = float(chi2.ppf(0.95, 1) / 2.0)


def profile_branch(payload: ProblemPayload, settings: dict, pid: str,
                   direction: int, best: dict, best_fval: float,
                   max_steps: int = 40) -> dict:
    """Trace one side of the profile of ``pid``.

    Parameters
    ----------
    payload
        The problem.
    settings
        :class:`~jakstat_rules.calibrate.optimize.FitSettings` as a dict.
    pid
        Profiled parameter.
    direction
        -1 (towards the lower bound) or +1.
    best
        Best-fit parameters (id -> linear value).
    best_fval
        Best NLL.
    max_steps
        Maximal number of profile points.

    Returns
    -------
    dict
        ``parameter``, ``direction``, ``points`` (list of ``x`` on the
        parameter scale, ``fval``), ``crossed`` (threshold reached),
        ``at_bound``, ``error``.
    """
    cp = get_compiled(payload, settings["rtol"], settings["atol"])
    k = cp.estimated_ids.index(pid)
    scale = [cp.scales[k]]
    lo = float(_scale(np.array([cp.lb[k]]), scale)[0])
    hi = float(_scale(np.array([cp.ub[k]]), scale)[0])
    x_hat = float(_scale(np.array([best[pid]]), scale)[0])
    width = hi - lo
    step = 0.02 * width if scale[0] == "lin" else min(0.05, 0.02 * width)
    min_step, max_step = 1e-3 * width, 0.1 * width
    current = dict(best)
    points = [{"x": x_hat, "fval": best_fval}]
    prev = best_fval
    out = {"parameter": pid, "direction": int(direction), "points": points,
           "crossed": False, "at_bound": False, "error": ""}
    x = x_hat
    local_settings = dict(settings, max_nfev=min(settings["max_nfev"], 300))
    for _ in range(max_steps):
        if (direction < 0 and x <= lo) or (direction > 0 and x >= hi):
            out["at_bound"] = True
            break
        x = float(np.clip(x + direction * step, lo, hi))
        value = float(_unscale(np.array([x]), scale)[0])
        ob = Objective(cp, fixed={pid: value}, analytic=settings["analytic_scaling"])
        x0 = np.clip(ob.x_from_parameters(current), ob.lb, ob.ub)
        try:
            xo, _, _ = _local_fit(ob, x0, local_settings)
            f = ob.fval(xo)
            if not math.isfinite(f):
                raise RuntimeError("simulation failed")
            current = ob.full_parameters(xo)
        except Exception as exc:  # recorded; the branch ends here
            out["error"] = f"{type(exc).__name__}: {exc}"
            break
        points.append({"x": x, "fval": f})
        rise = f - prev
        prev = f
        if f - best_fval > THRESHOLD + 0.5:
            out["crossed"] = True
            break
        if rise > 0.3 * THRESHOLD:
            step = max(min_step, step / 2)
        elif rise < 0.1 * THRESHOLD:
            step = min(max_step, step * 1.5)
    if not out["crossed"] and points[-1]["fval"] - best_fval > THRESHOLD:
        out["crossed"] = True
    return out


def _crossing(points: list[dict], best_fval: float) -> float | None:
    """Interpolated x where the NLL first exceeds best + THRESHOLD."""
    for a, b in zip(points[:-1], points[1:]):
        da, db = a["fval"] - best_fval, b["fval"] - best_fval
        if da <= THRESHOLD < db:
            return a["x"] + (THRESHOLD - da) * (b["x"] - a["x"]) / (db - da)
    return None


def profile(problem_yaml: str | os.PathLike, fit_dir: str | os.PathLike,
            out_dir: str | os.PathLike, *, parameters: list[str] | None = None,
            workers: int = 1, scheduler: str | None = None,
            processes: bool = True, progress: bool = True,
            max_steps: int = 40) -> dict:
    """Compute profile likelihoods around the best fit of ``fit_dir``.

    Parameters
    ----------
    problem_yaml
        The PEtab problem that was fitted.
    fit_dir
        Output folder of :func:`~jakstat_rules.calibrate.optimize.calibrate`.
    out_dir
        Result folder (resumed if it holds this problem's profiles).
    parameters
        Parameters to profile; default all estimated parameters.
    workers, scheduler, processes
        Parallel execution as in ``calibrate``.
    progress
        Live progress line.
    max_steps
        Maximal points per profile side.

    Returns
    -------
    dict
        Content of ``profiles.json``: per parameter ``identifiability``
        (``"identifiable"`` or ``"non-identifiable (lower|upper|both)"``),
        ``mle``, ``ci_lower``, ``ci_upper`` (linear scale, or null).
    """
    problem = load_problem(problem_yaml)
    payload = ProblemPayload.from_problem(problem)
    fit = load_fit(fit_dir)
    if fit.get("problem_hash") != payload.hash:
        raise JakstatInputError(
            f"fit folder {str(fit_dir)!r} holds results for problem hash "
            f"{fit.get('problem_hash')!r}, but {str(problem_yaml)!r} has hash "
            f"{payload.hash!r}; expected the fit of this problem")
    fs = FitSettings(**{k: v for k, v in fit["settings"].items()
                        if k in FitSettings.__dataclass_fields__})
    settings = asdict(fs)
    cp = get_compiled(payload, fs.rtol, fs.atol)
    ids = list(parameters) if parameters else list(cp.estimated_ids)
    for pid in ids:
        if pid not in cp.estimated_ids:
            raise JakstatInputError(f"cannot profile {pid!r}: not an estimated "
                                    f"parameter; expected one of {cp.estimated_ids}")
    best = fit["best_parameters"]
    best_fval = float(fit["best_fval"])
    out = Path(out_dir)
    claim_output_dir(out, "profile", {"problem_hash": payload.hash,
                                      "best_fval": best_fval})
    branch_dir = out / "branches"
    branch_dir.mkdir(exist_ok=True)
    done = {}
    for f in branch_dir.glob("*.json"):
        try:
            rec = read_json(f)
            done[(rec["parameter"], rec["direction"])] = rec
        except (OSError, ValueError, KeyError):
            pass
    tasks = [(settings, pid, d, best, best_fval, max_steps)
             for pid in ids for d in (-1, 1) if (pid, d) not in done]
    bar = None
    if progress and tasks:
        from tqdm import tqdm

        bar = tqdm(total=2 * len(ids), initial=2 * len(ids) - len(tasks),
                   desc="profile branches", file=sys.stderr)

    def on_result(rec: dict) -> None:
        name = f"{rec['parameter']}_{'lower' if rec['direction'] < 0 else 'upper'}.json"
        write_json_atomic(branch_dir / name, rec)
        done[(rec["parameter"], rec["direction"])] = rec
        if bar is not None:
            bar.update(1)

    try:
        run_tasks(profile_branch, payload, tasks, on_result, workers=workers,
                  scheduler=scheduler, processes=processes)
    finally:
        if bar is not None:
            bar.close()

    result: dict = {"threshold": THRESHOLD, "best_fval": best_fval,
                    "parameters": {}}
    rows, frames = [], {}
    lowest = best_fval
    for pid in ids:
        k = cp.estimated_ids.index(pid)
        scale = [cp.scales[k]]
        lower = done.get((pid, -1))
        upper = done.get((pid, 1))
        if lower is None or upper is None:
            continue
        lp = list(reversed(lower["points"]))
        pts = lp + upper["points"][1:]
        for pnt in pts:
            lowest = min(lowest, pnt["fval"])
            rows.append({"parameterId": pid, "x": pnt["x"],
                         "value": float(_unscale(np.array([pnt["x"]]), scale)[0]),
                         "fval": pnt["fval"], "delta": pnt["fval"] - best_fval})
        frames[pid] = pd.DataFrame(pts)
        lo_x = _crossing(lower["points"], best_fval)
        hi_x = _crossing(upper["points"], best_fval)
        missing = [side for side, v in (("lower", lo_x), ("upper", hi_x)) if v is None]
        # a side that stopped before the threshold without reaching its bound (step
        # budget or a failed re-optimisation) is unresolved, not shown flat
        flat = [side for side, br in (("lower", lower), ("upper", upper))
                if side in missing and br["at_bound"]]
        unresolved = [side for side in missing if side not in flat]
        if not missing:
            status = "identifiable"
        elif flat:
            status = "non-identifiable (" + ("both" if len(flat) == 2 else flat[0]) + ")"
        else:
            status = "not resolved (" + ("both" if len(unresolved) == 2 else unresolved[0]) + ")"
        unscale = (lambda v: None if v is None else float(_unscale(np.array([v]), scale)[0]))
        result["parameters"][pid] = {
            "identifiability": status, "mle": best[pid],
            "ci_lower": unscale(lo_x), "ci_upper": unscale(hi_x),
            "errors": [b["error"] for b in (lower, upper) if b["error"]],
        }
    result["better_optimum_found"] = bool(lowest < best_fval - 1e-3)
    result["lowest_fval_on_profiles"] = lowest
    write_tsv_atomic(out / "profiles.tsv", pd.DataFrame(rows))
    write_json_atomic(out / "profiles.json", result)
    if frames:
        from .report import plot_profiles

        plot_profiles(frames, best_fval, THRESHOLD, out / "profiles.png")
    return result
