"""The exported files have the dynamics of the rules.

The reference is BioNetGen's own ODE integrator (``run_network``, CVODE at
1e-10) on the network that BNG2.pl generates from PySB's BNGL export of each
variant's rules (:func:`_bionetgen_run`; no SBML, no libroadrunner, none of
the files in ``sbml/``).  PySB's ``ScipyOdeSimulator`` on the same network
is compared with libroadrunner in ``tests/test_simulate.py``.  Against the
reference, on the standard conditions of
:data:`jakstat_rules.conditions.CONDITIONS`:

* libroadrunner (through :class:`jakstat_rules.engine.Engine`) on ``sbml/jakstat_ifn.xml``
  and on the variant file of each variant condition the reference can run,
* COPASI (python-copasi) on the same SBML, which must import without unit warnings,
* COPASI on ``sbml/jakstat_ifn.cps`` through its stored parameter sets and task,
* BioNetGen (BNG2.pl, ODE with CVODE) on the committed ``sbml/jakstat_ifn.bngl``
  (the same integrator as the reference: this checks the file),
* libAntimony -> SBML -> :class:`~jakstat_rules.engine.Engine` on ``sbml/jakstat_ifn.ant``.

Every readout must agree with the reference to :data:`TOL` (1e-7) of its
range over the condition's time span (ranges below 1 molecule count as 1, so
readouts that stay at 0 must agree to ``TOL`` molecules).  Each test's
docstring states the largest disagreement it reached when it was written;
``pytest -s`` prints the current figures per condition.

Each test is self-contained: it asks the ``reference`` fixture for the
trajectories it compares with (computed once per module, one BNG2.pl run per
model variant, the variants side by side).
"""
from __future__ import annotations

import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jakstat_rules.conditions import CONDITIONS, Condition
from jakstat_rules.interface import NEEDS_PREEQUILIBRATION, READOUTS

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SBML_DIR = ROOT / "sbml"
#: Largest allowed disagreement with the reference, relative to each readout's range.
TOL = 1e-7
#: Output points per condition (every 5 min for the 4 h conditions).
N_POINTS = 49
#: Conditions of the default model (all of them: the .cps file stores them all).
DEFAULT_CONDITIONS = [c for c in CONDITIONS.values() if c.variant == "default"]
#: Conditions of other variants whose initial amounts are the resting state
#: (the reference does not pre-equilibrate, so JAK2 V617F is left out).
VARIANT_CONDITIONS = [c for c in CONDITIONS.values()
                      if c.variant != "default" and c.variant not in NEEDS_PREEQUILIBRATION]


def _times(condition: Condition) -> np.ndarray:
    return np.linspace(0.0, condition.t_end, N_POINTS)


def _sbml_file(variant: str) -> Path:
    return SBML_DIR / ("jakstat_ifn.xml" if variant == "default" else f"jakstat_ifn_{variant}.xml")


def _bionetgen_run(bngl: str, conditions: list[Condition], folder: Path) -> dict[str, pd.DataFrame]:
    """BNG2.pl on ``bngl`` (rules without actions): the network generated once, then each
    condition with its inputs set (every other input 0), the species reset to their
    re-evaluated initial amounts, and an ODE run (CVODE, atol = rtol = 1e-10) on the
    condition's time points; condition id -> table of time, observables and functions."""
    from pysb.pathfinder import get_path

    from jakstat_rules.interface import INPUTS

    actions = ["begin actions", "generate_network({overwrite=>1})", "saveConcentrations()"]
    for c in conditions:
        actions += [f'setParameter("{k}", {float(c.inputs.get(k, 0.0))!r})' for k in INPUTS]
        actions += ["resetConcentrations()",
                    f'simulate({{method=>"ode", t_end=>{c.t_end:g}, n_steps=>{N_POINTS - 1}, '
                    f'atol=>1e-10, rtol=>1e-10, print_functions=>1, suffix=>"{c.id}"}})']
    actions.append("end actions\n")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "m.bngl").write_text(bngl + "\n" + "\n".join(actions))
    proc = subprocess.run([shutil.which("perl") or "perl", get_path("bng"), "m.bngl"], cwd=folder,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    tables = {}
    for c in conditions:
        lines = (folder / f"m_{c.id}.gdat").read_text(encoding="utf-8").splitlines()
        data = np.array([[float(x) for x in line.split()] for line in lines[1:] if line.strip()])
        tables[c.id] = pd.DataFrame(data, columns=lines[0].lstrip("#").split())
    return tables


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, pd.DataFrame]:
    """Condition id -> reference table (time and every readout of the variant)."""
    from pysb.export import export

    from jakstat_rules.model import build_model

    todo = DEFAULT_CONDITIONS + VARIANT_CONDITIONS
    variants = sorted({c.variant for c in todo})
    texts = {v: export(build_model(v), "bngl") for v in variants}
    root = tmp_path_factory.mktemp("reference")
    with ThreadPoolExecutor(max_workers=2) as ex:  # BNG2.pl runs as a subprocess
        runs = ex.map(lambda v: _bionetgen_run(texts[v], [c for c in todo if c.variant == v],
                                               root / v), variants)
        out = {cid: table for run in runs for cid, table in run.items()}
    return {cid: table[["time"] + [r for r in READOUTS if r in table.columns]]
            for cid, table in out.items()}


def disagreement(ref: pd.DataFrame, other: pd.DataFrame) -> tuple[float, str | None, int]:
    """Largest ``max |ref - other| / range(ref)`` over the readouts both tables have.

    Returns the value, the readout it occurs in and the number of readouts compared.
    """
    assert np.allclose(ref["time"].to_numpy(), other["time"].to_numpy(), rtol=0, atol=1e-9)
    worst, worst_col, n = 0.0, None, 0
    for col in ref.columns:
        if col == "time" or col not in other.columns:
            continue
        a, b = ref[col].to_numpy(float), other[col].to_numpy(float)
        err = float(np.max(np.abs(a - b)) / max(np.ptp(a), 1.0))
        n += 1
        if err >= worst:
            worst, worst_col = err, col
    return worst, worst_col, n


def assert_agree(reference: dict[str, pd.DataFrame], tables: dict[str, pd.DataFrame], what: str,
                 min_readouts: int = len(READOUTS) - 2) -> float:
    """Every table agrees with its reference to :data:`TOL`; returns the worst figure."""
    assert tables, f"{what}: nothing was compared"
    found = {}
    for cid, table in tables.items():
        err, col, n = disagreement(reference[cid], table)
        assert n >= min_readouts, f"{what}, {cid}: only {n} readouts compared"
        assert err <= TOL, f"{what}, {cid}: {col} differs by {err:.3g} of its range"
        found[cid] = err
    print(f"\n{what}: max disagreement with the reference {max(found.values()):.1e} of the range; "
          + ", ".join(f"{cid} {err:.1e}" for cid, err in found.items()))
    return max(found.values())


# ----------------------------------------------------------------------------- the reference itself
def test_reference_covers_the_conditions_and_responds_to_them(reference):
    """The reference ran every condition, and the inputs act (independent of any export).

    IFN and radiation raise pSTAT1 from 0; ruxolitinib lowers the IFN-beta response.
    """
    assert set(reference) == {c.id for c in DEFAULT_CONDITIONS + VARIANT_CONDITIONS}
    peak = {cid: float(t["pSTAT1_total"].max()) for cid, t in reference.items()}
    assert peak["rest"] == 0.0
    for cid in ("ifna_1nM", "ifnb_100pM", "ifng_100pM", "radiation_10Gy"):
        assert peak[cid] > 100.0, cid
    assert peak["ifnb_100pM_ruxolitinib_1uM"] < 0.5 * peak["ifnb_100pM"]


# ----------------------------------------------------------------------------- pairs
def test_roadrunner_on_sbml_matches_the_reference(reference):
    """libroadrunner (Engine, CVODE 1e-10) on the SBML files vs the reference: 7.6e-9 of the range.

    Reached: 7.6e-9 (radiation_10Gy over 48 h), at most 1.4e-9 on the 4 h
    conditions, 3e-11 at rest.

    All default-model conditions on ``jakstat_ifn.xml`` (radiation over its
    48 h), ``ifnb_100pM_socs1_loss`` on ``jakstat_ifn_socs1_loss.xml`` and
    ``il6_1nM_socs3_loss`` on ``jakstat_ifn_socs3_loss.xml``.
    """
    from jakstat_rules.engine import Engine

    tables = {}
    for variant in sorted({c.variant for c in DEFAULT_CONDITIONS + VARIANT_CONDITIONS}):
        engine = Engine.from_file(_sbml_file(variant))
        readouts = [r for r in READOUTS if r in engine.parameter_ids]
        for c in DEFAULT_CONDITIONS + VARIANT_CONDITIONS:
            if c.variant == variant:
                engine.start(c.inputs)
                tables[c.id] = engine.table(_times(c), readouts)
    assert set(tables) == set(reference)
    assert_agree(reference, tables, "libroadrunner (Engine) on the SBML")


def test_copasi_on_sbml_matches_the_reference_and_imports_without_unit_warnings(reference):
    """COPASI (LSODA 1e-10) on ``jakstat_ifn.xml`` vs the reference: 1.3e-9 of the range.

    Reached: 1.3e-9 (radiation_10Gy), at most 9.7e-10 on the 4 h conditions, 3e-11 at rest.

    COPASI logs nothing about the model on import (only notices about its
    own list of annotation databases).
    """
    from jakstat_rules.export.copasi import load_sbml

    cm = load_sbml((SBML_DIR / "jakstat_ifn.xml").read_text(encoding="utf-8"))
    assert [m for m in cm.messages if m.about_units] == []
    assert cm.model_messages() == []
    tables = {c.id: cm.time_course(c.inputs, [r for r in READOUTS if r in reference[c.id]],
                                   duration=c.t_end, steps=N_POINTS - 1, rtol=1e-10, atol=1e-10)
              for c in DEFAULT_CONDITIONS}
    assert_agree(reference, tables, "COPASI on the SBML")


def test_copasi_file_holds_the_conditions_and_runs_them(reference):
    """``jakstat_ifn.cps`` vs the conditions table and the reference: 1.3e-9 of the range.

    Reached: 1.3e-9 (radiation_10Gy), at most 8.0e-10 on the 4 h conditions, 3e-11 at rest.

    The file has one parameter set per default-model condition, named by its
    id, holding exactly its input values (every other input 0).  Applied
    and run with the task as stored (0-240 min, 240 intervals; the radiation
    condition with the duration its comment asks for), each agrees with the
    reference.
    """
    from jakstat_rules.export.copasi import load_cps, parameter_set_name
    from jakstat_rules.interface import INPUTS

    cm = load_cps(SBML_DIR / "jakstat_ifn.cps")
    assert cm.model_messages() == []
    assert cm.parameter_sets() == [parameter_set_name(c.id) for c in DEFAULT_CONDITIONS]
    tables = {}
    # the stored 240-min task first: a longer condition below reconfigures the task's duration
    for c in sorted(DEFAULT_CONDITIONS, key=lambda c: c.t_end != 240.0):
        cm.apply_parameter_set(parameter_set_name(c.id))
        assert {k: cm.value(k) for k in INPUTS} == {k: float(c.inputs.get(k, 0.0)) for k in INPUTS}
        readouts = [r for r in READOUTS if r in reference[c.id]]
        if c.t_end == 240.0:
            table = cm.run_time_course(readouts, configure=False)  # the stored task
            assert len(table) == 241 and table["time"].iloc[-1] == pytest.approx(240.0)
            tables[c.id] = table.iloc[::5].reset_index(drop=True)
        else:
            sets = cm.model.getModelParameterSets()
            comment = next(sets.get(i).getNotes() for i in range(sets.size())
                           if sets.get(i).getObjectName() == parameter_set_name(c.id))
            assert f"set its duration to {c.t_end:g} min" in comment
            tables[c.id] = cm.run_time_course(readouts, duration=c.t_end, steps=N_POINTS - 1)
    assert_agree(reference, tables, "COPASI on the .cps file")


def test_bngl_file_holds_the_reference_rules_and_its_actions_run(tmp_path):
    """``jakstat_ifn.bngl`` is the reference's input plus a header and actions, and
    ``BNG2.pl jakstat_ifn.bngl`` runs as the export README says.

    Between its header comments and its actions block the file is PySB's
    BNGL export of the default model, the text the reference fixture runs
    (so the reference's trajectories are the file's).  Run as written, its
    actions generate the network and give a 0-240 min time course (241
    points) of the resting cell: no phospho-STAT1 at any time.
    """
    from pysb.export import export
    from pysb.pathfinder import get_path

    from jakstat_rules.model import build_model

    text = (SBML_DIR / "jakstat_ifn.bngl").read_text(encoding="utf-8")
    body = re.sub(r"begin actions.*?end actions\n", "", text, flags=re.S)
    body = "".join(line for line in body.splitlines(keepends=True) if not line.startswith("#"))
    expected = "".join(line for line in export(build_model("default"), "bngl").splitlines(keepends=True)
                       if not line.startswith("#"))
    assert body.strip() == expected.strip()
    (tmp_path / "jakstat_ifn.bngl").write_text(text)
    proc = subprocess.run([shutil.which("perl") or "perl", get_path("bng"), "jakstat_ifn.bngl"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    lines = (tmp_path / "jakstat_ifn.gdat").read_text(encoding="utf-8").splitlines()
    names = lines[0].lstrip("#").split()
    data = np.array([[float(x) for x in line.split()] for line in lines[1:] if line.strip()])
    assert data.shape[0] == 241 and data[-1, 0] == pytest.approx(240.0)
    assert np.all(data[:, names.index("pSTAT1_total")] == 0.0)
    assert data[0, names.index("STAT1_total")] > 1e4


def test_antimony_matches_the_reference(reference):
    """libAntimony -> SBML -> Engine on ``jakstat_ifn.ant`` vs the reference: 7.6e-9 of the range.

    Reached: the figures of the SBML itself (7.6e-9 on radiation_10Gy, at
    most 1.4e-9 on the 4 h conditions): the Antimony text loses nothing, the
    compartment ``cell`` included.
    """
    import antimony

    from jakstat_rules.engine import Engine

    antimony.clearPreviousLoads()
    assert antimony.loadAntimonyString((SBML_DIR / "jakstat_ifn.ant").read_text(encoding="utf-8")) >= 0, \
        antimony.getLastError()
    engine = Engine(antimony.getSBMLString(antimony.getMainModuleName()))
    assert engine.compartment_ids == ["cell"]  # the compartment survives the Antimony text
    readouts = [r for r in READOUTS if r in engine.parameter_ids]
    tables = {}
    for c in DEFAULT_CONDITIONS:
        engine.start(c.inputs)
        tables[c.id] = engine.table(_times(c), readouts)
    assert_agree(reference, tables, "Antimony (libAntimony, Engine)")
