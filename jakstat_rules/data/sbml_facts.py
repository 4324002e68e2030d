"""What the importer needs to know of an SBML model: its parameters, inputs and
readouts (read once per model text)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

import libsbml

from jakstat_rules.errors import JakstatInputError
from jakstat_rules.interface import INPUTS

__all__ = ["check_model"]


@dataclass(frozen=True)
class _ModelFacts:
    """What the PEtab writer needs to know about an SBML model."""

    values: dict[str, float]
    rule_targets: set[str]
    initial_assignments: set[str]
    species: set[str]


_FACTS: dict[int, _ModelFacts] = {}


def _model_facts(sbml_text: str, name: str) -> _ModelFacts:
    key = hash(sbml_text)
    if key in _FACTS:
        return _FACTS[key]
    doc = libsbml.readSBMLFromString(sbml_text)
    if doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR) or doc.getModel() is None:
        raise JakstatInputError(
            f"SBML file {name!r} could not be read: "
            f"{doc.getErrorLog().toString().strip()[:300]}; expected a valid SBML model")
    model = doc.getModel()
    facts = _ModelFacts(
        values={p.getId(): p.getValue() if p.isSetValue() else math.nan
                for p in model.getListOfParameters()},
        rule_targets={r.getVariable() for r in model.getListOfRules()},
        initial_assignments={a.getSymbol() for a in model.getListOfInitialAssignments()},
        species={s.getId() for s in model.getListOfSpecies()})
    _FACTS.clear()
    _FACTS[key] = facts
    return facts


def check_model(sbml_text: str, name: str, inputs: Iterable[str], readouts: Iterable[str]) -> None:
    """Raise unless the SBML model defines the inputs (global parameters) and readouts.

    Raises
    ------
    JakstatInputError
        Naming the missing id and the model file.
    """
    facts = _model_facts(sbml_text, name)
    for pid in inputs:
        if pid not in facts.values:
            raise JakstatInputError(
                f"SBML model {name!r} has no global parameter {pid!r}; expected the model's "
                f"inputs {sorted(INPUTS)} (a dose in the table needs its input in the model)")
    for rid in readouts:
        if rid not in facts.values and rid not in facts.species:
            raise JakstatInputError(
                f"SBML model {name!r} defines no readout {rid!r}; expected a parameter or "
                f"species of that id (the documented readouts: jakstat_rules.interface.READOUTS)")
