"""Observables and readouts: the model's interface to data.

The public readout ids (stable; used in Python, the CLI and the SBML):
``pSTAT1_total``, ``pSTAT1_nuc``, ``GAF_nuc``, ``ISGF3_nuc``, ``SOCS1_mRNA``,
``ISG_mRNA``, the IL-6 arm's ``pSTAT3_total``, ``SOCS3_mRNA``, ``pgp130_total`` and the others listed in
:data:`jakstat_rules.interface.READOUTS`, all in molecules per
cell (``IFNb_medium_pM`` in pM).
"""
from __future__ import annotations

from pysb import ANY, WILD, ComponentSet

from .builder import Builder


def add(b: Builder, with_socs1: bool = True, with_usp18: bool = True, with_il6: bool = True,
        with_socs3: bool = True) -> ComponentSet:
    """Create all readouts (and the activities transcription needs).

    Returns a ComponentSet: the observables and readout expressions it creates.
    """
    start = b.mark()
    monomer = b.monomer_named
    STAT1, STAT2 = monomer("STAT1"), monomer("STAT2")
    b.observable("pSTAT1_total", STAT1(y701="p"))
    b.observable("pSTAT1_nuc", STAT1(y701="p", loc="nuc"))
    b.observable("pSTAT1_cyt", STAT1(y701="p", loc="cyt"))
    b.observable("GAF_nuc", STAT1(sh2=1, y701="p", loc="nuc") % STAT1(sh2=1, y701="p"), match="species")
    b.observable("ISGF3_nuc", STAT1(sh2=1, loc="nuc") % STAT2(sh2=1, irf=ANY), match="species")
    b.observable("GAF_active", STAT1(sh2=1, y701="p", pias=None, loc="nuc") % STAT1(sh2=1, pias=None),
                 match="species")
    b.observable("ISGF3_active", STAT1(sh2=1, pias=None, loc="nuc") % STAT2(sh2=1, irf=ANY),
                 match="species")
    b.observable("pSTAT2_total", STAT2(y690="p"))
    b.observable("STAT1_total", STAT1())
    for gene in ("SOCS1", "USP18", "IRF1", "STAT1", "ISG"):
        b.observable(f"{gene}_mRNA", monomer(f"mRNA_{gene}")())
    if with_socs1:
        b.observable("SOCS1_total", monomer("SOCS1")())
    if with_usp18:
        b.observable("USP18_total", monomer("USP18")())
    b.observable("IRF1_total", monomer("IRF1")())
    b.observable("IRF9_total", monomer("IRF9")())
    b.observable("pJAK1_total", monomer("JAK1")(y1034="p"))
    b.observable("pJAK2_total", monomer("JAK2")(y1007="p"))
    b.observable("pTYK2_total", monomer("TYK2")(y1054="p"))
    IFNAR1 = monomer("IFNAR1")
    b.observable("IFNAR_complex_a", IFNAR1(lig=1) % monomer("IFNA2")(r1=1, r2=ANY), match="species")
    b.observable("IFNAR_complex_b", IFNAR1(lig=1) % monomer("IFNB1")(r1=1, r2=ANY), match="species")
    b.expression("IFNAR_complex",
                 b.model.observables["IFNAR_complex_a"] + b.model.observables["IFNAR_complex_b"])
    b.observable("IFNGR_complex", monomer("IFNGR1")(lig=1) % monomer("IFNG")(r1=1, r2=ANY),
                 match="species")
    b.observable("IFNAR1_surface", IFNAR1(loc="pm"))
    b.observable("IFNB1_medium", monomer("IFNB1")(r1=None, r2=None))
    b.expression("IFNb_medium_pM", b.model.observables["IFNB1_medium"]
                 / (b.parameter("N_A") * b.parameter("V_medium") * b.parameter("M_per_pM")))
    if with_il6:
        il6_arm_readouts(b, with_socs3=with_socs3)
    return b.created_since(start)


def il6_arm_readouts(b: Builder, with_socs3: bool = True) -> ComponentSet:
    """Readouts of the IL-6 arm, and the PIAS3-free nuclear STAT3 dimers the SOCS3 promoter counts.

    Returns a ComponentSet: the observables it creates.
    """
    start = b.mark()
    STAT1, STAT3, IL6ST = b.monomers_named("STAT1", "STAT3", "IL6ST")
    b.observable("pSTAT3_total", STAT3(y705="p"))
    b.observable("pSTAT3_nuc", STAT3(y705="p", loc="nuc"))
    b.observable("STAT3_dimer_nuc", STAT3(sh2=1, y705="p", loc="nuc") % STAT3(sh2=1, y705="p"),
                 match="species")
    b.observable("STAT1_STAT3_nuc", STAT1(sh2=1, loc="nuc") % STAT3(sh2=1), match="species")
    b.observable("STAT3_dimer_active", STAT3(sh2=1, y705="p", pias=None, loc="nuc") % STAT3(sh2=1, pias=None),
                 match="species")
    b.observable("STAT1_STAT3_active", STAT1(sh2=1, loc="nuc") % STAT3(sh2=1, pias=None), match="species")
    b.observable("pgp130_total", IL6ST(y767=("p", WILD)))
    b.observable("SOCS3_mRNA", b.monomer_named("mRNA_SOCS3")())
    if with_socs3:
        b.observable("SOCS3_total", b.monomer_named("SOCS3")())
    return b.created_since(start)

