"""Checks the supplement build runs, reported in the archive (``report/checks.json``, the report).

* every SBML file: libSBML ``checkConsistency`` (units included), errors and warnings counted;
* every SED-ML file: libSEDML read errors, and every reference resolves
  (:func:`sedml_references`: model files exist, task / simulation / model /
  range / data generator ids, XPath targets name a parameter or species of
  the model file);
* cross-simulator agreement: the standard conditions of the default model
  simulated by COPASI on the shipped SBML against the project's tables
  (largest difference relative to each readout's range);
* fit quality: the fit summary (best likelihood, converged starts) and the
  validation (R^2, NRMSE).
"""
from __future__ import annotations

import posixpath
import re
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from .experiments import Document

__all__ = ["run_checks", "sedml_references", "relative_difference"]

_TARGET = re.compile(r"sbml:(parameter|species)\[@id='([^']+)'\]")


def relative_difference(ours: pd.DataFrame, theirs: pd.DataFrame, columns: Sequence[str],
                        floor: float = 1e-3) -> tuple[float, str]:
    """Largest ``|ours - theirs| / max(range of ours, floor)`` over ``columns`` and where.

    The floor (molecules per cell) keeps readouts that stay numerically
    zero (range below 1e-3 molecules) from dividing by rounding noise.
    """
    worst, where = 0.0, ""
    for col in columns:
        a = ours[col].to_numpy(dtype=float)
        b = np.asarray(theirs[col], dtype=float)
        span = max(float(a.max() - a.min()), floor)
        d = float(np.max(np.abs(a - b))) / span
        if d > worst:
            worst, where = d, col
    return worst, where


def _sbml_check(root: Path, rel: str) -> dict:
    import libsbml

    doc = libsbml.readSBMLFromFile(str(root / rel))
    doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, True)
    doc.checkConsistency()
    errors = sum(doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR
                 for i in range(doc.getNumErrors()))
    warnings = doc.getNumErrors() - errors
    return {"check": f"SBML validity (libSBML checkConsistency with units): {rel}",
            "result": f"{errors} errors, {warnings} warnings", "passed": errors == 0}


def sedml_references(root: Path, rel: str) -> list[str]:
    """Problems with the references of the SED-ML file ``rel`` below ``root`` (empty: none)."""
    import libsbml
    import libsedml

    doc = libsedml.readSedMLFromFile(str(root / rel))
    problems = [f"libsedml: {doc.getError(i).getMessage().strip()}" for i in range(doc.getNumErrors())
                if doc.getError(i).getSeverity() >= libsedml.LIBSEDML_SEV_ERROR]
    ids: dict[str, set[str]] = {}
    for i in range(doc.getNumModels()):
        m = doc.getModel(i)
        path = posixpath.normpath(posixpath.join(posixpath.dirname(rel), m.getSource()))
        if not (root / path).is_file():
            problems.append(f"model {m.getId()}: source {m.getSource()} not in the archive")
            continue
        sdoc = libsbml.readSBMLFromFile(str(root / path))  # kept alive while its model is read
        sm = sdoc.getModel()
        ids[m.getId()] = ({p.getId() for p in sm.getListOfParameters()}
                          | {s.getId() for s in sm.getListOfSpecies()})
        for k in range(m.getNumChanges()):
            _target(m.getChange(k).getTarget(), ids[m.getId()], f"model {m.getId()}", problems)
    tasks = {doc.getTask(i).getId(): doc.getTask(i) for i in range(doc.getNumTasks())}
    sims = {doc.getSimulation(i).getId() for i in range(doc.getNumSimulations())}

    def model_of(task) -> str | None:
        if task.getTypeCode() == libsedml.SEDML_TASK:
            if task.getSimulationReference() not in sims:
                problems.append(f"task {task.getId()}: unknown simulation")
            return task.getModelReference()
        sub = task.getSubTask(0)
        return model_of(tasks[sub.getTask()]) if sub and sub.getTask() in tasks else None

    for tid, task in tasks.items():
        mid = model_of(task)
        if mid not in ids:
            problems.append(f"task {tid}: unknown model {mid!r}")
        if task.getTypeCode() == libsedml.SEDML_TASK_REPEATEDTASK:
            ranges = {task.getRange(k).getId() for k in range(task.getNumRanges())}
            if task.getRangeId() not in ranges:
                problems.append(f"repeated task {tid}: unknown range")
            for k in range(task.getNumTaskChanges()):
                ch = task.getTaskChange(k)
                if ch.getRange() not in ranges:
                    problems.append(f"repeated task {tid}: change with unknown range")
                _target(ch.getTarget(), ids.get(mid, set()), f"repeated task {tid}", problems)
    dgs = set()
    for i in range(doc.getNumDataGenerators()):
        dg = doc.getDataGenerator(i)
        dgs.add(dg.getId())
        for k in range(dg.getNumVariables()):
            var = dg.getVariable(k)
            task = tasks.get(var.getTaskReference())
            if task is None:
                problems.append(f"data generator {dg.getId()}: unknown task")
            elif var.isSetTarget():
                _target(var.getTarget(), ids.get(model_of(task), set()),
                        f"data generator {dg.getId()}", problems)
    for i in range(doc.getNumOutputs()):
        out = doc.getOutput(i)
        if out.getTypeCode() == libsedml.SEDML_OUTPUT_REPORT:
            refs = [out.getDataSet(k).getDataReference() for k in range(out.getNumDataSets())]
        else:
            refs = [r for k in range(out.getNumCurves())
                    for r in (out.getCurve(k).getXDataReference(), out.getCurve(k).getYDataReference())]
        problems += [f"output {out.getId()}: unknown data generator {r}" for r in refs if r not in dgs]
    return problems


def _target(xpath: str, ids: set[str], where: str, problems: list[str]) -> None:
    m = _TARGET.search(xpath)
    if m is None or m.group(2) not in ids:
        problems.append(f"{where}: target {xpath} names nothing in its model")


def _copasi_agreement(root: Path, documents: Sequence[Document], tables: dict) -> dict:
    from ..export.copasi import load_sbml
    from .experiments import model_file

    runs = [r for r in documents[0].runs if r.variant == "default"]
    model = load_sbml((root / model_file("default")).read_text(encoding="utf-8"))
    worst, where = 0.0, ""
    for run in runs:
        theirs = model.time_course(run.inputs, list(run.readouts), duration=run.t_end,
                                   steps=run.n_points - 1)
        d, col = relative_difference(tables[run.id], theirs, list(run.readouts))
        if d > worst:
            worst, where = d, f"{run.id}, {col}"
    return {"check": f"cross-simulator agreement: COPASI on {model_file('default')} vs the "
                     f"project's tables, {len(runs)} standard conditions, every readout",
            "result": f"largest difference {worst:.1e} of the readout's range ({where})",
            "passed": worst <= 1e-6, "value": worst}


def run_checks(root: Path, documents: Sequence[Document], tables: dict, fit,
               copasi: bool = True) -> list[dict]:
    """Run the checks on the unpacked archive ``root``; one row per check."""
    rows = [_sbml_check(root, p.relative_to(root).as_posix())
            for p in sorted((root / "models").rglob("*.xml"))]
    for d in documents:
        problems = sedml_references(root, d.file)
        rows.append({"check": f"SED-ML L1V4 (libSEDML read errors, every reference resolves): "
                              f"{d.file}",
                     "result": "; ".join(problems[:3]) or f"0 errors, {len(d.runs)} tasks",
                     "passed": not problems})
    if copasi:
        rows.append(_copasi_agreement(root, documents, tables))
    from ..calibrate.racing import abandoned_note

    s = fit.summary
    rows.append({"check": "fit quality (summary.json)",
                 "result": f"best NLL {float(s['best_fval']):.2f}, {s.get('n_converged')} of "
                           f"{s.get('n_finished')} starts within {s.get('convergence_tolerance')}"
                           + abandoned_note(s),
                 "passed": bool(s.get("n_finished"))})
    if fit.validation:
        v = fit.validation
        rows.append({"check": "prediction of the validation experiment (validation.json)",
                     "result": f"R2 = {float(v['r2']):.3f}, NRMSE = {float(v['nrmse']):.3f}",
                     "passed": True})
    return rows
