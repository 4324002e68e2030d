"""Tests of jakstat_rules.calibrate.example (its shared problems are fixtures in conftest.py)."""

from __future__ import annotations

import libsbml
import numpy as np
import pandas as pd

from jakstat_rules.calibrate.example import (EXAMPLE_TRUE, write_example_problem,
                                             write_standin_sbml)

def test_example_data_follow_the_analytic_solution(exact_problem):
    """A(t) = A0 exp(-k1 t), B(t) = A0 k1/(k2 - k1) (exp(-k1 t) - exp(-k2 t))."""
    m = pd.read_csv(exact_problem.parent / "measurements.tsv", sep="\t")
    k1, k2, scale = EXAMPLE_TRUE["k1"], EXAMPLE_TRUE["k2"], EXAMPLE_TRUE["scale"]
    a0 = m["simulationConditionId"].map({"high": 10.0, "low": 4.0}).to_numpy()
    t = m["time"].to_numpy(float)
    a = a0 * np.exp(-k1 * t)
    b = a0 * k1 / (k2 - k1) * (np.exp(-k1 * t) - np.exp(-k2 * t))
    expected = np.where(m["observableId"] == "A_obs", a, scale * b)
    np.testing.assert_allclose(m["measurement"], expected, rtol=1e-6, atol=1e-8)
    assert len(m) == 40


def test_example_noise_is_seeded(tmp_path):
    a = write_example_problem(tmp_path / "a", noise_sd=0.1, seed=5)
    b = write_example_problem(tmp_path / "b", noise_sd=0.1, seed=5)
    assert (a.parent / "measurements.tsv").read_text(encoding="utf-8") == (b.parent / "measurements.tsv").read_text(encoding="utf-8")


def test_standin_model_has_the_contract_ids(tmp_path):
    """The ids the Kirby PEtab writer needs, and the names of ESTIMATED_PARAMETERS."""
    from jakstat_rules.data.kirby import ESTIMATED_PARAMETERS

    path = write_standin_sbml(tmp_path / "sub" / "standin.xml")
    model = libsbml.readSBMLFromFile(str(path)).getModel()
    for pid in ("IFNa_pM", "IFNb_pM", *ESTIMATED_PARAMETERS):
        assert model.getParameter(pid) is not None
    assert model.getAssignmentRuleByVariable("pSTAT1_total") is not None
    assert [p.name for p in tmp_path.rglob("*") if p.name.startswith(".")] == []

