"""Benchmark: latency of the command line and the API, and time per condition, as ratios.

One run measures, side by side on the same machine:

1. **Latency, this checkout vs the commit before the simulation core**
   (:data:`BEFORE`, checked out into a temporary git worktree and run with
   ``PYTHONPATH`` pointing at it, in the same virtualenv):
   ``jakstat --help``; a cold ``jakstat simulate ifnb_100pM`` (empty cache:
   network generation, SBML export, JIT compilation); the same command warm
   (second process, same cache); first-call latency of the Python API
   (``simulate("ifnb_100pM")`` in a fresh process with a warm cache, from
   interpreter start); and time per condition after set-up.
   ``--before REV`` times another revision instead, e.g. the last commit
   before the IL-6 arm (:data:`BEFORE_IL6`: the interferon-only model).
2. **Model size**: the interferon-only network (``build_model(il6=False)``)
   against the default one, both with this checkout's code, in one process
   with an empty cache: rules, species, reactions, the cold network build
   (rules -> BioNetGen network), the cold set-up to a compiled simulator
   (network + SBML export + JIT) and the time per condition (the two
   simulators run in turn, so that both see the same load).
3. **Engines**: time per condition with libroadrunner through the engine,
   PySB ``ScipyOdeSimulator`` on the BioNetGen network, and COPASI (basico) on
   the exported SBML, as ratios to libroadrunner.
4. **Tolerances of the model simulator**: every standard condition (0-240 min,
   49 outputs) at rtol/atol pairs from 1e-10 to 1e-7 against a reference at
   rtol = atol = 1e-12: the largest difference of any readout relative to its range over all
   conditions, and the time per condition (the simulators run in turn, so that
   all see the same load) as a ratio to 1e-10.

Usage::

    .venv/bin/python benchmarks/bench_simulation.py [--repeats 3] [--before REV] [--no-before]
        [--no-sizes] [--no-engines] [--no-tolerances]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from helpers import median_time

ROOT = Path(__file__).resolve().parents[1]
#: The last commit before the one simulation core (issue 7).
BEFORE = "86a553a"
#: The last commit before the IL-6 arm was merged (9d3c14a^1): the interferon-only model.
BEFORE_IL6 = "3979e3e"
#: Standard conditions timed per condition (ids of jakstat_rules.conditions.CONDITIONS).
TIMED = ("ifna_1nM", "ifnb_100pM", "ifng_100pM", "ifnb_100pM_ruxolitinib_1uM")
T = np.linspace(0, 240, 49)

PER_CONDITION = """
import json, statistics, sys, time
import numpy as np
t0 = time.perf_counter()
from jakstat_rules.simulate import Simulator
sim = Simulator(**json.loads(sys.argv[1]))
setup = time.perf_counter() - t0
conds = json.loads(sys.argv[2])
T = np.linspace(0, 240, 49)
per = []
for inputs in conds:
    runs = []
    for _ in range(int(sys.argv[3])):
        t = time.perf_counter(); sim.run(inputs, T); runs.append(time.perf_counter() - t)
    per.append(statistics.median(runs))
print(json.dumps({"setup": setup, "per_condition": statistics.mean(per)}))
"""

MODEL_SIZE = """
import json, statistics, sys, time
import numpy as np
from jakstat_rules.model import build_model
from jakstat_rules.network import generate_network
from jakstat_rules.export.sbml import to_sbml
from jakstat_rules.simulate import Simulator
res, sims = {}, {}
for label, opts in json.loads(sys.argv[1]):
    t0 = time.perf_counter()
    model = build_model(**opts)
    generate_network(model)
    t1 = time.perf_counter()
    sims[label] = Simulator(sbml=to_sbml(model), prune=False)  # the whole network
    res[label] = {"rules": len(model.rules), "species": len(model.species),
                  "reactions": len(model.reactions), "network": t1 - t0,
                  "setup": time.perf_counter() - t0}
T = np.linspace(0, 240, 49)
runs = {label: [[] for _ in json.loads(sys.argv[2])] for label in sims}
for _ in range(int(sys.argv[3])):  # interleaved, so that both see the same load
    for k, inputs in enumerate(json.loads(sys.argv[2])):
        for label, sim in sims.items():
            t = time.perf_counter(); sim.run(inputs, T); runs[label][k].append(time.perf_counter() - t)
for label in sims:
    res[label]["per_condition"] = statistics.mean(statistics.median(r) for r in runs[label])
print(json.dumps(res))
"""

API_FIRST_CALL = """
import time
t0 = time.perf_counter()
from jakstat_rules.simulate import simulate
simulate("ifnb_100pM")
print(time.perf_counter() - t0)
"""


def _run(argv, env, repeats=1):
    """Median wall time of a command over ``repeats`` runs (each must succeed).

    Commands run in a scratch folder: Python puts the working directory first
    on ``sys.path``, which would otherwise shadow ``PYTHONPATH``.
    """
    times = []
    scratch = Path(env["JAKSTAT_CACHE"]).parent
    scratch.mkdir(parents=True, exist_ok=True)
    for _ in range(repeats):
        t0 = time.perf_counter()
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, cwd=scratch)
        times.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            raise SystemExit(f"benchmark command failed: {' '.join(argv)}\n{proc.stderr[-2000:]}")
    return statistics.median(times), proc.stdout


def latency(source: Path | None, repeats: int, work: Path) -> dict[str, float]:
    """Latency figures of the code in ``source`` (None: this checkout as installed)."""
    import json

    from jakstat_rules.conditions import CONDITIONS

    env = {**os.environ, "JAKSTAT_CACHE": str(work / "cache"), "MPLBACKEND": "Agg"}
    if source is not None:
        env["PYTHONPATH"] = str(source)
    cli = [sys.executable, "-m", "jakstat_rules.cli"]
    out = str(work / "out")
    check = "import jakstat_rules; print(jakstat_rules.__file__)"
    where = _run([sys.executable, "-c", check], env)[1].strip()
    expected = (source or ROOT) / "jakstat_rules" / "__init__.py"
    if Path(where).resolve() != expected.resolve():
        raise SystemExit(f"benchmark would time {where}, expected {expected}")
    res = {}
    res["help"], _ = _run(cli + ["--help"], env, repeats)
    res["cold"], _ = _run(cli + ["simulate", "ifnb_100pM", "--out", out], env)
    res["warm"], _ = _run(cli + ["simulate", "ifnb_100pM", "--out", out], env, repeats)
    if source is None:  # the option is new
        res["warm_no_plot"], _ = _run(cli + ["simulate", "ifnb_100pM", "--no-plot", "--out", out],
                                      env, repeats)
    res["api_first_call"] = statistics.median(
        float(_run([sys.executable, "-c", API_FIRST_CALL], env)[1].split()[-1]) for _ in range(repeats))
    conds = json.dumps([dict(CONDITIONS[c].inputs) for c in TIMED])
    timed = [("per_condition", {}), ("per_condition_1e-8", {"rtol": 1e-8, "atol": 1e-8})]
    if source is None:  # the option is new
        timed.append(("per_condition_whole", {"prune": False}))
    for label, opts in timed:
        _, text = _run([sys.executable, "-c", PER_CONDITION, json.dumps(opts), conds, str(repeats)], env)
        res[label] = json.loads(text.strip().splitlines()[-1])["per_condition"]
    return res


def model_sizes(repeats: int, work: Path) -> None:
    """Interferon-only vs default network, this checkout's code, cold caches."""
    import json

    from jakstat_rules.conditions import CONDITIONS

    conds = json.dumps([dict(CONDITIONS[c].inputs) for c in TIMED])
    models = [("interferon-only (il6=False)", {"il6": False}), ("default (IL-6 arm)", {})]
    env = {**os.environ, "JAKSTAT_CACHE": str(work / "cache"), "MPLBACKEND": "Agg"}
    _, text = _run([sys.executable, "-c", MODEL_SIZE, json.dumps(models), conds, str(repeats)],
                   env)
    res = json.loads(text.strip().splitlines()[-1])
    print(f"{'model':28s} {'rules':>6s} {'species':>8s} {'reactions':>10s} "
          f"{'network s':>10s} {'set-up s':>9s} {'s/condition':>12s}")
    for label, r in res.items():
        print(f"{label:28s} {r['rules']:6d} {r['species']:8d} {r['reactions']:10d} "
              f"{r['network']:10.1f} {r['setup']:9.1f} {r['per_condition']:12.4f}")
    old, new = res.values()
    print(f"{'default / interferon-only':28s} {new['rules'] / old['rules']:6.2f} "
          f"{new['species'] / old['species']:8.2f} {new['reactions'] / old['reactions']:10.2f} "
          f"{new['network'] / old['network']:10.2f} {new['setup'] / old['setup']:9.2f} "
          f"{new['per_condition'] / old['per_condition']:12.2f}")
    print("(one process, empty cache; network = build_model + BioNetGen; set-up = network + "
          "SBML export + JIT compilation;\n s/condition: the whole networks (prune=False), default "
          "tolerances, the two models run "
          f"in turn, median of {repeats} runs, mean over {', '.join(TIMED)})")


def print_latency(now: dict, before: dict | None, rev: str = BEFORE) -> None:
    rows = [("jakstat --help", "help"), ("jakstat simulate, cold cache", "cold"),
            ("jakstat simulate, warm", "warm"), ("jakstat simulate --no-plot, warm", "warm_no_plot"),
            ("Python API first call (warm cache)", "api_first_call"),
            ("time per condition, default tolerances", "per_condition"),
            ("time per condition, rtol = atol = 1e-8", "per_condition_1e-8"),
            ("time per condition, whole network", "per_condition_whole")]
    head = f"{'measure (seconds)':42s} {'this checkout':>14s}"
    if before:
        head += f" {'at ' + rev:>15s} {'then/now':>11s}"
    print(head)
    for label, key in rows:
        line = f"{label:42s} {now[key]:14.3f}"
        if before and key in before:
            line += f" {before[key]:15.3f} {before[key] / now[key]:10.1f}x"
        elif before:
            line += f" {'(new)':>15s}"
        print(line)
    if before and rev == BEFORE:
        print(f"(default tolerances: now 1e-10 everywhere; before {BEFORE}: 1e-8 in the simulator)")


def engines(repeats: int) -> None:
    """Time per condition: libroadrunner (engine) vs PySB ScipyOdeSimulator vs COPASI."""
    from jakstat_rules.conditions import CONDITIONS
    from jakstat_rules.interface import INPUTS
    from jakstat_rules.model import build_model
    from jakstat_rules.artifacts import model_sbml
    from jakstat_rules.network import generate_network
    from jakstat_rules.simulate import Simulator

    conditions = [dict(CONDITIONS[c].inputs) for c in TIMED]

    t0 = time.perf_counter()
    rr_sim = Simulator(rtol=1e-8, atol=1e-8, prune=False)  # the whole network, like the others
    rr_setup = time.perf_counter() - t0
    rr_time = statistics.mean(median_time(lambda c=c: rr_sim.run(c, T), repeats)
                              for c in conditions)

    from pysb.simulator import ScipyOdeSimulator
    model = build_model()
    generate_network(model)
    t0 = time.perf_counter()
    py_sim = ScipyOdeSimulator(model, tspan=T, compiler="python",
                               integrator_options={"rtol": 1e-8, "atol": 1e-8})
    py_setup = time.perf_counter() - t0
    py_time = statistics.mean(
        median_time(lambda c=c: py_sim.run(param_values={k: c.get(k, 0.0) for k in INPUTS}),
                    repeats)
        for c in conditions[:2])

    import basico
    t0 = time.perf_counter()
    dm = basico.load_model(model_sbml("default"))
    basico.set_task_settings(basico.T.TIME_COURSE, {"problem": {"AutomaticStepSize": False}}, model=dm)
    cp_setup = time.perf_counter() - t0

    def run_copasi(c):
        for k in INPUTS:
            basico.set_parameters(k, initial_value=c.get(k, 0.0), model=dm)
        basico.run_time_course(duration=240, intervals=48, model=dm, r_tol=1e-8, a_tol=1e-8,
                               use_initial_values=True)
    cp_time = statistics.mean(median_time(lambda c=c: run_copasi(c), repeats)
                              for c in conditions)

    rows = [("libroadrunner (engine, SBML)", rr_setup, rr_time),
            ("PySB ScipyOdeSimulator", py_setup, py_time),
            ("COPASI via basico (SBML)", cp_setup, cp_time)]
    print(f"{'engine (rtol = atol = 1e-8)':30s} {'setup s':>9s} {'s/condition':>12s} {'ratio to roadrunner':>20s}")
    for name, setup, per in rows:
        print(f"{name:30s} {setup:9.2f} {per:12.4f} {per / rr_time:19.1f}x")


TOLERANCES = """
import json, statistics, sys, time
import numpy as np
from jakstat_rules.conditions import CONDITIONS
from jakstat_rules.simulate import MODEL_ATOL, MODEL_RTOL, Simulator
T = np.linspace(0, 240, 49)
conds = {k: dict(c.inputs) for k, c in CONDITIONS.items()}
ref = Simulator(rtol=1e-12, atol=1e-12)
refs = {k: ref.run(v, T) for k, v in conds.items()}
readouts = [c for c in next(iter(refs.values())).columns if c != "time"]
span = {r: max(float(refs[k][r].max()) for k in conds) - min(float(refs[k][r].min()) for k in conds)
        for r in readouts}
tols = [(1e-10, 1e-10), (1e-9, 1e-9), (1e-8, 1e-8), (1e-8, 1e-6), (1e-8, 1e-4), (1e-7, 1e-7),
        (1e-7, 1e-5)]
sims = [Simulator(rtol=r, atol=a) for r, a in tols]
error = [(0.0, None)] * len(tols)
times = [[] for _ in tols]
for rep in range(int(sys.argv[1])):
    for k, v in conds.items():
        for i, sim in enumerate(sims):
            t0 = time.perf_counter(); out = sim.run(v, T); times[i].append(time.perf_counter() - t0)
            for r in readouts:
                if span[r] > 0:
                    e = float(np.max(np.abs(out[r].to_numpy() - refs[k][r].to_numpy()))) / span[r]
                    if e > error[i][0]:
                        error[i] = (e, f"{r}, {k}")
print(json.dumps({"default": [MODEL_RTOL, MODEL_ATOL], "n_conditions": len(conds), "rows": [
    {"rtol": t[0], "atol": t[1], "error": error[i][0], "where": error[i][1],
     "per_condition": statistics.median(times[i])} for i, t in enumerate(tols)]}))
"""


def tolerances(repeats: int) -> None:
    """Accuracy and time per condition of the model simulator by tolerance (section 4)."""
    import json

    _, text = _run([sys.executable, "-c", TOLERANCES, str(repeats)],
                   {**os.environ, "MPLBACKEND": "Agg"})
    res = json.loads(text.strip().splitlines()[-1])
    base = res["rows"][0]["per_condition"]
    print(f"{'rtol':>6s} {'atol':>6s} {'worst error / range':>20s} {'s/condition':>12s} "
          f"{'vs 1e-10':>9s}  worst at")
    for row in res["rows"]:
        mark = "  (default)" if [row["rtol"], row["atol"]] == res["default"] else ""
        print(f"{row['rtol']:6g} {row['atol']:6g} {row['error']:20.2e} "
              f"{row['per_condition']:12.4f} {row['per_condition'] / base:8.2f}x  "
              f"{row['where']}{mark}")
    print(f"({res['n_conditions']} standard conditions, reference rtol = atol = 1e-12, atol in "
          f"molecules; "
          f"error: largest |difference| of a readout over its range across all conditions; "
          f"s/condition: median, the simulators run in turn)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--before", default=BEFORE, metavar="REV",
                    help=f"the revision timed against this checkout (default {BEFORE}, the "
                         f"commit before the simulation core; {BEFORE_IL6}: before the IL-6 arm)")
    ap.add_argument("--no-before", action="store_true", help="skip the run of the revision")
    ap.add_argument("--no-sizes", action="store_true",
                    help="skip the interferon-only vs default network comparison")
    ap.add_argument("--no-engines", action="store_true", help="skip the engine comparison")
    ap.add_argument("--no-tolerances", action="store_true",
                    help="skip the tolerance scan of the model simulator")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="jakstat_bench_") as tmp:
        tmp = Path(tmp)
        os.environ["JAKSTAT_CACHE"] = str(tmp / "engines_cache")
        print("== latency (median of", args.repeats, "runs; cold runs once)")
        now = latency(None, args.repeats, tmp / "now")
        before = None
        if not args.no_before:
            tree = tmp / "before"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), args.before],
                           check=True, capture_output=True)
            try:
                before = latency(tree, args.repeats, tmp / "before_work")
            finally:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                               capture_output=True)
        print_latency(now, before, args.before)
        if not args.no_sizes:
            print("\n== model size: interferon-only vs default network (this checkout's code)")
            model_sizes(args.repeats, tmp / "sizes")
        if not args.no_engines:
            print("\n== time per condition by engine (0-240 min, 49 outputs)")
            engines(args.repeats)
        if not args.no_tolerances:
            print("\n== tolerances of the model simulator (jakstat_rules.simulate.Simulator)")
            tolerances(args.repeats)


if __name__ == "__main__":
    main()
