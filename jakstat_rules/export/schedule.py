"""A therapy schedule written into the model's SBML, for COPASI, tellurium and any SBML tool.

:func:`schedule_sbml` takes a model variant's SBML and a
:class:`~jakstat_rules.conditions.Schedule` and returns an SBML L3V2
document in which the schedule is standard SBML, so a plain time course of
the file reproduces :func:`jakstat_rules.schedules.simulate_schedule`:

* **oral pharmacokinetics** (:mod:`jakstat_rules.pk`, one compartment with
  first-order absorption) as two amounts with rate rules, per orally dosed
  drug: ``<drug>_gut`` (nmol; ``d/dt = -ka gut``) and ``<drug>_plasma``
  (nmol; ``d/dt = ka gut - ke plasma``), with the parameters
  ``<drug>_F`` (bioavailability), ``<drug>_molar_mass`` (g/mol),
  ``<drug>_ka_per_h`` (1/h), ``<drug>_t_half_h`` (h), ``<drug>_V`` (L) and
  ``<drug>_fu`` (unbound fraction), each with its source in its notes;
  ``<drug>_ka`` and ``<drug>_ke`` (1/min) follow from them by initial
  assignments;
* the **free drug concentration** drives the model's existing input: the
  parameter ``<drug>_nM`` (which the kinase-occupancy rules read) becomes an
  assignment rule ``<drug>_nM = <drug>_medium_nM + <drug>_plasma_free_nM``,
  ``<drug>_plasma_free_nM = <drug>_fu * <drug>_plasma / <drug>_V``: the
  drug in the medium (a level the schedule may set) plus the free plasma
  concentration;
* every **period** after t = 0 is one SBML event ``period_<k>`` triggered at
  its time (``time >= t``): an oral dose adds ``F * dose * g_per_mg /
  molar_mass * nmol_per_mol`` to the gut; a radiation fraction adds its DNA
  double-strand breaks to ``DSB``; a new input level sets the input
  parameter and the species it doses to the resting amount plus the dose (as
  the core does: a medium change, which also removes secreted free
  cytokine);
* what happens at t = 0 is in the initial values: input levels and the
  first radiation fraction as the input parameters' values (the model's
  initial assignments turn them into amounts), a first oral dose as the
  gut's initial assignment.

For a variant the project pre-equilibrates (JAK2 V617F) the initial state
is the resting state, as in the supplement's SED-ML copies.  Numbers the
model computes from an input (the amounts a level or a fraction adds) are
computed by the simulation core from the same SBML and written as numbers
with their unit.  The core integrates the same PK equations
(:func:`pk_sbml`: this PK part without the events, the doses added between
periods) and reproduces the file to 1e-6 of each readout's range
(``tests/test_export_schedule.py``).
"""
from __future__ import annotations

import numpy as np

from ..conditions import Schedule
from ..errors import JakstatInputError
from ..interface import INPUTS, NEEDS_PREEQUILIBRATION

from .pk_model import PK_UNITS, _dose_formula, _math, _notes, _ok, _pk, _units, pk_sbml

__all__ = ["schedule_sbml", "pk_sbml", "schedule_model_id", "write_rest_state", "PK_UNITS"]

def schedule_model_id(schedule: Schedule) -> str:
    """SBML model id of a schedule's file (``jakstat_ifn_schedule_<schedule id>``)."""
    import re
    return "jakstat_ifn_schedule_" + re.sub(r"[^A-Za-z0-9_]", "_", schedule.id)

def _event(model, k: int, time: float, assignments: list[tuple[str, str]], words: str) -> None:
    event = model.createEvent()
    trigger = event.createTrigger()
    _ok([event.setId(f"period_{k}"), event.setName(f"{time:g} min: {words}"),
         event.setUseValuesFromTriggerTime(True),
         trigger.setInitialValue(True), trigger.setPersistent(True),
         trigger.setMath(_math(f"time >= {float(time)!r} min", f"period {k}"))], f"period {k}")
    for variable, formula in assignments:
        ea = event.createEventAssignment()
        _ok([ea.setVariable(variable), ea.setMath(_math(formula, f"period {k}: {variable}"))],
            f"period {k}: {variable}")


def schedule_sbml(schedule: Schedule, sbml: str | None = None) -> str:
    """SBML L3V2 of the model with ``schedule`` written in (see the module docstring).

    Parameters
    ----------
    schedule
        The schedule (:func:`jakstat_rules.schedules.load_schedule`).
    sbml
        The model's SBML (default: the exported SBML of the schedule's variant).

    Returns
    -------
    str
        The SBML document; libSBML's consistency checks (units included)
        find nothing in it.

    Raises
    ------
    JakstatInputError
        If the model lacks an input the schedule changes.
    """
    import libsbml

    from ..pk import drug_of_dose
    from ..schedules import _added_amounts, _footprints, _levels, oral_doses
    from ..simulate import Simulator, get_simulator
    from .sbml import consistency_report

    sim = get_simulator(schedule.variant) if sbml is None else Simulator(schedule.variant, sbml=sbml)
    doc = libsbml.readSBMLFromString(sim.sbml)
    model = doc.getModel()
    starts, levels, pulses = _levels(schedule)
    used = {n for lv in levels for n in lv} | {n for p in pulses for n in p}
    missing = sorted(n for n in used if model.getParameter(n) is None)
    if missing:
        raise JakstatInputError(f"schedule {schedule.id!r}: the model has no input {missing}: "
                                f"expected inputs of {sorted(INPUTS)}")
    rest = sim.resting_state()
    zero = sim._zero_input_initial
    ids = sim.engine.species_ids
    added = _added_amounts(sim)

    doses = oral_doses(schedule)
    _units(model)
    for drug, given in doses.items():
        _pk(model, drug, sum(mg for t, mg in given if t == 0.0))
    # t = 0: input levels and the first fraction as the parameters' values
    for name, value in {**levels[0], **pulses[0]}.items():
        target = f"{name[:-3]}_medium_nM" if name[:-3] in doses and name.endswith("_nM") else name
        _ok([model.getParameter(target).setValue(float(value))], target)
    if schedule.variant in NEEDS_PREEQUILIBRATION:
        write_rest_state(model, ids, rest, zero, set())
        model.setName(f"{model.getName()}, pre-equilibrated resting state")
    footprints = _footprints(levels, added)
    periods = {float(p.time): p for p in schedule.periods}
    for k in range(1, len(starts)):
        assignments: list[tuple[str, str]] = []
        words = []
        changed = {n: v for n, v in levels[k].items() if levels[k - 1].get(n, 0.0) != v}
        level_added = added(levels[k]) if changed else None
        for name, value in sorted(changed.items()):
            drug = name[:-3] if name.endswith("_nM") else ""
            target = f"{drug}_medium_nM" if drug in doses else name
            par = model.getParameter(target)
            _ok([par.setConstant(False)], target)
            assignments.append((target, f"{float(value)!r} {par.getUnits()}"))
            for i in footprints[name]:
                assignments.append((ids[i], f"{float(rest[i] + level_added[i])!r} molecule"))
            words.append(f"{name} = {value:g}")
        for name, value in sorted(pulses[k].items()):
            delta = added({name: value})
            for i in np.flatnonzero(delta != 0):
                assignments.append((ids[i], f"{ids[i]} + {float(delta[i])!r} molecule"))
            words.append(f"{name} {value:g} (fraction)")
        for target, mg in sorted(periods.get(starts[k], None).changes.items()
                                 if starts[k] in periods else []):
            drug = drug_of_dose(target)
            if drug is not None:
                assignments.append((f"{drug}_gut", f"{drug}_gut + {_dose_formula(drug, mg)}"))
                words.append(f"{drug} {mg:g} mg oral")
        if assignments:
            _event(model, k, starts[k], assignments, "; ".join(words))
    model.setId(schedule_model_id(schedule))
    model.setName(f"{model.getName()}: schedule {schedule.id}")
    model.appendNotes(_notes(
        f"Therapy schedule {schedule.id} ({schedule.description or 'no description'}) written "
        f"into the model by jakstat-rules (jakstat export --schedule): oral doses through a "
        f"one-compartment oral PK model whose free plasma concentration drives the drug inputs, "
        f"every later change an event at its time. Simulate from t = 0 to {schedule.t_end:g} min."))
    text = libsbml.writeSBMLToString(doc)
    problems = consistency_report(text)
    if problems:  # pragma: no cover - construction error
        raise RuntimeError(f"the schedule SBML of {schedule.id!r} fails libSBML's checks: "
                           f"[{problems[0][1]}] {problems[0][2]}")
    return text


def write_rest_state(model, ids, rest, zero, dosed) -> None:
    """Make a model start from its resting state: each species of ``ids`` (not in
    ``dosed``) gets its rest amount ``rest`` (where an initial assignment gives
    its start, the difference ``rest - zero`` is added to it, in molecules)."""
    import libsbml

    for i, sid in enumerate(ids):
        if sid in dosed:
            continue
        delta = float(rest[i] - zero[i])
        ia = model.getInitialAssignment(sid)
        if ia is not None:
            if delta != 0.0:
                formula = libsbml.formulaToL3String(ia.getMath())
                ast = libsbml.parseL3Formula(f"({formula}) + ({delta!r} molecule)")
                if ast is None:  # pragma: no cover - libsbml parse error
                    raise RuntimeError(f"cannot write the resting state of {sid}")
                ia.setMath(ast)
        else:
            model.getSpecies(sid).setInitialAmount(float(rest[i]))
