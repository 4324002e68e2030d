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
as it arrives, and ``summary.json`` is brought up to date; running the same
command again skips finished starts, so a killed run loses only the starts
in flight.

Long runs:

* the output folder is locked while a run writes into it
  (:func:`jakstat_rules.io.lock_output_dir`): a second run into the same
  folder is refused;
* every start record carries the run identity (problem hash, number of
  starts, seed, settings), and ``run.json`` holds it: a resume with another
  problem, ``--starts``, ``--seed`` or settings is refused with a message
  naming what differs (the Latin hypercube of N points is another design
  for every N, so starts of two designs must not mix);
* every start record carries a checksum (SHA-256 of its canonical JSON);
  on resume a record whose checksum fails, or whose NLL is not reproduced
  by evaluating its parameters again, is reported in one warning line and
  its start runs again, so an edited record never becomes the best fit;
* a run whose every start failed ends with an error naming start 0's reason;
* a start whose first simulation fails is redrawn from a sequence seeded by
  (seed, start index) and counted (``redraws``), so a run ends with the
  number of starts asked for;
* solver output goes to ``OUT/solver.log`` (:func:`.parallel.solver_log`);
* ``wall_time_s`` in ``summary.json`` is the sum over invocations.

Reusable outputs: ``simulations.tsv`` (the PEtab simulation table at the
best parameters) and ``optimize_result.tsv`` (one row per start with
pyPESTO's field names ``id, x, fval, n_fval, x0, time, message, exitflag``;
:func:`pypesto_result` turns it into a ``pypesto.Result``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import re
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pandas as pd
from petab.v1 import C

from jakstat_rules.engine import DEFAULT_ATOL, DEFAULT_RTOL
from jakstat_rules.errors import JakstatInputError, SimulationError
from jakstat_rules.io import (claim_output_dir, lock_output_dir, read_json, read_record,
                              status, write_json, write_record, write_table)

from .defaults import AUTO, FD_TOL, choose_settings, choose_workers, recheck, start_seconds
from .mapping import scale
from .objective import GRADIENTS, CompiledProblem, Objective, get_compiled
from .parallel import (REPORT_INTERVAL, SOLVER_LOG, Progress, check_scheduler,
                       report_progress, run_tasks, solver_log)
from .petab_io import ProblemPayload, load_problem

__all__ = ["FitSettings", "LocalFit", "StartResult", "starting_points", "redraw_points",
           "local_fit", "run_start", "calibrate", "write_fit_outputs", "load_fit",
           "settings_of_fit", "check_best_parameters", "run_identity", "claim_and_lock", "remove_temporaries",
           "simulation_table",
           "read_optimize_result", "pypesto_result", "CONVERGENCE_TOL"]

log = logging.getLogger("jakstat_rules")

#: A start counts as converged when its NLL is within this of the best.
CONVERGENCE_TOL = 0.1
#: Columns of ``optimize_result.tsv``: pyPESTO's ``OptimizerResult`` fields, then ours.
OPTIMIZE_RESULT_COLUMNS = ["id", "fval", "x", "x0", "fval0", "n_fval", "time", "message",
                           "exitflag", "optimizer", "status", "reason", "n_redraws"]


#: Local optimisers (``--optimizer``); see :func:`local_fit`.
OPTIMIZERS = ("trf", "fides", "lbfgsb")


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
        CVODE tolerances of the fit (``--rtol``/``--atol``); None: chosen by
        :func:`~jakstat_rules.calibrate.defaults.choose_settings` (1e-6 and a
        thousandth of that times the model's median initial amount with exact
        derivatives, the engine's 1e-10 with finite differences, whose
        difference quotients looser tolerances make noisy).
    max_nfev
        Maximal objective evaluations per start.
    tol
        ``ftol``/``xtol``/``gtol`` of the local optimiser; None: chosen (1e-6
        with exact derivatives, 1e-8 with finite differences: the NLL is then
        settled to 1e-6 of its value or better, far below the 0.1 that counts a
        start as converged).
    diff_step
        Relative finite-difference step (on the parameter scale).
    analytic_scaling
        Solve multiplicative scaling factors in closed form.
    optimizer
        Local optimiser: ``trf`` (scipy's least-squares trust region on the
        residuals), ``fides`` (trust region with gradient and Gauss-Newton
        Hessian, or BFGS when the objective is no sum of squares) or
        ``lbfgsb`` (scipy's L-BFGS-B); ``trf`` falls back to ``lbfgsb`` for
        objectives that are no sum of squares.
    gradient
        ``auto`` (the default: chosen by what one derivative costs each way,
        :func:`~jakstat_rules.calibrate.defaults.choose_settings`), ``fd``
        (finite differences on the simulation core) or ``exact`` (forward
        sensitivities, :mod:`.sensitivities`).
    max_redraws
        A start whose first evaluation fails (simulation error or
        non-finite objective) is moved to a new point drawn uniformly in the
        bounds, at most this many times (0: never; the start is then
        recorded as failed).
    """

    n_starts: int = 50
    seed: int = 0
    rtol: float | None = None
    atol: float | None = None
    max_nfev: int = 1000
    tol: float | None = None
    diff_step: float = 1e-5
    analytic_scaling: bool = True
    optimizer: str = "trf"
    gradient: str = AUTO
    max_redraws: int = 20

    def check(self) -> None:
        """Raise :class:`JakstatInputError` for impossible values."""
        if int(self.n_starts) < 1:
            raise JakstatInputError(f"--starts {self.n_starts!r}: expected a "
                                    f"positive integer")
        if int(self.seed) < 0:
            raise JakstatInputError(f"--seed {self.seed!r}: expected an "
                                    f"integer >= 0")
        if self.optimizer not in OPTIMIZERS:
            raise JakstatInputError(f"--optimizer {self.optimizer!r}: expected one of "
                                    f"{list(OPTIMIZERS)}")
        if self.gradient not in (AUTO, *GRADIENTS):
            raise JakstatInputError(f"--gradient {self.gradient!r}: expected one of "
                                    f"{[AUTO, *GRADIENTS]}")
        for name in ("rtol", "atol", "tol"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, (int, float))
                                          and 0.0 < float(value) < 1.0):
                raise JakstatInputError(f"{name} {value!r}: expected a tolerance between 0 "
                                        f"and 1, for example 1e-8")
        if self.gradient == "exact":
            from .sensitivities import MISSING_MESSAGE, available

            if not available():
                raise JakstatInputError(MISSING_MESSAGE)
        if int(self.max_redraws) < 0:
            raise JakstatInputError(f"max_redraws {self.max_redraws!r}: expected an "
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


def redraw_points(lb: np.ndarray, ub: np.ndarray, seed: int, start: int) -> Iterator[np.ndarray]:
    """Replacement starting points of start ``start``: uniform in ``[lb, ub]``.

    The sequence depends only on ``(seed, start)``, not on which worker runs
    the start or in which order, so a redrawn run is reproducible.

    Parameters
    ----------
    lb, ub
        Bounds on the parameters' PEtab scale.
    seed
        Seed of the run.
    start
        Start index.

    Yields
    ------
    numpy.ndarray
        One point after the other.
    """
    rng = np.random.default_rng([int(seed), int(start)])
    lb, ub = np.asarray(lb, float), np.asarray(ub, float)
    while True:
        yield rng.uniform(lb, ub)


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
    exitflag
        The optimiser's status code (scipy's ``status``, as pyPESTO records it).
    """

    x: np.ndarray
    n_fev: int
    message: str
    exitflag: int = 0


def local_fit(ob: Objective, x0: np.ndarray, settings: dict) -> LocalFit:
    """One local optimisation from ``x0``.

    ``settings["optimizer"]``: ``trf`` runs scipy's least-squares trust
    region on :meth:`Objective.residuals` (every observable with normal
    noise; otherwise L-BFGS-B on :meth:`Objective.fval`); ``fides`` the Fides
    trust-region optimiser (Fröhlich & Sorger 2022) with the gradient and the
    Gauss-Newton Hessian ``J.T @ J`` of the residuals (BFGS updates when the
    objective is no sum of squares); ``lbfgsb`` scipy's L-BFGS-B.  With
    ``settings["gradient"] == "exact"`` the derivatives are the objective's
    exact ones (forward sensitivities); with ``"fd"`` finite differences of
    relative step ``settings["diff_step"]``.

    Parameters
    ----------
    ob
        The objective.
    x0
        Starting point (free parameters, PEtab scale).
    settings
        :class:`FitSettings` as a dict.
    """
    if len(x0) == 0:
        return LocalFit(x0, 1, "no free parameters")
    optimizer = settings.get("optimizer", "trf")
    exact = settings.get("gradient", "fd") == "exact"
    if optimizer == "fides":
        return _fides_fit(ob, x0, settings, exact)
    if optimizer == "trf" and ob.least_squares:
        from scipy.optimize import least_squares

        res = least_squares(
            ob.residuals, x0, jac=ob.jacobian if exact else "2-point",
            bounds=(ob.lb, ob.ub), method="trf",
            x_scale="jac", ftol=settings["tol"], xtol=settings["tol"],
            gtol=settings["tol"], max_nfev=settings["max_nfev"],
            diff_step=settings["diff_step"])
        return LocalFit(res.x, int(res.nfev), str(res.message), int(res.status))
    from scipy.optimize import minimize

    options = {"maxfun": settings["max_nfev"], "ftol": settings["tol"], "gtol": settings["tol"]}
    if exact:
        res = minimize(ob.fval_and_gradient, x0, jac=True, method="L-BFGS-B",
                       bounds=list(zip(ob.lb, ob.ub)), options=options)
    else:
        res = minimize(ob.fval, x0, method="L-BFGS-B", bounds=list(zip(ob.lb, ob.ub)),
                       options={**options, "eps": settings["diff_step"]})
    return LocalFit(res.x, int(res.nfev), str(res.message), int(res.status))


def residual_jacobian(ob: Objective, x: np.ndarray, settings: dict) -> np.ndarray:
    """Jacobian of :meth:`Objective.residuals` at ``x``: exact with
    ``settings["gradient"] == "exact"``, else forward differences of relative
    step ``settings["diff_step"]`` (as scipy's ``least_squares`` takes them)."""
    from scipy.optimize import approx_fprime

    if settings.get("gradient", "fd") == "exact":
        return ob.jacobian(x)
    step = settings["diff_step"] * np.maximum(1.0, np.abs(x))
    return approx_fprime(np.asarray(x, float), ob.residuals, step)


def _fides_fit(ob: Objective, x0: np.ndarray, settings: dict, exact: bool) -> LocalFit:
    """Fides with the Gauss-Newton Hessian of the residuals, or BFGS updates."""
    import logging

    import fides
    from scipy.optimize import approx_fprime

    def gradient(x: np.ndarray) -> tuple[float, np.ndarray]:
        if exact:
            return ob.fval_and_gradient(x)
        f = ob.fval(x)
        step = settings["diff_step"] * np.maximum(1.0, np.abs(x))
        return f, approx_fprime(x, ob.fval, step)

    if ob.least_squares:
        def fun(x):
            f, g = gradient(x)
            jac = residual_jacobian(ob, x, settings)
            return f, g, jac.T @ jac
        hessian = None
    else:
        fun = gradient
        hessian = fides.BFGS()
    logger = logging.getLogger("fides")
    logger.setLevel(logging.WARNING)
    opt = fides.Optimizer(fun, ub=np.asarray(ob.ub, float), lb=np.asarray(ob.lb, float),
                          hessian_update=hessian, verbose=logging.WARNING,
                          options={fides.Options.MAXITER: int(settings["max_nfev"]),
                                   fides.Options.FATOL: 0.0,
                                   fides.Options.FRTOL: float(settings["tol"]),
                                   fides.Options.XTOL: float(settings["tol"]),
                                   fides.Options.GATOL: 1e-8})
    try:
        opt.minimize(np.asarray(x0, float))
    except Exception as exc:  # Fides raises on non-finite values at the start
        return LocalFit(np.asarray(x0, float), 1, f"fides: {exc}", -1)
    x = opt.x_min if opt.x_min is not None else np.asarray(x0, float)
    return LocalFit(np.asarray(x, float), int(opt.iteration), str(opt.exitflag),
                    int(getattr(opt.exitflag, "value", 0)))


@dataclass
class StartResult:
    """The record of one start, stored as ``starts/start_NNNN.json``.

    Attributes
    ----------
    start
        Start index.
    x0
        The point the optimiser started from (free parameters, PEtab
        scale): the start's point of the design, or the redrawn point that
        replaced it.  For a failed start, the design point.
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
        Objective evaluations counted by the optimiser.
    message
        The optimiser's message.
    time_s
        Wall time of the start.
    exitflag
        The optimiser's status code (None if it did not run).
    fval0
        Objective at ``x0`` (``inf`` if no point could be evaluated).
    rejected
        Starting points whose first evaluation failed, in the order tried
        (the design point first), each ``{"x0": [...], "reason": "..."}``.
    run
        The run identity (:func:`run_identity`) the start belongs to; None
        in records written before records carried it.
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
    exitflag: int | None = None
    fval0: float = math.inf
    rejected: list[dict[str, Any]] = field(default_factory=list)
    run: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        """Whether the start finished with a finite NLL."""
        return self.status == "ok"

    @property
    def n_redraws(self) -> int:
        """How many points were drawn to replace the design point."""
        return len(self.rejected) if self.ok else max(len(self.rejected) - 1, 0)

    @property
    def design_x0(self) -> list[float]:
        """The start's point of the Latin hypercube design."""
        return self.rejected[0]["x0"] if self.rejected else self.x0

    def to_dict(self) -> dict[str, Any]:
        """The JSON record."""
        return asdict(self)

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> "StartResult":
        """Read a JSON record (``fval`` may be stored as the string ``"inf"``).

        Raises
        ------
        KeyError, TypeError, ValueError
            If the record is not a start record (a damaged file).
        """
        if not isinstance(record, dict):
            raise TypeError(f"expected a JSON object, found {type(record).__name__}")
        known = {k: record[k] for k in cls.__dataclass_fields__ if k in record}
        for key in ("fval", "fval0"):
            try:
                known[key] = float(known.get(key, math.inf))
            except (TypeError, ValueError):
                known[key] = math.inf
        known["start"] = int(known["start"])
        known["x0"] = [float(v) for v in known["x0"]]
        rejected = known.get("rejected") or []
        if not all(isinstance(r, dict) and "x0" in r for r in rejected):
            raise ValueError("'rejected' is not a list of starting points")
        if known.get("run") is not None and not isinstance(known["run"], dict):
            raise ValueError("'run' is not a JSON object")
        return cls(**known)


class StartMonitor:
    """Reports a running start's progress (evaluations, best NLL so far, elapsed
    time) through :func:`~jakstat_rules.calibrate.parallel.report_progress`, at most
    every :data:`~jakstat_rules.calibrate.parallel.REPORT_INTERVAL` seconds."""

    def __init__(self, task: Any, t0: float | None = None) -> None:
        self.task = task
        self.t0 = time.perf_counter() if t0 is None else t0
        self.best = math.inf
        self._last = self.t0

    def __call__(self, n_eval: int, value: float) -> None:
        if math.isfinite(value) and value < self.best:
            self.best = value
        now = time.perf_counter()
        if now - self._last >= REPORT_INTERVAL:
            self._last = now
            report_progress({"task": self.task, "evaluations": int(n_eval),
                             "best": self.best if math.isfinite(self.best) else None,
                             "elapsed": now - self.t0})


def _first_value(ob: Objective, x0: np.ndarray) -> tuple[float, str]:
    """The objective at a starting point, and why it is not finite."""
    try:
        ob.evaluate(x0)
    except SimulationError as exc:
        return math.inf, f"simulation failed at the starting point: {exc}"
    f = ob.fval(x0)
    return f, "" if math.isfinite(f) else "objective is not finite at the starting point"


def run_start(payload: ProblemPayload, settings: dict, start: int,
              x0: np.ndarray, fixed: dict[str, float] | None = None) -> StartResult:
    """Run one local optimisation; never raises for simulation failures.

    When the objective cannot be evaluated at ``x0`` (a failed simulation
    or a non-finite value), the point is replaced by the next point of
    :func:`redraw_points` (``settings["seed"]``, ``start``), at most
    ``settings["max_redraws"]`` times; the rejected points are recorded.

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
        ob = Objective(cp, fixed=fixed, analytic=settings["analytic_scaling"],
                       gradient=settings.get("gradient", "fd"))
        ob.monitor = StartMonitor(start, t0)
        x0 = np.asarray(x0, float)
        points = None
        f0, why = _first_value(ob, x0)
        while not math.isfinite(f0):
            rec.rejected.append({"x0": [float(v) for v in x0], "reason": why})
            if len(rec.rejected) > int(settings.get("max_redraws", 0)):
                break
            if points is None:
                points = redraw_points(ob.lb, ob.ub, settings.get("seed", 0), start)
            x0 = next(points)
            f0, why = _first_value(ob, x0)
        if not math.isfinite(f0):
            n = len(rec.rejected)
            rec.reason = (rec.rejected[0]["reason"] if n == 1 else
                          f"no starting point could be evaluated (the design point and "
                          f"{n - 1} redrawn); first: {rec.rejected[0]['reason']}")
        else:
            rec.x0, rec.fval0 = [float(v) for v in x0], f0
            fit = local_fit(ob, x0, settings)
            rec.x = [float(v) for v in fit.x]
            rec.n_fev, rec.message, rec.exitflag = fit.n_fev, fit.message, fit.exitflag
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


# ----------------------------------------------------------------------------- run identity
def run_identity(problem_hash: str, settings: FitSettings) -> dict[str, Any]:
    """What ``run.json`` and every start record of a fit folder carry.

    The problem hash and all :class:`FitSettings` (number of starts, seed,
    tolerances, optimiser settings): a resume must agree on every one.
    """
    return {"problem_hash": problem_hash, **asdict(settings)}


def _normalised(value: Any) -> Any:
    return json.loads(json.dumps(value))


#: How a stored run differs from this one, and what resumes it, by identity key.
_DIFFERENCES = {
    "problem_hash": ("results of another problem (hash {theirs}; this problem has {ours})",
                     "the problem that started it"),
    "n_starts": ("a run of {theirs} starts; this run asks for {ours} (the Latin hypercube of "
                 "{ours} points is another design, its starts cannot be mixed with those)",
                 "--starts {theirs} to resume it"),
    "seed": ("starts drawn with seed {theirs}; this run has seed {ours}",
             "--seed {theirs} to resume it"),
    "max_nfev": ("a run with at most {theirs} evaluations per start; this run has {ours}",
                 "--max-evaluations {theirs} to resume it"),
}


def _other_run(where: str, key: str, theirs: Any, ours: Any) -> JakstatInputError:
    """The message for a resume that differs from the stored run in ``key``."""
    held, wanted = _DIFFERENCES.get(key, ("a run with {key} {theirs!r}; this run has {ours!r}",
                                          "the same settings to resume it"))
    values = {"key": key, "theirs": theirs, "ours": ours}
    return JakstatInputError(f"{where} holds {held.format(**values)}: expected "
                             f"{wanted.format(**values)}, or another --out")


def _check_resume(out: Path, identity: dict[str, Any]) -> bool:
    """Refuse a fit folder of another run, naming what differs.

    Returns
    -------
    bool
        True for a folder written before start records carried the run
        identity (its ``run.json`` has no ``n_starts``).
    """
    marker = out / "run.json"
    if not marker.is_file():
        return False
    stored = read_json(marker, what="run record")
    if not isinstance(stored, dict) or stored.get("kind") != "fit":
        return False  # claim_output_dir says what is wrong
    earlier = "n_starts" not in stored
    for key, value in identity.items():
        if earlier and key not in stored:
            continue
        if _normalised(stored.get(key)) != _normalised(value):
            raise _other_run(f"output folder {str(out)!r}", key, stored.get(key), value)
    return earlier


def _load_records(folder: Path, identity: dict[str, Any],
                  design: np.ndarray) -> dict[int, StartResult]:
    """Finished starts of a fit folder.

    A damaged record (not JSON, not a start record) is reported in one
    warning line naming the file and its start runs again.  A record of
    another run (identity, or a starting point not of this design) is
    refused: :class:`JakstatInputError` naming the file.
    """
    out: dict[int, StartResult] = {}
    if not folder.is_dir():
        return out
    for f in sorted(folder.glob("start_*.json")):
        try:
            rec = StartResult.from_dict(read_record(f, what="start record"))
        except JakstatInputError as exc:
            log.warning("jakstat: %s; running that start again", exc)
            continue
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("jakstat: start record %r is damaged (%s: %s); running that start "
                        "again", str(f), type(exc).__name__, exc)
            continue
        where = f"start record {str(f)!r}"
        if rec.run is not None:
            for key, value in identity.items():
                if _normalised(rec.run.get(key)) != _normalised(value):
                    raise _other_run(where, key, rec.run.get(key), value)
        point = np.asarray(rec.design_x0, float)
        if not (0 <= rec.start < len(design) and point.shape == design[rec.start].shape
                and np.allclose(point, design[rec.start], rtol=0, atol=1e-12)):
            raise JakstatInputError(
                f"{where} does not start from point {rec.start} of this run's design "
                f"({identity['n_starts']} starts, seed {identity['seed']}): expected the "
                f"records of this run only (the folder mixes runs; use another --out)")
        out[rec.start] = rec
    return out


#: A stored start's NLL must be reproduced to this (relative to ``1 + |NLL|``) on resume.
REPRODUCE_TOL = 1e-6


def _reproduced(ob: Objective, rec: StartResult) -> str:
    """Why the stored result of a finished start is not reproduced, or ''.

    Its parameters must be complete, finite and within the bounds, and the
    objective there, evaluated again at the run's tolerances, must equal the
    stored NLL to :data:`REPRODUCE_TOL`.
    """
    try:
        x = ob.x_from_parameters(rec.parameters or {})
    except (KeyError, TypeError, ValueError):
        return "its parameters are incomplete or not numbers"
    slack = 1e-9 * (1.0 + np.abs(ob.ub - ob.lb))
    if not (np.all(np.isfinite(x)) and np.all(x >= ob.lb - slack) and np.all(x <= ob.ub + slack)):
        return "its parameters are not finite or outside the bounds"
    try:
        value = ob.fval(np.clip(x, ob.lb, ob.ub))
    except SimulationError as exc:
        return f"the simulation at its parameters failed ({exc})"
    if not (math.isfinite(value) and abs(value - rec.fval) <= REPRODUCE_TOL * (1 + abs(value))):
        return f"its NLL {rec.fval:.10g} is not reproduced (evaluated again: {value:.10g})"
    return ""


def _verify_records(ob: Objective, records: dict[int, StartResult],
                    folder: Path) -> dict[int, StartResult]:
    """The finished starts whose result is reproduced (:func:`_reproduced`).

    A start that is not is reported in one warning line naming its file and
    runs again, so an edited or foreign record never becomes the best fit.
    """
    kept = {}
    for i, rec in records.items():
        why = _reproduced(ob, rec) if rec.ok else ""
        if why:
            log.warning("jakstat: start record %r is damaged (%s); running that start again",
                        str(folder / f"start_{i:04d}.json"), why)
            continue
        kept[i] = rec
    return kept


def _adopt_earlier_run(out: Path, identity: dict[str, Any], design: np.ndarray) -> None:
    """Let a folder written before records carried the run identity resume.

    Its start records must start from this run's design points and its
    summary (if any) must have these settings; ``run.json`` is then
    completed with the full identity.
    """
    marker = out / "run.json"
    stored = read_json(marker, what="run record")
    summary = out / "summary.json"
    try:
        old = read_json(summary, what="fit summary").get("settings", {})
    except (JakstatInputError, AttributeError):
        old = {}
    for key, value in identity.items():
        if key in old and _normalised(old[key]) != _normalised(value):
            raise _other_run(f"output folder {str(out)!r}", key, old[key], value)
    _load_records(out / "starts", identity, design)
    write_json(marker, {**stored, **identity})


#: Temporary files of :mod:`jakstat_rules.io` writers (``.NAME.XXXXXXXX.tmp``, and
#: ``.STEM.XXXXXXXX.png`` of ``save_figure``) that a killed process leaves behind.
_TEMPORARY = re.compile(r"^\..+\.[a-z0-9_]{8}\.(tmp|png)$")


def remove_temporaries(folder: Path) -> list[str]:
    """Delete temporary files a killed writer left in ``folder`` (not below it).

    Call it only while holding the folder's lock: then no writer of this
    project is active there.  Returns the names removed.
    """
    removed = []
    if folder.is_dir():
        for f in folder.iterdir():
            if f.is_file() and _TEMPORARY.match(f.name):
                with contextlib.suppress(OSError):
                    f.unlink()
                    removed.append(f.name)
    return removed


def claim_and_lock(out: str | os.PathLike, kind: str, identity: dict[str, Any],
                   stack: contextlib.ExitStack,
                   prepare: Callable[[], None] | None = None) -> Path:
    """Claim ``out`` for a run and hold its lock until ``stack`` closes.

    A fresh folder is claimed first (:func:`~jakstat_rules.io.claim_output_dir`
    writes ``run.json``; the lock file would make the folder look
    non-empty), then locked (:func:`~jakstat_rules.io.lock_output_dir`) and
    its claim checked again under the lock; a folder with a run record is
    locked first.  Of two runs started into one folder at once, one goes
    on, the other is refused in one line.

    Parameters
    ----------
    out
        The result folder.
    kind, identity
        As for :func:`~jakstat_rules.io.claim_output_dir`.
    stack
        Holds the lock.
    prepare
        Called under the lock before the final claim.
    """
    out = Path(out)
    if not (out / "run.json").is_file():
        claim_output_dir(out, kind, identity)
    stack.enter_context(lock_output_dir(out))
    if prepare is not None:
        prepare()
    return claim_output_dir(out, kind, identity)


# ----------------------------------------------------------------------------- the fit
def calibrate(problem_yaml: str | os.PathLike, out_dir: str | os.PathLike, *,
              n_starts: int = 50, seed: int = 0, workers: int | None = None,
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
        the same run (problem, number of starts, seed, settings); otherwise
        :class:`JakstatInputError`.  It is locked while the run lasts.
    n_starts, seed
        Number of starts and seed of their Latin hypercube.
    workers
        1 runs in this process; K > 1 starts a dask ``LocalCluster``; None
        (the default) chooses: all cores when the starts to run are
        expected to take over a minute, else 1
        (:func:`~jakstat_rules.calibrate.defaults.choose_workers`).
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
        Bad settings, problem or output folder (another run's results, a
        folder in use by another run), or an unreachable scheduler: all
        checked before the first start.  After the run (its records and
        summary written), when every start failed: the first start's reason.
    """
    t_start = time.perf_counter()  # wall time of this invocation, reading the problem included
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
    choice = choose_settings(payload, settings, out)
    settings = choice.settings
    cp = get_compiled(payload, settings.rtol, settings.atol)
    identity = run_identity(payload.hash, settings)
    earlier = _check_resume(out, identity)
    ob = Objective(cp, analytic=settings.analytic_scaling, gradient=settings.gradient)
    design = starting_points(ob.lb, ob.ub, settings.n_starts, settings.seed)
    with contextlib.ExitStack() as stack:
        claim_and_lock(out, "fit", identity, stack, prepare=(
            (lambda: _adopt_earlier_run(out, identity, design)) if earlier else None))
        stack.enter_context(solver_log(out / SOLVER_LOG, f"jakstat calibrate {problem_yaml}"))
        start_dir = out / "starts"
        start_dir.mkdir(exist_ok=True)
        remove_temporaries(out)
        remove_temporaries(start_dir)
        records = _verify_records(ob, _load_records(start_dir, identity, design), start_dir)
        invocations = _earlier_invocations(out)
        this = {"started": time.strftime("%Y-%m-%dT%H:%M:%S"), "wall_time_s": 0.0,
                "new_starts": 0}
        invocations.append(this)
        todo = [i for i in range(settings.n_starts) if i not in records]
        if max_new_starts is not None:
            todo = todo[: int(max_new_starts)]
        if scheduler is None:
            workers, why = choose_workers(workers, len(todo), start_seconds(choice))
        else:
            why = f"dask scheduler {scheduler}"
        if todo:
            status(choice.line(workers, why))

        extra: dict[str, Any] = {"choice": {"notes": choice.notes,
                                            "measured": choice.measured}}

        def write_outputs(final: bool) -> dict:
            this["wall_time_s"] = time.perf_counter() - t_start
            return write_fit_outputs(out, cp, ob, records, settings, problem_yaml,
                                     invocations=invocations, plots=plots, final=final,
                                     extra=extra)

        def on_result(rec: StartResult) -> None:
            rec.run = identity
            write_record(start_dir / f"start_{rec.start:04d}.json", rec.to_dict())
            records[rec.start] = rec
            this["new_starts"] += 1
            write_outputs(final=False)

        def postfix() -> dict:
            fvals = [r.fval for r in records.values() if r.ok]
            best = min(fvals, default=math.inf)
            return {"best NLL": f"{best:.6g}",
                    "converged": sum(f <= best + CONVERGENCE_TOL for f in fvals),
                    "failed": sum(not r.ok for r in records.values())}

        bar = Progress("starts", settings.n_starts, unit="start", postfix=postfix,
                       done=sum(i in records for i in range(settings.n_starts)))
        tasks = [(asdict(settings), i, design[i]) for i in todo]
        try:
            run_tasks(run_start, payload, tasks, on_result, workers=workers,
                      scheduler=scheduler, processes=processes,
                      progress=bar if progress else None, key=lambda task: task[1])
        except BaseException:
            with contextlib.suppress(Exception):  # keep this invocation's wall time
                write_outputs(final=False)
            raise
        extra["recheck"] = _recheck_best(payload, settings, ob, records)
        summary = write_outputs(final=True)
        if records and not any(r.ok for r in records.values()):
            first = records[min(records)]
            raise JakstatInputError(
                f"every start failed ({len(records)} of {settings.n_starts} run; the start "
                f"records are in {str(out / 'starts')!r}); start {first.start}: "
                f"{' '.join(first.reason.split())}: expected a problem whose objective can "
                f"be evaluated (the solvers' messages are in {str(out / SOLVER_LOG)!r})")
        if export_sbml and summary.get("best_parameters"):
            from .export import export_fit

            export_fit(problem_yaml, summary["best_parameters"], out)
    return summary


def _recheck_best(payload: ProblemPayload, settings: FitSettings, ob: Objective,
                  records: dict[int, StartResult]) -> dict[str, Any] | None:
    """Re-evaluate the best fit at the engine's tight tolerances and say so in one line
    (a warning when the difference would change which starts count as converged)."""
    ok = [r for r in records.values() if r.ok and r.parameters]
    if not ok:
        return None
    best = min(ok, key=lambda r: r.fval)
    try:
        result = recheck(payload, settings, ob.x_from_parameters(best.parameters), best.fval)
    except SimulationError as exc:
        log.warning("jakstat: the best fit could not be re-evaluated at tight tolerances "
                    "(%s)", exc)
        return None
    if result is None:
        return None
    diff = result["difference"]
    status("best NLL %.6g; re-evaluated at rtol %g, atol %g: %.6g (difference %+.2g)",
           best.fval, result["rtol"], result["atol"], result["fval"], diff)
    if not math.isfinite(diff) or abs(diff) > CONVERGENCE_TOL:
        log.warning("jakstat: the fit's tolerances (rtol %g, atol %g) change the best NLL by "
                    "%.3g, more than the %.2g that counts a start as converged: re-run with "
                    "tighter --rtol/--atol (e.g. 1e-8) into another --out", settings.rtol,
                    settings.atol, diff, CONVERGENCE_TOL)
    return result


def _earlier_invocations(out: Path) -> list[dict[str, Any]]:
    """Invocations recorded in ``summary.json`` (for the total wall time).

    A damaged summary is reported in one warning line and rebuilt from the
    start records (the time of earlier invocations is then unknown).
    """
    path = out / "summary.json"
    if not path.is_file():
        return []
    try:
        stored = read_json(path, what="fit summary")
        if not isinstance(stored, dict):
            raise JakstatInputError(f"fit summary {str(path)!r} is damaged (not a JSON object)")
    except JakstatInputError as exc:
        log.warning("jakstat: %s; rebuilding it from the start records (the wall time of "
                    "earlier invocations is not counted)", exc)
        return []
    calls = stored.get("invocations")
    if isinstance(calls, list) and all(
            isinstance(c, dict) and isinstance(c.get("wall_time_s"), (int, float))
            for c in calls):
        return [dict(c) for c in calls]
    wall = stored.get("wall_time_s")  # a summary of an earlier version: one invocation
    if isinstance(wall, (int, float)) and math.isfinite(wall):
        return [{"started": None, "wall_time_s": float(wall), "new_starts": None}]
    return []


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
                     optimizer: str) -> pd.DataFrame:
    """``optimize_result.tsv``: one row per start with pyPESTO's field names.

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
                     "n_redraws": r.n_redraws})
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
    rows = []
    for i in sorted(records):
        r = records[i]
        row = {"start": i, "status": r.status, "fval": r.fval, "n_fev": r.n_fev,
               "time_s": r.time_s, "reason": r.reason, "message": r.message,
               "n_redraws": r.n_redraws}
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
    optimizer = ("scipy.optimize.least_squares(trf)" if ob.least_squares
                 else "scipy.optimize.minimize(L-BFGS-B)")
    write_table(out / "optimize_result.tsv", _optimize_result(records, cp, ob, optimizer))
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
        "complete": len(records) >= settings.n_starts,
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
        except SimulationError as exc:
            log.warning("jakstat: no simulations.tsv: the simulation at the best "
                        "parameters failed (%s)", exc)
        if plots:
            from . import report

            report.plot_waterfall(table, out / "waterfall.png", CONVERGENCE_TOL)
            report.plot_fit(cp, p, out / "fit.png")
            report.plot_parameters(ok, cp, out / "parameters.png", best_fval,
                                   tol=CONVERGENCE_TOL)
    return summary


# ----------------------------------------------------------------------------- reading fits
def _fit_file(fit_dir: str | os.PathLike, name: str, expected: str) -> Path:
    """``fit_dir/name``, or :class:`JakstatInputError` if it is not a file."""
    path = Path(fit_dir) / name
    if not path.is_file():
        raise JakstatInputError(f"fit folder {str(fit_dir)!r} has no {name}; expected "
                                f"{expected}")
    return path


def _damaged_summary(path: Path, what: str) -> JakstatInputError:
    return JakstatInputError(f"fit summary {str(path)!r} is damaged ({what}): expected the "
                             f"summary.json of 'jakstat calibrate'; re-run the calibrate "
                             f"command of that folder to rewrite it from its start records")


def load_fit(fit_dir: str | os.PathLike, finished: bool = False) -> dict:
    """Read ``summary.json`` of a fit.

    Parameters
    ----------
    fit_dir
        Output folder of :func:`calibrate`.
    finished
        Also require that every start of the fit has run (``complete``: not a
        run still going, killed or time-boxed, whose best fit is an
        intermediate one) and that its stored settings are valid
        (:meth:`FitSettings.check`): for the commands that go on from the
        best fit (``profile``, ``validate``).

    Raises
    ------
    JakstatInputError
        If the folder holds no fit summary with finite best parameters, or a
        damaged one (one line naming the file); with ``finished``, an
        unfinished fit or invalid stored settings.
    """
    path = _fit_file(fit_dir, "summary.json", "the --out folder of 'jakstat calibrate'")
    try:
        summary = read_json(path, what="fit summary")
    except JakstatInputError as exc:
        raise JakstatInputError(f"{exc}; re-run the calibrate command of that folder to "
                                f"rewrite it from its start records") from None
    if not isinstance(summary, dict):
        raise _damaged_summary(path, "not a JSON object")
    best = summary.get("best_parameters")
    if not best:
        raise JakstatInputError(f"fit folder {str(fit_dir)!r} has no "
                                f"successful start; expected a finished fit")
    if not isinstance(best, dict) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            for v in best.values()):
        raise _damaged_summary(path, "best_parameters is not a table of finite numbers")
    try:
        if not math.isfinite(float(summary.get("best_fval"))):
            raise ValueError
    except (TypeError, ValueError):
        raise _damaged_summary(path, "best_fval is not a finite number") from None
    if not isinstance(summary.get("problem_hash"), str):
        raise _damaged_summary(path, "no problem_hash")
    if not isinstance(summary.get("settings", {}), dict):
        raise _damaged_summary(path, "settings is not a JSON object")
    if finished:
        if summary.get("complete") is not True:
            raise JakstatInputError(
                f"fit folder {str(fit_dir)!r} holds an unfinished fit "
                f"({summary.get('n_finished')!r} of {summary.get('n_starts')!r} starts): "
                f"expected a finished fit; run its calibrate command again to finish it")
        try:
            settings_of_fit(summary).check()
        except (JakstatInputError, TypeError, ValueError) as exc:
            raise _damaged_summary(path, f"settings: {exc}") from None
    return summary


def check_best_parameters(fit: dict, fit_dir: str | os.PathLike, ids: list[str],
                          lb: np.ndarray, ub: np.ndarray, problem_yaml: Any) -> None:
    """Refuse a fit whose best parameters miss one of ``ids`` or leave their bounds.

    Parameters
    ----------
    fit
        The summary (:func:`load_fit`).
    fit_dir, problem_yaml
        Named in the message.
    ids, lb, ub
        The problem's estimated parameters and their bounds (linear).

    Raises
    ------
    JakstatInputError
        One line naming the parameter and what was expected.
    """
    best = fit["best_parameters"]
    for pid, low, high in zip(ids, lb, ub):
        if pid not in best:
            raise JakstatInputError(f"fit folder {str(fit_dir)!r} has no best value of "
                                    f"{pid!r}: expected a fit of {str(problem_yaml)!r}, "
                                    f"which estimates it")
        # a value at a bound of a log-scale parameter may differ from it in the last digit
        if not low - 1e-9 * abs(low) <= float(best[pid]) <= high + 1e-9 * abs(high):
            raise JakstatInputError(f"best value {best[pid]!r} of {pid!r} in fit folder "
                                    f"{str(fit_dir)!r} lies outside its bounds "
                                    f"[{low!r}, {high!r}]: expected a fit of "
                                    f"{str(problem_yaml)!r}")


def settings_of_fit(fit: dict, **changes: Any) -> FitSettings:
    """The :class:`FitSettings` stored in a fit summary, with ``changes`` applied."""
    stored = {k: v for k, v in fit.get("settings", {}).items()
              if k in FitSettings.__dataclass_fields__}
    settings = FitSettings(**{**stored, **changes})
    # a fit records resolved settings; fill what a hand-made summary may lack
    return replace(settings,
                   rtol=DEFAULT_RTOL if settings.rtol is None else settings.rtol,
                   atol=DEFAULT_ATOL if settings.atol is None else settings.atol,
                   tol=FD_TOL if settings.tol is None else settings.tol,
                   gradient="fd" if settings.gradient == AUTO else settings.gradient)


def read_optimize_result(fit_dir: str | os.PathLike) -> list[dict[str, Any]]:
    """The per-start records of ``optimize_result.tsv`` with pyPESTO's field names.

    Returns
    -------
    list of dict
        Sorted by ``fval``; ``x`` and ``x0`` as arrays over ``x_names`` of
        ``summary.json`` (PEtab scale), None where the start has none.

    Raises
    ------
    JakstatInputError
        If the file is missing or damaged.
    """
    path = _fit_file(fit_dir, "optimize_result.tsv", "a folder of 'jakstat calibrate' "
                     "(re-run its command to write the file)")
    try:
        table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
        out = []
        for row in table.to_dict("records"):
            rec: dict[str, Any] = dict(row)
            for key in ("x", "x0"):
                rec[key] = (None if not row[key] else np.array(
                    [np.nan if v is None else v for v in json.loads(row[key])], float))
            for key in ("fval", "fval0", "time"):
                rec[key] = float(row[key])
            for key in ("n_fval", "exitflag", "n_redraws"):
                rec[key] = int(row[key])
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
