"""The rule-based IFN -> JAK -> STAT1 model.

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
``perturbations``   JAK inhibitors, ionising radiation, JAK2 V617F
``observables``     readouts (the interface to data)
==================  ==========================================================
"""
from __future__ import annotations

from typing import Any

from pysb import Model

from ..errors import JakstatInputError
from . import (kinases, ligands, monomers, observables, perturbations, regulators,
               stats, transcription, transport)
from .builder import Builder
from ..interface import INPUTS, NEEDS_PREEQUILIBRATION, READOUTS, VARIANTS, model_id
from .parameters import CITATIONS, PARAMETERS

SWITCHES = {"socs1": True, "usp18": True, "jak2_v617f": False}


def build_model(variant: str = "default", overrides: dict[str, float] | None = None,
                **switches: Any) -> Model:
    """Build the PySB model.

    Parameters
    ----------
    variant
        One of :data:`VARIANTS`: ``default``, ``jak2_v617f`` (ligand-independent
        JAK2), ``socs1_loss``, ``usp18_loss``.
    overrides
        Parameter values replacing the registry defaults, e.g.
        ``{"STAT1_0": 5e4}``.
    **switches
        ``socs1``, ``usp18`` (include the protein, default True) and
        ``jak2_v617f`` (default False); they override the variant's.

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
    names = [n for n in monomers.MONOMERS
             if not (n == "SOCS1" and not opts["socs1"]) and not (n == "USP18" and not opts["usp18"])]
    monomers.add_monomers(b, names)
    for name_ in perturbations.KINASES:      # drug inputs exist in every variant
        perturbations.kinase_free_fraction(b, name_)
    for inp in INPUTS:
        b.parameter(inp)
    ligands.add(b)
    kinases.add(b)
    stats.add(b)
    transport.add(b)
    observables.add(b, with_socs1=opts["socs1"], with_usp18=opts["usp18"])
    transcription.genes_transcribed(b, with_socs1=opts["socs1"], with_usp18=opts["usp18"])
    if opts["socs1"]:
        regulators.socs1_inhibits_jak1(b)
    if opts["usp18"]:
        regulators.usp18_binds_ifnar2(b)
    regulators.pias1_blocks_stat1_dimers(b)
    regulators.mirna_degrades_stat1_mrna(b)
    perturbations.radiation_induces_ifnb(b)
    if opts["jak2_v617f"]:
        perturbations.jak2_v617f(b)
    model = b.model
    model.jakstat_provenance = b.provenance
    model.jakstat_variant = variant
    model.jakstat_switches = opts
    model.jakstat_needs_preequilibration = variant in NEEDS_PREEQUILIBRATION or bool(opts["jak2_v617f"])
    return model


__all__ = ["build_model", "VARIANTS", "INPUTS", "READOUTS", "PARAMETERS", "CITATIONS"]
