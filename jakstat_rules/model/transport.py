"""Nuclear import and export, and STAT dephosphorylation.

Phospho-dimers (GAF, pSTAT1:pSTAT2, ISGF3) are imported actively (importin
alpha-5 recognises the dimer-specific NLS); unphosphorylated STAT1, STAT2
and IRF9 shuttle slowly in both directions.  In the nucleus dimers fall
apart, TC45 (PTPN2) dephosphorylates the monomers (Haspel 1999; ten Hoeve
2002), and the unphosphorylated STATs are exported.  In the cytoplasm SHP-2
(PTPN11) dephosphorylates free pSTAT monomers (Yamada 2003).
"""
from __future__ import annotations

from pysb import ComponentSet

from .builder import Builder


def dimers_imported(b: Builder) -> ComponentSet:
    """Active import of GAF, pSTAT1:pSTAT2 and ISGF3.

    Returns a ComponentSet: the import rules and their rate parameter.
    """
    start = b.mark()
    STAT1, STAT2, IRF9 = b.monomers_named("STAT1", "STAT2", "IRF9")
    k = b.parameter("kimp_dimer")
    b.rule("GAF_imported",
           STAT1(sh2=1, y701="p", loc="cyt") % STAT1(sh2=1, y701="p", loc="cyt")
           >> STAT1(sh2=1, y701="p", loc="nuc") % STAT1(sh2=1, y701="p", loc="nuc"), k)
    b.rule("pSTAT1_pSTAT2_imported",
           STAT1(sh2=1, loc="cyt") % STAT2(sh2=1, irf=None, loc="cyt")
           >> STAT1(sh2=1, loc="nuc") % STAT2(sh2=1, irf=None, loc="nuc"), k)
    b.rule("ISGF3_imported",
           STAT1(sh2=1, loc="cyt") % STAT2(sh2=1, irf=2, loc="cyt") % IRF9(stat=2, loc="cyt")
           >> STAT1(sh2=1, loc="nuc") % STAT2(sh2=1, irf=2, loc="nuc") % IRF9(stat=2, loc="nuc"), k)
    return b.created_since(start)


def monomers_shuttle(b: Builder) -> ComponentSet:
    """Slow import and export of free unphosphorylated STAT1, STAT2, IRF9.

    Returns a ComponentSet: the shuttling rules and their rate parameters.
    """
    start = b.mark()
    kimp, kexp = b.parameter("kimp_STAT"), b.parameter("kexp_STAT")
    free = {"STAT1": dict(sh2=None, y701="u", pias=None),
            "STAT2": dict(sh2=None, y690="u", irf=None),
            "IRF9": dict(stat=None)}
    for name, cond in free.items():
        M = b.monomer_named(name)
        b.rule(f"{name}_shuttles", M(loc="cyt", **cond) | M(loc="nuc", **cond), kimp, kexp)
    return b.created_since(start)


def stats_dephosphorylated(b: Builder) -> ComponentSet:
    """PTPN2 in the nucleus and PTPN11 in the cytoplasm dephosphorylate pSTAT monomers.

    Returns a ComponentSet: the dephosphorylation rules, PTPN2's amount and the rate
    parameters.
    """
    start = b.mark()
    STAT1, STAT2 = b.monomers_named("STAT1", "STAT2")
    PTPN2, PTPN11 = b.monomers_named("PTPN2", "PTPN11")
    b.initial(PTPN2(), b.parameter("PTPN2_0"))
    k2, k11 = b.parameter("kdp_PTPN2_pSTAT1"), b.parameter("kdp_PTPN11_pSTAT1")
    for S, site in ((STAT1, "y701"), (STAT2, "y690")):
        b.rule(f"PTPN2_dephosphorylates_{S.name}",
               PTPN2() + S(sh2=None, loc="nuc", **{site: "p"}) >> PTPN2() + S(sh2=None, loc="nuc", **{site: "u"}),
               k2)
        b.rule(f"PTPN11_dephosphorylates_{S.name}",
               PTPN11() + S(sh2=None, loc="cyt", **{site: "p"}) >> PTPN11() + S(sh2=None, loc="cyt", **{site: "u"}),
               k11)
    return b.created_since(start)


def add(b: Builder) -> ComponentSet:
    """All rules of this module.

    Returns a ComponentSet: every component the module's motifs create.
    """
    start = b.mark()
    dimers_imported(b)
    monomers_shuttle(b)
    stats_dephosphorylated(b)
    return b.created_since(start)


