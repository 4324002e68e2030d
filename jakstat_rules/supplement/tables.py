"""The project's own simulations of the supplement's runs, and the SBML copies the SED-ML runs.

* :func:`run_table` simulates a :class:`~.experiments.Run` with the
  project's :class:`~jakstat_rules.simulate.Simulator` (the one simulation
  core) and returns the table whose columns are the SED-ML report's labels;
* :func:`sedml_model_sbml` writes a variant's SBML as the SED-ML starts it:
  the doses enter by events driven by the input parameters, so the SED-ML
  changes parameters only.  With ``rest`` (JAK2 V617F, whose initial amounts
  are not at rest) its initial state is also the pre-equilibrated resting
  state the Simulator starts that variant's conditions from: initial
  assignments become ``<formula> + <rest - formula at zero input>``, other
  initial amounts the resting amounts, so a dose is added to the resting
  state exactly as in :meth:`~jakstat_rules.simulate.Simulator.run`.
"""
from __future__ import annotations

import dataclasses
from typing import Mapping

import numpy as np
import pandas as pd

from ..formulas import formula_ids, math_text, parse_formula
from ..engine import DEFAULT_ATOL, DEFAULT_RTOL
from ..simulate import Simulator
from ..export.schedule import write_rest_state
from .experiments import Document, Run

__all__ = ["simulator_for", "run_table", "schedule_table", "with_variant_readouts", "dosed_species", "sedml_model_sbml",
           "DOSE_TIME"]

_SIMULATORS: dict[tuple, Simulator] = {}

#: When the dose events of the SED-ML model copies fire (min): as good as
#: t = 0 for every readout (a shift of 1e-9 min), but after the start, see
#: :func:`sedml_model_sbml`.
DOSE_TIME = 1e-9
DOSE_TIME_ID = "dose_time"


def simulator_for(variant: str, parameters: Mapping[str, float] | None = None) -> Simulator:
    """A :class:`Simulator` of ``variant`` with ``parameters`` set (one per distinct set)."""
    key = (variant, tuple(sorted((parameters or {}).items())))
    if key not in _SIMULATORS:
        # the tolerances the supplement's SED-ML states (sedml.py), so a re-run agrees
        _SIMULATORS[key] = Simulator(variant, overrides=dict(parameters or {}),
                                     rtol=DEFAULT_RTOL, atol=DEFAULT_ATOL)
    return _SIMULATORS[key]


def _times(run: Run) -> np.ndarray:
    return np.linspace(0.0, float(run.t_end), int(run.n_points))


def run_table(run: Run) -> pd.DataFrame:
    """Simulate ``run`` with the project's Simulator: columns :attr:`Run.columns`."""
    sim = simulator_for(run.variant, run.parameters)
    times = _times(run)
    if run.schedule is not None:
        return schedule_table(run, sim)
    if run.scan_inner is not None:
        (a, doses_a), (b, doses_b) = run.scan, run.scan_inner
        frames = []
        for dose_a in doses_a:
            for dose_b in doses_b:
                part = sim.run({**run.inputs, a: dose_a, b: dose_b}, times, list(run.readouts))
                part.insert(0, b, float(dose_b))
                part.insert(0, a, float(dose_a))
                frames.append(part)
        return pd.concat(frames, ignore_index=True)[run.columns]
    if run.scan is None:
        table = sim.run(run.inputs, times, list(run.readouts))
    else:
        name, doses = run.scan
        frames = []
        for dose in doses:
            part = sim.run({**run.inputs, name: dose}, times, list(run.readouts))
            part.insert(0, "dose", float(dose))
            frames.append(part)
        table = pd.concat(frames, ignore_index=True)
    for ob in run.observables:
        table[ob.id] = ob.factor * table[ob.readout] + ob.offset
    return table[run.columns]


def schedule_table(run: Run, sim: Simulator | None = None, schedule=None) -> pd.DataFrame:
    """A schedule run simulated by the core (:func:`jakstat_rules.schedules.simulate_schedule`).

    The drug inputs (``<drug>_nM``, the schedule SBML's assignment rules) are
    the free concentrations the core integrates (its ``<drug>_free_nM`` columns).
    """
    from ..conditions import get_schedule
    from ..schedules import simulate_schedule

    schedule = schedule if schedule is not None else get_schedule(run.schedule)
    sim = sim if sim is not None else simulator_for(run.variant)
    drugs = [r for r in run.readouts if r.endswith("_nM")]
    readouts = [r for r in run.readouts if r not in drugs]
    table = simulate_schedule(schedule, readouts, _times(run), simulator=sim)
    for drug in drugs:
        table[drug] = table[f"{drug[:-3]}_free_nM"]
    return table[run.columns]


def with_variant_readouts(document: Document) -> Document:
    """``document`` without the readouts a run's variant does not have.

    (``SOCS1_total`` of the SOCS1-loss model, for example.)
    """
    from ..interface import INPUTS

    runs = []
    for run in document.runs:
        sim = simulator_for(run.variant, run.parameters)
        readouts = tuple(r for r in run.readouts if r in sim.readouts or r in INPUTS)
        runs.append(dataclasses.replace(run, readouts=readouts))
    return dataclasses.replace(document, runs=tuple(runs))


def dosed_species(variant: str) -> list[str]:
    """Species whose initial amount depends on an input (the ligands in the medium, DSBs)."""
    from ..interface import INPUTS

    sim = simulator_for(variant)
    engine = sim.engine
    engine.start({})
    zero = engine.state
    engine.start({name: 1.0 for name in INPUTS})
    changed = np.abs(engine.state - zero) > 1e-12 * (1.0 + np.abs(zero))
    return [engine.species_ids[i] for i in np.flatnonzero(changed)]


def sedml_model_sbml(variant: str, rest: bool = False) -> str:
    """SBML of ``variant`` prepared for the SED-ML: doses enter by events, inputs are parameters.

    The same model as the variant's SBML, except for the species a dose puts
    into the model (:func:`dosed_species`: the ligands in the medium, DSBs).
    They carry no initial assignment; they start from their amount at zero
    input, and an event ``dose_<species>`` adds the dose (the variant's
    initial assignment minus its value at zero input) at ``dose_time`` =
    :data:`DOSE_TIME` min.  Until then the dose is *pending*: a parameter
    ``pending_<species>`` (an assignment rule, the dose before ``dose_time``,
    0 after) is added wherever a readout reads the species, so every readout
    is the same as in the model at every output time, t = 0 included.

    A simulation experiment then sets input *parameters* only.  This is what
    the engines need: tellurium 2.2 resets a repeated task's model *before*
    it sets the input of the next dose, and libroadrunner evaluates initial
    assignments and events true at the start at the reset, so an initial
    assignment (or an event at t = 0) would keep the previous dose; changing
    an initial amount instead makes libroadrunner 2.10 regenerate this model
    (30 s or more each time).  The project's simulations put the dose in at
    t = 0; ``dose_time`` differs from it by 1e-9 min, far below what any
    readout resolves.

    With ``rest``, the initial state is also the pre-equilibrated resting
    state (see the module docstring).
    """
    import libsbml

    from ..artifacts import model_sbml

    sim = simulator_for(variant)
    start = sim.resting_state() if rest else None
    sim.engine.start({})
    zero = sim.engine.state
    ids = sim.engine.species_ids
    dosed = set(dosed_species(variant))
    doc = libsbml.readSBMLFromString(model_sbml(variant))
    model = doc.getModel()
    if dosed:
        _dose_time(model)
    for i, sid in enumerate(ids):
        if sid in dosed:
            ia = model.getInitialAssignment(sid)
            dose = libsbml.formulaToL3String(ia.getMath())
            if zero[i] != 0.0:
                dose = f"({dose}) - ({float(zero[i])!r} molecule)"
            model.removeInitialAssignment(sid)
            value = float(zero[i] if start is None else start[i])
            model.getSpecies(sid).setInitialAmount(value)
            _dose_event(model, sid, dose)
            _pending_dose(model, sid, dose)
    paragraphs = [f"Prepared for the SED-ML of the jakstat-rules supplement: the species "
                  f"{', '.join(sorted(dosed))} start from their amount at zero input; the "
                  f"events dose_&lt;species&gt; add the dose the input parameters give at "
                  f"dose_time ({DOSE_TIME:g} min), and readouts count the dose as present "
                  f"from t = 0 (parameters pending_&lt;species&gt;), so a simulation "
                  f"experiment changes parameters only."]
    if start is not None:
        model.setId(f"{model.getId()}_rest")
        model.setName(f"{model.getName()}, pre-equilibrated resting state")
        paragraphs.append("The initial state is the pre-equilibrated resting state (every "
                          "input 0) the project's simulator starts this variant's conditions "
                          "from; doses given at t = 0 are added to it.")
        write_rest_state(model, ids, start, zero, dosed)
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    model.appendNotes(f'<body xmlns="http://www.w3.org/1999/xhtml">{body}</body>')
    return libsbml.writeSBMLToString(doc)


def _ok(codes, what: str) -> None:
    import libsbml
    if any(c != libsbml.LIBSBML_OPERATION_SUCCESS for c in codes):  # pragma: no cover
        raise RuntimeError(f"cannot write {what}")


def _parse(formula: str, what: str):
    import libsbml
    math = libsbml.parseL3Formula(formula)
    if math is None:  # pragma: no cover - libsbml parse error
        raise RuntimeError(f"cannot write {what}: {libsbml.getLastParseL3Error()}")
    return math


def _dose_time(model) -> None:
    """The parameter ``dose_time``: when the dose events fire (:data:`DOSE_TIME` min)."""
    par = model.createParameter()
    _ok([par.setId(DOSE_TIME_ID), par.setName("time the dose enters"), par.setValue(DOSE_TIME),
         par.setUnits(model.getTimeUnits()), par.setConstant(True),
         par.setNotes(f'<body xmlns="http://www.w3.org/1999/xhtml"><p>The dose events fire at '
                      f'{DOSE_TIME:g} min rather than at 0: libroadrunner fires an event that is '
                      f'true at the start when the model is reset, which tellurium does before '
                      f'a repeated task sets the input of the next dose.</p></body>')],
        DOSE_TIME_ID)


def _dose_event(model, sid: str, dose: str) -> None:
    """Event ``dose_<sid>``: at ``dose_time``, ``sid += dose``."""
    event = model.createEvent()
    trigger = event.createTrigger()
    assignment = event.createEventAssignment()
    _ok([event.setId(f"dose_{sid}"), event.setName(f"dose of {sid}"),
         event.setUseValuesFromTriggerTime(True),
         trigger.setInitialValue(False), trigger.setPersistent(True),
         trigger.setMath(_parse(f"time >= {DOSE_TIME_ID}", f"dose event of {sid}")),
         assignment.setVariable(sid),
         assignment.setMath(_parse(f"{sid} + ({dose})", f"dose event of {sid}"))],
        f"the dose event of {sid}")


def _pending_dose(model, sid: str, dose: str) -> None:
    """``pending_<sid>`` (the dose before ``dose_time``), added where assignment rules read ``sid``.

    Refused if such a rule feeds a rate law (then the readout is not all it changes).
    """
    pid = f"pending_{sid}"
    par = model.createParameter()
    rule = model.createAssignmentRule()
    units = model.getSpecies(sid).getSubstanceUnits() or model.getSubstanceUnits()
    _ok([par.setId(pid), par.setName(f"{sid} dose not yet added"), par.setConstant(False),
         par.setUnits(units), rule.setVariable(pid),
         rule.setMath(_parse(f"piecewise({dose}, time < {DOSE_TIME_ID}, 0 {units})", pid))],
        pid)
    changed = set()
    for r in model.getListOfRules():
        if r.getVariable() != pid and sid in _names(r.getMath()):
            r.getMath().replaceArgument(sid, _parse(f"({sid} + {pid})", pid))
            changed.add(r.getVariable())
    grown = True
    while grown:  # rules that read a changed rule change too
        more = {r.getVariable() for r in model.getListOfRules() if _names(r.getMath()) & changed}
        grown = not more <= changed
        changed |= more
    for rx in model.getListOfReactions():
        if _names(rx.getKineticLaw().getMath()) & changed:  # pragma: no cover - not in our models
            raise RuntimeError(f"rate law of {rx.getId()} reads {sid} through a rule: "
                               f"the pending dose would change the dynamics")


def _names(math_element) -> set[str]:
    """Ids a libSBML math element uses (read as text: :mod:`jakstat_rules.formulas`)."""
    return formula_ids(parse_formula(math_text(math_element)))
