"""``jakstat calibrate --strategy race`` on a problem with a known narrow global optimum.

The model is a damped harmonic oscillator, ``x' = w y - d x``, ``y' = -w x - d y``,
``x(0) = 1``, ``y(0) = 0``, whose solution is ``x(t) = exp(-d t) cos(w t)``; the data
are that solution at ``w = 3``, ``d = 0.1`` plus normal noise of known SD, and only the
frequency ``w`` is estimated (log10 scale, 0.1-10).  The negative log-likelihood over
``w`` has one narrow basin around 3 and many wide ones of other frequencies (the second
best near 3.75): computed here from the analytic solution on a fine grid, independently
of the calibrator.  A few independent starts land in the wide basins; the race looks at
more starting points for fewer evaluations and finds the narrow one.
"""
from __future__ import annotations

import json
import logging
import shutil

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from jakstat_rules.calibrate.multistart import calibrate
from jakstat_rules.calibrate.optimizers import FitSettings
from jakstat_rules.cli import main

from conftest import write_one_condition_problem

SD = 0.05
D = 0.1
TIMES = np.arange(0.0, 10.01, 0.2)
#: eight designs: on four, the evaluations of a race and of 8 starts came within 1 %
SEEDS = tuple(range(8))

OSCILLATOR = """
model oscillator
  compartment c = 1
  species x in c, y in c
  w = 3; d = 0.1
  x = 1; y = 0
  Jx: -> x; w*y - d*x
  Jy: -> y; -w*x - d*y
end
"""


def _data() -> np.ndarray:
    rng = np.random.default_rng(1)
    return np.exp(-D * TIMES) * np.cos(3.0 * TIMES) + rng.normal(0.0, SD, len(TIMES))


def _analytic_nll(w: float) -> float:
    """The PEtab negative log-likelihood (normal noise) from the closed-form solution."""
    r = (_data() - np.exp(-D * TIMES) * np.cos(w * TIMES)) / SD
    return float(0.5 * np.sum(r ** 2) + len(TIMES) * 0.5 * np.log(2 * np.pi * SD ** 2))


def _local_minima() -> list[tuple[float, float]]:
    """(w, NLL) of every local minimum of the analytic NLL on [0.1, 10], best first."""
    grid = np.logspace(-1, 1, 4001)
    values = np.array([_analytic_nll(w) for w in grid])
    inner = np.flatnonzero((values[1:-1] < values[:-2]) & (values[1:-1] < values[2:])) + 1
    minima = []
    for k in inner:
        res = minimize_scalar(_analytic_nll, bracket=(grid[k - 1], grid[k], grid[k + 1]))
        minima.append((float(res.x), float(res.fun)))
    return sorted(minima, key=lambda m: m[1])


@pytest.fixture(scope="module")
def problem(tmp_path_factory):
    return write_one_condition_problem(
        tmp_path_factory.mktemp("oscillator") / "problem", OSCILLATOR,
        {"observableId": "obs_x", "time": TIMES, "measurement": _data()},
        {"observableId": ["obs_x"], "observableFormula": ["x"], "noiseFormula": [str(SD)]},
        {"parameterId": ["w", "d"], "parameterScale": "log10", "lowerBound": [0.1, 0.001],
         "upperBound": [10.0, 1.0], "nominalValue": [3.0, D], "estimate": [1, 0]})


def _run(problem, out, strategy, n_starts, seed, workers=1):
    logging.disable(logging.WARNING)
    try:
        summary = calibrate(problem, out, n_starts=n_starts, seed=seed, workers=workers,
                            progress=False, plots=False,
                            settings=FitSettings(strategy=strategy))
    finally:
        logging.disable(logging.NOTSET)
    records = [json.loads(f.read_text(encoding="utf-8")) for f in sorted((out / "starts").glob("start_*.json"))]
    return summary, records, out


def test_the_landscape_has_a_narrow_best_and_a_worse_second_optimum():
    (w1, f1), (w2, f2) = _local_minima()[:2]
    assert w1 == pytest.approx(3.0, rel=0.01)
    assert f2 > f1 + 1000  # a second optimum, far worse
    assert not 0.9 * w1 < w2 < 1.1 * w1


@pytest.fixture(scope="module")
def runs(problem, tmp_path_factory):
    root = tmp_path_factory.mktemp("racing")
    return {(strategy, n, seed): _run(problem, root / f"{strategy}_{n}_{seed}", strategy, n, seed)
            for seed in SEEDS for strategy, n in (("race", 20), ("multistart", 8),
                                                  ("multistart", 4))}


def test_race_finds_the_narrow_optimum_that_few_starts_miss(runs):
    best_w, best_f = _local_minima()[0]
    found = {key: summary["best_fval"] <= best_f + 0.1 for key, (summary, _, _) in runs.items()}
    evaluations = {key: sum(r["n_fev"] for r in records) for key, (_, records, _) in runs.items()}
    # the race reaches the best optimum from every seed ...
    assert all(found["race", 20, s] for s in SEEDS), found
    for s in SEEDS:
        assert runs["race", 20, s][0]["best_parameters"]["w"] == pytest.approx(best_w, rel=1e-3)
    # ... with fewer evaluations in all than 8 independent starts, which miss it from a seed
    assert (sum(evaluations["race", 20, s] for s in SEEDS)
            < sum(evaluations["multistart", 8, s] for s in SEEDS))
    assert not all(found["multistart", 8, s] for s in SEEDS)
    # four independent starts miss it from most seeds, ending in the wide basins
    assert sum(found["multistart", 4, s] for s in SEEDS) <= len(SEEDS) // 2
    worse = [m[1] for m in _local_minima()[1:]]
    for s in SEEDS:
        if not found["multistart", 4, s]:
            f = runs["multistart", 4, s][0]["best_fval"]
            assert min(abs(f - m) for m in worse) < 0.1  # a known local optimum


def test_race_records_its_rounds(runs):
    summary, records, _ = runs["race", 20, 0]
    race = summary["race"]
    assert [r["budget"] for r in race["rounds"][:2]] == [10, 30]
    assert race["rounds"][0]["starts"] == 20
    # each round runs the best third (rounded up) of the starts still running after the last
    for before, after in zip(race["rounds"], race["rounds"][1:]):
        assert after["starts"] == -(-before["running"] // 3)
    abandoned = [r for r in records if r["race"].get("abandoned")]
    assert len(abandoned) == race["abandoned"] > 0
    # the supplement's check table and report say how many (a multistart: nothing)
    from jakstat_rules.calibrate.racing import abandoned_note

    assert abandoned_note(summary) == (f" ({len(abandoned)} of them abandoned by the race, "
                                       f"not run to convergence)")
    assert abandoned_note(runs["multistart", 8, 0][0]) == ""
    for r in abandoned:
        note = r["race"]["abandoned"]
        last = r["race"]["rounds"][-1]
        assert last["round"] == note["after_round"] and last["state"] == "running"
        assert r["message"].startswith(f"abandoned after round {note['after_round']}")
        # every start that went on from that round was lower there
        went_on = [q for q in records if any(e["round"] == note["after_round"] + 1
                                             for e in q["race"]["rounds"])]
        assert went_on
        assert all(next(e["fval"] for e in q["race"]["rounds"]
                        if e["round"] == note["after_round"]) <= last["fval"] for q in went_on)
    # evaluations add up over rounds
    for r in records:
        assert r["n_fev"] == sum(e["n_fev"] for e in r["race"]["rounds"])


def test_race_result_table_and_waterfall_name_the_abandoned_starts(runs):
    import pandas as pd

    from jakstat_rules.calibrate.report import waterfall_figure
    from jakstat_rules.calibrate.results import read_optimize_result

    _, records, folder = runs["race", 20, 0]
    rows = {int(r["id"]): r for r in read_optimize_result(folder)}
    assert {i for i, r in rows.items() if r["abandoned"]} == \
        {r["start"] for r in records if r["race"].get("abandoned")}
    table = pd.read_csv(folder / "optimize_result.tsv", sep="\t")
    labels = [t.get_text() for t in waterfall_figure(table).axes[0].get_legend().get_texts()]
    assert "abandoned by the race (not run to convergence)" in labels
    # a multistart has none
    _, _, plain = runs["multistart", 8, 0]
    table = pd.read_csv(plain / "optimize_result.tsv", sep="\t")
    assert not table["abandoned"].any()
    labels = [t.get_text() for t in waterfall_figure(table).axes[0].get_legend().get_texts()]
    assert not any("abandoned" in label for label in labels)


def test_race_resumes_in_its_round_and_runs_on_dask(problem, runs, tmp_path):
    summary, records, folder = runs["race", 20, 1]
    finished = {r["start"]: r for r in records}
    # a run stopped during round 1: the records of two starts of that round are lost
    out = tmp_path / "resumed"
    shutil.copytree(folder, out)
    lost = [r["start"] for r in records if len(r["race"]["rounds"]) > 1][:2]
    for i in lost:
        (out / "starts" / f"start_{i:04d}.json").unlink()
    again, redone, _ = _run(problem, out, "race", 20, 1)
    assert again["best_fval"] == pytest.approx(summary["best_fval"], abs=1e-8)
    assert [r["start"] for r in redone] == sorted(finished)
    for r in redone:  # the lost starts ran their rounds again, to the same ends
        before = finished[r["start"]]
        assert [(e["round"], e["state"]) for e in r["race"]["rounds"]] == \
            [(e["round"], e["state"]) for e in before["race"]["rounds"]]
        assert r["fval"] == pytest.approx(before["fval"], abs=1e-6)
        if r["start"] not in lost:
            assert r == before  # the others were not run again
    # the same race on two dask workers: the same rounds and optimum
    on_dask, dask_records, _ = _run(problem, tmp_path / "dask", "race", 20, 1, workers=2)
    assert on_dask["best_fval"] == pytest.approx(summary["best_fval"], abs=1e-8)
    assert [(r["start"], len(r["race"]["rounds"])) for r in dask_records] == \
        [(r["start"], len(r["race"]["rounds"])) for r in records]


def test_cli_refuses_a_race_with_max_new_starts_before_writing(problem, tmp_path, capsys):
    assert main(["calibrate", str(problem), "--strategy", "race", "--max-new-starts", "2",
                 "--out", str(tmp_path / "fit"), "--no-progress", "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert "--max-new-starts 2" in err and "--strategy multistart" in err
    assert not (tmp_path / "fit").exists() or not any((tmp_path / "fit").iterdir())
    assert main(["calibrate", str(problem), "--race-budget", "5", "--out",
                 str(tmp_path / "fit2"), "--no-progress", "--workers", "1"]) == 2
    assert "--race-budget 5: expected it with --strategy race" in capsys.readouterr().err
    assert not (tmp_path / "fit2").exists() or not any((tmp_path / "fit2").iterdir())


def test_a_race_stopped_in_round_1_is_incomplete_and_resumes_from_its_points(
        problem, runs, tmp_path, monkeypatch):
    """A race killed during round 1 (two continuations done): its summary says incomplete,
    profile/validate refuse it, and the same command finishes it, the stopped starts going
    on from the points their records hold, to the same rounds and optimum as a race that
    was never stopped."""
    from jakstat_rules.calibrate import multistart
    from jakstat_rules.calibrate.store import load_fit
    from jakstat_rules.errors import JakstatInputError

    summary, records, _ = runs["race", 20, 1]
    real = multistart.run_start
    continued = []

    def stopping(payload, settings, start, x0, *args, **kwargs):
        if settings.max_redraws == 0:  # a continuation (round >= 1)
            if len(continued) == 2:
                raise KeyboardInterrupt
            continued.append(start)
        return real(payload, settings, start, x0, *args, **kwargs)

    out = tmp_path / "stopped"
    monkeypatch.setattr(multistart, "run_start", stopping)
    with pytest.raises(KeyboardInterrupt):
        _run(problem, out, "race", 20, 1)
    monkeypatch.setattr(multistart, "run_start", real)
    stopped = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert stopped["complete"] is False
    with pytest.raises(JakstatInputError):
        load_fit(out, finished=True)
    again, redone, _ = _run(problem, out, "race", 20, 1)
    assert again["complete"] is True and load_fit(out, finished=True)
    assert again["best_fval"] == pytest.approx(summary["best_fval"], abs=1e-8)
    before = {r["start"]: r for r in records}
    for r in redone:
        assert [(e["round"], e["state"]) for e in r["race"]["rounds"]] == \
            [(e["round"], e["state"]) for e in before[r["start"]]["race"]["rounds"]]
        assert r["fval"] == pytest.approx(before[r["start"]]["fval"], abs=1e-6)


def test_a_failed_continuation_makes_the_start_failed(problem, tmp_path, monkeypatch):
    from jakstat_rules.calibrate import multistart

    real = multistart.run_start
    broken = []

    def failing(payload, settings, start, x0, *args, **kwargs):
        rec = real(payload, settings, start, x0, *args, **kwargs)
        if settings.max_redraws == 0 and not broken:  # the first continuation
            broken.append(start)
            rec.status, rec.reason = "failed", "simulation failed: CVODE error (injected)"
        return rec

    monkeypatch.setattr(multistart, "run_start", failing)
    summary, records, _ = _run(problem, tmp_path / "fit", "race", 20, 0)
    rec = next(r for r in records if r["start"] == broken[0])
    assert rec["status"] == "failed"
    assert rec["reason"] == "round 1: simulation failed: CVODE error (injected)"
    assert rec["race"]["rounds"][-1]["state"] == "failed"
    assert summary["n_failed"] == 1 and summary["best_start"] != broken[0]


def test_a_fit_folder_written_before_the_strategy_setting_resumes(problem, runs, tmp_path):
    """run.json and start records without ``strategy``/``race_budget`` (written before they
    existed) resume as the multistart they were, without running a start again."""
    _, records, folder = runs["multistart", 4, 2]
    out = tmp_path / "old"
    shutil.copytree(folder, out)
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    for key in ("strategy", "race_budget"):
        run.pop(key)
    (out / "run.json").write_text(json.dumps(run))
    from jakstat_rules.io import read_record, write_record

    for f in (out / "starts").glob("start_*.json"):
        rec = read_record(f, what="start record")
        for key in ("strategy", "race_budget"):
            rec["run"].pop(key)
        rec.pop("race")
        rec.pop("budget_exhausted")
        write_record(f, rec)
    again, redone, _ = _run(problem, out, "multistart", 4, 2)
    assert again["invocations"][-1]["new_starts"] == 0
    assert [r["fval"] for r in redone] == [r["fval"] for r in records]
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["strategy"] == "multistart"
