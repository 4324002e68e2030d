"""STAT3: docking, Y705 phosphorylation, dimers with itself and STAT1, transport, phosphatases, PIAS3.

Unphosphorylated STAT3 and STAT1 dock with their SH2 domain on gp130's
distal phospho-tyrosines (lumped as pY767: STAT3 on all four, STAT1 on two
of them, Gerhartz 1996).  In an active complex (JAK1 phosphorylated, free of
SOCS1, gp130 free of SOCS3) the docked STAT is phosphorylated (STAT3 Y705,
STAT1 Y701) and released, as on the interferon receptors.  STAT3 also docks,
weakly, on IFNGR1 pY440, so IFN-gamma activates STAT3, more where STAT1 does
not compete for the site and STAT1-driven SOCS1 does not end JAK1 activity
(Qing & Stark 2004).

Released pSTAT3 forms homodimers and pSTAT1:pSTAT3 heterodimers (in the
cytoplasm and the nucleus, rates as for the STAT1 dimers); both are imported
like GAF.  Unphosphorylated STAT3 shuttles like STAT1.  In the nucleus TC45
(PTPN2) dephosphorylates STAT3, free and in dimers (Yamamoto 2002), in the cytoplasm
SHP-2 (PTPN11); both are the interferon arm's molecules and act
catalytically.  PIAS3 binds nuclear STAT3 in dimers and blocks their DNA
binding (Chung 1997).
"""
from __future__ import annotations

from pysb import ComponentSet

from .builder import Builder
from .conversions import bimolecular
from .stats import LOCATIONS, ifng_complex_phosphorylates


def stat3_at_rest(b: Builder) -> ComponentSet:
    """Unphosphorylated STAT3 split between cytoplasm and nucleus as STAT1 is.

    Returns a ComponentSet: the amount parameter and the resting-split expressions.
    """
    start = b.mark()
    STAT3 = b.monomer_named("STAT3")
    frac_nuc = b.component("fraction_nuclear_at_rest")
    total = b.parameter("STAT3_0")
    free = dict(sh2=None, y705="u", pias=None)
    b.initial(STAT3(loc="cyt", **free), b.expression("STAT3_cyt_0", total * (1 - frac_nuc), "molecule",
                                                     "STAT3_0 times the cytoplasmic fraction at rest"))
    b.initial(STAT3(loc="nuc", **free), b.expression("STAT3_nuc_0", total * frac_nuc, "molecule",
                                                     "STAT3_0 times the nuclear fraction at rest"))
    return b.created_since(start)


def stats_dock_on_gp130(b: Builder, on_ifngr1: bool = True) -> ComponentSet:
    """STAT3 and (at half the rate) STAT1 dock on gp130 pY767; STAT3 docks weakly on IFNGR1 pY440.

    Parameters
    ----------
    on_ifngr1
        Include STAT3 docking on IFNGR1 (and so its phosphorylation by IFN-gamma).

    Returns a ComponentSet: the docking rules and their rate expressions.
    """
    start = b.mark()
    STAT1, STAT3, IL6ST, IFNGR1 = b.monomers_named("STAT1", "STAT3", "IL6ST", "IFNGR1")
    kf = b.component("kf_STAT_dock_cyt")
    kr = b.parameter("kr_STAT_dock")
    kf1 = b.expression("kf_STAT1_dock_IL6ST", kf * b.parameter("w_STAT1_IL6ST"))
    b.rule("STAT3_docks_IL6ST",
           IL6ST(y767="p") + STAT3(sh2=None, y705="u", loc="cyt")
           | IL6ST(y767=("p", 1)) % STAT3(sh2=1, y705="u", loc="cyt"), kf, kr)
    b.rule("STAT1_docks_IL6ST",
           IL6ST(y767="p") + STAT1(sh2=None, y701="u", loc="cyt")
           | IL6ST(y767=("p", 1)) % STAT1(sh2=1, y701="u", loc="cyt"), kf1, kr)
    if not on_ifngr1:
        return b.created_since(start)
    kf3 = b.expression("kf_STAT3_dock_IFNGR1", kf * b.parameter("w_STAT3_IFNGR1"))
    b.rule("STAT3_docks_IFNGR1",
           IFNGR1(y440="p") + STAT3(sh2=None, y705="u", loc="cyt")
           | IFNGR1(y440=("p", 1)) % STAT3(sh2=1, y705="u", loc="cyt"), kf3, kr)
    return b.created_since(start)


def docked_stats_phosphorylated_on_gp130(b: Builder, on_ifngr1: bool = True) -> ComponentSet:
    """Active complexes phosphorylate docked STAT3 (and STAT1 on gp130), which are released.

    With ``on_ifngr1`` the IFN-gamma complex phosphorylates STAT3 docked on IFNGR1.

    Returns a ComponentSet: the phosphorylation rules.
    """
    start = b.mark()
    IL6, IL6ST, JAK1, STAT1, STAT3 = b.monomers_named("IL6", "IL6ST", "JAK1", "STAT1", "STAT3")
    k1, k2 = b.component("kcat_STAT_by_JAK1"), b.component("kcat_STAT_by_JAK2")
    for S, site in ((STAT3, "y705"), (STAT1, "y701")):
        b.rule(f"IL6_complex_phosphorylates_{S.name}",
               IL6(r2=2) % IL6ST(lig=2, box1=3, socs=None, y767=("p", 5)) % JAK1(box1=3, y1034="p", socs=None)
               % S(sh2=5, **{site: "u"})
               >> IL6(r2=2) % IL6ST(lig=2, box1=3, socs=None, y767="p") % JAK1(box1=3, y1034="p", socs=None)
               + S(sh2=None, **{site: "p"}),
               k1)
    if not on_ifngr1:
        return b.created_since(start)
    ifng_complex_phosphorylates(b, "STAT3", "y705", k2)
    return b.created_since(start)


def pstat3_dimerises(b: Builder) -> ComponentSet:
    """pSTAT3 homodimers and pSTAT1:pSTAT3 heterodimers, in cytoplasm and nucleus.

    Returns a ComponentSet: the dimerisation rules.
    """
    start = b.mark()
    STAT1, STAT3 = b.monomers_named("STAT1", "STAT3")
    kr = b.parameter("kr_pSTAT_dimer")
    for loc in LOCATIONS:
        kf = b.component(f"kf_pSTAT_dimer_{loc}")
        b.rule(f"pSTAT3_homodimerises_{loc}",
               STAT3(sh2=None, y705="p", pias=None, loc=loc) + STAT3(sh2=None, y705="p", pias=None, loc=loc)
               | STAT3(sh2=1, y705="p", pias=None, loc=loc) % STAT3(sh2=1, y705="p", pias=None, loc=loc),
               kf, kr)
        b.rule(f"pSTAT1_pSTAT3_heterodimerise_{loc}",
               STAT1(sh2=None, y701="p", pias=None, loc=loc) + STAT3(sh2=None, y705="p", pias=None, loc=loc)
               | STAT1(sh2=1, y701="p", pias=None, loc=loc) % STAT3(sh2=1, y705="p", pias=None, loc=loc),
               kf, kr)
    return b.created_since(start)


def stat3_transported(b: Builder) -> ComponentSet:
    """Active import of STAT3 homodimers and STAT1:STAT3 heterodimers; STAT3 monomers shuttle.

    Returns a ComponentSet: the import and shuttling rules.
    """
    start = b.mark()
    STAT1, STAT3 = b.monomers_named("STAT1", "STAT3")
    k = b.parameter("kimp_dimer")
    b.rule("pSTAT3_dimer_imported",
           STAT3(sh2=1, y705="p", loc="cyt") % STAT3(sh2=1, y705="p", loc="cyt")
           >> STAT3(sh2=1, y705="p", loc="nuc") % STAT3(sh2=1, y705="p", loc="nuc"), k)
    b.rule("pSTAT1_pSTAT3_imported",
           STAT1(sh2=1, loc="cyt") % STAT3(sh2=1, loc="cyt") >> STAT1(sh2=1, loc="nuc") % STAT3(sh2=1, loc="nuc"),
           k)
    free = dict(sh2=None, y705="u", pias=None)
    b.rule("STAT3_shuttles", STAT3(loc="cyt", **free) | STAT3(loc="nuc", **free),
           b.parameter("kimp_STAT"), b.parameter("kexp_STAT"))
    return b.created_since(start)


def stat3_dephosphorylated(b: Builder) -> ComponentSet:
    """PTPN2 (TC45) in the nucleus and PTPN11 (SHP-2) in the cytoplasm dephosphorylate pSTAT3.

    In the nucleus TC45 also dephosphorylates STAT3 in PIAS3-free dimers, which
    then fall apart: STAT3 dimers are dephosphorylated after switching to the
    antiparallel form without first releasing monomers (lumped in one step).

    Returns a ComponentSet: the dephosphorylation rules and their rates.
    """
    start = b.mark()
    STAT1, STAT3, PTPN2, PTPN11 = b.monomers_named("STAT1", "STAT3", "PTPN2", "PTPN11")
    b.rule("PTPN2_dephosphorylates_STAT3",
           PTPN2() + STAT3(sh2=None, y705="p", loc="nuc") >> PTPN2() + STAT3(sh2=None, y705="u", loc="nuc"),
           b.parameter("kdp_PTPN2_pSTAT3"))
    kdimer = b.parameter("kdp_PTPN2_pSTAT3_dimer")
    b.rule("PTPN2_dephosphorylates_pSTAT3_dimer",
           PTPN2() + STAT3(sh2=1, y705="p", pias=None, loc="nuc") % STAT3(sh2=1, y705="p", pias=None)
           >> PTPN2() + STAT3(sh2=None, y705="u", pias=None, loc="nuc") + STAT3(sh2=None, y705="p", pias=None),
           kdimer)
    b.rule("PTPN2_dephosphorylates_pSTAT1_pSTAT3",
           PTPN2() + STAT3(sh2=1, y705="p", pias=None, loc="nuc") % STAT1(sh2=1, pias=None)
           >> PTPN2() + STAT3(sh2=None, y705="u", pias=None, loc="nuc") + STAT1(sh2=None, pias=None),
           kdimer)
    b.rule("PTPN11_dephosphorylates_STAT3",
           PTPN11() + STAT3(sh2=None, y705="p", loc="cyt") >> PTPN11() + STAT3(sh2=None, y705="u", loc="cyt"),
           b.parameter("kdp_PTPN11_pSTAT3"))
    return b.created_since(start)


def pias3_blocks_stat3_dimers(b: Builder) -> ComponentSet:
    """PIAS3 binds STAT3 in nuclear dimers (one PIAS3 per dimer) and blocks their DNA binding.

    Returns a ComponentSet: the binding rules, PIAS3's amount and the rates.
    """
    start = b.mark()
    PIAS3, STAT1, STAT3 = b.monomers_named("PIAS3", "STAT1", "STAT3")
    b.initial(PIAS3(stat=None), b.parameter("PIAS3_0"))
    kf = bimolecular(b, "kf_PIAS3_STAT3_nuc", "kf_PIAS3_STAT3", "V_nuc")
    kr = b.parameter("kr_PIAS3_STAT3")
    b.rule("PIAS3_binds_pSTAT3_dimer",
           PIAS3(stat=None) + STAT3(pias=None, sh2=1, y705="p", loc="nuc") % STAT3(sh2=1, pias=None)
           | PIAS3(stat=2) % STAT3(pias=2, sh2=1, y705="p", loc="nuc") % STAT3(sh2=1, pias=None), kf, kr)
    b.rule("PIAS3_binds_pSTAT1_pSTAT3",
           PIAS3(stat=None) + STAT3(pias=None, sh2=1, y705="p", loc="nuc") % STAT1(sh2=1)
           | PIAS3(stat=2) % STAT3(pias=2, sh2=1, y705="p", loc="nuc") % STAT1(sh2=1), kf, kr)
    return b.created_since(start)


def add(b: Builder, on_ifngr1: bool = True) -> ComponentSet:
    """All rules of this module (``on_ifngr1``: see :func:`stats_dock_on_gp130`).

    Returns a ComponentSet: every component the module's motifs create.
    """
    start = b.mark()
    stat3_at_rest(b)
    stats_dock_on_gp130(b, on_ifngr1)
    docked_stats_phosphorylated_on_gp130(b, on_ifngr1)
    pstat3_dimerises(b)
    stat3_transported(b)
    stat3_dephosphorylated(b)
    pias3_blocks_stat3_dimers(b)
    return b.created_since(start)
