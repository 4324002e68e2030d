"""Multistart local optimisation of a PEtab problem.

Starting points are a Latin hypercube on the parameters' PEtab scale (log10
for rate constants), seeded, so a run is reproducible.  Each start is a local
optimisation (:mod:`.optimizers`).

Starts run in-process (``workers=1``), on a dask.distributed
``LocalCluster`` (``workers=K``) or on an existing cluster (``scheduler``),
see :mod:`.parallel`.
Each finished start is written atomically to ``OUT/starts/start_NNNN.json``
as it arrives, and ``summary.json`` is brought up to date; running the same
command again skips finished starts, so a killed run loses only the starts
in flight (the folder, its identity and resume checks: :mod:`.store`).

Long runs:

* a run whose every start failed ends with an error naming start 0's reason;
* a start whose first simulation fails is redrawn from a sequence seeded by
  (seed, start index) and counted (``redraws``), so a run ends with the
  number of starts asked for;
* solver output goes to ``OUT/solver.log`` (:func:`.parallel.solver_log`);
* ``wall_time_s`` in ``summary.json`` is the sum over invocations.

The result files: :mod:`.results`.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np

from jakstat_rules.engine import DEFAULT_ATOL, DEFAULT_RTOL
from jakstat_rules.errors import JakstatInputError, SimulationError
from jakstat_rules.io import status, write_record

from .defaults import (ACCURACY_ABS, ACCURACY_REL, choose_settings, choose_workers,
                       recheck, start_seconds, tight_report, tight_value)
from . import racing
from .compiled import get_compiled
from .design import redraw_points, starting_points
from .objective import Objective
from .optimizers import (POLISH_FTOL, STALL_DROP, FitSettings, local_fit_until,
                         polish_optimizer, resolved_optimizer)
from .parallel import (REPORT_INTERVAL, SOLVER_LOG, Progress, check_scheduler, local_cluster,
                       report_progress, run_tasks, solver_log)
from ..petab_io import ProblemPayload, load_problem
from .results import CONVERGENCE_TOL, write_fit_outputs
from .store import (StartResult, add_new_settings, adopt_earlier_run, check_resume,
                    claim_and_lock, earlier_invocations, load_records, remove_temporaries,
                    run_identity, verify_records)

__all__ = ["starting_points", "redraw_points", "run_start", "calibrate"]

log = logging.getLogger("jakstat_rules")


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


#: Share of ``--max-time`` for the starts (without the polish: :data:`REFILL_SHARE`);
#: then the polish, which may take the rest (on Brannmark_JBC2010 the best start's polish
#: used all 40 s it had of a 162 s budget: docs/benchmarks.md).
STARTS_SHARE = 0.75

#: With ``--max-time``, one start may run at most this share of the starts' time
#: (``--start-time-share``; 0, the default: no cap): a start still running then ends at
#: its lowest value, as at the time limit, and the polish may continue it if it is the
#: best.  Meant for problems where a few slow starts hold the workers for most of the
#: budget (Weber_BMC2015: start 1 ran 864 evaluations, 108 s of a 122 s starts' phase).
#: Not the default: on four problems at 162 s (docs/benchmarks.md, "A cap on one start's
#: time") a cap of 0.25 finished more starts (Weber 11 against 5, Fujita 18 against 12)
#: but reached no better value.
START_TIME_SHARE = 0.0

#: The time the polish leaves goes to more starts until this share of ``--max-time``;
#: a new best start among them is polished in what remains.
REFILL_SHARE = 0.95

#: Rounds of the polish at most (each: the other optimiser, then the fit's own).
POLISH_ROUNDS = 5

#: The optimiser's tolerance (``--tol``) in the polish's last round, at the engine's
#: tight integration tolerances (:func:`_polish_tight`).
TIGHT_POLISH_TOL = 1e-8


def run_start(payload: ProblemPayload, settings: FitSettings, start: int,
              x0: np.ndarray, fixed: dict[str, float] | None = None,
              deadline: float | None = None,
              max_seconds: float | None = None) -> StartResult | None:
    """Run one local optimisation; never raises for simulation failures.

    When the objective cannot be evaluated at ``x0`` (a failed simulation
    or a non-finite value), the point is replaced by the next point of
    :func:`redraw_points` (``settings.seed``, ``start``), at most
    ``settings.max_redraws`` times; the rejected points are recorded.

    Parameters
    ----------
    payload
        The problem; it is compiled once per worker process and reused.
    settings
        The fit's settings (resolved by :func:`~.defaults.choose_settings`).
    start
        Start index (recorded).
    x0
        Starting point on the PEtab scale of the free parameters.
    fixed
        Estimated parameters held fixed (id -> linear value).
    deadline
        The starts' time limit (``time.time()``, so that every worker
        process reads the same clock): a start that would begin after it is
        not run, and one running at it stops there, at the lowest value it
        evaluated (:func:`~.optimizers.local_fit_until`).
    max_seconds
        The start's own time cap (with ``deadline``: ``--start-time-share``),
        counted once its starting point is evaluated: it ends there the same way, at the
        lowest value it evaluated, unless ``deadline`` comes first.

    Returns
    -------
    StartResult or None
        The record; failures carry ``status="failed"`` and a ``reason``.
        None when the start was not run (``deadline`` passed).
    """
    if deadline is not None and time.time() >= deadline:
        return None
    t0 = time.perf_counter()
    rec = StartResult(start=int(start), x0=[float(v) for v in x0])
    try:
        cp = get_compiled(payload, settings.rtol, settings.atol)
        ob = Objective(cp, fixed=fixed, analytic=settings.analytic_scaling,
                       gradient=settings.gradient)
        ob.monitor = StartMonitor(start, t0)
        x0 = np.asarray(x0, float)
        points = None
        f0, why = _first_value(ob, x0)
        while not math.isfinite(f0):
            rec.rejected.append({"x0": [float(v) for v in x0], "reason": why})
            if len(rec.rejected) > int(settings.max_redraws):
                break
            if points is None:
                points = redraw_points(ob.lb, ob.ub, settings.seed, start)
            x0 = next(points)
            f0, why = _first_value(ob, x0)
        if not math.isfinite(f0):
            n = len(rec.rejected)
            rec.reason = (rec.rejected[0]["reason"] if n == 1 else
                          f"no starting point could be evaluated (the design point and "
                          f"{n - 1} redrawn); first: {rec.rejected[0]['reason']}")
        else:
            rec.x0, rec.fval0 = [float(v) for v in x0], f0
            until, limit = deadline, None
            cap = None if max_seconds is None else time.time() + max_seconds
            if cap is not None and deadline is not None and cap < deadline:
                until = cap
                limit = f"its share of the time ({max_seconds:.0f} s, --start-time-share)"
            fit = local_fit_until(ob, x0, settings, until, limit=limit)
            rec.x = [float(v) for v in fit.x]
            rec.n_fev, rec.message, rec.exitflag = fit.n_fev, fit.message, fit.exitflag
            rec.budget_exhausted = bool(fit.budget_exhausted)
            rec.fval = ob.fresh_fval(fit.x)
            if math.isfinite(rec.fval):
                rec.parameters = ob.full_parameters(fit.x)
                rec.status = "ok"
                if not fit.time_limited or (limit and time.time() < deadline):
                    # past --max-time nothing more is simulated
                    with contextlib.suppress(JakstatInputError, SimulationError):
                        rec.fval_tight = tight_value(payload, settings, fit.x, fixed)
            else:
                rec.reason = "simulation failed at the optimiser's result"
    except SimulationError as exc:
        rec.reason = f"simulation failed: {exc}"
    except Exception as exc:  # recorded, the run goes on
        rec.reason = f"{type(exc).__name__}: {exc}"
    rec.time_s = time.perf_counter() - t0
    return rec


def calibrate(problem_yaml: str | os.PathLike, out_dir: str | os.PathLike, *,
              n_starts: int = 50, seed: int = 0, workers: int | None = None,
              scheduler: str | None = None, processes: bool = True,
              progress: bool = True, max_new_starts: int | None = None,
              max_time: float | None = None,
              start_time_share: float = START_TIME_SHARE,
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
    max_time
        Seconds of wall time for this call, reading the problem included.
        The starts get the first :data:`STARTS_SHARE` of it (:data:`REFILL_SHARE`
        without the polish): no start begins after that, and the starts running
        then stop at the lowest value they evaluated (recorded as finished,
        their message says so).  The polish may take the rest and stops at
        ``max_time`` the same way; the time it leaves before
        :data:`REFILL_SHARE` goes to more starts (stopped the same way there),
        and a new best start among them is polished in what remains.  Then the
        outputs are written.  The next call resumes with the starts not run.
    start_time_share
        With ``max_time``: one start runs at most this share of the starts'
        time (:data:`STARTS_SHARE` of ``max_time``), then ends at its lowest
        value the same way; 0: no cap (:data:`START_TIME_SHARE`).
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
    for flag, value in (("--max-new-starts", max_new_starts), ("--max-time", max_time)):
        if value is not None and settings.strategy == "race":
            raise JakstatInputError(
                f"{flag} {value}: expected it with --strategy multistart only (a race runs "
                f"in rounds; stop it and run the same command again to resume)")
    if max_time is not None and not (math.isfinite(float(max_time)) and float(max_time) > 0):
        raise JakstatInputError(f"max_time {max_time!r}: expected a number of seconds > 0")
    if not 0.0 <= float(start_time_share) <= 1.0:
        raise JakstatInputError(f"start_time_share {start_time_share!r}: expected a share "
                                f"of the starts' time between 0 (no cap) and 1")
    t_wall = time.time()
    deadline = None if max_time is None else t_wall + float(max_time)
    # without the polish the starts get the time it would have had
    starts_share = STARTS_SHARE if settings.polish else REFILL_SHARE
    starts_deadline = None if max_time is None else t_wall + starts_share * float(max_time)
    refill_deadline = None if max_time is None else t_wall + REFILL_SHARE * float(max_time)
    start_cap = (float(start_time_share) * starts_share * float(max_time)
                 if max_time is not None and float(start_time_share) > 0 else None)
    problem = load_problem(problem_yaml)
    payload = ProblemPayload.from_problem(problem)
    if scheduler is not None:
        check_scheduler(scheduler)
    out = Path(out_dir)
    # what the solvers print while the settings are timed and checked (failures at
    # starting points) goes to the run's solver log, not the terminal; the run's folder
    # is claimed only once the settings are known, so it is held here until then
    with tempfile.TemporaryDirectory(prefix="jakstat-choice-") as tmp:
        with solver_log(Path(tmp) / SOLVER_LOG, "choice of the settings"):
            choice = choose_settings(payload, settings, out)
        choice_log = (Path(tmp) / SOLVER_LOG).read_text(encoding="utf-8", errors="replace")
    settings = choice.settings
    cp = get_compiled(payload, settings.rtol, settings.atol)
    identity = run_identity(payload.hash, settings)
    earlier = check_resume(out, identity)
    ob = Objective(cp, analytic=settings.analytic_scaling, gradient=settings.gradient)
    design = starting_points(ob.lb, ob.ub, settings.n_starts, settings.seed, settings.design)
    with contextlib.ExitStack() as stack:
        claim_and_lock(out, "fit", identity, stack, prepare=(
            (lambda: adopt_earlier_run(out, identity, design)) if earlier
            else (lambda: add_new_settings(out, identity))))
        log_path = stack.enter_context(solver_log(out / SOLVER_LOG,
                                                  f"jakstat calibrate {problem_yaml}"))
        with open(log_path, "a", encoding="utf-8") as log_file:
            log_file.write(choice_log + "==== end of the choice of the settings\n")
        start_dir = out / "starts"
        start_dir.mkdir(exist_ok=True)
        remove_temporaries(out)
        remove_temporaries(start_dir)
        records = verify_records(ob, load_records(start_dir, identity, design), start_dir)
        invocations = earlier_invocations(out)
        this = {"started": time.strftime("%Y-%m-%dT%H:%M:%S"), "wall_time_s": 0.0,
                "new_starts": 0}
        invocations.append(this)
        todo = [i for i in range(settings.n_starts) if i not in records]
        if max_new_starts is not None:
            todo = todo[: int(max_new_starts)]
        race = settings.strategy == "race"
        n_tasks = len(todo)
        if race:  # tasks left while a round is to run, even with a record for every start
            n_tasks = settings.n_starts if racing.next_round(records, settings, len(ob.lb)) else 0
        if scheduler is None:
            workers, why = choose_workers(workers, n_tasks, start_seconds(choice))
        else:
            why = f"dask scheduler {scheduler}"
        if n_tasks:
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
            this["new_starts"] += rec.start not in records
            records[rec.start] = rec
            write_outputs(final=False)

        def postfix() -> dict:
            fvals = [r.fval for r in records.values() if r.ok]
            best = min(fvals, default=math.inf)
            return {"best NLL": f"{best:.6g}",
                    "converged": sum(f <= best + CONVERGENCE_TOL for f in fvals),
                    "failed": sum(not r.ok for r in records.values())}

        def run(tasks: list[tuple], bar: Progress, receive: Any,
                address: str | None = None) -> None:
            run_tasks(run_start, payload, tasks, receive, workers=workers,
                      scheduler=address or scheduler, processes=processes,
                      progress=bar if progress else None, key=lambda task: task[1])

        try:
            if race:
                with contextlib.ExitStack() as rounds:
                    # one local cluster for all rounds: its workers keep the compiled problem
                    address = (rounds.enter_context(local_cluster(workers, processes))
                               if scheduler is None and workers > 1 and n_tasks else None)
                    extra["race"] = _race(settings, design, len(ob.lb), records,
                                          lambda *a: run(*a, address), on_result, postfix,
                                          start_dir)
            else:
                with contextlib.ExitStack() as phases:
                    # with a time limit and the polish: the starts, the polish, then more
                    # starts in the time the polish leaves (one local cluster for both)
                    refill = deadline is not None and settings.polish
                    address = (phases.enter_context(local_cluster(workers, processes))
                               if refill and scheduler is None and workers > 1 and todo
                               else None)

                    def starts(tasks: list[int], until: float | None) -> None:
                        bar = Progress("starts", settings.n_starts, unit="start",
                                       postfix=postfix,
                                       done=sum(i in records for i in range(settings.n_starts)))
                        run([(settings, i, design[i], None, until, start_cap)
                             for i in tasks], bar, on_result, address)

                    starts(todo, starts_deadline)
                    if refill:
                        extra["polish"] = _polish_best(settings, ob, records, start_dir,
                                                       deadline)
                        left = [i for i in todo if i not in records]
                        if left and time.time() < refill_deadline:
                            status("%.0f s left before %.0f %% of --max-time: more starts",
                                   refill_deadline - time.time(), 100 * REFILL_SHARE)
                            starts(left, refill_deadline)
                if deadline is not None and len(todo) > this["new_starts"]:
                    this["stopped"] = f"time limit of {float(max_time):g} s"
                    status("time limit of %g s reached: %d of %d starts not run (run the same "
                           "command again to resume)", float(max_time),
                           len(todo) - this["new_starts"], settings.n_starts)
        except BaseException:
            with contextlib.suppress(Exception):  # keep this invocation's wall time
                write_outputs(final=False)
            raise
        if settings.polish:  # a new best start of the second phase, or the first polish
            last = _polish_best(settings, ob, records, start_dir, deadline)
            extra["polish"] = last if last is not None else extra.get("polish")
        extra["recheck"] = _recheck_best(payload, settings, ob, records)
        extra["tight_values"] = _report_tight(settings, records)
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


def _race(settings: FitSettings, design: np.ndarray, n_free: int,
          records: dict[int, StartResult], run: Any, on_result: Any, postfix: Any,
          start_dir: Path) -> dict[str, Any]:
    """Run the rounds of ``--strategy race`` (:mod:`.racing`) still to run; returns what
    the summary records of them."""
    status(racing.describe(settings, n_free))
    while (rnd := racing.next_round(records, settings, n_free)) is not None:
        for rec in racing.mark_abandoned(records, rnd):
            write_record(start_dir / f"start_{rec.start:04d}.json", rec.to_dict())
        status("race round %d: %d start%s, %s", rnd.index, len(rnd.starts),
               "" if len(rnd.starts) == 1 else "s",
               "to convergence" if rnd.final else f"{rnd.budget} evaluations each")
        bar = Progress(f"round {rnd.index}", len(rnd.starts), unit="start", postfix=postfix,
                       done=len(rnd.starts) - len(rnd.todo))

        def receive(rec: StartResult, rnd: racing.Round = rnd) -> None:
            on_result(racing.merge_round(records.get(rec.start), rec, rnd))

        run(racing.round_tasks(rnd, records, settings, design), bar, receive)
    return racing.summary(records, settings, n_free)


def _polish_best(settings: FitSettings, ob: Objective, records: dict[int, StartResult],
                 start_dir: Path, deadline: float | None = None) -> dict[str, Any] | None:
    """Continue the best start (``settings.polish``) until ``deadline`` (``time.time()``,
    None: no limit): rounds of the other optimiser (:func:`~.optimizers.polish_optimizer`)
    and then the fit's own, each from the lowest point so far, ``trf`` with the tighter
    ``ftol`` :data:`~.optimizers.POLISH_FTOL` (or ``settings.tol`` if that is lower),
    while a round lowers the NLL by :data:`~.optimizers.STALL_DROP` or more (at most
    :data:`POLISH_ROUNDS` per call).  Its record keeps the lower result and says so under
    ``polished`` (each run under ``rounds``).  A start polished by an earlier invocation
    is not polished again, unless that polish was stopped at its time limit
    (``polished["stopped"]``): then it goes on from there.  Nothing is done once
    ``deadline`` has passed.  Returns the best start's polish record, or None.
    """
    ok = [r for r in records.values() if r.ok and r.x is not None]
    if not ok:
        return None
    best = min(ok, key=lambda r: r.fval)
    past = deadline is not None and time.time() >= deadline
    if (best.polished is None or best.polished.get("stopped")) and not past:
        order = [polish_optimizer(settings), resolved_optimizer(settings)]
        status("polishing the best start (%d, NLL %.6g) with %s ...", best.start, best.fval,
               " and ".join(order))
        t0 = time.perf_counter()
        earlier = best.polished or {}
        polished: dict[str, Any] = {
            "optimizer": ", ".join(order), "fval_before": earlier.get("fval_before", best.fval),
            "n_fev": int(earlier.get("n_fev", 0)), "rounds": list(earlier.get("rounds", []))}
        x, fval, stopped = np.asarray(best.x, float), float(best.fval), False
        for _ in range(POLISH_ROUNDS):
            before = fval
            for optimizer in order:
                try:
                    fit = local_fit_until(ob, x, replace(settings, optimizer=optimizer), deadline,
                                          ftol=min(POLISH_FTOL, settings.tol))  # trf's only
                    f, n, message, stopped = (ob.fresh_fval(fit.x), int(fit.n_fev), fit.message,
                                              fit.time_limited)
                except SimulationError as exc:
                    f, n, message = math.inf, 0, f"simulation failed: {exc}"
                polished["n_fev"] += n
                polished["message"] = message
                polished["rounds"].append({"optimizer": optimizer, "n_fev": n, "message": message,
                                           "fval": f if math.isfinite(f) else None})
                if math.isfinite(f) and f < fval:
                    x, fval = np.asarray(fit.x, float), float(f)
                if stopped:
                    break
            if stopped or before - fval < STALL_DROP:
                break
        if not stopped:
            x, fval, stopped = _polish_tight(settings, ob, x, fval, deadline, polished)
        polished["stopped"] = stopped
        if fval < best.fval:
            best.x, best.fval = [float(v) for v in x], fval
            best.parameters = ob.full_parameters(x)
            best.fval_tight = None
            if not stopped:
                with contextlib.suppress(JakstatInputError, SimulationError):
                    best.fval_tight = tight_value(ob.cp.payload, settings, x, ob.fixed)
        polished.update(fval=best.fval,
                        time_s=float(earlier.get("time_s", 0.0)) + time.perf_counter() - t0)
        best.polished = polished
        write_record(start_dir / f"start_{best.start:04d}.json", best.to_dict())
    return {"start": best.start, **best.polished} if best.polished is not None else None


def _polish_tight(settings: FitSettings, ob: Objective, x: np.ndarray, fval: float,
                  deadline: float | None, polished: dict[str, Any]
                  ) -> tuple[np.ndarray, float, bool]:
    """The polish's last round with exact derivatives at looser integration tolerances
    than the engine's: the fit's optimiser from ``x`` on the objective at the engine's
    tight tolerances (rtol = atol = 1e-10) with :data:`TIGHT_POLISH_TOL`.

    Near an optimum the loose tolerances' errors in the sensitivities can stop both
    optimisers short of it (Lucarelli_CellSystems2018: the rounds at rtol 1e-6 end at
    1681.709, 0.103 above the best-known value, and this round goes on to 1681.703:
    docs/benchmarks.md).  The result is compared at the fit's
    tolerances and kept if it is lower; the round goes to ``polished["rounds"]``.
    Returns the lowest point, its value and whether the round stopped at ``deadline``.
    """
    if settings.gradient != "exact" or (settings.rtol <= DEFAULT_RTOL
                                        and settings.atol <= DEFAULT_ATOL):
        return x, fval, False
    if deadline is not None and time.time() >= deadline:
        return x, fval, True
    optimizer = resolved_optimizer(settings)
    tight = replace(settings, optimizer=optimizer, rtol=DEFAULT_RTOL, atol=DEFAULT_ATOL,
                    tol=min(float(settings.tol), TIGHT_POLISH_TOL))
    stopped = False
    try:
        tob = Objective(get_compiled(ob.cp.payload, DEFAULT_RTOL, DEFAULT_ATOL), fixed=ob.fixed,
                        analytic=settings.analytic_scaling, gradient="exact")
        fit = local_fit_until(tob, x, tight, deadline, ftol=min(POLISH_FTOL, tight.tol))
        f, n, message, stopped = (ob.fresh_fval(fit.x), int(fit.n_fev), fit.message,
                                  fit.time_limited)
    except (JakstatInputError, SimulationError) as exc:
        f, n, message = math.inf, 0, f"failed: {exc}"
    polished["n_fev"] += n
    polished["message"] = message
    polished["rounds"].append({"optimizer": f"{optimizer} at rtol {DEFAULT_RTOL:g}, atol "
                                            f"{DEFAULT_ATOL:g}",
                               "n_fev": n, "message": message,
                               "fval": f if math.isfinite(f) else None})
    if math.isfinite(f) and f < fval:
        return np.asarray(fit.x, float), float(f), stopped
    return x, fval, stopped


def _report_tight(settings: FitSettings, records: dict[int, StartResult]
                  ) -> dict[str, int] | None:
    """How many starts' values the tight tolerances move (:func:`~.defaults.tight_report`),
    with a warning naming them when any does; None when the fit ran at the tight ones."""
    pairs = [(r.fval, r.fval_tight) for r in records.values()
             if r.ok and r.fval_tight is not None]
    if not pairs:
        return None
    report = tight_report(pairs)
    if report["off"] or report["failing"]:
        log.warning("jakstat: at %d of %d starts' final points the NLL at rtol = atol = %g "
                    "differs from the fit's (rtol %g, atol %g) by more than %g + %g of it, and "
                    "at %d the tight simulation fails: those values are the loose "
                    "integration's (optimize_result.tsv: fval against fval_tight); "
                    "re-run with tighter --rtol/--atol into another --out to fit on the "
                    "tight values", report["off"], report["checked"], DEFAULT_RTOL,
                    settings.rtol, settings.atol, ACCURACY_ABS, ACCURACY_REL,
                    report["failing"])
    return report


def _recheck_best(payload: ProblemPayload, settings: FitSettings, ob: Objective,
                  records: dict[int, StartResult]) -> dict[str, Any] | None:
    """Re-evaluate the best fit at the engine's tight tolerances and say so in one line
    (a warning when the difference would change which starts count as converged)."""
    ok = [r for r in records.values() if r.ok and r.parameters]
    if not ok:
        return None
    best = min(ok, key=lambda r: r.fval)
    try:
        result = recheck(payload, settings, ob.x_from_parameters(best.parameters), best.fval,
                         tight=best.fval_tight)
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
