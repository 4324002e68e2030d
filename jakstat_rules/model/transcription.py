"""ISRE / GAS-driven genes, translation and decay.

Nuclear ISGF3 (on ISRE) and GAF (on GAS), each free of PIAS1, set promoter
activities with Hill functions; IRF1 protein adds IRF-E activity on the
STAT1 promoter, closing the positive loops (STAT1, IRF9, IRF1).  Genes:

=========  ========================  =============================
gene       driven by                 protein's role in the model
=========  ========================  =============================
SOCS1      GAS (+ weak ISRE)         binds pJAK1, blocks kinase
USP18      ISRE                      binds IFNAR2, blocks type I
IRF1       GAS                       drives STAT1 (IRF-E)
IRF9       ISRE                      ISGF3 subunit
STAT1      GAS + ISRE + IRF1         more STAT1
ISG        ISRE                      reporter (radioresistance genes)
=========  ========================  =============================

Basal transcription equals decay of the resting mRNA amount, and STAT1 and
IRF9 translation equals decay of their resting protein amounts, so the model
rests at steady state with every input 0.
"""
from __future__ import annotations

from pysb import ComponentSet, Expression

from .builder import Builder


def _hill(b: Builder, name: str, activity) -> Expression:
    """Expression ``name`` = activity^n / (1 + activity^n) with ``n_hill``."""
    n = b.parameter("n_hill")
    return b.expression(name, activity ** n / (1 + activity ** n))


def promoter_activities(b: Builder) -> dict[str, Expression]:
    """Hill activities of ISRE, GAS and IRF-E promoters (dimensionless).

    Returns
    -------
    dict
        Promoter (``ISRE``, ``GAS``, ``IRFE``) -> the activity expression it creates.
    """
    obs = b.model.observables
    gaf, isgf3 = obs["GAF_active"], obs["ISGF3_active"]
    h_isre = _hill(b, "ISRE_activity", (isgf3 + b.parameter("w_GAS_on_ISRE") * gaf) / b.parameter("K_ISRE"))
    h_gas = _hill(b, "GAS_activity", (gaf + b.parameter("w_ISRE_on_GAS") * isgf3) / b.parameter("K_GAS"))
    h_irf = _hill(b, "IRFE_activity", obs["IRF1_total"] / b.parameter("K_IRF1"))
    return {"ISRE": h_isre, "GAS": h_gas, "IRFE": h_irf}


def genes_transcribed(b: Builder, with_socs1: bool = True, with_usp18: bool = True) -> ComponentSet:
    """Transcription, mRNA decay, translation and protein decay of the ISGs.

    Returns a ComponentSet: the promoter activities, transcription, translation and decay rules
    and their rates.
    """
    start = b.mark()
    act = promoter_activities(b)
    drive = {
        "SOCS1": act["GAS"],
        "USP18": act["ISRE"],
        "IRF1": act["GAS"],
        "IRF9": act["ISRE"],
        "STAT1": (act["GAS"] + act["ISRE"] + act["IRFE"]) / 3,
        "ISG": act["ISRE"],
    }
    for gene, activity in drive.items():
        mrna = b.monomer_named(f"mRNA_{gene}")
        m0 = b.parameter(f"{gene}_mRNA_0")
        kdeg = b.parameter(f"kdeg_{gene}_mRNA")
        basal_decay = kdeg
        if gene == "STAT1":
            basal_decay = kdeg + b.parameter("k_miRNA_STAT1_mRNA") * b.parameter("miRNA_0")
        b.initial(mrna(), m0)
        ksyn = b.expression(f"ksyn_{gene}_mRNA",
                            basal_decay * m0 + b.parameter(f"vmax_{gene}_mRNA") * activity)
        b.rule(f"{gene}_transcribed", None >> mrna(), ksyn)
        b.rule(f"{gene}_mRNA_decays", mrna() >> None, kdeg)

    # proteins with a resting amount set by the literature: translation derived
    STAT1, IRF9 = b.monomers_named("STAT1", "IRF9")
    for gene, prot, kdeg_name in [("STAT1", STAT1(sh2=None, y701="u", pias=None, loc="cyt"), "kdeg_STAT1"),
                                  ("IRF9", IRF9(stat=None, loc="cyt"), "kdeg_IRF9")]:
        kdeg = b.parameter(kdeg_name)
        ktl = b.expression(f"ktl_{gene}",
                           kdeg * b.component(f"{gene}_cyt_0") / b.parameter(f"{gene}_mRNA_0"),
                           "1/min", f"steady state at rest: {kdeg_name} * {gene}_cyt_0 / {gene}_mRNA_0")
        mrna = b.monomer_named(f"mRNA_{gene}")
        b.rule(f"{gene}_translated", mrna() >> mrna() + prot, ktl)
        b.rule(f"{gene}_decays", prot >> None, kdeg)

    # feedback proteins: translation rate from the literature, resting amount derived
    feedback = [("IRF1", {})]
    if with_socs1:
        feedback.append(("SOCS1", {"jak": None}))
    if with_usp18:
        feedback.append(("USP18", {"r2": None}))
    for gene, free in feedback:
        P, mrna = b.monomer_named(gene), b.monomer_named(f"mRNA_{gene}")
        ktl, kdeg = b.parameter(f"ktl_{gene}"), b.parameter(f"kdeg_{gene}")
        b.initial(P(**free),
                  b.expression(f"{gene}_0", ktl * b.parameter(f"{gene}_mRNA_0") / kdeg, "molecule",
                               f"steady state at rest: ktl_{gene} * {gene}_mRNA_0 / kdeg_{gene}"))
        b.rule(f"{gene}_translated", mrna() >> mrna() + P(**free), ktl)
        b.rule(f"{gene}_decays", P() >> None, kdeg, delete_molecules=True)
    return b.created_since(start)


