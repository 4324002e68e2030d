"""Species that stay zero in every simulation of a problem, taken out of the simulated model.

A rule-based model declares every complex its rules can make, whether or
not a problem's conditions ever make it: the Kirby 2021 problem doses
IFN-α and IFN-β only, yet the default network carries the IL-6 and IFN-γ
complexes (383 species), all zero from start to end in every one of its
conditions.  The integrator and AMICI's sensitivities nevertheless carry
them, and their cost grows faster than linearly with the state.

:func:`reachability` finds them from the reactions alone: a species is
*reachable* if it starts non-zero in some simulation unit, is set by a
period, an event or a rate rule, or takes part in a reaction whose rate law
is not zero when every unreachable species is zero; the rest stay exactly
zero (the trajectory with them at zero solves the equations, and the
solution is unique).  A rate law counts as zero only in forms where that
holds whatever the parameters are: a product with a zero factor, a
quotient with a zero numerator and a non-zero denominator, a sum or
difference of zeros, a zero raised
to a positive number, an assignment-rule variable whose formula is zero
(function definitions are expanded first); anything else counts as
possibly non-zero, so the set is never too large.

:func:`pruned_sbml` writes the model with those species as constant
boundary species at zero (their ids stay valid for observables, rules and
conditions) and without the reactions whose rate law is zero: the
simulation core and AMICI integrate only the reachable species.
:class:`~jakstat_rules.calibrate.compiled.CompiledProblem` prunes a PEtab
problem for all its simulation units at once
(:func:`jakstat_rules.calibrate.pruning.nonzero_at_start` finds the species
they start non-zero); :class:`~jakstat_rules.simulate.Simulator` prunes the
model once per set of receptor arms a run doses (the species a run starts
non-zero read from the SBML, :mod:`jakstat_rules.sbml_summary`), through
:func:`pruned_model`, which caches the result in memory and on disk.
"""
from __future__ import annotations

import json
from typing import Callable, Iterable

from .io import cache_dir, read_cache_entry, sha256, status, write_cache_entry

__all__ = ["reachability", "pruned_sbml", "pruned_model"]


def _is_zero(node, zero: set[str], local: frozenset[str] = frozenset()) -> bool:
    """Whether the math ``node`` is 0 for all parameter values when the ids in ``zero`` are 0.

    Operators are told apart by their character: under pytest here ``getType``
    returned a SWIG pointer instead of an int, and no comparison held.
    """
    if node is None:
        return False
    if node.isNumber():
        return node.getValue() == 0.0
    if node.isName():
        return node.getName() in zero and node.getName() not in local
    n = node.getNumChildren()
    children = [node.getChild(k) for k in range(n)]
    op = node.getCharacter() if node.isOperator() else ""
    if op == "*":
        return any(_is_zero(c, zero, local) for c in children)
    if op == "/":  # 0/0 is not a zero rate: the unpruned model fails there, so must this one
        return (n == 2 and _is_zero(children[0], zero, local)
                and not _is_zero(children[1], zero, local))
    if op in ("+", "-"):
        return n > 0 and all(_is_zero(c, zero, local) for c in children)
    if op == "^" or (node.isFunction() and node.getName() in ("pow", "power")):
        return (n == 2 and _is_zero(children[0], zero, local) and children[1].isNumber()
                and children[1].getValue() > 0)
    return False


def _expanded(sbml: str):
    """The SBML document with function definitions expanded (for reading rate laws)."""
    import libsbml

    document = libsbml.readSBMLFromString(sbml)
    if document.getModel() is not None and document.getModel().getNumFunctionDefinitions():
        props = libsbml.ConversionProperties()
        props.addOption("expandFunctionDefinitions", True)
        document.convert(props)
    return document


def _local_ids(reaction) -> frozenset[str]:
    law = reaction.getKineticLaw()
    if law is None:
        return frozenset()
    return frozenset([p.getId() for p in law.getListOfLocalParameters()]
                     + [p.getId() for p in law.getListOfParameters()])


def reachability(sbml: str, nonzero: Iterable[str]) -> tuple[set[str], set[str]]:
    """Species that stay zero at all times when only ``nonzero`` may start non-zero, and the
    reactions whose rate laws stay zero with them.

    Parameters
    ----------
    sbml
        The SBML model.
    nonzero
        Species that are or may be non-zero at some start, or are set
        non-zero later (see :func:`nonzero_at_start`).

    Returns
    -------
    (zero, dead)
        Floating species ids that no rule defines (boundary species, species
        defined by assignment rules and rule or event targets never count),
        and reaction ids.
    """
    document = _expanded(sbml)
    model = document.getModel()
    if model is None:
        return set(), set()
    rules = {r.getVariable(): r.getMath() for r in model.getListOfRules() if r.isAssignment()}
    # states only: a species an assignment rule defines is its formula (through ``rules``)
    species = {s.getId() for s in model.getListOfSpecies()
               if not s.getBoundaryCondition() and s.getId() not in rules}
    reached = set(nonzero) & species
    reached |= {r.getVariable() for r in model.getListOfRules() if r.isRate()} & species
    reached |= {a.getVariable() for e in model.getListOfEvents()
                for a in e.getListOfEventAssignments()} & species
    pending = [(r, r.getKineticLaw().getMath() if r.getKineticLaw() else None, _local_ids(r))
               for r in model.getListOfReactions()]
    while True:
        zero = (species - reached) | _zero_rules(rules, species - reached)
        fired = [item for item in pending if item[1] is None or not _is_zero(item[1], zero, item[2])]
        if not fired:  # the reactions still pending can never fire
            return species - reached, {reaction.getId() for reaction, _, _ in pending}
        for reaction, _, _ in fired:
            reached |= {s.getSpecies() for s in reaction.getListOfReactants()} & species
            reached |= {s.getSpecies() for s in reaction.getListOfProducts()} & species
        pending = [item for item in pending if item not in fired]


def _zero_rules(rules: dict, zero: set[str]) -> set[str]:
    """Assignment-rule variables whose formulas are zero when ``zero`` (and they) are."""
    out: set[str] = set()
    while True:
        more = {v for v, math in rules.items() if v not in out and _is_zero(math, zero | out)}
        if not more:
            return out
        out |= more


def pruned_sbml(sbml: str, zero: Iterable[str], dead: Iterable[str],
                keep: Iterable[str] = ()) -> str:
    """``sbml`` with the species ``zero`` as constant boundary species at 0 and without the
    reactions ``dead`` (:func:`reachability`).

    Parameters
    ----------
    sbml
        The SBML model.
    zero, dead
        Species that stay zero, reactions whose rate laws stay zero.
    keep
        Reaction ids to keep although their rate law is zero (ids that a
        formula of the problem reads; those a formula of the model reads are
        kept anyway).
    """
    import libsbml

    document = libsbml.readSBMLFromString(sbml)
    model = document.getModel()
    for rid in set(dead) - set(keep) - _math_names(model):
        model.removeReaction(rid)
    for sid in zero:
        model.removeInitialAssignment(sid)
        s = model.getSpecies(sid)
        if s.isSetInitialConcentration() or not s.isSetInitialAmount():
            s.setInitialConcentration(0.0)
        else:
            s.setInitialAmount(0.0)
        s.setBoundaryCondition(True)
        s.setConstant(True)
    return libsbml.writeSBMLToString(document)


def _math_names(model) -> set[str]:
    """Every id named in a formula of the model (rules, rate laws, initial assignments,
    constraints, events)."""
    names: set[str] = set()
    maths = [r.getMath() for r in model.getListOfRules()]
    maths += [r.getKineticLaw().getMath() for r in model.getListOfReactions()
              if r.getKineticLaw() is not None]
    maths += [a.getMath() for a in model.getListOfInitialAssignments()]
    maths += [c.getMath() for c in model.getListOfConstraints()]
    for event in model.getListOfEvents():
        maths += [event.getTrigger().getMath() if event.getTrigger() else None,
                  event.getDelay().getMath() if event.isSetDelay() else None,
                  event.getPriority().getMath() if event.isSetPriority() else None]
        maths += [a.getMath() for a in event.getListOfEventAssignments()]
    stack = [m for m in maths if m is not None]
    while stack:
        node = stack.pop()
        if node.isName():
            names.add(node.getName())
        stack.extend(node.getChild(k) for k in range(node.getNumChildren()))
    return names


#: Version of the pruned-model cache format; part of every key.
PRUNE_FORMAT = "pruned-1"
_MODELS: dict[str, str] = {}
_CODE: list[str] = []
_BY_NONZERO: dict[tuple[str, frozenset[str]], str] = {}


def _code_version() -> str:
    """SHA-256 of this module's source: part of the cache key, so that an entry written by
    another version of the analysis is never read."""
    if not _CODE:
        from pathlib import Path

        _CODE.append(sha256(Path(__file__).read_bytes()))
    return _CODE[0]


def pruned_model(sbml: str, run: object, nonzero: Callable[[], Iterable[str]]) -> str:
    """``sbml`` without the species that stay zero in a kind of run, cached in memory and on disk.

    Parameters
    ----------
    sbml
        The SBML model.
    run
        What the result depends on besides the model, as JSON-able data
        (e.g. the inputs that may be non-zero and the parameter values): with
        ``sbml`` and this module's source, the key of the cache.
    nonzero
        Called when the key is new: the species that start non-zero in such
        runs (see :func:`reachability`).  Keys with the same answer share one
        pruned model (in this process without a second analysis).

    Returns
    -------
    str
        The pruned SBML (:func:`pruned_sbml`), or ``""`` if every species
        can become non-zero (nothing to leave out).  On disk
        (``<cache>/pruned``): a small entry per key naming the SHA-256 of its
        pruned model, and each pruned model once under that name.
    """
    model = sha256(sbml)
    key = sha256("\0".join([PRUNE_FORMAT, _code_version(), model, json.dumps(run, sort_keys=True)]))
    if key in _MODELS:
        return _MODELS[key]
    folder = cache_dir("pruned")
    text = None
    content = read_cache_entry(folder / f"{key[:32]}.key", key)
    if content is not None:
        content = content.decode()
        raw = read_cache_entry(folder / f"{content[:32]}.xml", content) if content else b""
        text = raw.decode() if raw is not None else None
    if text is None:
        found = (model, frozenset(nonzero()))
        if found not in _BY_NONZERO:
            status("finding the species these inputs can make (once per model and inputs, "
                   "then cached) ...")
            zero, dead = reachability(sbml, found[1])
            _BY_NONZERO[found] = pruned_sbml(sbml, zero, dead) if zero else ""
        text = _BY_NONZERO[found]
        content = sha256(text) if text else ""
        if text and not (folder / f"{content[:32]}.xml").exists():
            write_cache_entry(folder / f"{content[:32]}.xml", content, text.encode())
        write_cache_entry(folder / f"{key[:32]}.key", key, content.encode())
    _MODELS[key] = text
    return text
