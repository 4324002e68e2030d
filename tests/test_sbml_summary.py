"""The species a run starts with, read from the SBML without compiling it.

The reference is libroadrunner: the amounts of :class:`~jakstat_rules.engine.Engine`
after ``start(values)`` (SBML defaults, the values, initial assignments and
rules evaluated by libroadrunner), non-zero or not, must be what
:func:`~jakstat_rules.sbml_summary.species_nonzero_at_start` finds.
"""
import json

import numpy as np
import pytest

import jakstat_rules.sbml_summary as summaries
from jakstat_rules.artifacts import model_sbml
from jakstat_rules.engine import Engine
from jakstat_rules.interface import INPUTS

#: A small model with what the generated ones lack: a compartment of 2 L, initial
#: concentrations (with and without only substance units), a chain of assignment rules,
#: an initial assignment through a function definition, a rate rule's target.
SMALL = """<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
 <model id="small">
  <listOfFunctionDefinitions>
   <functionDefinition id="twice"><math xmlns="http://www.w3.org/1998/Math/MathML">
    <lambda><bvar><ci>x</ci></bvar><apply><times/><cn>2</cn><ci>x</ci></apply></lambda>
   </math></functionDefinition>
  </listOfFunctionDefinitions>
  <listOfCompartments>
   <compartment id="c" size="2" constant="true"/>
  </listOfCompartments>
  <listOfSpecies>
   <species id="A" compartment="c" initialConcentration="0" hasOnlySubstanceUnits="false"
            boundaryCondition="false" constant="false"/>
   <species id="B" compartment="c" initialAmount="3" hasOnlySubstanceUnits="false"
            boundaryCondition="false" constant="false"/>
   <species id="C" compartment="c" initialAmount="0" hasOnlySubstanceUnits="false"
            boundaryCondition="false" constant="false"/>
   <species id="E" compartment="c" initialConcentration="0.5" hasOnlySubstanceUnits="true"
            boundaryCondition="false" constant="false"/>
   <species id="F" compartment="c" initialAmount="0" hasOnlySubstanceUnits="true"
            boundaryCondition="false" constant="false"/>
   <species id="G" compartment="c" initialAmount="0" hasOnlySubstanceUnits="true"
            boundaryCondition="false" constant="false"/>
  </listOfSpecies>
  <listOfParameters>
   <parameter id="p0" value="0" constant="true"/>
   <parameter id="p1" value="1" constant="true"/>
   <parameter id="p2" value="-1" constant="true"/>
   <parameter id="D" constant="false"/>
   <parameter id="k" value="4" constant="true"/>
  </listOfParameters>
  <listOfInitialAssignments>
   <initialAssignment symbol="C"><math xmlns="http://www.w3.org/1998/Math/MathML">
    <apply><times/><ci>k</ci><ci>D</ci></apply></math></initialAssignment>
   <initialAssignment symbol="F"><math xmlns="http://www.w3.org/1998/Math/MathML">
    <apply><ci>twice</ci><ci>p0</ci></apply></math></initialAssignment>
  </listOfInitialAssignments>
  <listOfRules>
   <assignmentRule variable="D"><math xmlns="http://www.w3.org/1998/Math/MathML">
    <apply><plus/><ci>p1</ci><ci>p2</ci><ci>B</ci></apply></math></assignmentRule>
   <rateRule variable="G"><math xmlns="http://www.w3.org/1998/Math/MathML"><ci>k</ci></math></rateRule>
  </listOfRules>
 </model>
</sbml>
"""


def _engine_nonzero(engine: Engine, values: dict) -> set[str]:
    engine.start(values)
    return set(np.array(engine.species_ids)[engine.state != 0.0].tolist())


@pytest.mark.parametrize("values", [{}, {"p1": 2.0}, {"B": 0.0}, {"B": 0.0, "p1": 0.0, "p2": 0.0},
                                    {"p0": 1.5}, {"A": 1.0, "E": 0.0}, {"C": 0.0, "p1": 5.0},
                                    {"G": 2.0}, {"c": 3.0}])
def test_small_model_starts_as_libroadrunner_starts_it(values):
    summary = summaries.model_summary(SMALL)
    engine = Engine(SMALL)
    assert set(summary["settable_ids"]) == set(engine.settable_ids)  # D has a rule
    assert summaries.species_nonzero_at_start(summary, values) == _engine_nonzero(engine, values)


@pytest.mark.parametrize("variant", ["default", "il6_autocrine"])
def test_model_variants_start_as_libroadrunner_starts_them(variant):
    """Every input dosed alone, amounts set to 0 and to other values, together."""
    sbml = model_sbml(variant)
    engine = Engine(sbml)
    summary = summaries.model_summary(sbml)
    assert set(summary["parameter_ids"]) == set(engine.parameter_ids)
    assert set(summary["settable_ids"]) == set(engine.settable_ids)
    sets = [{}] + [{i: 1.0} for i in INPUTS] + [
        {"STAT1_0": 0.0}, {"IFNb_pM": 5.0, "PIAS1_0": 3.0, "IFNAR1_0": 0.0},
        {"IL6_pM": 10.0, "IFNg_pM": 10.0, "IL6ST_0": 0.0, "STAT3_0": 2.0}]
    seen = set()
    for values in sets:
        found = summaries.species_nonzero_at_start(summary, values)
        assert found == _engine_nonzero(engine, values), values
        seen.add(frozenset(found))
    assert len(seen) > 4  # the values act


def test_a_later_process_reads_the_summary_from_disk_and_a_damaged_one_is_remade(
        monkeypatch, tmp_path):
    monkeypatch.setenv("JAKSTAT_CACHE", str(tmp_path))
    monkeypatch.setattr(summaries, "_SUMMARIES", {})
    first = json.loads(json.dumps(summaries.model_summary(SMALL)))
    [entry] = (tmp_path / "summaries").glob("*.json")
    summarize = summaries._summarize
    monkeypatch.setattr(summaries, "_SUMMARIES", {})  # a new process
    monkeypatch.setattr(summaries, "_summarize", lambda sbml: pytest.fail("read again"))
    assert summaries.model_summary(SMALL) == first
    entry.write_bytes(entry.read_bytes()[:-20])  # damaged: the entry's checksum fails
    monkeypatch.setattr(summaries, "_SUMMARIES", {})
    monkeypatch.setattr(summaries, "_summarize", summarize)
    assert summaries.model_summary(SMALL) == first
    assert summaries.model_summary(SMALL) is summaries.model_summary(SMALL)  # then in memory
