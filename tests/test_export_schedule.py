"""A schedule as SBML (``jakstat_rules.export.schedule``), re-run by independent engines.

The schedule SBML is simulated by a plain ``roadrunner.RoadRunner`` (not the
project's engine) and by COPASI (its Python bindings) and compared with the
project's core (:func:`jakstat_rules.schedules.simulate_schedule`); the
plasma concentration is compared with the Bateman function written out here.

Tolerances, as fractions of each readout's range over the schedule:

* COPASI against libroadrunner on the same file (both integrate the PK
  exactly): 1e-6;
* the core against the file, without and with oral doses: 1e-6 (the same
  equations: the core integrates the PK as rate rules too, adding the doses
  between periods where the file has events; measured 6e-10).
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from jakstat_rules.conditions import Schedule, SchedulePeriod

READOUTS = ["pSTAT1_total", "pSTAT3_total", "SOCS1_mRNA", "SOCS3_mRNA", "ISG_mRNA"]

#: Oral doses, a radiation fraction, a cytokine washed out and another added, in 12 h.
MIXED = Schedule("mixed_test", (
    SchedulePeriod(0.0, {"IFNb_pM": 100.0, "ruxolitinib_oral_mg": 20.0}),
    SchedulePeriod(180.0, {"IR_Gy": 2.0}),
    SchedulePeriod(240.0, {"IFNb_pM": 0.0, "IL6_pM": 1000.0}),
    SchedulePeriod(360.0, {"ruxolitinib_oral_mg": 20.0, "tofacitinib_oral_mg": 10.0}),
), t_end=720.0, n_points=49)
#: The same without oral doses.
NO_PK = Schedule("no_pk_test", tuple(
    SchedulePeriod(p.time, {k: v for k, v in p.changes.items() if not k.endswith("_oral_mg")})
    for p in MIXED.periods if any(not k.endswith("_oral_mg") for k in p.changes)),
    t_end=720.0, n_points=49)
DRUGS = ["ruxolitinib_nM", "tofacitinib_nM", "ruxolitinib_plasma", "tofacitinib_plasma"]


def _roadrunner(text: str, times) -> dict[str, np.ndarray]:
    import roadrunner

    rr = roadrunner.RoadRunner(text)
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-10
    rr.integrator.maximum_num_steps = 200_000
    params = set(rr.model.getGlobalParameterIds())
    sel = ["time"] + READOUTS + [d for d in DRUGS if d in params]
    data = np.asarray(rr.simulate(times=list(times), selections=sel), dtype=float)
    return {s: data[:, i] for i, s in enumerate(sel)}


def _worst(ours, theirs, columns) -> tuple[float, str]:
    worst = (0.0, "")
    for col in columns:
        a, b = np.asarray(ours[col], float), np.asarray(theirs[col], float)
        span = max(float(a.max() - a.min()), 1e-3)
        worst = max(worst, (float(np.max(np.abs(a - b))) / span, col))
    return worst


@pytest.fixture(scope="module")
def mixed():
    from jakstat_rules.export.schedule import schedule_sbml
    text = schedule_sbml(MIXED)
    return text, _roadrunner(text, MIXED.times)


def test_schedule_sbml_passes_libsbml_checks_with_units(mixed):
    import libsbml

    from jakstat_rules.export.sbml import consistency_report

    text, _ = mixed
    assert consistency_report(text) == []
    model = libsbml.readSBMLFromString(text).getModel()
    # three later periods, one event each; t = 0 is in the initial values
    assert sorted(e.getId() for e in model.getListOfEvents()) == ["period_1", "period_2", "period_3"]
    assert model.getAssignmentRule("ruxolitinib_nM") is not None
    assert model.getParameter("ruxolitinib_t_half_h").getUnits() == "h"
    assert model.getParameter("IFNb_pM").getValue() == 100.0


def test_plasma_concentration_is_the_bateman_function(mixed):
    """Bateman superposition, written here from the published parameters (not pk.py)."""
    _, rr = mixed
    t = rr["time"]
    for drug, mw, f, ka_h, th, v, doses in (
            ("ruxolitinib", 306.37, 0.95, 2.68, 3.0, 72.0, [(0.0, 20.0), (360.0, 20.0)]),
            ("tofacitinib", 312.37, 0.74, 2.76, 3.2, 87.0, [(360.0, 10.0)])):
        ka, ke = ka_h / 60.0, math.log(2) / (th * 60.0)
        c = np.zeros_like(t)
        for t0, mg in doses:
            s = np.clip(t - t0, 0.0, None)
            c += (t >= t0) * f * mg * 1e6 / mw / v * ka / (ka - ke) * (np.exp(-ke * s) - np.exp(-ka * s))
        ours = rr[f"{drug}_plasma"] / v
        assert np.max(np.abs(ours - c)) <= 1e-6 * c.max(), drug
    # 20 mg ruxolitinib peaks at about 680 nM total (docs/cancer.md)
    assert 600 < (rr["ruxolitinib_plasma"][t <= 360] / 72.0).max() < 700


@pytest.mark.slow
def test_core_matches_the_schedule_sbml_in_roadrunner(mixed):
    from jakstat_rules.export.schedule import schedule_sbml
    from jakstat_rules.schedules import simulate_schedule

    # the same equations (levels, wash-out, radiation): tight
    rr = _roadrunner(schedule_sbml(NO_PK), NO_PK.times)
    ours = simulate_schedule(NO_PK, READOUTS)
    worst = _worst(ours, rr, READOUTS)
    print("core vs roadrunner, no oral doses:", worst)
    assert worst[0] <= 1e-6, worst
    # with oral doses: the core's PK equations against the file's (rate rules and events)
    _, rr = mixed
    ours = simulate_schedule(MIXED, READOUTS)
    worst = _worst(ours, rr, READOUTS)
    print("core vs roadrunner, with oral doses:", worst)
    assert worst[0] <= 1e-6, worst
    for drug in ("ruxolitinib", "tofacitinib"):  # the free concentration the kinases see
        free = ours[f"{drug}_free_nM"].to_numpy()
        assert np.max(np.abs(free - rr[f"{drug}_nM"])) <= 1e-6 * free.max(), drug


def test_copasi_runs_the_schedule_sbml_as_roadrunner_does(mixed):
    from jakstat_rules.export.copasi import load_sbml

    text, rr = mixed
    cm = load_sbml(text)
    table = cm.run_time_course(READOUTS + ["ruxolitinib_nM", "tofacitinib_nM"],
                               duration=MIXED.t_end, steps=MIXED.n_points - 1, rtol=1e-10,
                               atol=1e-10)
    assert np.allclose(table["time"], rr["time"])
    worst = _worst(rr, table, READOUTS + ["ruxolitinib_nM", "tofacitinib_nM"])
    print("COPASI vs roadrunner:", worst)
    assert worst[0] <= 1e-6, worst


@pytest.mark.parametrize("schedule, words", [
    ("no_such_schedule", ("unknown schedule 'no_such_schedule'", "radiation_5x2Gy")),
    ("bad.yaml", ("bad.yaml, period 1", "ruxolitinib_oral_mg=-20", "mg > 0")),
])
def test_export_of_a_bad_schedule_is_one_line_and_writes_nothing(schedule, words, tmp_path,
                                                                 monkeypatch, capsys):
    from jakstat_rules.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.yaml").write_text("periods: [{time: 0, changes: {ruxolitinib_oral_mg: -20}}]\n",
                                       encoding="utf-8")
    assert main(["export", "--schedule", schedule, "--out", "out"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "error:" in err, err
    for w in words:
        assert w in err, err
    assert not (tmp_path / "out").exists()
