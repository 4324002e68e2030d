"""Observables and readouts: the model's interface to data.

The public readout ids (stable; used in Python, the CLI and the SBML):
``pSTAT1_total``, ``pSTAT1_nuc``, ``GAF_nuc``, ``ISGF3_nuc``, ``SOCS1_mRNA``,
``ISG_mRNA`` and the others listed in :data:`READOUTS`, all in molecules per
cell (``IFNb_medium_pM`` in pM).
"""
from __future__ import annotations

from pysb import ANY

from .builder import Builder

from ..interface import READOUTS  # noqa: E402  (the public ids live in a light module)


def add(b: Builder, with_socs1: bool = True, with_usp18: bool = True) -> None:
    """Create all readouts (and the activities transcription needs)."""
    m = b.m
    STAT1, STAT2 = m("STAT1"), m("STAT2")
    b.obs("pSTAT1_total", STAT1(y701="p"))
    b.obs("pSTAT1_nuc", STAT1(y701="p", loc="nuc"))
    b.obs("pSTAT1_cyt", STAT1(y701="p", loc="cyt"))
    b.obs("GAF_nuc", STAT1(sh2=1, y701="p", loc="nuc") % STAT1(sh2=1, y701="p"), match="species")
    b.obs("ISGF3_nuc", STAT1(sh2=1, loc="nuc") % STAT2(sh2=1, irf=ANY), match="species")
    b.obs("GAF_active", STAT1(sh2=1, y701="p", pias=None, loc="nuc") % STAT1(sh2=1, pias=None),
          match="species")
    b.obs("ISGF3_active", STAT1(sh2=1, pias=None, loc="nuc") % STAT2(sh2=1, irf=ANY), match="species")
    b.obs("pSTAT2_total", STAT2(y690="p"))
    b.obs("STAT1_total", STAT1())
    for gene in ("SOCS1", "USP18", "IRF1", "STAT1", "ISG"):
        b.obs(f"{gene}_mRNA", m(f"mRNA_{gene}")())
    if with_socs1:
        b.obs("SOCS1_total", m("SOCS1")())
    if with_usp18:
        b.obs("USP18_total", m("USP18")())
    b.obs("IRF1_total", m("IRF1")())
    b.obs("IRF9_total", m("IRF9")())
    b.obs("pJAK1_total", m("JAK1")(y1034="p"))
    b.obs("pJAK2_total", m("JAK2")(y1007="p"))
    b.obs("pTYK2_total", m("TYK2")(y1054="p"))
    IFNAR1 = m("IFNAR1")
    b.obs("IFNAR_complex_a", IFNAR1(lig=1) % m("IFNA2")(r1=1, r2=ANY), match="species")
    b.obs("IFNAR_complex_b", IFNAR1(lig=1) % m("IFNB1")(r1=1, r2=ANY), match="species")
    b.e("IFNAR_complex", b.model.observables["IFNAR_complex_a"] + b.model.observables["IFNAR_complex_b"])
    b.obs("IFNGR_complex", m("IFNGR1")(lig=1) % m("IFNG")(r1=1, r2=ANY), match="species")
    b.obs("IFNAR1_surface", IFNAR1(loc="pm"))
    b.obs("IFNB1_medium", m("IFNB1")(r1=None, r2=None))
    b.e("IFNb_medium_pM", b.model.observables["IFNB1_medium"]
        / (b.p("N_A") * b.p("V_medium") * b.p("M_per_pM")))

