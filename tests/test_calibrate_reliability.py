"""Long runs and reusable outputs of the calibrator (issue 8, items 7 and 8).

Each reliability case of a long run has a test here: the output folder is
locked, a resume must be the same run, damaged records are one line,
``validate`` refuses a fit of another model, failed starting points are
redrawn, solver output goes to a log, the summary is current after every
start, wall time sums over invocations.  The reusable outputs are checked
with other tools: ``simulations.tsv`` with libpetab, ``optimize_result.tsv``
with pyPESTO.

References are independent of the code under test: libpetab's likelihood,
pyPESTO's result type, the Latin hypercube itself, the file system.
"""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pandas as pd
import pytest

from jakstat_rules.calibrate import multistart, store
from jakstat_rules.calibrate.example import EXAMPLE_TRUE
from jakstat_rules.calibrate.multistart import calibrate, starting_points
from jakstat_rules.calibrate.optimizers import FitSettings
from jakstat_rules.calibrate.results import pypesto_result, read_optimize_result
from jakstat_rules.calibrate.validate import validate
from jakstat_rules.cli import main
from jakstat_rules.errors import JakstatInputError
from jakstat_rules.io import lock_output_dir
from test_calibrate_cli import one_error_line
from test_calibrate_multistart import _blow_up_problem, _snapshot
from test_calibrate_validate import _new_experiment


def _fit(problem, out, **kw):
    kw.setdefault("n_starts", 3)
    return calibrate(problem, out, seed=kw.pop("seed", 0), progress=False, plots=False, **kw)


def _stderr_lines(capsys) -> list[str]:
    """What a run printed on stderr besides the line of the settings it chose."""
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    settings = [line for line in lines if line.startswith("jakstat: settings: ")]
    assert len(settings) <= 1, lines
    return [line for line in lines if line not in settings]


# -- the lock ------------------------------------------------------------------------------

def test_second_run_into_the_same_folder_is_refused(exact_problem, exact_fit, tmp_path,
                                                    capsys):
    """While a run holds the folder, calibrate, profile and validate into it
    are refused in one line naming the folder; nothing is written."""
    out = tmp_path / "fit"
    shutil.copytree(exact_fit, out)
    with lock_output_dir(out):                       # the first run, still running
        before = _snapshot(out)
        assert main(["calibrate", str(exact_problem), "--out", str(out), "--starts", "4",
                     "--no-progress"]) == 2
        one_error_line(capsys, repr(str(out)), "is in use by another run")
        with pytest.raises(JakstatInputError, match="in use by another run"):
            _fit(exact_problem, out, n_starts=4)
        assert _snapshot(out) == before
    assert _fit(exact_problem, out, n_starts=4)["n_finished"] == 4   # released: resumes


def test_two_fresh_runs_at_once_one_goes_on(exact_problem, noisy_problem, tmp_path):
    """Both runs find the folder empty: the first claims it and locks it;
    the second, with the same problem, is refused by the lock, with another
    problem, by the run record -- never do two runs write into one folder."""
    import contextlib

    from jakstat_rules.calibrate.defaults import choose_settings
    from jakstat_rules.petab_io import ProblemPayload, load_problem

    out = tmp_path / "fit"
    payload = ProblemPayload.from_problem(load_problem(exact_problem))
    # the identity a run of this problem records: its settings as the run resolves them
    settings = choose_settings(payload, FitSettings(n_starts=2, seed=0)).settings
    identity = store.run_identity(payload.hash, settings)

    with contextlib.ExitStack() as stack:
        store.claim_and_lock(out, "fit", identity, stack)
        with pytest.raises(JakstatInputError, match="in use by another run"):
            with contextlib.ExitStack() as other:
                store.claim_and_lock(out, "fit", identity, other)
        with pytest.raises(JakstatInputError, match="in use by another run"):
            _fit(exact_problem, out, n_starts=2)
    with pytest.raises(JakstatInputError, match="another problem"):
        _fit(noisy_problem, out, n_starts=2)


def test_two_claims_of_one_empty_folder_with_different_seeds(tmp_path, monkeypatch):
    """Runs with seeds 0 and 1 both find the folder empty; seed 1 writes its run.json
    only after seed 0 has claimed and locked the folder (the worst interleaving of
    two runs started at one instant, forced here).  Seed 0 goes on; seed 1 is refused
    in one message naming both seeds, and run.json stays seed 0's, whole.  (A run.json
    written by replacing, not created exclusively, would hold seed 1 here.)"""
    import contextlib
    import os
    import threading

    from jakstat_rules import io

    out = tmp_path / "fit"
    identities = {name: store.run_identity("0" * 64, FitSettings(n_starts=2, seed=seed))
                  for name, seed in (("seed0", 0), ("seed1", 1))}
    seed1_found_it_empty, seed0_claimed = threading.Event(), threading.Event()
    real_check = io.check_output_dir
    paused: set[str] = set()

    def check_output_dir(path, *args, **kwargs):   # called just before run.json is written
        name = threading.current_thread().name
        if name == "seed1" and name not in paused:
            paused.add(name)
            seed1_found_it_empty.set()
            assert seed0_claimed.wait(30)
        return real_check(path, *args, **kwargs)

    monkeypatch.setattr(io, "check_output_dir", check_output_dir)
    outcome: dict[str, object] = {}
    winner_stack = contextlib.ExitStack()

    def claim(name: str) -> None:
        if name == "seed0":
            assert seed1_found_it_empty.wait(30)
        stack = contextlib.ExitStack()
        try:
            store.claim_and_lock(out, "fit", identities[name], stack)
            outcome[name] = "claimed"
            winner_stack.enter_context(stack)          # the winner keeps its lock
        except JakstatInputError as exc:
            outcome[name] = exc
            stack.close()
        finally:
            if name == "seed0":
                seed0_claimed.set()

    threads = [threading.Thread(target=claim, args=(name,), name=name)
               for name in ("seed1", "seed0")]
    with winner_stack:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert outcome["seed0"] == "claimed"
        assert json.loads((out / "run.json").read_text(encoding="utf-8")) == {"kind": "fit",
                                                              **identities["seed0"]}
        assert isinstance(outcome["seed1"], JakstatInputError), outcome
        message = str(outcome["seed1"])
        assert "seed 0" in message and "this run has 1" in message, message
        assert sorted(os.listdir(out)) == [".lock", "run.json"]   # no temporary file left


# -- the run identity ----------------------------------------------------------------------

def test_resume_must_be_the_same_run(exact_problem, tmp_path, capsys):
    out = tmp_path / "fit"
    _fit(exact_problem, out, n_starts=3, max_new_starts=1)
    record = json.loads((out / "starts" / "start_0000.json").read_text(encoding="utf-8"))
    assert record["run"] == {"problem_hash": record["run"]["problem_hash"],
                             **{k: v for k, v in record["run"].items()
                                if k != "problem_hash"}}
    assert {"problem_hash", "n_starts", "seed", "rtol", "atol", "tol", "max_nfev",
            "diff_step", "analytic_scaling", "max_redraws"} <= set(record["run"])
    assert record["run"]["n_starts"] == 3 and record["run"]["seed"] == 0
    before = _snapshot(out)
    capsys.readouterr()  # what the first run printed
    assert main(["calibrate", str(exact_problem), "--out", str(out), "--starts", "3",
                 "--design", "lhs", "--no-progress"]) == 2
    one_error_line(capsys, "starts of the sobol design; this run asks for the lhs design",
                   "--design sobol")
    with pytest.raises(JakstatInputError, match="tol"):
        _fit(exact_problem, out, n_starts=3, settings=FitSettings(tol=1e-6))
    assert _snapshot(out) == before
    # a start record of another run copied in is refused, naming the file
    other = tmp_path / "other"
    _fit(exact_problem, other, n_starts=4, seed=1, max_new_starts=2)
    shutil.copy(other / "starts" / "start_0001.json", out / "starts" / "start_0001.json")
    with pytest.raises(JakstatInputError, match="start_0001.json' holds starts drawn with seed 1"):
        _fit(exact_problem, out, n_starts=3)


def _bounds(problem, free: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of the ``free`` parameters on their log10 scale, from the parameter table."""
    table = pd.read_csv(problem.parent / "parameters.tsv", sep="\t").set_index("parameterId")
    table = table.loc[free]
    assert (table["parameterScale"] == "log10").all()
    return np.log10(table["lowerBound"].to_numpy()), np.log10(table["upperBound"].to_numpy())


def _records(out) -> dict[str, dict]:
    return {f.name: json.loads(f.read_text(encoding="utf-8"))
            for f in sorted((out / "starts").glob("start_*.json"))}


def test_more_starts_extend_a_run_and_keep_its_starts(exact_problem, tmp_path, capsys):
    """A run of 3 starts resumed with 5 keeps its 3 records as they are and runs 2 more:
    the design of 5 points begins with that of 3.  The extended run's starts are those
    of a fresh run of 5 (same points, same results), and its points are scipy's scrambled
    Sobol sequence of the seed, scaled to the bounds on the PEtab scale."""
    from scipy.stats import qmc

    out, fresh = tmp_path / "fit", tmp_path / "fresh"
    first = _fit(exact_problem, out, n_starts=3)
    kept = {f.name: f.read_bytes() for f in (out / "starts").glob("start_*.json")}
    assert first["settings"]["design"] == "sobol" and len(kept) == 3
    assert main(["calibrate", str(exact_problem), "--out", str(out), "--starts", "5",
                 "--no-progress"]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["complete"] and summary["n_finished"] == 5 and summary["n_starts"] == 5
    assert [c["new_starts"] for c in summary["invocations"]] == [3, 2]
    assert {n: (out / "starts" / n).read_bytes() for n in kept} == kept
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["n_starts"] == 5 and run["design"] == "sobol"
    _fit(exact_problem, fresh, n_starts=5)
    ours, theirs = _records(out), _records(fresh)
    assert sorted(ours) == sorted(theirs) == [f"start_{i:04d}.json" for i in range(5)]
    for name in ours:
        assert ours[name]["x0"] == pytest.approx(theirs[name]["x0"], abs=1e-12)
        assert ours[name]["fval"] == pytest.approx(theirs[name]["fval"], rel=1e-9)
    lb, ub = _bounds(exact_problem, summary["free_parameters"])
    sobol = qmc.Sobol(d=len(lb), scramble=True, rng=np.random.default_rng(0)).random(8)[:5]
    points = lb + sobol * (ub - lb)
    for i, rec in enumerate(ours.values()):
        x0 = rec["rejected"][0]["x0"] if rec["rejected"] else rec["x0"]
        assert x0 == pytest.approx(points[i], abs=1e-12)
    assert _fit(exact_problem, out, n_starts=5)["invocations"][-1]["new_starts"] == 0
    # asked for 9 and stopped before a new start ran: back to 5, the run is complete again
    assert _fit(exact_problem, out, n_starts=9, max_new_starts=0)["complete"] is False
    back = _fit(exact_problem, out, n_starts=5)
    assert back["complete"] and back["n_starts"] == 5 and back["n_finished"] == 5
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["n_starts"] == 5
    # fewer starts than it has records of: refused, nothing written
    before = _snapshot(out)
    capsys.readouterr()
    assert main(["calibrate", str(exact_problem), "--out", str(out), "--starts", "4",
                 "--no-progress"]) == 2
    one_error_line(capsys, "holds the record of start 4; this run asks for 4 starts",
                   "--starts 5 or more")
    assert _snapshot(out) == before
    # another strategy is named as what differs, before the number of starts
    with pytest.raises(JakstatInputError, match="--strategy multistart; this run has "
                                                "--strategy race"):
        _fit(exact_problem, out, n_starts=8, settings=FitSettings(strategy="race"))
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    (out / "run.json").write_text(json.dumps({**run, "design": "halton"}), encoding="utf-8")
    assert main(["calibrate", str(exact_problem), "--out", str(out), "--starts", "5",
                 "--no-progress"]) == 2
    one_error_line(capsys, "run.json' has design 'halton'", "expected one of ['sobol', 'lhs']")
    # a race's rounds depend on its number of starts: not extended
    race = tmp_path / "race"
    _fit(exact_problem, race, n_starts=3, settings=FitSettings(strategy="race"))
    with pytest.raises(JakstatInputError, match=r"holds a race of 3 starts; this run asks "
                                                r"for 4 .*expected --starts 3 to resume it"):
        _fit(exact_problem, race, n_starts=4, settings=FitSettings(strategy="race"))


def test_a_latin_hypercube_run_resumes_as_one_and_does_not_extend(exact_problem, tmp_path,
                                                                   capsys):
    """A run stored before the design was a setting (no ``design`` in run.json and its
    records) drew a Latin hypercube: resumed without --design it goes on with that
    design; more starts are refused (a Latin hypercube of 4 points is not one of 3 and
    one more), naming how to resume it."""
    out = tmp_path / "fit"
    _fit(exact_problem, out, n_starts=3, max_new_starts=2, settings=FitSettings(design="lhs"))
    for f in [out / "run.json", *(out / "starts").glob("start_*.json")]:
        rec = json.loads(f.read_text(encoding="utf-8"))
        (rec.get("run") or rec).pop("design")
        rec.pop("checksum", None)
        f.write_text(json.dumps(rec))
    (out / "summary.json").unlink()
    assert main(["calibrate", str(exact_problem), "--out", str(out), "--starts", "4",
                 "--no-progress"]) == 2
    one_error_line(capsys, "a run of 3 starts; this run asks for 4", "--starts 3 to resume it")
    summary = _fit(exact_problem, out, n_starts=3)
    assert summary["complete"] and summary["settings"]["design"] == "lhs"
    assert [c["new_starts"] for c in summary["invocations"]][-1] == 1
    lb, ub = _bounds(exact_problem, summary["free_parameters"])
    design = starting_points(lb, ub, 3, 0, "lhs")
    for i, rec in enumerate(_records(out).values()):
        x0 = rec["rejected"][0]["x0"] if rec["rejected"] else rec["x0"]
        assert x0 == pytest.approx(design[i], abs=1e-12)


def test_folder_of_an_earlier_version_resumes_or_is_refused(exact_problem, tmp_path):
    """Folders written before records carried the identity (run.json without
    n_starts, records without "run"): resumed when every record starts from
    this run's design, refused when the design differs.  They drew a Latin hypercube."""
    out = tmp_path / "fit"
    _fit(exact_problem, out, n_starts=4, max_new_starts=2, settings=FitSettings(design="lhs"))
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    old_keys = ("kind", "problem_hash", "seed", "analytic_scaling", "rtol", "atol")
    (out / "run.json").write_text(json.dumps({k: run[k] for k in old_keys}))
    for f in (out / "starts").glob("start_*.json"):
        rec = json.loads(f.read_text(encoding="utf-8"))
        for key in ("run", "rejected", "fval0", "exitflag", "checksum"):
            rec.pop(key)
        f.write_text(json.dumps(rec))
    (out / "summary.json").unlink()                  # killed before the end
    with pytest.raises(JakstatInputError, match="does not start from point 0 of this run's "
                                                r"design \(5 starts"):
        _fit(exact_problem, out, n_starts=5)
    summary = _fit(exact_problem, out, n_starts=4)
    assert summary["complete"] and summary["n_finished"] == 4
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["n_starts"] == 4


# -- damaged files -------------------------------------------------------------------------

def test_damaged_start_record_runs_again_with_one_line(exact_problem, tmp_path, capsys):
    out = tmp_path / "fit"
    _fit(exact_problem, out, n_starts=3, max_new_starts=2)
    (out / "starts" / "start_0001.json").write_text('{"start": 1, "x0": [0.1, ')
    assert main(["calibrate", str(exact_problem), "--out", str(out), "--starts", "3",
                 "--no-progress"]) == 0
    lines = _stderr_lines(capsys)
    assert len(lines) == 1 and "start_0001.json" in lines[0] and "damaged" in lines[0]
    assert "running that start again" in lines[0]
    rec = json.loads((out / "starts" / "start_0001.json").read_text(encoding="utf-8"))
    assert rec["status"] == "ok" and rec["run"]["n_starts"] == 3


def test_damaged_summary(exact_problem, exact_fit, tmp_path, capsys):
    """calibrate rebuilds it from the start records (one warning line);
    profile and validate refuse it in one line naming the file."""
    out = tmp_path / "fit"
    shutil.copytree(exact_fit, out)
    summary = out / "summary.json"
    summary.write_text('{"best_fval": 1.0, "best_par')
    assert main(["profile", str(exact_problem), "--fit", str(out), "--out",
                 str(tmp_path / "prof"), "--no-progress"]) == 2
    one_error_line(capsys, repr(str(summary)), "damaged")
    assert main(["validate", str(out), str(exact_problem), "--out",
                 str(tmp_path / "val")]) == 2
    one_error_line(capsys, repr(str(summary)), "damaged")
    summary.write_text(json.dumps({"best_parameters": [1, 2], "best_fval": 0.0,
                                   "problem_hash": "x"}))
    with pytest.raises(JakstatInputError, match="damaged .best_parameters is not a table"):
        validate(out, exact_problem, tmp_path / "val")
    summary.write_text("")
    assert main(["calibrate", str(exact_problem), "--out", str(out), "--starts", "4",
                 "--no-progress"]) == 0
    lines = _stderr_lines(capsys)
    assert len(lines) == 1 and repr(str(summary)) in lines[0] and "rebuilding" in lines[0]
    assert json.loads(summary.read_text(encoding="utf-8"))["n_finished"] == 4
    assert not (tmp_path / "prof").exists() and not (tmp_path / "val").exists()


def test_resume_removes_what_a_killed_writer_left(exact_problem, exact_fit, tmp_path):
    """Temporary files of a process killed while writing (a PNG, a record)
    are removed under the lock; other hidden files stay."""
    out = tmp_path / "fit"
    shutil.copytree(exact_fit, out)
    left = [out / ".fit.k1ll3d_x.png", out / ".summary.json.abcd1234.tmp",
            out / "starts" / ".start_0002.json.zz_9yy8x.tmp"]
    for f in left:
        f.write_bytes(b"")
    (out / ".notes").write_text("mine")
    _fit(exact_problem, out, n_starts=4)
    assert not any(f.exists() for f in left) and (out / ".notes").read_text(encoding="utf-8") == "mine"


# -- validate: a fit of another model ------------------------------------------------------

def test_validate_refuses_a_fit_of_another_model(exact_fit, tmp_path, capsys):
    """A fit with no parameter in common, or missing a model parameter of
    the validation problem, would give a re-fitted R^2: refused."""
    blow = tmp_path / "blow"
    _fit(_blow_up_problem(tmp_path / "blow_problem"), blow, n_starts=2)
    val = _new_experiment(tmp_path / "val_problem")
    assert main(["validate", str(blow), str(val), "--out", str(tmp_path / "out")]) == 2
    one_error_line(capsys, "shares no parameter", repr(str(blow)))
    partial = tmp_path / "partial"                   # k1 fitted, k2 not
    shutil.copytree(exact_fit, partial)
    summary = json.loads((partial / "summary.json").read_text(encoding="utf-8"))
    del summary["best_parameters"]["k2"]
    (partial / "summary.json").write_text(json.dumps(summary))
    with pytest.raises(JakstatInputError, match="estimates k2, which change the simulations"):
        validate(partial, val, tmp_path / "out")
    assert not (tmp_path / "out").exists()


# -- failed starting points ----------------------------------------------------------------

def test_failed_first_simulation_is_redrawn(tmp_path):
    """Blow-up for k > 0.1 within the measured times: those design points
    are replaced by points drawn from (seed, start), so all 6 starts end;
    the same seed redraws the same points."""
    problem = _blow_up_problem(tmp_path / "blow")
    summary = _fit(problem, tmp_path / "a", n_starts=6)
    assert summary["n_finished"] == 6 and summary["n_failed"] == 0
    assert summary["n_redraws"] >= 1 and summary["n_starts_redrawn"] >= 1
    design = starting_points([-3.0], [0.0], 6, 0)
    redrawn = []
    for i in range(6):
        rec = json.loads((tmp_path / "a" / "starts" / f"start_{i:04d}.json").read_text(encoding="utf-8"))
        if rec["rejected"]:
            redrawn.append(i)
            assert rec["rejected"][0]["x0"] == pytest.approx(design[i])
            assert all("simulation failed" in r["reason"] for r in rec["rejected"])
            assert 10 ** rec["x0"][0] < 0.1 and rec["status"] == "ok"
        else:
            assert rec["x0"] == pytest.approx(design[i])
        assert rec["parameters"]["k"] == pytest.approx(0.01, rel=1e-4)
    again = _fit(problem, tmp_path / "b", n_starts=6)
    assert again["n_redraws"] == summary["n_redraws"]
    for i in redrawn:
        a, b = (json.loads((tmp_path / d / "starts" / f"start_{i:04d}.json").read_text(encoding="utf-8"))
                for d in ("a", "b"))
        assert a["x0"] == b["x0"]
    table = pd.read_csv(tmp_path / "a" / "optimize_result.tsv", sep="\t")
    assert table["n_redraws"].sum() == summary["n_redraws"]


# -- solver output -------------------------------------------------------------------------

def test_solver_messages_go_to_the_log(tmp_path, capfd):
    """CVODE's messages of the failing starting points land in solver.log,
    not on the terminal (--no-progress)."""
    problem = _blow_up_problem(tmp_path / "blow")
    capfd.readouterr()
    out = tmp_path / "fit"
    assert main(["calibrate", str(problem), "--out", str(out), "--starts", "4",
                 "--no-progress"]) == 0
    terminal = capfd.readouterr()
    for needle in ("CVode", "CVODE", "cvodes", "RuntimeWarning"):
        assert needle not in terminal.out + terminal.err
    assert "best_fval" in terminal.out                 # the CLI's own output is shown
    text = (out / "solver.log").read_text(encoding="utf-8")
    assert "jakstat calibrate" in text and "CV_" in text


# -- summary and wall time -----------------------------------------------------------------

def test_summary_is_current_after_every_start_and_time_adds_up(exact_problem, tmp_path,
                                                               monkeypatch):
    out = tmp_path / "fit"
    real = multistart.run_tasks
    seen = []

    def killed_after_two(fn, payload, tasks, on_result, **kw):
        def check(rec):
            on_result(rec)
            seen.append(json.loads((out / "summary.json").read_text(encoding="utf-8"))["n_finished"])
            if len(seen) == 2:
                raise KeyboardInterrupt          # the run is stopped here
        return real(fn, payload, tasks, check, **kw)

    monkeypatch.setattr(multistart, "run_tasks", killed_after_two)
    with pytest.raises(KeyboardInterrupt):
        _fit(exact_problem, out, n_starts=4)
    monkeypatch.setattr(multistart, "run_tasks", real)
    assert seen == [1, 2]
    first = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert first["n_finished"] == 2 and not first["complete"]
    assert len(first["invocations"]) == 1 and first["invocations"][0]["new_starts"] == 2
    _fit(exact_problem, out, n_starts=4, max_new_starts=1)
    final = _fit(exact_problem, out, n_starts=4)
    calls = final["invocations"]
    assert [c["new_starts"] for c in calls] == [2, 1, 1] and final["complete"]
    assert final["wall_time_s"] == pytest.approx(sum(c["wall_time_s"] for c in calls))
    assert calls[0]["wall_time_s"] == pytest.approx(first["wall_time_s"], rel=0.5)
    assert final["wall_time_s"] > max(c["wall_time_s"] for c in calls)


# -- outputs for other tools ---------------------------------------------------------------

def test_simulation_table_reproduces_the_nll_with_libpetab(noisy_problem, tmp_path):
    """libpetab's own likelihood of simulations.tsv, with the fitted
    parameters as nominal values, is the fit's NLL."""
    import petab.v1 as petab
    from petab.v1 import C

    summary = _fit(noisy_problem, tmp_path / "fit", n_starts=2)
    sim = petab.get_simulation_df(tmp_path / "fit" / "simulations.tsv")
    problem = petab.Problem.from_yaml(noisy_problem)
    measurements = problem.measurement_df
    assert list(sim.columns) == (lambda c: c[:c.index(C.MEASUREMENT) + 1] + [C.SIMULATION]
                                 + c[c.index(C.MEASUREMENT) + 1:])(list(measurements.columns))
    pd.testing.assert_frame_equal(sim.drop(columns=[C.SIMULATION]), measurements,
                                  check_dtype=False)
    # Python floats: sympy 1.11 cannot substitute numpy 2 scalars, which libpetab's
    # noise-formula evaluation would hand it otherwise
    parameters = problem.parameter_df.copy()
    fitted = {**parameters[C.NOMINAL_VALUE].to_dict(), **summary["best_parameters"]}
    parameters[C.NOMINAL_VALUE] = pd.Series({k: float(v) for k, v in fitted.items()},
                                            dtype=object)
    as_python = sim.assign(**{C.SIMULATION: pd.Series([float(v) for v in sim[C.SIMULATION]],
                                                     index=sim.index, dtype=object)})
    llh = petab.calculate_llh(measurements, as_python, problem.observable_df, parameters)
    assert -llh == pytest.approx(summary["best_fval"], abs=1e-6)
    assert np.abs(sim[C.SIMULATION] - sim[C.MEASUREMENT]).max() < 0.5   # a fit, not noise


@pytest.mark.parametrize("failing", ["simulation_table", "plot_fit"])
def test_a_failed_simulation_at_the_best_point_leaves_the_fit_and_its_other_outputs(
        exact_problem, tmp_path, monkeypatch, caplog, failing):
    """The final simulation at the best parameters can fail where the fit's own did not (the
    plot's finer time grid, a run resumed at tighter tolerances: Fujita 2010 at rtol 1e-10):
    the fit ends normally with one warning, without simulations.tsv or fit.png only."""
    from jakstat_rules.calibrate import report, results
    from jakstat_rules.errors import SimulationError

    def fail(*args, **kwargs):
        raise SimulationError("condition 'c0': the solver failed: CV_TOO_MUCH_WORK")

    monkeypatch.setattr(results if failing == "simulation_table" else report, failing, fail)
    out = tmp_path / "fit"
    summary = calibrate(exact_problem, out, n_starts=2, seed=0, workers=1, progress=False)
    assert summary["n_finished"] == 2 and math.isfinite(summary["best_fval"])
    warnings = [r.getMessage() for r in caplog.records if "the solver failed" in r.getMessage()]
    assert len(warnings) == 1 and "no fit.png" in warnings[0], warnings
    assert (out / "simulations.tsv").is_file() == (failing == "plot_fit")
    assert not (out / "fit.png").exists()
    for name in ("summary.json", "best_parameters.tsv", "waterfall.png", "parameters.png"):
        assert (out / name).is_file(), name


def test_optimize_result_for_pypesto(exact_fit):
    """optimize_result.tsv: one row per start with pyPESTO's fields, read
    into a pypesto.Result; the best start is the summary's."""
    summary = json.loads((exact_fit / "summary.json").read_text(encoding="utf-8"))
    rows = read_optimize_result(exact_fit)
    assert len(rows) == 4 and [r["fval"] for r in rows] == sorted(r["fval"] for r in rows)
    assert {"id", "x", "fval", "n_fval", "x0", "time", "message", "exitflag"} <= set(rows[0])
    names = summary["x_names"]
    best = rows[0]
    assert best["fval"] == pytest.approx(summary["best_fval"], abs=1e-12)
    assert 10 ** best["x"][names.index("k1")] == pytest.approx(EXAMPLE_TRUE["k1"], rel=1e-4)
    start = json.loads((exact_fit / "starts" / f"start_{int(best['id']):04d}.json").read_text(encoding="utf-8"))
    free = [names.index(i) for i in summary["free_parameters"]]
    np.testing.assert_allclose(best["x0"][free], start["x0"], rtol=0, atol=1e-12)
    assert np.isnan(best["x0"][names.index("scale")])      # computed in closed form
    result = pypesto_result(exact_fit)
    fvals = result.optimize_result.fval
    assert len(fvals) == 4 and fvals[0] == pytest.approx(summary["best_fval"], abs=1e-12)
    assert result.optimize_result.list[0]["n_fval"] == best["n_fval"] > 0
    assert result.optimize_result.list[0]["exitflag"] in (1, 2, 3, 4)
    assert result.optimize_result.list[0]["id"] == best["id"]
