"""Tests of jakstat_rules.calibrate.defaults (the settings a fit chooses itself) and of
the progress a fit shows (calibrate.parallel.ProgressDisplay)."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from petab.v1 import C

from jakstat_rules.calibrate import defaults, parallel
from jakstat_rules.calibrate.defaults import choose_settings, choose_workers
from jakstat_rules.calibrate.multistart import calibrate
from jakstat_rules.calibrate.optimizers import FitSettings
from jakstat_rules.petab_io import ProblemPayload, load_problem
from jakstat_rules.cli import main
from jakstat_rules.engine import DEFAULT_ATOL, DEFAULT_RTOL


def _payload(yaml):
    return ProblemPayload.from_problem(load_problem(yaml))


def test_small_problem_gets_finite_differences_at_tight_tolerances(exact_problem,
                                                                  monkeypatch):
    """The stand-in problem (two species) simulates in well under a millisecond: a
    difference quotient is cheap, so no AMICI build and the engine's tolerances."""
    def no_build(self):
        raise AssertionError("AMICI built for a problem below CHEAP_FD_SECONDS")

    monkeypatch.setattr(defaults.CompiledProblem, "sensitivities", no_build)
    choice = choose_settings(_payload(exact_problem), FitSettings())
    s = choice.settings
    assert (s.gradient, s.rtol, s.atol, s.tol) == ("fd", DEFAULT_RTOL, DEFAULT_ATOL,
                                                   defaults.FD_TOL)
    assert s.optimizer == "trf"  # --optimizer auto with finite differences
    assert choice.measured["free_parameters"] == 2  # k1, k2 (the scale is closed-form)
    assert choice.measured["fd_gradient_seconds"] < defaults.CHEAP_FD_SECONDS
    assert "finite differences" in choice.notes[0]


def test_explicit_settings_are_kept(exact_problem):
    choice = choose_settings(_payload(exact_problem),
                             FitSettings(gradient="fd", optimizer="fides", rtol=1e-7,
                                         atol=1e-9, tol=1e-5))
    assert (choice.settings.gradient, choice.settings.optimizer, choice.settings.rtol,
            choice.settings.atol, choice.settings.tol) == ("fd", "fides", 1e-7, 1e-9, 1e-5)
    assert choice.notes == []


def test_costly_difference_quotient_chooses_the_cheaper_derivative(exact_problem, monkeypatch):
    """Above the cheap threshold the measured costs decide, and the exact tolerances
    follow the model's amounts (atol = 1e-9 x median initial amount, at most 1e-6)."""
    payload = _payload(exact_problem)
    monkeypatch.setattr(defaults, "CHEAP_FD_SECONDS", 0.0)
    monkeypatch.setattr(defaults, "_time_value", lambda ob, x: 1.0)  # fd: 3 x 1 s
    monkeypatch.setattr("jakstat_rules.calibrate.sensitivities.available", lambda: True)
    monkeypatch.setattr(defaults.CompiledProblem, "sensitivities", lambda self: None)
    monkeypatch.setattr(defaults, "_time_exact", lambda cp, x: 0.5)
    monkeypatch.setattr(defaults, "_accurate_exact_tolerances",  # its own tests below
                        lambda payload, settings, ob, median, measured:
                        (defaults._exact_tolerances(defaults.EXACT_RTOL, median), ""))
    choice = choose_settings(payload, FitSettings())
    s = choice.settings
    # the stand-in's species start at A0 = 10 (a parameter sets it) and B = 0
    median = choice.measured["median_initial_amount"]
    assert median > 0
    assert (s.gradient, s.rtol, s.tol) == ("exact", defaults.EXACT_RTOL, defaults.EXACT_TOL)
    assert s.optimizer == "fides"  # --optimizer auto with exact derivatives
    assert s.atol == pytest.approx(min(1e-6, 1e-9 * median))
    assert "0.5 s against 3 s" in choice.notes[0]
    # a near tie goes to exact derivatives (EXACT_PREFERENCE = 1.25: up to 3.75 s here)
    monkeypatch.setattr(defaults, "_time_exact", lambda cp, x: 3.6)
    assert choose_settings(payload, FitSettings()).settings.gradient == "exact"
    monkeypatch.setattr(defaults, "_time_exact", lambda cp, x: 3.9)
    s = choose_settings(payload, FitSettings()).settings
    assert (s.gradient, s.optimizer) == ("fd", "trf")
    s = choose_settings(payload, FitSettings(optimizer="lbfgsb")).settings
    assert (s.gradient, s.optimizer) == ("fd", "lbfgsb")


def test_a_small_problem_compares_the_derivatives_at_its_starting_points(exact_problem,
                                                                         monkeypatch):
    """Between CHEAP_FD_SECONDS and SMALL_FD_SECONDS the two derivatives are timed at the
    run's first starting points (its seed and design), and exact derivatives need to cost
    at most SMALL_EXACT_SHARE of the difference quotients there."""
    from jakstat_rules.calibrate.design import starting_points

    payload = _payload(exact_problem)
    monkeypatch.setattr(defaults, "CHEAP_FD_SECONDS", 0.0)
    monkeypatch.setattr(defaults, "SMALL_FD_SECONDS", 1e9)
    monkeypatch.setattr("jakstat_rules.calibrate.sensitivities.available", lambda: True)
    monkeypatch.setattr(defaults.CompiledProblem, "sensitivities", lambda self: None)
    monkeypatch.setattr(defaults, "_accurate_exact_tolerances",
                        lambda payload, settings, ob, median, measured:
                        (defaults._exact_tolerances(defaults.EXACT_RTOL, median), ""))
    seen, share = [], {"exact": 0.0}

    def scripted(ob, exact, points):
        seen.append(np.array(points))
        return [2.0] * len(points), [2.0 * share["exact"]] * len(points)

    monkeypatch.setattr(defaults, "_time_at_starts", scripted)
    settings = FitSettings(n_starts=12, seed=4)
    for exact_share, expected in ((defaults.SMALL_EXACT_SHARE, "exact"),
                                  (1.01 * defaults.SMALL_EXACT_SHARE, "fd")):
        share["exact"] = exact_share
        choice = choose_settings(payload, settings)
        assert choice.settings.gradient == expected
        assert choice.measured["fd_gradient_seconds_at_starts"] == [2.0] * 5
    ob = defaults.Objective(defaults.get_compiled(payload, DEFAULT_RTOL, DEFAULT_ATOL))
    design = starting_points(ob.lb, ob.ub, 12, 4, "sobol")
    assert len(seen) == 2 and np.array_equal(seen[0], design[:defaults.ACCURACY_POINTS])
    assert "at the first 5 starting points" in choice.notes[0]


def test_the_choice_at_failing_starting_points_keeps_the_terminal_clean(tmp_path, capfd,
                                                                        monkeypatch):
    """dA/dt = k A^2 blows up before its last measurement for k > 0.1, as at some of the
    first starting points: timed there with real simulations (libroadrunner and AMICI),
    the choice's solver messages go to the run's solver.log, not to the terminal, and
    the choice follows the rule on the timings it records."""
    from test_calibrate_multistart import _blow_up_problem
    import json

    monkeypatch.setattr(defaults, "CHEAP_FD_SECONDS", 0.0)
    monkeypatch.setattr(defaults, "SMALL_FD_SECONDS", 1e9)
    problem = _blow_up_problem(tmp_path / "blow")
    capfd.readouterr()
    out = tmp_path / "fit"
    assert main(["calibrate", str(problem), "--out", str(out), "--starts", "6",
                 "--no-progress", "--no-polish"]) == 0
    terminal = capfd.readouterr()
    for needle in ("CVode", "CVODE", "cvodes", "FORWARD_FAILURE", "amici.sim"):
        assert needle not in terminal.out + terminal.err
    measured = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    fd = measured["choice"]["measured"]["fd_gradient_seconds_at_starts"]
    ex = measured["choice"]["measured"]["exact_gradient_seconds_at_starts"]
    assert len(fd) == len(ex) == 5 and min(fd + ex) > 0
    rule = "exact" if sum(ex) <= defaults.SMALL_EXACT_SHARE * sum(fd) else "fd"
    assert measured["settings"]["gradient"] == rule
    log = (out / "solver.log").read_text(encoding="utf-8")
    choice_part = log.split("choice of the settings", 1)[1]
    choice_part = choice_part.split("==== end of the choice", 1)[0]
    assert "CV_" in choice_part  # libroadrunner's CVODE at the failing starting points


def test_without_amici_the_line_names_the_install_command(exact_problem, monkeypatch):
    monkeypatch.setattr(defaults, "CHEAP_FD_SECONDS", 0.0)
    monkeypatch.setattr("jakstat_rules.calibrate.sensitivities.available", lambda: False)
    choice = choose_settings(_payload(exact_problem), FitSettings())
    assert choice.settings.gradient == "fd"
    assert "jakstat setup-gradients" in choice.notes[0]


def test_workers(monkeypatch):
    monkeypatch.setattr(defaults, "available_cores", lambda: 4)
    assert choose_workers(3, 10, 100.0) == (3, "")          # given: kept
    assert choose_workers(None, 10, 100.0)[0] == 4          # 1000 s of work: all cores
    assert choose_workers(None, 2, 100.0)[0] == 2           # not more than the tasks
    assert choose_workers(None, 10, 1.0)[0] == 1            # 10 s: one process
    assert choose_workers(None, 1, 1e6)[0] == 1             # one task
    monkeypatch.setattr(defaults, "available_cores", lambda: 1)
    assert choose_workers(None, 10, 100.0)[0] == 1


def test_a_start_s_time_estimate_follows_the_evaluation_budget(monkeypatch):
    """A start is expected to take TYPICAL_ITERATIONS derivatives, fewer when its budget
    (--max-evaluations) is smaller: 10 starts of 2 evaluations of 2 s each are 40 s of work
    (one process), not 800 s (all cores)."""
    from jakstat_rules.calibrate.defaults import TYPICAL_ITERATIONS, Choice, start_seconds
    from jakstat_rules.calibrate.optimizers import FitSettings

    assert start_seconds(Choice(FitSettings(), [], 2.0, {})) == TYPICAL_ITERATIONS * 2.0
    small = start_seconds(Choice(FitSettings(max_nfev=2), [], 2.0, {}))
    assert small == 4.0
    monkeypatch.setattr(defaults, "available_cores", lambda: 4)
    assert choose_workers(None, 10, small)[0] == 1
    assert choose_workers(None, 10, TYPICAL_ITERATIONS * 2.0)[0] == 4


def test_fit_records_its_choice_and_rechecks_the_best_at_tight_tolerances(exact_problem,
                                                                       tmp_path):
    """Noise-free data with a fixed sigma: at the optimum every residual is 0, so the
    NLL there is sum(log(2 pi sigma^2) / 2) -- the value the re-check must find."""
    summary = calibrate(exact_problem, tmp_path / "fit", n_starts=2, seed=0, progress=False,
                        plots=False, settings=FitSettings(rtol=1e-6, atol=1e-8))
    assert summary["settings"]["rtol"] == 1e-6 and summary["settings"]["gradient"] == "fd"
    assert summary["choice"]["measured"]["free_parameters"] == 2
    sigma = load_problem(exact_problem).measurement_df[C.NOISE_PARAMETERS].astype(float)
    optimum = float(np.sum(0.5 * np.log(2 * math.pi * sigma ** 2)))
    check = summary["recheck"]
    assert check["rtol"] == DEFAULT_RTOL and check["fval"] == pytest.approx(optimum, abs=1e-6)
    assert check["difference"] == pytest.approx(check["fval"] - summary["best_fval"])
    # a fit at the tight tolerances needs no re-check
    tight = calibrate(exact_problem, tmp_path / "tight", n_starts=1, seed=0, progress=False,
                      plots=False)
    assert tight["recheck"] is None


def test_resume_keeps_the_first_choice(exact_problem, tmp_path, monkeypatch):
    """The second invocation of one command resumes with what the first chose, even
    if its own measurement would choose otherwise."""
    out = tmp_path / "fit"
    calibrate(exact_problem, out, n_starts=2, seed=0, progress=False, plots=False,
              max_new_starts=1)
    monkeypatch.setattr(defaults, "CHEAP_FD_SECONDS", 0.0)
    monkeypatch.setattr("jakstat_rules.calibrate.sensitivities.available", lambda: False)
    summary = calibrate(exact_problem, out, n_starts=2, seed=0, progress=False, plots=False)
    assert summary["n_finished"] == 2 and summary["settings"]["tol"] == defaults.FD_TOL


def test_cli_prints_the_settings_line_and_plain_progress(exact_problem, tmp_path, capsys):
    """stderr is not a terminal here: plain lines, one per finished start."""
    assert main(["calibrate", str(exact_problem), "--starts", "3", "--out",
                 str(tmp_path / "fit")]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("jakstat: settings: finite differences, rtol 1e-10")
    finished = [line for line in err if " starts finished" in line]
    assert [line.split()[1] for line in finished] == ["1/3", "2/3", "3/3"]
    assert "best NLL" in finished[-1] and "converged 3" in finished[-1]
    assert not any("\r" in line for line in err)


def test_progress_within_a_start_reaches_the_display_from_dask_workers(exact_problem,
                                                                        tmp_path, capsys,
                                                                        monkeypatch):
    """Worker threads report evaluations and the best NLL of their running start as
    dask events; the display prints them (throttling off for the test)."""
    monkeypatch.setattr("jakstat_rules.calibrate.multistart.REPORT_INTERVAL", 0.0)
    monkeypatch.setattr(parallel, "PLAIN_INTERVAL", 0.0)
    calibrate(exact_problem, tmp_path / "fit", n_starts=2, seed=0, workers=2,
              processes=False, plots=False)
    running = [line for line in capsys.readouterr().err.splitlines()
               if line.startswith("jakstat: running start")]
    assert running, "no in-start progress line"
    assert any("evaluations, best" in line for line in running)


def test_display_plain_lines_and_time_left():
    stream = io.StringIO()
    display = parallel.ProgressDisplay(parallel.Progress("starts", 4, done=1, unit="start"),
                                       stream=stream)
    assert not display.terminal
    display.update({"task": 2, "evaluations": 7, "best": 12.5, "elapsed": 3.0})
    display.task_done(2)
    display.close()
    lines = stream.getvalue().splitlines()
    assert lines[0] == "jakstat: running start 2: 7 evaluations, best 12.5, 3 s"
    assert lines[1].startswith("jakstat: 2/4 starts finished; about ")
    assert lines[1].endswith(" left")


def test_setup_gradients_installs_from_the_packaged_list(capsys):
    """The requirement list travels inside the package (a wheel has no top-level
    files), and AMICI itself comes with --no-deps (PySB's sympy pin)."""
    from pathlib import Path

    assert main(["setup-gradients", "--dry-run"]) == 0
    lines = capsys.readouterr().err.splitlines()
    first, second = (line.split() for line in lines)
    listed = Path(first[first.index("-r") + 1])
    assert listed.is_file() and "jakstat_rules" in listed.parts
    assert "sympy>=1.12.1" in listed.read_text(encoding="utf-8")
    assert second[-2:] == ["--no-deps", "amici==1.0.1"]


@pytest.mark.parametrize("durations, repeats", [
    ([0.5, 0.1, 0.3, 0.4, 0.01, 0.01, 0.01], 4),   # stops once the repeats took 1 s
    ([0.01] * 10, 7),                              # fast: all seven repeats
    ([2.0, 3.0, 0.1], 2),                          # slow: never fewer than two
])
def test_a_timing_is_the_fastest_of_its_repeats(monkeypatch, durations, repeats):
    """A clock that moves by the given seconds during each timed call, and a budget of
    1 s: the timing repeats while fewer than 7 calls took less than 1 s in all (at
    least 2) and returns the fastest of them, so time other work took cannot flip a
    choice."""
    monkeypatch.setattr(defaults, "TIMING_SECONDS", 1.0)
    assert defaults.TIMING_REPEATS == 7
    clock = {"now": 0.0}
    monkeypatch.setattr(defaults.time, "perf_counter", lambda: clock["now"])
    calls = []

    def evaluate(k):
        calls.append(k)
        clock["now"] += durations[k]

    assert defaults._fastest(evaluate) == pytest.approx(min(durations[:repeats]), abs=1e-12)
    assert calls == list(range(repeats))


# -- the accuracy of the exact tolerances, checked at the run's starting points -----------

def test_exact_tolerances_are_tightened_where_they_disagree_with_the_tight_ones(
        exact_problem, monkeypatch):
    """With a first relative tolerance of 0.3 the AMICI values at the run's starting points
    are off by more than 0.1 + 1e-2 of their size against libroadrunner at 1e-12 (an
    independent reference); asked for that agreement, the check moves on to 1e-8, whose
    values agree."""
    from jakstat_rules.calibrate.compiled import get_compiled
    from jakstat_rules.calibrate.design import starting_points
    from jakstat_rules.calibrate.objective import Objective

    payload = _payload(exact_problem)
    settings = FitSettings(n_starts=8, seed=3)
    reference = Objective(get_compiled(payload, 1e-12, 1e-12))
    points = starting_points(reference.lb, reference.ub, 8, 3)[:defaults.ACCURACY_POINTS]
    loose = Objective(get_compiled(payload, 0.3, 0.3 * 1e-3 * 10.0), gradient="exact")
    off = [abs(loose.fval(x) - reference.fval(x)) / (0.1 + 1e-2 * abs(reference.fval(x)))
           for x in points]
    assert max(off) > 1.0  # the loose values really are off at some starting point
    monkeypatch.setattr(defaults, "EXACT_RTOLS", (0.3, 1e-8))
    monkeypatch.setattr(defaults, "ACCURACY_REL_STARTS", 1e-2)
    measured = {}
    ob = Objective(get_compiled(payload, DEFAULT_RTOL, DEFAULT_ATOL))
    tolerances, why = defaults._accurate_exact_tolerances(payload, settings, ob, 10.0,
                                                          measured)
    assert tolerances == (1e-8, 1e-8 * 1e-3 * 10.0)
    # the values compared are the objective at the run's own first starting points
    assert measured["accuracy_reference"] == pytest.approx(
        [reference.fval(x) for x in points], rel=1e-6)
    first, second = measured["accuracy_check"]
    assert first["rtol"] == 0.3 and first["disagree"] >= 1 and second["disagree"] == 0
    assert first["points"] == len(points) and "rtol 0.3 disagreed" in why
    tight = Objective(get_compiled(payload, *tolerances), gradient="exact")
    for x in points:
        assert tight.fval(x) == pytest.approx(reference.fval(x), rel=1e-2, abs=0.1)
    assert second["values"] == pytest.approx([tight.fval(x) for x in points], rel=1e-9)


def _scripted_choice(monkeypatch, accurate, exact_seconds_tight=0.5):
    monkeypatch.setattr(defaults, "CHEAP_FD_SECONDS", 0.0)
    monkeypatch.setattr(defaults, "_time_value", lambda ob, x: 1.0)  # fd: 3 x 1 s
    monkeypatch.setattr("jakstat_rules.calibrate.sensitivities.available", lambda: True)
    monkeypatch.setattr(defaults.CompiledProblem, "sensitivities", lambda self: None)
    times = iter([0.5, exact_seconds_tight])  # at rtol 1e-6, then at the tightened one
    monkeypatch.setattr(defaults, "_time_exact", lambda cp, x: next(times))
    monkeypatch.setattr(defaults, "_accurate_exact_tolerances",
                        lambda payload, settings, ob, median, measured: accurate)


def test_tightened_tolerances_are_timed_again_and_can_lose_to_differences(exact_problem,
                                                                          monkeypatch):
    payload = _payload(exact_problem)
    _scripted_choice(monkeypatch, ((1e-8, 1e-12), "rtol 1e-06 disagreed"))
    s = choose_settings(payload, FitSettings()).settings
    assert (s.gradient, s.rtol, s.atol, s.tol) == ("exact", 1e-8, 1e-12, defaults.EXACT_TOL)
    _scripted_choice(monkeypatch, ((1e-8, 1e-12), "rtol 1e-06 disagreed"),
                     exact_seconds_tight=5.0)
    choice = choose_settings(payload, FitSettings())
    assert (choice.settings.gradient, choice.settings.rtol) == ("fd", DEFAULT_RTOL)
    assert "5 s against 3 s: finite differences" in "; ".join(choice.notes)
    _scripted_choice(monkeypatch, ((1e-8, 1e-12), "rtol 1e-06 disagreed"),
                     exact_seconds_tight=3.6)          # within EXACT_PREFERENCE of 3 s
    assert choose_settings(payload, FitSettings()).settings.gradient == "exact"


def test_no_accurate_exact_tolerance_gives_differences_unless_exact_was_asked_for(
        exact_problem, monkeypatch):
    payload = _payload(exact_problem)
    _scripted_choice(monkeypatch, (None, "finite differences: still disagreed"))
    s = choose_settings(payload, FitSettings()).settings
    assert (s.gradient, s.rtol, s.atol, s.tol) == ("fd", DEFAULT_RTOL, DEFAULT_ATOL,
                                                   defaults.FD_TOL)
    choice = choose_settings(payload, FitSettings(gradient="exact"))
    assert (choice.settings.gradient, choice.settings.rtol) == ("exact", defaults.EXACT_RTOLS[-1])
    assert "as asked" in "; ".join(choice.notes)
    # asked for exact derivatives, a tightened tolerance is kept even where it costs more
    _scripted_choice(monkeypatch, ((1e-8, 1e-12), "rtol 1e-06 disagreed"),
                     exact_seconds_tight=5.0)
    choice = choose_settings(payload, FitSettings(gradient="exact"))
    assert (choice.settings.gradient, choice.settings.rtol) == ("exact", 1e-8)
    # tolerances given by the user are never second-guessed
    given = choose_settings(payload, FitSettings(gradient="exact", rtol=1e-6, atol=1e-9))
    assert (given.settings.rtol, given.settings.atol) == (1e-6, 1e-9)


def test_a_start_records_the_value_a_fresh_evaluation_reproduces(exact_problem):
    """In exact mode a value call right after a derivative at the same point reuses the
    sensitivity run, whose error control differs; the start's record must hold the value
    a new objective (a resumed run's) computes there, to the last bit."""
    from jakstat_rules.calibrate.compiled import get_compiled
    from jakstat_rules.calibrate.design import starting_points
    from jakstat_rules.calibrate.multistart import run_start
    from jakstat_rules.calibrate.objective import Objective

    payload = _payload(exact_problem)
    cp = get_compiled(payload, 1e-6, 1e-9)
    ob = Objective(cp, gradient="exact")
    x = starting_points(ob.lb, ob.ub, 1, 0)[0]
    fresh = ob.fval(x)
    ob.jacobian(x)
    assert ob.fval(x) != fresh  # the cached sensitivity run's value differs ...
    assert ob.fresh_fval(x) == fresh  # ... a fresh one does not
    settings = FitSettings(gradient="exact", rtol=1e-6, atol=1e-9, tol=1e-6, n_starts=1,
                           seed=0)
    rec = run_start(payload, settings, 0, x)
    assert rec.status == "ok"
    assert rec.fval == Objective(cp, gradient="exact").fval(np.asarray(rec.x, float))


def test_each_start_at_loose_tolerances_carries_its_tight_value(exact_problem, tmp_path,
                                                                caplog):
    """At rtol 1e-2 the fits end where the loose integration is off: every start records
    the NLL at its final point at tight tolerances (checked against libroadrunner at
    1e-12), the table and the summary carry it, and one warning counts the starts off."""
    import logging

    import pandas as pd

    from jakstat_rules.calibrate.compiled import get_compiled
    from jakstat_rules.calibrate.objective import Objective
    from jakstat_rules.calibrate.store import StartResult
    from jakstat_rules.io import read_record

    payload = _payload(exact_problem)
    out = tmp_path / "loose"
    with caplog.at_level(logging.WARNING, logger="jakstat_rules"):
        summary = calibrate(exact_problem, out, n_starts=4, seed=0, progress=False,
                            plots=False, settings=FitSettings(gradient="fd", rtol=1e-2,
                                                              atol=1e-4))
    reference = Objective(get_compiled(payload, 1e-12, 1e-12))
    records = [StartResult.from_dict(read_record(f))
               for f in sorted((out / "starts").glob("*.json"))]
    ok = [r for r in records if r.ok]
    assert ok
    off = 0
    for r in ok:
        truth = reference.fval(reference.x_from_parameters(r.parameters))
        assert r.fval_tight == pytest.approx(truth, rel=1e-6, abs=1e-6)
        off += abs(r.fval - truth) > defaults.ACCURACY_ABS + defaults.ACCURACY_REL * abs(truth)
    assert off >= 1
    assert summary["tight_values"] == {"checked": len(ok), "off": off, "failing": 0}
    assert f"at {off} of {len(ok)} starts' final points" in caplog.text
    table = pd.read_csv(out / "optimize_result.tsv", sep="\t")
    by_id = {int(i): v for i, v in zip(table["id"], table["fval_tight"])}
    assert all(by_id[r.start] == pytest.approx(r.fval_tight) for r in ok)
    # at the tight tolerances there is nothing to compare
    tight = calibrate(exact_problem, tmp_path / "tight", n_starts=1, seed=0, progress=False,
                      plots=False)
    assert tight["tight_values"] is None
    table = pd.read_csv(tmp_path / "tight" / "optimize_result.tsv", sep="\t")
    assert table["fval_tight"].isna().all()


def test_an_accuracy_check_with_nothing_to_compare_says_so(exact_problem):
    """Where the tight simulation fails at every starting point nothing can be compared:
    the first tolerances are kept and the phrase for the settings line says why."""
    import types

    payload = _payload(exact_problem)
    reference = types.SimpleNamespace(lb=np.array([-3.0, -3.0]), ub=np.array([1.0, 1.0]),
                                      fresh_fval=lambda x: math.inf)
    measured = {}
    tolerances, why = defaults._accurate_exact_tolerances(
        payload, FitSettings(n_starts=3, seed=0), reference, 10.0, measured)
    assert tolerances == defaults._exact_tolerances(defaults.EXACT_RTOLS[0], 10.0)
    assert "not checked" in why and "all 3 starting points" in why
    assert measured["accuracy_check"] == [] and measured["accuracy_reference"] == [math.inf] * 3
