"""Benchmark: prediction bands from profiles (ours) against bands from pyPESTO's sampler.

Which tool gives a fit's prediction uncertainty better for its cost?  One run, two
problems with known answers (:mod:`jakstat_rules.calibrate.example`):

* ``line``: ``A(t) = a + b t`` with normal noise of known SD, linear in its parameters, so
  both bands have closed forms: the profile-wise band ``1.96 max_k |c Sigma e_k| /
  sqrt(Sigma_kk)`` and the pointwise posterior band ``1.96 sqrt(c Sigma c)`` (flat prior,
  ``Sigma = sd^2 (X^T X)^-1``, ``c = (1, t)``);
* ``conversion``: ``A -> B -> 0`` observed as ``A`` and ``scale * B`` (nonlinear, three
  parameters on log10 scale).

For each: ``jakstat calibrate`` (4 starts), then (1) ``jakstat profile``, whose
``bands.tsv`` is the profile-wise band (:mod:`jakstat_rules.calibrate.bands`), and (2)
pyPESTO's ``AdaptiveMetropolisSampler`` on the same objective
(:mod:`jakstat_rules.calibrate.pypesto_adapter`) from the best fit, burn-in by pyPESTO's
Geweke test, the 2.5 and 97.5 % quantiles of the predictions of the best fit and 200
thinned samples (:func:`~jakstat_rules.calibrate.bands.band_table`).  Printed:
wall time and objective evaluations of each, and on ``line`` each band's half-width
against its closed form.

Usage::

    .venv/bin/python benchmarks/bench_bands.py [--samples 10000] [--out results/bench_bands]
"""
from __future__ import annotations

import argparse
import json
import logging
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from petab.v1 import C

ROOT = Path(__file__).resolve().parents[1]
LINE_SD = 0.1
LINE_TIMES = np.arange(0.0, 11.0)
LINE_TRUE = {"a": 1.0, "b": 0.5}


def write_line_problem(folder: Path) -> Path:
    """The straight-line problem (data at :data:`LINE_TIMES`, noise SD :data:`LINE_SD`)."""
    import tellurium as te

    from jakstat_rules.petab_io import write_problem

    sbml = te.antimonyToSBML("model line\n compartment c = 1\n species A in c\n a = 1; b = 0.5\n"
                             " A = a\n grow: -> A; b\nend\n")
    y = (LINE_TRUE["a"] + LINE_TRUE["b"] * LINE_TIMES
         + np.random.default_rng(3).normal(0.0, LINE_SD, len(LINE_TIMES)))
    measurements = pd.DataFrame({C.OBSERVABLE_ID: "obs_A", C.SIMULATION_CONDITION_ID: "c0",
                                 C.TIME: LINE_TIMES, C.MEASUREMENT: y})
    observables = pd.DataFrame({C.OBSERVABLE_ID: ["obs_A"], C.OBSERVABLE_FORMULA: ["A"],
                                C.NOISE_FORMULA: [str(LINE_SD)]}).set_index(C.OBSERVABLE_ID)
    parameters = pd.DataFrame({C.PARAMETER_ID: ["a", "b"], C.PARAMETER_SCALE: C.LIN,
                               C.LOWER_BOUND: -10.0, C.UPPER_BOUND: 10.0,
                               C.NOMINAL_VALUE: [1.0, 0.5], C.ESTIMATE: 1}).set_index(C.PARAMETER_ID)
    conditions = pd.DataFrame({C.CONDITION_ID: ["c0"]}).set_index(C.CONDITION_ID)
    return write_problem(folder, sbml, conditions, observables, measurements, parameters)


def line_half_widths(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Closed-form (profile-wise, pointwise) 95 % half-widths of the line problem at ``t``."""
    X = np.column_stack([np.ones_like(LINE_TIMES), LINE_TIMES])
    sigma = LINE_SD ** 2 * np.linalg.inv(X.T @ X)
    c = np.column_stack([np.ones_like(t), t])
    profile_wise = 1.959964 * (np.abs(c @ sigma) / np.sqrt(np.diag(sigma))).max(axis=1)
    pointwise = 1.959964 * np.sqrt(np.einsum("ij,jk,ik->i", c, sigma, c))
    return profile_wise, pointwise


class Counting:
    """Counts the objective's simulations (calls of ``evaluate``) of one method."""

    def __init__(self) -> None:
        from jakstat_rules.calibrate.objective import Objective

        self.calls = 0
        self._original = Objective.evaluate

        def counted(ob, x, *args, **kwargs):
            self.calls += 1
            return self._original(ob, x, *args, **kwargs)

        Objective.evaluate = counted

    def close(self) -> None:
        from jakstat_rules.calibrate.objective import Objective

        Objective.evaluate = self._original


def profile_band(problem: Path, fit: Path, out: Path) -> tuple[pd.DataFrame, float, int]:
    from jakstat_rules.calibrate.profile import profile

    counter = Counting()
    t0 = time.perf_counter()
    try:
        profile(problem, fit, out, workers=1, progress=False)
    finally:
        counter.close()
    return pd.read_csv(out / "bands.tsv", sep="\t"), time.perf_counter() - t0, counter.calls


def sampling_band(problem: Path, fit: Path, n_samples: int, seed: int
                  ) -> tuple[pd.DataFrame, float, int, int]:
    """The 95 % band of pyPESTO's adaptive Metropolis samples; (table, s, evaluations,
    burn-in)."""
    import pypesto.sample as sample

    from jakstat_rules.calibrate.bands import band_table, simulate_ensemble
    from jakstat_rules.calibrate.compiled import get_compiled
    from jakstat_rules.calibrate.objective import Objective
    from jakstat_rules.calibrate.pypesto_adapter import pypesto_problem
    from jakstat_rules.calibrate.store import load_fit
    from jakstat_rules.petab_io import ProblemPayload, load_problem

    summary = load_fit(fit)
    cp = get_compiled(ProblemPayload.from_problem(load_problem(problem)))
    ob = Objective(cp)
    x_best = ob.x_from_parameters(summary["best_parameters"])
    counter = Counting()
    t0 = time.perf_counter()
    try:
        np.random.seed(seed)  # pyPESTO's samplers draw from numpy's global generator
        result = sample.sample(pypesto_problem(ob), n_samples=n_samples,
                               sampler=sample.AdaptiveMetropolisSampler(
                                   options={"show_progress": False}), x0=x_best)
        burn_in = int(sample.geweke_test(result) or 0)
        trace = np.asarray(result.sample_result.trace_x[0][burn_in:], float)
        kept = trace[np.linspace(0, len(trace) - 1, min(200, len(trace))).astype(int)]

        def vector(x: np.ndarray) -> np.ndarray:
            params = ob.full_parameters(x)
            return np.array([params[i] for i in cp.estimated_ids], float)

        p_best = vector(x_best)
        members = simulate_ensemble(cp, [vector(x) for x in kept])
        table = band_table(cp, p_best, members, quantiles=(0.025, 0.975))
    finally:
        counter.close()
    return table, time.perf_counter() - t0, counter.calls, burn_in


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=None, metavar="DIR",
                    help="keep the problems, fits, profiles and band tables here")
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    from jakstat_rules.calibrate.example import write_example_problem
    from jakstat_rules.calibrate.multistart import calibrate

    work = Path(tempfile.mkdtemp(prefix="bench_bands_")) if args.out is None else args.out
    if args.out is not None and work.exists():
        shutil.rmtree(work)
    rows = []
    for name, writer in (("line", write_line_problem),
                         ("conversion", lambda d: write_example_problem(d, noise_sd=0.2))):
        problem = writer(work / name / "problem")
        fit = work / name / "fit"
        calibrate(problem, fit, n_starts=4, seed=0, workers=1, progress=False, plots=False)
        prof, prof_s, prof_n = profile_band(problem, fit, work / name / "profile")
        samp, samp_s, samp_n, burn = sampling_band(problem, fit, args.samples, args.seed)
        samp.to_csv(work / name / "sampling_band.tsv", sep="\t", index=False)
        row = {"problem": name, "profile_s": prof_s, "profile_evaluations": prof_n,
               "sampling_s": samp_s, "sampling_evaluations": samp_n, "burn_in": burn,
               "profile_mean_width": float((prof["upper"] - prof["lower"]).mean()),
               "sampling_mean_width": float((samp["upper"] - samp["lower"]).mean())}
        if name == "line":
            t = prof["time"].to_numpy(float)
            exact_pw, exact_pt = line_half_widths(t)
            pw = (prof["upper"] - prof["lower"]).to_numpy() / 2
            pt = (samp["upper"] - samp["lower"]).to_numpy() / 2
            row["profile_error"] = float(np.max(np.abs(pw - exact_pw) / exact_pw))
            row["sampling_error"] = float(np.max(np.abs(pt - exact_pt) / exact_pt))
        rows.append(row)
        print(json.dumps(row), flush=True)
    print()
    print(f"{'problem':12s} {'method':28s} {'s':>7s} {'evaluations':>12s} {'mean width':>11s} "
          f"{'max rel. error':>15s}")
    for r in rows:
        print(f"{r['problem']:12s} {'profile-wise (jakstat profile)':28s} {r['profile_s']:7.1f} "
              f"{r['profile_evaluations']:12d} {r['profile_mean_width']:11.4g} "
              f"{r.get('profile_error', float('nan')):15.2e}")
        print(f"{'':12s} {'pyPESTO adaptive Metropolis':28s} {r['sampling_s']:7.1f} "
              f"{r['sampling_evaluations']:12d} {r['sampling_mean_width']:11.4g} "
              f"{r.get('sampling_error', float('nan')):15.2e}")
    print(f"(samples {args.samples}, seed {args.seed}; sampling band: 2.5-97.5 % quantiles of "
          f"the best fit and 200 samples after the Geweke burn-in; error on 'line': largest "
          f"relative difference of the half-width from its closed form, profile-wise and "
          f"pointwise posterior)")


if __name__ == "__main__":
    main()
