"""Rows of docs/benchmarks.md's table "The whole collection within a budget, with the
defaults" from a finished ``bench_petab.py`` run (its ``--out`` folder).

Per problem, from ``runs/NAME/ours-*/summary.json`` and ``optimize_result.tsv``:
starts finished (with the wall time when all finished), starts stopped by the
stall rule, wall seconds per finished start, best NLL (bold when within 0.1 of
the best-known value, priors included: ``bench_petab.objective_reference``),
converged starts, converged per minute, and the polish.

    .venv/bin/python benchmarks/budget_table.py --runs /tmp/bench-stall \\
        --problems Bertozzi Blasi Bruno Crauste Sneyd Zheng Schwen Fiedler Borghans Weber \\
        Brannmark Fujita Lucarelli Isensee
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_petab  # noqa: E402

HEADER = ("| problem | starts | stalled | s/start | best NLL | best known | conv. | conv/min "
          "| polish: before → after, evaluations, s |\n|---|---|---|---|---|---|---|---|---|")


def num(v: float) -> str:
    return f"{v:.6g}".replace("-", "−")


def row(name: str, fit: Path, yaml: Path) -> str:
    import pandas as pd

    summary = json.loads((fit / "summary.json").read_text())
    ok = pd.read_csv(fit / "optimize_result.tsv", sep="\t").query("status == 'ok'")
    ref, _ = bench_petab.objective_reference(name, yaml)
    n, wall, best = len(ok), summary["wall_time_s"], summary["best_fval"]
    conv = int((ok.fval <= ref + bench_petab.TOL).sum())
    stalled = int(ok.message.str.startswith("stalled").sum())
    starts = f"{n} ({wall:.0f} s)" if n == summary["n_starts"] else f"{n}"
    best_cell = f"**{num(best)}**" if best <= ref + bench_petab.TOL else num(best)
    polish = summary.get("polish")
    polish_cell = "–" if not polish else (
        f"{num(polish['fval_before'])} → {num(polish['fval'])}, {polish['n_fev']}, "
        f"{polish.get('time_s', 0):.1f}" + (" (stopped at the limit)" if polish.get("stopped")
                                            else ""))
    return (f"| {name} | {starts} | {stalled} | {wall / max(n, 1):.1f} | {best_cell} | "
            f"{num(ref)} | {conv}/{n} | {conv / (wall / 60):.3g} | {polish_cell} |")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=Path, required=True, help="bench_petab.py's --out folder")
    ap.add_argument("--problems", nargs="+", required=True, help="name prefixes, in order")
    args = ap.parse_args(argv)
    problems = bench_petab.collection_problems()
    print(HEADER)
    for prefix in args.problems:
        for name in (n for n in problems if n.startswith(prefix)):
            fits = sorted((args.runs / "runs" / name).glob("ours-*/summary.json"))
            if fits:
                print(row(name, fits[0].parent, problems[name]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
