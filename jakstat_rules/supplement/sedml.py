"""SED-ML Level 1 Version 4 of the supplement's simulation experiments (python-libsedml).

One SED-ML file per :class:`~.experiments.Document`.  For every
:class:`~.experiments.Run`:

* a **model** (``model_<run>__``): the SBML file, relative to the SED-ML file,
  with one ``changeAttribute`` per input and fitted parameter (the
  ``value`` attribute of the global parameter);
* a **uniform time course** from 0 to ``t_end`` (CVODE, KISAO:0000019, with
  the project's tolerances as algorithm parameters: relative and absolute
  1e-10, KISAO:0000209 / KISAO:0000211, at most 200 000 steps, KISAO:0000415);
* a **task**; for a dose response a **repeated task** over a vector range
  of the doses that sets the input and resets the model before each dose;
  for a combination grid two, the second dose's nested in the first's;
  a therapy schedule is a plain task on its schedule SBML
  (:mod:`jakstat_rules.export.schedule`);
* **data generators** for time, the scanned input, every readout (the SBML
  parameters defined by assignment rules, e.g. ``pSTAT1_total``) and every
  fit observable ``scale * readout`` (the scale as a data-generator parameter);
* a **report** whose dataset labels are the columns of the project's table
  of the run (``results/.../<run>.csv`` in the archive) and a **2D plot**
  of the readouts against time.

Ids
    Every id is made by :func:`sedml_id`: a kind (``model``, ``sim``,
    ``task``, ``timecourse``, ``doses``, ``dg``, ``var``, ``par``,
    ``report``, ``ds``, ``plot``, ``curve``), then the run and, for the
    parts of a run, the output (and parameter), each part ended by ``__``:
    ``task_ifnb_100pM__``, ``dg_ifnb_100pM__pSTAT1_total__``.  So no id of
    the document is a prefix of another (``task_ifnb_100pM__`` is not a
    prefix of ``task_ifnb_100pM_ruxolitinib_1uM__``), and tools that match
    ids by substring (COPASI, basico) select the one meant.  Names of
    models, tasks, data generators (and their parameters), reports and
    plots end with the element's id in brackets (``IFN-beta 100 pM
    [plot_ifnb_100pM__]``), for the same reason.

Readers run the files with any SED-ML engine (tellurium, COPASI, the
BioSimulators tools); ``docs/supplement.md`` shows how.
"""
from __future__ import annotations

import posixpath
import re
from typing import Sequence

from ..engine import DEFAULT_ATOL, DEFAULT_MAX_STEPS, DEFAULT_RTOL
from ..errors import JakstatInputError
from .experiments import Document, Run

__all__ = ["sedml_document", "sedml_text", "sedml_errors", "sedml_id", "parameter_target",
           "KISAO_CVODE"]

#: KiSAO terms: CVODE, relative and absolute tolerance, maximal number of steps.
KISAO_CVODE = "KISAO:0000019"
KISAO_RTOL, KISAO_ATOL, KISAO_MAX_STEPS = "KISAO:0000209", "KISAO:0000211", "KISAO:0000415"
#: SED-ML URNs of the SBML language and of the time symbol.
SBML_LANGUAGE = "urn:sedml:language:sbml.level-3.version-2"
TIME_SYMBOL = "urn:sedml:symbol:time"
#: Namespace of the SBML files (the ``sbml:`` prefix of the XPath targets).
SBML_NAMESPACE = "http://www.sbml.org/sbml/level3/version2/core"
#: Level and version written.
LEVEL, VERSION = 1, 4


#: Ends every part of a SED-ML id (see :func:`sedml_id`).
ID_PART_END = "__"
#: The number of parts after the kind of each kind of id.
ID_KINDS = {"model": 1, "sim": 1, "task": 1, "timecourse": 1, "doses": 1, "innertask": 1,
            "innerdoses": 1, "report": 1, "plot": 1, "dg": 2, "var": 2, "ds": 2, "curve": 2,
            "par": 3}


def _id_part(part: str) -> str:
    """``part`` as SId characters with no ``__`` and no ``_`` at either end."""
    return re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9_]", "_", part)).strip("_")


def sedml_id(kind: str, *parts: str) -> str:
    """The SED-ML id of a ``kind`` of element of a run, e.g. ``task_ifnb_100pM__``.

    ``<kind>_<part>__[<part>__...]``: each part (run id, output id,
    parameter name) in SId characters, runs of ``_`` made one and none at its
    ends, ended by :data:`ID_PART_END`; each kind has a fixed number of parts
    (:data:`ID_KINDS`).  The first ``__`` after a part therefore ends it, so
    no id is a prefix of another, of the same kind or of another kind.

    Raises
    ------
    RuntimeError
        For an unknown kind, the wrong number of parts or an empty part
        (a construction error of this module).
    """
    cleaned = [_id_part(p) for p in parts]
    if ID_KINDS.get(kind) != len(parts) or not all(cleaned):
        raise RuntimeError(f"SED-ML id of kind {kind!r} from parts {parts!r}: expected "
                           f"{ID_KINDS.get(kind)} non-empty parts of a kind of {sorted(ID_KINDS)}")
    return f"{kind}_" + "".join(f"{p}{ID_PART_END}" for p in cleaned)


def parameter_target(pid: str) -> str:
    """XPath of an SBML global parameter (``.../sbml:parameter[@id='pid']``)."""
    return f"/sbml:sbml/sbml:model/sbml:listOfParameters/sbml:parameter[@id='{pid}']"


def _check(code: int, what: str) -> None:
    import libsedml
    if code != libsedml.LIBSEDML_OPERATION_SUCCESS:
        raise RuntimeError(f"libsedml refused {what} (code {code})")


def _math(expr: str, where: str):
    import libsedml
    ast = libsedml.parseL3Formula(expr)
    if ast is None:
        raise RuntimeError(f"libsedml cannot parse {expr!r} ({where})")
    return ast


def _name(element, text: str) -> None:
    """Name ``element`` (id set) ``"<text> [<its id>]"``: like the ids, no name of a model,
    task, data generator, report or plot is then a prefix of another."""
    _check(element.setName(f"{text} [{element.getId()}]"), element.getId())


def _algorithm(sim) -> None:
    alg = sim.createAlgorithm()
    _check(alg.setKisaoID(KISAO_CVODE), "the algorithm")
    for kisao, value in ((KISAO_RTOL, DEFAULT_RTOL), (KISAO_ATOL, DEFAULT_ATOL),
                         (KISAO_MAX_STEPS, DEFAULT_MAX_STEPS)):
        par = alg.createAlgorithmParameter()
        _check(par.setKisaoID(kisao), kisao)
        _check(par.setValue(repr(value) if isinstance(value, float) else str(value)), kisao)


def _variable(dg, vid: str, task_id: str, model_id: str | None = None, *,
              target: str | None = None, symbol: str | None = None):
    var = dg.createVariable()
    _check(var.setId(vid), vid)
    _check(var.setTaskReference(task_id), vid)
    if model_id:
        _check(var.setModelReference(model_id), vid)
    if target:
        _check(var.setTarget(target), vid)
    if symbol:
        _check(var.setSymbol(symbol), vid)
    return var


def _data_generator(doc, run_id: str, output: str, name: str, task_id: str, *,
                    target: str | None = None, symbol: str | None = None,
                    factor: tuple[str, float] | None = None,
                    offset: tuple[str, float] | None = None) -> str:
    dg_id = sedml_id("dg", run_id, output)
    dg = doc.createDataGenerator()
    _check(dg.setId(dg_id), dg_id)
    _name(dg, name)
    var_id = sedml_id("var", run_id, output)
    _variable(dg, var_id, task_id, target=target, symbol=symbol)
    expr = var_id

    def parameter(name: str, value: float) -> str:
        par_id = sedml_id("par", run_id, output, name)  # unique in the document
        par = dg.createParameter()
        _check(par.setId(par_id), par_id)
        _name(par, name)
        _check(par.setValue(float(value)), par_id)
        return par_id

    if factor is not None:
        expr = f"{parameter(*factor)} * {var_id}"
    if offset is not None:
        expr = f"{expr} + {parameter(*offset)}"
    _check(dg.setMath(_math(expr, dg_id)), dg_id)
    return dg_id


def _relative(path: str, sedml_file: str) -> str:
    """``path`` (archive path) relative to the folder of ``sedml_file``."""
    return posixpath.relpath(path, posixpath.dirname(sedml_file) or ".")


def _model(doc, run: Run, sedml_file: str, models: dict) -> str:
    """The id of the SED-ML model of ``run`` (one per file and set of changes), created once."""
    key = (run.source, tuple(run.changes.items()))
    if key in models:
        return models[key]
    mid = sedml_id("model", run.id)
    models[key] = mid
    model = doc.createModel()
    _check(model.setId(mid), mid)
    _name(model, f"{run.variant} model" + (" (fitted parameters)" if run.parameters else "")
          + "".join(f", {k} = {v:g}" for k, v in run.inputs.items()))
    _check(model.setLanguage(SBML_LANGUAGE), mid)
    _check(model.setSource(_relative(run.source, sedml_file)), mid)
    for pid, value in run.changes.items():
        change = model.createChangeAttribute()
        _check(change.setTarget(parameter_target(pid) + "/@value"), pid)
        _check(change.setNewValue(repr(float(value))), pid)
    return mid


def _readable(output: str) -> str:
    """A readable name of a readout or input (``pY701-STAT1``, ``ruxolitinib (nM)``)."""
    from ..interface import INPUTS, READOUT_NAMES
    if output in INPUTS:
        return f"{output.rsplit('_', 1)[0]} ({INPUTS[output]})"
    return READOUT_NAMES.get(output, output)


def _repeated(doc, tid: str, scan: tuple[str, Sequence[float]], rid: str, mid: str,
              sub_task: str) -> str:
    """A repeated task ``tid`` over the doses of ``scan`` (resetting the model); returns ``tid``."""
    name, doses = scan
    rep = doc.createRepeatedTask()
    _check(rep.setId(tid), tid)
    _name(rep, f"{name} over {len(doses)} doses")
    _check(rep.setResetModel(True), tid)
    _check(rep.setConcatenate(False), tid)
    rng = rep.createVectorRange()
    _check(rng.setId(rid), rid)
    for dose in doses:
        _check(rng.addValue(float(dose)), rid)
    _check(rep.setRangeId(rid), tid)
    change = rep.createTaskChange()
    _check(change.setTarget(parameter_target(name)), name)
    _check(change.setModelReference(mid), name)
    _check(change.setRange(rid), name)
    _check(change.setMath(_math(rid, name)), name)
    sub = rep.createSubTask()
    _check(sub.setTask(sub_task), tid)
    _check(sub.setOrder(1), tid)
    return tid


def _add_run(doc, run: Run, sedml_file: str, models: dict) -> None:
    import libsedml

    sid, tid = sedml_id("sim", run.id), sedml_id("task", run.id)
    mid = _model(doc, run, sedml_file, models)

    sim = doc.createUniformTimeCourse()
    _check(sim.setId(sid), sid)
    _check(sim.setInitialTime(0.0), sid)
    _check(sim.setOutputStartTime(0.0), sid)
    _check(sim.setOutputEndTime(float(run.t_end)), sid)
    _check(sim.setNumberOfSteps(int(run.n_points) - 1), sid)
    _algorithm(sim)

    task = doc.createTask()
    inner = tid if run.scan is None else sedml_id("timecourse", run.id)
    _check(task.setId(inner), inner)
    _check(task.setModelReference(mid), inner)
    _check(task.setSimulationReference(sid), inner)
    _name(task, f"{run.title}: time course")
    top = inner
    if run.scan_inner is not None:  # a combination grid: the inner scan repeats the time course
        top = _repeated(doc, sedml_id("innertask", run.id), run.scan_inner,
                        sedml_id("innerdoses", run.id), mid, inner)
    if run.scan is not None:
        top = _repeated(doc, tid, run.scan, sedml_id("doses", run.id), mid, top)

    labels: list[tuple[str, str]] = []  # (data generator id, report label)
    labels.append((_data_generator(doc, run.id, "time", "time (min)", top, symbol=TIME_SYMBOL),
                   "time"))
    if run.scan_inner is not None:
        for k, (name, _) in enumerate((run.scan, run.scan_inner)):
            labels.insert(k, (_data_generator(doc, run.id, name, _readable(name), top,
                                              target=parameter_target(name)), name))
    elif run.scan is not None:
        name = run.scan[0]
        labels.insert(0, (_data_generator(doc, run.id, "dose", name, top,
                                          target=parameter_target(name)), "dose"))
    for readout in run.readouts:
        labels.append((_data_generator(doc, run.id, readout, _readable(readout), top,
                                       target=parameter_target(readout)), readout))
    for ob in run.observables:
        labels.append((_data_generator(doc, run.id, ob.id, ob.id, top,
                                       target=parameter_target(ob.readout),
                                       factor=(ob.factor_id, ob.factor),
                                       offset=None if ob.offset_id is None
                                       else (ob.offset_id, ob.offset)), ob.id))
    if [label for _, label in labels] != run.columns:  # pragma: no cover - construction error
        raise RuntimeError(f"report of {run.id} does not follow its table columns")

    report = doc.createReport()
    _check(report.setId(sedml_id("report", run.id)), run.id)
    _name(report, f"{run.title} (the table {run.table})")
    for dg_id, label in labels:
        ds = report.createDataSet()
        _check(ds.setId(sedml_id("ds", run.id, label)), dg_id)
        _check(ds.setLabel(label), dg_id)
        _check(ds.setName(label), dg_id)
        _check(ds.setDataReference(dg_id), dg_id)

    plot = doc.createPlot2D()
    _check(plot.setId(sedml_id("plot", run.id)), run.id)
    _name(plot, run.title)
    time_dg = labels[[label for _, label in labels].index("time")][0]
    for dg_id, label in labels:
        if label == "time" or label == "dose" or (run.scan_inner is not None
                                                  and label in (run.scan[0], run.scan_inner[0])):
            continue
        curve = plot.createCurve()
        _check(curve.setId(sedml_id("curve", run.id, label)), dg_id)
        _check(curve.setName(_readable(label)), dg_id)
        _check(curve.setXDataReference(time_dg), dg_id)
        _check(curve.setYDataReference(dg_id), dg_id)
        _check(curve.setType(libsedml.SEDML_CURVETYPE_POINTS), dg_id)
        _check(curve.setLogX(False), dg_id)
        _check(curve.setLogY(False), dg_id)


def sedml_document(document: Document):
    """The SED-ML L1V4 document (``libsedml.SedDocument``) of ``document``'s runs."""
    import libsedml

    doc = libsedml.SedDocument(LEVEL, VERSION)
    # the prefix of the XPath targets into the SBML files
    _check(doc.getNamespaces().add(SBML_NAMESPACE, "sbml"), "the sbml namespace")
    models: dict = {}
    for run in document.runs:
        _add_run(doc, run, document.file, models)
    return doc


def sedml_errors(doc) -> list[str]:
    """Messages of severity error (or fatal) libsedml logged for ``doc`` (reading it checks
    required attributes, ids and math; this libsedml has no ``checkConsistency``, the
    references are checked by :func:`jakstat_rules.supplement.checks.sedml_references`)."""
    import libsedml

    if hasattr(doc, "checkConsistency"):  # newer libsedml releases
        doc.checkConsistency()
    out = []
    for i in range(doc.getNumErrors()):
        err = doc.getError(i)
        if err.getSeverity() >= libsedml.LIBSEDML_SEV_ERROR:
            out.append(f"line {err.getLine()}: {err.getMessage().strip()}")
    return out


def sedml_text(document: Document) -> str:
    """SED-ML text of ``document``, checked with libsedml (read back, no error).

    Raises
    ------
    JakstatInputError
        If libsedml finds an error in the document it wrote (names the first).
    """
    import libsedml

    text = libsedml.writeSedMLToString(sedml_document(document))
    errors = sedml_errors(libsedml.readSedMLFromString(text))
    if errors:
        raise JakstatInputError(f"SED-ML {document.file} has {len(errors)} error(s), first: "
                                f"{errors[0]}: expected a valid SED-ML L1V4 document")
    return text


def describe(documents: Sequence[Document]) -> list[dict]:
    """One row per run: SED-ML file, task, report, table (for the archive's README)."""
    return [{"sedml": d.file, "task": sedml_id("task", r.id), "report": sedml_id("report", r.id),
             "table": r.table,
             "title": r.title} for d in documents for r in d.runs]
