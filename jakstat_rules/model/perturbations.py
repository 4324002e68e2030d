"""Perturbations: JAK inhibitors, drug-resistance mutations, ionising radiation, JAK2 V617F.

JAK inhibitors
    Ruxolitinib and tofacitinib are ATP-competitive; their binding to a JAK
    is fast compared with signalling, so occupancy is at equilibrium with the
    drug in the medium.  The fraction of each kinase free of both drugs is

        f_K = 1 / (1 + rux/Kapp_rux_K + tofa/Kapp_tofa_K),

    with ``Kapp = IC50/2 * (1 + [ATP]/Km)``: enzymatic IC50s measured at
    Km ATP (Quintas-Cardama 2010; Meyer 2010) give Ki = IC50/2
    (Cheng-Prusoff), shifted by cellular ATP.  Every kinase-catalysed rate
    is multiplied by the free fraction of the catalysing kinase.  Drugs are
    therefore inputs (parameters, annotated with ChEBI in the SBML), not
    species, which keeps the network free of drug-bound copies of every
    receptor complex.

Drug-resistance mutations
    A kinase-domain mutation that lowers a drug's affinity multiplies that
    drug's ``Kapp`` for the mutant kinase by the mutation's fold change of
    the IC50 (:data:`RESISTANCE_MUTATIONS`); the other kinases' occupancy is
    unchanged.  JAK2 G935R, in the glycine-rich loop of the ATP site, makes
    JAK2 resistant to ruxolitinib and other type I JAK inhibitors (Weigert
    2012): variant ``jak2_g935r`` raises JAK2's ruxolitinib ``Kapp`` 10-fold,
    the low end of the 9- to 33-fold EC50 rises that kinase-domain mutations
    gave Ba/F3 JAK2 V617F cells in a ruxolitinib resistance screen (Deshpande
    2012), and leaves JAK1's and TYK2's as they are.

Ionising radiation
    A dose ``IR_Gy`` given at t = 0 makes ~35 DNA double-strand breaks per Gy
    (Rothkamm 2003).  Unrepaired breaks give micronuclei after mitosis, whose
    DNA activates cGAS and, through cGAMP, STING, which drives IFNB1
    transcription; IFN-beta is secreted into the medium and acts in an
    autocrine loop (Harding 2017; Burnette 2011; Liu 2020).  The chain of
    steps gives a delay of hours.

JAK2 V617F
    The pseudokinase-domain mutation makes JAK2 active without ligand
    (James 2005): JAK2 auto-phosphorylates and phosphorylates cytoplasmic
    STAT1 from unliganded IFNGR2.
"""
from __future__ import annotations

from pysb import ComponentSet, Expression

from .builder import Builder

DRUGS = ("ruxolitinib", "tofacitinib")
KINASES = ("JAK1", "JAK2", "TYK2")

#: Drug-resistance mutations: model switch -> (drug, mutant kinase, parameter of the IC50 fold change).
RESISTANCE_MUTATIONS: dict[str, tuple[str, str, str]] = {
    "jak2_g935r": ("ruxolitinib", "JAK2", "fold_IC50_ruxolitinib_JAK2_G935R"),
}


def kinase_free_fraction(b: Builder, kinase: str, mutations: tuple[str, ...] = ()) -> Expression:
    """Expression ``f_<kinase>``: fraction of the kinase not occupied by a drug.

    Parameters
    ----------
    kinase
        ``JAK1``, ``JAK2`` or ``TYK2``.
    mutations
        Switches of :data:`RESISTANCE_MUTATIONS` present in the model: the drug's
        ``Kapp`` for the mutant kinase is multiplied by the mutation's IC50 fold
        change.  The expression is created on the first call (``build_model`` makes
        that call with the model's mutations); later calls return it.
    """
    name = f"f_{kinase}_free"
    existing = b.find(name)
    if existing is not None:
        return existing
    folds = {(drug, target): fold for switch, (drug, target, fold) in RESISTANCE_MUTATIONS.items()
             if switch in mutations}
    occupancy = 0
    for drug in DRUGS:
        kapp = b.parameter(f"IC50_{drug}_{kinase}") / 2 * (1 + b.parameter("ATP_cell_over_Km"))
        source = f"Cheng-Prusoff: IC50_{drug}_{kinase} / 2 * (1 + ATP_cell_over_Km)"
        if (drug, kinase) in folds:
            kapp = kapp * b.parameter(folds[drug, kinase])
            source += f" * {folds[drug, kinase]} (resistance mutation)"
        kapp = b.expression(f"Kapp_{drug}_{kinase}", kapp, "nM", source)
        occupancy = occupancy + b.parameter(f"{drug}_nM") / kapp
    return b.expression(name, 1 / (1 + occupancy))


def radiation_induces_ifnb(b: Builder) -> ComponentSet:
    """IR -> DSB -> micronuclei -> cGAS -> STING -> IFNB1 mRNA -> secreted IFN-beta.

    Returns a ComponentSet: the radiation rules, the break dose expression and the rate and
    amount parameters.
    """
    start = b.mark()
    DSB, MN, CGAS, STING1 = b.monomers_named("DSB", "MN", "CGAS", "STING1")
    mIFNB1, IFNB1 = b.monomers_named("mRNA_IFNB1", "IFNB1")
    b.initial(DSB(), b.expression("DSB_0", b.parameter("IR_Gy") * b.parameter("DSB_per_Gy"), "molecule",
                                  "IR_Gy times DSB_per_Gy"))
    b.initial(CGAS(act="i"), b.parameter("CGAS_0"))
    b.initial(STING1(act="i"), b.parameter("STING1_0"))
    b.rule("DSB_repaired", DSB() >> None, b.parameter("krep_DSB"))
    b.rule("DSB_forms_micronucleus", DSB() >> MN(), b.parameter("kMN_DSB"))
    b.rule("micronucleus_cleared", MN() >> None, b.parameter("kdeg_MN"))
    b.rule("micronucleus_activates_CGAS", MN() + CGAS(act="i") >> MN() + CGAS(act="a"),
           b.parameter("kact_CGAS_MN"))
    b.rule("CGAS_inactivates", CGAS(act="a") >> CGAS(act="i"), b.parameter("kinact_CGAS"))
    b.rule("CGAS_activates_STING1", CGAS(act="a") + STING1(act="i") >> CGAS(act="a") + STING1(act="a"),
           b.parameter("kact_STING1"))
    b.rule("STING1_inactivates", STING1(act="a") >> STING1(act="i"), b.parameter("kinact_STING1"))
    b.rule("STING1_drives_IFNB1", STING1(act="a") >> STING1(act="a") + mIFNB1(),
           b.parameter("vmax_IFNB1_mRNA"))
    b.rule("IFNB1_mRNA_decays", mIFNB1() >> None, b.parameter("kdeg_IFNB1_mRNA"))
    b.rule("IFNB1_secreted", mIFNB1() >> mIFNB1() + IFNB1(r1=None, r2=None), b.parameter("ksec_IFNB1"))
    return b.created_since(start)


def jak2_v617f(b: Builder) -> ComponentSet:
    """Ligand-independent JAK2 activity of the V617F mutant.

    Returns a ComponentSet: the mutant's rules and their rate parameters and expressions.
    """
    start = b.mark()
    JAK2, IFNGR2, STAT1 = b.monomers_named("JAK2", "IFNGR2", "STAT1")
    b.rule("JAK2V617F_autoactivates", JAK2(y1007="u") >> JAK2(y1007="p"),
           b.expression("kauto_JAK2V617F", b.parameter("V617F_activity") * kinase_free_fraction(b, "JAK2")))
    b.rule("JAK2V617F_phosphorylates_STAT1",
           JAK2(y1007="p", box1=1) % IFNGR2(box1=1, lig=None)
           + STAT1(sh2=None, y701="u", loc="cyt")
           >> JAK2(y1007="p", box1=1) % IFNGR2(box1=1, lig=None) + STAT1(sh2=None, y701="p", loc="cyt"),
           b.expression("kcat_V617F_STAT1_eff",
                        b.parameter("kcat_JAK2V617F_STAT1") * kinase_free_fraction(b, "JAK2")))
    return b.created_since(start)
