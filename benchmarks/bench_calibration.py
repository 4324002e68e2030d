"""Benchmark: our calibrator vs plain pyPESTO (roadrunner, L-BFGS-B) vs COPASI.

The same PEtab problem is fitted by

1. ``jakstat_rules.calibrate.calibrate`` (least squares on residuals,
   analytic scaling factors, model compiled once);
2. pyPESTO's plain roadrunner pipeline: ``PetabImporter(simulator_type=
   "roadrunner")`` + ``ScipyOptimizer("L-BFGS-B")`` (finite-difference
   gradients, every parameter optimised numerically);
3. COPASI's Levenberg-Marquardt on the exported ``.cps`` (python-copasi),
   noise SDs then re-estimated by us so that its result is scored with the
   same PEtab NLL.

All three get Latin-hypercube starting points with the same seed and the same
integrator tolerances.  A start is *converged* when its NLL is within 0.1 of
the best NLL found by any method.  Printed: time per start, fraction of
converged starts, converged starts per minute, and ratios to pyPESTO (target:
>= 2x converged starts per minute).

Usage::

    python benchmarks/bench_calibration.py [--problem YAML] [--starts N]
                                           [--seed S] [--no-copasi] [--standin]

Without ``--problem`` the Kirby training problem is built from
``sbml/jakstat_ifn.xml`` (with ``--standin``, or while that file is missing,
from the stand-in model of ``jakstat_rules.calibrate.example``).  On the real
model plain pyPESTO needs hours for a few starts; ``--standin`` runs in about
three minutes.
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
import tempfile
import time
import warnings
from dataclasses import asdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from jakstat_rules.calibrate.mapping import scale, unscale  # noqa: E402
from jakstat_rules.calibrate.objective import Objective, get_compiled  # noqa: E402
from jakstat_rules.calibrate.optimize import (CONVERGENCE_TOL, FitSettings, calibrate,  # noqa: E402
                                              run_start, starting_points)
from jakstat_rules.calibrate.petab_io import ProblemPayload, load_problem  # noqa: E402
from jakstat_rules.engine import DEFAULT_ATOL, DEFAULT_RTOL  # noqa: E402

#: The same integrator tolerances for every method: the engine's default.
RTOL, ATOL = DEFAULT_RTOL, DEFAULT_ATOL


def default_problem(work: Path, standin: bool = False) -> Path:
    """Kirby training problem with the real model or the stand-in."""
    from jakstat_rules.calibrate.data import write_kirby_petab
    from jakstat_rules.calibrate.example import write_standin_sbml

    sbml = ROOT / "sbml" / "jakstat_ifn.xml"
    if standin or not sbml.is_file():
        print("model: the stand-in of jakstat_rules.calibrate.example")
        sbml = write_standin_sbml(work / "standin.xml")
    else:
        print(f"model: {sbml}")
    return write_kirby_petab(None, work / "petab", sbml)["train"]


def run_ours(problem: Path, work: Path, n: int, seed: int) -> dict:
    t0 = time.perf_counter()
    calibrate(problem, work / "ours", n_starts=n, seed=seed, progress=False,
              plots=False, settings=FitSettings(rtol=RTOL, atol=ATOL))
    wall = time.perf_counter() - t0
    import pandas as pd

    starts = pd.read_csv(work / "ours" / "starts.tsv", sep="\t")
    return {"name": "jakstat calibrate", "fvals": starts["fval"].to_numpy(float),
            "wall": wall}


def run_pypesto(problem: Path, n: int, seed: int) -> dict:
    import petab.v1 as petab
    import pypesto.optimize
    import pypesto.petab
    from pypesto.objective.roadrunner import SolverOptions

    pp = petab.Problem.from_yaml(str(problem))
    # pyPESTO 0.7's roadrunner objective needs conditions in sorted order
    pp.measurement_df = pp.measurement_df.sort_values(
        ["simulationConditionId", "time"], kind="stable").reset_index(drop=True)
    t0 = time.perf_counter()
    pyp = pypesto.petab.PetabImporter(pp, simulator_type="roadrunner").create_problem()
    pyp.objective.solver_options = SolverOptions(
        relative_tolerance=RTOL, absolute_tolerance=ATOL, maximum_num_steps=200000)
    x0 = starting_points(pyp.lb, pyp.ub, n, seed)
    pyp.set_x_guesses(x0)
    res = pypesto.optimize.minimize(
        pyp, optimizer=pypesto.optimize.ScipyOptimizer(method="L-BFGS-B"),
        n_starts=n, progress_bar=False)
    wall = time.perf_counter() - t0
    fvals = np.array([r.fval for r in res.optimize_result.list], float)
    return {"name": "pyPESTO roadrunner L-BFGS-B", "fvals": fvals, "wall": wall}


def run_copasi(problem: Path, work: Path, n: int, seed: int) -> dict:
    import COPASI

    from jakstat_rules.calibrate.export import export_fit

    prob = load_problem(problem)
    payload = ProblemPayload.from_problem(prob)
    cp = get_compiled(payload, RTOL, ATOL)
    table = cp.parameters
    nominal = dict(zip(table.estimated_ids, table.nominal))
    export_fit(problem, nominal, work / "copasi")
    dm = COPASI.CRootContainer.addDatamodel()
    assert dm.loadModel(str(work / "copasi" / "fitted_model.cps"))
    task = dm.getTask("Parameter Estimation")
    task.setMethodType(COPASI.CTaskEnum.Method_LevenbergMarquardt)
    cprob = task.getProblem()
    cprob.setCalculateStatistics(False)
    dm.getTask("Time-Course").getProblem()
    items = [cprob.getOptItemList()[i] for i in range(cprob.getOptItemSize())]
    names = [it.getObjectDisplayName().split("[", 1)[1].split("]", 1)[0] for it in items]
    idx = [table.position(nm) for nm in names]
    scales = [table.scales[i] for i in idx]
    lb = scale(table.lb[idx], scales)
    ub = scale(table.ub[idx], scales)
    x0s = starting_points(lb, ub, n, seed)
    settings = asdict(FitSettings(rtol=RTOL, atol=ATOL))
    fvals = []
    t0 = time.perf_counter()
    for x0 in x0s:
        for it, v in zip(items, unscale(x0, scales)):
            it.setStartValue(float(v))
        ok = task.process(True)
        sol = cprob.getSolutionVariables()
        fitted = {nm: float(sol.get(k)) for k, nm in enumerate(names)}
        if not ok:
            fvals.append(math.inf)
            continue
        # score with the PEtab NLL: noise parameters re-estimated given COPASI's fit
        ob = Objective(cp, fixed=fitted)
        rec = run_start(payload, settings, 0, (ob.lb + ob.ub) / 2, fixed=fitted)
        fvals.append(float(rec.fval))
    wall = time.perf_counter() - t0
    return {"name": "COPASI Levenberg-Marquardt", "fvals": np.array(fvals), "wall": wall}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--problem", type=Path, default=None)
    ap.add_argument("--starts", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-copasi", action="store_true")
    ap.add_argument("--standin", action="store_true",
                    help="use the small stand-in model (minutes instead of hours)")
    args = ap.parse_args(argv)
    logging.getLogger("petab").setLevel(logging.ERROR)
    logging.getLogger("pypesto").setLevel(logging.ERROR)
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        problem = args.problem or default_problem(work, args.standin)
        print(f"problem: {problem}, {args.starts} starts, seed {args.seed}")
        results = [run_ours(problem, work, args.starts, args.seed),
                   run_pypesto(problem, args.starts, args.seed)]
        if not args.no_copasi:
            results.append(run_copasi(problem, work, args.starts, args.seed))
    best = min(float(np.min(r["fvals"])) for r in results)
    print(f"\nbest NLL over all methods: {best:.6g} (converged: within {CONVERGENCE_TOL})")
    print(f"{'method':32s} {'s/start':>9s} {'conv.frac':>9s} {'conv/min':>9s} "
          f"{'best NLL':>12s} {'speed x':>8s} {'conv/min x':>10s}")
    ref = results[1]
    for r in results:
        r["per_start"] = r["wall"] / len(r["fvals"])
        r["conv"] = int(np.sum(r["fvals"] <= best + CONVERGENCE_TOL))
        r["frac"] = r["conv"] / len(r["fvals"])
        r["cpm"] = r["conv"] / (r["wall"] / 60.0)
    for r in results:
        cpm_ratio = r["cpm"] / ref["cpm"] if ref["cpm"] > 0 else math.inf
        print(f"{r['name']:32s} {r['per_start']:9.2f} {r['frac']:9.2f} {r['cpm']:9.2f} "
              f"{np.min(r['fvals']):12.6g} {ref['per_start'] / r['per_start']:8.2f} "
              f"{cpm_ratio:10.2f}")
    print("ratios are relative to pyPESTO (x > 1: better than pyPESTO; inf: pyPESTO "
          "had no converged start)")
    print("note: COPASI minimises its own weighted sum of squares (SD weights), so "
          "its optimum can differ slightly from the PEtab-NLL optimum")
    return 0


if __name__ == "__main__":
    sys.exit(main())
