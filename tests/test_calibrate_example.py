"""Tests of jakstat_rules.calibrate.example, and the example problems other
calibrate test modules share.

The shared problems and the fit of the exact problem are built once per test
session in the session's base temporary folder: every module imports the
fixtures from here (``from test_calibrate_example import exact_fit``), and
the first module that needs one builds it on disk, the next ones find it
there.
"""

from __future__ import annotations

from pathlib import Path

import libsbml
import numpy as np
import pandas as pd
import pytest

from jakstat_rules.calibrate.example import (EXAMPLE_TRUE, write_example_problem,
                                             write_standin_sbml)

REAL_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "kirby2021"
needs_data = pytest.mark.skipif(not REAL_DATA.is_dir(),
                                reason=f"Kirby 2021 data folder {REAL_DATA} missing")


def shared_folder(tmp_path_factory, name: str) -> Path:
    """A folder of the session's base temp dir, the same for every test module."""
    return tmp_path_factory.getbasetemp() / f"shared_{name}"


@pytest.fixture(scope="session")
def exact_problem(tmp_path_factory) -> Path:
    """Noise-free data, fixed sigma: the optimum is the true parameters."""
    folder = shared_folder(tmp_path_factory, "exact")
    yaml_path = folder / "problem.yaml"
    return yaml_path if yaml_path.is_file() else write_example_problem(folder, noise_sd=0.0)


@pytest.fixture(scope="session")
def noisy_problem(tmp_path_factory) -> Path:
    """Noisy data with estimated sigma."""
    folder = shared_folder(tmp_path_factory, "noisy")
    yaml_path = folder / "problem.yaml"
    if yaml_path.is_file():
        return yaml_path
    return write_example_problem(folder, noise_sd=0.1, seed=3, estimate_sigma=True)


@pytest.fixture(scope="session")
def exact_fit(exact_problem, tmp_path_factory) -> Path:
    """A finished 4-start fit of the exact problem (with plots)."""
    from jakstat_rules.calibrate.optimize import calibrate

    out = shared_folder(tmp_path_factory, "exact_fit")
    if not (out / "summary.json").is_file():
        calibrate(exact_problem, out, n_starts=4, seed=0, progress=False)
    return out


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
    assert (a.parent / "measurements.tsv").read_text() == (b.parent / "measurements.tsv").read_text()


def test_standin_model_has_the_contract_ids(tmp_path):
    """The ids the Kirby PEtab writer needs, and the names of ESTIMATED_PARAMETERS."""
    from jakstat_rules.calibrate.data import ESTIMATED_PARAMETERS

    path = write_standin_sbml(tmp_path / "sub" / "standin.xml")
    model = libsbml.readSBMLFromFile(str(path)).getModel()
    for pid in ("IFNa_pM", "IFNb_pM", *ESTIMATED_PARAMETERS):
        assert model.getParameter(pid) is not None
    assert model.getAssignmentRuleByVariable("pSTAT1_total") is not None
    assert [p.name for p in tmp_path.rglob("*") if p.name.startswith(".")] == []

