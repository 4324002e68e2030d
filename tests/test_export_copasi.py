"""The model files as a COPASI user exchanges them.

* SBML -> COPASI -> SBML: the SBML COPASI writes back has the same
  equations (one reference of stoichiometry 2 for a homodimerisation, not a
  stoichiometry of 3) and the same trajectories through the project's
  engine, to 1e-6 of each readout's range;
* the ``.cps`` file carries SBO terms COPASI can resolve (no
  ``urn:miriam:unknown``), and they survive its SBML export;
* the Antimony file keeps the compartment.
"""
from __future__ import annotations

import re
from pathlib import Path

import libsbml
import numpy as np
import pytest

from jakstat_rules.conditions import CONDITIONS
from jakstat_rules.interface import READOUTS

ROOT = Path(__file__).resolve().parents[1]
SBML_DIR = ROOT / "sbml"
#: Round trip: largest allowed difference relative to each readout's range (ranges below 1
#: molecule count as 1).
ROUND_TRIP_TOL = 1e-6


@pytest.fixture(scope="module")
def original() -> str:
    return (SBML_DIR / "jakstat_ifn.xml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def round_trip(original) -> str:
    """The committed SBML imported into COPASI (python-copasi) and exported again as SBML L3V2."""
    from jakstat_rules.export.copasi import load_sbml
    cm = load_sbml(original)
    assert cm.model_messages() == []
    text = cm.datamodel.exportSBMLToString(3, 2)
    assert text
    return text


def _equations(sbml: str) -> dict[str, tuple[tuple, tuple]]:
    """Reaction name -> (reactants, products) as sorted (species id, stoichiometry) pairs."""
    model = libsbml.readSBMLFromString(sbml).getModel()
    out = {}
    for r in model.getListOfReactions():
        sides = []
        for refs in (r.getListOfReactants(), r.getListOfProducts()):
            pairs = [(refs.get(i).getSpecies(), refs.get(i).getStoichiometry()) for i in range(refs.size())]
            assert len({s for s, _ in pairs}) == len(pairs), (r.getName(), pairs)
            sides.append(tuple(sorted(pairs)))
        out[r.getName()] = tuple(sides)
    return out


def test_round_trip_keeps_every_equation(original, round_trip):
    """Same reactions (by their unique names), same species, same stoichiometries."""
    before, after = _equations(original), _equations(round_trip)
    # every reaction of the file has a unique name, so none is lost by keying on it
    assert len(before) == libsbml.readSBMLFromString(original).getModel().getNumReactions()
    assert after == before
    homodimers = {name: eq for name, eq in after.items() if name.startswith("pSTAT1_homodimerises")}
    assert len(homodimers) == 2
    for reactants, _ in homodimers.values():
        assert len(reactants) == 1 and reactants[0][1] == 2.0


def test_round_trip_keeps_the_names(original, round_trip):
    """COPASI shows the readable names; they come back unchanged with the same ids."""
    def names(sbml):
        m = libsbml.readSBMLFromString(sbml).getModel()
        return {s.getId(): s.getName() for s in m.getListOfSpecies()}
    assert names(round_trip) == names(original)


def test_round_trip_gives_the_same_trajectories(original, round_trip):
    """The engine on COPASI's SBML vs the engine on the original: every readout of every
    default-model condition (radiation over its 48 h) to 1e-6 of its range.

    Reached: 0 in every condition (the engine runs the same equations; before the
    stoichiometry fix COPASI's file gave pSTAT1_total 33 042 instead of 33 261 at 240 min
    of IFN-beta 100 pM, 13 % of the range).  About 10 s (15 s with no compiled-model cache).
    """
    from jakstat_rules.engine import Engine

    engines = {"original": Engine(original), "round trip": Engine(round_trip)}
    readouts = [r for r in READOUTS if r in engines["original"].parameter_ids]
    assert set(readouts) <= set(engines["round trip"].parameter_ids)
    worst = {}
    for c in (c for c in CONDITIONS.values() if c.variant == "default"):
        times = np.linspace(0.0, c.t_end, 49)
        tables = {}
        for key, engine in engines.items():
            engine.start(c.inputs)
            tables[key] = engine.table(times, readouts)
        a, b = tables["original"], tables["round trip"]
        errors = {r: float(np.max(np.abs(a[r] - b[r])) / max(np.ptp(a[r]), 1.0)) for r in readouts}
        col = max(errors, key=errors.get)
        assert errors[col] <= ROUND_TRIP_TOL, f"{c.id}: {col} differs by {errors[col]:.3g} of its range"
        worst[c.id] = errors[col]
    assert worst["ifnb_100pM"] <= ROUND_TRIP_TOL
    print("\nSBML -> COPASI -> SBML: " + ", ".join(f"{k} {v:.1e}" for k, v in worst.items()))


# ----------------------------------------------------------------------------- the .cps file
def _sbo_terms(sbml: str) -> dict[tuple[str, str], int]:
    """(kind, name) -> SBO term of every compartment, species, parameter and reaction."""
    m = libsbml.readSBMLFromString(sbml).getModel()
    out = {}
    for kind, items in (("compartment", m.getListOfCompartments()), ("species", m.getListOfSpecies()),
                        ("parameter", m.getListOfParameters()), ("reaction", m.getListOfReactions())):
        for el in items:
            if el.isSetSBOTerm():
                out[(kind, el.getName() or el.getId())] = el.getSBOTerm()
    return out


def test_cps_has_no_unknown_annotation_resources(original):
    """Every SBO term of the SBML is in the .cps as COPASI's SBO resource, none as 'unknown'."""
    cps = (SBML_DIR / "jakstat_ifn.cps").read_text(encoding="utf-8")
    assert "urn:miriam:unknown" not in cps
    sbo = re.findall(r'rdf:resource="urn:miriam:sbo:SBO:(\d{7})"', cps)
    assert len(sbo) == len(_sbo_terms(original)) + 1  # + the model's SBO term


def test_sbo_terms_survive_the_cps_sbml_export(original):
    """COPASI's SBML export of the .cps carries the SBO term of every element of the original."""
    from jakstat_rules.export.copasi import load_cps
    cm = load_cps(SBML_DIR / "jakstat_ifn.cps")
    assert cm.model_messages() == []
    exported = _sbo_terms(cm.datamodel.exportSBMLToString(3, 2))
    expected = _sbo_terms(original)
    assert len(expected) > 1000
    missing = {k: v for k, v in expected.items() if exported.get(k) != v}
    assert not missing, list(missing.items())[:5]


def test_copasi_knows_the_annotation_databases_of_the_model(original):
    """ensure_miriam_resources gives python-copasi's empty list the databases the model cites."""
    from jakstat_rules.export.copasi import MIRIAM_RESOURCES, copasi, ensure_miriam_resources
    COPASI = copasi()
    assert ensure_miriam_resources() >= len(MIRIAM_RESOURCES)
    resources = COPASI.CRootContainer.getMiriamResources()
    uris = set(re.findall(r'rdf:resource="(https://identifiers\.org/[^"]+)"', original))
    assert uris
    for uri in uris:
        index = resources.getMIRIAMResourceIndex(uri)
        assert index < resources.getResourceList().size(), uri


# ----------------------------------------------------------------------------- Antimony
def test_antimony_keeps_the_compartment():
    """The .ant declares the compartment ``cell`` (1 pL) with every species in it; libAntimony
    drops a compartment carrying SBO:0000410, which the SBML therefore does not use.
    (Its trajectories: ``test_export_equivalence.py::test_antimony_matches_the_reference``.)"""
    import antimony
    text = (SBML_DIR / "jakstat_ifn.ant").read_text(encoding="utf-8")
    assert re.search(r"^  compartment cell;$", text, re.M)
    assert "default_compartment" not in text
    antimony.clearPreviousLoads()
    assert antimony.loadAntimonyString(text) >= 0, antimony.getLastError()
    model = libsbml.readSBMLFromString(antimony.getSBMLString(antimony.getMainModuleName())).getModel()
    assert [(c.getId(), c.getSize(), c.getUnits()) for c in model.getListOfCompartments()] == \
        [("cell", 1.0, "pL")]
    assert {s.getCompartment() for s in model.getListOfSpecies()} == {"cell"}
    homodimer = next(r for r in model.getListOfReactions() if r.getName().startswith("pSTAT1_homodimerises"))
    assert [(x.getSpecies(), x.getStoichiometry()) for x in homodimer.getListOfReactants()] == \
        [(homodimer.getReactant(0).getSpecies(), 2.0)]


def test_no_parameter_set_name_is_a_substring_of_another():
    """basico's apply_parameter_set(name) selects every set whose name contains
    ``name``: with the suffix scheme each full name selects its own set only."""
    from jakstat_rules.export.copasi import load_cps

    names = load_cps(SBML_DIR / "jakstat_ifn.cps").parameter_sets()
    assert len(names) == len(set(names)) >= 2
    assert [(a, b) for a in names for b in names if a != b and a in b] == []


def test_basico_applies_the_ifnb_set_alone():
    """The name the guide gives, with exact=True as it says, applies IFN-beta alone."""
    from jakstat_rules.export.copasi import copasi, parameter_set_name
    copasi()            # COPASI imported through the package first: the encoding is kept
    basico = pytest.importorskip("basico")  # the test extra installs it

    dm = basico.load_model(str(SBML_DIR / "jakstat_ifn.cps"))   # basico's current model
    try:
        basico.apply_parameter_set(parameter_set_name("ifnb_100pM"), exact=True)
        values = basico.get_parameters(model=dm)["initial_value"]
        assert values["IFNb_pM"] == 100.0
        assert values["ruxolitinib_nM"] == 0.0 and values["tofacitinib_nM"] == 0.0
    finally:
        basico.remove_datamodel(dm)


def test_using_copasi_keeps_the_process_text_encoding():
    """Importing COPASI sets the C locale for everything (Python's default text encoding
    becomes ASCII); the package's COPASI entry point sets the character type back, so a
    file of non-ASCII text still reads after a COPASI import (a fresh process: COPASI is
    imported once per process)."""
    import os
    import subprocess
    import sys

    sbml = (Path(__file__).resolve().parents[1] / "sbml" / "jakstat_ifn.xml")
    code = ("import locale, sys; before = locale.getpreferredencoding(False);"
            "from jakstat_rules.export.copasi import load_sbml;"
            f"load_sbml(open({str(sbml)!r}, encoding='utf-8').read());"
            "print(before, locale.getpreferredencoding(False), locale.setlocale(locale.LC_NUMERIC))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_")}
    env["LANG"] = "C.UTF-8"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True).stdout.split()
    assert out == ["UTF-8", "UTF-8", "C"]       # numbers keep COPASI's C locale
    # and COPASI alone does change it (what the entry point undoes)
    bare = subprocess.run([sys.executable, "-c", "import locale, COPASI;"
                           "print(locale.getpreferredencoding(False))"],
                          capture_output=True, text=True, env=env, check=True).stdout.strip()
    assert bare != "UTF-8"
