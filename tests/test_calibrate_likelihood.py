"""Tests of jakstat_rules.calibrate.likelihood: the PEtab negative
log-likelihood, term by term and for whole problems.

References: scipy's normal and Laplace log-densities, libpetab's
``calculate_single_llh``, pyPESTO's roadrunner objective, and a fresh
simulation of the Kirby stand-in problem written here from scratch.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy.stats import laplace, norm

from jakstat_rules.calibrate.example import write_example_problem, write_standin_sbml
from jakstat_rules.calibrate.likelihood import nll_terms, weighted_residuals
from jakstat_rules.calibrate.compiled import CompiledProblem
from jakstat_rules.petab_io import ProblemPayload, load_problem
from conftest import REAL_DATA, needs_data


def _compiled(yaml_path: Path) -> CompiledProblem:
    return CompiledProblem(ProblemPayload.from_problem(load_problem(yaml_path)))


def test_terms_match_scipy_densities():
    y = np.array([1.0, 2.0, 3.0, 0.5, 5.0, 7.0])
    h = np.array([1.2, 1.5, 3.3, 0.4, 4.0, 7.5])
    s = np.array([0.1, 0.5, 0.2, 0.3, 0.6, 1.0])
    groups = [SimpleNamespace(rows=np.array([0, 1]), transformation="lin", distribution="normal"),
              SimpleNamespace(rows=np.array([2, 3]), transformation="lin", distribution="laplace"),
              SimpleNamespace(rows=np.array([4]), transformation="log", distribution="normal"),
              SimpleNamespace(rows=np.array([5]), transformation="log10", distribution="normal")]
    terms = nll_terms(y, h, s, groups)
    np.testing.assert_allclose(terms[:2], -norm.logpdf(y[:2], h[:2], s[:2]), rtol=1e-12)
    np.testing.assert_allclose(terms[2:4], -laplace.logpdf(y[2:4], h[2:4], s[2:4]), rtol=1e-12)
    # log-normal: density of y is the normal density of log y divided by y
    assert terms[4] == pytest.approx(-(norm.logpdf(np.log(5.0), np.log(4.0), 0.6) - np.log(5.0)))
    assert terms[5] == pytest.approx(-(norm.logpdf(np.log10(7.0), np.log10(7.5), 1.0)
                                       - np.log(7.0 * np.log(10.0))))
    r = weighted_residuals(y, h, s, groups)
    np.testing.assert_allclose(r[:2], (y[:2] - h[:2]) / s[:2])
    assert r[5] == pytest.approx((np.log10(7.0) - np.log10(7.5)) / 1.0)


def _pypesto_fval(yaml_path: Path, p_lin: dict[str, float]) -> float:
    import petab.v1 as petab
    import pypesto.petab
    from pypesto.objective.roadrunner import SolverOptions

    problem = petab.Problem.from_yaml(str(yaml_path))
    pyp = pypesto.petab.PetabImporter(problem, simulator_type="roadrunner").create_problem()
    pyp.objective.solver_options = SolverOptions(
        relative_tolerance=1e-12, absolute_tolerance=1e-12, maximum_num_steps=100000)
    x = []
    for pid, scale in zip(pyp.x_names, pyp.x_scales):
        v = p_lin[pid]
        x.append(np.log10(v) if scale == "log10" else (np.log(v) if scale == "log" else v))
    return float(pyp.objective(np.array(x)))


def test_nll_matches_pypesto_example(noisy_problem):
    cp = _compiled(noisy_problem)
    for p in ({"k1": 0.3, "k2": 0.05, "scale": 2.5, "sigma": 0.1},
              {"k1": 0.05, "k2": 0.7, "scale": 0.4, "sigma": 1.3}):
        ours = cp.nll(np.array([p[i] for i in cp.estimated_ids]))
        assert ours == pytest.approx(_pypesto_fval(noisy_problem, p), abs=1e-4)


@needs_data
def test_nll_matches_pypesto_kirby_standin(tmp_path):
    from jakstat_rules.data.kirby import write_kirby_petab

    sbml = write_standin_sbml(tmp_path / "standin.xml")
    yaml_path = write_kirby_petab(REAL_DATA, tmp_path / "petab", sbml)["train"]
    cp = _compiled(yaml_path)
    p = dict(zip(cp.estimated_ids, cp.parameters.nominal))
    p["kon_IFNB1_IFNAR2"] *= 0.3
    p["scale_20190119"] = 0.02
    ours = cp.nll(np.array([p[i] for i in cp.estimated_ids]))
    assert ours == pytest.approx(_pypesto_fval(yaml_path, p), rel=1e-7, abs=1e-4)


@pytest.mark.parametrize("transformation, distribution", [
    ("log10", "normal"), ("log", "normal"), ("lin", "laplace"), ("log", "laplace")])
def test_nll_other_noise_models(tmp_path, transformation, distribution):
    """Against pyPESTO, except log-Laplace: there pyPESTO 0.7's roadrunner
    objective disagrees with petab's own formula (petab.v1.calculate.
    calculate_single_llh), which is used as the reference instead."""
    from petab.v1.calculate import calculate_single_llh

    d = tmp_path / "p"
    write_example_problem(d, noise_sd=0.0)
    obs = pd.read_csv(d / "observables.tsv", sep="\t")
    obs["observableTransformation"] = transformation
    obs["noiseDistribution"] = distribution
    obs.to_csv(d / "observables.tsv", sep="\t", index=False)
    meas = pd.read_csv(d / "measurements.tsv", sep="\t")
    meas["measurement"] = meas["measurement"] * 1.05 + 0.01  # positive, off the model
    meas.to_csv(d / "measurements.tsv", sep="\t", index=False)
    cp = _compiled(d / "problem.yaml")
    p = {"k1": 0.2, "k2": 0.08, "scale": 3.0}
    pv = np.array([p[i] for i in cp.estimated_ids])
    ours = cp.nll(pv)
    if (transformation, distribution) != ("log", "laplace"):
        assert ours == pytest.approx(_pypesto_fval(d / "problem.yaml", p), rel=1e-6)
    h, s = cp.observables(pv)
    ref = -sum(calculate_single_llh(float(m), float(x), transformation, distribution,
                                    float(sd)) for m, x, sd in zip(cp.y, h, s))
    assert ours == pytest.approx(ref, rel=1e-12)


@needs_data
def test_nll_kirby_standin_by_hand_and_row_order(tmp_path):
    """Reference computed here from scratch (a fresh libroadrunner per
    condition, through the bare engine without its compiled-state cache, not the
    calibrator's condition handling; scipy's normal log-density); shuffling the
    measurement rows changes nothing."""
    from jakstat_rules.data.kirby import write_kirby_petab
    from jakstat_rules.engine import Engine

    sbml = write_standin_sbml(tmp_path / "standin.xml")
    yaml_path = write_kirby_petab(REAL_DATA, tmp_path / "petab", sbml)["train"]
    problem = load_problem(yaml_path)
    cp = CompiledProblem(ProblemPayload.from_problem(problem))
    p = dict(zip(cp.estimated_ids, cp.parameters.nominal))
    p["kdp_PTPN2_pSTAT1"] *= 2.0
    p["scale_20190121"] = 0.03
    ours = cp.nll(np.array([p[i] for i in cp.estimated_ids]))

    m, c = problem.measurement_df, problem.condition_df
    ref = 0.0
    for cid, rows in m.groupby("simulationConditionId"):
        rr = Engine.from_file(sbml, rtol=1e-12, atol=1e-12, use_cache=False).rr
        for pid in ("kon_IFNA2_IFNAR2", "kon_IFNB1_IFNAR2", "kcat_STAT_phos",
                    "kdp_PTPN2_pSTAT1"):
            rr[pid] = p[pid]
        rr["IFNa_pM"], rr["IFNb_pM"] = c.at[cid, "IFNa_pM"], c.at[cid, "IFNb_pM"]
        rr.reset()
        times = sorted(set(rows["time"]))
        res = rr.simulate(times=[0.0] + times, selections=["time", "pSTAT1_total"])
        value = dict(zip(np.asarray(res)[1:, 0], np.asarray(res)[1:, 1]))
        for _, r in rows.iterrows():
            scale, sigma = p[r["observableParameters"]], p[r["noiseParameters"]]
            ref -= norm.logpdf(r["measurement"], scale * value[r["time"]], sigma)
    assert ours == pytest.approx(ref, rel=1e-8)

    shuffled = ProblemPayload.from_problem(problem)
    m2 = shuffled.measurement_df.sample(frac=1.0, random_state=0)
    cp2 = CompiledProblem(ProblemPayload(shuffled.sbml, shuffled.condition_df, m2,
                                         shuffled.observable_df, shuffled.parameter_df,
                                         hash="shuffled"))
    assert cp2.nll(np.array([p[i] for i in cp2.estimated_ids])) == pytest.approx(ours, rel=1e-12)
    # identical doses of the three experiments are simulated once
    assert len(cp.plan.units) == 14 and len(problem.condition_df) == 42
