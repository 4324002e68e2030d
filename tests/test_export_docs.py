"""docs/copasi.md and docs/sbml.md: the walkthrough runs, the tables match the model and conditions."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_copasi_walkthrough_runs_step_by_step(monkeypatch, tmp_path):
    text = (ROOT / "docs" / "copasi.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) == 6
    monkeypatch.chdir(ROOT)
    namespace: dict = {}
    for i, block in enumerate(blocks, 1):
        exec(compile(block, f"docs/copasi.md step {i}", "exec"), namespace)


def test_copasi_doc_lists_every_input_and_readout():
    from jakstat_rules.model import INPUTS, READOUTS
    text = (ROOT / "docs" / "copasi.md").read_text(encoding="utf-8")
    for name in list(INPUTS) + list(READOUTS):
        assert f"`{name}`" in text, name


def test_copasi_doc_lists_the_parameter_sets_of_the_conditions_table():
    """The guide's parameter-set table is the default-model part of the conditions table."""
    from jakstat_rules.conditions import CONDITIONS

    text = (ROOT / "docs" / "copasi.md").read_text(encoding="utf-8")
    rows = re.findall(r"^ *\| `(\w+)` \| ([^|]*) \| 0-(\d+) min", text, flags=re.M)
    documented = {cid: (dict(re.findall(r"`(\w+)` = ([\d.]+)", inputs)), float(t_end))
                  for cid, inputs, t_end in rows}
    expected = {c.id: ({k: f"{v:g}" for k, v in c.inputs.items()}, c.t_end)
                for c in CONDITIONS.values() if c.variant == "default"}
    assert documented == expected
    assert "300 nM" not in text and "300nM" not in text


def test_sbml_doc_mentions_the_contracts():
    text = (ROOT / "docs" / "sbml.md").read_text(encoding="utf-8")
    for word in ("jakstat_ifn", "bqbiol:is", "bqbiol:hasPart", "SBO", "CHEBI:66919", "9606",
                 "checkConsistency", "pSTAT1_total", "IFNb_pM", "molecule"):
        assert word in text, word


@pytest.mark.heavy  # tellurium compiles the 383-species model three times: 2.5 min cold
def test_sbml_doc_tellurium_dose_lines_give_the_response(monkeypatch):
    """The documented tellurium lines (reset() after the input, or the init() form)
    apply the dose: the readout at 240 min is the engine's; the input alone is not."""
    import pytest

    te = pytest.importorskip("tellurium")
    from jakstat_rules.engine import Engine

    text = (ROOT / "docs" / "sbml.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```python\n(.*?)```", text, flags=re.S)
              if "tellurium" in b]
    assert len(blocks) == 1
    monkeypatch.chdir(ROOT)
    namespace: dict = {}
    exec(compile(blocks[0], "docs/sbml.md tellurium", "exec"), namespace)
    engine = Engine.from_file(ROOT / "sbml" / "jakstat_ifn.xml")
    engine.start({"IFNb_pM": 100})
    expected = engine.simulate([0, 240], ["pSTAT1_total"])[-1, 0]
    for name in ("after_reset", "after_init"):
        got = namespace[name][-1, 1]
        assert abs(got - expected) < 1e-5 * expected, (name, got, expected)
    rr = te.loadSBMLModel(str(ROOT / "sbml" / "jakstat_ifn.xml"))
    rr.IFNb_pM = 100                                   # the trap the guide warns of
    assert rr.simulate(0, 240, 241, ["time", "pSTAT1_total"])[-1, 1] < 1e-3 * expected
