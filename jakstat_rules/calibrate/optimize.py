"""Multistart local optimisation of a PEtab v1 problem.

Starting points are a Latin hypercube on the parameters' PEtab scale (log10
for rate constants), seeded, so a run is reproducible.  Each start is a local
optimisation:

* normal noise: :func:`scipy.optimize.least_squares` (trust-region
  reflective, bounds, finite-difference Jacobian) on the residual vector of
  :class:`~jakstat_rules.calibrate.problem.Objective`, with multiplicative
  scaling factors solved analytically;
* other noise models: L-BFGS-B on the negative log-likelihood.

Starts run in-process (``workers=1``), on a dask.distributed
``LocalCluster`` (``workers=K``) or on an existing cluster (``scheduler``).
Each finished start is written atomically to ``OUT/starts/start_NNNN.json``
as it arrives; running the same command again skips finished starts, so a
killed run loses only the starts in flight.
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from jakstat_rules.errors import JakstatInputError

from ._io import claim_output_dir, read_json, write_json_atomic, write_tsv_atomic
from .problem import (Objective, ProblemPayload, SimulationError, get_compiled,
                      load_problem)

__all__ = ["FitSettings", "starting_points", "run_start", "run_tasks",
           "calibrate", "load_fit", "CONVERGENCE_TOL"]

#: A start counts as converged when its NLL is within this of the best.
CONVERGENCE_TOL = 0.1


@dataclass(frozen=True)
class FitSettings:
    """Settings of a multistart fit (stored in ``run.json``).

    Attributes
    ----------
    n_starts
        Number of local optimisations.
    seed
        Seed of the Latin hypercube of starting points.
    rtol, atol
        CVODE tolerances.
    max_nfev
        Maximal objective evaluations per start.
    tol
        ``ftol``/``xtol``/``gtol`` of the local optimiser.
    diff_step
        Relative finite-difference step (on the parameter scale).
    analytic_scaling
        Solve multiplicative scaling factors in closed form.
    """

    n_starts: int = 50
    seed: int = 0
    rtol: float = 1e-8
    atol: float = 1e-8
    max_nfev: int = 1000
    tol: float = 1e-10
    diff_step: float = 1e-5
    analytic_scaling: bool = True

    def check(self) -> None:
        """Raise :class:`JakstatInputError` for impossible values."""
        if int(self.n_starts) < 1:
            raise JakstatInputError(f"--starts {self.n_starts!r}: expected a "
                                    f"positive integer")
        if int(self.seed) < 0:
            raise JakstatInputError(f"--seed {self.seed!r}: expected an "
                                    f"integer >= 0")


def starting_points(lb: np.ndarray, ub: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Latin hypercube of ``n`` points in the box ``[lb, ub]`` (scaled space).

    Parameters
    ----------
    lb, ub
        Bounds on the parameters' PEtab scale.
    n
        Number of points.
    seed
        Seed; the same seed and ``n`` give the same points.

    Returns
    -------
    numpy.ndarray
        Array (n, len(lb)).
    """
    from scipy.stats import qmc

    lb, ub = np.asarray(lb, float), np.asarray(ub, float)
    if len(lb) == 0:
        return np.zeros((n, 0))
    sampler = qmc.LatinHypercube(d=len(lb), rng=np.random.default_rng(seed))
    return qmc.scale(sampler.random(n), lb, ub)


def _local_fit(ob: Objective, x0: np.ndarray, settings: dict) -> tuple[np.ndarray, int, str]:
    from scipy.optimize import least_squares, minimize

    if len(x0) == 0:
        return x0, 1, "no free parameters"
    if ob.least_squares:
        res = least_squares(
            ob.residuals, x0, bounds=(ob.lb, ob.ub), method="trf",
            x_scale="jac", ftol=settings["tol"], xtol=settings["tol"],
            gtol=settings["tol"], max_nfev=settings["max_nfev"],
            diff_step=settings["diff_step"])
        return res.x, int(res.nfev), str(res.message)
    res = minimize(ob.fval, x0, method="L-BFGS-B",
                   bounds=list(zip(ob.lb, ob.ub)),
                   options={"maxfun": settings["max_nfev"], "ftol": settings["tol"],
                            "gtol": settings["tol"], "eps": settings["diff_step"]})
    return res.x, int(res.nfev), str(res.message)


def run_start(payload: ProblemPayload, settings: dict, start: int,
              x0: np.ndarray, fixed: dict[str, float] | None = None) -> dict:
    """Run one local optimisation; never raises for simulation failures.

    Parameters
    ----------
    payload
        The problem; it is compiled once per worker process and reused.
    settings
        :class:`FitSettings` as a dict.
    start
        Start index (recorded).
    x0
        Starting point on the PEtab scale of the free parameters.
    fixed
        Estimated parameters held fixed (id -> linear value).

    Returns
    -------
    dict
        ``start``, ``status`` (``"ok"`` or ``"failed"``), ``reason``,
        ``fval``, ``x0``, ``x``, ``parameters`` (all estimated, linear),
        ``n_fev``, ``time_s``, ``message``.
    """
    t0 = time.perf_counter()
    rec: dict[str, Any] = {"start": int(start), "x0": [float(v) for v in x0],
                           "status": "failed", "reason": "", "fval": math.inf,
                           "x": None, "parameters": None, "n_fev": 0,
                           "message": ""}
    try:
        cp = get_compiled(payload, settings["rtol"], settings["atol"])
        ob = Objective(cp, fixed=fixed, analytic=settings["analytic_scaling"])
        f0 = ob.fval(np.asarray(x0, float))
        if not math.isfinite(f0):
            try:
                ob.evaluate(np.asarray(x0, float))
                reason = "objective is not finite at the starting point"
            except SimulationError as exc:
                reason = f"simulation failed at the starting point: {exc}"
            rec["reason"] = reason
        else:
            x, nfev, msg = _local_fit(ob, np.asarray(x0, float), settings)
            fval = ob.fval(x)
            rec.update(x=[float(v) for v in x], n_fev=nfev, message=msg,
                       fval=fval)
            if math.isfinite(fval):
                rec["parameters"] = ob.full_parameters(x)
                rec["status"] = "ok"
            else:
                rec["reason"] = "simulation failed at the optimiser's result"
    except SimulationError as exc:
        rec["reason"] = f"simulation failed: {exc}"
    except Exception as exc:  # recorded, the run goes on
        rec["reason"] = f"{type(exc).__name__}: {exc}"
    rec["time_s"] = time.perf_counter() - t0
    return rec


def run_tasks(fn: Callable, payload: ProblemPayload, tasks: list[tuple],
              on_result: Callable[[dict], None], workers: int = 1,
              scheduler: str | None = None, processes: bool = True) -> None:
    """Run ``fn(payload, *task)`` for every task, serially or on dask.

    Parameters
    ----------
    fn
        Top-level (picklable) function returning a dict.
    payload
        Problem, sent once to every worker.
    tasks
        Argument tuples.
    on_result
        Called in this process with each result as soon as it arrives.
    workers
        1: run here; K > 1: start a ``LocalCluster`` with K workers.
    scheduler
        Address of an existing dask scheduler (overrides ``workers``).
    processes
        Worker processes (True) or threads (False) for the LocalCluster.
    """
    if scheduler is None and int(workers) <= 1:
        for task in tasks:
            on_result(fn(payload, *task))
        return
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="5s")
        except (OSError, TimeoutError) as exc:
            raise JakstatInputError(
                f"cannot connect to dask scheduler {scheduler!r} ({exc}); "
                f"expected the address of a running scheduler, e.g. "
                f"tcp://host:8786") from None
    else:
        cluster = LocalCluster(n_workers=int(workers), threads_per_worker=1,
                               processes=processes, dashboard_address=None)
        client = Client(cluster)
    try:
        remote_payload = client.scatter(payload, broadcast=True)
        futures = [client.submit(fn, remote_payload, *task, pure=False)
                   for task in tasks]
        for fut in as_completed(futures):
            on_result(fut.result())
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _load_records(folder: Path) -> dict[int, dict]:
    out = {}
    if folder.is_dir():
        for f in sorted(folder.glob("start_*.json")):
            try:
                rec = read_json(f)
            except (OSError, ValueError):
                continue  # an unreadable file is redone
            out[int(rec["start"])] = rec
    return out


def _fval(rec: dict) -> float:
    try:
        return float(rec["fval"])
    except (TypeError, ValueError):
        return math.inf


def calibrate(problem_yaml: str | os.PathLike, out_dir: str | os.PathLike, *,
              n_starts: int = 50, seed: int = 0, workers: int = 1,
              scheduler: str | None = None, processes: bool = True,
              progress: bool = True, max_new_starts: int | None = None,
              export_sbml: bool = False, plots: bool = True,
              settings: FitSettings | None = None) -> dict:
    """Fit a PEtab v1 problem by multistart local optimisation.

    Parameters
    ----------
    problem_yaml
        The PEtab problem (SBML model).
    out_dir
        Result folder.  An existing folder is resumed if it holds results of
        the same problem and seed; otherwise :class:`JakstatInputError`.
    n_starts, seed
        Number of starts and seed of their Latin hypercube.
    workers
        1 runs in this process; K > 1 starts a dask ``LocalCluster``.
    scheduler
        Address of an existing dask scheduler.
    processes
        LocalCluster with processes (default) or threads.
    progress
        Show a live progress line (stderr).
    max_new_starts
        Stop after this many newly finished starts (time-boxed runs); the
        next call resumes.
    export_sbml
        Also write the fitted model as SBML and a COPASI file.
    plots
        Write the PNG plots.
    settings
        Further settings; ``n_starts`` and ``seed`` above take precedence.

    Returns
    -------
    dict
        The content of ``summary.json``.
    """
    base = settings or FitSettings()
    settings = FitSettings(**{**asdict(base), "n_starts": int(n_starts),
                              "seed": int(seed)})
    settings.check()
    if max_new_starts is not None and int(max_new_starts) < 0:
        raise JakstatInputError(f"max_new_starts {max_new_starts!r}: expected "
                                f"an integer >= 0")
    problem = load_problem(problem_yaml)
    payload = ProblemPayload.from_problem(problem)
    out = Path(out_dir)
    identity = {"problem_hash": payload.hash, "seed": settings.seed,
                "analytic_scaling": settings.analytic_scaling,
                "rtol": settings.rtol, "atol": settings.atol}
    claim_output_dir(out, "fit", identity)
    t_start = time.perf_counter()
    cp = get_compiled(payload, settings.rtol, settings.atol)
    ob = Objective(cp, analytic=settings.analytic_scaling)
    x0s = starting_points(ob.lb, ob.ub, settings.n_starts, settings.seed)
    start_dir = out / "starts"
    start_dir.mkdir(exist_ok=True)
    records = _load_records(start_dir)
    todo = [i for i in range(settings.n_starts) if i not in records]
    if max_new_starts is not None:
        todo = todo[: int(max_new_starts)]

    bar = None
    if progress and todo:
        from tqdm import tqdm

        bar = tqdm(total=settings.n_starts, initial=settings.n_starts - len(
            [i for i in range(settings.n_starts) if i not in records]),
            desc="starts", unit="start", file=sys.stderr, dynamic_ncols=True)

    def best_so_far() -> float:
        vals = [_fval(r) for r in records.values() if r["status"] == "ok"]
        return min(vals) if vals else math.inf

    def on_result(rec: dict) -> None:
        write_json_atomic(start_dir / f"start_{rec['start']:04d}.json", rec)
        records[rec["start"]] = rec
        if bar is not None:
            bar.update(1)
            bar.set_postfix(best=f"{best_so_far():.4g}",
                            failed=sum(r["status"] != "ok" for r in records.values()))

    tasks = [(asdict(settings), i, x0s[i]) for i in todo]
    try:
        run_tasks(run_start, payload, tasks, on_result, workers=workers,
                  scheduler=scheduler, processes=processes)
    finally:
        if bar is not None:
            bar.close()
    summary = write_fit_outputs(out, cp, ob, records, settings,
                                wall_time_s=time.perf_counter() - t_start,
                                problem_yaml=problem_yaml, plots=plots)
    if export_sbml and summary.get("best_parameters"):
        from .export import export_fit

        export_fit(problem_yaml, summary["best_parameters"], out)
    return summary


def write_fit_outputs(out: Path, cp, ob: Objective, records: dict[int, dict],
                      settings: FitSettings, wall_time_s: float,
                      problem_yaml: Any, plots: bool = True) -> dict:
    """Write ``summary.json``, ``best_parameters.tsv``, ``starts.tsv``, plots."""
    rows = []
    for i in sorted(records):
        r = records[i]
        row = {"start": i, "status": r["status"], "fval": _fval(r),
               "n_fev": r.get("n_fev", 0), "time_s": r.get("time_s", math.nan),
               "reason": r.get("reason", ""), "message": r.get("message", "")}
        for pid, v in (r.get("parameters") or {}).items():
            row[pid] = v
        rows.append(row)
    table = pd.DataFrame(rows)
    ok = [r for r in records.values() if r["status"] == "ok"]
    ok.sort(key=_fval)
    best = ok[0] if ok else None
    best_fval = _fval(best) if best else math.inf
    n_conv = sum(_fval(r) <= best_fval + CONVERGENCE_TOL for r in ok)
    if not table.empty:
        table["converged"] = (table["status"] == "ok") & (
            table["fval"] <= best_fval + CONVERGENCE_TOL)
        table = table.sort_values(["fval", "start"], kind="stable")
    write_tsv_atomic(out / "starts.tsv", table)
    summary = {
        "problem": str(problem_yaml),
        "problem_hash": cp.hash,
        "best_fval": best_fval,
        "best_start": best["start"] if best else None,
        "best_parameters": dict(best["parameters"]) if best else {},
        "n_starts": settings.n_starts,
        "n_finished": len(records),
        "n_failed": sum(r["status"] != "ok" for r in records.values()),
        "n_converged": n_conv,
        "convergence_tolerance": CONVERGENCE_TOL,
        "complete": len(records) >= settings.n_starts,
        "wall_time_s": wall_time_s,
        "sum_start_time_s": float(sum(r.get("time_s", 0.0) for r in records.values())),
        "free_parameters": ob.free_ids,
        "analytic_parameters": ob.analytic_ids,
        "optimizer": ("scipy.optimize.least_squares(trf)" if ob.least_squares
                      else "scipy.optimize.minimize(L-BFGS-B)"),
        "settings": asdict(settings),
    }
    if best:
        bp = pd.DataFrame({
            "parameterId": cp.estimated_ids,
            "value": [best["parameters"][i] for i in cp.estimated_ids],
            "parameterScale": cp.scales,
            "lowerBound": cp.lb, "upperBound": cp.ub,
            "analytic": [i in ob.analytic_ids for i in cp.estimated_ids],
        })
        write_tsv_atomic(out / "best_parameters.tsv", bp)
    write_json_atomic(out / "summary.json", summary)
    if plots and best:
        from . import report

        report.plot_waterfall(table, out / "waterfall.png", CONVERGENCE_TOL)
        p = np.array([best["parameters"][i] for i in cp.estimated_ids])
        report.plot_fit(cp, p, out / "fit.png")
        report.plot_parameters(ok, cp, out / "parameters.png", best_fval)
    return summary


def load_fit(fit_dir: str | os.PathLike) -> dict:
    """Read ``summary.json`` of a finished fit.

    Raises
    ------
    JakstatInputError
        If the folder holds no fit summary with best parameters.
    """
    path = Path(fit_dir) / "summary.json"
    if not path.is_file():
        raise JakstatInputError(f"fit folder {str(fit_dir)!r} has no "
                                f"summary.json; expected the --out folder of "
                                f"'jakstat calibrate'")
    summary = read_json(path)
    if not summary.get("best_parameters"):
        raise JakstatInputError(f"fit folder {str(fit_dir)!r} has no "
                                f"successful start; expected a finished fit")
    return summary
