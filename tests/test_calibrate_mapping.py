"""Tests of jakstat_rules.calibrate.mapping: the parameter table, scales and
the settings of each condition.

References: numpy's logarithms, and expectations written out from the
tables of small problems.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jakstat_rules.calibrate.mapping import (Assignment, ConditionSettings, ParameterTable,
                                             scale, switch_settings, unscale)
from jakstat_rules.calibrate.compiled import CompiledProblem
from jakstat_rules.petab_io import ProblemPayload, load_problem, write_problem
from jakstat_rules.errors import JakstatInputError


def test_scale_and_unscale():
    values = np.array([0.5, 2.0, 3.0])
    scales = ["lin", "log", "log10"]
    np.testing.assert_allclose(scale(values, scales), [0.5, np.log(2.0), np.log10(3.0)])
    np.testing.assert_allclose(unscale(scale(values, scales), scales), values, rtol=1e-15)
    assert scale([], []).shape == (0,)


def test_parameter_table():
    pdf = pd.DataFrame([
        {"parameterId": "a", "parameterScale": "log10", "lowerBound": 0.1, "upperBound": 10,
         "nominalValue": 1.0, "estimate": 1},
        {"parameterId": "b", "parameterScale": "lin", "lowerBound": 0, "upperBound": 1,
         "nominalValue": 0.5, "estimate": 0},
        {"parameterId": "c", "parameterScale": "log", "lowerBound": 1, "upperBound": 2,
         "nominalValue": 1.5, "estimate": 1}]).set_index("parameterId")
    table = ParameterTable.from_df(pdf)
    assert table.estimated_ids == ["a", "c"] and table.scales == ["log10", "log"]
    np.testing.assert_allclose(table.lb, [0.1, 1.0])
    assert table.position("c") == 1 and table.position("b") is None
    p = np.array([3.0, 1.2])
    assert table.value("c", p) == 1.2 and table.value("b", p) == 0.5


def _problem(folder, conditions: pd.DataFrame, parameters: list[dict]):
    import tellurium as te

    sbml = te.antimonyToSBML("model m\n compartment cell = 1; species A in cell; A = 1\n"
                             " k = 0.1; dose = 0; kin = 2\n A -> ; k*A\n -> A; kin*dose\nend")
    return write_problem(
        folder, sbml, conditions.set_index("conditionId"),
        pd.DataFrame([{"observableId": "A_obs", "observableFormula": "A",
                       "noiseFormula": "1"}]).set_index("observableId"),
        pd.DataFrame({"observableId": "A_obs", "simulationConditionId": list(conditions["conditionId"]),
                      "measurement": 1.0, "time": 1.0}),
        pd.DataFrame(parameters).set_index("parameterId"))


def _par(pid, estimate, nominal):
    return {"parameterId": pid, "parameterScale": "lin", "lowerBound": 0.001,
            "upperBound": 100, "nominalValue": nominal, "estimate": estimate}


def test_condition_settings(tmp_path):
    """Estimated ids become positions in p, fixed table values numbers,
    unchanged model values are left out; species go to the states."""
    conditions = pd.DataFrame({"conditionId": ["none", "low", "high", "est"],
                               "dose": [0.0, 1.0, 10.0, "dose_est"],
                               "A": [np.nan, 2.0, np.nan, np.nan]})
    yaml_path = _problem(tmp_path / "p", conditions,
                         [_par("k", 1, 0.1), _par("kin", 0, 3.0), _par("dose_est", 1, 5.0)])
    cp = CompiledProblem(ProblemPayload.from_problem(load_problem(yaml_path)))
    s = cp.condition_settings
    k, kin = Assignment("k", 0.0, 0), Assignment("kin", 3.0)
    assert s["none"] == ConditionSettings("none", (k, kin), ())
    assert set(s["low"].parameters) == {k, kin, Assignment("dose", 1.0)}
    assert s["low"].states == (Assignment("A", 2.0),)
    assert set(s["est"].parameters) == {k, kin, Assignment("dose", 0.0, 1)}
    assert s["est"].parameter_values(np.array([0.2, 7.0])) == {"k": 0.2, "kin": 3.0, "dose": 7.0}
    np.testing.assert_array_equal(cp.dynamic, [0, 1])
    assert len(cp.plan.units) == 4


def test_condition_column_must_be_settable(tmp_path):
    conditions = pd.DataFrame({"conditionId": ["c"], "dose": ["no_such_parameter"]})
    yaml_path = _problem(tmp_path / "p", conditions, [_par("k", 1, 0.1)])
    payload = ProblemPayload.from_problem(load_problem(yaml_path, lint=False))
    with pytest.raises(JakstatInputError, match="'no_such_parameter'"):
        CompiledProblem(payload)


def test_switch_settings():
    pre = ConditionSettings("pre", (Assignment("a", 1.0), Assignment("b", 2.0)),
                            (Assignment("S", 5.0),))
    sim = ConditionSettings("sim", (Assignment("b", 0.0, 3),), ())
    switch = switch_settings(pre, sim, {"a": 9.0, "b": 8.0})
    assert set(switch.parameters) == {Assignment("b", 0.0, 3), Assignment("a", 9.0)}
    assert switch.states == ()
