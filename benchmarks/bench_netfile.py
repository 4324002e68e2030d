"""Benchmark: reading BioNetGen's .net file into the PySB model, PySB's reader against ours;
and libSBML's checks of the exported SBML with and without the unit checks.

For every model variant, in one process: the network is generated (or taken from
the cache) once, then read into fresh builds of the model by
``pysb.bng._parse_netfile`` and by :func:`jakstat_rules.network.read_netfile`
(fastest of ``--repeats`` each). Prints seconds and the ratio, and checks that
both readers give the same reactions (both ways), species and observables.
Then the seconds of :func:`jakstat_rules.export.consistency_report` on the default
model's exported SBML with every check and without the unit checks (what
``to_sbml`` runs: it stops at errors, and unit findings are warnings in Level 3).

Usage::

    .venv/bin/python benchmarks/bench_netfile.py [--repeats 3]
"""
from __future__ import annotations

import argparse
import time

from pysb.bng import _parse_netfile

from jakstat_rules.artifacts import model_sbml
from jakstat_rules.export import consistency_report
from jakstat_rules.model import VARIANTS, build_model
from jakstat_rules.network import _MEMORY, generate_network, read_netfile, structure_key


def _fastest(read, variant: str, netfile: str, repeats: int) -> tuple[float, object]:
    best, model = float("inf"), None
    for _ in range(repeats):
        model = build_model(variant)
        start = time.perf_counter()
        read(model, netfile)
        best = min(best, time.perf_counter() - start)
    return best, model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print("| variant | reactions | PySB's reader, s | ours, s | ratio | same network |")
    print("|---|---|---|---|---|---|")
    for variant in VARIANTS:
        model = build_model(variant)
        generate_network(model)
        netfile = _MEMORY[structure_key(model)]
        theirs, a = _fastest(lambda m, text: _parse_netfile(m, iter(text.split("\n"))),
                             variant, netfile, args.repeats)
        ours, b = _fastest(read_netfile, variant, netfile, args.repeats)
        same = all([(r["reactants"], r["products"], str(r["rate"]), r["rule"]) for r in x]
                   == [(r["reactants"], r["products"], str(r["rate"]), r["rule"]) for r in y]
                   for x, y in ((a.reactions, b.reactions),
                                (a.reactions_bidirectional, b.reactions_bidirectional))) and (
            [str(s) for s in a.species] == [str(s) for s in b.species]
            and [(list(o.species), list(o.coefficients)) for o in a.observables]
            == [(list(o.species), list(o.coefficients)) for o in b.observables])
        print(f"| {variant} | {len(b.reactions)} | {theirs:.3f} | {ours:.3f} | "
              f"{theirs / ours:.1f} | {'yes' if same else 'NO'} |", flush=True)
    sbml = model_sbml("default")          # the exported SBML, as the cache holds it
    for units in (True, False):
        best = float("inf")
        for _ in range(args.repeats):
            start = time.perf_counter()
            consistency_report(sbml, units=units)
            best = min(best, time.perf_counter() - start)
        print(f"libSBML checks of the default model's SBML, {'with' if units else 'without'} "
              f"the unit checks: {best:.2f} s")


if __name__ == "__main__":
    main()
