"""``jakstat calibrate --max-time``: a run that must end within a wall-time budget.

No start begins after three quarters of the limit; the starts running then
stop, the best start is polished, the time the polish leaves goes to more
starts, the outputs are written, and the next call resumes with the starts
not run.  The references are the Latin-hypercube design
itself (which points ran), the records on disk and an uninterrupted run of
the same problem.
"""

from __future__ import annotations

import json
import logging
import time
import types

from jakstat_rules.calibrate import multistart
from jakstat_rules.calibrate.multistart import calibrate
from jakstat_rules.cli import main
from test_calibrate_cli import one_error_line


class _Clock:
    """``time`` for the calibrator's module whose wall clock (``time.time``) moves on by
    ``step`` seconds at every reading; its other functions are the real ones."""

    def __init__(self, step: float) -> None:
        self.now, self.step = time.time(), step

    def __getattr__(self, name):
        return getattr(time, name)

    def time(self) -> float:
        self.now += self.step
        return self.now


class _FitClock:
    """``time`` for the calibrator's module whose wall clock stands still except that
    every start that runs moves it on by ``step`` seconds (:meth:`run_start`, put in
    place of the module's own); its other functions are the real ones."""

    def __init__(self, step: float) -> None:
        self.now, self.step = time.time(), step
        self._run_start = multistart.run_start

    def __getattr__(self, name):
        return getattr(time, name)

    def time(self) -> float:
        return self.now

    def run_start(self, *args, **kwargs):
        rec = self._run_start(*args, **kwargs)
        if rec is not None:
            self.now += self.step
        return rec


def test_no_start_begins_after_the_limit_and_the_next_call_resumes(exact_problem, tmp_path,
                                                                   monkeypatch, caplog):
    """Starts of 10 s each (a clock that moves on only when a start runs) and a limit of
    62 s: the starts get 75 % (46.5 s), so starts 0-4 run (beginning at 0-40 s) and start 5
    would begin at 50 s; the polish runs next and takes no time on this clock, so the time
    it leaves goes to more starts until 95 % (58.9 s): start 5 runs (50 s) and start 6,
    which would begin at 60 s, does not (it would before 100 %).  The six finished starts
    are written, the summary says the run is incomplete; a second call without a limit
    runs starts 6-7 only, and the eight starts end where a run without a limit ends."""
    caplog.set_level(logging.INFO, logger="jakstat_rules.status")
    clock = _FitClock(step=10.0)
    monkeypatch.setattr(multistart, "time", clock)
    monkeypatch.setattr(multistart, "run_start", clock.run_start)
    out = tmp_path / "fit"
    summary = calibrate(exact_problem, out, n_starts=8, seed=0, workers=1, max_time=62.0,
                        progress=False, plots=False)
    assert sorted(p.name for p in (out / "starts").glob("start_*.json")) == [
        f"start_{i:04d}.json" for i in range(6)]
    assert summary["n_finished"] == 6 and not summary["complete"]
    assert summary["polish"]["start"] in range(6)
    text = caplog.text
    assert text.index("polishing the best start") < text.index(
        "9 s left before 95 % of --max-time: more starts")
    assert summary["invocations"][-1]["stopped"] == "time limit of 62 s"
    assert "time limit of 62 s reached: 2 of 8 starts not run" in text
    first = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in (out / "starts").glob("*.json")}

    monkeypatch.undo()
    summary = calibrate(exact_problem, out, n_starts=8, seed=0, workers=1, progress=False,
                        plots=False)
    assert summary["complete"] and summary["n_finished"] == 8
    again = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in (out / "starts").glob("*.json")}
    for name, rec in first.items():  # the starts of the first call are kept, not re-run
        assert again[name]["x0"] == rec["x0"] and again[name]["fval"] == rec["fval"]
    whole = calibrate(exact_problem, tmp_path / "whole", n_starts=8, seed=0, workers=1,
                      progress=False, plots=False)
    for name, rec in again.items():  # the same eight starts from the same points
        other = json.loads((tmp_path / "whole" / "starts" / name).read_text(encoding="utf-8"))
        assert rec["x0"] == other["x0"]
    assert abs(summary["best_fval"] - whole["best_fval"]) <= 1e-6 * max(
        1.0, abs(whole["best_fval"]))


def test_without_the_polish_the_starts_get_95_percent(exact_problem, tmp_path, monkeypatch):
    """The same clock and a limit of 62 s with ``--no-polish``: the starts run until 95 %
    (58.9 s), so starts 0-5 run and start 6 (60 s) does not, in one phase."""
    from jakstat_rules.calibrate.optimizers import FitSettings

    clock = _FitClock(step=10.0)
    monkeypatch.setattr(multistart, "time", clock)
    monkeypatch.setattr(multistart, "run_start", clock.run_start)
    summary = calibrate(exact_problem, tmp_path / "fit", n_starts=8, seed=0, workers=1,
                        max_time=62.0, progress=False, plots=False,
                        settings=FitSettings(polish=False))
    assert summary["n_finished"] == 6 and "polish" not in summary


def test_a_limit_reached_before_the_first_start_on_two_workers(exact_problem, tmp_path):
    """On a dask cluster the workers read the limit from their own clocks: a limit
    that passes while the problem is read (1 ms) runs no start there, and the run
    still ends with its outputs written and nothing half-written."""
    out = tmp_path / "fit"
    summary = calibrate(exact_problem, out, n_starts=3, seed=0, workers=2, max_time=1e-3,
                        progress=False, plots=False)
    assert summary["n_finished"] == 0 and not summary["complete"]
    assert not list((out / "starts").glob("start_*.json"))
    assert not [p for p in out.rglob("*") if p.name.endswith((".tmp", ".part"))]
    summary = calibrate(exact_problem, out, n_starts=3, seed=0, workers=1, progress=False,
                        plots=False)  # resumed (here, to spare a second cluster's start)
    assert summary["complete"] and summary["n_finished"] == 3


def test_cli_refuses_a_bad_limit_before_writing(exact_problem, tmp_path, capsys):
    out = tmp_path / "fit"
    for bad in ("0", "-5", "soon", "inf"):
        try:
            code = main(["calibrate", str(exact_problem), "--out", str(out), "--max-time", bad,
                         "--no-progress"])
        except SystemExit as exc:  # argparse: usage line and one error line, exit 2
            code = exc.code
        assert code == 2, bad
        err = capsys.readouterr().err
        assert f"--max-time: {bad!r}" in err or f"'{bad}'" in err, err
        assert not out.exists()
    assert main(["calibrate", str(exact_problem), "--out", str(out), "--max-time", "60",
                 "--strategy", "race", "--no-progress"]) == 2
    one_error_line(capsys, "--max-time 60.0", "--strategy multistart")
    assert not out.exists()


def test_a_fit_running_at_the_limit_ends_at_its_lowest_evaluated_value(exact_problem,
                                                                       monkeypatch):
    """The objective's clock moves 1 s per reading and the limit is 6 s ahead: the fit
    evaluates five points and stops at the sixth.  It ends at the lowest value of the
    five, which the monitor saw independently of the fit's own bookkeeping."""
    from jakstat_rules.calibrate import objective as objective_module
    from jakstat_rules.calibrate.compiled import get_compiled
    from jakstat_rules.calibrate.objective import Objective
    from jakstat_rules.calibrate.optimizers import FitSettings, local_fit_until
    from jakstat_rules.petab_io import ProblemPayload, load_problem

    payload = ProblemPayload.from_problem(load_problem(exact_problem))
    ob = Objective(get_compiled(payload, 1e-8, 1e-10), gradient="fd")
    seen = []
    ob.monitor = lambda n, value: seen.append(value)
    x0 = (ob.lb + ob.ub) / 2
    clock = _Clock(step=1.0)
    monkeypatch.setattr(objective_module, "time", clock)
    fit = local_fit_until(ob, x0, FitSettings(tol=1e-10), deadline=clock.now + 6.0)
    assert fit.time_limited and fit.budget_exhausted and fit.n_fev == 5 == len(seen)
    assert "stopped at the time limit (--max-time) after 5 evaluations" in fit.message
    monkeypatch.undo()
    assert ob.deadline is None and ob.best is None  # the limit does not outlive the fit
    assert ob.fval(fit.x) == min(seen)
    assert min(seen) < seen[0]  # the fit had moved


def test_a_polish_stopped_at_the_limit_goes_on_in_the_next_call(exact_problem, tmp_path,
                                                                monkeypatch):
    """A polish that finds its time limit passed (the starts ran with trf; the polish,
    with Fides, is given a limit already past) stops at once and its record says so
    (``stopped``); the next call, without a limit, polishes the same start again, and
    never raises its value."""
    from jakstat_rules.calibrate.optimizers import local_fit_until

    def polish_late(ob, x0, settings, deadline, ftol=None, limit=None):
        if settings.optimizer == "fides":  # the polish's first run (the starts run trf)
            deadline = time.time() - 1.0
        return local_fit_until(ob, x0, settings, deadline, ftol, limit)

    out = tmp_path / "fit"
    monkeypatch.setattr(multistart, "local_fit_until", polish_late)
    first = calibrate(exact_problem, out, n_starts=2, seed=0, workers=1, max_time=1e4,
                      progress=False, plots=False)
    monkeypatch.undo()
    assert first["polish"]["stopped"] and first["polish"]["n_fev"] == 0
    assert "time limit" in first["polish"]["message"] and first["n_finished"] == 2
    assert first["polish"]["fval"] == first["polish"]["fval_before"] == first["best_fval"]
    assert {r["optimizer"] for r in first["polish"]["rounds"]} == {"fides"}
    second = calibrate(exact_problem, out, n_starts=2, seed=0, workers=1, progress=False,
                       plots=False)
    polish = second["polish"]
    assert polish["start"] == first["polish"]["start"]
    assert not polish["stopped"] and polish["n_fev"] > 0
    assert polish["fval_before"] == first["polish"]["fval_before"]   # kept from the first call
    assert polish["rounds"][:len(first["polish"]["rounds"])] == first["polish"]["rounds"]
    assert polish["n_fev"] == sum(r["n_fev"] for r in polish["rounds"])
    assert polish["time_s"] >= first["polish"]["time_s"]
    assert second["best_fval"] <= first["best_fval"]


def test_a_start_stopped_at_the_limit_spends_no_time_on_its_tight_value(exact_problem,
                                                                         monkeypatch):
    """A start of a fit at loose tolerances records its value at the tight ones, unless
    it ended at the time limit: past ``--max-time`` nothing more is simulated."""
    from jakstat_rules.calibrate import objective as objective_module
    from jakstat_rules.calibrate.design import starting_points
    from jakstat_rules.calibrate.optimizers import FitSettings
    from jakstat_rules.petab_io import ProblemPayload, load_problem

    payload = ProblemPayload.from_problem(load_problem(exact_problem))
    settings = FitSettings(gradient="fd", rtol=1e-6, atol=1e-8, tol=1e-10)
    x0 = starting_points([-3.0, -3.0], [1.0, 1.0], 1, 0)[0]
    free = multistart.run_start(payload, settings, 0, x0)
    assert free.ok and free.fval_tight is not None
    clock = _Clock(step=1.0)
    monkeypatch.setattr(objective_module, "time", clock)
    monkeypatch.setattr(multistart, "time", clock)
    limited = multistart.run_start(payload, settings, 0, x0, deadline=clock.now + 6.0)
    assert "stopped at the time limit" in limited.message
    assert limited.ok and limited.fval_tight is None


def test_a_start_ends_at_its_share_of_the_time(exact_problem, monkeypatch):
    """``max_seconds`` (``--start-time-share`` of the starts' time): on a clock that moves
    1 s per reading, a start capped at 6 s with the run's limit far ahead stops after a few
    evaluations at the lowest value it evaluated, its message names the cap, and, the run's
    limit not reached, its value at the tight tolerances is still recorded."""
    from jakstat_rules.calibrate import objective as objective_module
    from jakstat_rules.calibrate.design import starting_points
    from jakstat_rules.calibrate.optimizers import FitSettings
    from jakstat_rules.petab_io import ProblemPayload, load_problem

    payload = ProblemPayload.from_problem(load_problem(exact_problem))
    settings = FitSettings(gradient="fd", rtol=1e-6, atol=1e-8, tol=1e-10)
    x0 = starting_points([-3.0, -3.0], [1.0, 1.0], 1, 0)[0]
    free = multistart.run_start(payload, settings, 0, x0)
    clock = _Clock(step=1.0)
    monkeypatch.setattr(objective_module, "time", clock)
    monkeypatch.setattr(multistart, "time", clock)
    capped = multistart.run_start(payload, settings, 0, x0, deadline=clock.now + 1e4,
                                  max_seconds=6.0)
    assert "stopped at its share of the time (6 s, --start-time-share)" in capped.message
    assert capped.ok and 0 < capped.n_fev < 6 < free.n_fev
    assert capped.fval_tight is not None
    assert free.fval < capped.fval < capped.fval0                  # it had moved, not arrived


def test_the_cap_is_a_share_of_the_starts_time(exact_problem, tmp_path, monkeypatch):
    """calibrate hands every start its cap, ``start_time_share`` of the starts' 75 % of
    ``max_time``; share 0 hands none; a share outside [0, 1] is refused before anything
    is written."""
    import pytest

    from jakstat_rules.errors import JakstatInputError

    caps = []

    def record(payload, settings, start, x0, fixed=None, deadline=None, max_seconds=None):
        caps.append(max_seconds)
        return run_start(payload, settings, start, x0, fixed, deadline, max_seconds)

    run_start = multistart.run_start
    monkeypatch.setattr(multistart, "run_start", record)
    for share, cap in ((0.2, 0.2 * 0.75 * 1e4), (0.0, None)):
        caps.clear()
        summary = calibrate(exact_problem, tmp_path / f"fit{share}", n_starts=2, seed=0,
                            workers=1, max_time=1e4, start_time_share=share,
                            progress=False, plots=False)
        assert summary["complete"] and caps == [cap, cap]
    with pytest.raises(JakstatInputError, match="start_time_share 1.5: expected a share"):
        calibrate(exact_problem, tmp_path / "bad", n_starts=2, max_time=10,
                  start_time_share=1.5, progress=False, plots=False)
    assert not (tmp_path / "bad").exists()
