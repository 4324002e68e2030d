"""The simulation core against analytic solutions, and its compiled-state cache."""
import logging
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from jakstat_rules import engine as engine_module
from jakstat_rules.engine import Engine
from jakstat_rules.errors import JakstatInputError, SimulationError

PACKAGE = Path(__file__).resolve().parents[1] / "jakstat_rules"


def _sbml(antimony: str) -> str:
    import antimony as ant

    assert ant.loadAntimonyString(antimony) >= 0, ant.getLastError()
    return ant.getSBMLString(ant.getMainModuleName())


DECAY = _sbml("""
model decay
  compartment c = 1
  k = 0.3; A0 = 10
  species A in c
  A = A0
  J: A -> ; k * A
end
""")

# a parameter initial assignment that depends on another parameter (as in Bertozzi_PNAS2020)
ASSIGNED = _sbml("""
model assigned
  compartment c = 1
  p1 = 2
  p2 := 3 * p1
  species S in c
  S = p2
  J: S -> ; 0.1 * S
end
""")

REVERSIBLE = _sbml("""
model reversible
  compartment c = 1
  kf = 0.2; kr = 0.05
  species A in c, B in c
  A = 100; B = 0
  J: A -> B; kf * A - kr * B
end
""")

BLOWUP = _sbml("""
model blowup
  compartment c = 1
  species x in c
  x = 1
  J: -> x; x * x
end
""")


@pytest.fixture()
def fresh_cache(tmp_path, monkeypatch):
    """A private cache folder and no compiled state in memory."""
    monkeypatch.setenv("JAKSTAT_CACHE", str(tmp_path))
    engine_module.clear_memory_cache()
    yield tmp_path
    engine_module.clear_memory_cache()


def test_exponential_decay_matches_the_analytic_solution(fresh_cache):
    eng = Engine(DECAY)
    eng.start()
    t = np.linspace(0, 20, 21)
    table = eng.table(t, ["A"])
    assert np.allclose(table["A"], 10 * np.exp(-0.3 * t), rtol=1e-6, atol=1e-9)
    # values by id, then back to the SBML's values
    eng.start({"k": 0.1, "A0": 4})
    assert np.allclose(eng.simulate(t, ["A"])[:, 0], 4 * np.exp(-0.1 * t), rtol=1e-6, atol=1e-9)
    eng.start()
    assert eng.value("k") == 0.3 and eng.value("A") == 10


def test_parameter_initial_assignments_are_re_evaluated(fresh_cache):
    # antimony writes `p2 := 3 p1` as an assignment rule; turn it into an initial assignment
    import libsbml

    doc = libsbml.readSBMLFromString(ASSIGNED)
    model = doc.getModel()
    rule = model.getRule("p2")
    math_ = rule.getMath().deepCopy()
    model.removeRule("p2")
    model.getParameter("p2").setConstant(True)
    ia = model.createInitialAssignment()
    ia.setSymbol("p2")
    ia.setMath(math_)
    eng = Engine(libsbml.writeSBMLToString(doc))
    eng.start({"p1": 5})
    assert eng.value("p2") == 15 and eng.value("S") == 15      # p2 = 3 p1, S(0) = p2
    eng.start()
    assert eng.value("p2") == 6 and eng.value("S") == 6
    eng.start({"p1": 5, "p2": 1})                               # an explicit value wins
    assert eng.value("p2") == 1 and eng.value("S") == 1


def test_initial_assignments_with_units_on_numbers(fresh_cache):
    """An L3 initial assignment may give its numbers units (``ln(2 dimensionless)``, as the
    schedule SBML's PK writes); the engine evaluates it without them."""
    import libsbml

    doc = libsbml.readSBMLFromString(ASSIGNED)
    model = doc.getModel()
    model.removeRule("p2")
    model.getParameter("p2").setConstant(True)
    ia = model.createInitialAssignment()
    ia.setSymbol("p2")
    settings = libsbml.L3ParserSettings()
    settings.setParseUnits(True)
    ia.setMath(libsbml.parseL3FormulaWithSettings("ln(2 dimensionless) * p1", settings))
    assert "dimensionless" in libsbml.formulaToL3String(ia.getMath())
    eng = Engine(libsbml.writeSBMLToString(doc))
    eng.start({"p1": 5})
    assert eng.value("p2") == pytest.approx(5 * math.log(2), rel=1e-15)


def test_preequilibration_reaches_the_analytic_steady_state(fresh_cache):
    eng = Engine(REVERSIBLE)
    eng.start()
    x = eng.preequilibrate()
    ids = eng.species_ids
    a, b = x[ids.index("A")], x[ids.index("B")]
    assert a == pytest.approx(100 * 0.05 / 0.25, rel=1e-7)
    assert b == pytest.approx(100 * 0.2 / 0.25, rel=1e-7)
    assert eng.is_steady() and eng.rr.model.getTime() == 0.0


def test_solver_failure_is_a_simulation_error(fresh_cache):
    eng = Engine(BLOWUP)                       # dx/dt = x^2, x(0) = 1: blows up at t = 1
    eng.start()
    with pytest.raises(SimulationError, match="solver"):
        eng.simulate([0, 0.5, 2.0], ["x"])


def test_unsettable_and_bad_models_are_refused(fresh_cache):
    eng = Engine(DECAY)
    with pytest.raises(JakstatInputError, match="cannot set 'nope'"):
        eng.set_values({"nope": 1})
    with pytest.raises(JakstatInputError, match="could not be loaded by libroadrunner"):
        Engine("<sbml>this is not SBML</sbml>")
    with pytest.raises(JakstatInputError, match="cannot be read"):
        Engine.from_file(fresh_cache / "missing.xml")


def test_compiled_state_is_reused_across_processes(fresh_cache):
    Engine(DECAY)
    assert engine_module.COMPILATIONS >= 1
    path = fresh_cache / "model.xml"
    path.write_text(DECAY, encoding="utf-8")
    code = ("import numpy as np; from jakstat_rules import engine; from jakstat_rules.engine import Engine;"
            f"e = Engine.from_file({str(path)!r}); e.start();"
            "print(engine.COMPILATIONS, e.simulate([0, 10], ['A'])[-1, 0])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**__import__("os").environ, "JAKSTAT_CACHE": str(fresh_cache)})
    compilations, value = out.stdout.split()
    assert compilations == "0"                                  # loaded, not compiled
    assert float(value) == pytest.approx(10 * math.exp(-3), rel=1e-6)


def test_both_jit_backends_give_the_analytic_solution_and_leave_the_settings_as_they_were(
        fresh_cache, monkeypatch):
    """The model compiled by LLJIT (the default) and by MCJIT ($JAKSTAT_JIT) gives the analytic
    decay; each backend is its own cache entry, and libroadrunner's process-wide JIT settings
    are restored after each compilation."""
    import roadrunner

    cfg = roadrunner.Config
    saved = cfg.getValue(cfg.LLVM_BACKEND), cfg.getValue(cfg.LLJIT_OPTIMIZATION_LEVEL)
    # settings neither backend's compilation uses, to see them come back
    cfg.setValue(cfg.LLVM_BACKEND, 1)
    cfg.setValue(cfg.LLJIT_OPTIMIZATION_LEVEL, 2)
    t = np.linspace(0, 20, 21)
    states = {}
    try:
        for backend in ("lljit", "mcjit"):
            monkeypatch.setenv("JAKSTAT_JIT", backend)
            compilations = engine_module.COMPILATIONS
            eng = Engine(DECAY)
            assert engine_module.COMPILATIONS == compilations + 1, backend  # not the other's
            states[backend] = engine_module.compiled_state(DECAY)[0]
            eng.start()
            assert np.allclose(eng.simulate(t, ["A"])[:, 0], 10 * np.exp(-0.3 * t), rtol=1e-6,
                               atol=1e-9), backend
            assert (cfg.getValue(cfg.LLVM_BACKEND),
                    cfg.getValue(cfg.LLJIT_OPTIMIZATION_LEVEL)) == (1, 2), backend
    finally:
        cfg.setValue(cfg.LLVM_BACKEND, saved[0])
        cfg.setValue(cfg.LLJIT_OPTIMIZATION_LEVEL, saved[1])
    assert states["lljit"] != states["mcjit"]         # two compilers' code, not one state twice
    monkeypatch.setenv("JAKSTAT_JIT", "fastjit")
    with pytest.raises(JakstatInputError, match=r"JAKSTAT_JIT='fastjit' is not a JIT backend: "
                                                r"expected one of \['lljit', 'mcjit'\]"):
        Engine(REVERSIBLE)


@pytest.mark.parametrize("damage", ["truncate", "empty", "flip"])
def test_damaged_compiled_state_is_reported_and_recompiled(fresh_cache, caplog, damage):
    Engine(DECAY)
    entry = next((fresh_cache / "compiled").glob("*.rrstate"))
    raw = entry.read_bytes()
    if damage == "truncate":
        entry.write_bytes(raw[: len(raw) // 2])
    elif damage == "empty":
        entry.write_bytes(b"")
    else:
        entry.write_bytes(raw[:-10] + bytes(10))
    eng = _recompiled_with_warning(caplog, "regenerating")
    assert eng.simulate([0, 10], ["A"])[-1, 0] == pytest.approx(10 * math.exp(-3), rel=1e-6)


def _recompiled_with_warning(caplog, needle):
    """A fresh engine of DECAY (memory cache cleared): compiled again, with a warning line."""
    engine_module.clear_memory_cache()
    before = engine_module.COMPILATIONS
    with caplog.at_level(logging.WARNING, logger="jakstat_rules"):
        eng = Engine(DECAY)
    assert engine_module.COMPILATIONS == before + 1
    assert any(needle in r.getMessage() for r in caplog.records)
    eng.start()
    return eng


def test_facts_of_another_format_are_regenerated(fresh_cache, caplog):
    """An entry with a valid checksum but facts in another layout (an older version) is not used."""
    from jakstat_rules.io import write_cache_entry

    Engine(DECAY)
    facts = next((fresh_cache / "compiled").glob("*.json"))
    key = facts.read_bytes().split(b" ")[1].decode()
    write_cache_entry(facts, key, b'{"only_substance": [], "parameter_assignments": []}')
    assert _recompiled_with_warning(caplog, "unreadable SBML facts").value("A") == 10


def test_only_the_engine_creates_a_roadrunner():
    offenders = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                 if p.name != "engine.py" and re.search(r"RoadRunner\(", p.read_text(encoding="utf-8"))]
    assert offenders == []


def _resizable() -> str:
    """Species A given as a concentration (2), B as an amount (2), in c = 1; S by an initial
    assignment; q follows a rate rule."""
    import libsbml

    doc = libsbml.readSBMLFromString(_sbml("""
    model resizable
      compartment c = 1
      k = 0.5; s0 = 3
      species A in c, B in c, S in c
      A = 2; B = 2
      q = 5
      q' = -k * q
    end
    """))
    model = doc.getModel()
    b = model.getSpecies("B")
    b.unsetInitialConcentration()
    b.setInitialAmount(2.0)
    s = model.getSpecies("S")
    s.unsetInitialConcentration()
    ia = model.createInitialAssignment()
    ia.setSymbol("S")
    ia.setMath(libsbml.parseL3Formula("s0"))
    return libsbml.writeSBMLToString(doc)


def test_a_compartment_size_keeps_initial_concentrations_and_initial_amounts(fresh_cache):
    """SBML: a species given as a concentration keeps it (its amount follows the size),
    one given as an amount keeps the amount."""
    eng = Engine(_resizable())
    eng.start({"c": 4.0})
    assert eng.value("[A]") == pytest.approx(2.0) and eng.value("A") == pytest.approx(8.0)
    assert eng.value("B") == pytest.approx(2.0) and eng.value("[B]") == pytest.approx(0.5)
    assert eng.value("[S]") == pytest.approx(3.0)          # by its initial assignment
    eng.start()
    assert eng.value("A") == pytest.approx(2.0) and eng.value("c") == 1.0


def test_initial_values_replace_initial_assignments_and_start_rate_rules(fresh_cache):
    eng = Engine(_resizable())
    eng.start({"S": 7.0, "q": 2.0, "s0": 4.0})
    assert eng.value("[S]") == 7.0                          # the value, not s0
    t = np.array([0.0, 1.0, 2.0])
    assert np.allclose(eng.simulate(t, ["q"])[:, 0], 2.0 * np.exp(-0.5 * t), rtol=1e-6)
    eng.start({"s0": 4.0})                                  # back to the initial assignment
    assert eng.value("[S]") == pytest.approx(4.0) and eng.value("q") == 5.0


EVENTS = _sbml("""
model events
  x = 0; a = 0; b = 1; c = 0; y = 0; z = 0; q = 1; w = 0; v = 0
  E4: at (x > 5), priority = 3, persistent = false: x = 0
  E5: at (x > 5), priority = 0, persistent = false: z = 1
  E1: at (x > 5), priority = 2, persistent = true: a = b + 1, b = 10
  E2: at (x > 5), priority = 1, persistent = true, fromTrigger = false: c = b
  E3: at (a > 1), persistent = true: y = 7
  E6: at (time >= 2), persistent = true: w = q
  E7: at (time >= 0.5), persistent = true: v = 3
end
""")


def test_events_triggered_at_a_period_start_fire_after_its_changes_in_sbml_order(fresh_cache):
    """PEtab v2: values set at a period start first, then the events they trigger (by
    priority, values from the trigger time unless fromTrigger=false, cascades, a
    non-persistent event whose trigger turned false again does not fire), and an event
    triggered by the start time itself sees the period's values."""
    eng = Engine(EVENTS)
    changes = [{}, {"x": 10.0}, {"q": 5.0}]
    fired = []
    original = eng.fire_events
    eng.fire_events = lambda before: fired.append(original(before)) or fired[-1]

    def apply(k):
        eng.start() if k == 0 else eng.set_values(changes[k])

    out = eng.run_periods([0.0, 1.0, 2.0], apply, np.array([0.6, 1.0, 2.0, 3.0]),
                          ["x", "a", "b", "c", "y", "z", "w", "v"])
    assert fired == [["E4", "E1", "E2", "E3"], ["E6"]]
    np.testing.assert_allclose(out[0], [0, 0, 1, 0, 0, 0, 0, 3])     # E7 during integration
    np.testing.assert_allclose(out[1], [0, 2, 10, 10, 7, 0, 0, 3])
    np.testing.assert_allclose(out[2], [0, 2, 10, 10, 7, 0, 5, 3])   # w = q after q := 5
    np.testing.assert_allclose(out[3], out[2])


def test_a_delayed_event_triggered_at_a_period_start_is_refused(fresh_cache):
    eng = Engine(_sbml("""
model delayed
  x = 0; y = 0
  E: at 1 after (x > 5): y = 1
end
"""))
    assert eng.delayed_event_ids == ["E"]

    def apply(k):
        eng.start() if k == 0 else eng.set_values({"x": 10.0})

    with pytest.raises(JakstatInputError, match="'E' has a delay"):
        eng.run_periods([0.0, 1.0], apply, np.array([2.0]), ["y"])


def test_event_formulas_are_read_when_needed_and_assignments_resize_first(fresh_cache):
    eng = Engine(_sbml("""
model resize
  compartment C = 1
  species S in C = 1
  x = 0; y = 0
  E: at (x > 5), persistent = true: S = 3, C = 2
  D: at (sin(y) > 0.5), persistent = true: y = 0
end
"""))
    eng.start()
    eng.simulate([0, 1], ["time"])             # libroadrunner alone: the formula is not read

    def apply(k):
        eng.start() if k == 0 else eng.set_values({"x": 10.0})

    with pytest.raises(JakstatInputError, match=r"SBML event 'D', .* formula uses 'sin\(y\)'"):
        eng.run_periods([0.0, 1.0], apply, np.array([2.0]), ["C"])
    eng._event_facts = [e for e in eng._event_facts if e["id"] == "E"]
    eng._parsed_events = None
    out = eng.run_periods([0.0, 1.0], apply, np.array([2.0]), ["C", "[S]", "S"])
    np.testing.assert_allclose(out[0], [2, 3, 6])  # the concentration assigned, in the new size
