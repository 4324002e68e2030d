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

__all__ = ["schedule_sbml", "pk_sbml", "schedule_model_id", "PK_UNITS"]

#: Unit definitions the PK part adds: id -> [(kind, exponent, scale, multiplier)].
PK_UNITS: dict[str, list[tuple[str, int, int, float]]] = {
    "nmol": [("mole", 1, -9, 1.0)],
    "mg": [("gram", 1, -3, 1.0)],
    "g_per_mol": [("gram", 1, 0, 1.0), ("mole", -1, 0, 1.0)],
    "g_per_mg": [("gram", 1, 0, 1.0), ("gram", -1, -3, 1.0)],
    "nmol_per_mol": [("mole", 1, -9, 1.0), ("mole", -1, 0, 1.0)],
    "h": [("second", 1, 0, 3600.0)],
    "per_h": [("second", -1, 0, 3600.0)],
    "min_per_h": [("second", 1, 0, 60.0), ("second", -1, 0, 3600.0)],
}


def schedule_model_id(schedule: Schedule) -> str:
    """SBML model id of a schedule's file (``jakstat_ifn_schedule_<schedule id>``)."""
    import re
    return "jakstat_ifn_schedule_" + re.sub(r"[^A-Za-z0-9_]", "_", schedule.id)


def _ok(codes, what: str) -> None:
    import libsbml
    bad = [c for c in codes if c != libsbml.LIBSBML_OPERATION_SUCCESS]
    if bad:  # pragma: no cover - construction error
        raise RuntimeError(f"cannot write {what} (libsbml code {bad[0]})")


def _math(formula: str, what: str):
    import libsbml
    ast = libsbml.parseL3Formula(formula)
    if ast is None:  # pragma: no cover - construction error
        raise RuntimeError(f"cannot write {what}: {libsbml.getLastParseL3Error()}")
    return ast


def _notes(text: str) -> str:
    from xml.sax.saxutils import escape
    return f'<body xmlns="http://www.w3.org/1999/xhtml"><p>{escape(text)}</p></body>'


def _units(model) -> None:
    import libsbml
    for uid, parts in PK_UNITS.items():
        if model.getUnitDefinition(uid) is not None:
            continue
        ud = model.createUnitDefinition()
        _ok([ud.setId(uid), ud.setName(uid.replace("_per_", " per "))], uid)
        for kind, exponent, scale, multiplier in parts:
            unit = ud.createUnit()
            _ok([unit.setKind(libsbml.UnitKind_forName(kind)), unit.setExponent(exponent),
                 unit.setScale(scale), unit.setMultiplier(multiplier)], uid)


def _parameter(model, pid: str, value: float | None, units: str, name: str, note: str = "",
               constant: bool = True):
    par = model.createParameter()
    codes = [par.setId(pid), par.setName(name), par.setUnits(units), par.setConstant(constant)]
    if value is not None:
        codes.append(par.setValue(float(value)))
    if note:
        codes.append(par.setNotes(_notes(note)))
    _ok(codes, pid)
    return par


def _initial_assignment(model, sid: str, formula: str) -> None:
    ia = model.createInitialAssignment()
    _ok([ia.setSymbol(sid), ia.setMath(_math(formula, sid))], f"initial assignment of {sid}")


def _assignment_rule(model, sid: str, formula: str) -> None:
    rule = model.createAssignmentRule()
    _ok([rule.setVariable(sid), rule.setMath(_math(formula, sid))], f"rule of {sid}")


def _rate_rule(model, sid: str, formula: str) -> None:
    rule = model.createRateRule()
    _ok([rule.setVariable(sid), rule.setMath(_math(formula, sid))], f"rate rule of {sid}")


def _dose_formula(drug: str, mg: float) -> str:
    """The nmol of an oral dose of ``mg`` that reach plasma, as a formula with units."""
    return f"{drug}_F * {float(mg)!r} mg * g_per_mg / {drug}_molar_mass * nmol_per_mol"


def _pk(model, drug: str, first_dose: float) -> None:
    """Parameters, rules and amounts of the oral PK of ``drug`` (see the module docstring)."""
    from ..pk import get_pk

    pk = get_pk(drug)
    src = f"Source: {pk.source}."
    for pid, value, units, name in (
            ("min_per_h", 60.0, "min_per_h", "minutes per hour"),
            ("g_per_mg", 1e-3, "g_per_mg", "grams per milligram"),
            ("nmol_per_mol", 1e9, "nmol_per_mol", "nanomoles per mole")):
        if model.getParameter(pid) is None:
            _parameter(model, pid, value, units, name, "Unit conversion constant.")
    _parameter(model, f"{drug}_F", pk.bioavailability, "dimensionless",
               f"{drug} oral bioavailability", src)
    _parameter(model, f"{drug}_molar_mass", pk.molar_mass, "g_per_mol",
               f"{drug} molar mass (free base)", src)
    _parameter(model, f"{drug}_ka_per_h", pk.ka_per_h, "per_h", f"{drug} absorption rate constant",
               src + " ka derived from the reported time of the peak, t_max = ln(ka/ke)/(ka - ke) "
               "= 1 h.")
    _parameter(model, f"{drug}_t_half_h", pk.t_half_h, "h", f"{drug} elimination half-life", src)
    _parameter(model, f"{drug}_V", pk.volume_L, "L", f"{drug} apparent volume of distribution", src)
    _parameter(model, f"{drug}_fu", pk.fraction_unbound, "dimensionless",
               f"{drug} unbound fraction in plasma", src)
    _parameter(model, f"{drug}_ka", pk.ka, "per_min", f"{drug} absorption rate constant (per min)")
    _initial_assignment(model, f"{drug}_ka", f"{drug}_ka_per_h / min_per_h")
    _parameter(model, f"{drug}_ke", pk.ke, "per_min", f"{drug} elimination rate constant (per min)",
               "ke = ln 2 / t_half.")
    _initial_assignment(model, f"{drug}_ke", f"ln(2 dimensionless) / ({drug}_t_half_h * min_per_h)")
    _parameter(model, f"{drug}_gut", 0.0, "nmol", f"{drug} in the gut depot (absorbable part of "
               f"the oral doses)", "Every oral dose adds F * dose / molar mass.", constant=False)
    if first_dose:
        _initial_assignment(model, f"{drug}_gut", _dose_formula(drug, first_dose))
    _rate_rule(model, f"{drug}_gut", f"-{drug}_ka * {drug}_gut")
    _parameter(model, f"{drug}_plasma", 0.0, "nmol", f"{drug} in plasma (total)", constant=False)
    _rate_rule(model, f"{drug}_plasma", f"{drug}_ka * {drug}_gut - {drug}_ke * {drug}_plasma")
    _parameter(model, f"{drug}_plasma_free_nM", None, "nM", f"free {drug} in plasma",
               "Unbound fraction times the total plasma concentration.", constant=False)
    _assignment_rule(model, f"{drug}_plasma_free_nM", f"{drug}_fu * {drug}_plasma / {drug}_V")
    # the model's input: the drug in the medium plus the free plasma drug
    inp = model.getParameter(f"{drug}_nM")
    medium = inp.getValue() if inp.isSetValue() else 0.0
    _parameter(model, f"{drug}_medium_nM", medium, "nM", f"{drug} in the medium",
               f"The {drug}_nM input of the model without the oral doses; the schedule's "
               f"{drug}_nM levels set it.", constant=False)
    _ok([inp.setConstant(False), inp.unsetValue(),
         inp.setNotes(_notes(f"Free {drug} the kinases see: the drug in the medium plus the free "
                             f"plasma concentration of the oral doses (assignment rule)."), True)],
        f"{drug}_nM")
    _assignment_rule(model, f"{drug}_nM", f"{drug}_medium_nM + {drug}_plasma_free_nM")


def pk_sbml(sbml: str, drugs) -> str:
    """The model's SBML with the oral PK of ``drugs`` and no events: what the core simulates.

    Every drug gets the PK part of :func:`schedule_sbml` (``<drug>_gut`` and
    ``<drug>_plasma`` with rate rules, ``<drug>_nM`` the assignment rule
    ``<drug>_medium_nM + <drug>_plasma_free_nM``), with the gut empty; the
    simulation core (:func:`jakstat_rules.schedules.simulate_schedule`) adds
    the doses to ``<drug>_gut`` at their times and sets the medium level as
    ``<drug>_medium_nM``.  One compiled model per variant and set of drugs,
    whatever the schedule.
    """
    import libsbml

    doc = libsbml.readSBMLFromString(sbml)
    model = doc.getModel()
    missing = sorted(d for d in drugs if model.getParameter(f"{d}_nM") is None)
    if missing:
        raise JakstatInputError(f"the model has no input {[f'{d}_nM' for d in missing]}: "
                                f"expected a model with the drug inputs")
    _units(model)
    for drug in sorted(drugs):
        _pk(model, drug, 0.0)
    return libsbml.writeSBMLToString(doc)


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
    from ..supplement.tables import _rest_state
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
        _rest_state(model, ids, rest, zero, set())
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
