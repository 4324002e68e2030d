"""The exported files have the dynamics of the rules.

Independent engines on the standard scenarios (0-240 min):

* PySB's ScipyOdeSimulator on the BioNetGen network (the reference; no SBML involved),
* libroadrunner on ``sbml/jakstat_ifn.xml``,
* COPASI (python-copasi) on the same SBML, which must import without unit warnings,
* BioNetGen (BNG2.pl, ``simulate_ode``) on ``sbml/jakstat_ifn.bngl``,
* tellurium ``loada`` on ``sbml/jakstat_ifn.ant``,
* COPASI on ``sbml/jakstat_ifn.cps`` through its stored parameter sets and task.

Every readout must agree with the reference to 1e-6 of its range over the
time course (absolute floor 1e-6 molecules for readouts that stay at 0).
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SBML_DIR = ROOT / "sbml"
SCENARIOS = {
    "ifna_1nM": {"IFNa_pM": 1000.0},
    "ifnb_100pM": {"IFNb_pM": 100.0},
    "ifng_100pM": {"IFNg_pM": 100.0},
    "ifnb_100pM_ruxolitinib_300nM": {"IFNb_pM": 100.0, "ruxolitinib_nM": 300.0},
}
TIMES = np.linspace(0.0, 240.0, 49)
TOL = 1e-6
RESULTS: dict[str, dict[str, pd.DataFrame]] = {}  # engine -> scenario -> table (for the summary)


def _agree(ref: pd.DataFrame, other: pd.DataFrame, what: str) -> float:
    """Max disagreement relative to each readout's range; asserts it is <= TOL."""
    assert np.allclose(ref["time"].to_numpy(), other["time"].to_numpy(), rtol=0, atol=1e-9), what
    worst, worst_col = 0.0, None
    for col in ref.columns:
        if col == "time" or col not in other.columns:
            continue
        a, b = ref[col].to_numpy(float), other[col].to_numpy(float)
        scale = max(np.ptp(a), 1.0)
        err = float(np.max(np.abs(a - b)) / scale)
        if err > worst:
            worst, worst_col = err, col
    assert worst <= TOL, f"{what}: {worst_col} differs by {worst:.3g} of its range"
    return worst


@pytest.fixture(scope="module")
def model():
    from jakstat_rules.model import build_model
    from jakstat_rules.network import generate_network
    m = build_model("default")
    generate_network(m)
    return m


@pytest.fixture(scope="module")
def readouts(model):
    from jakstat_rules.model import READOUTS
    return [r for r in READOUTS if r in model.components.keys()]


def _pysb_run(name: str) -> tuple[str, pd.DataFrame]:
    """PySB ScipyOdeSimulator (python compiler) on the BioNetGen network, one scenario."""
    from pysb.simulator import ScipyOdeSimulator

    from jakstat_rules.model import READOUTS, build_model
    from jakstat_rules.network import generate_network
    model = build_model("default")
    generate_network(model)
    sim = ScipyOdeSimulator(model, tspan=TIMES, compiler="python", integrator="lsoda",
                            integrator_options={"rtol": 1e-9, "atol": 1e-9, "mxstep": 100000})
    res = sim.run(param_values=dict(SCENARIOS[name]))
    table = {"time": TIMES}
    for r in READOUTS:
        if r in model.observables.keys():
            table[r] = res.observables[r]
        elif r in model.expressions.keys():
            table[r] = res.expressions[r]
    return name, pd.DataFrame(table)


@pytest.fixture(scope="module")
def reference(model):
    """The reference trajectories (PySB, no SBML involved), two scenarios at a time."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("fork")) as ex:
        out = dict(ex.map(_pysb_run, SCENARIOS))
    RESULTS["pysb"] = out
    return out


@pytest.fixture(scope="module")
def sbml_text():
    return (SBML_DIR / "jakstat_ifn.xml").read_text(encoding="utf-8")


def _roadrunner(rr, inputs, readouts):
    from jakstat_rules.model import INPUTS
    for k in INPUTS:
        rr[k] = float(inputs.get(k, 0.0))
    rr.reset()
    res = rr.simulate(times=TIMES, selections=["time"] + readouts)
    return pd.DataFrame(np.asarray(res), columns=["time"] + readouts)


def _rr(text: str, antimony: bool = False):
    import roadrunner
    if antimony:
        import tellurium as te
        rr = te.loada(text)
    else:
        rr = roadrunner.RoadRunner(text)
    rr.integrator.relative_tolerance = 1e-11
    rr.integrator.absolute_tolerance = 1e-10
    rr.integrator.maximum_num_steps = 100000
    return rr


def test_roadrunner_on_sbml_matches_pysb(reference, sbml_text, readouts):
    rr = _rr(sbml_text)
    RESULTS["roadrunner"] = {}
    for name, inputs in SCENARIOS.items():
        table = _roadrunner(rr, inputs, readouts)
        RESULTS["roadrunner"][name] = table
        _agree(reference[name], table, f"roadrunner vs PySB, {name}")


def test_copasi_on_sbml_matches_pysb_and_imports_without_unit_warnings(reference, sbml_text, readouts):
    from jakstat_rules.export.copasi import load_sbml
    cm = load_sbml(sbml_text)
    assert [m for m in cm.messages if m.about_units] == []
    # the only notices are COPASI's "MIRIAM resource unknown" (its local database list)
    assert cm.model_messages() == []
    RESULTS["copasi"] = {}
    for name, inputs in SCENARIOS.items():
        table = cm.time_course(inputs, readouts, duration=240.0, steps=48, rtol=1e-11, atol=1e-10)
        RESULTS["copasi"][name] = table
        _agree(reference[name], table, f"COPASI vs PySB, {name}")


def test_copasi_file_runs_its_parameter_sets(reference, readouts):
    from jakstat_rules.export.copasi import STANDARD_TIME_COURSES, load_cps
    cm = load_cps(SBML_DIR / "jakstat_ifn.cps")
    assert cm.model_messages() == []
    assert list(STANDARD_TIME_COURSES) == cm.parameter_sets()
    for name in ("ifnb_100pM", "ifnb_100pM_ruxolitinib_300nM"):
        cm.apply_parameter_set(name)
        table = cm.run_time_course(readouts, configure=False)  # the task as stored: 0-240, 240 steps
        assert table["time"].iloc[-1] == pytest.approx(240.0)
        _agree(reference[name], table.iloc[::5].reset_index(drop=True), f".cps {name}")


def test_antimony_matches_pysb(reference, readouts):
    rr = _rr((SBML_DIR / "jakstat_ifn.ant").read_text(encoding="utf-8"), antimony=True)
    for name in ("ifnb_100pM", "ifng_100pM"):
        _agree(reference[name], _roadrunner(rr, SCENARIOS[name], readouts), f"Antimony, {name}")


def test_bngl_through_bionetgen_matches_pysb(reference, tmp_path):
    from pysb.pathfinder import get_path
    bng = get_path("bng")
    text = (SBML_DIR / "jakstat_ifn.bngl").read_text(encoding="utf-8")
    actions = ('begin actions\nsetParameter("IFNb_pM", 100)\ngenerate_network({overwrite=>1})\n'
               'simulate({method=>"ode", t_end=>240, n_steps=>48, atol=>1e-10, rtol=>1e-11})\n'
               'end actions\n')
    text = re.sub(r"begin actions.*?end actions\n", actions, text, flags=re.S)
    (tmp_path / "m.bngl").write_text(text)
    perl = shutil.which("perl") or "perl"
    proc = subprocess.run([perl, bng, "m.bngl"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    lines = (tmp_path / "m.gdat").read_text().splitlines()
    cols = lines[0].lstrip("#").split()
    data = np.array([[float(x) for x in line.split()] for line in lines[1:] if line.strip()])
    table = pd.DataFrame(data, columns=cols)
    ref = reference["ifnb_100pM"]
    common = [c for c in ref.columns if c in table.columns]
    assert "pSTAT1_total" in common and len(common) > 10
    _agree(ref[common], table[common], "BNGL (BNG2.pl) vs PySB, ifnb_100pM")


def test_engines_report(reference):
    """Print the largest disagreement per engine (shown with pytest -s)."""
    for engine, tables in RESULTS.items():
        if engine == "pysb":
            continue
        worst = max(_agree(reference[n], t, engine) for n, t in tables.items())
        print(f"{engine}: max disagreement with PySB {worst:.2e} of the range")
