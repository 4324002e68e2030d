"""docs/model_reference.md: up to date, and its tables agree with independent references.

The page is generated from the PySB model (:mod:`jakstat_rules.reference`);
these tests read the *committed* page and check it against what other
tools make of the model: the network files BioNetGen writes and the BNGL
export (network sizes), and the committed SBML files read with libSBML (species,
reactions, rule names, parameter values, units and sources, readouts,
monomer annotations).  The staleness test ties the committed page to the
generator.
"""
from __future__ import annotations

import html
import re
from pathlib import Path

import libsbml
import pytest

from jakstat_rules.interface import INPUTS, READOUTS, VARIANTS

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "model_reference.md"


def _sbml_path(variant: str) -> Path:
    return ROOT / "sbml" / ("jakstat_ifn.xml" if variant == "default" else f"jakstat_ifn_{variant}.xml")


def section(title: str) -> list[list[str]]:
    """Rows (cells, stripped) of the table under ``## title`` of the committed page."""
    text = PAGE.read_text(encoding="utf-8")
    body = text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in body.splitlines() if line.startswith("|")][2:]  # header, rule
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows]


@pytest.fixture(scope="module")
def sbml() -> libsbml.Model:
    doc = libsbml.readSBMLFromFile(str(_sbml_path("default")))
    assert doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR) == 0
    return doc.getModel()


def _notes(element) -> dict[str, str]:
    """``Unit:`` / ``Source:`` (``PySB rules:``, ``PySB pattern:``) lines of an SBML element's notes."""
    out = {}
    for para in re.findall(r"<p>(.*?)</p>", element.getNotesString(), flags=re.S):
        key, _, value = html.unescape(para).partition(": ")
        out[key] = value
    return out


# ----------------------------------------------------------------------------- the generator
def test_committed_page_is_not_stale():
    from jakstat_rules.reference import model_reference
    assert PAGE.read_text(encoding="utf-8") == model_reference(), \
        "run `jakstat reference` and commit docs/model_reference.md"


# ----------------------------------------------------------------------------- network sizes
def _block_lines(text: str, name: str) -> int:
    """Lines of the ``begin name`` ... ``end name`` block of a BioNetGen file, without blank
    lines and comments."""
    body = text.split(f"begin {name}\n", 1)[1].split(f"end {name}\n", 1)[0]
    return sum(1 for line in body.splitlines() if line.strip() and not line.lstrip().startswith("#"))


def _bionetgen_counts(variant: str) -> tuple[int, int, int]:
    """(rules, species, reactions) of the variant: rules in its BNGL export, species and
    reactions counted in the network file BNG2.pl wrote for it (the text of the run's
    network cache entry, generated when missing), not through the project's reader of it."""
    from jakstat_rules.export.formats import to_bngl
    from jakstat_rules.model import build_model
    from jakstat_rules.network import _MEMORY, generate_network, structure_key

    model = build_model(variant)
    generate_network(model)
    net = _MEMORY[structure_key(model)]
    rules = _block_lines(to_bngl(model, actions=False), "reaction rules")
    return rules, _block_lines(net, "species"), _block_lines(net, "reactions")


def test_network_sizes_equal_bionetgen_s_network_files_and_the_sbml():
    """Rules, species and reactions of every variant as BNG2.pl's network file and the BNGL
    export count them; species as in the committed SBML file.  (BNG2.pl run directly on the
    committed BNGL file gives the default model's counts: tests/test_network.py.)"""
    rows = {r[0]: tuple(int(x) for x in r[1:]) for r in section("Network sizes")}
    assert set(rows) == set(VARIANTS)
    for variant, (rules, species, reactions) in rows.items():
        assert _bionetgen_counts(variant) == (rules, species, reactions), variant
        model = libsbml.readSBMLFromFile(str(_sbml_path(variant))).getModel()
        assert model.getNumSpecies() == species, variant
        # PySB writes a reversible pair (and reactions of the same reactants and products)
        # as one SBML reaction
        assert model.getNumReactions() <= reactions, variant


# ----------------------------------------------------------------------------- tables vs the SBML
def test_parameter_rows_equal_the_committed_sbml(sbml):
    """Every constant parameter of the SBML has a row with its value, unit and source, and no other."""
    rows = section("Parameters")
    rules = {sbml.getRule(i).getVariable() for i in range(sbml.getNumRules())}
    constants = {p.getId() for p in sbml.getListOfParameters() if p.getId() not in rules}
    assert {r[0] for r in rows} == constants
    assert len(rows) == len(constants)
    for pid, value, unit, source in rows:
        p = sbml.getParameter(pid)
        assert float(value) == pytest.approx(p.getValue(), rel=1e-5, abs=0), pid
        assert unit and source, pid
        assert (unit, source) == (_notes(p)["Unit"], _notes(p)["Source"]), pid


def test_derived_constants_are_sbml_assignment_rules_with_unit_and_source(sbml):
    rows = section("Derived constants")
    assert rows
    for pid, formula, unit, source in rows:
        assert sbml.getAssignmentRule(pid) is not None, pid
        assert formula.strip("`") and unit and source, pid
        assert _notes(sbml.getParameter(pid))["Source"] == source, pid


def test_inputs_and_readouts_are_what_the_sbml_offers(sbml):
    inputs = {r[0]: r[1] for r in section("Inputs")}
    assert inputs == dict(INPUTS)
    for pid, unit in inputs.items():
        p = sbml.getParameter(pid)
        assert p.getConstant() and p.getValue() == 0.0 and _notes(p)["Unit"] == unit, pid
    readouts = [r[0] for r in section("Readouts")]
    assert readouts == list(READOUTS)
    for pid in readouts:
        assert sbml.getAssignmentRule(pid) is not None, pid


def test_rules_are_the_rules_behind_the_sbml_reactions(sbml):
    """The rule table lists exactly the rules named by the SBML's reactions (in their notes)."""
    page = [r[0] for r in section("Rules")]
    from_sbml = set()
    for reaction in sbml.getListOfReactions():
        from_sbml.update(_notes(reaction)["PySB rules"].split(", "))
    assert len(page) == len(set(page))
    assert set(page) == from_sbml


def test_monomers_and_identifiers_are_those_of_the_sbml_species(sbml):
    """Monomers are the molecules of the SBML species (PySB patterns in their notes); their
    identifiers annotate them there."""
    rows = section("Monomers")
    in_species: dict[str, set[str]] = {}
    for s in sbml.getListOfSpecies():
        names = set(re.findall(r"([A-Za-z_]\w*)\(", _notes(s)["PySB pattern"]))
        uris = {s.getCVTerm(i).getResourceURI(j) for i in range(s.getNumCVTerms())
                for j in range(s.getCVTerm(i).getNumResources())}
        for name in names:
            in_species.setdefault(name, set()).update(uris)
    assert {r[0] for r in rows} == set(in_species)
    for name, _sites, identifiers, description in rows:
        uris = {entry.split(": ", 1)[1] for entry in identifiers.split("<br>")}
        assert uris and uris <= in_species[name], name
        assert description, name


def test_variant_additions_are_in_the_variants_sbml_and_not_in_the_default():
    """Each row of "Variant additions" is in that variant's committed SBML, with the same value,
    unit and source, and is not in the default model's SBML (or has another formula there)."""
    rows = section("Variant additions")
    assert {"jak2_g935r", "il6_autocrine"} <= {r[0] for r in rows}
    default = libsbml.readSBMLFromFile(str(_sbml_path("default"))).getModel()
    for variant, kind, cid, what, unit, source in rows:
        model = libsbml.readSBMLFromFile(str(_sbml_path(variant))).getModel()
        if kind == "parameter":
            p = model.getParameter(cid)
            assert p is not None and default.getParameter(cid) is None, (variant, cid)
            assert float(what) == pytest.approx(p.getValue(), rel=1e-5, abs=0), (variant, cid)
            assert (unit, source) == (_notes(p)["Unit"], _notes(p)["Source"]), (variant, cid)
        elif kind == "derived constant":
            rule = model.getAssignmentRule(cid)
            assert rule is not None and _notes(model.getParameter(cid))["Source"] == source, (variant, cid)
            before = default.getAssignmentRule(cid)
            assert before is None or libsbml.formulaToL3String(before.getMath()) \
                != libsbml.formulaToL3String(rule.getMath()), (variant, cid)
        elif kind == "rule":
            def named(m):
                return {n for r in m.getListOfReactions() for n in _notes(r)["PySB rules"].split(", ")}
            assert cid in named(model) and cid not in named(default), (variant, cid)
        else:
            assert kind == "monomer", kind
            patterns = [_notes(s)["PySB pattern"] for s in model.getListOfSpecies()]
            assert any(re.search(rf"\b{cid}\(", p) for p in patterns), (variant, cid)
            assert not any(re.search(rf"\b{cid}\(", _notes(s)["PySB pattern"])
                           for s in default.getListOfSpecies()), (variant, cid)
