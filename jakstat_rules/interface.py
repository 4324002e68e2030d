"""The model's public interface: input, readout and variant ids, without PySB.

These ids are the contract between the model, its SBML, the simulator, the
command line and data: they are stable.  This module imports nothing heavy,
so ``jakstat --help`` and argument checks do not load the modelling stack.
"""
from __future__ import annotations

#: Input parameters (all 0 by default) and their units.
INPUTS: dict[str, str] = {
    "IFNa_pM": "pM", "IFNb_pM": "pM", "IFNg_pM": "pM",
    "ruxolitinib_nM": "nM", "tofacitinib_nM": "nM", "IR_Gy": "Gy", "IL6_pM": "pM",
}

#: Inputs given as a dose at a time (added to what is there), not as a level held from then on:
#: in a schedule every ``IR_Gy`` change is one radiation fraction.
PULSE_INPUTS = frozenset({"IR_Gy"})

#: Oral doses of a schedule (mg of free base), turned into free plasma concentrations of the
#: drug's ``<drug>_nM`` input by :mod:`jakstat_rules.pk`.
ORAL_DOSES: dict[str, str] = {"ruxolitinib_oral_mg": "mg", "tofacitinib_oral_mg": "mg"}

#: Public readouts and what they mean.
READOUTS: dict[str, str] = {
    "pSTAT1_total": "all Y701-phosphorylated STAT1, in any complex or place",
    "pSTAT1_nuc": "Y701-phosphorylated STAT1 in the nucleus",
    "pSTAT1_cyt": "Y701-phosphorylated STAT1 in the cytoplasm",
    "GAF_nuc": "nuclear pSTAT1 homodimers (gamma-activated factor), PIAS1-bound or not",
    "ISGF3_nuc": "nuclear ISGF3 (pSTAT1:pSTAT2:IRF9), PIAS1-bound or not",
    "pSTAT2_total": "all Y690-phosphorylated STAT2",
    "STAT1_total": "all STAT1 protein",
    "SOCS1_mRNA": "SOCS1 mRNA",
    "USP18_mRNA": "USP18 mRNA",
    "IRF1_mRNA": "IRF1 mRNA",
    "STAT1_mRNA": "STAT1 mRNA",
    "ISG_mRNA": "lumped radioresistance signature mRNA (MX1, OAS1, IFIT1, IFI6, IFI27, IFI44, IFITM1)",
    "SOCS1_total": "SOCS1 protein",
    "USP18_total": "USP18 protein",
    "IRF1_total": "IRF1 protein",
    "IRF9_total": "IRF9 protein",
    "pJAK1_total": "activation-loop phosphorylated JAK1",
    "pJAK2_total": "activation-loop phosphorylated JAK2",
    "pTYK2_total": "activation-loop phosphorylated TYK2",
    "IFNAR_complex": "ligand-bridged IFNAR1:IFNAR2 complexes",
    "IFNGR_complex": "ligand-bridged IFNGR1:IFNGR2 complexes",
    "IFNAR1_surface": "IFNAR1 at the plasma membrane",
    "IFNb_medium_pM": "free IFN-beta in the medium (pM), exogenous plus secreted",
    "pSTAT3_total": "all Y705-phosphorylated STAT3, in any complex or place",
    "pSTAT3_nuc": "Y705-phosphorylated STAT3 in the nucleus",
    "STAT3_dimer_nuc": "nuclear pSTAT3 homodimers, PIAS3-bound or not",
    "STAT1_STAT3_nuc": "nuclear pSTAT1:pSTAT3 heterodimers, PIAS3-bound or not",
    "SOCS3_mRNA": "SOCS3 mRNA",
    "SOCS3_total": "SOCS3 protein",
    "pgp130_total": "gp130 phosphorylated on its STAT-docking tyrosines",
}

#: Short readable names of the readouts, for axis labels and legends.
READOUT_NAMES: dict[str, str] = {
    "pSTAT1_total": "pY701-STAT1",
    "pSTAT1_nuc": "nuclear pY701-STAT1",
    "pSTAT1_cyt": "cytoplasmic pY701-STAT1",
    "GAF_nuc": "nuclear GAF",
    "ISGF3_nuc": "nuclear ISGF3",
    "pSTAT2_total": "pY690-STAT2",
    "STAT1_total": "STAT1",
    "SOCS1_mRNA": "SOCS1 mRNA",
    "USP18_mRNA": "USP18 mRNA",
    "IRF1_mRNA": "IRF1 mRNA",
    "STAT1_mRNA": "STAT1 mRNA",
    "ISG_mRNA": "ISG signature mRNA",
    "SOCS1_total": "SOCS1",
    "USP18_total": "USP18",
    "IRF1_total": "IRF1",
    "IRF9_total": "IRF9",
    "pJAK1_total": "active JAK1",
    "pJAK2_total": "active JAK2",
    "pTYK2_total": "active TYK2",
    "IFNAR_complex": "IFNAR1:IFNAR2 complexes",
    "IFNGR_complex": "IFNGR1:IFNGR2 complexes",
    "IFNAR1_surface": "surface IFNAR1",
    "IFNb_medium_pM": "IFN-β in the medium",
    "pSTAT3_total": "pY705-STAT3",
    "pSTAT3_nuc": "nuclear pY705-STAT3",
    "STAT3_dimer_nuc": "nuclear STAT3 dimers",
    "STAT1_STAT3_nuc": "nuclear STAT1:STAT3",
    "SOCS3_mRNA": "SOCS3 mRNA",
    "SOCS3_total": "SOCS3",
    "pgp130_total": "pY-gp130",
}

#: Readouts returned by default by the simulator and shown in reports.
DEFAULT_READOUTS = ("pSTAT1_total", "pSTAT1_nuc", "GAF_nuc", "ISGF3_nuc", "SOCS1_mRNA", "ISG_mRNA")

#: Model variants and the switches they set (see :func:`jakstat_rules.model.build_model`).
VARIANTS: dict[str, dict[str, bool]] = {
    "default": {},
    "jak2_v617f": {"jak2_v617f": True},
    "socs1_loss": {"socs1": False},
    "usp18_loss": {"usp18": False},
    "socs3_loss": {"socs3": False},
    "stat1_loss": {"stat1": False},
    "stat3_loss": {"stat3": False},
    "jak2_g935r": {"jak2_g935r": True},
    "il6_autocrine": {"il6_autocrine": True},
}

#: Variants whose initial amounts are not the resting state (pre-equilibrate before a condition).
NEEDS_PREEQUILIBRATION = frozenset({"jak2_v617f"})

#: Inputs that each open a receptor arm of their own (IFN-γ: IFNGR1/IFNGR2; IL-6: IL-6Rα and
#: gp130): the model simulator leaves out the complexes of an arm no input of a run doses
#: (:meth:`jakstat_rules.simulate.Simulator.pruned`).  IFN-α and IFN-β share IFNAR, and
#: radiation acts through IFN-β.
SEPARATE_ARMS = frozenset({"IFNg_pM", "IL6_pM"})


def model_id(variant: str = "default") -> str:
    """SBML model id (and file stem) of a variant: ``jakstat_ifn`` or ``jakstat_ifn_<variant>``."""
    return "jakstat_ifn" if variant == "default" else f"jakstat_ifn_{variant}"


__all__ = ["INPUTS", "PULSE_INPUTS", "ORAL_DOSES", "READOUTS", "READOUT_NAMES", "DEFAULT_READOUTS", "VARIANTS", "NEEDS_PREEQUILIBRATION", "SEPARATE_ARMS", "model_id"]
