"""Benchmark: what `jakstat calibrate` gives with no flags, against tuned flags and pyPESTO.

One run on one machine, for two problems:

* **Kirby**: the Kirby 2021 training problem (``jakstat data petab
  --petab-version 1``);
* **example**: the shipped example table imported as a new user would
  (``jakstat data example`` then ``jakstat data import pstat1_example.csv``,
  with ``--petab-version 1``: 12 conditions, 72 measurements).

Both are written as PEtab v1, the version pyPESTO + AMICI read; ``jakstat
calibrate`` reads v1 and v2 alike.

and four ways of fitting each, all with the same seed (so the same design of
start points):

1. ``defaults``: ``jakstat calibrate PROBLEM --starts N`` and nothing else;
2. ``tuned``: the Kirby reference run's flags (``--gradient exact --rtol 1e-6
   --atol 1e-6 --tol 1e-6 --workers 2``, calibration/kirby2021/run.sh);
3. ``fd 1e-10``: the settings that were the defaults before the program
   chose them (``--gradient fd --rtol 1e-10 --atol 1e-10 --tol 1e-8
   --workers 1``), with a wall-time budget (it takes minutes per start on the
   Kirby model);
4. ``pyPESTO``: pyPESTO + AMICI + Fides from the start points of the
   ``defaults`` run (the harness of ``bench_petab.py``: same points, AMICI
   compilation untimed).

A start is converged when its NLL is within 0.1 of the best NLL any run
reached on that problem.  Printed (and written to ``OUT/bench_calibration.md``):
starts finished, seconds per start (wall time of the command / starts; the
model caches are warmed first, untimed), converged starts, converged per hour
and the ratios of the defaults to the others.

Usage::

    .venv/bin/python benchmarks/bench_calibration.py [--starts 20] [--seed 1]
        [--problems Kirby example] [--budget SECONDS] [--out results/bench_calibration]
        [--skip-pypesto]

Finished runs are kept in ``OUT`` and skipped when the command is re-run.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_petab as harness  # noqa: E402  (the one peer harness of the benchmarks)
from helpers import jakstat_argv, load_avg, num, run_killable, tail, tool_env, write_text_atomic  # noqa: E402

CONFIGS = {
    "defaults": [],
    "tuned": ["--gradient", "exact", "--rtol", "1e-6", "--atol", "1e-6", "--tol", "1e-6",
              "--workers", "2"],
    "fd 1e-10": ["--gradient", "fd", "--rtol", "1e-10", "--atol", "1e-10", "--tol", "1e-8",
                 "--workers", "1"],
}
#: Configurations that run under the wall-time budget (``--budget``).
BUDGETED = {"fd 1e-10"}
CONVERGENCE = 0.1


def example_problem(out: Path) -> Path:
    """The shipped example table imported with the defaults: ``train/problem.yaml``.

    Written as PEtab v1 (``--petab-version 1``), the version pyPESTO + AMICI read."""
    folder = out / "example_petab"
    yaml = folder / "train" / "problem.yaml"
    if not yaml.is_file():
        tables = out / "example_tables"
        for argv, log in ((["data", "example", "--out", str(tables)], "example.log"),
                          (["data", "import", str(tables / "pstat1_example.csv"),
                           "--petab-version", "1", "--out", str(folder)], "import.log")):
            rc, _ = run_killable(jakstat_argv() + argv, 900,
                                         out / "logs" / log, env=tool_env(), cwd=ROOT)
            if rc != 0:
                raise RuntimeError(f"jakstat {' '.join(argv[:2])} failed: "
                                   f"{tail(out / 'logs' / log)}")
    return yaml


def run_config(name: str, yaml: Path, config: str, args: argparse.Namespace) -> dict:
    """One ``jakstat calibrate`` run of a configuration (skipped when done)."""
    rundir = args.out / "runs" / name / config.replace(" ", "_")
    rundir.mkdir(parents=True, exist_ok=True)
    ns = argparse.Namespace(starts=args.starts, seed=args.seed,
                            timeout_per_problem=args.budget if config in BUDGETED else None,
                            compile_timeout=args.compile_timeout)
    return harness.run_ours(name, yaml, rundir, ns, list(CONFIGS[config]))


def run_peer(name: str, yaml: Path, ours: dict, args: argparse.Namespace) -> dict:
    rundir = args.out / "runs" / name / "pypesto"
    rundir.mkdir(parents=True, exist_ok=True)
    ns = argparse.Namespace(starts=args.starts, seed=args.seed, fill="inner",
                            timeout_per_problem=args.budget,
                            compile_timeout=args.compile_timeout, amici_cache=None)
    return harness.run_pypesto(name, yaml, rundir, args.out, "fides", ours, ns)


def row(label: str, rec: dict, best: float, wall: float | None = None) -> dict:
    """Starts, seconds per start, converged, converged per hour of one run."""
    fvals = [num(s.get("fval")) for s in rec.get("starts", [])]
    finished = [f for f in fvals if math.isfinite(f)] if label == "pyPESTO" else fvals
    n = len(fvals)
    if wall is None:
        wall = num(rec.get("wall_s"))
        if not math.isfinite(wall):
            wall = num(rec.get("process_wall_s"))
    converged = sum(f <= best + CONVERGENCE for f in finished)
    hours = wall / 3600.0 if math.isfinite(wall) and wall > 0 else math.nan
    # No start finished within the budget (one start at a time): each takes
    # longer than the budget, so at most 1/budget converged starts per hour.
    bound = (1.0 / hours if not n and str(rec.get("status", "")).startswith("timeout")
             and math.isfinite(hours) else math.nan)
    return {"run": label, "starts": n, "s_per_start": wall / n if n else math.nan,
            "best": min(finished, default=math.inf), "converged": converged,
            "per_hour": converged / hours if hours and math.isfinite(hours) else math.nan,
            "per_hour_bound": bound, "status": rec.get("status", "")}


def peer_wall(rec: dict) -> float:
    """pyPESTO's optimisation time (the sum of its starts' times, as bench_petab counts)."""
    times = [num(s.get("time")) for s in rec.get("starts", [])]
    times = [t for t in times if math.isfinite(t)]
    if not times and str(rec.get("status", "")).startswith("timeout"):
        return num(rec.get("settings", {}).get("timeout"))  # the whole budget, no start done
    return sum(times) if times else math.nan


def ratio(a: float, b: float) -> str:
    """``a / b``; ∞ when only ``b`` is 0 (no converged start), – when undefined."""
    if not (math.isfinite(a) and math.isfinite(b)):
        return "–"
    if b <= 0:
        return "∞" if a > 0 else "–"
    return f"{a / b:.2f}x"


def bound_ratio(base: float, r: dict) -> str:
    """The defaults' rate over a run's, or a lower bound when it finished no start."""
    if math.isfinite(r["per_hour_bound"]) and math.isfinite(base):
        return f"> {base / r['per_hour_bound']:.1f}x"
    return ratio(base, r["per_hour"])


def cell(v: float, spec: str) -> str:
    return format(v, spec) if math.isfinite(v) else "–"


def table(name: str, rows: list[dict]) -> str:
    """One markdown table; a run that did not end normally says why (note)."""
    head = ("| problem | run | starts | s/start | best NLL | converged | per hour | "
            "defaults per hour vs this | note |\n|---|---|---|---|---|---|---|---|---|\n")
    base = rows[0]["per_hour"]
    lines = [f"| {name} | {r['run']} | {r['starts']} | {cell(r['s_per_start'], '.1f')} | "
             f"{cell(r['best'], '.6g')} | {r['converged']}/{r['starts']} | "
             f"{cell(r['per_hour'], '.1f') if math.isnan(r['per_hour_bound']) else '< ' + cell(r['per_hour_bound'], '.1f')} | "
             f"{'–' if r is rows[0] else bound_ratio(base, r)} | "
             f"{'' if r['status'] == 'ok' else str(r['status']).replace('|', '/')[:300]} |"
             for r in rows]
    return head + "\n".join(lines) + "\n"


def settings_line(rec: dict) -> str:
    """The settings line ``jakstat calibrate`` printed for a run (its choice with no flags)."""
    log = Path(rec.get("out", "")).parent / "ours.log"
    try:
        found = [ln.strip() for ln in log.read_text(errors="replace").splitlines()
                 if ln.startswith("jakstat: settings:")]
    except OSError:
        return ""
    return found[-1] if found else ""


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--problems", nargs="+", default=["Kirby", "example"],
                    choices=["Kirby", "example"])
    ap.add_argument("--starts", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--budget", type=float, default=900.0, metavar="SECONDS",
                    help="wall-time budget of the 'fd 1e-10' and pyPESTO runs per problem")
    ap.add_argument("--compile-timeout", type=float, default=1800.0, metavar="SECONDS")
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "bench_calibration")
    ap.add_argument("--skip-pypesto", action="store_true")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    command = "benchmarks/bench_calibration.py " + " ".join(argv)
    parts = [f"`{command.strip()}` (load average at start {load_avg():.1f}, "
             f"{time.strftime('%Y-%m-%d %H:%M')})\n"]
    for name in args.problems:
        yaml = harness.kirby_problem(args.out) if name == "Kirby" else example_problem(args.out)
        runs = {config: run_config(name, yaml, config, args) for config in CONFIGS}
        peer = None if args.skip_pypesto else run_peer(name, yaml, runs["defaults"], args)
        fvals = [num(s.get("fval")) for rec in [*runs.values(), peer or {}]
                 for s in rec.get("starts", [])]
        best = min((f for f in fvals if math.isfinite(f)), default=math.inf)
        rows = [row(config, rec, best) for config, rec in runs.items()]
        if peer is not None:
            rows.append(row("pyPESTO", peer, best, wall=peer_wall(peer)))
        text = table(name, rows)
        chosen = settings_line(runs["defaults"])
        if chosen:
            text += f"\n`defaults` chose: `{chosen}`\n"
        print(text, flush=True)
        parts.append(text)
    parts.append(f"\n(benchmark wall time {(time.perf_counter() - t0) / 60:.0f} min)\n")
    write_text_atomic(args.out / "bench_calibration.md", "\n".join(parts))
    print(f"written: {args.out / 'bench_calibration.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
