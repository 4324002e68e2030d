"""SED-ML of a therapy schedule and of a combination map, re-run by tellurium.

A small COMBINE archive is written the way the supplement writes its own
(the schedule written into the SBML, a uniform time course; the combination
grid as a repeated task over one drug's doses nested in one over the
other's) and executed by ``tests/supplement_engines.py tellurium``
(tellurium's own SED-ML interpreter on libroadrunner, in its own process);
every report column is compared with the project's core: to 1e-6 of each
column's range, the combination grid and the schedule with oral doses alike
(the core integrates the same PK equations as the schedule SBML; see
tests/test_export_schedule.py).
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jakstat_rules.conditions import Schedule, SchedulePeriod

HERE = Path(__file__).resolve().parent

SHORT = Schedule("short_test", (
    SchedulePeriod(0.0, {"IFNb_pM": 100.0, "ruxolitinib_oral_mg": 20.0}),
    SchedulePeriod(120.0, {"IR_Gy": 2.0}),
    SchedulePeriod(240.0, {"ruxolitinib_oral_mg": 20.0}),
), t_end=360.0, n_points=25, description="a short test schedule")


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    from jakstat_rules.export.schedule import schedule_sbml
    from jakstat_rules.io import atomic_write
    from jakstat_rules.supplement import experiments as ex
    from jakstat_rules.supplement.archive import write_archive
    from jakstat_rules.supplement.sedml import sedml_id, sedml_text
    from jakstat_rules.supplement.tables import run_table, schedule_table, sedml_model_sbml

    root = tmp_path_factory.mktemp("omex") / "folder"
    files = {}
    sched = ex.Document("schedule", "a schedule", (ex.schedule_run(
        SHORT, ex.schedule_model_file(SHORT.id), "short.csv"),))
    combo = ex.Document("combination", "a grid", (ex.combination_run(
        "ruxolitinib_nM", (0.0, 300.0), "tofacitinib_nM", (0.0, 100.0, 1000.0),
        {"IFNb_pM": 100.0}, "pSTAT1_total", 120.0, 13, ex.sedml_model_file("default"),
        "combo.csv"),))
    models = {ex.schedule_model_file(SHORT.id): schedule_sbml(SHORT),
              ex.sedml_model_file("default"): sedml_model_sbml("default")}
    for path, text in models.items():
        atomic_write(root / path, text)
        files[path] = "model"
    for d in (sched, combo):
        atomic_write(root / d.file, sedml_text(d))
        files[d.file] = "SED-ML"
    omex = write_archive(root, root.parent / "test.omex", files)
    # keyed by report id, as supplement_engines.py gives the engines' tables
    tables = {sedml_id("report", sched.runs[0].id): schedule_table(sched.runs[0], schedule=SHORT),
              sedml_id("report", combo.runs[0].id): run_table(combo.runs[0])}
    return omex, tables


@pytest.mark.slow
def test_sedml_of_a_schedule_and_a_combination_grid_reruns_in_tellurium(archive, tmp_path):
    import libsedml

    from jakstat_rules.supplement.sedml import sedml_id

    omex, tables = archive
    run = subprocess.run([sys.executable, str(HERE / "supplement_engines.py"), "tellurium",
                          str(omex), str(tmp_path / "te.json")], capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, (run.stdout + run.stderr)[-2000:]
    result = json.loads((tmp_path / "te.json").read_text(encoding="utf-8"))
    assert sorted(result) == sorted(tables)
    worst = {}
    for rid, ours in tables.items():
        theirs = result[rid]
        assert list(theirs) == list(ours.columns), rid
        for col in ours.columns:
            a, b = ours[col].to_numpy(float), np.asarray(theirs[col], float)
            assert a.shape == b.shape, (rid, col)
            span = max(float(a.max() - a.min()), 1e-3)
            worst[rid] = max(worst.get(rid, (0.0, "")), (float(np.max(np.abs(a - b))) / span, col))
    print("tellurium vs core:", worst)
    grid_id = "combination_ruxolitinib_nM_x_tofacitinib_nM"
    assert worst[sedml_id("report", "short_test")][0] <= 1e-6, worst
    assert worst[sedml_id("report", grid_id)][0] <= 1e-6, worst
    # the combination grid is two nested repeated tasks; the map is the value at 120 min
    grid = pd.DataFrame(result[sedml_id("report", grid_id)])
    at_t = grid[grid["time"] == 120.0]
    assert len(at_t) == 6 and at_t["pSTAT1_total"].iloc[0] > at_t["pSTAT1_total"].iloc[-1]
    doc = libsedml.readSedMLFromString(
        Path(omex).parent.joinpath("folder", "combination.sedml").read_text(encoding="utf-8"))
    outer = doc.getTask(sedml_id("task", grid_id))
    inner = doc.getTask(outer.getSubTask(0).getTask())
    assert inner.getTypeCode() == libsedml.SEDML_TASK_REPEATEDTASK
    names = {doc.getDataGenerator(i).getName() for i in range(doc.getNumDataGenerators())}
    assert any(n.startswith("pY701-STAT1 [") for n in names), names
