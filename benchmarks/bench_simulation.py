"""Benchmark: network generation and time per simulated condition, as ratios.

Runs in one process, on the same model and the same conditions:

* BioNetGen network generation: cold (BNG2.pl) vs cached (memory, disk);
* time per condition (0-240 min, 49 outputs, rtol = atol = 1e-8) with
  libroadrunner on the exported SBML, PySB ``ScipyOdeSimulator`` on the
  BioNetGen network, and COPASI (basico) on the exported SBML.

Usage::

    .venv/bin/python benchmarks/bench_simulation.py [--repeats 3]
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import numpy as np

CONDITIONS = [{"IFNa_pM": 1000}, {"IFNb_pM": 100}, {"IFNg_pM": 100}, {"IFNb_pM": 100, "ruxolitinib_nM": 1000}]
T = np.linspace(0, 240, 49)


def timed(fn, repeats):
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    import os
    os.environ["JAKSTAT_CACHE"] = tempfile.mkdtemp(prefix="jakstat_bench_")
    from jakstat_rules.export.sbml import to_sbml
    from jakstat_rules.model import INPUTS, build_model
    from jakstat_rules.network import clear_memory_cache, generate_network
    from jakstat_rules.simulate import Simulator

    print("== network generation (default model)")
    clear_memory_cache()
    cold = generate_network(build_model())
    warm = generate_network(build_model())
    clear_memory_cache()
    disk = generate_network(build_model())
    print(f"cold (BioNetGen): {cold.seconds:.2f} s  -> {cold.species} species, {cold.reactions} reactions")
    print(f"memory cache:     {warm.seconds:.2f} s  (ratio cold/cached {cold.seconds / warm.seconds:.1f}x)")
    print(f"disk cache:       {disk.seconds:.2f} s  (ratio cold/cached {cold.seconds / disk.seconds:.1f}x)")

    print("\n== time per condition (median of repeats, after one-time setup)")
    t0 = time.perf_counter()
    rr_sim = Simulator(rtol=1e-8, atol=1e-8)
    rr_setup = time.perf_counter() - t0
    rr_time = statistics.mean(timed(lambda c=c: rr_sim.run(c, T), args.repeats) for c in CONDITIONS)

    from pysb.simulator import ScipyOdeSimulator
    model = build_model()
    generate_network(model)
    t0 = time.perf_counter()
    py_sim = ScipyOdeSimulator(model, tspan=T, compiler="python",
                               integrator_options={"rtol": 1e-8, "atol": 1e-8})
    py_setup = time.perf_counter() - t0

    def run_py(c):
        py_sim.run(param_values={k: c.get(k, 0.0) for k in INPUTS})
    py_time = statistics.mean(timed(lambda c=c: run_py(c), 1) for c in CONDITIONS)

    import basico
    t0 = time.perf_counter()
    dm = basico.load_model(to_sbml(build_model()))
    basico.set_task_settings(basico.T.TIME_COURSE, {"problem": {"AutomaticStepSize": False}},
                             model=dm)
    cp_setup = time.perf_counter() - t0

    def run_copasi(c):
        for k in INPUTS:
            basico.set_parameters(k, initial_value=c.get(k, 0.0), model=dm)
        basico.run_time_course(duration=240, intervals=48, model=dm, r_tol=1e-8, a_tol=1e-8,
                               use_initial_values=True)
    cp_time = statistics.mean(timed(lambda c=c: run_copasi(c), args.repeats) for c in CONDITIONS)

    rows = [("libroadrunner (SBML)", rr_setup, rr_time), ("PySB ScipyOdeSimulator", py_setup, py_time),
            ("COPASI via basico (SBML)", cp_setup, cp_time)]
    print(f"{'engine':28s} {'setup s':>9s} {'s/condition':>12s} {'ratio to roadrunner':>20s}")
    for name, setup, per in rows:
        print(f"{name:28s} {setup:9.2f} {per:12.4f} {per / rr_time:19.1f}x")


if __name__ == "__main__":
    main()
