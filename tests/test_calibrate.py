"""Tests of jakstat_rules.calibrate: fitting, resume, dask, NLL, bad input,
profiles, validation and the CLI handlers.

References are independent of the code under test: the true parameters that
generated the data, pyPESTO's roadrunner objective, an uninterrupted run.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jakstat_rules.calibrate.example import (EXAMPLE_TRUE, write_example_problem,
                                             write_standin_sbml)
from jakstat_rules.calibrate.optimize import calibrate
from jakstat_rules.calibrate.problem import (CompiledProblem, Objective,
                                             ProblemPayload, load_problem)
from jakstat_rules.errors import JakstatInputError

REAL_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "kirby2021"


@pytest.fixture(scope="module")
def exact_problem(tmp_path_factory) -> Path:
    """Noise-free data, fixed sigma: the optimum is the true parameters."""
    return write_example_problem(tmp_path_factory.mktemp("exact"), noise_sd=0.0)


@pytest.fixture(scope="module")
def noisy_problem(tmp_path_factory) -> Path:
    """Noisy data with estimated sigma."""
    return write_example_problem(tmp_path_factory.mktemp("noisy"), noise_sd=0.1,
                                 seed=3, estimate_sigma=True)


@pytest.fixture(scope="module")
def exact_fit(exact_problem, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("fit") / "fit"
    calibrate(exact_problem, out, n_starts=4, seed=0, progress=False)
    return out


def _parser() -> argparse.ArgumentParser:
    from jakstat_rules.calibrate.cli import register

    parser = argparse.ArgumentParser(prog="jakstat")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    return parser


def _run_cli(argv: list[str]) -> int:
    """What the main CLI does: JakstatInputError -> exit code 2."""
    args = _parser().parse_args(argv)
    try:
        return args.func(args)
    except JakstatInputError:
        return 2


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# -- (a) known answer -------------------------------------------------------

def test_recovers_true_parameters(exact_fit):
    summary = json.loads((exact_fit / "summary.json").read_text())
    for pid, true in EXAMPLE_TRUE.items():
        assert summary["best_parameters"][pid] == pytest.approx(true, rel=1e-4)
    assert summary["n_starts"] == 4
    assert summary["n_converged"] >= 3
    assert math.isfinite(summary["best_fval"])
    for name in ("summary.json", "best_parameters.tsv", "starts.tsv",
                 "waterfall.png", "fit.png", "parameters.png"):
        assert (exact_fit / name).is_file()
    best = pd.read_csv(exact_fit / "best_parameters.tsv", sep="\t").set_index("parameterId")
    assert best.loc["k1", "value"] == pytest.approx(EXAMPLE_TRUE["k1"], rel=1e-4)
    starts = pd.read_csv(exact_fit / "starts.tsv", sep="\t")
    assert len(starts) == 4 and set(starts["status"]) == {"ok"}


def test_best_fval_is_gaussian_normalisation(exact_problem, exact_fit):
    """With noise-free data the residuals vanish: NLL = n/2 log(2 pi sigma^2)."""
    summary = json.loads((exact_fit / "summary.json").read_text())
    m = pd.read_csv(exact_problem.parent / "measurements.tsv", sep="\t")
    sigma = m["noiseParameters"].astype(float).to_numpy()
    expected = float(np.sum(0.5 * np.log(2 * np.pi * sigma ** 2)))
    assert summary["best_fval"] == pytest.approx(expected, abs=1e-6)


def test_noisy_fit_close_to_truth(noisy_problem, tmp_path):
    summary = calibrate(noisy_problem, tmp_path / "fit", n_starts=3, seed=1,
                        progress=False, plots=False)
    for pid, true in EXAMPLE_TRUE.items():
        assert summary["best_parameters"][pid] == pytest.approx(true, rel=0.1)
    assert summary["best_parameters"]["sigma"] == pytest.approx(0.1, rel=0.35)
    assert summary["analytic_parameters"] == ["scale"]


# -- (b) resume -----------------------------------------------------------

def test_resume_gives_same_result(exact_problem, tmp_path):
    full = calibrate(exact_problem, tmp_path / "full", n_starts=5, seed=7,
                     progress=False, plots=False)
    part = tmp_path / "part"
    calibrate(exact_problem, part, n_starts=5, seed=7, progress=False,
              plots=False, max_new_starts=2)
    assert sorted(p.name for p in (part / "starts").glob("start_*.json")) == [
        "start_0000.json", "start_0001.json"]
    # a kill during a write leaves a temp file; a non-atomic writer could
    # have left a truncated file: both must be ignored / redone
    (part / "starts" / ".start_0002.json.abc.tmp").write_text("{")
    (part / "starts" / "start_0003.json").write_text('{"start": 3, "sta')
    before = (part / "starts" / "start_0000.json").read_bytes()
    resumed = calibrate(exact_problem, part, n_starts=5, seed=7, progress=False,
                        plots=False)
    assert (part / "starts" / "start_0000.json").read_bytes() == before
    assert resumed["n_finished"] == 5 and resumed["complete"]
    a = pd.read_csv(tmp_path / "full" / "starts.tsv", sep="\t").set_index("start")
    b = pd.read_csv(part / "starts.tsv", sep="\t").set_index("start")
    np.testing.assert_allclose(b.loc[a.index, "fval"], a["fval"], rtol=0, atol=1e-9)
    assert resumed["best_fval"] == pytest.approx(full["best_fval"], abs=1e-9)


def test_failed_simulations_are_recorded(tmp_path):
    """Finite-time blow-up (dA/dt = k A^2) for k > 0.1: those starts fail
    with a reason, the others succeed."""
    import petab.v1 as petab
    import tellurium as te

    d = tmp_path / "blow"
    d.mkdir()
    (d / "model.xml").write_text(te.antimonyToSBML(
        "model blow\n compartment c = 1; species A in c; A = 1; k = 0.01\n"
        " grow: -> A; k*A*A\nend"))
    times = [1.0, 5.0, 10.0]
    truth = [1 / (1 - 0.01 * t) for t in times]
    petab.write_measurement_df(pd.DataFrame({
        "observableId": "A_obs", "simulationConditionId": "c0",
        "measurement": truth, "time": times, "noiseParameters": 0.01}),
        d / "measurements.tsv")
    petab.write_condition_df(pd.DataFrame({"conditionId": ["c0"]}).set_index(
        "conditionId"), d / "conditions.tsv")
    petab.write_observable_df(pd.DataFrame([{
        "observableId": "A_obs", "observableFormula": "A",
        "noiseFormula": "noiseParameter1_A_obs"}]).set_index("observableId"),
        d / "observables.tsv")
    petab.write_parameter_df(pd.DataFrame([{
        "parameterId": "k", "parameterScale": "log10", "lowerBound": 1e-3,
        "upperBound": 1.0, "nominalValue": 0.01, "estimate": 1}]).set_index(
        "parameterId"), d / "parameters.tsv")
    petab.yaml.create_problem_yaml("model.xml", "conditions.tsv", "measurements.tsv",
                                   "parameters.tsv", "observables.tsv",
                                   d / "problem.yaml", relative_paths=False)
    summary = calibrate(d / "problem.yaml", tmp_path / "fit", n_starts=6, seed=0,
                        progress=False, plots=False)
    starts = pd.read_csv(tmp_path / "fit" / "starts.tsv", sep="\t")
    assert len(starts) == 6
    assert summary["n_failed"] >= 1
    failed = starts[starts["status"] == "failed"]
    assert failed["reason"].str.contains("simulation failed").all()
    assert summary["best_parameters"]["k"] == pytest.approx(0.01, rel=1e-4)


# -- (c) dask ---------------------------------------------------------------

def test_dask_local_cluster_matches_serial(exact_problem, tmp_path):
    serial = calibrate(exact_problem, tmp_path / "serial", n_starts=4, seed=2,
                       progress=False, plots=False)
    dask = calibrate(exact_problem, tmp_path / "dask", n_starts=4, seed=2,
                     workers=2, processes=False, progress=False, plots=False)
    a = pd.read_csv(tmp_path / "serial" / "starts.tsv", sep="\t").set_index("start")
    b = pd.read_csv(tmp_path / "dask" / "starts.tsv", sep="\t").set_index("start")
    np.testing.assert_allclose(b.loc[a.index, "fval"], a["fval"], rtol=0, atol=1e-8)
    assert dask["best_fval"] == pytest.approx(serial["best_fval"], abs=1e-8)


# -- (d) NLL against pyPESTO ------------------------------------------------

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
    cp = CompiledProblem(ProblemPayload.from_problem(load_problem(noisy_problem)))
    for p in ({"k1": 0.3, "k2": 0.05, "scale": 2.5, "sigma": 0.1},
              {"k1": 0.05, "k2": 0.7, "scale": 0.4, "sigma": 1.3}):
        ours = cp.nll(np.array([p[i] for i in cp.estimated_ids]))
        assert ours == pytest.approx(_pypesto_fval(noisy_problem, p), abs=1e-4)


@pytest.mark.skipif(not REAL_DATA.is_dir(), reason=f"{REAL_DATA} missing")
def test_nll_matches_pypesto_kirby_standin(tmp_path):
    from jakstat_rules.calibrate.data import write_kirby_petab

    sbml = write_standin_sbml(tmp_path / "standin.xml")
    yaml_path = write_kirby_petab(REAL_DATA, tmp_path / "petab", sbml)["train"]
    cp = CompiledProblem(ProblemPayload.from_problem(load_problem(yaml_path)))
    p = dict(zip(cp.estimated_ids, cp.nominal))
    p["kon_IFNB1_IFNAR2"] *= 0.3
    p["scale_20190119"] = 0.02
    ours = cp.nll(np.array([p[i] for i in cp.estimated_ids]))
    assert ours == pytest.approx(_pypesto_fval(yaml_path, p), rel=1e-7, abs=1e-4)


def test_residuals_consistent_with_nll(noisy_problem):
    """0.5*|r|^2 differs from the NLL by a parameter-independent constant."""
    cp = CompiledProblem(ProblemPayload.from_problem(load_problem(noisy_problem)))
    ob = Objective(cp)
    diffs = []
    for x in (np.log10([0.3, 0.05, 0.1]), np.log10([0.1, 0.2, 0.5])):
        r = ob.residuals(x)
        diffs.append(ob.fval(x) - 0.5 * float(r @ r))
    assert diffs[0] == pytest.approx(diffs[1], abs=1e-8)


def test_analytic_scale_is_weighted_least_squares(noisy_problem):
    """The closed-form scale minimises the NLL over the scale (checked by a
    1-D scan of the full NLL)."""
    cp = CompiledProblem(ProblemPayload.from_problem(load_problem(noisy_problem)))
    ob = Objective(cp)
    x = np.log10([0.25, 0.06, 0.12])
    p = ob.full_parameters(x)
    k = cp.estimated_ids.index("scale")
    base = np.array([p[i] for i in cp.estimated_ids])
    f0 = cp.nll(base)
    for factor in (0.99, 1.01):
        trial = base.copy()
        trial[k] *= factor
        assert cp.nll(trial) > f0


# -- (e) bad input ----------------------------------------------------------

def test_bounds_exclude_nominal(exact_problem, tmp_path):
    d = tmp_path / "p"
    write_example_problem(d)
    par = pd.read_csv(d / "parameters.tsv", sep="\t")
    par.loc[par["parameterId"] == "k2", "nominalValue"] = 50.0
    par.to_csv(d / "parameters.tsv", sep="\t", index=False)
    with pytest.raises(JakstatInputError, match=r"'k2'.*50\.0.*outside"):
        calibrate(d / "problem.yaml", tmp_path / "out", n_starts=2, progress=False)
    assert not (tmp_path / "out").exists()
    assert _run_cli(["calibrate", str(d / "problem.yaml"), "--out",
                     str(tmp_path / "out"), "--starts", "2", "--no-progress"]) == 2


def test_missing_problem_file(tmp_path):
    with pytest.raises(JakstatInputError, match="not found"):
        calibrate(tmp_path / "nope.yaml", tmp_path / "out", progress=False)
    assert _run_cli(["calibrate", str(tmp_path / "nope.yaml"), "--out",
                     str(tmp_path / "o")]) == 2


def test_lint_failure_cli(tmp_path):
    d = tmp_path / "p"
    write_example_problem(d)
    par = pd.read_csv(d / "parameters.tsv", sep="\t")
    par.loc[0, "parameterScale"] = "log2"
    par.to_csv(d / "parameters.tsv", sep="\t", index=False)
    with pytest.raises(JakstatInputError, match="linter"):
        calibrate(d / "problem.yaml", tmp_path / "out", progress=False)
    assert _run_cli(["calibrate", str(d / "problem.yaml"), "--out",
                     str(tmp_path / "out")]) == 2


def test_other_problem_in_output_dir(exact_fit, noisy_problem):
    before = _snapshot(exact_fit)
    with pytest.raises(JakstatInputError, match="problem_hash"):
        calibrate(noisy_problem, exact_fit, n_starts=4, seed=0, progress=False)
    assert _run_cli(["calibrate", str(noisy_problem), "--out", str(exact_fit),
                     "--starts", "4", "--no-progress"]) == 2
    # different seed for the same folder is refused as well
    with pytest.raises(JakstatInputError, match="seed"):
        calibrate(_problem_of(exact_fit), exact_fit, n_starts=4, seed=99,
                  progress=False)
    assert _snapshot(exact_fit) == before


def _problem_of(fit_dir: Path) -> Path:
    return Path(json.loads((fit_dir / "summary.json").read_text())["problem"])


def test_unrelated_nonempty_output_dir(exact_problem, tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(JakstatInputError, match="not empty"):
        calibrate(exact_problem, tmp_path, n_starts=2, progress=False)
    assert (tmp_path / "mine.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.txt"]


def test_bad_cli_numbers():
    with pytest.raises(SystemExit) as err:
        _parser().parse_args(["calibrate", "p.yaml", "--starts", "0"])
    assert err.value.code == 2
    with pytest.raises(SystemExit) as err:
        _parser().parse_args(["calibrate", "p.yaml", "--seed", "-1"])
    assert err.value.code == 2


# -- profiles and validation ------------------------------------------------

def test_profile_identifies_parameters(exact_problem, exact_fit, tmp_path):
    from jakstat_rules.calibrate.profile import THRESHOLD, profile

    assert THRESHOLD == pytest.approx(1.920729, abs=1e-6)
    res = profile(exact_problem, exact_fit, tmp_path / "prof",
                  parameters=["k1", "scale"], progress=False)
    for pid in ("k1", "scale"):
        info = res["parameters"][pid]
        assert info["identifiability"] == "identifiable"
        assert info["ci_lower"] < EXAMPLE_TRUE[pid] < info["ci_upper"]
    assert not res["better_optimum_found"]
    assert (tmp_path / "prof" / "profiles.png").is_file()
    prof = pd.read_csv(tmp_path / "prof" / "profiles.tsv", sep="\t")
    assert (prof["delta"] > -1e-6).all()


def test_profile_rejects_fit_of_other_problem(noisy_problem, exact_fit, tmp_path):
    with pytest.raises(JakstatInputError, match="hash"):
        _profile(noisy_problem, exact_fit, tmp_path / "prof")
    assert not (tmp_path / "prof").exists()


def _profile(*args):
    from jakstat_rules.calibrate.profile import profile

    return profile(*args, progress=False)


def test_validate_reestimates_only_new_parameters(exact_fit, tmp_path):
    """A 'new experiment' with its own scale (true value 2.5, unknown to the
    fit): k1, k2 stay fixed, the new scale is recovered, R^2 ~ 1."""
    from jakstat_rules.calibrate.validate import validate

    d = tmp_path / "val"
    write_example_problem(d, noise_sd=0.0)
    for name in ("measurements.tsv", "parameters.tsv"):
        t = (d / name).read_text().replace("scale", "scale_new")
        (d / name).write_text(t)
    res = validate(exact_fit, d / "problem.yaml", tmp_path / "out")
    assert set(res["reestimated"]) == {"scale_new"}
    assert res["reestimated"]["scale_new"] == pytest.approx(EXAMPLE_TRUE["scale"], rel=1e-4)
    assert set(res["fixed_from_fit"]) == {"k1", "k2"}
    assert res["r2"] == pytest.approx(1.0, abs=1e-8)
    assert res["nrmse"] < 1e-4
    saved = json.loads((tmp_path / "out" / "validation.json").read_text())
    assert saved["r2"] == res["r2"]
    assert (tmp_path / "out" / "prediction.png").is_file()


# -- CLI ----------------------------------------------------------------------

@pytest.mark.parametrize("argv", [["calibrate", "--help"], ["profile", "--help"],
                                  ["validate", "--help"], ["data", "petab", "--help"]])
def test_help(argv, capsys):
    with pytest.raises(SystemExit) as err:
        _parser().parse_args(argv)
    assert err.value.code == 0
    assert "usage" in capsys.readouterr().out


def test_cli_calibrate_runs(exact_problem, tmp_path, capsys):
    code = _run_cli(["calibrate", str(exact_problem), "--starts", "2", "--seed",
                     "0", "--out", str(tmp_path / "o"), "--no-progress"])
    assert code == 0
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["n_starts"] == 2 and summary["n_finished"] == 2


@pytest.mark.skipif(not REAL_DATA.is_dir(), reason=f"{REAL_DATA} missing")
def test_cli_data_petab(tmp_path):
    sbml = write_standin_sbml(tmp_path / "m.xml")
    code = _run_cli(["data", "petab", "--data", str(REAL_DATA), "--out",
                     str(tmp_path / "petab"), "--sbml", str(sbml)])
    assert code == 0
    assert (tmp_path / "petab" / "train" / "problem.yaml").is_file()
    assert _run_cli(["data", "petab", "--data", str(tmp_path / "none"), "--out",
                     str(tmp_path / "x"), "--sbml", str(sbml)]) == 2


@pytest.mark.skipif(not REAL_DATA.is_dir(), reason=f"{REAL_DATA} missing")
def test_nll_kirby_standin_by_hand_and_row_order(tmp_path):
    """Reference computed here from scratch (fresh roadrunner per condition,
    scipy's normal log-density); shuffling the measurement rows changes
    nothing."""
    import roadrunner
    from scipy.stats import norm

    from jakstat_rules.calibrate.data import write_kirby_petab

    sbml = write_standin_sbml(tmp_path / "standin.xml")
    yaml_path = write_kirby_petab(REAL_DATA, tmp_path / "petab", sbml)["train"]
    problem = load_problem(yaml_path)
    cp = CompiledProblem(ProblemPayload.from_problem(problem))
    p = dict(zip(cp.estimated_ids, cp.nominal))
    p["kdp_PTPN2_pSTAT1"] *= 2.0
    p["scale_20190121"] = 0.03
    ours = cp.nll(np.array([p[i] for i in cp.estimated_ids]))

    m, c = problem.measurement_df, problem.condition_df
    ref = 0.0
    for cid, rows in m.groupby("simulationConditionId"):
        rr = roadrunner.RoadRunner(str(sbml))
        rr.integrator.relative_tolerance = 1e-12
        rr.integrator.absolute_tolerance = 1e-12
        for pid in ("kon_IFNA2_IFNAR2", "kon_IFNB1_IFNAR2", "kcat_STAT_phos",
                    "kdp_PTPN2_pSTAT1"):
            rr[pid] = p[pid]
        rr["IFNa_pM"], rr["IFNb_pM"] = c.at[cid, "IFNa_pM"], c.at[cid, "IFNb_pM"]
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
    assert len(cp.conditions) == 14 and len(problem.condition_df) == 42


def test_existing_scheduler(exact_problem, tmp_path):
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster:
        summary = calibrate(exact_problem, tmp_path / "fit", n_starts=2, seed=0,
                            scheduler=cluster.scheduler_address, progress=False,
                            plots=False)
    assert summary["n_finished"] == 2
    assert summary["best_parameters"]["k1"] == pytest.approx(EXAMPLE_TRUE["k1"], rel=1e-4)


def test_unreachable_scheduler(exact_problem, tmp_path):
    with pytest.raises(JakstatInputError, match="scheduler"):
        calibrate(exact_problem, tmp_path / "fit", n_starts=2,
                  scheduler="tcp://127.0.0.1:1", progress=False)


def test_export_sbml_and_copasi(exact_problem, tmp_path):
    import COPASI
    import libsbml

    out = tmp_path / "fit"
    summary = calibrate(exact_problem, out, n_starts=2, seed=0, progress=False,
                        plots=False, export_sbml=True)
    doc = libsbml.readSBMLFromFile(str(out / "fitted_model.xml"))
    model = doc.getModel()
    for pid in ("k1", "k2"):
        assert model.getParameter(pid).getValue() == pytest.approx(
            summary["best_parameters"][pid], rel=1e-12)
    dm = COPASI.CRootContainer.addDatamodel()
    try:
        assert dm.loadModel(str(out / "fitted_model.cps"))
        problem = dm.getTask("Parameter Estimation").getProblem()
        assert problem.getExperimentSet().getExperimentCount() == 2  # conditions
        names = {problem.getOptItemList()[i].getObjectDisplayName()
                 for i in range(problem.getOptItemSize())}
        assert names == {"Values[k1].InitialValue", "Values[k2].InitialValue",
                         "Values[scale].InitialValue"}
    finally:
        COPASI.CRootContainer.removeDatamodel(dm)


def test_preequilibration_and_steady_state_times(tmp_path):
    """dA/dt = k0 - k1 A: pre-equilibrated at k0 = 1, then k0 = 2.
    Exact solution A(t) = 2/k1 - (1/k1) exp(-k1 t); A(inf) = 2/k1."""
    import petab.v1 as petab
    import tellurium as te
    from scipy.stats import norm

    d = tmp_path / "pre"
    d.mkdir()
    (d / "model.xml").write_text(te.antimonyToSBML(
        "model pre\n compartment c = 1; species A in c; A = 0; k0 = 1; k1 = 0.5\n"
        " make: -> A; k0\n loss: A -> ; k1*A\nend"))
    times = [0.5, 2.0, 5.0, np.inf]
    y = [3.0, 3.5, 3.9, 4.1]
    petab.write_measurement_df(pd.DataFrame({
        "observableId": "A_obs", "preequilibrationConditionId": "low",
        "simulationConditionId": "high", "measurement": y, "time": times,
        "noiseParameters": 0.2}), d / "measurements.tsv")
    petab.write_condition_df(pd.DataFrame({"conditionId": ["low", "high"],
                                           "k0": [1.0, 2.0]}).set_index("conditionId"),
                             d / "conditions.tsv")
    petab.write_observable_df(pd.DataFrame([{
        "observableId": "A_obs", "observableFormula": "A",
        "noiseFormula": "noiseParameter1_A_obs"}]).set_index("observableId"),
        d / "observables.tsv")
    petab.write_parameter_df(pd.DataFrame([{
        "parameterId": "k1", "parameterScale": "log10", "lowerBound": 0.01,
        "upperBound": 10.0, "nominalValue": 0.5, "estimate": 1}]).set_index(
        "parameterId"), d / "parameters.tsv")
    petab.yaml.create_problem_yaml("model.xml", "conditions.tsv", "measurements.tsv",
                                   "parameters.tsv", "observables.tsv",
                                   d / "problem.yaml", relative_paths=False)
    cp = CompiledProblem(ProblemPayload.from_problem(load_problem(d / "problem.yaml")))
    k1 = 0.7
    h, _ = cp.observables(np.array([k1]))
    t = np.array(times)
    exact = np.where(np.isinf(t), 2 / k1, 2 / k1 - np.exp(-k1 * np.where(np.isinf(t), 0, t)) / k1)
    np.testing.assert_allclose(h, exact, rtol=1e-6)
    ref = -np.sum(norm.logpdf(y, exact, 0.2))
    assert cp.nll(np.array([k1])) == pytest.approx(ref, rel=1e-6)


def test_profile_resume_skips_finished_branches(exact_problem, exact_fit, tmp_path):
    from jakstat_rules.calibrate.profile import profile

    out = tmp_path / "prof"
    first = profile(exact_problem, exact_fit, out, parameters=["k2"], progress=False)
    branch = out / "branches" / "k2_lower.json"
    before = branch.read_bytes()
    mtime = branch.stat().st_mtime_ns
    again = profile(exact_problem, exact_fit, out, parameters=["k2"], progress=False)
    assert branch.read_bytes() == before and branch.stat().st_mtime_ns == mtime
    assert again["parameters"] == first["parameters"]


def test_validate_bad_fit_dir(exact_problem, tmp_path):
    from jakstat_rules.calibrate.validate import validate

    with pytest.raises(JakstatInputError, match="summary.json"):
        validate(tmp_path / "nofit", exact_problem, tmp_path / "out")
    assert _run_cli(["validate", str(tmp_path / "nofit"), str(exact_problem),
                     "--out", str(tmp_path / "out")]) == 2
    assert not (tmp_path / "out").exists()


def test_dask_worker_processes(exact_problem, tmp_path):
    """Real worker processes: the problem and the start function are
    pickled to other interpreters, each compiles the model itself."""
    summary = calibrate(exact_problem, tmp_path / "fit", n_starts=2, seed=4,
                        workers=2, processes=True, progress=False, plots=False)
    assert summary["n_finished"] == 2 and summary["n_failed"] == 0
    assert summary["best_parameters"]["k2"] == pytest.approx(EXAMPLE_TRUE["k2"], rel=1e-4)


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
    cp = CompiledProblem(ProblemPayload.from_problem(load_problem(d / "problem.yaml")))
    p = {"k1": 0.2, "k2": 0.08, "scale": 3.0}
    pv = np.array([p[i] for i in cp.estimated_ids])
    ours = cp.nll(pv)
    if (transformation, distribution) != ("log", "laplace"):
        assert ours == pytest.approx(_pypesto_fval(d / "problem.yaml", p), rel=1e-6)
    h, s = cp.observables(pv)
    ref = -sum(calculate_single_llh(float(m), float(x), transformation, distribution,
                                    float(sd)) for m, x, sd in zip(cp.y, h, s))
    assert ours == pytest.approx(ref, rel=1e-12)


def test_laplace_problem_uses_lbfgsb(tmp_path):
    d = tmp_path / "p"
    write_example_problem(d, noise_sd=0.0)
    obs = pd.read_csv(d / "observables.tsv", sep="\t")
    obs["noiseDistribution"] = "laplace"
    obs.to_csv(d / "observables.tsv", sep="\t", index=False)
    summary = calibrate(d / "problem.yaml", tmp_path / "fit", n_starts=3, seed=0,
                        progress=False, plots=False)
    assert "L-BFGS-B" in summary["optimizer"]
    assert summary["analytic_parameters"] == []
    assert summary["best_parameters"]["k1"] == pytest.approx(EXAMPLE_TRUE["k1"], rel=1e-2)
