"""Benchmark: what the polish of ``jakstat calibrate`` gains on finished benchmark runs.

For every problem run by ``benchmarks/bench_petab.py`` into ``--runs`` (its
``--out`` folder), the best finished start is continued by the optimiser
``jakstat calibrate``'s polish begins with (``FitSettings.polish``: Fides after
``trf``; the polish then goes on in rounds with ``trf``, which this script does
not run), with that run's settings, in this process.  Prints per problem the
best NLL before and after, whether each reaches the best-known value of the
collection (within 0.1, as bench_petab counts, with the priors at the nominal
parameters added where the problem has them), and the polish's evaluations
and seconds.  The runs may be of a version without the polish (they are
read, not changed).

    .venv/bin/python benchmarks/bench_polish.py --runs /tmp/evals-bench-vec
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import fields, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_petab import BEST_KNOWN, objective_reference  # noqa: E402
from helpers import say  # noqa: E402


def polish_run(run: Path, yaml: Path) -> dict:
    """Polish the best start of the fit folder ``run`` of the problem ``yaml``."""
    from jakstat_rules.calibrate.compiled import get_compiled
    from jakstat_rules.calibrate.objective import Objective
    from jakstat_rules.calibrate.optimizers import FitSettings, local_fit, polish_optimizer
    from jakstat_rules.petab_io import ProblemPayload, load_problem

    stored = json.loads((run / "run.json").read_text())
    names = {f.name for f in fields(FitSettings)}
    settings = FitSettings(**{k: v for k, v in stored.items() if k in names})
    records = [json.loads(p.read_text()) for p in sorted((run / "starts").glob("start_*.json"))]
    finished = [r for r in records if r.get("status") == "ok" and r.get("parameters")]
    best = min(finished, key=lambda r: float(r["fval"]))
    payload = ProblemPayload.from_problem(load_problem(yaml))
    ob = Objective(get_compiled(payload, settings.rtol, settings.atol),
                   analytic=settings.analytic_scaling, gradient=settings.gradient)
    t0 = time.perf_counter()
    optimizer = polish_optimizer(settings)
    fit = local_fit(ob, ob.x_from_parameters(best["parameters"]),
                    replace(settings, optimizer=optimizer))
    after = min(float(ob.fval(fit.x)), float(best["fval"]))
    return {"starts": len(finished), "gradient": settings.gradient, "optimizer": optimizer,
            "before": float(best["fval"]), "after": after, "evaluations": int(fit.n_fev),
            "seconds": time.perf_counter() - t0}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=Path, required=True,
                    help="the --out folder of a bench_petab.py run")
    ap.add_argument("--benchmarks", type=Path,
                    default=Path(__file__).resolve().parents[2] / "shared" / "petab_benchmarks",
                    help="the PEtab benchmark collection (default ../shared/petab_benchmarks)")
    args = ap.parse_args()
    print("| problem | derivatives | finished starts | best | after the polish | best known "
          "| reached before / after | polish: optimiser, evaluations, s |")
    print("|---|---|---|---|---|---|---|---|")
    for folder in sorted((args.runs / "runs").iterdir()):
        runs = sorted(p.parent for p in folder.glob("ours-*/run.json"))
        yamls = [p for p in (args.benchmarks / folder.name).glob("*.yaml")
                 if p.stem == folder.name] or list((args.benchmarks / folder.name).glob("problem.yaml"))
        if not runs or not yamls or folder.name not in BEST_KNOWN:
            continue
        say(f"{folder.name}: polishing the best start of {runs[-1]}")
        r = polish_run(runs[-1], yamls[0])
        known, _ = objective_reference(folder.name, yamls[0])
        reached = [("yes" if v <= known + 0.1 else "no") for v in (r["before"], r["after"])]
        print(f"| {folder.name} | {r['gradient']} | {r['starts']} | {r['before']:.4f} | "
              f"{r['after']:.4f} | {known:.4f} | {reached[0]} / {reached[1]} | "
              f"{r['optimizer']}, {r['evaluations']}, {r['seconds']:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
