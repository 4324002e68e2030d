"""The autocrine IL-6 loop: STAT3 drives IL6 transcription, the cell secretes IL-6 into the medium.

In many STAT3-driven tumours IL-6 is both a STAT3 target gene and STAT3's
activating cytokine, a feed-forward loop that keeps STAT3 active
(Grivennikov & Karin 2008; Chang 2013) and that tumour cells switch on to
escape kinase inhibitors (Gao 2007; Lee 2014).  The model's loop (variant
``il6_autocrine``; off in every other model):

* the SOCS3 promoter's STAT element activity (``SIE_activity`` of
  :mod:`.socs3`: PIAS3-free nuclear STAT3 homodimers and, with half the
  weight, STAT1:STAT3 heterodimers) drives IL6 transcription; there is no
  basal transcription, so a resting cell makes no IL-6 and the resting state
  is that of the model without the loop;
* IL6 mRNA is unstable (AU-rich elements, Regnase-1; Matsushita 2009);
* each IL6 mRNA secretes IL-6 into the medium's free IL-6 pool, the pool
  the ``IL6_pM`` dose fills and gp130 signalling draws on.

The secretion rate is set by the concentration it produces, not by a per-cell
count: the model's medium holds ``V_medium`` = 10 uL per cell (Kirby 2021's
sparse culture), while the conditioned-media measurements of autocrine
tumour cells come from dense cultures.  ``IL6_secretion_pM_per_min`` is the
rise of the medium's IL-6 at full promoter activity, and the secretion per
mRNA follows from it, ``ksec_IL6 = IL6_secretion_pM_per_min * M_per_pM * N_A
* V_medium * kdeg_IL6_mRNA / vmax_IL6_mRNA`` (``vmax/kdeg`` mRNAs at full
activity).  At a culture density of 1e6 cells/mL (1 nL per cell) the same
concentration rise needs about 0.5 IL-6 per mRNA per minute, a typical
translation rate.
"""
from __future__ import annotations

from pysb import ComponentSet

from .builder import Builder


def stat3_transcribes_il6(b: Builder) -> ComponentSet:
    """Nuclear STAT3 dimers (the SOCS3 promoter's activity) drive IL6 transcription; the mRNA decays.

    Needs ``SIE_activity`` (:func:`.socs3.stat3_transcribes_socs3`).

    Returns a ComponentSet: the transcription and decay rules and their rates.
    """
    start = b.mark()
    mrna = b.monomer_named("mRNA_IL6")
    b.rule("IL6_transcribed_by_STAT3", None >> mrna(),
           b.expression("ksyn_IL6_mRNA", b.parameter("vmax_IL6_mRNA") * b.component("SIE_activity")))
    b.rule("IL6_mRNA_decays", mrna() >> None, b.parameter("kdeg_IL6_mRNA"))
    return b.created_since(start)


def il6_secreted(b: Builder) -> ComponentSet:
    """Each IL6 mRNA secretes IL-6 into the medium's free IL-6 pool.

    Returns a ComponentSet: the secretion rule and its rate expression.
    """
    start = b.mark()
    mrna, IL6 = b.monomers_named("mRNA_IL6", "IL6")
    ksec = b.expression(
        "ksec_IL6",
        b.parameter("IL6_secretion_pM_per_min") * b.parameter("M_per_pM") * b.parameter("N_A")
        * b.parameter("V_medium") * b.parameter("kdeg_IL6_mRNA") / b.parameter("vmax_IL6_mRNA"),
        "1/min", "IL6_secretion_pM_per_min * M_per_pM * N_A * V_medium / (vmax_IL6_mRNA / kdeg_IL6_mRNA)",
        "IL-6 secreted per IL6 mRNA per minute")
    b.rule("IL6_secreted", mrna() >> mrna() + IL6(r1=None, r2=None), ksec)
    return b.created_since(start)


def add(b: Builder) -> ComponentSet:
    """All rules of this module.

    Returns a ComponentSet: every component the module's motifs create.
    """
    start = b.mark()
    stat3_transcribes_il6(b)
    il6_secreted(b)
    return b.created_since(start)


__all__ = ["add", "stat3_transcribes_il6", "il6_secreted"]
