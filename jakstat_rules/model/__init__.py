"""The rule-based IFN -> JAK -> STAT1 and IL-6 -> gp130/JAK1 -> STAT3 model.

:func:`build_model` assembles the model from one module per process:

==================  ==========================================================
module              biology
==================  ==========================================================
``ligands``         IFN-alpha/beta/gamma binding, receptor assembly, trafficking
``kinases``         JAK trans-activation, receptor tyrosine phosphorylation
``stats``           STAT docking, phosphorylation, GAF and ISGF3 formation
``transport``       nuclear import/export, PTPN2 / PTPN11 dephosphorylation
``transcription``   ISRE / GAS genes, translation, decay, positive loops
``regulators``      SOCS1, USP18, PIAS1, microRNA
``gp130``           IL-6 binding IL-6R alpha and gp130, JAK1 on gp130, SHP-2, trafficking
``stat3``           STAT3 (and STAT1) on gp130, STAT3 and STAT1:STAT3 dimers, PIAS3
``socs3``           SOCS3 transcription by STAT3, SOCS3 on gp130 pY759
``autocrine``       STAT3-driven IL6 transcription and IL-6 secretion (variant ``il6_autocrine``)
``perturbations``   JAK inhibitors, drug-resistance mutations, ionising radiation, JAK2 V617F
``observables``     readouts (the interface to data)
==================  ==========================================================
"""
from __future__ import annotations

from typing import Any

from pysb import Model

from ..errors import JakstatInputError
from . import (autocrine, gp130, kinases, ligands, monomers, observables, perturbations, regulators,
               socs3, stat3, stats, transcription, transport)
from .builder import Builder, Provenance
from ..interface import INPUTS, NEEDS_PREEQUILIBRATION, READOUTS, VARIANTS, model_id
from .parameters import CITATIONS, PARAMETERS

SWITCHES = {"socs1": True, "usp18": True, "jak2_v617f": False, "il6": True, "socs3": True,
            "stat1": True, "stat3": True, "stat3_on_ifngr1": True, "jak2_g935r": False,
            "il6_autocrine": False}

#: Switches that knock a protein out by setting its resting amount (and so its synthesis) to 0:
#: switch -> (parameter, source of the variant)
KNOCKOUTS = {"stat1": ("STAT1_0", "QingStark2004 (STAT1-null cells): no STAT1 protein"),
             "stat3": ("STAT3_0", "assumed: STAT3-deficient cells, no STAT3 protein")}


def build_model(variant: str = "default", overrides: dict[str, float] | None = None,
                **switches: Any) -> Model:
    """Build the PySB model.

    Parameters
    ----------
    variant
        One of :data:`VARIANTS`: ``default``, ``jak2_v617f`` (ligand-independent
        JAK2), ``socs1_loss``, ``usp18_loss``, ``socs3_loss``, ``stat1_loss``,
        ``stat3_loss``, ``jak2_g935r`` (JAK2 resistant to ruxolitinib) and
        ``il6_autocrine`` (STAT3-driven IL-6 secretion).
    overrides
        Parameter values replacing the registry defaults, e.g.
        ``{"STAT1_0": 5e4}``.
    **switches
        ``socs1``, ``usp18``, ``socs3`` (include the protein, default True),
        ``stat1``, ``stat3`` (False: resting amount 0, the protein is never
        made), ``stat3_on_ifngr1`` (STAT3 docks on IFNGR1 pY440, default
        True; the one rule through which STAT3 changes interferon-gamma
        readouts at IL-6 = 0), ``il6`` (include the IL-6 -> gp130 -> STAT3 arm, default True;
        False builds the interferon-only model), ``jak2_v617f``, ``jak2_g935r``
        (JAK2's ruxolitinib IC50 raised by ``fold_IC50_ruxolitinib_JAK2_G935R``)
        and ``il6_autocrine`` (the autocrine IL-6 loop of :mod:`.autocrine`; needs
        ``il6``), all default False; they override the variant's.

    Returns
    -------
    pysb.Model
        The model, with ``model.jakstat_provenance`` (parameter -> unit,
        source), ``model.jakstat_variant`` and
        ``model.jakstat_needs_preequilibration`` (True when the initial
        amounts are not the resting state, as for JAK2 V617F).

    Examples
    --------
    >>> model = build_model()
    >>> len(model.rules) > 50
    True
    """
    if variant not in VARIANTS:
        raise JakstatInputError(f"unknown variant {variant!r}: expected one of {sorted(VARIANTS)}")
    unknown = sorted(set(switches) - set(SWITCHES))
    if unknown:
        raise JakstatInputError(f"unknown switch(es) {unknown}: expected {sorted(SWITCHES)}")
    opts = {**SWITCHES, **VARIANTS[variant], **switches}
    name = model_id(variant)
    b = Builder(name, dict(overrides or {}))
    knocked_out = {param: source for switch, (param, source) in KNOCKOUTS.items()
                   if not opts[switch] and param not in b.overrides}
    b.overrides.update({param: 0.0 for param in knocked_out})
    left_out = {"SOCS1": not opts["socs1"], "USP18": not opts["usp18"],
                "SOCS3": not (opts["socs3"] and opts["il6"])}
    if opts["il6_autocrine"] and not opts["il6"]:
        raise JakstatInputError("switch il6_autocrine=True needs the IL-6 arm: expected il6=True")
    names = [n for n in monomers.MONOMERS
             if not left_out.get(n, False) and (opts["il6"] or n not in monomers.IL6_ARM)
             and (opts["il6_autocrine"] or n not in monomers.IL6_AUTOCRINE)]
    monomers.add_monomers(b, names)
    mutations = tuple(m for m in perturbations.RESISTANCE_MUTATIONS if opts[m])
    for name_ in perturbations.KINASES:      # drug inputs exist in every variant
        perturbations.kinase_free_fraction(b, name_, mutations)
    for inp in INPUTS:
        if opts["il6"] or inp != "IL6_pM":
            b.parameter(inp)
    ligands.add(b)
    kinases.add(b)
    stats.add(b)
    transport.add(b)
    if opts["il6"]:
        gp130.add(b)
        stat3.add(b, on_ifngr1=opts["stat3_on_ifngr1"])
    observables.add(b, with_socs1=opts["socs1"], with_usp18=opts["usp18"], with_il6=opts["il6"],
                    with_socs3=opts["socs3"])
    transcription.genes_transcribed(b, with_socs1=opts["socs1"], with_usp18=opts["usp18"])
    if opts["socs1"]:
        regulators.socs1_inhibits_jak1(b)
    if opts["usp18"]:
        regulators.usp18_binds_ifnar2(b)
    if opts["il6"]:
        socs3.add(b, with_socs3=opts["socs3"])
    if opts["il6_autocrine"]:
        autocrine.add(b)
    regulators.pias1_blocks_stat1_dimers(b)
    regulators.mirna_degrades_stat1_mrna(b)
    perturbations.radiation_induces_ifnb(b)
    if opts["jak2_v617f"]:
        perturbations.jak2_v617f(b)
    for param, source in knocked_out.items():
        if param in b.provenance:
            b.provenance[param] = Provenance("molecule", source, "knocked out in this variant")
    model = b.model
    model.jakstat_provenance = b.provenance
    model.jakstat_variant = variant
    model.jakstat_switches = opts
    model.jakstat_needs_preequilibration = variant in NEEDS_PREEQUILIBRATION or bool(opts["jak2_v617f"])
    return model


__all__ = ["build_model", "VARIANTS", "INPUTS", "READOUTS", "PARAMETERS", "CITATIONS"]
