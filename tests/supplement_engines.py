"""Run the supplement's SED-ML with engines the project does not use for its figures.

``python tests/supplement_engines.py tellurium|copasi ARCHIVE.omex OUT.json``
writes ``{report id: {column: [values ...]}}`` for every report of every SED-ML
file in the archive, the columns named by the reports' dataset labels:

* **tellurium**: ``tellurium.executeCombineArchive`` (its own SED-ML
  interpreter on libroadrunner) executes the archive; the data generators it
  returns are arranged by the reports;
* **COPASI** (python-copasi bindings): the SED-ML is interpreted here with
  libsedml - model file and changes, uniform time course with the SED-ML's
  tolerances, repeated-task ranges and set-values, data generators - and
  every simulation runs in COPASI (LSODA).  COPASI 4.48's own SED-ML import
  takes one model per file, so it cannot run these files as written.

Each engine runs in its own process (the test starts both at once), so
their SWIG libraries never share a process with the project's.
"""
from __future__ import annotations

import itertools
import json
import math
import re
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

_ID = re.compile(r"@id='([^']+)'")


def _reports(doc):
    import libsedml
    for i in range(doc.getNumOutputs()):
        out = doc.getOutput(i)
        if out.getTypeCode() == libsedml.SEDML_OUTPUT_REPORT:
            yield out


def _sedml_files(folder: Path) -> list[Path]:
    import libcombine
    archive = libcombine.CombineArchive()
    archive.initializeFromArchive(str(folder / "archive.omex"))
    files = [archive.getEntry(i).getLocation() for i in range(archive.getNumEntries())
             if "sed-ml" in archive.getEntry(i).getFormat()]
    archive.cleanUp()
    return [folder / f for f in files]


def _evaluate(dg, values: dict[str, np.ndarray]) -> np.ndarray:
    import libsedml
    names = {**values, **{dg.getParameter(k).getId(): dg.getParameter(k).getValue()
                          for k in range(dg.getNumParameters())}}
    expr = libsedml.formulaToL3String(dg.getMath())
    return np.asarray(eval(expr, {"__builtins__": {}}, names), dtype=float)  # noqa: S307


# ----------------------------------------------------------------------------- tellurium
def run_tellurium(folder: Path) -> dict:
    import libsedml
    import tellurium as te

    results = te.executeCombineArchive(str(folder / "archive.omex"), createOutputs=False)
    ours = {p.name: p for p in _sedml_files(folder)}
    out = {}
    for sedml_path, result in results.items():
        # tellurium runs a copy in a temporary folder it has deleted by now: read ours
        doc = libsedml.readSedMLFromFile(str(ours[Path(sedml_path).name]))
        data = result["dataGenerators"]
        for rep in _reports(doc):
            columns = {}
            for k in range(rep.getNumDataSets()):
                ds = rep.getDataSet(k)
                arr = np.asarray(data[ds.getDataReference()], dtype=float)
                columns[ds.getLabel()] = arr.T.ravel().tolist()  # dose after dose
            out[rep.getId()] = columns
    return out


# ----------------------------------------------------------------------------- COPASI
class _CopasiModel:
    def __init__(self, sbml_path: Path, doc, model_id: str):
        import COPASI
        self.C = COPASI
        self.dm = COPASI.CRootContainer.addDatamodel()
        if not self.dm.importSBML(str(sbml_path)):
            raise RuntimeError(f"COPASI cannot import {sbml_path}")
        self.model = self.dm.getModel()
        sed = doc.getModel(model_id)
        for k in range(sed.getNumChanges()):
            ch = sed.getChange(k)
            self.set(ch.getTarget(), float(ch.getNewValue()))
        self.baseline = {}

    def _object(self, target: str):
        sid = _ID.search(target).group(1)
        if "sbml:species" in target:
            for i in range(self.model.getNumMetabs()):
                m = self.model.getMetabolite(i)
                if m.getSBMLId() == sid:
                    return m, "species"
        for i in range(self.model.getNumModelValues()):
            mv = self.model.getModelValue(i)
            if mv.getSBMLId() == sid:
                return mv, "value"
        raise KeyError(sid)

    def set(self, target: str, value: float) -> None:
        obj, kind = self._object(target)
        if kind == "species":
            obj.setInitialValue(value)  # particle number = amount in molecules
        else:
            obj.setInitialValue(value)
        self.model.updateInitialValues(obj.getInitialValueReference())

    def time_course(self, sim, selections: list[str]) -> dict[str, np.ndarray]:
        C = self.C
        task = self.dm.getTask("Time-Course")
        task.setMethodType(C.CTaskEnum.Method_deterministic)
        problem = task.getProblem()
        problem.setModel(self.model)
        problem.setDuration(sim.getOutputEndTime() - sim.getInitialTime())
        problem.setStepNumber(sim.getNumberOfSteps())
        problem.setTimeSeriesRequested(True)
        method = task.getMethod()
        alg = sim.getAlgorithm()
        params = {alg.getAlgorithmParameter(k).getKisaoID(): alg.getAlgorithmParameter(k).getValue()
                  for k in range(alg.getNumAlgorithmParameters())}
        method.getParameter("Relative Tolerance").setDblValue(float(params["KISAO:0000209"]))
        method.getParameter("Absolute Tolerance").setDblValue(float(params["KISAO:0000211"]))
        method.getParameter("Max Internal Steps").setIntValue(int(float(params["KISAO:0000415"])))
        if not task.process(True):
            raise RuntimeError(C.CCopasiMessage.getAllMessageText())
        ts = task.getTimeSeries()
        titles = {ts.getSBMLId(i, self.dm) if hasattr(ts, "getSBMLId") else ts.getTitle(i): i
                  for i in range(ts.getNumVariables())}
        titles.update({ts.getTitle(i): i for i in range(ts.getNumVariables())})
        n = ts.getRecordedSteps()
        out = {"time": np.array([ts.getData(s, 0) for s in range(n)])}
        for sid in selections:
            j = titles.get(f"Values[{sid}]", titles.get(sid))
            if j is None:  # a constant (an input): COPASI does not record it
                obj, _ = self._object(f"[@id='{sid}']")
                out[sid] = np.full(n, obj.getInitialValue())
                continue
            out[sid] = np.array([ts.getData(s, j) for s in range(n)])
        return out


def run_copasi(folder: Path) -> dict:
    import libsedml

    out = {}
    for path in _sedml_files(folder):
        doc = libsedml.readSedMLFromFile(str(path))
        models: dict[str, _CopasiModel] = {}
        for rep in _reports(doc):
            dgs = [doc.getDataGenerator(rep.getDataSet(k).getDataReference())
                   for k in range(rep.getNumDataSets())]
            task = doc.getTask(dgs[0].getVariable(0).getTaskReference())
            variables = {}
            for dg in dgs:
                for k in range(dg.getNumVariables()):
                    v = dg.getVariable(k)
                    variables[v.getId()] = "time" if v.isSetSymbol() else _ID.search(v.getTarget()).group(1)
            selections = sorted({s for s in variables.values() if s != "time"})
            # repeated tasks (nested ones: a combination grid) down to the time course;
            # every iteration is a tuple of indices, outer range first
            levels, inner = [], task
            while inner.getTypeCode() == libsedml.SEDML_TASK_REPEATEDTASK:
                rngs = {inner.getRange(k).getId(): [inner.getRange(k).getValues()[i] for i in
                                                     range(inner.getRange(k).getNumValues())]
                        for k in range(inner.getNumRanges())}
                levels.append((rngs, len(rngs[inner.getRangeId()]),
                               [(inner.getTaskChange(k).getTarget(), inner.getTaskChange(k).getRange())
                                for k in range(inner.getNumTaskChanges())]))
                inner = doc.getTask(inner.getSubTask(0).getTask())
            iterations = list(itertools.product(*[range(n) for _, n, _ in levels]))
            mid = inner.getModelReference()
            if mid not in models:
                source = (path.parent / doc.getModel(mid).getSource()).resolve()
                models[mid] = _CopasiModel(source, doc, mid)
            cm = models[mid]
            sim = doc.getSimulation(inner.getSimulationReference())
            pieces = []
            for it in iterations:
                saved = []
                for (rngs, _, changes), index in zip(levels, it):
                    for target, rid in changes:
                        obj, _ = cm._object(target)
                        saved.append((target, obj.getInitialValue()))
                        cm.set(target, float(rngs[rid][index]))
                series = cm.time_course(sim, selections)
                pieces.append({vid: series[sel] for vid, sel in variables.items()})
                for target, value in reversed(saved):  # the repeated task resets the model
                    cm.set(target, value)
            columns = {}
            for k, dg in enumerate(dgs):
                label = rep.getDataSet(k).getLabel()
                columns[label] = np.concatenate([_evaluate(dg, p) * np.ones(len(p[next(iter(p))]))
                                                 for p in pieces]).tolist()
            out[rep.getId()] = columns
    return out


def main(argv: list[str]) -> int:
    engine, archive, target = argv
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "archive.omex").write_bytes(Path(archive).read_bytes())
        with zipfile.ZipFile(archive) as z:
            z.extractall(folder)
        result = run_tellurium(folder) if engine == "tellurium" else run_copasi(folder)
    Path(target).write_text(json.dumps(result), encoding="utf-8")
    return 0 if result and all(all(math.isfinite(x) for col in r.values() for x in col)
                               for r in result.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
