"""JAK activation inside ligated complexes and receptor tyrosine phosphorylation.

In a ligand-bridged complex the two JAKs trans-phosphorylate each other's
activation loop (JAK1 Y1034, TYK2 Y1054, JAK2 Y1007); active JAK1 then
phosphorylates the receptor tyrosines that dock STATs (IFNAR2 Y512, IFNGR1
Y440).  Each catalytic rate is multiplied by the drug-free fraction of the
catalysing kinase (see :mod:`.perturbations`).  SOCS1 bound to active JAK1
blocks its kinase activity (see :mod:`.regulators`).  SHP-2 (PTPN11)
dephosphorylates JAKs and receptors wherever they are (Yamada 2003): one
rule each stands for every complex the molecule is in.
"""
from __future__ import annotations

from pysb import ANY as ANY_BOND
from pysb import ComponentSet

from .builder import Builder
from .ligands import TYPE_I
from .perturbations import kinase_free_fraction


def jaks_trans_activate(b: Builder) -> ComponentSet:
    """JAK trans-activation in type I and type II signalling complexes.

    Returns a ComponentSet: the trans-activation rules and their rate parameters and
    expressions.
    """
    start = b.mark()
    IFNAR1, IFNAR2, IFNGR1, IFNGR2 = b.monomers_named("IFNAR1", "IFNAR2", "IFNGR1", "IFNGR2")
    JAK1, JAK2, TYK2, IFNG = b.monomers_named("JAK1", "JAK2", "TYK2", "IFNG")
    kact = b.parameter("kact_JAK")
    fJ1, fJ2, fT = (kinase_free_fraction(b, k) for k in ("JAK1", "JAK2", "TYK2"))
    for lig in TYPE_I:
        L = b.monomer_named(lig)
        b.rule(f"JAK1_activates_TYK2_{lig}",
               L(r1=1, r2=2) % IFNAR1(lig=1, box1=3) % TYK2(box1=3, y1054="u")
               % IFNAR2(lig=2, box1=4) % JAK1(box1=4, socs=None)
               >> L(r1=1, r2=2) % IFNAR1(lig=1, box1=3) % TYK2(box1=3, y1054="p")
               % IFNAR2(lig=2, box1=4) % JAK1(box1=4, socs=None),
               b.expression("kact_by_JAK1", kact * fJ1))
        b.rule(f"TYK2_activates_JAK1_{lig}",
               L(r1=1, r2=2) % IFNAR1(lig=1, box1=3) % TYK2(box1=3)
               % IFNAR2(lig=2, box1=4) % JAK1(box1=4, y1034="u")
               >> L(r1=1, r2=2) % IFNAR1(lig=1, box1=3) % TYK2(box1=3)
               % IFNAR2(lig=2, box1=4) % JAK1(box1=4, y1034="p"),
               b.expression("kact_by_TYK2", kact * fT))
    b.rule("JAK1_activates_JAK2",
           IFNG(r1=1, r2=2) % IFNGR1(lig=1, box1=3) % JAK1(box1=3, socs=None)
           % IFNGR2(lig=2, box1=4) % JAK2(box1=4, y1007="u")
           >> IFNG(r1=1, r2=2) % IFNGR1(lig=1, box1=3) % JAK1(box1=3, socs=None)
           % IFNGR2(lig=2, box1=4) % JAK2(box1=4, y1007="p"),
           b.component("kact_by_JAK1"))
    b.rule("JAK2_activates_JAK1",
           IFNG(r1=1, r2=2) % IFNGR1(lig=1, box1=3) % JAK1(box1=3, y1034="u")
           % IFNGR2(lig=2, box1=4) % JAK2(box1=4)
           >> IFNG(r1=1, r2=2) % IFNGR1(lig=1, box1=3) % JAK1(box1=3, y1034="p")
           % IFNGR2(lig=2, box1=4) % JAK2(box1=4),
           b.expression("kact_by_JAK2", kact * fJ2))
    return b.created_since(start)


def jak1_phosphorylates_receptors(b: Builder) -> ComponentSet:
    """Active, SOCS1-free JAK1 phosphorylates the STAT docking tyrosines.

    Returns a ComponentSet: the receptor phosphorylation rules and their rates.
    """
    start = b.mark()
    IFNAR2, IFNGR1 = b.monomers_named("IFNAR2", "IFNGR1")
    JAK1, IFNG = b.monomers_named("JAK1", "IFNG")
    fJ1 = kinase_free_fraction(b, "JAK1")
    for lig in TYPE_I:
        L = b.monomer_named(lig)
        b.rule(f"JAK1_phosphorylates_IFNAR2_{lig}",
               L(r1=ANY_BOND, r2=2) % IFNAR2(lig=2, box1=4, y512="u") % JAK1(box1=4, y1034="p", socs=None)
               >> L(r1=ANY_BOND, r2=2) % IFNAR2(lig=2, box1=4, y512="p") % JAK1(box1=4, y1034="p", socs=None),
               b.expression("kcat_IFNAR2_eff", b.parameter("kcat_JAK1_IFNAR2_y512") * fJ1))
    b.rule("JAK1_phosphorylates_IFNGR1",
           IFNG(r1=1, r2=ANY_BOND) % IFNGR1(lig=1, box1=4, y440="u") % JAK1(box1=4, y1034="p", socs=None)
           >> IFNG(r1=1, r2=ANY_BOND) % IFNGR1(lig=1, box1=4, y440="p") % JAK1(box1=4, y1034="p", socs=None),
           b.expression("kcat_IFNGR1_eff", b.parameter("kcat_JAK1_IFNGR1_y440") * fJ1))
    return b.created_since(start)


def shp2_dephosphorylates(b: Builder) -> ComponentSet:
    """PTPN11 (SHP-2) dephosphorylates JAKs and free receptor tyrosines.

    Returns a ComponentSet: the PTPN11 rules, its amount and rate parameters.
    """
    start = b.mark()
    PTPN11 = b.monomer_named("PTPN11")
    b.initial(PTPN11(), b.parameter("PTPN11_0"))
    kj, kr = b.parameter("kdp_PTPN11_JAK"), b.parameter("kdp_PTPN11_receptor")
    targets = [("JAK1", {"y1034": "p", "socs": None}, {"y1034": "u", "socs": None}, kj),
               ("JAK2", {"y1007": "p"}, {"y1007": "u"}, kj),
               ("TYK2", {"y1054": "p"}, {"y1054": "u"}, kj),
               ("IFNAR2", {"y512": "p"}, {"y512": "u"}, kr),
               ("IFNGR1", {"y440": "p"}, {"y440": "u"}, kr)]
    for name, before, after, k in targets:
        M = b.monomer_named(name)
        b.rule(f"PTPN11_dephosphorylates_{name}", PTPN11() + M(**before) >> PTPN11() + M(**after), k)
    return b.created_since(start)


def add(b: Builder) -> ComponentSet:
    """All rules of this module.

    Returns a ComponentSet: every component the module's motifs create.
    """
    start = b.mark()
    jaks_trans_activate(b)
    jak1_phosphorylates_receptors(b)
    shp2_dephosphorylates(b)
    return b.created_since(start)
