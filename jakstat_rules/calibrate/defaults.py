"""The settings a fit runs with when the user leaves them to the program.

``jakstat calibrate`` with no flags measures the problem and chooses:

* **derivatives**: a difference quotient costs ``n + 1`` simulations of the
  problem (``n`` free parameters).  When that costs less than
  :data:`CHEAP_FD_SECONDS` the problem is small and finite differences are
  used (no AMICI build).  Otherwise, when AMICI is installed, the problem is
  built for forward sensitivities (once; cached on disk) and one exact
  derivative is timed: exact derivatives are used when they cost less than
  :data:`EXACT_PREFERENCE` times the difference quotient.  Below
  :data:`SMALL_FD_SECONDS` (a small problem whose starts take seconds) both
  are timed at the run's first :data:`ACCURACY_POINTS` starting points
  instead, where the fits begin, and exact derivatives are used only when
  they cost at most :data:`SMALL_EXACT_SHARE` of the difference quotients
  there (:func:`_choose_small`).  Each timing is the fastest of up to
  :data:`TIMING_REPEATS` repeats (:func:`_fastest`), so that other work on
  the machine does not flip the choice.  Measured on the PEtab benchmark collection and
  the Kirby problem (docs/benchmarks.md): on the smallest models (Bertozzi,
  Blasi, Crauste) finite differences find the best-known values at a fraction
  of a second per start; on Fiedler exact derivatives cost about half the
  difference quotients at the starting points and reach its best-known value where differences do
  not; on the Kirby problem an exact derivative costs a fraction of the 10
  simulations of a difference quotient.
* **tolerances**: with exact derivatives, integration at relative tolerance
  :data:`EXACT_RTOL` and absolute tolerance a thousandth of that times the
  median initial amount of the model's species (1e-6 molecules per cell on
  the Kirby model, whose amounts run from 1e2 to 1e5), and an optimiser
  tolerance :data:`EXACT_TOL`: the Kirby reference settings, 2.3x faster per
  start than 1e-8 with the same optimum.  These are checked first: at the
  run's first :data:`ACCURACY_POINTS` starting points the objective must agree
  with its value at the engine's tight tolerances (:data:`ACCURACY_ABS` plus
  :data:`ACCURACY_REL_STARTS` of its size); where it does not, the next of
  :data:`EXACT_RTOLS` is tried (and its derivative timed again against the
  difference quotient), and when none agrees finite differences are used.
  With finite differences the engine's tight defaults (1e-10), because looser
  ones make difference quotients noisy (Brannmark stopped early at 1e-8).
  The best fit is then re-evaluated at the tight tolerances and the
  difference reported (:func:`recheck`); a fit at looser tolerances also
  records each start's value at the tight ones (:func:`tight_value`).
* **workers**: the available cores, when the starts still to run are
  expected to take longer than :data:`PARALLEL_SECONDS` in one process (a
  local dask cluster costs a few seconds to start); else one.

Every choice is printed in one line, stored in the fit's settings, and
overridden by the corresponding option (``--gradient``, ``--rtol``,
``--atol``, ``--tol``, ``--workers``).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from jakstat_rules.engine import DEFAULT_ATOL, DEFAULT_RTOL
from jakstat_rules.errors import JakstatInputError, SimulationError
from jakstat_rules.io import read_run_record

from .compiled import CompiledProblem, get_compiled
from .design import DEFAULT_DESIGN, DESIGNS
from .objective import Objective
from ..petab_io import ProblemPayload

__all__ = ["AUTO", "Choice", "available_cores", "choose_settings", "choose_workers",
           "recheck", "tight_value", "tight_report", "EXACT_RTOL", "EXACT_RTOLS", "EXACT_TOL",
           "FD_TOL", "CHEAP_FD_SECONDS", "SMALL_FD_SECONDS", "SMALL_EXACT_SHARE",
           "PARALLEL_SECONDS", "ACCURACY_ABS", "ACCURACY_REL",
           "ACCURACY_REL_STARTS", "ACCURACY_POINTS"]

log = logging.getLogger("jakstat_rules")

#: Value of ``FitSettings.gradient`` (and ``--gradient``) that lets the program choose.
AUTO = "auto"
#: Integration tolerance with exact derivatives (relative).
EXACT_RTOL = 1e-6
#: Optimiser tolerance with exact derivatives.
EXACT_TOL = 1e-6
#: Optimiser tolerance with finite differences.
FD_TOL = 1e-8
#: A difference quotient cheaper than this (seconds) is not worth an AMICI build: a
#: start takes a fraction of a second (Bertozzi_PNAS2020: 0.007 s, Blasi_CellSystems2016:
#: 0.010 s, Crauste_CellSystems2017: 0.010-0.016 s at the centre of the box).
CHEAP_FD_SECONDS = 0.015
#: Below this (seconds for a difference quotient at the centre of the box) the two
#: derivatives are timed at the run's first starting points (:func:`_choose_small`).
SMALL_FD_SECONDS = 0.05
#: ... and exact derivatives are chosen there only when they cost at most this share of
#: the difference quotients, summed over those points.  On these small problems the fits
#: with finite differences (optimiser tolerance 1e-8) and with exact ones (1e-6) end in
#: different places, and where exact derivatives cost more at the starting points they
#: end higher (docs/benchmarks.md, "Derivatives of the small problems"):
#: Fiedler_BMCSystBiol2016 (exact 0.45-0.51 of the differences) reaches its best-known
#: value with exact derivatives from 110-134 starts in 157 s with two seeds and misses
#: it with differences (31-41 starts); Borghans_BiophysChem1997 (1.3-1.8) and
#: Crauste_CellSystems2017 (2.6-2.8: an exact derivative takes about a second at a
#: starting point where the sensitivities fail) end higher with exact derivatives
#: (Crauste 285.3 against 191.0); Bruno_JExpBot2016 (0.63-0.76) reaches its best-known
#: value either way.  (Ratios at 161d3c9; with the chain rule of e5ca5b6 one run gave
#: Fiedler 0.31, Bruno 0.53, Borghans 1.5: the same choices.)
SMALL_EXACT_SHARE = 0.75
#: Exact derivatives are chosen unless one costs this many times a difference quotient or
#: more: where the two timings are close, the machine's noise decided the choice, and
#: exact derivatives did better there (docs/benchmarks.md, "Near ties of the derivative
#: choice": Brannmark_JBC2010, 1.04 times, 18 starts against 6 in 162 s; Fujita_SciSignal2010,
#: 1.14 times, 911.36 against 2316.44).
EXACT_PREFERENCE = 1.25
#: Starts expected to take longer than this (seconds, one process) run on all cores.
PARALLEL_SECONDS = 60.0
#: Relative tolerances tried in turn for exact derivatives: the first whose values
#: agree with the engine's tight tolerances at the starting points
#: (:func:`_accurate_exact_tolerances`) is used, else finite differences.  At rtol 1e-6
#: Brannmark 2010's objective was 80x off at 1 of 12 starting points and 290 where the
#: tight value is 19,800 at a point a fit ended at (docs/benchmarks.md).
EXACT_RTOLS = (EXACT_RTOL, 1e-8)
#: Starting points of the run at which the accuracy is checked.
ACCURACY_POINTS = 5
#: Agreement asked of a start's final value at the fit's tolerances with its value at
#: the tight ones (``fval_tight``): this much absolute ...
ACCURACY_ABS = 0.1
#: ... plus this much of the value's size.
ACCURACY_REL = 1e-3
#: At starting points, far from any optimum (NLLs of 1e4-1e14), the check asks for
#: agreement to this share of the value (plus :data:`ACCURACY_ABS`): it catches the gross
#: errors seen at rtol 1e-6 (Brannmark 2010: 80x at one of its first five points; Weber
#: 2015: 28 %) and passes rtol 1e-8 on both (Brannmark: 9 % at an NLL of 4e9; Weber:
#: 0.35 % at 3e7).  At 1 % Brannmark fell to finite differences: 6 starts in 162 s
#: against 18 with exact derivatives at rtol 1e-8, whose fits then ended within 0.1 +
#: 1e-3 of their tight values at 17 of 21 starts (docs/benchmarks.md).
ACCURACY_REL_STARTS = 0.1
#: Evaluations of a typical local fit, for the time estimate of a start
#: (Kirby: 25-60 with exact derivatives; collection problems 20-100).
TYPICAL_ITERATIONS = 40


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@dataclass
class Choice:
    """What :func:`choose_settings` decided, and why.

    Attributes
    ----------
    settings
        The resolved settings (no ``auto`` left).
    notes
        One short phrase per automatic choice (and the species the
        simulations leave out, :mod:`jakstat_rules.pruning`), for the one-line report.
    gradient_seconds
        Measured (or estimated) time of one derivative with the chosen
        method, for the time estimate of a start.
    measured
        The measurements behind the choice (stored in ``summary.json``).
    """

    settings: Any
    notes: list[str]
    gradient_seconds: float
    measured: dict[str, Any]

    def line(self, workers: int, workers_note: str) -> str:
        """The one line printed before a fit starts."""
        s = self.settings
        grad = "exact derivatives (AMICI)" if s.gradient == "exact" else "finite differences"
        why = "; ".join(self.notes + ([workers_note] if workers_note else []))
        return (f"settings: {grad}, rtol {s.rtol:g}, atol {s.atol:g}, "
                f"optimizer {s.optimizer} (tol {s.tol:g}), "
                f"{workers} worker{'s' if workers != 1 else ''}"
                + (f" ({why})" if why else ""))


def _median_amount(cp: CompiledProblem) -> float:
    """Median positive initial amount of the model's species (1 if none)."""
    eng = cp.engine
    eng.reset()
    values = np.abs(np.asarray(eng.state, float))
    values = values[np.isfinite(values) & (values > 0)]
    return float(np.median(values)) if values.size else 1.0


#: A timing is repeated up to this many times (at least twice, until it has taken
#: TIMING_SECONDS) and the fastest repeat counts: other work on the machine only ever
#: adds time, and two repeats of one evaluation were seen to differ 2.3x between runs
#: (Fiedler 2016: a difference quotient timed at 0.026 s in one run and 0.061 s in the
#: next, which chose finite differences in one and exact derivatives in the other)
TIMING_REPEATS = 7
#: Seconds after which a timing stops repeating (once it has two repeats).
TIMING_SECONDS = 0.25


def _fastest(evaluate: Callable[[int], Any], at_least: int = 2) -> float:
    """Seconds of the fastest of :data:`TIMING_REPEATS` calls ``evaluate(k)`` (fewer,
    but at least ``at_least``, once they have taken :data:`TIMING_SECONDS`)."""
    times: list[float] = []
    while len(times) < TIMING_REPEATS and (len(times) < at_least
                                           or sum(times) < TIMING_SECONDS):
        t0 = time.perf_counter()
        evaluate(len(times))
        times.append(time.perf_counter() - t0)
    return min(times)


def _time_value(ob: Objective, x: np.ndarray) -> float:
    """Seconds of one objective value near ``x`` (points moved so no cache answers)."""
    ob.fval(x)  # first call: warm-up (pre-equilibration caches, memory)
    return _fastest(lambda k: ob.fval(x + 1e-4 * (k + 1)))


def _time_exact(cp: CompiledProblem, x: np.ndarray) -> float:
    """Seconds of one exact derivative (Jacobian, or gradient) near ``x``."""
    ob = Objective(cp, gradient="exact")
    take = ob.jacobian if ob.least_squares else ob.fval_and_gradient
    take(x)  # warm-up: loads the compiled module
    return _fastest(lambda k: take(x + 1e-4 * (k + 1)))


@contextlib.contextmanager
def _without_solver_logging():
    """No log records up to ERROR while the block runs: AMICI logs every failed
    simulation, and a timing or check at starting points meets failures by design (the
    value, or its failure, is what is measured).  What the solvers print to the
    terminal's descriptors goes to the run's solver log (:func:`~.multistart.calibrate`)."""
    previous = logging.root.manager.disable
    logging.disable(logging.ERROR)
    try:
        yield
    finally:
        logging.disable(previous)


def _time_at_starts(ob: Objective, exact: Objective, points: np.ndarray
                    ) -> tuple[list[float], list[float]]:
    """Seconds of a difference quotient (``n + 1`` values of ``ob``) and of one exact
    derivative of ``exact`` at each of ``points``, each the fastest of its repeats
    (one repeat where the first takes :data:`TIMING_SECONDS` or more).  A point where
    a simulation fails costs what the failure took: a fit pays that too."""
    n = len(ob.free_ids)
    take = exact.jacobian if exact.least_squares else exact.fval_and_gradient
    fd, ex = [], []
    with _without_solver_logging():
        take(points[0])  # warm-up: loads the compiled module
        for x in points:
            fd.append(_fastest(lambda k: ob.fval(x + 1e-4 * (k + 1)), at_least=1) * (n + 1))
            ex.append(_fastest(lambda k: take(x + 1e-4 * (k + 1)), at_least=1))
    return fd, ex


def _check_points(ob: Objective, settings: Any) -> np.ndarray:
    """The run's first :data:`ACCURACY_POINTS` starting points (its seed, number of
    starts and design), where the derivatives are timed and the tolerances checked."""
    from .design import starting_points

    n_starts = max(1, int(getattr(settings, "n_starts", ACCURACY_POINTS)))
    return starting_points(ob.lb, ob.ub, n_starts, int(getattr(settings, "seed", 0)),
                           getattr(settings, "design", "sobol"))[:ACCURACY_POINTS]


def stored_settings(out: Path, problem_hash: str) -> dict[str, Any] | None:
    """The settings of the fit already in ``out`` (same problem), or None.

    A resumed run keeps what its first invocation chose, so that timing
    noise cannot make two invocations of one command disagree.
    """
    try:
        stored = read_run_record(out)
    except JakstatInputError:
        return None  # the resume checks report it
    if stored is None or stored.get("problem_hash") != problem_hash:
        return None
    return stored


def stored_design(out: Path | None) -> str:
    """The design of starting points of the fit ``out`` holds, for a resume that names
    none: ``lhs`` for a run stored before the design was a setting,
    :data:`~.design.DEFAULT_DESIGN` where ``out`` holds no fit (a new run)."""
    try:
        stored = read_run_record(out) if out is not None else None
    except JakstatInputError:
        return DEFAULT_DESIGN  # the resume checks report the damaged run record
    if not isinstance(stored, dict) or stored.get("kind") != "fit":
        return DEFAULT_DESIGN
    design = stored.get("design", "lhs")
    if design not in DESIGNS:
        raise JakstatInputError(f"run record {str(Path(out) / 'run.json')!r} has design "
                                f"{design!r}: expected one of {list(DESIGNS)} (a damaged "
                                f"record; use another --out)")
    return design


def auto_optimizer(optimizer: str, gradient: str) -> str:
    """``optimizer`` with :data:`AUTO` resolved: Fides with exact derivatives, ``trf``
    otherwise (:func:`~jakstat_rules.calibrate.optimizers.resolved_optimizer`)."""
    if optimizer != AUTO:
        return optimizer
    return "fides" if gradient == "exact" else "trf"


def choose_settings(payload: ProblemPayload, settings: Any, out: Path | None = None
                    ) -> Choice:
    """Resolve the automatic fields of ``settings`` for ``payload``.

    Parameters
    ----------
    payload
        The problem.
    settings
        :class:`~jakstat_rules.calibrate.optimizers.FitSettings`; ``gradient ==
        "auto"`` and ``rtol``/``atol``/``tol`` of None are chosen here, and a
        ``design`` of None is :func:`stored_design`; any other value is kept.
    out
        The fit folder: a run already there keeps its earlier choices.

    Returns
    -------
    Choice
        The resolved settings with the reasons.
    """
    if getattr(settings, "design", DEFAULT_DESIGN) is None:
        settings = replace(settings, design=stored_design(out))
    previous = stored_settings(out, payload.hash) if out is not None else None
    if previous is not None:
        keep = {}
        for name in ("gradient", "optimizer", "rtol", "atol", "tol"):
            ours = getattr(settings, name)
            if (ours is None or ours == AUTO) and previous.get(name) not in (None, AUTO):
                keep[name] = previous[name]
        if keep:
            settings = replace(settings, **keep)
    notes: list[str] = []
    measured: dict[str, Any] = {}
    cp = get_compiled(payload, DEFAULT_RTOL, DEFAULT_ATOL)
    if cp.pruned:  # pruning.py: species no condition of the problem can make
        kept = len(cp.engine.species_ids)
        measured.update(species_simulated=kept, species_in_model=kept + len(cp.pruned))
        notes.append(f"{kept} of {kept + len(cp.pruned)} species simulated, the others zero "
                     f"in every condition")
    ob = Objective(cp, analytic=settings.analytic_scaling)
    x = (np.asarray(ob.lb, float) + np.asarray(ob.ub, float)) / 2
    n_free = len(ob.free_ids)
    try:
        t_value = _time_value(ob, x) if n_free else 0.0
    except SimulationError:
        t_value = math.nan
    fd_seconds = t_value * (n_free + 1)
    measured.update(seconds_per_value=t_value, free_parameters=n_free,
                    fd_gradient_seconds=fd_seconds)
    median = _median_amount(cp)
    auto_rtol, auto_atol = _exact_tolerances(EXACT_RTOL, median)
    exact_tolerances = (auto_rtol if settings.rtol is None else settings.rtol,
                        auto_atol if settings.atol is None else settings.atol)
    gradient, grad_seconds = settings.gradient, fd_seconds
    if gradient == AUTO:
        gradient, grad_seconds, why = _choose_gradient(payload, exact_tolerances, x,
                                                       fd_seconds, measured, ob, settings)
        notes.append(why)
    elif gradient == "exact":
        try:  # built here, once, before any worker
            get_compiled(payload, *exact_tolerances).sensitivities()
        except JakstatInputError as exc:
            log.warning("jakstat: exact derivatives unavailable, using finite differences: %s",
                        exc)
            gradient = "fd"
            notes.append("finite differences: exact derivatives unavailable")
    if gradient == "exact" and settings.rtol is None and settings.atol is None:
        accurate, why = _accurate_exact_tolerances(payload, settings, ob, median, measured)
        if settings.gradient == "exact" and accurate is None:  # asked for: the tightest tried
            accurate = _exact_tolerances(EXACT_RTOLS[-1], median)
            why = (f"exact derivatives as asked, at rtol {EXACT_RTOLS[-1]:g}, which still "
                   f"disagreed with the tight tolerances at starting points")
        elif (settings.gradient == AUTO and accurate is not None
              and accurate != exact_tolerances):  # tighter: costs more, so timed again
            try:
                grad_seconds = _time_exact(get_compiled(payload, *accurate), x)
            except (JakstatInputError, SimulationError):
                grad_seconds = math.inf
            measured["exact_gradient_seconds_tightened"] = grad_seconds
            if grad_seconds >= EXACT_PREFERENCE * fd_seconds:
                accurate = None
                why += (f"; there one exact derivative takes {grad_seconds:.3g} s against "
                        f"{fd_seconds:.3g} s: finite differences")
        if accurate is None:
            gradient, grad_seconds = "fd", fd_seconds
        else:
            exact_tolerances = accurate
        if why:
            notes.append(why)
    exact = gradient == "exact"
    rtol, atol, tol = settings.rtol, settings.atol, settings.tol
    if rtol is None:
        rtol = exact_tolerances[0] if exact else DEFAULT_RTOL
    if atol is None:
        atol = exact_tolerances[1] if exact else DEFAULT_ATOL
        measured["median_initial_amount"] = median
    if tol is None:
        tol = EXACT_TOL if exact else FD_TOL
    if (settings.rtol, settings.atol, settings.tol) == (None, None, None):
        notes.append("tolerances for " + ("exact derivatives" if exact
                                          else "difference quotients"))
    resolved = replace(settings, gradient=gradient,
                       optimizer=auto_optimizer(settings.optimizer, gradient),
                       rtol=float(rtol), atol=float(atol), tol=float(tol))
    return Choice(resolved, notes, grad_seconds, measured)


def _choose_gradient(payload: ProblemPayload, tolerances: tuple[float, float], x: np.ndarray,
                     fd_seconds: float, measured: dict[str, Any], ob: Objective,
                     settings: Any) -> tuple[str, float, str]:
    """Exact or finite differences, by what one derivative costs each way at ``x``: exact
    unless it costs :data:`EXACT_PREFERENCE` times a difference quotient or more; for a
    small problem by :func:`_choose_small`."""
    from .sensitivities import INSTALL_HINT, available

    if not math.isfinite(fd_seconds):
        return "fd", fd_seconds, "the first simulation failed: finite differences"
    if fd_seconds < CHEAP_FD_SECONDS:
        return "fd", fd_seconds, (f"a difference quotient takes {fd_seconds:.3g} s: "
                                  f"finite differences")
    if not available():
        return "fd", fd_seconds, f"finite differences: {INSTALL_HINT}"
    cp = get_compiled(payload, *tolerances)
    try:
        cp.sensitivities()  # the AMICI build (cached on disk)
        if fd_seconds < SMALL_FD_SECONDS:
            return _choose_small(ob, cp, settings, fd_seconds, measured)
        exact_seconds = _time_exact(cp, x)
    except (JakstatInputError, SimulationError) as exc:
        return "fd", fd_seconds, f"finite differences (exact derivatives unavailable: {exc})"
    measured["exact_gradient_seconds"] = exact_seconds
    if exact_seconds < EXACT_PREFERENCE * fd_seconds:
        return "exact", exact_seconds, (f"one exact derivative {exact_seconds:.3g} s against "
                                        f"{fd_seconds:.3g} s by finite differences")
    return "fd", fd_seconds, (f"a difference quotient {fd_seconds:.3g} s against "
                              f"{exact_seconds:.3g} s exact")


def _choose_small(ob: Objective, cp: CompiledProblem, settings: Any, fd_seconds: float,
                  measured: dict[str, Any]) -> tuple[str, float, str]:
    """The derivatives of a small problem: exact when one costs at most
    :data:`SMALL_EXACT_SHARE` of a difference quotient, both summed over the run's
    first starting points (:func:`_check_points`).  The centre of the box can mislead:
    on Crauste_CellSystems2017 an exact derivative there costs 0.8 times a difference
    quotient, and 2.6-2.8 times summed over its first five starting points, where the
    sensitivities of some fail after about a second each.
    """
    exact = Objective(cp, analytic=settings.analytic_scaling, gradient="exact")
    fd, ex = _time_at_starts(ob, exact, _check_points(ob, settings))
    measured.update(fd_gradient_seconds_at_starts=fd, exact_gradient_seconds_at_starts=ex)
    fd_sum, ex_sum = float(sum(fd)), float(sum(ex))
    where = f"at the first {len(fd)} starting points"
    if ex_sum <= SMALL_EXACT_SHARE * fd_sum:
        return "exact", ex_sum / len(ex), (f"{where} exact derivatives take {ex_sum:.3g} s "
                                           f"against {fd_sum:.3g} s by finite differences")
    return "fd", fd_seconds, (f"a difference quotient takes {fd_seconds:.3g} s; {where} "
                              f"{fd_sum:.3g} s against {ex_sum:.3g} s exact: finite "
                              f"differences")


def _exact_tolerances(rtol: float, median: float) -> tuple[float, float]:
    """Relative and absolute tolerance for exact derivatives at relative tolerance ``rtol``."""
    return rtol, min(rtol, 1e-3 * rtol * median)


def _disagreements(reference: list[float], values: list[float],
                   rel: float = ACCURACY_REL) -> int:
    """How many ``values`` differ from a finite ``reference`` value by more than
    :data:`ACCURACY_ABS` + ``rel`` times its size (or are not finite)."""
    return sum(1 for r, v in zip(reference, values) if math.isfinite(r) and not (
        math.isfinite(v) and abs(v - r) <= ACCURACY_ABS + rel * abs(r)))


def _accurate_exact_tolerances(payload: ProblemPayload, settings: Any, reference: Objective,
                               median: float, measured: dict[str, Any]
                               ) -> tuple[tuple[float, float] | None, str]:
    """The loosest of :data:`EXACT_RTOLS` at which the objective agrees with the
    engine's tight tolerances at the run's first :data:`ACCURACY_POINTS` starting
    points (None: none does), and a phrase for the settings line ('' when the first
    does).

    ``reference`` is the objective at the engine's tolerances (libroadrunner); the
    candidates are the values a fit with exact derivatives sees (AMICI).  A point
    where the reference fails is left out; a candidate that fails where the
    reference does not disagrees.  When the reference fails at every point nothing
    can be compared: the first tolerances are kept and the phrase says so.
    ``measured`` gets the reference values (``accuracy_reference``) and, per
    tolerance tried, its values, the points compared and those that disagree
    (``accuracy_check``).
    """
    points = _check_points(reference, settings)
    with _without_solver_logging():
        ref = [reference.fresh_fval(x) for x in points]
    measured["accuracy_reference"] = ref
    compared = sum(math.isfinite(r) for r in ref)
    if not compared:
        measured["accuracy_check"] = []
        return (_exact_tolerances(EXACT_RTOLS[0], median),
                f"rtol {EXACT_RTOLS[0]:g} not checked: the tight simulation fails at all "
                f"{len(points)} starting points")
    checked = []
    for rtol in EXACT_RTOLS:
        tolerances = _exact_tolerances(rtol, median)
        try:
            ob = Objective(get_compiled(payload, *tolerances),
                           analytic=settings.analytic_scaling, gradient="exact")
            with _without_solver_logging():
                values = [ob.fresh_fval(x) for x in points]
        except (JakstatInputError, SimulationError):
            values = [math.inf] * len(points)
        bad = _disagreements(ref, values, ACCURACY_REL_STARTS)
        checked.append({"rtol": rtol, "points": compared, "disagree": bad, "values": values})
        if not bad:
            measured["accuracy_check"] = checked
            return tolerances, ("" if rtol == EXACT_RTOLS[0] else
                                f"rtol {EXACT_RTOLS[0]:g} disagreed with the tight tolerances "
                                f"at starting points")
    measured["accuracy_check"] = checked
    return None, (f"finite differences: exact derivatives at rtol {EXACT_RTOLS[-1]:g} still "
                  f"disagreed with the tight tolerances at {checked[-1]['disagree']} of "
                  f"{compared} starting points")


def choose_workers(workers: int | None, n_tasks: int, seconds_per_task: float
                   ) -> tuple[int, str]:
    """Worker processes for ``n_tasks`` tasks of about ``seconds_per_task`` each.

    ``workers`` given: kept.  Else all available cores when the tasks would
    take longer than :data:`PARALLEL_SECONDS` in one process and there is
    more than one task, else 1.

    Returns
    -------
    tuple
        The number of workers and a short reason ('' when given).
    """
    if workers is not None:
        return int(workers), ""
    cores = available_cores()
    total = n_tasks * seconds_per_task
    if cores > 1 and n_tasks > 1 and math.isfinite(total) and total > PARALLEL_SECONDS:
        return min(cores, n_tasks), f"{cores} cores, about {total / 60:.0f} min of work"
    if cores > 1 and n_tasks > 1:
        return 1, f"about {total:.0f} s of work: one process"
    return 1, ""


def start_seconds(choice: Choice) -> float:
    """Expected seconds of one local fit (for the worker choice and estimates):
    :data:`TYPICAL_ITERATIONS` derivatives, or the fit's evaluation budget
    (``--max-evaluations``) when that is smaller."""
    return min(TYPICAL_ITERATIONS, choice.settings.max_nfev) * choice.gradient_seconds


def tight_value(payload: ProblemPayload, settings: Any, x: np.ndarray,
                fixed: dict[str, float] | None = None) -> float | None:
    """The objective at ``x`` at the engine's tight tolerances (``inf`` where that
    simulation fails), or None when ``settings`` already run at them."""
    if settings.rtol <= DEFAULT_RTOL and settings.atol <= DEFAULT_ATOL:
        return None
    ob = Objective(get_compiled(payload, DEFAULT_RTOL, DEFAULT_ATOL), fixed=fixed,
                   analytic=settings.analytic_scaling)
    return ob.fresh_fval(np.asarray(x, float))


def tight_report(pairs: list[tuple[float, float]]) -> dict[str, int]:
    """How the fit's values compare with the tight ones, over (fit value, tight value)
    pairs: ``checked``, ``off`` (beyond :data:`ACCURACY_ABS` + :data:`ACCURACY_REL` of
    the tight value) and ``failing`` (the tight simulation fails)."""
    finite = [(v, t) for v, t in pairs if math.isfinite(t)]
    return {"checked": len(pairs), "off": _disagreements([t for _, t in finite],
                                                         [v for v, _ in finite]),
            "failing": len(pairs) - len(finite)}


def recheck(payload: ProblemPayload, settings: Any, x: np.ndarray, fval: float,
            fixed: dict[str, float] | None = None, tight: float | None = None
            ) -> dict[str, Any] | None:
    """The best fit re-evaluated at the engine's tight tolerances.

    Only when the fit ran at looser tolerances than the engine's defaults;
    ``tight``, the value there when already known (a start's ``fval_tight``),
    is used instead of simulating again.

    Returns
    -------
    dict or None
        ``{"rtol", "atol", "fval", "difference"}`` (difference = tight minus
        fit), or None when the fit already ran at the tight tolerances.
    """
    if tight is None:
        tight = tight_value(payload, settings, x, fixed)
    if tight is None:
        return None
    return {"rtol": DEFAULT_RTOL, "atol": DEFAULT_ATOL, "fval": tight,
            "difference": tight - fval}
