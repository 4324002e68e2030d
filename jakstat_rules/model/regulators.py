"""Negative regulators: SOCS1, USP18, PIAS1 and a STAT1-targeting microRNA.

* SOCS1 binds the phosphorylated activation loop of JAK1 (KIR/SH2) and
  blocks its kinase activity (rules in :mod:`.kinases` and :mod:`.stats`
  require ``JAK1(socs=None)``); bound JAK1 is shielded from SHP-2.
* USP18 binds IFNAR2 outside the ternary complex and prevents IFNAR1
  recruitment, blocking type I but not type II signalling
  (Francois-Newton 2011; Kirby 2021 models it as a weaker IFNAR1 binding).
* PIAS1 binds STAT1 in nuclear phospho-dimers and blocks their DNA binding
  (the transcriptional activities in :mod:`.transcription` count PIAS1-free
  GAF and ISGF3 only).
* A lumped microRNA (miR-146a, Lu 2010) speeds STAT1 mRNA decay.
"""
from __future__ import annotations

from pysb import ComponentSet

from .builder import Builder
from .conversions import bimolecular
from .ligands import TYPE_I


def socs1_inhibits_jak1(b: Builder) -> ComponentSet:
    """SOCS1 binds phosphorylated JAK1 (blocks its kinase activity).

    Returns a ComponentSet: the SOCS1-JAK1 binding rule and its rates.
    """
    start = b.mark()
    SOCS1, JAK1 = b.monomers_named("SOCS1", "JAK1")
    b.rule("SOCS1_binds_pJAK1",
           SOCS1(jak=None) + JAK1(y1034="p", socs=None) | SOCS1(jak=1) % JAK1(y1034="p", socs=1),
           bimolecular(b, "kf_SOCS1_JAK1_cyt", "kf_SOCS1_JAK1", "V_cyt"), b.parameter("kr_SOCS1_JAK1"))
    return b.created_since(start)


def usp18_binds_ifnar2(b: Builder) -> ComponentSet:
    """USP18 binds free or ligand-bound IFNAR2 and blocks IFNAR1 recruitment.

    Returns a ComponentSet: the USP18-IFNAR2 binding rules and their rates.
    """
    start = b.mark()
    USP18, IFNAR2 = b.monomers_named("USP18", "IFNAR2")
    kf = bimolecular(b, "kf_USP18_IFNAR2_cyt", "kf_USP18_IFNAR2", "V_cyt")
    kr = b.parameter("kr_USP18_IFNAR2")
    b.rule("USP18_binds_free_IFNAR2",
           USP18(r2=None) + IFNAR2(lig=None, usp=None) | USP18(r2=1) % IFNAR2(lig=None, usp=1), kf, kr)
    for lig in TYPE_I:
        L = b.monomer_named(lig)
        b.rule(f"USP18_binds_{lig}IFNAR2",
               USP18(r2=None) + L(r1=None, r2=2) % IFNAR2(lig=2, usp=None)
               | USP18(r2=1) % L(r1=None, r2=2) % IFNAR2(lig=2, usp=1), kf, kr)
    return b.created_since(start)


def pias1_blocks_stat1_dimers(b: Builder) -> ComponentSet:
    """PIAS1 binds nuclear pSTAT1 dimers (GAF and pSTAT1:pSTAT2) and blocks their DNA binding.

    Returns a ComponentSet: the PIAS1 binding rules, its amount and rates.
    """
    start = b.mark()
    PIAS1, STAT1, STAT2 = b.monomers_named("PIAS1", "STAT1", "STAT2")
    b.initial(PIAS1(stat=None), b.parameter("PIAS1_0"))
    kf = bimolecular(b, "kf_PIAS1_STAT1_nuc", "kf_PIAS1_STAT1", "V_nuc")
    kr = b.parameter("kr_PIAS1_STAT1")
    b.rule("PIAS1_binds_GAF",
           PIAS1(stat=None) + STAT1(pias=None, sh2=1, y701="p", loc="nuc") % STAT1(sh2=1, pias=None)
           | PIAS1(stat=2) % STAT1(pias=2, sh2=1, y701="p", loc="nuc") % STAT1(sh2=1, pias=None), kf, kr)
    b.rule("PIAS1_binds_pSTAT1_pSTAT2",
           PIAS1(stat=None) + STAT1(pias=None, sh2=1, y701="p", loc="nuc") % STAT2(sh2=1)
           | PIAS1(stat=2) % STAT1(pias=2, sh2=1, y701="p", loc="nuc") % STAT2(sh2=1), kf, kr)
    return b.created_since(start)


def mirna_degrades_stat1_mrna(b: Builder) -> ComponentSet:
    """A lumped microRNA (miR-146a) degrades STAT1 mRNA.

    Returns a ComponentSet: the degradation rule, the microRNA amount and rate parameters.
    """
    start = b.mark()
    miRNA, mSTAT1 = b.monomers_named("miRNA", "mRNA_STAT1")
    b.initial(miRNA(), b.parameter("miRNA_0"))
    b.rule("miRNA_degrades_STAT1_mRNA", miRNA() + mSTAT1() >> miRNA(), b.parameter("k_miRNA_STAT1_mRNA"))
    return b.created_since(start)
