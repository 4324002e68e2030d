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


def _shared_pre_problem(folder, event: bool):
    """dA/dt = k0 - k1 A and a rate rule dx/dt = k2 (k0 - x), pre-equilibrated at k0 = 1
    ("low"), then three conditions set k0 to 2, 4 and 1 (k1 estimated, k2 = 0.3).
    With ``event``, an event that never fires (time > 1e9)."""
    import tellurium as te

    ant = ("model shared\n compartment c = 1; species A in c; A = 0; k0 = 1; k1 = 0.5; "
           "k2 = 0.3; x = 0\n make: -> A; k0\n loss: A -> ; k1*A\n x' = k2*(k0 - x)\n"
           + (" late: at time > 1e9: k2 = 1\n" if event else "") + "end")
    times = [0.5, 2.0, 5.0]
    rows = [{"observableId": obs, "preequilibrationConditionId": "low",
             "simulationConditionId": sim, "measurement": 1.0, "time": t,
             "noiseParameters": 0.2}
            for sim in ("up2", "up4", "back") for obs in ("A_obs", "x_obs") for t in times]
    return write_problem(
        folder, te.antimonyToSBML(ant),
        pd.DataFrame({"conditionId": ["low", "up2", "up4", "back"],
                      "k0": [1.0, 2.0, 4.0, 1.0]}).set_index("conditionId"),
        pd.DataFrame([{"observableId": "A_obs", "observableFormula": "A",
                       "noiseFormula": "noiseParameter1_A_obs"},
                      {"observableId": "x_obs", "observableFormula": "x",
                       "noiseFormula": "noiseParameter1_x_obs"}]).set_index("observableId"),
        pd.DataFrame(rows),
        pd.DataFrame([{"parameterId": "k1", "parameterScale": "log10", "lowerBound": 0.01,
                       "upperBound": 10.0, "nominalValue": 0.5, "estimate": 1}]
                     ).set_index("parameterId")), times


@pytest.mark.parametrize("event", [False, True], ids=["shared", "with-an-event"])
def test_conditions_sharing_a_preequilibration_integrate_it_once(tmp_path, monkeypatch, event):
    """Three simulations after the same pre-equilibration (k0 = 1: A = 1/k1, x = 1), then
    k0 = k: A(t) = k/k1 + (1 - k)/k1 exp(-k1 t), x(t) = k + (1 - k) exp(-0.3 t).

    The steady state is integrated once per parameter vector and set for the other
    two (species and the rate-rule target x); with an event in the model every
    simulation integrates its own."""
    from jakstat_rules.engine import Engine

    yaml_path, times = _shared_pre_problem(tmp_path / "shared", event)
    cp = CompiledProblem(ProblemPayload.from_problem(load_problem(yaml_path)))
    assert len(cp.plan.units) == 3
    calls = []
    integrate = Engine.preequilibrate
    monkeypatch.setattr(Engine, "preequilibrate",
                        lambda self, *a, **kw: calls.append(1) or integrate(self, *a, **kw))
    for n, k1 in enumerate((0.7, 0.25), start=1):
        h, _ = cp.observables(np.array([k1]))
        assert len(calls) == (3 if event else 1) * n
        t = np.array(times)
        expected = []
        for k in (2.0, 4.0, 1.0):
            expected += [k / k1 + (1 - k) / k1 * np.exp(-k1 * t), k + (1 - k) * np.exp(-0.3 * t)]
        np.testing.assert_allclose(h, np.concatenate(expected), rtol=1e-6)  # rows in table order
    # the same numbers, to the last bit, as every simulation integrating its own
    alone = CompiledProblem(ProblemPayload.from_problem(load_problem(yaml_path)))
    alone.simulator.share_steady_states = False
    k1 = np.array([0.4])
    assert np.array_equal(alone.observables(k1)[0], cp.observables(k1)[0])
    assert len(calls) == (3 if event else 1) * 3 + 3
