"""Multistart local optimisation of a PEtab v1 problem.

Starting points are a Latin hypercube on the parameters' PEtab scale (log10
for rate constants), seeded, so a run is reproducible.  Each start is a local
optimisation:

* normal noise: :func:`scipy.optimize.least_squares` (trust-region
  reflective, bounds, finite-difference Jacobian) on the residual vector of
  :class:`~jakstat_rules.calibrate.objective.Objective`, with multiplicative
  scaling factors solved analytically;
* other noise models: L-BFGS-B on the negative log-likelihood.

Starts run in-process (``workers=1``), on a dask.distributed
``LocalCluster`` (``workers=K``) or on an existing cluster (``scheduler``),
see :mod:`.parallel`.
Each finished start is written atomically to ``OUT/starts/start_NNNN.json``
as it arrives; running the same command again skips finished starts, so a
killed run loses only the starts in flight.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from petab.v1 import C

from jakstat_rules.engine import DEFAULT_ATOL, DEFAULT_RTOL
from jakstat_rules.errors import JakstatInputError, SimulationError
from jakstat_rules.io import claim_output_dir, read_json, write_json, write_table

from .objective import CompiledProblem, Objective, get_compiled
from .parallel import Progress, check_scheduler, run_tasks
from .petab_io import ProblemPayload, load_problem

__all__ = ["FitSettings", "LocalFit", "StartResult", "starting_points", "local_fit",
           "run_start", "calibrate", "write_fit_outputs", "load_fit", "settings_of_fit",
           "CONVERGENCE_TOL"]

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
        CVODE tolerances (default: the engine's, :data:`jakstat_rules.engine.DEFAULT_RTOL`).
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
    rtol: float = DEFAULT_RTOL
    atol: float = DEFAULT_ATOL
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


@dataclass(frozen=True)
class LocalFit:
    """Result of one local optimisation.

    Attributes
    ----------
    x
        Final point (free parameters, PEtab scale).
    n_fev
        Objective (or residual) evaluations.
    message
        The optimiser's message.
    """

    x: np.ndarray
    n_fev: int
    message: str


def local_fit(ob: Objective, x0: np.ndarray, settings: dict) -> LocalFit:
    """One local optimisation from ``x0``.

    Least squares (trust-region reflective) on :meth:`Objective.residuals`
    when every observable has normal noise, else L-BFGS-B on
    :meth:`Objective.fval`; finite-difference derivatives with relative
    step ``settings["diff_step"]``.

    Parameters
    ----------
    ob
        The objective.
    x0
        Starting point (free parameters, PEtab scale).
    settings
        :class:`FitSettings` as a dict (``tol``, ``max_nfev``, ``diff_step``).
    """
    from scipy.optimize import least_squares, minimize

    if len(x0) == 0:
        return LocalFit(x0, 1, "no free parameters")
    if ob.least_squares:
        res = least_squares(
            ob.residuals, x0, bounds=(ob.lb, ob.ub), method="trf",
            x_scale="jac", ftol=settings["tol"], xtol=settings["tol"],
            gtol=settings["tol"], max_nfev=settings["max_nfev"],
            diff_step=settings["diff_step"])
        return LocalFit(res.x, int(res.nfev), str(res.message))
    res = minimize(ob.fval, x0, method="L-BFGS-B",
                   bounds=list(zip(ob.lb, ob.ub)),
                   options={"maxfun": settings["max_nfev"], "ftol": settings["tol"],
                            "gtol": settings["tol"], "eps": settings["diff_step"]})
    return LocalFit(res.x, int(res.nfev), str(res.message))


@dataclass
class StartResult:
    """The record of one start, stored as ``starts/start_NNNN.json``.

    Attributes
    ----------
    start
        Start index.
    x0
        Starting point (free parameters, PEtab scale).
    status
        ``"ok"`` or ``"failed"``.
    reason
        Why a start failed.
    fval
        Final NLL (``inf`` if failed).
    x
        Final point, or None.
    parameters
        All estimated parameters (linear) at the final point, or None.
    n_fev
        Objective evaluations.
    message
        The optimiser's message.
    time_s
        Wall time of the start.
    """

    start: int
    x0: list[float]
    status: str = "failed"
    reason: str = ""
    fval: float = math.inf
    x: list[float] | None = None
    parameters: dict[str, float] | None = None
    n_fev: int = 0
    message: str = ""
    time_s: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether the start finished with a finite NLL."""
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        """The JSON record."""
        return asdict(self)

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> "StartResult":
        """Read a JSON record (``fval`` may be stored as the string ``"inf"``)."""
        known = {k: record[k] for k in cls.__dataclass_fields__ if k in record}
        try:
            known["fval"] = float(known.get("fval", math.inf))
        except (TypeError, ValueError):
            known["fval"] = math.inf
        known["start"] = int(known["start"])
        return cls(**known)


def run_start(payload: ProblemPayload, settings: dict, start: int,
              x0: np.ndarray, fixed: dict[str, float] | None = None) -> StartResult:
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
    StartResult
        The record; failures carry ``status="failed"`` and a ``reason``.
    """
    t0 = time.perf_counter()
    rec = StartResult(start=int(start), x0=[float(v) for v in x0])
    try:
        cp = get_compiled(payload, settings["rtol"], settings["atol"])
        ob = Objective(cp, fixed=fixed, analytic=settings["analytic_scaling"])
        x0 = np.asarray(x0, float)
        if not math.isfinite(ob.fval(x0)):
            try:
                ob.evaluate(x0)
                rec.reason = "objective is not finite at the starting point"
            except SimulationError as exc:
                rec.reason = f"simulation failed at the starting point: {exc}"
        else:
            fit = local_fit(ob, x0, settings)
            rec.x = [float(v) for v in fit.x]
            rec.n_fev, rec.message = fit.n_fev, fit.message
            rec.fval = ob.fval(fit.x)
            if math.isfinite(rec.fval):
                rec.parameters = ob.full_parameters(fit.x)
                rec.status = "ok"
            else:
                rec.reason = "simulation failed at the optimiser's result"
    except SimulationError as exc:
        rec.reason = f"simulation failed: {exc}"
    except Exception as exc:  # recorded, the run goes on
        rec.reason = f"{type(exc).__name__}: {exc}"
    rec.time_s = time.perf_counter() - t0
    return rec


def _load_records(folder: Path) -> dict[int, StartResult]:
    """Finished starts of a fit folder; unreadable records are redone."""
    out = {}
    if folder.is_dir():
        for f in sorted(folder.glob("start_*.json")):
            try:
                rec = StartResult.from_dict(read_json(f))
            except (JakstatInputError, KeyError, TypeError, ValueError):
                continue
            out[rec.start] = rec
    return out


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

    Raises
    ------
    JakstatInputError
        Bad settings, problem or output folder, or an unreachable scheduler:
        all checked before the first start.
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
    if scheduler is not None:
        check_scheduler(scheduler)
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

    def on_result(rec: StartResult) -> None:
        write_json(start_dir / f"start_{rec.start:04d}.json", rec.to_dict())
        records[rec.start] = rec

    def postfix() -> dict:
        fvals = [r.fval for r in records.values() if r.ok]
        return {"best": f"{min(fvals, default=math.inf):.4g}",
                "failed": sum(not r.ok for r in records.values())}

    bar = Progress("starts", settings.n_starts, unit="start", postfix=postfix,
                   done=sum(i in records for i in range(settings.n_starts)))
    tasks = [(asdict(settings), i, x0s[i]) for i in todo]
    run_tasks(run_start, payload, tasks, on_result, workers=workers, scheduler=scheduler,
              processes=processes, progress=bar if progress else None)
    summary = write_fit_outputs(out, cp, ob, records, settings,
                                wall_time_s=time.perf_counter() - t_start,
                                problem_yaml=problem_yaml, plots=plots)
    if export_sbml and summary.get("best_parameters"):
        from .export import export_fit

        export_fit(problem_yaml, summary["best_parameters"], out)
    return summary


def write_fit_outputs(out: Path, cp: CompiledProblem, ob: Objective,
                      records: dict[int, StartResult], settings: FitSettings,
                      wall_time_s: float, problem_yaml: Any, plots: bool = True) -> dict:
    """Write ``summary.json``, ``best_parameters.tsv``, ``starts.tsv`` and the plots.

    Returns
    -------
    dict
        The content of ``summary.json``.
    """
    rows = []
    for i in sorted(records):
        r = records[i]
        row = {"start": i, "status": r.status, "fval": r.fval, "n_fev": r.n_fev,
               "time_s": r.time_s, "reason": r.reason, "message": r.message}
        row.update(r.parameters or {})
        rows.append(row)
    table = pd.DataFrame(rows)
    ok = sorted((r for r in records.values() if r.ok), key=lambda r: r.fval)
    best = ok[0] if ok else None
    best_fval = best.fval if best else math.inf
    n_conv = sum(r.fval <= best_fval + CONVERGENCE_TOL for r in ok)
    if not table.empty:
        table["converged"] = (table["status"] == "ok") & (
            table["fval"] <= best_fval + CONVERGENCE_TOL)
        table = table.sort_values(["fval", "start"], kind="stable")
    write_table(out / "starts.tsv", table)
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
        "convergence_tolerance": CONVERGENCE_TOL,
        "complete": len(records) >= settings.n_starts,
        "wall_time_s": wall_time_s,
        "sum_start_time_s": float(sum(r.time_s for r in records.values())),
        "free_parameters": ob.free_ids,
        "analytic_parameters": ob.analytic_ids,
        "optimizer": ("scipy.optimize.least_squares(trf)" if ob.least_squares
                      else "scipy.optimize.minimize(L-BFGS-B)"),
        "settings": asdict(settings),
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
    if plots and best:
        from . import report

        report.plot_waterfall(table, out / "waterfall.png", CONVERGENCE_TOL)
        p = np.array([best.parameters[i] for i in estimated])
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
    summary = read_json(path, what="fit summary")
    if not isinstance(summary, dict) or not summary.get("best_parameters"):
        raise JakstatInputError(f"fit folder {str(fit_dir)!r} has no "
                                f"successful start; expected a finished fit")
    return summary


def settings_of_fit(fit: dict, **changes: Any) -> FitSettings:
    """The :class:`FitSettings` stored in a fit summary, with ``changes`` applied."""
    stored = {k: v for k, v in fit.get("settings", {}).items()
              if k in FitSettings.__dataclass_fields__}
    return FitSettings(**{**stored, **changes})
