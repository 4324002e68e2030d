"""Structure of the rule-based model: annotations, provenance, combinatorics."""
import re

import pytest

from jakstat_rules.errors import JakstatInputError
from jakstat_rules.model import INPUTS, READOUTS, VARIANTS, build_model
from jakstat_rules.model.parameters import CITATIONS, PARAMETERS
from jakstat_rules.network import generate_network

KNOWN_UNITS = {"1/min", "1/(molecule*min)", "molecule", "molecule/min", "pM", "nM", "M", "L", "Gy",
               "molecule/Gy", "molecule/mol", "s/min", "M/pM", "M/nM", "1/(M*s)", "1/s", "1/(molecule*s)",
               "dimensionless", "pM/min"}
PROTEINS = {"IFNA2", "IFNB1", "IFNG", "IFNAR1", "IFNAR2", "IFNGR1", "IFNGR2", "JAK1", "JAK2", "TYK2",
            "STAT1", "STAT2", "IRF9", "IRF1", "SOCS1", "USP18", "PTPN2", "PTPN11", "PIAS1", "CGAS", "STING1",
            "IL6", "IL6R", "IL6ST", "STAT3", "SOCS3", "PIAS3"}
#: identifiers.org compact URIs, https://identifiers.org/<prefix>:<accession>
URI = re.compile(r"^https://identifiers\.org/(uniprot:[OPQ][0-9][A-Z0-9]{3}[0-9]|ncbigene:\d+|GO:\d{7}|"
                 r"mirbase\.mature:MIMAT\d{7}|CHEBI:\d+|ncit:C\d+)$")


@pytest.fixture(scope="module")
def model():
    m = build_model()
    generate_network(m)
    return m


def test_every_monomer_is_annotated_with_a_database_id(model):
    annotated = {}
    for ann in model.annotations:
        annotated.setdefault(ann.subject.name, []).append(ann.object)
    for mon in model.monomers:
        uris = annotated.get(mon.name)
        assert uris, f"{mon.name} has no annotation"
        assert all(URI.match(u) for u in uris), (mon.name, uris)
        if mon.name in PROTEINS:
            assert any("/uniprot:" in u for u in uris), f"protein {mon.name} lacks a UniProt id"
        if mon.name.startswith("mRNA_"):
            assert all("/ncbigene:" in u for u in uris), f"transcript {mon.name} lacks NCBI gene ids"
    # the micronucleus of irradiated human cells, not GO:0031040 (the ciliate germline micronucleus)
    assert annotated["MN"] == ["https://identifiers.org/ncit:C121964", "https://identifiers.org/GO:0005634"]


def test_every_parameter_has_a_unit_and_a_source(model):
    prov = model.jakstat_provenance
    for p in model.parameters:
        assert p.name in prov, f"{p.name} has no provenance"
        unit, source = prov[p.name].unit, prov[p.name].source
        assert unit in KNOWN_UNITS, (p.name, unit)
        assert source.strip(), p.name
        if source not in ("input",) and not source.startswith("assumed"):
            assert any(key in source for key in CITATIONS), f"{p.name}: source {source!r} cites no paper"
    # the registry itself is complete too (parameters of every variant)
    for name, spec in PARAMETERS.items():
        assert spec.unit in KNOWN_UNITS, (name, spec.unit)


def test_literature_values_were_converted_by_expressions_not_literals(model):
    # a 3D association constant of 3e6 /M/s in the medium volume per cell must come out as
    # 3e6 * 60 / (N_A * 1e-5 L) per molecule per minute
    kf = model.expressions["kf_IFNA2_IFNAR2"]
    expected = 3e6 * 60 / (6.02214076e23 * 1e-5)
    assert kf.get_value() == pytest.approx(expected, rel=1e-12)
    assert {s.name for s in kf.expr.free_symbols} == {"kon_IFNA2_IFNAR2", "s_per_min", "N_A", "V_medium"}


def test_detailed_balance_of_the_type_I_cycle(model):
    v = {e.name: e.get_value() for e in model.expressions}
    for lig in ("IFNA2", "IFNB1"):
        k1 = v[f"kf_{lig}_IFNAR1"] / v[f"kr_{lig}_IFNAR1"]
        k2 = v[f"kf_{lig}_IFNAR2"] / v[f"kr_{lig}_IFNAR2"]
        k3 = v["kf_2D"] / v[f"kr_{lig}IFNAR1_IFNAR2"]
        k4 = v["kf_2D"] / v[f"kr_{lig}IFNAR2_IFNAR1"]
        assert k1 * k3 == pytest.approx(k2 * k4, rel=1e-12)
    # IFN-beta binds IFNAR1 far more tightly than IFN-alpha2 (Kirby 2021: 100 nM vs 5 uM)
    kd_a = PARAMETERS["koff_IFNA2_IFNAR1"].value / PARAMETERS["kon_IFNA2_IFNAR1"].value
    kd_b = PARAMETERS["koff_IFNB1_IFNAR1"].value / PARAMETERS["kon_IFNB1_IFNAR1"].value
    assert kd_a / kd_b > 30


def test_network_is_combinatorial(model):
    n_rules, n_species, n_reactions = len(model.rules), len(model.species), len(model.reactions)
    # "tens of rules and hundreds of reactions": one rule stands for many reactions
    assert 50 <= n_rules <= 150
    assert 200 <= n_species <= 1000
    assert n_reactions >= 5 * n_rules
    # independent count of one corner of the network: ternary type I complexes at the membrane.
    # 2 ligands x TYK2 (u, p) x JAK1 (u, p, p with SOCS1) x IFNAR2 Y512 (u, p, p+STAT1, p+STAT2) = 48
    ternary = [s for s in model.species
               if {m.monomer.name for m in s.monomer_patterns} >= {"IFNAR1", "IFNAR2"}]
    assert len(ternary) == 2 * 2 * 3 * 4


def test_public_ids_exist(model):
    names = {c.name for c in model.components}
    for name in list(INPUTS) + list(READOUTS):
        assert name in names, name
    for name in INPUTS:
        assert model.parameters[name].value == 0


def test_unknown_variant_and_bad_override_are_rejected():
    with pytest.raises(JakstatInputError, match="unknown variant 'nope'"):
        build_model("nope")
    with pytest.raises(JakstatInputError, match="unknown parameter"):
        build_model(overrides={"not_a_parameter": 1})
    with pytest.raises(JakstatInputError, match="STAT1_0=-1"):
        build_model(overrides={"STAT1_0": -1})


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_variants_build(variant):
    m = build_model(variant)
    names = {mon.name for mon in m.monomers}
    assert ("SOCS1" in names) == (variant != "socs1_loss")
    assert ("USP18" in names) == (variant != "usp18_loss")
    assert ("SOCS3" in names) == (variant != "socs3_loss")
    for stat in ("STAT1", "STAT3"):      # knock-outs: the protein is never made
        assert (m.parameters[f"{stat}_0"].value == 0) == (variant == f"{stat.lower()}_loss")
    assert any(r.name.startswith("JAK2V617F") for r in m.rules) == (variant == "jak2_v617f")


def test_motifs_return_the_components_they_create():
    """Each motif returns exactly what it adds; together they make up the model."""
    from pysb import ComponentSet

    from jakstat_rules.model import kinases, ligands, monomers
    from jakstat_rules.model.builder import Builder

    b = Builder("motifs")
    created = monomers.add_monomers(b)
    assert isinstance(created, ComponentSet) and set(created) == set(b.model.monomers)
    seen = set(created)
    binding = ligands.type_I_ifn_binds_ifnar(b)
    assert {r.name for r in binding.filter(lambda c: c in b.model.rules)} == {
        f"{lig}{step}" for lig in ("IFNA2", "IFNB1")
        for step in ("_binds_IFNAR1", "_binds_IFNAR2", "IFNAR2_recruits_IFNAR1", "IFNAR1_recruits_IFNAR2")}
    assert b.model.parameters["kon_IFNA2_IFNAR1"] in binding  # created on first use, here
    seen |= set(binding)
    for motif in (ligands.ligands_in_medium, ligands.receptors_at_rest, kinases.add):
        before = set(b.model.all_components())
        new = motif(b)
        assert set(new) == set(b.model.all_components()) - before, motif.__name__
        assert not set(new) & seen
        seen |= set(new)
    assert seen == set(b.model.all_components())
