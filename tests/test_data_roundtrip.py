"""End-to-end checks of the tidy importer (issue 10):

* pyPESTO's PEtab importer accepts the imported problems and its negative
  log-likelihood at the nominal parameters equals the one ``jakstat
  calibrate`` optimises (relative 1e-6), for each noise design;
* a round trip on the real model: data simulated at known parameters (two
  experiments with different scale and offset, noise), written as a tidy
  table, imported, calibrated; the known parameters come back.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from jakstat_rules.calibrate.example import write_standin_sbml
from jakstat_rules.calibrate.compiled import CompiledProblem
from jakstat_rules.petab_io import ProblemPayload, load_problem
from jakstat_rules.data.tidy import ImportOptions, import_table
from test_calibrate_likelihood import _pypesto_fval


def _write_table(path: Path, header: list[str], rows: list[list]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _synthetic_rows(with_sd: bool) -> list[list]:
    """Positive, smooth data (not from the model: any data define an NLL)."""
    rng = np.random.default_rng(7)
    rows = []
    for exp, s in (("rep1", 1.0), ("rep2", 3.0), ("rep3", 0.5)):
        for a, b in ((100.0, 0.0), (0.0, 20.0), (0.0, 300.0)):
            for t in (2.5, 5.0, 10.0, 30.0, 60.0):
                y = s * (50 + 400 * (1 - math.exp(-t / 12))) * (1 + 0.1 * rng.standard_normal())
                rows.append([exp, a, b, t, f"{y:.6g}"] + ([f"{0.05 * y + 1:.4g}"] if with_sd else []))
    return rows


@pytest.fixture(scope="module")
def standin(tmp_path_factory) -> Path:
    return write_standin_sbml(tmp_path_factory.mktemp("standin") / "standin.xml")


@pytest.mark.parametrize("design, options, with_sd", [
    ("normal, sigma estimated", dict(), False),
    ("normal, offset, sd given", dict(offset=True), True),
    ("log-normal, offset, sigma estimated", dict(offset=True, noise="lognormal"), False),
])
def test_pypesto_accepts_and_agrees_at_nominal(tmp_path, standin, design, options, with_sd):
    header = ["experiment", "IFNa_pM", "IFNb_pM", "time_min", "value"] + (["sd"] if with_sd else [])
    table = _write_table(tmp_path / "t.csv", header, _synthetic_rows(with_sd))
    paths = import_table(table, tmp_path / "petab", ImportOptions(validate=["rep3"], **options),
                         sbml=standin)
    for name, yaml in paths.items():
        cp = CompiledProblem(ProblemPayload.from_problem(load_problem(yaml)))
        nominal = dict(zip(cp.estimated_ids, cp.parameters.nominal))
        ours = cp.nll(np.array(cp.parameters.nominal))
        assert math.isfinite(ours)
        reference = _flattened(yaml, tmp_path / f"flat_{name}") if with_sd else yaml
        assert ours == pytest.approx(_pypesto_fval(reference, nominal), rel=1e-6), design


def _flattened(yaml: Path, folder: Path) -> Path:
    """The problem with one observable copy per (condition, measured SD), by
    libpetab's flattening: pyPESTO 0.7's roadrunner objective refuses the
    per-row numeric noise values of the imported problem, the flattened one
    has the same likelihood."""
    import petab.v1 as petab
    from petab.v1 import C

    problem = petab.Problem.from_yaml(str(yaml))
    petab.flatten_timepoint_specific_output_overrides(problem)
    # pyPESTO 0.7 pairs conditions with parameter mappings only in sorted order
    problem.measurement_df = problem.measurement_df.sort_values(
        [C.SIMULATION_CONDITION_ID, C.TIME], kind="stable").reset_index(drop=True)
    problem.to_files_generic(str(folder))
    return folder / "problem.yaml"


# ----------------------------------------------------------------------------- round trip
TRUE_FACTORS = {"kon_IFNB1_IFNAR2": 3.0, "kint_complex": 0.4}   # x the model's value
EXPERIMENTS = {"A": (0.02, 50.0), "B": (0.08, -20.0)}           # scale, offset
DOSES_NM = (0.02, 0.4)                                          # IFN-beta, nM (20, 400 pM)
TIMES = (2.5, 5.0, 10.0, 20.0, 30.0, 45.0, 60.0)
NOISE = 0.02                                                    # SD / largest signal


@pytest.mark.slow
def test_round_trip_recovers_known_parameters(tmp_path):
    """~25 s: 2 model parameters, 2 experiments (scale, offset, noise SD each
    estimated), 2 starts on the real model."""
    import libsbml

    from jakstat_rules.calibrate.multistart import calibrate
    from jakstat_rules.calibrate.optimizers import FitSettings
    from jakstat_rules.artifacts import model_sbml
    from jakstat_rules.simulate import Simulator

    model = libsbml.readSBMLFromString(model_sbml("default")).getModel()
    true = {pid: model.getParameter(pid).getValue() * f for pid, f in TRUE_FACTORS.items()}
    sim = Simulator("default", overrides=true)
    rng = np.random.default_rng(1)
    rows = []
    for dose in DOSES_NM:
        x = sim.run({"IFNb_pM": dose * 1e3}, (0.0, *TIMES), ["pSTAT1_total"])
        x = x["pSTAT1_total"].to_numpy()[1:]
        for exp, (scale, offset) in EXPERIMENTS.items():
            y = scale * x + offset + NOISE * scale * x.max() * rng.standard_normal(len(x))
            rows += [[exp, dose, t, f"{v:.7g}"] for t, v in zip(TIMES, y)]
    table = _write_table(tmp_path / "sim.csv", ["experiment", "IFNb_nM", "time_min", "value"],
                         rows)
    yaml = import_table(table, tmp_path / "petab",
                        ImportOptions(estimate={pid: 2.0 for pid in TRUE_FACTORS},
                                      offset=True))["train"]
    # finite differences: the choice of derivatives is tested on small problems
    # (test_calibrate_defaults), and AMICI's build of this model would take 45 s more
    summary = calibrate(yaml, tmp_path / "fit", n_starts=2, seed=0, progress=False,
                        plots=False, settings=FitSettings(rtol=1e-8, atol=1e-8, tol=1e-8,
                                                          gradient="fd"))
    best = summary["best_parameters"]
    assert summary["n_converged"] == 2
    for pid, value in true.items():
        assert best[pid] == pytest.approx(value, rel=0.15), pid
    for exp, (scale, offset) in EXPERIMENTS.items():
        assert best[f"scale_{exp}"] == pytest.approx(scale, rel=0.15)
        assert abs(best[f"offset_{exp}"] - offset) < 100  # noise SD: 20-28 (A), 80-110 (B)
    assert best["scale_B"] / best["scale_A"] == pytest.approx(4.0, rel=0.1)
