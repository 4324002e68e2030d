"""Species that stay zero in every simulation are taken out of the simulated model, exactly.

References: the analytic solution of a small network, and the unpruned
model simulated by libroadrunner (the pruned species must be exactly zero
there at every time of every unit, and every readout the same).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jakstat_rules.calibrate.compiled import CompiledProblem
from jakstat_rules.pruning import pruned_sbml, reachability
from jakstat_rules.calibrate.simulation import ConditionSimulator
from jakstat_rules.petab_io import ProblemPayload, load_problem

from conftest import REAL_DATA, needs_data, write_one_condition_problem

# L (set from the dose) binds A into D; D makes C, E (a Hill rate), F (a rate
# with a constant term, so F is made without D) and, through C, G.
NETWORK = """
model m
  compartment cell = 1
  species A = 1, B = 0, L, D = 0, C = 0, E = 0, F = 0, G = 0
  dose = 0
  L = dose
  k1 = 0.3; k2 = 0.5; k3 = 0.2; Vmax = 1; K = 0.5; k4 = 0.1; k5 = 0.7
  R1: A -> B; k1*A
  R2: L + A -> D; k2*L*A
  R3: D -> C; k3*D
  R4: -> E; Vmax*D^2/(K^2 + D^2)
  R5: -> F; k4 + k5*D
  R6: C -> G; k3*C/(1 + C)
end
"""
DOSE_ZERO = {"L", "D", "C", "E", "G"}


def _sbml() -> str:
    import tellurium as te

    return te.antimonyToSBML(NETWORK)


def test_structural_zeros_follow_the_reactions():
    sbml = _sbml()
    assert reachability(sbml, {"A"})[0] == DOSE_ZERO
    assert reachability(sbml, {"A", "L"})[0] == set()
    # without A nothing binds L: D and what follows from it stay zero, L does not
    assert reachability(sbml, {"L"})[0] == {"A", "B", "D", "C", "E", "G"}


def test_pruned_model_keeps_ids_and_drops_zero_rate_reactions():
    import libsbml

    zero, dead = reachability(_sbml(), {"A"})
    model = libsbml.readSBMLFromString(pruned_sbml(_sbml(), zero, dead)).getModel()
    assert {r.getId() for r in model.getListOfReactions()} == {"R1", "R5"}
    for sid in DOSE_ZERO:
        s = model.getSpecies(sid)
        assert s.getBoundaryCondition() and s.getConstant()
        assert s.getInitialConcentration() == 0.0 and model.getInitialAssignment(sid) is None


def _problem(folder, dose: float):
    yaml = write_one_condition_problem(
        folder, NETWORK,
        measurements={"observableId": ["obs_B"] * 4 + ["obs_F"] * 4,
                      "time": [0.0, 1.0, 4.0, 10.0] * 2, "measurement": [0.0] * 8},
        observables={"observableId": ["obs_B", "obs_F"], "observableFormula": ["B", "F"],
                     "noiseFormula": ["1", "1"]},
        parameters={"parameterId": ["k1"], "parameterScale": ["log10"],
                    "lowerBound": [0.01], "upperBound": [10.0], "nominalValue": [0.3],
                    "estimate": [1]})
    pd.DataFrame({"conditionId": ["c0"], "dose": [dose]}).to_csv(
        folder / "conditions.tsv", sep="\t", index=False)
    return ProblemPayload.from_problem(load_problem(yaml))


def test_pruned_problem_simulates_the_analytic_solution(tmp_path):
    cp = CompiledProblem(_problem(tmp_path / "zero", 0.0))
    assert cp.pruned == DOSE_ZERO
    assert set(cp.engine.species_ids) == {"A", "B", "F"}
    k1 = 0.7
    h, _ = cp.observables(np.array([k1]))
    t = np.array([0.0, 1.0, 4.0, 10.0])
    np.testing.assert_allclose(h[:4], 1.0 - np.exp(-k1 * t), atol=1e-8)
    np.testing.assert_allclose(h[4:], 0.1 * t, atol=1e-8)  # F = k4 t while D = 0
    # a dose in the condition: L starts non-zero and nothing is pruned
    assert CompiledProblem(_problem(tmp_path / "dosed", 1.0)).pruned == set()


@needs_data
def test_kirby_problem_simulates_without_the_il6_and_ifng_complexes(tmp_path):
    from jakstat_rules.data.kirby import write_kirby_petab

    paths = write_kirby_petab(REAL_DATA, tmp_path / "petab")
    payload = ProblemPayload.from_problem(load_problem(paths["train"]))
    pruned = CompiledProblem(payload)
    full = CompiledProblem(payload, prune=False)
    zero = sorted(pruned.pruned)
    # the Kirby conditions dose IFN-alpha and IFN-beta only
    assert "IL6" in zero and "IFNG" in zero and "IFNA2" not in zero and "IFNB1" not in zero
    assert len(pruned.engine.species_ids) == len(full.engine.species_ids) - len(zero)
    p = np.where(np.isfinite(full.parameters.nominal), full.parameters.nominal, 1.0)
    # every pruned species is exactly zero throughout every unit of the unpruned model
    on_full = ConditionSimulator(full.engine, full.plan, zero, full.dynamic).simulate(p)
    assert max(float(np.max(np.abs(a))) for a in on_full) == 0.0
    # and the readouts the problem measures agree to the integrator's tolerance
    for a, b in zip(full.simulate(p), pruned.simulate(p)):
        span = np.maximum(np.ptp(a, axis=0), 1e-12)
        assert np.max(np.abs(a - b) / span) < 1e-6
    assert pruned.nll(p) == pytest.approx(full.nll(p), rel=1e-8)


def _one_observable(folder, antimony: str, observable: str, parameters: dict):
    yaml = write_one_condition_problem(
        folder, antimony,
        measurements={"observableId": ["obs"] * 4, "time": [0.0, 1.0, 4.0, 10.0],
                      "measurement": [0.0] * 4},
        observables={"observableId": ["obs"], "observableFormula": [observable],
                     "noiseFormula": ["1"]},
        parameters=parameters)
    return ProblemPayload.from_problem(load_problem(yaml))


ONE_RATE = {"parameterId": ["kr"], "parameterScale": ["lin"], "lowerBound": [0.1],
            "upperBound": [1.0], "nominalValue": [0.5], "estimate": [1]}
TIMES = np.array([0.0, 1.0, 4.0, 10.0])


def test_a_species_defined_by_a_rule_is_its_formula_not_a_zero(tmp_path):
    # S := A with A = 1 throughout: B = kr t
    cp = CompiledProblem(_one_observable(tmp_path, """
model m
  compartment cell = 1
  species A = 1, S, B = 0
  S := A
  kr = 0.5
  R1: -> B; kr*S
end""", "B", ONE_RATE))
    assert cp.pruned == set()
    np.testing.assert_allclose(cp.observables(np.array([0.5]))[0], 0.5 * TIMES, atol=1e-8)


def test_a_reaction_whose_id_a_rate_law_reads_is_kept(tmp_path):
    # R2 cannot fire (L stays 0), and X is made at kr + R2 = kr
    cp = CompiledProblem(_one_observable(tmp_path, """
model m
  compartment cell = 1
  species A = 1, L = 0, D = 0, X = 0
  kr = 0.5
  R2: L + A -> D; kr*L*A
  R3: -> X; kr + R2
end""", "X", ONE_RATE))
    assert cp.pruned == {"L", "D"}
    np.testing.assert_allclose(cp.observables(np.array([0.5]))[0], 0.5 * TIMES, atol=1e-8)


def test_an_initial_value_zero_only_where_two_parameters_are_equal_is_not_pruned(tmp_path):
    # L = La - Lb: zero when both sit at the same nominal value, not elsewhere
    payload = _one_observable(tmp_path, """
model m
  compartment cell = 1
  species A = 1, L, D = 0
  La = 1; Lb = 1
  L = La - Lb
  R1: L + A -> D; 0.5*L*A
end""", "D", {"parameterId": ["La", "Lb"], "parameterScale": ["lin", "lin"],
              "lowerBound": [0.0, 0.0], "upperBound": [5.0, 5.0],
              "nominalValue": [1.0, 1.0], "estimate": [1, 1]})
    cp = CompiledProblem(payload)
    assert cp.pruned == set()
    p = np.array([3.0, 1.0])
    np.testing.assert_allclose(cp.observables(p)[0],
                               CompiledProblem(payload, prune=False).observables(p)[0])


def test_zero_over_zero_is_not_a_zero_rate():
    import tellurium as te

    sbml = te.antimonyToSBML("""
model m
  compartment cell = 1
  species A = 1, L = 0, D = 0, X = 0
  R1: -> X; L/(L + D)
end""")
    assert reachability(sbml, {"A"})[0] == {"L", "D"}  # X is made (the rate is 0/0, not 0)


def test_the_settings_line_says_how_many_species_are_simulated(tmp_path):
    from jakstat_rules.calibrate.defaults import choose_settings
    from jakstat_rules.calibrate.optimizers import FitSettings

    choice = choose_settings(_problem(tmp_path, 0.0), FitSettings())
    assert "3 of 8 species simulated, the others zero in every condition" in choice.line(1, "")
    assert choice.measured["species_simulated"] == 3
