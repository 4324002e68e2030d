"""Interferon binding, receptor assembly, internalisation and recycling.

Type I: IFN-alpha2 (IFNA2) and IFN-beta (IFNB1) bind IFNAR2 (carrying JAK1)
or IFNAR1 (carrying TYK2) from the medium and then recruit the other chain
in the membrane (2D), so the ternary complex forms in either order.  The
fourth step's dissociation rate follows from detailed balance
(K1 K3 = K2 K4 around the thermodynamic cycle), written as an expression.
Rates and receptor numbers follow Kirby et al. 2021 (after Lamken 2004,
Thomas 2011).  IFN-beta binds IFNAR1 ~50-fold tighter than IFN-alpha2.

Type II: the IFN-gamma homodimer binds IFNGR1 (JAK1) with sub-nanomolar
affinity and then recruits IFNGR2 (JAK2); one IFNG unit with one chain of
each stands for half of the 2:2:2 complex (Walter 1995).

Ligand-bridged complexes are internalised; the ligand is degraded and the
chains (with their JAKs) recycle from endosomes to the surface (Kirby 2021).
Ligands are species in the medium (molecules per cell of medium volume), so
ligand depletion is part of the model; doses enter as initial amounts
computed from the input parameters ``IFNa_pM``, ``IFNb_pM``, ``IFNg_pM``.
"""
from __future__ import annotations

from pysb import ComponentSet

from .builder import Builder
from .conversions import bimolecular, per_minute, per_molecule_minute, pM_to_molecules

#: ligand -> (dose parameter, receptor chain bound first in the r1 site, chain of r2)
TYPE_I = {"IFNA2": "IFNa_pM", "IFNB1": "IFNb_pM"}


def ligands_in_medium(b: Builder) -> ComponentSet:
    """Doses of IFN-alpha2/beta/gamma as initial free ligand in the medium.

    Returns a ComponentSet: the dose conversions (``<ligand>_0``), the medium decay rate and
    the decay rules.
    """
    start = b.mark()
    for lig, dose in [("IFNA2", "IFNa_pM"), ("IFNB1", "IFNb_pM"), ("IFNG", "IFNg_pM")]:
        amount = pM_to_molecules(b, f"{lig}_0", dose)
        b.initial(b.monomer_named(lig)(r1=None, r2=None), amount)
        kdeg = b.parameter("kdeg_IFN_medium")
        b.rule(f"{lig}_decays_in_medium", b.monomer_named(lig)(r1=None, r2=None) >> None, kdeg)
    return b.created_since(start)


def receptors_at_rest(b: Builder) -> ComponentSet:
    """Receptor chains on the surface, each carrying its JAK.

    Returns a ComponentSet: the receptor amount parameters it creates (the initial amounts are
    not components).
    """
    start = b.mark()
    IFNAR1, IFNAR2, IFNGR1, IFNGR2 = b.monomers_named("IFNAR1", "IFNAR2", "IFNGR1", "IFNGR2")
    JAK1, JAK2, TYK2 = b.monomers_named("JAK1", "JAK2", "TYK2")
    b.initial(IFNAR1(lig=None, box1=1, loc="pm") % TYK2(box1=1, y1054="u"), b.parameter("IFNAR1_0"))
    b.initial(IFNAR2(lig=None, box1=1, y512="u", usp=None, loc="pm") % JAK1(box1=1, y1034="u", socs=None),
              b.parameter("IFNAR2_0"))
    b.initial(IFNGR1(lig=None, box1=1, y440="u", loc="pm") % JAK1(box1=1, y1034="u", socs=None),
              b.parameter("IFNGR1_0"))
    b.initial(IFNGR2(lig=None, box1=1, loc="pm") % JAK2(box1=1, y1007="u"), b.parameter("IFNGR2_0"))
    return b.created_since(start)


def type_I_ifn_binds_ifnar(b: Builder) -> ComponentSet:
    """IFN-alpha2 / IFN-beta assemble IFNAR1 and IFNAR2 in either order.

    USP18 on IFNAR2 prevents the ternary complex (Francois-Newton 2011):
    the recruitment steps require ``IFNAR2(usp=None)``.

    Returns a ComponentSet: the binding and recruitment rules, their rate parameters and the
    converted rate expressions.
    """
    start = b.mark()
    IFNAR1, IFNAR2 = b.monomers_named("IFNAR1", "IFNAR2")
    ka2d = per_molecule_minute(b, "kf_2D", "ka_2D")
    for lig in TYPE_I:
        L = b.monomer_named(lig)
        kf1 = bimolecular(b, f"kf_{lig}_IFNAR1", f"kon_{lig}_IFNAR1", "V_medium")
        kr1 = per_minute(b, f"kr_{lig}_IFNAR1", f"koff_{lig}_IFNAR1")
        kf2 = bimolecular(b, f"kf_{lig}_IFNAR2", f"kon_{lig}_IFNAR2", "V_medium")
        kr2 = per_minute(b, f"kr_{lig}_IFNAR2", f"koff_{lig}_IFNAR2")
        kr_r1_2d = per_minute(b, f"kr_{lig}IFNAR2_IFNAR1", f"koff_2D_{lig}_IFNAR1")
        # cycle: L+R1 (K1), L:R1+R2 (K3), L+R2 (K2), L:R2+R1 (K4); K1*K3 = K2*K4
        kr_r2_2d = b.expression(f"kr_{lig}IFNAR1_IFNAR2", kf1 * kr2 * kr_r1_2d / (kr1 * kf2),
                                "1/min", "detailed balance: kr3 = kf3 * K1 / (K2 * K4) with kf3 = kf4")
        b.rule(f"{lig}_binds_IFNAR1",
               L(r1=None, r2=None) + IFNAR1(lig=None, loc="pm") | L(r1=1, r2=None) % IFNAR1(lig=1, loc="pm"),
               kf1, kr1)
        b.rule(f"{lig}_binds_IFNAR2",
               L(r1=None, r2=None) + IFNAR2(lig=None, loc="pm") | L(r1=None, r2=1) % IFNAR2(lig=1, loc="pm"),
               kf2, kr2)
        b.rule(f"{lig}IFNAR2_recruits_IFNAR1",
               L(r1=None, r2=2) % IFNAR2(lig=2, usp=None, loc="pm") + IFNAR1(lig=None, loc="pm")
               | L(r1=1, r2=2) % IFNAR2(lig=2, usp=None, loc="pm") % IFNAR1(lig=1, loc="pm"),
               ka2d, kr_r1_2d)
        b.rule(f"{lig}IFNAR1_recruits_IFNAR2",
               L(r1=1, r2=None) % IFNAR1(lig=1, loc="pm") + IFNAR2(lig=None, usp=None, loc="pm")
               | L(r1=1, r2=2) % IFNAR1(lig=1, loc="pm") % IFNAR2(lig=2, usp=None, loc="pm"),
               ka2d, kr_r2_2d)
    return b.created_since(start)


def type_II_ifn_binds_ifngr(b: Builder) -> ComponentSet:
    """IFN-gamma binds IFNGR1, then recruits IFNGR2 in the membrane.

    Returns a ComponentSet: the binding and recruitment rules, their rate parameters and
    expressions.
    """
    start = b.mark()
    IFNG, IFNGR1, IFNGR2 = b.monomers_named("IFNG", "IFNGR1", "IFNGR2")
    kf = bimolecular(b, "kf_IFNG_IFNGR1", "kon_IFNG_IFNGR1", "V_medium")
    kr = per_minute(b, "kr_IFNG_IFNGR1", "koff_IFNG_IFNGR1")
    kr2 = per_minute(b, "kr_IFNGIFNGR1_IFNGR2", "koff_2D_IFNG_IFNGR2")
    b.rule("IFNG_binds_IFNGR1",
           IFNG(r1=None, r2=None) + IFNGR1(lig=None, loc="pm") | IFNG(r1=1, r2=None) % IFNGR1(lig=1, loc="pm"),
           kf, kr)
    b.rule("IFNGIFNGR1_recruits_IFNGR2",
           IFNG(r1=1, r2=None) % IFNGR1(lig=1, loc="pm") + IFNGR2(lig=None, loc="pm")
           | IFNG(r1=1, r2=2) % IFNGR1(lig=1, loc="pm") % IFNGR2(lig=2, loc="pm"),
           b.component("kf_2D"), kr2)
    return b.created_since(start)


def complexes_internalise_and_recycle(b: Builder) -> ComponentSet:
    """Ligand-bridged complexes are internalised, the ligand degraded in
    endosomes, and the chains recycle to the plasma membrane.

    Returns a ComponentSet: the internalisation and recycling rules and their rate parameters.
    """
    start = b.mark()
    kint, krec = b.parameter("kint_complex"), b.parameter("krec_receptor")
    pairs = [(lig, "IFNAR1", "IFNAR2") for lig in TYPE_I] + [("IFNG", "IFNGR1", "IFNGR2")]
    for lig, c1, c2 in pairs:
        L, R1, R2 = b.monomer_named(lig), b.monomer_named(c1), b.monomer_named(c2)
        b.rule(f"{lig}_complex_internalised",
               L(r1=1, r2=2) % R1(lig=1, loc="pm") % R2(lig=2, loc="pm")
               >> R1(lig=None, loc="endo") + R2(lig=None, loc="endo"),
               kint, delete_molecules=True)
    for chain in ("IFNAR1", "IFNAR2", "IFNGR1", "IFNGR2"):
        R = b.monomer_named(chain)
        b.rule(f"{chain}_recycles", R(lig=None, loc="endo") >> R(lig=None, loc="pm"), krec)
    return b.created_since(start)


def add(b: Builder) -> ComponentSet:
    """All rules of this module.

    Returns a ComponentSet: every component the module's motifs create.
    """
    start = b.mark()
    ligands_in_medium(b)
    receptors_at_rest(b)
    type_I_ifn_binds_ifnar(b)
    type_II_ifn_binds_ifngr(b)
    complexes_internalise_and_recycle(b)
    return b.created_since(start)
