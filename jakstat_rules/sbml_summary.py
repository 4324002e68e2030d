"""What a simulator needs to know of an SBML model before compiling it, read with libSBML.

:func:`model_summary` reads the ids (global parameters, settable ids as
:class:`~jakstat_rules.engine.Engine` has them) and the start values
(parameter values, compartment sizes, species' initial values, initial
assignments and assignment rules as formulas) once per model and caches
them in memory and on disk (``<cache>/summaries``): reading the default
model takes 0.2 s, compiling it with libroadrunner 7 s.
:func:`species_nonzero_at_start` evaluates the start values for given
values, so that :class:`~jakstat_rules.simulate.Simulator` finds the
species a run starts with (and prunes the rest,
:mod:`jakstat_rules.pruning`) without compiling the whole network.
"""
from __future__ import annotations

import json
import math
from typing import Mapping

from .errors import JakstatInputError
from .formulas import evaluate_formula, math_text, parse_formula, read_expanded
from .io import cache_dir, read_cache_entry, sha256, write_cache_entry

__all__ = ["model_summary", "species_nonzero_at_start", "SUMMARY_FORMAT"]

#: Version of the summary's form; part of every cache key.
SUMMARY_FORMAT = "summary-1"
_SUMMARIES: dict[str, dict] = {}
_KINDS = {"parameter_ids": list, "settable_ids": list, "parameters": dict, "compartments": dict,
          "species": dict, "assignment_rules": dict, "initial_assignments": dict}


def model_summary(sbml: str) -> dict:
    """Ids and start values of ``sbml``, from memory, the disk cache or libSBML.

    Returns
    -------
    dict
        ``parameter_ids`` (every global parameter), ``settable_ids``
        (parameters, compartments and species that no assignment rule
        defines), ``parameters`` and ``compartments`` (id -> value, NaN when
        unset), ``species`` (id -> [compartment, only substance units,
        ``"amount"``/``"concentration"``/None, initial value]),
        ``assignment_rules`` and ``initial_assignments`` (id -> L3 formula,
        function definitions expanded).

    Raises
    ------
    JakstatInputError
        If libSBML cannot read a model from ``sbml`` (the message of the
        libroadrunner compilation, which is tried to name the reason).
    """
    key = sha256("\0".join([SUMMARY_FORMAT, sbml]))
    if key in _SUMMARIES:
        return _SUMMARIES[key]
    path = cache_dir("summaries") / f"{key[:32]}.json"
    raw = read_cache_entry(path, key)
    summary = None
    if raw is not None:
        try:
            summary = json.loads(raw)
        except ValueError:
            summary = None
        if not (isinstance(summary, dict)
                and all(isinstance(summary.get(k), t) for k, t in _KINDS.items())):
            summary = None
    if summary is None:
        summary = _summarize(sbml)
        write_cache_entry(path, key, json.dumps(summary).encode())
    _SUMMARIES[key] = summary
    return summary


def _summarize(sbml: str) -> dict:
    import libsbml

    document = read_expanded(sbml)
    model = document.getModel()
    if model is None or document.getNumErrors(libsbml.LIBSBML_SEV_FATAL):
        from .engine import compiled_state
        compiled_state(sbml)  # raises the engine's message for a model it cannot load
        raise JakstatInputError("libSBML cannot read a model from the SBML text: expected an "
                                "SBML model")

    def number(ok: bool, value: float) -> float | None:
        return float(value) if ok and math.isfinite(value) else None  # JSON has no NaN

    rules = {r.getVariable(): math_text(r.getMath()) for r in model.getListOfRules()
             if r.isAssignment() and r.getMath() is not None}
    parameters = {p.getId(): number(p.isSetValue(), p.getValue()) for p in model.getListOfParameters()}
    compartments = {c.getId(): number(c.isSetSize(), c.getSize())
                    for c in model.getListOfCompartments()}
    species = {}
    for s in model.getListOfSpecies():
        if s.isSetInitialAmount():
            kind, value = "amount", number(True, s.getInitialAmount())
        elif s.isSetInitialConcentration():
            kind, value = "concentration", number(True, s.getInitialConcentration())
        else:
            kind, value = None, None
        species[s.getId()] = [s.getCompartment(), bool(s.getHasOnlySubstanceUnits()), kind, value]
    ids = list(parameters) + list(compartments) + list(species)
    return {"parameter_ids": list(parameters), "settable_ids": [i for i in ids if i not in rules],
            "parameters": parameters, "compartments": compartments, "species": species,
            "assignment_rules": rules,
            "initial_assignments": {ia.getSymbol(): math_text(ia.getMath())
                                    for ia in model.getListOfInitialAssignments()
                                    if ia.getMath() is not None}}


def species_nonzero_at_start(summary: dict, values: Mapping[str, float] | None = None) -> set[str]:
    """Species whose amount at time 0 is not 0 with ``values`` set on the model.

    ``values`` are set as :meth:`Engine.set_values <jakstat_rules.engine.Engine.set_values>`
    sets them (a species' value is its initial amount with only substance
    units, else its initial concentration; it replaces an initial
    assignment); everything else takes the model's values, initial
    assignments and assignment rules evaluated at time 0.  A value that
    cannot be found (unset, a formula that fails or reads itself) counts as
    non-zero: the answer holds every species the model may start with.
    """
    values = dict(values or {})
    species = summary["species"]
    formulas = {**summary["assignment_rules"], **summary["initial_assignments"]}
    known: dict[str, float] = {}
    pending: set[str] = set()

    def read(sid: str) -> float:
        """The value of ``sid`` as a formula reads it (a species: its concentration unless it
        has only substance units)."""
        if sid in known:
            return known[sid]
        if sid in pending:
            return math.nan  # a formula that reads itself
        pending.add(sid)
        try:
            if sid in values:
                value = float(values[sid])
            elif sid in formulas:
                value = evaluate_formula(parse_formula(formulas[sid]), read)
            elif sid in species:
                compartment, only, kind, initial = species[sid]
                initial = math.nan if initial is None else initial
                if kind == "amount":
                    value = initial if only else initial / read(compartment)
                elif kind == "concentration":
                    value = initial * read(compartment) if only else initial
                else:
                    value = math.nan
            else:
                found = summary["parameters"].get(sid, summary["compartments"].get(sid))
                value = math.nan if found is None else float(found)
        except (JakstatInputError, ArithmeticError, ValueError, TypeError, KeyError):
            value = math.nan
        pending.discard(sid)
        known[sid] = value
        return value

    out = set()
    for sid, (compartment, only, _, _) in species.items():
        amount = read(sid) if only else read(sid) * read(compartment)
        if not amount == 0.0:  # NaN counts as non-zero
            out.add(sid)
    return out
