"""STAT recruitment, phosphorylation and dimerisation (GAF, ISGF3).

Unphosphorylated STAT1 and STAT2 dock with their SH2 domain on receptor
phospho-tyrosines (IFNAR2 pY512: STAT1 and STAT2; IFNGR1 pY440: STAT1).  In
an active complex (both JAKs phosphorylated, JAK1 free of SOCS1) the docked
STAT is phosphorylated (STAT1 Y701, STAT2 Y690) and released in one step.
Released phospho-STATs form reciprocal SH2-pY dimers: pSTAT1 homodimers
(GAF, binds GAS) and pSTAT1:pSTAT2 heterodimers, which bind IRF9 into ISGF3
(binds ISRE).  Dimerisation happens in cytoplasm and nucleus with rate
constants converted to each compartment's volume.  Following Yamada 2003,
Kok 2020 and Kirby 2021.
"""
from __future__ import annotations

from pysb import ANY, ComponentSet

from .builder import Builder
from .conversions import bimolecular
from .ligands import TYPE_I
from .perturbations import kinase_free_fraction

LOCATIONS = {"cyt": "V_cyt", "nuc": "V_nuc"}


def stats_at_rest(b: Builder) -> ComponentSet:
    """Unphosphorylated STAT1, STAT2, IRF9 shuttling between cytoplasm and nucleus.

    At rest import and export balance: nuclear fraction kimp/(kimp+kexp).

    Returns a ComponentSet: the amount parameters and the resting-split expressions.
    """
    start = b.mark()
    kimp, kexp = b.parameter("kimp_STAT"), b.parameter("kexp_STAT")
    frac_nuc = b.expression("fraction_nuclear_at_rest", kimp / (kimp + kexp), "dimensionless",
                            "steady state of import and export")
    for name, total, free in [("STAT1", "STAT1_0", dict(sh2=None, y701="u", pias=None)),
                              ("STAT2", "STAT2_0", dict(sh2=None, y690="u", irf=None)),
                              ("IRF9", "IRF9_0", dict(stat=None))]:
        M = b.monomer_named(name)
        b.initial(M(loc="cyt", **free),
                  b.expression(f"{name}_cyt_0", b.parameter(total) * (1 - frac_nuc), "molecule",
                               f"{total} times the cytoplasmic fraction at rest"))
        b.initial(M(loc="nuc", **free),
                  b.expression(f"{name}_nuc_0", b.parameter(total) * frac_nuc, "molecule",
                               f"{total} times the nuclear fraction at rest"))
    return b.created_since(start)


def stats_dock_on_receptors(b: Builder) -> ComponentSet:
    """SH2 docking of unphosphorylated STATs on receptor phospho-tyrosines.

    Returns a ComponentSet: the docking rules and their rates.
    """
    start = b.mark()
    STAT1, STAT2 = b.monomers_named("STAT1", "STAT2")
    kf = bimolecular(b, "kf_STAT_dock_cyt", "kf_STAT_dock", "V_cyt")
    kr = b.parameter("kr_STAT_dock")
    sites = [("IFNAR2", "y512", STAT1(sh2=None, y701="u", loc="cyt"), "STAT1"),
             ("IFNAR2", "y512", STAT2(sh2=None, y690="u", irf=None, loc="cyt"), "STAT2"),
             ("IFNGR1", "y440", STAT1(sh2=None, y701="u", loc="cyt"), "STAT1")]
    for rec, site, stat, sname in sites:
        R = b.monomer_named(rec)
        docked = stat.monomer(**{k: v for k, v in stat.site_conditions.items() if k != "sh2"}, sh2=1)
        b.rule(f"{sname}_docks_{rec}",
               R(**{site: "p"}) + stat | R(**{site: ("p", 1)}) % docked, kf, kr)
    return b.created_since(start)


def docked_stats_phosphorylated(b: Builder) -> ComponentSet:
    """Active complexes phosphorylate docked STATs, which are released.

    Returns a ComponentSet: the phosphorylation rules and their rates.
    """
    start = b.mark()
    STAT1, STAT2 = b.monomers_named("STAT1", "STAT2")
    IFNAR1, IFNAR2, IFNGR1, IFNGR2 = b.monomers_named("IFNAR1", "IFNAR2", "IFNGR1", "IFNGR2")
    JAK1, JAK2, TYK2, IFNG = b.monomers_named("JAK1", "JAK2", "TYK2", "IFNG")
    kcat = b.parameter("kcat_STAT_phos")
    k1 = b.expression("kcat_STAT_by_JAK1", kcat * kinase_free_fraction(b, "JAK1"))
    k2 = b.expression("kcat_STAT_by_JAK2", kcat * kinase_free_fraction(b, "JAK2"))
    stats = [("STAT1", "y701"), ("STAT2", "y690")]
    for lig in TYPE_I:
        L = b.monomer_named(lig)
        for sname, site in stats:
            S = b.monomer_named(sname)
            core = dict(r1=1, r2=2)
            b.rule(f"{lig}_complex_phosphorylates_{sname}",
                   L(**core) % IFNAR1(lig=1, box1=3) % TYK2(box1=3, y1054="p")
                   % IFNAR2(lig=2, box1=4, y512=("p", 5)) % JAK1(box1=4, y1034="p", socs=None)
                   % S(sh2=5, **{site: "u"})
                   >> L(**core) % IFNAR1(lig=1, box1=3) % TYK2(box1=3, y1054="p")
                   % IFNAR2(lig=2, box1=4, y512="p") % JAK1(box1=4, y1034="p", socs=None)
                   + S(sh2=None, **{site: "p"}),
                   k1)
    ifng_complex_phosphorylates(b, "STAT1", "y701", k2)
    return b.created_since(start)


def ifng_complex_phosphorylates(b: Builder, stat: str, site: str, rate) -> ComponentSet:
    """The active IFN-gamma complex phosphorylates the STAT docked on IFNGR1 pY440 and releases it.

    Parameters
    ----------
    stat, site
        The docked STAT's monomer name and its tyrosine (``STAT1``, ``y701``).
    rate
        The catalytic rate (an expression including JAK2's drug-free fraction).

    Returns a ComponentSet: the rule ``IFNG_complex_phosphorylates_<stat>``.
    """
    start = b.mark()
    IFNGR1, IFNGR2, JAK1, JAK2, IFNG, S = b.monomers_named("IFNGR1", "IFNGR2", "JAK1", "JAK2", "IFNG", stat)
    b.rule(f"IFNG_complex_phosphorylates_{stat}",
           IFNG(r1=1, r2=2) % IFNGR1(lig=1, box1=3, y440=("p", 5)) % JAK1(box1=3, y1034="p", socs=None)
           % IFNGR2(lig=2, box1=4) % JAK2(box1=4, y1007="p") % S(sh2=5, **{site: "u"})
           >> IFNG(r1=1, r2=2) % IFNGR1(lig=1, box1=3, y440="p") % JAK1(box1=3, y1034="p", socs=None)
           % IFNGR2(lig=2, box1=4) % JAK2(box1=4, y1007="p") + S(sh2=None, **{site: "p"}),
           rate)
    return b.created_since(start)


def pstats_dimerise(b: Builder) -> ComponentSet:
    """GAF (pSTAT1:pSTAT1), pSTAT1:pSTAT2, and ISGF3 (pSTAT1:pSTAT2:IRF9).

    Returns a ComponentSet: the dimerisation and IRF9 binding rules and their rates.
    """
    start = b.mark()
    STAT1, STAT2, IRF9 = b.monomers_named("STAT1", "STAT2", "IRF9")
    kr = b.parameter("kr_pSTAT_dimer")
    kr9 = b.parameter("kr_IRF9_STAT2")
    for loc, vol in LOCATIONS.items():
        kf = bimolecular(b, f"kf_pSTAT_dimer_{loc}", "kf_pSTAT_dimer", vol)
        kf9 = bimolecular(b, f"kf_IRF9_STAT2_{loc}", "kf_IRF9_STAT2", vol)
        b.rule(f"pSTAT1_homodimerises_{loc}",
               STAT1(sh2=None, y701="p", pias=None, loc=loc) + STAT1(sh2=None, y701="p", pias=None, loc=loc)
               | STAT1(sh2=1, y701="p", pias=None, loc=loc) % STAT1(sh2=1, y701="p", pias=None, loc=loc),
               kf, kr)
        b.rule(f"pSTAT1_pSTAT2_heterodimerise_{loc}",
               STAT1(sh2=None, y701="p", pias=None, loc=loc) + STAT2(sh2=None, y690="p", irf=None, loc=loc)
               | STAT1(sh2=1, y701="p", pias=None, loc=loc) % STAT2(sh2=1, y690="p", irf=None, loc=loc),
               kf, kr)
        b.rule(f"IRF9_binds_pSTAT1_pSTAT2_{loc}",
               STAT2(sh2=ANY, y690="p", irf=None, loc=loc) + IRF9(stat=None, loc=loc)
               | STAT2(sh2=ANY, y690="p", irf=1, loc=loc) % IRF9(stat=1, loc=loc),
               kf9, kr9)
    return b.created_since(start)


def add(b: Builder) -> ComponentSet:
    """All rules of this module.

    Returns a ComponentSet: every component the module's motifs create.
    """
    start = b.mark()
    stats_at_rest(b)
    stats_dock_on_receptors(b)
    docked_stats_phosphorylated(b)
    pstats_dimerise(b)
    return b.created_since(start)
