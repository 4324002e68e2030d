"""The project's own simulations of the supplement's runs, and what the SED-ML needs from them.

* :func:`run_table` simulates a :class:`~.experiments.Run` with the
  project's :class:`~jakstat_rules.simulate.Simulator` (the one simulation
  core) and returns the table whose columns are the SED-ML report's labels;
* :func:`add_start_amounts` records, for every run, the species amounts the
  inputs put into the model (see :attr:`.experiments.Run.start_amounts`);
* :func:`rest_model_sbml` writes a variant's SBML whose initial state is the
  pre-equilibrated resting state the Simulator starts that variant's
  conditions from (JAK2 V617F: its initial amounts are not at rest).  Initial
  assignments become ``<formula> + <rest - formula at zero input>``, other
  initial amounts the resting amounts, so a dose given at t = 0 is added to
  the resting state exactly as in :meth:`~jakstat_rules.simulate.Simulator.run`.
"""
from __future__ import annotations

import dataclasses
from typing import Mapping

import numpy as np
import pandas as pd

from ..interface import NEEDS_PREEQUILIBRATION
from ..simulate import Simulator
from .experiments import Document, Run

__all__ = ["simulator_for", "run_table", "add_start_amounts", "dosed_species", "sedml_model_sbml"]

_SIMULATORS: dict[tuple, Simulator] = {}


def simulator_for(variant: str, parameters: Mapping[str, float] | None = None) -> Simulator:
    """A :class:`Simulator` of ``variant`` with ``parameters`` set (one per distinct set)."""
    key = (variant, tuple(sorted((parameters or {}).items())))
    if key not in _SIMULATORS:
        _SIMULATORS[key] = Simulator(variant, overrides=dict(parameters or {}))
    return _SIMULATORS[key]


def _times(run: Run) -> np.ndarray:
    return np.linspace(0.0, float(run.t_end), int(run.n_points))


def run_table(run: Run) -> pd.DataFrame:
    """Simulate ``run`` with the project's Simulator: columns :attr:`Run.columns`."""
    sim = simulator_for(run.variant, run.parameters)
    times = _times(run)
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
        table[ob.id] = ob.factor * table[ob.readout]
    return table[run.columns]


def _start_state(sim: Simulator, inputs: Mapping[str, float]) -> np.ndarray:
    """Amounts a condition with ``inputs`` starts from: resting state plus what the inputs add."""
    rest = sim.resting_state()
    engine = sim.engine
    engine.start(dict(sim.overrides))
    zero = engine.state
    engine.start({**sim.overrides, **inputs})
    return rest + (engine.state - zero)


def _file_state(sim: Simulator, rest_file: bool) -> np.ndarray:
    """Initial amounts of the run's SBML file with the run's parameter changes, no input."""
    if rest_file:
        return sim.resting_state()
    sim.engine.start(dict(sim.overrides))
    return sim.engine.state


def add_start_amounts(document: Document) -> Document:
    """``document`` with :attr:`Run.start_amounts` filled in from the model.

    For each run (and each dose of a scan): the species whose starting
    amount differs from the initial amount of the run's SBML file.  Readouts
    the run's variant does not have (``SOCS1_total`` of the SOCS1-loss
    model) are dropped.
    """
    runs = []
    for run in document.runs:
        sim = simulator_for(run.variant, run.parameters)
        base = _file_state(sim, run.variant in NEEDS_PREEQUILIBRATION)
        ids = sim.engine.species_ids
        if run.scan is None:
            states = [_start_state(sim, run.inputs)]
        else:
            name, doses = run.scan
            states = [_start_state(sim, {**run.inputs, name: d}) for d in doses]
        stack = np.array(states)
        differs = np.any(np.abs(stack - base) > 1e-12 * (1.0 + np.abs(base)), axis=0)
        amounts = {ids[i]: tuple(float(v) for v in stack[:, i]) for i in np.flatnonzero(differs)}
        readouts = tuple(r for r in run.readouts if r in sim.readouts)  # a variant may lack some
        runs.append(dataclasses.replace(run, start_amounts=amounts, readouts=readouts))
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
    """SBML of ``variant`` prepared for the SED-ML: doses enter as initial amounts.

    The same model as the variant's SBML, except that the species a dose
    puts into the model (:func:`dosed_species`) carry no initial assignment:
    their initial amount is the one with every input 0, and the SED-ML sets
    it for each dose next to the input parameter.  (Engines that apply a
    model change to a parameter without re-evaluating the initial
    assignments that depend on it, such as tellurium 2.2, would otherwise
    start without the dose; removing the assignment by a model change makes
    libroadrunner recompile the model, minutes for this one.)

    With ``rest``, the initial state is also the pre-equilibrated resting
    state (see the module docstring).
    """
    import libsbml

    from ..network import model_sbml

    sim = simulator_for(variant)
    start = sim.resting_state() if rest else None
    sim.engine.start({})
    zero = sim.engine.state
    ids = sim.engine.species_ids
    dosed = set(dosed_species(variant))
    doc = libsbml.readSBMLFromString(model_sbml(variant))
    model = doc.getModel()
    for i, sid in enumerate(ids):
        if sid in dosed:
            model.removeInitialAssignment(sid)
            value = float(zero[i] if start is None else start[i])
            model.getSpecies(sid).setInitialAmount(value)
    paragraphs = [f"Prepared for the SED-ML of the jakstat-rules supplement: the species "
                  f"{', '.join(sorted(dosed))} start from the amount given by the SED-ML "
                  f"(computed from the input doses) instead of an initial assignment."]
    if start is not None:
        model.setId(f"{model.getId()}_rest")
        model.setName(f"{model.getName()}, pre-equilibrated resting state")
        paragraphs.append("The initial state is the pre-equilibrated resting state (every "
                          "input 0) the project's simulator starts this variant's conditions "
                          "from; doses given at t = 0 are added to it.")
        _rest_state(model, ids, start, zero, dosed)
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    model.appendNotes(f'<body xmlns="http://www.w3.org/1999/xhtml">{body}</body>')
    return libsbml.writeSBMLToString(doc)


def _rest_state(model, ids, rest, zero, dosed) -> None:
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
