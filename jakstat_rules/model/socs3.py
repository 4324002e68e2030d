"""SOCS3: transcription by STAT3, translation, decay, and inhibition of gp130-bound JAK1.

Nuclear STAT3 homodimers and (with half the weight) STAT1:STAT3
heterodimers, each free of PIAS3, drive the SOCS3 promoter through its STAT
element with a Hill activity, as GAF drives the GAS genes in
:mod:`.transcription`.  SOCS3 binds gp130 phospho-Y759 (the SHP-2 site,
Nicholson 2000) and blocks the JAK1 of that gp130: the kinase rules in
:mod:`.gp130` and :mod:`.stat3` require ``IL6ST(socs=None)``.  SOCS3 does not
bind the interferon receptors, which is why its loss turns the IL-6 response
into a prolonged, interferon-like STAT1 response (Croker 2003; Lang 2003).
Basal transcription equals decay of the resting mRNA, and the resting
protein amount follows from translation and decay, so the model rests at
steady state.
"""
from __future__ import annotations

from pysb import ComponentSet

from .builder import Builder
from .conversions import bimolecular
from .transcription import _hill


def stat3_transcribes_socs3(b: Builder, with_socs3: bool = True) -> ComponentSet:
    """SOCS3 mRNA driven by nuclear STAT3 dimers; SOCS3 protein translated and degraded.

    Parameters
    ----------
    with_socs3
        Translate the protein (False in ``socs3_loss``: the transcript is still made).

    Returns a ComponentSet: the promoter activity, transcription, translation and decay rules
    and their rates.
    """
    start = b.mark()
    obs = b.model.observables
    activity = _hill(b, "SIE_activity", (obs["STAT3_dimer_active"]
                                         + b.parameter("w_STAT1_STAT3_on_SIE") * obs["STAT1_STAT3_active"])
                     / b.parameter("K_SIE"))
    mrna = b.monomer_named("mRNA_SOCS3")
    m0, kdeg = b.parameter("SOCS3_mRNA_0"), b.parameter("kdeg_SOCS3_mRNA")
    b.initial(mrna(), m0)
    b.rule("SOCS3_transcribed", None >> mrna(),
           b.expression("ksyn_SOCS3_mRNA", kdeg * m0 + b.parameter("vmax_SOCS3_mRNA") * activity))
    b.rule("SOCS3_mRNA_decays", mrna() >> None, kdeg)
    if with_socs3:
        SOCS3 = b.monomer_named("SOCS3")
        ktl, kdeg_p = b.parameter("ktl_SOCS3"), b.parameter("kdeg_SOCS3")
        b.initial(SOCS3(gp=None), b.expression("SOCS3_0", ktl * m0 / kdeg_p, "molecule",
                                                "steady state at rest: ktl_SOCS3 * SOCS3_mRNA_0 / kdeg_SOCS3"))
        b.rule("SOCS3_translated", mrna() >> mrna() + SOCS3(gp=None), ktl)
        b.rule("SOCS3_decays", SOCS3() >> None, kdeg_p, delete_molecules=True)
    return b.created_since(start)


def socs3_binds_gp130(b: Builder) -> ComponentSet:
    """SOCS3 binds gp130 phospho-Y759 and so blocks the JAK1 on that gp130.

    Returns a ComponentSet: the binding rule and its rates.
    """
    start = b.mark()
    SOCS3, IL6ST = b.monomers_named("SOCS3", "IL6ST")
    b.rule("SOCS3_binds_IL6ST_pY759",
           SOCS3(gp=None) + IL6ST(y759="p", socs=None) | SOCS3(gp=1) % IL6ST(y759="p", socs=1),
           bimolecular(b, "kf_SOCS3_IL6ST_cyt", "kf_SOCS3_IL6ST", "V_cyt"), b.parameter("kr_SOCS3_IL6ST"))
    return b.created_since(start)


def add(b: Builder, with_socs3: bool = True) -> ComponentSet:
    """All rules of this module.

    Returns a ComponentSet: every component the module's motifs create.
    """
    start = b.mark()
    stat3_transcribes_socs3(b, with_socs3=with_socs3)
    if with_socs3:
        socs3_binds_gp130(b)
    return b.created_since(start)
