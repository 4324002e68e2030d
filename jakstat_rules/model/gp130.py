"""IL-6 binding, gp130 signalling complex, JAK1 on gp130, internalisation.

IL-6 from the medium binds IL-6R alpha (IL6R, low affinity, Kd ~ 1 nM) and
the IL-6:IL-6R alpha complex then recruits gp130 (IL6ST, carrying JAK1) in
the membrane, which makes the high-affinity (tens of pM) site (Taga 1989).
The signalling complex is a 2:2:2 hexamer (Heinrich 2003); the model uses
the reduced form of Singh et al. 2006 and Sobotta et al. 2017, one IL-6 with
one IL-6R alpha and one gp130 standing for half of it, as one IFNG unit
stands for half of the IFN-gamma receptor complex.  The reason: the two
halves are identical, so the half complex carries every state of the whole
while the network does not square the number of gp130 states.  The JAK1 of
the other half is therefore lumped into the trans-activation rate
(``kact_JAK`` times the drug-free fraction of JAK1).  Minor JAK2/TYK2 on
gp130 are left out.

Active, SOCS3-free JAK1 phosphorylates gp130 Y759 (docks SHP-2 and SOCS3)
and the distal STAT-docking tyrosines (lumped as Y767; Gerhartz 1996).
SHP-2 (PTPN11, the interferon arm's molecule) dephosphorylates the gp130
tyrosines and, recruited to pY759, the JAK1 of that gp130 (Heinrich 2003);
the interferon arm's rules for SHP-2 and SOCS1 act on gp130-bound JAK1 too,
so cross-talk through them is emergent.  Ligand-bridged complexes are
internalised, IL-6 is degraded, and the chains recycle (Heinrich 2003).
"""
from __future__ import annotations

from pysb import ComponentSet

from .builder import Builder
from .conversions import bimolecular, per_minute, pM_to_molecules
from .perturbations import kinase_free_fraction


def il6_in_medium(b: Builder) -> ComponentSet:
    """The IL-6 dose as initial free ligand in the medium.

    Returns a ComponentSet: the dose conversion ``IL6_0``, the medium decay rate and rule.
    """
    start = b.mark()
    IL6 = b.monomer_named("IL6")
    b.initial(IL6(r1=None, r2=None), pM_to_molecules(b, "IL6_0", "IL6_pM"))
    b.rule("IL6_decays_in_medium", IL6(r1=None, r2=None) >> None, b.parameter("kdeg_IL6_medium"))
    return b.created_since(start)


def gp130_at_rest(b: Builder) -> ComponentSet:
    """IL-6R alpha and gp130 (carrying JAK1) on the surface.

    Returns a ComponentSet: the receptor amount parameters.
    """
    start = b.mark()
    IL6R, IL6ST, JAK1 = b.monomers_named("IL6R", "IL6ST", "JAK1")
    b.initial(IL6R(lig=None, loc="pm"), b.parameter("IL6R_0"))
    b.initial(IL6ST(lig=None, box1=1, y759="u", y767="u", socs=None, loc="pm")
              % JAK1(box1=1, y1034="u", socs=None), b.parameter("IL6ST_0"))
    return b.created_since(start)


def il6_assembles_il6r_and_gp130(b: Builder) -> ComponentSet:
    """IL-6 binds IL-6R alpha, then IL-6:IL-6R alpha recruits gp130 in the membrane.

    Returns a ComponentSet: the binding and recruitment rules and their rates.
    """
    start = b.mark()
    IL6, IL6R, IL6ST = b.monomers_named("IL6", "IL6R", "IL6ST")
    kf = bimolecular(b, "kf_IL6_IL6R", "kon_IL6_IL6R", "V_medium")
    kr = per_minute(b, "kr_IL6_IL6R", "koff_IL6_IL6R")
    kr2 = per_minute(b, "kr_IL6IL6R_IL6ST", "koff_2D_IL6_IL6ST")
    b.rule("IL6_binds_IL6R",
           IL6(r1=None, r2=None) + IL6R(lig=None, loc="pm") | IL6(r1=1, r2=None) % IL6R(lig=1, loc="pm"),
           kf, kr)
    b.rule("IL6IL6R_recruits_IL6ST",
           IL6(r1=1, r2=None) % IL6R(lig=1, loc="pm") + IL6ST(lig=None, loc="pm")
           | IL6(r1=1, r2=2) % IL6R(lig=1, loc="pm") % IL6ST(lig=2, loc="pm"),
           b.component("kf_2D"), kr2)
    return b.created_since(start)


def jak1_activated_on_gp130(b: Builder) -> ComponentSet:
    """JAK1 of the signalling complex is trans-activated (by the lumped partner JAK1).

    SOCS3 on gp130 pY759 blocks it.

    Returns a ComponentSet: the activation rule.
    """
    start = b.mark()
    IL6, IL6ST, JAK1 = b.monomers_named("IL6", "IL6ST", "JAK1")
    b.rule("JAK1_activated_on_IL6ST",
           IL6(r2=2) % IL6ST(lig=2, box1=3, socs=None) % JAK1(box1=3, y1034="u")
           >> IL6(r2=2) % IL6ST(lig=2, box1=3, socs=None) % JAK1(box1=3, y1034="p"),
           b.component("kact_by_JAK1"))
    return b.created_since(start)


def jak1_phosphorylates_gp130(b: Builder) -> ComponentSet:
    """Active, SOCS-free JAK1 phosphorylates gp130 Y759 and the STAT-docking tyrosines.

    Returns a ComponentSet: the two phosphorylation rules and their rate.
    """
    start = b.mark()
    IL6, IL6ST, JAK1 = b.monomers_named("IL6", "IL6ST", "JAK1")
    k = b.expression("kcat_IL6ST_eff", b.parameter("kcat_JAK1_IL6ST") * kinase_free_fraction(b, "JAK1"))
    for site in ("y759", "y767"):
        b.rule(f"JAK1_phosphorylates_IL6ST_{site}",
               IL6(r2=2) % IL6ST(lig=2, box1=3, socs=None, **{site: "u"}) % JAK1(box1=3, y1034="p", socs=None)
               >> IL6(r2=2) % IL6ST(lig=2, box1=3, socs=None, **{site: "p"}) % JAK1(box1=3, y1034="p", socs=None),
               k)
    return b.created_since(start)


def shp2_dephosphorylates_gp130(b: Builder) -> ComponentSet:
    """SHP-2 dephosphorylates free gp130 tyrosines and, recruited to pY759, the JAK1 of that gp130.

    Returns a ComponentSet: the dephosphorylation rules and their rate parameter.
    """
    start = b.mark()
    PTPN11, IL6ST, JAK1 = b.monomers_named("PTPN11", "IL6ST", "JAK1")
    kr = b.parameter("kdp_PTPN11_receptor")
    b.rule("PTPN11_dephosphorylates_IL6ST_y759",
           PTPN11() + IL6ST(y759="p", socs=None) >> PTPN11() + IL6ST(y759="u", socs=None), kr)
    b.rule("PTPN11_dephosphorylates_IL6ST_y767",
           PTPN11() + IL6ST(y767="p") >> PTPN11() + IL6ST(y767="u"), kr)
    b.rule("PTPN11_on_pY759_dephosphorylates_JAK1",
           PTPN11() + IL6ST(y759="p", socs=None, box1=1) % JAK1(box1=1, y1034="p", socs=None)
           >> PTPN11() + IL6ST(y759="p", socs=None, box1=1) % JAK1(box1=1, y1034="u", socs=None),
           b.parameter("kdp_PTPN11_gp130"))
    return b.created_since(start)


def gp130_internalised_and_recycled(b: Builder) -> ComponentSet:
    """Ligand-induced internalisation of IL-6:IL-6R alpha:gp130 (IL-6 degraded) and recycling.

    Returns a ComponentSet: the internalisation and recycling rules and their rates.
    """
    start = b.mark()
    IL6, IL6R, IL6ST = b.monomers_named("IL6", "IL6R", "IL6ST")
    b.rule("IL6_complex_internalised",
           IL6(r1=1, r2=2) % IL6R(lig=1, loc="pm") % IL6ST(lig=2, loc="pm")
           >> IL6R(lig=None, loc="endo") + IL6ST(lig=None, loc="endo"),
           b.parameter("kint_IL6_complex"), delete_molecules=True)
    krec = b.parameter("krec_receptor")
    for R in (IL6R, IL6ST):
        b.rule(f"{R.name}_recycles", R(lig=None, loc="endo") >> R(lig=None, loc="pm"), krec)
    return b.created_since(start)


def add(b: Builder) -> ComponentSet:
    """All rules of this module.

    Returns a ComponentSet: every component the module's motifs create.
    """
    start = b.mark()
    il6_in_medium(b)
    gp130_at_rest(b)
    il6_assembles_il6r_and_gp130(b)
    jak1_activated_on_gp130(b)
    jak1_phosphorylates_gp130(b)
    shp2_dephosphorylates_gp130(b)
    gp130_internalised_and_recycled(b)
    return b.created_since(start)


__all__ = ["add", "il6_in_medium", "gp130_at_rest", "il6_assembles_il6r_and_gp130", "jak1_activated_on_gp130",
           "jak1_phosphorylates_gp130", "shp2_dephosphorylates_gp130", "gp130_internalised_and_recycled"]
