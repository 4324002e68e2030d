"""Benchmark: cost of one objective evaluation and one Jacobian on a PEtab problem, by engine.

At the parameters of a fit (its ``summary.json``), side by side in one run:

* **core values**: the project's simulation core (libroadrunner) simulating
  every distinct simulation of the problem (:meth:`CompiledProblem.simulate`);
* **the same, no shared pre-equilibration**: core values with each
  simulation integrating its own pre-equilibration, the peer of the shared
  steady state (only on problems whose simulations share one);
* **core FD Jacobian**: what a forward-difference Jacobian costs on the core,
  one base simulation plus one per dynamic parameter (the columns of noise
  and scale parameters re-use the base simulation);
* **AMICI per PEtab condition** (:class:`ObservableSensitivities` on the
  problem as given, as pyPESTO's AMICI objective simulates it): values, and
  values with forward sensitivities;
* **AMICI per simulation unit** (:class:`UnitSensitivities`, what
  ``--gradient exact`` uses): values, and values with the derivatives of
  every observable and noise SD (forward sensitivities and the chain rule
  through the observable formulas, all moved points in one call per formula);
  the same with the formulas evaluated at one moved point per call (what
  a formula that refuses arrays gets), the peer of the batched chain rule.

Prints seconds (median of ``--repeats``) and the ratios to the core values.

Usage::

    .venv/bin/python benchmarks/bench_evaluation.py PROBLEM.yaml [FIT_DIR] [--rtol 1e-8] [--repeats 3]

(without FIT_DIR: at the nominal values of the parameter table)

e.g. on the Kirby problem and the committed reference fit (docs/benchmarks.md)::

    .venv/bin/jakstat data petab --out /tmp/kirby
    .venv/bin/python benchmarks/bench_evaluation.py /tmp/kirby/train/problem.yaml \\
        calibration/kirby2021/results --rtol 1e-8
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from helpers import median_time


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("problem")
    ap.add_argument("fit", nargs="?", help="folder with the fit's summary.json (default: "
                    "the nominal values of the parameter table)")
    ap.add_argument("--rtol", type=float, default=1e-8)
    ap.add_argument("--atol", type=float, default=1e-8)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)

    from jakstat_rules.calibrate.compiled import CompiledProblem
    from jakstat_rules.petab_io import ProblemPayload, load_problem
    from jakstat_rules.calibrate.sensitivities import ObservableSensitivities, UnitSensitivities

    payload = ProblemPayload.from_problem(load_problem(args.problem))
    cp = CompiledProblem(payload, rtol=args.rtol, atol=args.atol)
    if args.fit:
        best = json.loads((Path(args.fit) / "summary.json").read_text(encoding="utf-8"))
        p = np.array([best["best_parameters"][pid] for pid in cp.estimated_ids], float)
    else:
        p = np.asarray(cp.parameters.nominal, float)
    n_units = len(cp.simulate(p))
    n_dynamic = len(cp.dynamic)
    rng = np.random.default_rng(0)

    def core_values():  # a new point each time: no cached simulation
        cp.simulate(p * (1.0 + 1e-6 * rng.random(p.size)))

    from jakstat_rules.errors import JakstatInputError

    try:  # AMICI's PEtab import refuses some problems as given (time-point-specific overrides)
        per_condition = ObservableSensitivities(payload, cp.estimated_ids, cp.measurement_df,
                                                args.rtol, args.atol)
    except JakstatInputError as exc:
        per_condition, refused = None, str(exc)[:160]
    per_unit = cp.sensitivities()
    per_unit_pointwise = UnitSensitivities(cp)
    per_unit_pointwise._batched = False  # the formulas at one moved point per call

    t_core = median_time(core_values, args.repeats)
    rows = [(f"core values ({n_units} simulations)", t_core)]
    pre = [u.periods[0].key for u in cp.plan.units if u.periods[0].time == -np.inf]
    if len(set(pre)) < len(pre):  # simulations that share a pre-equilibration
        cp.simulator.share_steady_states = False
        rows.append((f"  the same, no shared pre-equilibration ({len(pre)})",
                     median_time(core_values, args.repeats)))
        cp.simulator.share_steady_states = True
    rows += [
        (f"core FD Jacobian (1 + {n_dynamic} x values)", (1 + n_dynamic) * t_core),
    ]
    if per_condition is not None:
        n_conditions = len(per_condition.edatas)
        rows += [
            (f"AMICI per condition, values ({n_conditions})",
             median_time(lambda: per_condition.evaluate(p, derivatives=False), args.repeats)),
            (f"AMICI per condition, + sensitivities ({n_conditions})",
             median_time(lambda: per_condition.evaluate(p, derivatives=True), args.repeats)),
        ]
    rows += [
        (f"AMICI per unit, values ({n_units})",
         median_time(lambda: per_unit.evaluate(p, derivatives=False), args.repeats)),
        (f"AMICI per unit, + derivatives ({n_units})",
         median_time(lambda: per_unit.evaluate(p, derivatives=True), args.repeats)),
        (f"  the same, formulas point by point ({2 * len(p)} points)",
         median_time(lambda: per_unit_pointwise.evaluate(p, derivatives=True), args.repeats)),
    ]
    print(f"{args.problem}: rtol {args.rtol:g}, atol {args.atol:g}, median of {args.repeats}")
    print(f"{'':50s} {'s':>8s} {'/ core values':>14s}")
    for name, t in rows:
        print(f"{name:50s} {t:8.3f} {t / t_core:14.2f}")
    if per_condition is None:
        print(f"AMICI per condition: not run ({refused})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
