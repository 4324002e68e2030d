"""Export of a fitted PEtab problem: SBML with fitted values and a COPASI file.

* ``fitted_model.xml`` - the problem's SBML model with every estimated model
  parameter set to its fitted value (libsbml);
* ``fitted_model.cps`` - a COPASI file (python-copasi bindings) with the
  fitted model plus the parameter-estimation task set up: one time-course
  experiment per PEtab condition (data file ``copasi_data/<condition>.tsv``,
  condition parameters as independent initial values), one assignment
  quantity per observable, and fit items for the estimated parameters with
  their PEtab bounds (observable parameters such as per-experiment scale
  factors become experiment-specific fit items).

COPASI weights residuals itself (here its "standard deviation" weight
method, computed from the spread of each data column), so its objective is a
weighted sum of squares, not the PEtab NLL; noise parameters are left out of
the fit items.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import sympy as sp
from petab.v1 import C

from jakstat_rules.errors import JakstatInputError
from jakstat_rules.io import atomic_write, write_table

from .compiled import CompiledProblem, get_compiled
from ..petab_io import ProblemPayload, load_problem

__all__ = ["fitted_sbml", "export_fit"]


def fitted_sbml(sbml: str, parameters: dict[str, float]) -> str:
    """Return ``sbml`` with global parameters set to ``parameters``.

    Parameters
    ----------
    sbml
        SBML document text.
    parameters
        id -> linear value; ids that are not global parameters of the model
        (observable or noise parameters) are ignored.

    Returns
    -------
    str
        The modified SBML document.
    """
    import libsbml

    doc = libsbml.readSBMLFromString(sbml)
    model = doc.getModel()
    if model is None:
        raise JakstatInputError("SBML model could not be read; expected valid SBML")
    for pid, value in parameters.items():
        par = model.getParameter(pid)
        if par is not None:
            par.setValue(float(value))
    return libsbml.writeSBMLToString(doc)


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]+", "_", text)


def _copasi_file(cp: CompiledProblem, sbml: str, parameters: dict[str, float],
                 out: Path) -> Path:
    from ..export.copasi import copasi

    COPASI = copasi()

    data_dir = out / "copasi_data"
    dm = COPASI.CRootContainer.addDatamodel()
    # the data model is not removed afterwards: SWIG proxies created here
    # (the experiments in particular) would outlive it and crash
    if not dm.importSBMLFromString(sbml):
        raise JakstatInputError("COPASI could not import the fitted SBML model")
    model = dm.getModel()

    def by_sbml_id(sid: str):
        for i in range(model.getNumModelValues()):
            mv = model.getModelValue(i)
            if mv.getSBMLId() == sid:
                return mv, mv.getValueReference(), mv.getInitialValueReference()
        for i in range(model.getNumMetabs()):
            m = model.getMetabolite(i)
            if m.getSBMLId() == sid:
                return m, m.getConcentrationReference(), m.getInitialConcentrationReference()
        for i in range(model.getCompartments().size()):
            c = model.getCompartment(i)
            if c.getSBMLId() == sid:
                return c, c.getValueReference(), c.getInitialValueReference()
        return None

    # parameters that are not in the model become global quantities
    table = cp.parameters
    extra = {}
    for pid in table.ids:
        if by_sbml_id(pid) is None:
            value = parameters.get(pid, table.nominal_all.get(pid, 1.0))
            mv = model.createModelValue(pid, float(value))
            extra[pid] = mv
    model.compileIfNecessary()

    def ref_of(name: str):
        if name in extra:
            return extra[name].getValueReference()
        found = by_sbml_id(name)
        return None if found is None else found[1]

    # observables: one assignment quantity per group
    group_mv = []
    for gi, g in enumerate(cp.groups):
        expr = g.observable_expr
        text_map = {}
        for s in expr.free_symbols:
            ref = ref_of(s.name)
            if ref is None:
                raise JakstatInputError(f"observable symbol {s.name!r} has no "
                                        f"COPASI counterpart")
            text_map[s] = sp.Symbol(f"REF{len(text_map)}")
        text = str(expr.xreplace(text_map)).replace("**", "^")
        for s, ph in text_map.items():
            cn = ref_of(s.name).getCN().getString()
            text = re.sub(rf"\b{ph.name}\b", f"<{cn}>", text)
        mv = model.createModelValue(_safe(f"obs_{g.observable_id}_{gi}"), 0.0)
        mv.setStatus(COPASI.CModelEntity.Status_ASSIGNMENT)
        mv.setExpression(text)
        group_mv.append(mv)
    model.compileIfNecessary()

    task = dm.getTask("Parameter Estimation")
    task.setMethodType(COPASI.CTaskEnum.Method_LevenbergMarquardt)
    problem = task.getProblem()
    exp_set = problem.getParameter("Experiment Set")
    p_arr = np.array([parameters.get(i, np.nan) for i in cp.estimated_ids])
    experiments_of_group: dict[int, list[str]] = {}
    time_cn = model.getValueReference().getCN().getString()
    condition_df = cp.payload.condition_df
    sim_ids = cp.measurement_df[C.SIMULATION_CONDITION_ID].astype(str).to_numpy()
    for k, unit in enumerate(cp.plan.units):
        for _, sim in unit.members:
            rows = np.flatnonzero((cp.plan.row_unit == k) & (sim_ids == sim))
            if not len(rows):
                continue
            groups = [gi for gi, g in enumerate(cp.groups) if np.isin(g.rows, rows).any()]
            # condition-table parameters as independent values of the experiment
            values = cp.condition_settings[sim].parameter_values(p_arr)
            indep = [(pid, float(values.get(pid, cp.model_values[pid])))
                     for pid in condition_df.columns if pid in cp.model_values]
            times = np.unique(cp.t[rows])
            data = pd.DataFrame({"time": times})
            for gi in groups:
                col = np.full(len(times), np.nan)
                sel = rows[np.isin(rows, cp.groups[gi].rows)]
                for r in sel:
                    col[np.searchsorted(times, cp.t[r])] = cp.y[r]
                data[group_mv[gi].getObjectName()] = col
            for pid, v in indep:
                data[pid] = v
            path = write_table(data_dir / f"{_safe(sim)}.tsv", data)
            exp = COPASI.CExperiment(dm)
            exp.setObjectName(sim)
            exp.setFileName(str(path.relative_to(out)))  # relative to the .cps file
            exp.setSeparator("\t")
            exp.setFirstRow(1)
            exp.setLastRow(len(data) + 1)
            exp.setHeaderRow(1)
            exp.setExperimentType(COPASI.CTaskEnum.Task_timeCourse)
            exp.setNumColumns(data.shape[1])
            omap = exp.getObjectMap()
            omap.setNumCols(data.shape[1])
            omap.setRole(0, COPASI.CExperiment.time)
            omap.setObjectCN(0, time_cn)
            col = 1
            for gi in groups:
                omap.setRole(col, COPASI.CExperiment.dependent)
                omap.setObjectCN(col, group_mv[gi].getValueReference().getCN().getString())
                col += 1
            for pid, _ in indep:
                found = by_sbml_id(pid)
                omap.setRole(col, COPASI.CExperiment.independent)
                omap.setObjectCN(col, found[2].getCN().getString())
                col += 1
            exp.setWeightMethod(COPASI.CExperiment.SD)
            added = exp_set.addExperiment(exp)
            for gi in groups:
                experiments_of_group.setdefault(gi, []).append(added.getKey())
    # fit items
    for k, pid in enumerate(cp.estimated_ids):
        value = float(parameters.get(pid, table.nominal[k]))
        lb, ub = float(table.lb[k]), float(table.ub[k])
        symbol = sp.Symbol(pid, real=True)
        if any(symbol in g.noise_expr.free_symbols and symbol not in g.observable_expr.free_symbols
               for g in cp.groups):
            continue  # a noise parameter: COPASI weights instead
        found = by_sbml_id(pid)
        if found is not None or pid in extra:
            ref = found[2] if found is not None else extra[pid].getInitialValueReference()
            item = problem.addFitItem(ref.getCN())
            item.setStartValue(value)
            item.setLowerBound(lb)
            item.setUpperBound(ub)
    text = dm.saveModelToString()
    if not text:
        raise JakstatInputError("COPASI could not write the fitted model; expected a model "
                                "COPASI can save")
    return atomic_write(out / "fitted_model.cps", text)


def export_fit(problem_yaml: str | os.PathLike, parameters: dict[str, float],
               out_dir: str | os.PathLike, copasi: bool = True) -> dict[str, Path]:
    """Write the fitted model as SBML (and COPASI) into ``out_dir``.

    Parameters
    ----------
    problem_yaml
        The fitted PEtab problem.
    parameters
        Fitted values (id -> linear value), e.g. ``best_parameters``.
    out_dir
        Output folder.
    copasi
        Also write ``fitted_model.cps`` with the estimation task set up.

    Returns
    -------
    dict
        ``{"sbml": path, "copasi": path}`` (``copasi`` only if written).
    """
    problem = load_problem(problem_yaml)
    payload = ProblemPayload.from_problem(problem)
    out = Path(out_dir)
    sbml = fitted_sbml(payload.sbml, parameters)
    written = {"sbml": atomic_write(out / "fitted_model.xml", sbml)}
    if copasi:
        cp = get_compiled(payload)
        written["copasi"] = _copasi_file(cp, sbml, parameters, out)
    return written
