"""PEtab v2 experiments as simulation units of periods.

A PEtab v2 experiment is a list of periods, each a start time (``-inf``:
pre-equilibration) and the conditions applied then; a condition is a list
of changes, a target (a model parameter, species or compartment) and a
target value, a math expression of parameters of the parameter table,
model quantities and time, evaluated when the period starts (libpetab's
v2 objects, formulas parsed by :mod:`petab.v2.math`).  Changes persist into
later periods.  :func:`plan_experiments` turns every experiment used by a
measurement into :class:`~jakstat_rules.calibrate.simulation.Period` s:

* the first period also sets the model parameters listed in the parameter
  table (estimated or at their nominal value), as initial values, with the
  first conditions' changes (which win);
* a later period sets only its conditions' changes, as current values;
* measurements without an experiment are simulated from time 0 with the
  parameter table's values alone.

Ids of the mapping table (``aliases``) are replaced by the model ids they
stand for, in targets and in formulas.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import sympy as sp

from jakstat_rules.errors import JakstatInputError

from .mapping import Assignment, ConditionSettings, Formula, ParameterTable
from .simulation import Period, SimulationPlan, group_units

__all__ = ["assignment", "plan_experiments"]

#: The symbol a formula uses for the model time.
TIME = "time"


def assignment(target: str, expr: sp.Basic, table: ParameterTable, model_ids: set[str],
               aliases: Mapping[str, str], where: str) -> Assignment:
    """An :class:`Assignment` of ``target`` to a PEtab v2 math expression.

    A number is a constant; a parameter of the parameter table its value
    (estimated or nominal); anything else a :class:`Formula` of parameters,
    model quantities and time.

    Raises
    ------
    JakstatInputError
        For a symbol that is neither a parameter of the table, a model id nor time.
    """
    expr = sp.sympify(expr)
    renamed = {s: sp.Symbol(aliases[s.name]) for s in expr.free_symbols if s.name in aliases}
    expr = expr.xreplace(renamed)
    if expr.is_Number:
        return Assignment(target, float(expr))
    if isinstance(expr, sp.Symbol) and expr.name in table.nominal_all:
        k = table.position(expr.name)
        return Assignment(target, 0.0, k) if k is not None else Assignment(
            target, table.nominal_all[expr.name])
    names = sorted(s.name for s in expr.free_symbols)
    parameters, model = [], []
    for name in names:
        if name in table.nominal_all:
            k = table.position(name)
            parameters.append(Assignment(name, 0.0, k) if k is not None
                              else Assignment(name, table.nominal_all[name]))
        elif name in model_ids:
            model.append(name)
        elif name != TIME:
            raise JakstatInputError(f"{where}: {name!r} in {str(expr)!r} is neither a parameter "
                                    f"of the parameter table nor a model id; expected one of those")
    args = [sp.Symbol(a.target) for a in parameters] + [sp.Symbol(n) for n in model]
    fn = sp.lambdify(args + [sp.Symbol(TIME)], expr, modules="numpy")
    return Assignment(target, 0.0, formula=Formula(str(expr), fn, tuple(parameters), tuple(model)))


def _condition_changes(problem, table: ParameterTable, model_values: Mapping[str, float],
                       state_ids: set[str], model_ids: set[str],
                       aliases: Mapping[str, str]) -> dict[str, list[Assignment]]:
    """Condition id -> its changes as assignments."""
    out: dict[str, list[Assignment]] = {}
    for condition in problem.conditions:
        changes = []
        for change in condition.changes:
            target = aliases.get(change.target_id, change.target_id)
            if target not in model_values and target not in state_ids:
                raise JakstatInputError(
                    f"condition {condition.id!r}: target {change.target_id!r} is not a parameter, "
                    f"species or compartment of the model that can be set; expected a model id "
                    f"not defined by an assignment rule")
            changes.append(assignment(target, change.target_value, table, model_ids, aliases,
                                      f"condition {condition.id!r}, target {change.target_id!r}"))
        out[condition.id] = changes
    return out


def _settings(name: str, changes: list[Assignment], model_values: Mapping[str, float]
              ) -> ConditionSettings:
    """Changes split into parameters and states (species, compartments)."""
    targets = [a.target for a in changes]
    twice = sorted({t for t in targets if targets.count(t) > 1})
    if twice:
        raise JakstatInputError(f"{name}: targets {twice} are changed twice at the same time; "
                                f"expected one change per target and period")
    return ConditionSettings(name, tuple(a for a in changes if a.target in model_values),
                             tuple(a for a in changes if a.target not in model_values))


def plan_experiments(problem, measurement_times: np.ndarray, table: ParameterTable,
                     model_values: Mapping[str, float], state_ids: set[str],
                     model_ids: set[str], aliases: Mapping[str, str],
                     delayed_events: Sequence[str] = ()) -> SimulationPlan:
    """Simulation units of the experiments of a PEtab v2 problem.

    Parameters
    ----------
    problem
        The :class:`petab.v2.Problem` (its conditions, experiments and measurements).
    measurement_times
        Time of every measurement row.
    table
        The parameter table.
    model_values
        Settable model parameters and their values in the model.
    state_ids
        Species, compartments and rate-rule targets (settable initial values).
    model_ids
        Every id a formula may read.
    aliases
        Mapping table: PEtab id -> model id.
    delayed_events
        Ids of the model's SBML events with a delay.

    Raises
    ------
    JakstatInputError
        For an unknown experiment or condition, a target that is not a
        settable model id, a formula symbol that is neither a parameter
        nor a model id, or conditions changed after the start of an
        experiment (pre-equilibration aside) of a model with SBML events
        with a delay (events a change triggers fire at once, after the
        change: :meth:`Engine.fire_events
        <jakstat_rules.engine.Engine.fire_events>`, which refuses a delayed
        one that fires).
    """
    changes = _condition_changes(problem, table, model_values, state_ids, model_ids, aliases)
    base = [Assignment(pid, 0.0, table.position(pid)) if table.is_estimated(pid)
            else Assignment(pid, table.nominal_all[pid])
            for pid in table.ids if pid in model_values and math.isfinite(
                table.nominal_all[pid]) or table.is_estimated(pid) and pid in model_values]
    experiments = {e.id: e for e in problem.experiments}
    row_members = []
    for m in problem.measurements:
        eid = m.experiment_id or ""
        if eid and eid not in experiments:
            raise JakstatInputError(f"measurement of {m.observable_id!r} at {m.time!r}: "
                                    f"experiment {eid!r} is not in the experiment table; "
                                    f"expected one of {sorted(experiments)}")
        row_members.append(("", eid))
    periods: dict[tuple[str, str], tuple[Period, ...]] = {}
    for _, eid in dict.fromkeys(row_members):
        if not eid:
            periods[("", eid)] = (Period(0.0, _settings("no experiment", base, model_values)),)
            continue
        out = []
        experiment = experiments[eid]
        by_time: dict[float, list[str]] = {}
        for period in experiment.periods:
            by_time.setdefault(float(period.time), []).extend(period.condition_ids)
        for k, (time, condition_ids) in enumerate(sorted(by_time.items())):
            applied = [a for cid in condition_ids for a in changes[cid]]
            if k == 0:
                mine = {a.target for a in applied}
                applied = [a for a in base if a.target not in mine] + applied
            name = f"experiment {eid!r} at time {time:g}"
            out.append(Period(time, _settings(name, applied, model_values)))
        if not out:
            out.append(Period(0.0, _settings(f"experiment {eid!r}", base, model_values)))
        if delayed_events and any(math.isfinite(a.time) for a in out[:-1]):
            raise JakstatInputError(
                f"experiment {eid!r} changes conditions after its start in a model with SBML "
                f"events with a delay ({', '.join(map(repr, delayed_events))}): delayed events "
                f"triggered by a PEtab condition change are not supported; expected events "
                f"without a delay, or changes only at the start or after pre-equilibration")
        periods[("", eid)] = tuple(out)
    return group_units(row_members, periods, measurement_times)
