"""Nuclear import and export, and STAT dephosphorylation.

Phospho-dimers (GAF, pSTAT1:pSTAT2, ISGF3) are imported actively (importin
alpha-5 recognises the dimer-specific NLS); unphosphorylated STAT1, STAT2
and IRF9 shuttle slowly in both directions.  In the nucleus dimers fall
apart, TC45 (PTPN2) dephosphorylates the monomers (Haspel 1999; ten Hoeve
2002), and the unphosphorylated STATs are exported.  In the cytoplasm SHP-2
(PTPN11) dephosphorylates free pSTAT monomers (Yamada 2003).
"""
from __future__ import annotations


from .builder import Builder


def dimers_imported(b: Builder) -> None:
    """Active import of GAF, pSTAT1:pSTAT2 and ISGF3."""
    STAT1, STAT2, IRF9 = b.m("STAT1"), b.m("STAT2"), b.m("IRF9")
    k = b.p("kimp_dimer")
    b.rule("GAF_imported",
           STAT1(sh2=1, y701="p", loc="cyt") % STAT1(sh2=1, y701="p", loc="cyt")
           >> STAT1(sh2=1, y701="p", loc="nuc") % STAT1(sh2=1, y701="p", loc="nuc"), k)
    b.rule("pSTAT1_pSTAT2_imported",
           STAT1(sh2=1, loc="cyt") % STAT2(sh2=1, irf=None, loc="cyt")
           >> STAT1(sh2=1, loc="nuc") % STAT2(sh2=1, irf=None, loc="nuc"), k)
    b.rule("ISGF3_imported",
           STAT1(sh2=1, loc="cyt") % STAT2(sh2=1, irf=2, loc="cyt") % IRF9(stat=2, loc="cyt")
           >> STAT1(sh2=1, loc="nuc") % STAT2(sh2=1, irf=2, loc="nuc") % IRF9(stat=2, loc="nuc"), k)


def monomers_shuttle(b: Builder) -> None:
    """Slow import and export of free unphosphorylated STAT1, STAT2, IRF9."""
    kimp, kexp = b.p("kimp_STAT"), b.p("kexp_STAT")
    free = {"STAT1": dict(sh2=None, y701="u", pias=None),
            "STAT2": dict(sh2=None, y690="u", irf=None),
            "IRF9": dict(stat=None)}
    for name, cond in free.items():
        M = b.m(name)
        b.rule(f"{name}_shuttles", M(loc="cyt", **cond) | M(loc="nuc", **cond), kimp, kexp)


def stats_dephosphorylated(b: Builder) -> None:
    """PTPN2 in the nucleus and PTPN11 in the cytoplasm dephosphorylate pSTAT monomers."""
    STAT1, STAT2 = b.m("STAT1"), b.m("STAT2")
    PTPN2, PTPN11 = b.m("PTPN2"), b.m("PTPN11")
    b.initial(PTPN2(), b.p("PTPN2_0"))
    k2, k11 = b.p("kdp_PTPN2_pSTAT1"), b.p("kdp_PTPN11_pSTAT1")
    for S, site in ((STAT1, "y701"), (STAT2, "y690")):
        b.rule(f"PTPN2_dephosphorylates_{S.name}",
               PTPN2() + S(sh2=None, loc="nuc", **{site: "p"}) >> PTPN2() + S(sh2=None, loc="nuc", **{site: "u"}),
               k2)
        b.rule(f"PTPN11_dephosphorylates_{S.name}",
               PTPN11() + S(sh2=None, loc="cyt", **{site: "p"}) >> PTPN11() + S(sh2=None, loc="cyt", **{site: "u"}),
               k11)


def add(b: Builder) -> None:
    """All rules of this module."""
    dimers_imported(b)
    monomers_shuttle(b)
    stats_dephosphorylated(b)


