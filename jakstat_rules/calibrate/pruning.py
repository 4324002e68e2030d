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
:func:`nonzero_at_start` collects the species a problem's simulation units
start non-zero or set non-zero; :class:`~.compiled.CompiledProblem` uses
the three.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

__all__ = ["structural_zeros", "reachability", "pruned_sbml", "nonzero_at_start"]


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


def structural_zeros(sbml: str, nonzero: Iterable[str]) -> set[str]:
    """Species of ``sbml`` that stay zero at all times when only ``nonzero`` may start non-zero
    (:func:`reachability`'s first half)."""
    return reachability(sbml, nonzero)[0]


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


def nonzero_at_start(simulator, p_values: Sequence[np.ndarray]) -> set[str]:
    """Species a problem's simulation units may start non-zero or set non-zero.

    Every unit's first period is applied on ``simulator``'s engine (SBML
    defaults, the condition's values, initial assignments evaluated) at each
    parameter vector of ``p_values``; a species non-zero in any counts.  A
    later period's species values count if non-zero at any vector, or if
    they are formulas that read the model.

    Parameters
    ----------
    simulator
        A :class:`~.simulation.ConditionSimulator` on the unpruned model.
    p_values
        Linear values of the estimated parameters to try (the nominal values
        and points with every parameter at a different place of its range:
        an initial value that is zero at all of them is taken to be zero by
        structure, e.g. a dose of 0 times a constant).
    """
    eng = simulator.engine
    found: set[str] = set()
    ids = np.array(eng.species_ids)
    for unit in simulator.plan.units:
        for p in p_values:
            simulator.start_unit(unit, p)
            found |= set(ids[np.asarray(eng.state) != 0.0].tolist())
        for period in unit.periods[1:]:
            settings = period.settings
            if settings.reads_model:
                found |= {a.target for a in settings.states}
                continue
            for p in p_values:
                found |= {sid for sid, v in settings.state_values(p).items() if v != 0.0}
    return found
