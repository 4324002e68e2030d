"""Benchmark: compiling an SBML model with libroadrunner's two JIT backends, MCJIT (the
library's default) against LLJIT (``jakstat_rules.engine``'s default), and simulating it.

For each SBML file, in one process: compile time of each backend (fastest of
``--repeats``, through :func:`jakstat_rules.engine._compile`, the engine's own
compilation with no cache), then the time of one 4-hour simulation of IFN-β 100 pM
(every state at 49 times) on an :class:`~jakstat_rules.engine.Engine` of each
compiled model at the engine's default tolerances (median of ``--runs``, alternating
between the two), and the largest difference of their trajectories.
Prints a table with the ratios MCJIT / LLJIT.

Usage::

    .venv/bin/python benchmarks/bench_compile.py [--repeats 3] [--runs 10] [SBML ...]

Without files: the committed SBML of the default model and of ``jak2_v617f``
(``sbml/``), and two small models of the PEtab collection read in place from
``../shared/petab_benchmarks`` (Zheng, Bertozzi; IFN-β is set only where the model has it).
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import numpy as np

from jakstat_rules.engine import JIT_BACKENDS, Engine, _compile

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT.parent / "shared" / "petab_benchmarks"
TIMES = np.linspace(0.0, 240.0, 49)
DEFAULT_FILES = [ROOT / "sbml" / "jakstat_ifn.xml", ROOT / "sbml" / "jakstat_ifn_jak2_v617f.xml",
                 BENCHMARKS / "Zheng_PNAS2012" / "model_Zheng_PNAS2012.xml",
                 BENCHMARKS / "Bertozzi_PNAS2020" / "model.xml"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, default=DEFAULT_FILES)
    parser.add_argument("--repeats", type=int, default=3, help="compilations per backend")
    parser.add_argument("--runs", type=int, default=10, help="simulations per backend")
    args = parser.parse_args()
    print("| SBML | species | compile MCJIT, s | compile LLJIT, s | ratio | "
          "simulate MCJIT, ms | simulate LLJIT, ms | ratio | largest difference |")
    print("|---|---|---|---|---|---|---|---|---|")
    for path in args.files:
        if not path.is_file():
            print(f"| {path} | missing |")
            continue
        sbml = path.read_text(encoding="utf-8")
        compile_s, engines = {}, {}
        for backend in JIT_BACKENDS:
            best = float("inf")
            for _ in range(args.repeats):
                start = time.perf_counter()
                state, _, _ = _compile(sbml, backend)
                best = min(best, time.perf_counter() - start)
            compile_s[backend] = best
            os.environ["JAKSTAT_JIT"] = backend      # the engine loads this backend's state
            engines[backend] = Engine(sbml)
        sim_s = {b: [] for b in engines}
        out = {}
        for _ in range(args.runs):
            for backend, eng in engines.items():
                start = time.perf_counter()
                eng.set_values({"IFNb_pM": 100.0} if "IFNb_pM" in eng.parameter_ids else {})
                eng.reset()
                out[backend] = eng.simulate(TIMES, eng.species_ids)
                sim_s[backend].append(time.perf_counter() - start)
        mc, lj = (statistics.median(sim_s[b]) * 1e3 for b in ("mcjit", "lljit"))
        diff = float(np.max(np.abs(out["mcjit"] - out["lljit"])))
        n = len(engines["lljit"].species_ids)
        name = path.name if path.parent.name == "sbml" else f"{path.parent.name}/{path.name}"
        print(f"| {name} | {n} | {compile_s['mcjit']:.2f} | {compile_s['lljit']:.2f} | "
              f"{compile_s['mcjit'] / compile_s['lljit']:.1f} | {mc:.0f} | {lj:.0f} | "
              f"{mc / lj:.2f} | {diff:.3g} |", flush=True)


if __name__ == "__main__":
    main()
