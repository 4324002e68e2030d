"""Tests of jakstat_rules.calibrate.simulation: PEtab conditions on the
simulation core, pre-equilibration and steady-state measurements.

References: closed-form solutions of linear ODEs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from jakstat_rules.calibrate.compiled import CompiledProblem
from jakstat_rules.petab_io import ProblemPayload, load_problem, write_problem


def _pre_problem(folder, conditions: pd.DataFrame, y, times, pre="low", sim="high"):
    """dA/dt = k0 - k1 A, observed directly; k1 estimated."""
    import tellurium as te

    return write_problem(
        folder, te.antimonyToSBML("model pre\n compartment c = 1; species A in c; A = 0; "
                                  "k0 = 1; k1 = 0.5\n make: -> A; k0\n loss: A -> ; k1*A\nend"),
        conditions.set_index("conditionId"),
        pd.DataFrame([{"observableId": "A_obs", "observableFormula": "A",
                       "noiseFormula": "noiseParameter1_A_obs"}]).set_index("observableId"),
        pd.DataFrame({"observableId": "A_obs", "preequilibrationConditionId": pre,
                      "simulationConditionId": sim, "measurement": y, "time": times,
                      "noiseParameters": 0.2}),
        pd.DataFrame([{"parameterId": "k1", "parameterScale": "log10", "lowerBound": 0.01,
                       "upperBound": 10.0, "nominalValue": 0.5, "estimate": 1}]
                     ).set_index("parameterId"))


def test_preequilibration_and_steady_state_times(tmp_path):
    """dA/dt = k0 - k1 A: pre-equilibrated at k0 = 1, then k0 = 2.
    Exact solution A(t) = 2/k1 - (1/k1) exp(-k1 t); A(inf) = 2/k1."""
    times = [0.5, 2.0, 5.0, np.inf]
    y = [3.0, 3.5, 3.9, 4.1]
    yaml_path = _pre_problem(tmp_path / "pre", pd.DataFrame(
        {"conditionId": ["low", "high"], "k0": [1.0, 2.0]}), y, times)
    cp = CompiledProblem(ProblemPayload.from_problem(load_problem(yaml_path)))
    k1 = 0.7
    h, _ = cp.observables(np.array([k1]))
    t = np.array(times)
    exact = np.where(np.isinf(t), 2 / k1, 2 / k1 - np.exp(-k1 * np.where(np.isinf(t), 0, t)) / k1)
    np.testing.assert_allclose(h, exact, rtol=1e-6)
    ref = -np.sum(norm.logpdf(y, exact, 0.2))
    assert cp.nll(np.array([k1])) == pytest.approx(ref, rel=1e-6)


def test_parameter_of_preequilibration_only_returns_to_model_value(tmp_path):
    """k0 = 3 during pre-equilibration only: the simulation condition sets
    nothing, so k0 is the model's 1 again. A(0) = 3/k1, A(t) = 1/k1 + (2/k1) exp(-k1 t)."""
    times = [1.0, 4.0]
    yaml_path = _pre_problem(tmp_path / "back", pd.DataFrame(
        {"conditionId": ["low", "high"], "k0": [3.0, np.nan]}), [1.0, 1.0], times)
    cp = CompiledProblem(ProblemPayload.from_problem(load_problem(yaml_path)))
    k1 = 0.5
    h, _ = cp.observables(np.array([k1]))
    t = np.array(times)
    np.testing.assert_allclose(h, 1 / k1 + 2 / k1 * np.exp(-k1 * t), rtol=1e-6)


def test_species_initial_value_from_condition(tmp_path):
    """A condition that sets the species A to 5 (no pre-equilibration):
    A(t) = k0/k1 + (5 - k0/k1) exp(-k1 t)."""
    times = [0.0, 1.0, 3.0]
    yaml_path = _pre_problem(tmp_path / "init", pd.DataFrame(
        {"conditionId": ["start5"], "A": [5.0]}), [1.0, 1.0, 1.0], times, pre="", sim="start5")
    cp = CompiledProblem(ProblemPayload.from_problem(load_problem(yaml_path)))
    k1 = 0.4
    h, _ = cp.observables(np.array([k1]))
    t = np.array(times)
    np.testing.assert_allclose(h, 1 / k1 + (5 - 1 / k1) * np.exp(-k1 * t), rtol=1e-6)
    # the dense trajectory of the plots passes through the same values
    (grid, values), = cp.simulate_dense(np.array([k1]), n=7)
    np.testing.assert_allclose(values[:, 0], 1 / k1 + (5 - 1 / k1) * np.exp(-k1 * grid), rtol=1e-6)
