"""The SBML export: committed files up to date, valid with units, readable, annotated, faithful."""
from __future__ import annotations

import argparse
import re
from pathlib import Path

import libsbml
import pytest
import sympy

from jakstat_rules.interface import VARIANTS, model_id

ROOT = Path(__file__).resolve().parents[1]
SBML_DIR = ROOT / "sbml"
#: one SBML file per model variant, the default model first
VARIANT_FILES = [f"{model_id(v)}.xml" for v in VARIANTS]


@pytest.fixture(scope="module")
def doc():
    d = libsbml.readSBMLFromFile(str(SBML_DIR / "jakstat_ifn.xml"))
    assert d.getNumErrors(libsbml.LIBSBML_SEV_ERROR) == 0
    return d


@pytest.fixture(scope="module")
def sm(doc):
    return doc.getModel()


def _cv(el) -> list[tuple[str, str]]:
    out = []
    for i in range(el.getNumCVTerms()):
        cv = el.getCVTerm(i)
        if cv.getQualifierType() == libsbml.MODEL_QUALIFIER:
            q = libsbml.ModelQualifierType_toString(cv.getModelQualifierType())
        else:
            q = libsbml.BiolQualifierType_toString(cv.getBiologicalQualifierType())
        out += [(q, cv.getResourceURI(j)) for j in range(cv.getNumResources())]
    return out


# ------------------------------------------------------------------ generated files
@pytest.mark.slow
def test_committed_files_are_up_to_date(tmp_path):
    """Regenerate everything into a temporary folder; the committed copies must be identical.

    The SBML comes through :func:`~jakstat_rules.artifacts.model_sbml`, as ``jakstat
    export`` gets it: rebuilt whenever the model, network or exporter sources change (their hash is
    the cache key), else the cached copy other tests of the run may have built."""
    from jakstat_rules.artifacts import model_sbml
    from jakstat_rules.export import export_all
    written = export_all(tmp_path, copasi=True, sbml_of=model_sbml)
    names = sorted(p.name for p in written)
    assert names == sorted(VARIANT_FILES + ["jakstat_ifn.bngl", "jakstat_ifn.ant", "README.md",
                                            "jakstat_ifn.cps"])
    stale = [n for n in names if not (SBML_DIR / n).exists()
             or (SBML_DIR / n).read_bytes() != (tmp_path / n).read_bytes()]
    assert not stale, f"sbml/ is stale ({stale}): run `jakstat export --copasi`"


def test_no_timestamps_that_change():
    """The files carry the model's creation and modification dates, not the time of export."""
    from jakstat_rules.export.revision import CREATED, MODIFIED
    for name in VARIANT_FILES:
        text = (SBML_DIR / name).read_text(encoding="utf-8")
        dates = set(re.findall(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", text))
        assert dates == {CREATED, MODIFIED}, name
    assert CREATED <= MODIFIED
    cps = (SBML_DIR / "jakstat_ifn.cps").read_text(encoding="utf-8")
    assert f"at {MODIFIED} -->" in cps


def test_modification_date_follows_the_content():
    """The committed files have the fingerprint recorded with the modification date.

    When this fails the exported model changed: set ``MODIFIED`` in
    ``jakstat_rules/export/revision.py`` to the time of the change and
    ``FINGERPRINT`` to the value below, then run ``jakstat export --copasi``.
    """
    from jakstat_rules.export.revision import FINGERPRINT, fingerprint
    found = fingerprint((SBML_DIR / n).read_text(encoding="utf-8") for n in sorted(VARIANT_FILES))
    assert found == FINGERPRINT, (
        f"the exported model changed: set MODIFIED to the current time (UTC) and FINGERPRINT = {found!r} "
        "in jakstat_rules/export/revision.py, then run `jakstat export --copasi`")


# ------------------------------------------------------------------ validity with units
@pytest.mark.parametrize("name", VARIANT_FILES)
def test_consistency_checks_with_units_and_modelling_practice_are_clean(name):
    from jakstat_rules.export import consistency_report
    report = consistency_report((SBML_DIR / name).read_text(encoding="utf-8"))
    assert report == [], report[:3]


def test_units_everywhere(sm):
    assert (sm.getTimeUnits(), sm.getSubstanceUnits(), sm.getExtentUnits(), sm.getVolumeUnits()) == \
        ("min", "molecule", "molecule", "pL")
    ud = sm.getUnitDefinition("min")
    assert ud.getUnit(0).getKind() == libsbml.UNIT_KIND_SECOND and ud.getUnit(0).getMultiplier() == 60
    assert sm.getUnitDefinition("molecule").getUnit(0).getKind() == libsbml.UNIT_KIND_ITEM
    for p in sm.getListOfParameters():
        assert p.isSetUnits(), p.getId()
        assert p.isSetName(), p.getId()
    assert sm.getParameter("kf_IFNA2_IFNAR1").getUnits() == "per_molecule_per_min"
    assert sm.getParameter("IFNb_pM").getUnits() == "pM"
    assert sm.getParameter("ruxolitinib_nM").getUnits() == "nM"
    assert sm.getParameter("IR_Gy").getUnits() == "Gy"
    assert sm.getParameter("pSTAT1_total").getUnits() == "molecule"
    assert sm.getParameter("ksyn_ISG_mRNA").getUnits() == "molecule_per_min"   # inferred
    assert sm.getParameter("IFNb_medium_pM").getUnits() == "pM"                # inferred
    assert sm.getParameter("ISRE_activity").getUnits() == "dimensionless"      # inferred


# ------------------------------------------------------------------ readable ids
def test_ids_and_names(sm):
    from jakstat_rules.model import INPUTS, READOUTS, build_model
    from jakstat_rules.network import generate_network
    assert sm.getId() == "jakstat_ifn" and sm.getName()
    assert re.fullmatch(r"[A-Za-z0-9_ ]+", sm.getName()), sm.getName()  # no operators
    model = build_model()
    generate_network(model)
    ids = [s.getId() for s in sm.getListOfSpecies()]
    assert len(ids) == len(set(ids)) == len(model.species)
    assert not any(i.startswith("__") for i in ids)
    assert "STAT1_cyt" in ids and "IFNB1" in ids
    assert any(re.fullmatch(r"STAT1_py701_nuc__STAT1_py701_nuc", i) for i in ids)
    for comp in list(model.parameters) + list(model.expressions) + list(model.observables):
        p = sm.getParameter(comp.name)
        assert p is not None and p.getName() == comp.name
    for r in READOUTS:
        assert sm.getParameter(r) is not None, r
    for k in INPUTS:
        p = sm.getParameter(k)
        assert p.getConstant() and p.getValue() == 0.0


@pytest.mark.parametrize("name", VARIANT_FILES)
def test_species_and_reaction_names_are_unique_and_readable(name):
    """Species: molecules joined by ':', sites and location, at most 80 characters; reactions:
    rule and what it acts on, at most 160; all unique; no PySB pattern syntax in a name."""
    model = libsbml.readSBMLFromFile(str(SBML_DIR / name)).getModel()
    species = [s.getName() for s in model.getListOfSpecies()]
    reactions = [r.getName() for r in model.getListOfReactions()]
    assert len(set(species)) == len(species) and len(set(reactions)) == len(reactions)
    assert max(map(len, species)) <= 80 and max(map(len, reactions)) <= 160
    assert sorted(map(len, species))[len(species) // 2] <= 50
    assert not any("=" in n or "None" in n or "%" in n for n in species)
    pattern = re.compile(r"^[A-Za-z_0-9]+(\([\w,]+\))?(:[A-Za-z_0-9]+(\([\w,]+\))?)*"
                         r"( \[(membrane|endosome|cytoplasm|nucleus|medium)\])?$")
    assert all(pattern.match(n) for n in species), [n for n in species if not pattern.match(n)][:3]


def test_names_of_known_species(sm):
    names = {s.getId(): s.getName() for s in sm.getListOfSpecies()}
    assert names["STAT1_py701_nuc__STAT1_py701_nuc"] == "STAT1(pY701):STAT1(pY701) [nucleus]"
    assert names["IFNB1"] == "IFNB1 [medium]"
    assert names["STAT1_cyt"] == "STAT1 [cytoplasm]"
    assert names["CGAS_a"] == "CGAS(active)"
    assert names["IFNAR1_pm__IFNAR2_py512_pm__IFNB1__JAK1_py1034__TYK2"] == \
        "IFNB1:IFNAR1:IFNAR2(pY512):JAK1(pY1034):TYK2 [membrane]"


def test_pysb_patterns_and_rules_are_in_the_notes(sm):
    """Each species' notes give its PySB pattern, each reaction's notes its rules."""
    from jakstat_rules.export.names import PATTERN_NOTE, RULES_NOTE
    from jakstat_rules.model import build_model
    from jakstat_rules.network import generate_network
    model = build_model()
    generate_network(model)
    patterns = [_note(s, PATTERN_NOTE) for s in sm.getListOfSpecies()]
    assert patterns == [str(s) for s in model.species]
    rule_names = {r.name for r in model.rules}
    for r in sm.getListOfReactions():
        rules = _note(r, RULES_NOTE).split(", ")
        assert rules and set(rules) <= rule_names, r.getId()
        assert r.getName().startswith(" + ".join(rules) + " ("), r.getId()


def _note(element, prefix: str) -> str:
    import html
    paras = [html.unescape(p) for p in re.findall(r"<p>(.*?)</p>", element.getNotesString(), re.S)]
    found = [p[len(prefix):] for p in paras if p.startswith(prefix)]
    assert len(found) == 1, (element.getId(), paras)
    return found[0]


@pytest.mark.parametrize("name", VARIANT_FILES)
def test_one_reference_per_species_with_explicit_stoichiometry(name):
    """Homodimerisation is one reference of stoichiometry 2, not the species listed twice."""
    model = libsbml.readSBMLFromFile(str(SBML_DIR / name)).getModel()
    twos = []
    for r in model.getListOfReactions():
        for refs in (r.getListOfReactants(), r.getListOfProducts()):
            sids = [refs.get(i).getSpecies() for i in range(refs.size())]
            assert len(sids) == len(set(sids)), (r.getId(), sids)
            for i in range(refs.size()):
                assert refs.get(i).isSetStoichiometry() and refs.get(i).getConstant(), r.getId()
                if refs.get(i).getStoichiometry() != 1:
                    twos.append((r.getId(), refs.get(i).getSpecies(), refs.get(i).getStoichiometry()))
    if name == "jakstat_ifn.xml":
        assert sorted(s for _, s, _ in twos) == ["STAT1_py701_cyt", "STAT1_py701_nuc", "STAT3_py705_cyt",
                                                 "STAT3_py705_nuc"]
        assert {n for _, _, n in twos} == {2.0}


def test_variant_model_ids():
    for name in VARIANT_FILES[1:]:
        d = libsbml.readSBMLFromFile(str(SBML_DIR / name))
        assert d.getModel().getId() == name[:-4]


# ------------------------------------------------------------------ annotations
#: The current identifiers.org form, https://identifiers.org/<prefix>:<accession>, for the
#: databases the model uses (prefixes as registered at identifiers.org).
CURRENT_URI = re.compile(
    r"^https://identifiers\.org/(uniprot:[OPQ][0-9][A-Z0-9]{3}[0-9]|uniprot:[A-NR-Z][0-9][A-Z0-9]{3}[0-9]"
    r"|CHEBI:\d+|GO:\d{7}|ncbigene:\d+|taxonomy:\d+|doi:10\.\d{4,9}/\S+|pubmed:\d+"
    r"|mirbase\.mature:MIMAT\d{7}|ncit:C\d+)$")
#: GO:0031040 "micronucleus" is the germline nucleus of ciliates, not a mammalian micronucleus.
CILIATE_MICRONUCLEUS = "GO:0031040"


def _all_uris(model: libsbml.Model) -> list[tuple[str, str, str]]:
    elements = [model] + list(model.getListOfSpecies()) + list(model.getListOfParameters()) \
        + list(model.getListOfReactions()) + list(model.getListOfCompartments())
    return [(el.getId(), q, u) for el in elements for q, u in _cv(el)]


@pytest.mark.parametrize("name", VARIANT_FILES)
def test_every_annotation_uri_has_the_current_form(name):
    text = (SBML_DIR / name).read_text(encoding="utf-8")
    uris = _all_uris(libsbml.readSBMLFromString(text).getModel())
    assert len(uris) > 500
    bad = [u for u in uris if not CURRENT_URI.match(u[2])]
    assert not bad, bad[:5]
    assert "http://identifiers.org" not in text and "urn:miriam" not in text
    assert CILIATE_MICRONUCLEUS not in text


def test_other_formats_use_the_current_uri_form():
    """The Antimony text and the COPASI file carry the same URIs as the SBML."""
    for name in ("jakstat_ifn.ant", "jakstat_ifn.cps"):
        text = (SBML_DIR / name).read_text(encoding="utf-8")
        uris = re.findall(r"https?://identifiers\.org/[^\s\"<>]+", text)
        assert len(uris) > 100, name
        assert all(CURRENT_URI.match(u) for u in uris), [u for u in uris if not CURRENT_URI.match(u)][:3]
        assert CILIATE_MICRONUCLEUS not in text, name


def test_micronucleus_is_the_mammalian_one(sm):
    """MN is NCIt's micronucleus (chromosome fragments outside the main nucleus) and a version
    of GO's nucleus; not GO:0031040, the germline micronucleus of ciliates."""
    from jakstat_rules.model.monomers import MONOMERS
    terms = _cv(sm.getSpecies("MN"))
    assert terms == [("is", "https://identifiers.org/ncit:C121964"),
                     ("isVersionOf", "https://identifiers.org/GO:0005634")]
    assert "ciliate" in MONOMERS["MN"][3] and CILIATE_MICRONUCLEUS in MONOMERS["MN"][3]


def test_species_annotations(sm):
    for s in sm.getListOfSpecies():
        terms = _cv(s)
        assert terms and all(CURRENT_URI.match(u) for _, u in terms), s.getId()
        assert s.isSetSBOTerm()
        if "__" in s.getId():  # a complex
            assert {q for q, _ in terms} == {"hasPart"} and s.getSBOTerm() == 253
    assert ("is", "https://identifiers.org/uniprot:P42224") in _cv(sm.getSpecies("STAT1_cyt"))
    assert ("hasPart", "https://identifiers.org/ncbigene:4599") in _cv(sm.getSpecies("mRNA_ISG"))
    assert ("is", "https://identifiers.org/GO:0035861") in _cv(sm.getSpecies("DSB"))


def test_sbo_terms_on_reactions_and_parameters(sm):
    assert all(r.isSetSBOTerm() for r in sm.getListOfReactions())
    assert all(p.isSetSBOTerm() for p in sm.getListOfParameters())
    from jakstat_rules.export.names import RULES_NOTE
    sbo = {_note(r, RULES_NOTE).split(", ")[0]: r.getSBOTerm() for r in sm.getListOfReactions()}
    assert sbo["STAT1_shuttles"] == 185 and sbo["PTPN2_dephosphorylates_STAT1"] == 330
    assert sbo["SOCS1_transcribed"] == 183 and sbo["STAT1_translated"] == 184
    # a physical compartment, not SBO:0000410 (implicit), which libAntimony drops
    assert sm.getCompartment("cell").getSBOTerm() == 290


def test_model_annotation(sm):
    from jakstat_rules.export.revision import CREATED, MODIFIED
    h = sm.getModelHistory()
    assert h.getNumCreators() == 1
    c = h.getCreator(0)
    assert (c.getGivenName(), c.getFamilyName(), c.getOrganisation()) == \
        ("jakstat-rules", "contributors", "jakstat-rules contributors")
    assert h.getCreatedDate().getDateAsString() == CREATED
    assert h.getModifiedDate().getDateAsString() == MODIFIED
    terms = _cv(sm)
    described = {u for q, u in terms if q == "isDescribedBy"}
    for doi in ("10.3389/fimmu.2021.748423", "10.15252/msb.20198955", "10.1016/S0014-5793(02)03842-5",
                "10.2147/OTT.S256708"):
        assert f"https://identifiers.org/doi:{doi}" in described
    assert ("hasTaxon", "https://identifiers.org/taxonomy:9606") in terms
    notes = sm.getNotesString()
    assert "interferon" in notes.lower() and "IFNb_pM" in notes
    assert "Figure 1 of Liu S et al. Targeting IFN/STAT1 pathway" in notes


def test_source_figure_citation():
    """Liu S et al. 2020 (Onco Targets Ther 13:6037-6050, doi:10.2147/OTT.S256708, PMC7321691),
    Figure 1: in the registry, CITATION.cff and the reference page."""
    from jakstat_rules.model.parameters import CITATIONS
    liu = CITATIONS["Liu2020"]
    for part in ("Liu S et al.", "Targeting IFN/STAT1 pathway as a promising strategy to overcome "
                 "radioresistance", "2020;13:6037-6050", "doi:10.2147/OTT.S256708", "PMC7321691",
                 "Figure 1"):
        assert part in liu, part
    cff = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert 'title: "Targeting IFN/STAT1 Pathway as a Promising Strategy to Overcome Radioresistance"' in cff
    assert "doi: 10.2147/OTT.S256708" in cff and "pmcid: PMC7321691" in cff
    assert "Radiotherapy activates" not in cff and "given-names: C}" not in cff
    assert liu in (ROOT / "docs" / "model_reference.md").read_text(encoding="utf-8")


def test_citation_cff_has_real_metadata():
    """No placeholder author; the version is the package's; the release date is a real date."""
    import configparser
    import datetime
    cff = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert "developers" not in cff.split("references:")[0]
    assert '  - name: "jakstat-rules contributors"' in cff
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    assert f"version: {cfg['metadata']['version']}\n" in cff
    released = re.search(r"^date-released: (\d{4}-\d\d-\d\d)$", cff, re.M).group(1)
    assert datetime.date.fromisoformat(released) <= datetime.date.today()


def test_drug_inputs_have_chebi(sm):
    assert ("isPropertyOf", "https://identifiers.org/CHEBI:66919") in _cv(sm.getParameter("ruxolitinib_nM"))
    assert ("isPropertyOf", "https://identifiers.org/CHEBI:71200") in _cv(sm.getParameter("tofacitinib_nM"))


def test_parameters_cite_their_sources(sm):
    assert ("isDescribedBy", "https://identifiers.org/doi:10.3389/fimmu.2021.748423") in \
        _cv(sm.getParameter("kon_IFNA2_IFNAR1"))
    assert "Kirby2021" in sm.getParameter("kon_IFNA2_IFNAR1").getNotesString()


# ------------------------------------------------------------------ faithful maths
def test_doses_are_parameters_not_baked_in(sm):
    ia = sm.getInitialAssignmentBySymbol("IFNB1")
    assert libsbml.formulaToL3String(ia.getMath()) == "IFNB1_0"
    rule = sm.getAssignmentRule("IFNB1_0")
    assert "IFNb_pM" in libsbml.formulaToL3String(rule.getMath())


def test_no_time_modifiers_and_no_volumes_in_rate_laws(sm):
    species = {s.getId() for s in sm.getListOfSpecies()}
    for r in sm.getListOfReactions():
        mods = [r.getModifier(i).getSpecies() for i in range(r.getNumModifiers())]
        assert "time" not in mods and set(mods) <= species
        formula = libsbml.formulaToL3String(r.getKineticLaw().getMath())
        assert "cell" not in re.findall(r"[A-Za-z_]\w*", formula)
        numbers = [float(x) for x in re.findall(r"(?<![\w.])\d+\.?\d*(?:e-?\d+)?", formula)]
        assert all(x in (0.5, 1.0, 2.0) for x in numbers), (r.getId(), formula)


def test_expressions_use_observable_ids(sm):
    f = libsbml.formulaToL3String(sm.getAssignmentRule("ISRE_activity").getMath())
    assert "ISGF3_active" in f and "GAF_active" in f


# ------------------------------------------------------------------ errors
def _small_model(**extra):
    from pysb import Expression, Model, Monomer, Observable, Parameter, Rule, Initial
    from jakstat_rules.model.builder import Provenance
    m = Model("small", _export=False)
    A = Monomer("A", _export=False)
    m.add_component(A)
    k = Parameter("k", 1.0, _export=False)
    a0 = Parameter("A_0", 10.0, _export=False)
    for c in (k, a0):
        m.add_component(c)
    m.add_initial(Initial(A(), a0, _export=False))
    obs = Observable("A_total", A(), _export=False)
    m.add_component(obs)
    m.jakstat_provenance = {"k": Provenance("1/min", "assumed"), "A_0": Provenance("molecule", "assumed")}
    return m, A, k, obs


def test_expression_without_inferable_unit_is_named():
    from pysb import Expression, Rule
    from jakstat_rules.export import SBMLExportError, to_sbml
    m, A, k, obs = _small_model()
    bad = Expression("k_weird", k * sympy.sin(obs), _export=False)
    m.add_component(bad)
    m.add_component(Rule("decay", A() >> None, bad, _export=False))
    with pytest.raises(SBMLExportError, match="k_weird"):
        to_sbml(m)


def test_inconsistent_sum_is_named():
    from pysb import Expression, Rule
    from jakstat_rules.export import SBMLExportError, to_sbml
    m, A, k, obs = _small_model()
    bad = Expression("k_sum", k + obs, _export=False)
    m.add_component(bad)
    m.add_component(Rule("decay", A() >> None, bad, _export=False))
    with pytest.raises(SBMLExportError, match="k_sum.*different units"):
        to_sbml(m)


def test_parameter_without_unit_is_named():
    from pysb import Parameter, Rule
    from jakstat_rules.export import SBMLExportError, to_sbml
    m, A, k, obs = _small_model()
    m.add_component(Parameter("k_nounit", 2.0, _export=False))
    m.add_component(Rule("decay", A() >> None, k, _export=False))
    with pytest.raises(SBMLExportError, match="k_nounit"):
        to_sbml(m)


def test_local_function_is_refused():
    from pysb import Expression, Rule, Tag
    from jakstat_rules.export import SBMLExportError, to_sbml
    m, A, k, obs = _small_model()
    x = Tag("x", _export=False)
    m.add_component(x)
    loc = Expression("k_local", k * obs(x), _export=False)
    m.add_component(loc)
    m.add_component(Rule("decay", A() @ x >> None, loc, _export=False))
    with pytest.raises(SBMLExportError, match="k_local"):
        to_sbml(m)


def test_small_model_exports_clean():
    from pysb import Rule
    from jakstat_rules.export import consistency_report, to_sbml
    m, A, k, obs = _small_model()
    m.add_component(Rule("decay", A() >> None, k, _export=False))
    m.add_annotation(__import__("pysb").Annotation(A, "https://identifiers.org/uniprot:P42224",
                                                   "is", _export=False))
    assert consistency_report(to_sbml(m)) == []


def test_the_export_may_leave_out_the_unit_checks_because_they_are_only_warnings():
    """``to_sbml`` stops at errors and runs libSBML's checks without the unit checks: that
    hides nothing only while every rule of libSBML's units category is a warning at the
    exported Level and Version, and while the check without units still reports errors."""
    import libsbml
    from jakstat_rules.export import consistency_report
    text = (SBML_DIR / VARIANT_FILES[0]).read_text(encoding="utf-8")
    doc = libsbml.readSBMLFromString(text)
    level, version = doc.getLevel(), doc.getVersion()
    ids = [*range(10000, 11000), *range(20000, 22000), *range(99000, 100000)]  # all units rules
    units = [libsbml.SBMLError(i, level, version) for i in ids]
    units = [e for e in units if e.getCategory() == libsbml.LIBSBML_CAT_UNITS_CONSISTENCY]
    assert len(units) > 10
    assert {e.getSeverity() for e in units} == {libsbml.LIBSBML_SEV_WARNING}
    # a reaction naming a species that does not exist is an error, found without units
    broken = text.replace('<speciesReference species="', '<speciesReference species="nowhere_', 1)
    assert any(sev >= libsbml.LIBSBML_SEV_ERROR
               for sev, _, _ in consistency_report(broken, units=False))


def test_failed_export_leaves_no_file(tmp_path, monkeypatch):
    from jakstat_rules.export import SBMLExportError, export_all
    import jakstat_rules.export.formats as formats

    def boom(_):
        raise SBMLExportError("libAntimony cannot read the SBML: test")
    monkeypatch.setattr(formats, "to_antimony", boom)
    with pytest.raises(SBMLExportError):
        export_all(tmp_path / "out", variants=["default"])
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_atomic_write_cleans_up(tmp_path, monkeypatch):
    """The exporters write through the IO module; a failed rename leaves no temporary file."""
    import jakstat_rules.export.sbml as export_sbml
    import jakstat_rules.io as io
    from jakstat_rules.errors import JakstatInputError

    assert export_sbml.atomic_write is io.atomic_write

    def fail(*a, **k):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(io.os, "replace", fail)
    with pytest.raises(JakstatInputError, match="f.xml"):
        io.atomic_write(tmp_path / "f.xml", "x")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ CLI
def _parser():
    from jakstat_rules.export.cli import register
    parser = argparse.ArgumentParser(prog="jakstat")
    register(parser.add_subparsers(dest="command"))
    return parser


def test_cli_help(capsys):
    with pytest.raises(SystemExit) as e:
        _parser().parse_args(["export", "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "--copasi" in out and "--variants" in out and "--out" in out


def test_cli_writes_and_reports(tmp_path, capsys):
    args = _parser().parse_args(["export", "--out", str(tmp_path), "--variants", "socs1_loss"])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert f"wrote {tmp_path / 'jakstat_ifn_socs1_loss.xml'}" in out
    assert (tmp_path / "jakstat_ifn.xml").exists() and (tmp_path / "README.md").exists()
    assert not (tmp_path / "jakstat_ifn.cps").exists()


def test_cli_bad_variant_exits_2(capsys):
    with pytest.raises(SystemExit) as e:
        _parser().parse_args(["export", "--variants", "nonsense"])
    assert e.value.code == 2
    from jakstat_rules.export.cli import cmd_export
    ns = argparse.Namespace(out="unused", copasi=False, variants=["nonsense"])
    assert cmd_export(ns) == 2
    assert "nonsense" in capsys.readouterr().err
