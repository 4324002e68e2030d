"""PySB model files of PEtab v2 problems, simulated through the project's SBML path.

libpetab loads the model file with PySB (:class:`petab.v1.models.pysb_model.PySBModel`);
:func:`pysb_to_sbml` generates its reaction network with BioNetGen through
:func:`jakstat_rules.network.generate_network` (cached by content, like the
project's own model) and writes it as SBML with
:func:`jakstat_rules.export.sbml.network_sbml`; the one simulation core then
runs it like any SBML model.  The PEtab mapping table may name a PySB
pattern (``A_() ** compartment``) for a PEtab id: it is read with libpetab's
:func:`~petab.v1.models.pysb_model.pattern_from_string` and replaced by the
SBML id of the species it matches.
"""
from __future__ import annotations

from typing import Mapping

from jakstat_rules.errors import JakstatInputError

__all__ = ["pysb_to_sbml"]


def pysb_to_sbml(model, aliases: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """SBML of a PySB model of a PEtab problem, and its mapping table resolved.

    Parameters
    ----------
    model
        libpetab's PySB model (its ``model`` attribute is the
        :class:`pysb.Model`).
    aliases
        Mapping table: PEtab id -> model entity (a PySB component name or a
        species pattern).

    Returns
    -------
    (str, dict)
        The SBML text, and PEtab id -> SBML id.

    Raises
    ------
    JakstatInputError
        If the network cannot be generated or exported, or a mapped pattern
        matches no species of the network.
    """
    from petab.v1.models.pysb_model import pattern_from_string

    from jakstat_rules.export.sbml import network_sbml

    pysb_model = model.model
    try:
        sbml, species_ids = network_sbml(pysb_model)
    except JakstatInputError:
        raise
    except Exception as exc:  # PySB's exporter raises many kinds for unsupported constructs
        raise JakstatInputError(f"PySB model {pysb_model.name!r} could not be exported to SBML "
                                f"({type(exc).__name__}: {exc}); expected a PySB model "
                                f"BioNetGen and PySB's SBML export accept") from None
    names = set(pysb_model.components.keys())
    resolved = {}
    for petab_id, entity in aliases.items():
        if entity in names:
            resolved[petab_id] = entity
            continue
        try:
            pattern = pattern_from_string(entity, pysb_model)
        except (ValueError, NotImplementedError, AttributeError) as exc:
            raise JakstatInputError(f"mapping table: {entity!r} (for {petab_id!r}) is not a "
                                    f"component or species pattern of the PySB model ({exc}); "
                                    f"expected one of those") from None
        matches = [sid for sp, sid in zip(pysb_model.species, species_ids)
                   if pattern.is_equivalent_to(sp)]
        if len(matches) != 1:
            raise JakstatInputError(f"mapping table: pattern {entity!r} (for {petab_id!r}) "
                                    f"matches {len(matches)} species of the network; expected "
                                    f"exactly one")
        resolved[petab_id] = matches[0]
    return sbml, resolved
