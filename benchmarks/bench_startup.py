"""Benchmark: start-up of a ``jakstat`` command that reads a PEtab problem, with and
without the modules it skips (``jakstat_rules/startup.py``), in one run.

Both runs are ``jakstat calibrate PROBLEM --evaluate-nominal --json`` through
:func:`jakstat_rules.cli.main` in a new Python process; the peer imports jsonschema
first, so that jsonschema imports ``rfc3987_syntax`` as it does without the skip.
Each is run ``--repeats`` times, alternating; the median wall times and their ratio
are printed, and both runs' NLL (which must agree).

Usage::

    .venv/bin/python benchmarks/bench_startup.py [--problem YAML] [--repeats 5]

Default problem: Zheng 2012 of ``../shared/petab_benchmarks`` (read in place), or the
package's example problem where that folder is missing.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ZHENG = ROOT.parent / "shared" / "petab_benchmarks" / "Zheng_PNAS2012" / "Zheng_PNAS2012.yaml"

RUN = ("import json, sys\n{first}"
       "from jakstat_rules.cli import main\n"
       "rc = main(['calibrate', sys.argv[1], '--evaluate-nominal', '--json'])\n"
       "print(json.dumps({{'rc': rc, 'skipped': sys.modules.get('rfc3987_syntax', 0) is None}}))\n")


def _run(problem: Path, first: str) -> tuple[float, float, bool]:
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", RUN.format(first=first), str(problem)],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    seconds = time.perf_counter() - t
    result, marker = json.loads(out[-2]), json.loads(out[-1])
    assert marker["rc"] == 0, out
    return seconds, float(result["data_nll"]), bool(marker["skipped"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--problem", type=Path, default=None)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    problem = args.problem
    if problem is None and ZHENG.is_file():
        problem = ZHENG
    if problem is None:
        from jakstat_rules.calibrate.example import write_example_problem

        problem = write_example_problem(Path(tempfile.mkdtemp()) / "example", noise_sd=0.0)
    _run(problem, "")  # compiled model in the cache: both runs read it from there
    times: dict[str, list[float]] = {"jakstat": [], "peer": []}
    nll: dict[str, float] = {}
    for _ in range(args.repeats):
        for name, first in (("jakstat", ""), ("peer", "import jsonschema\n")):
            seconds, value, skipped = _run(problem, first)
            assert skipped == (name == "jakstat"), (name, skipped)
            times[name].append(seconds)
            nll[name] = value
    ours, theirs = statistics.median(times["jakstat"]), statistics.median(times["peer"])
    print(f"problem: {problem}")
    print(f"jakstat calibrate --evaluate-nominal, median of {args.repeats} (s)")
    print(f"  skipping rfc3987_syntax (the command)   {ours:7.2f}   NLL {nll['jakstat']:.10g}")
    print(f"  importing it (jsonschema first)         {theirs:7.2f}   NLL {nll['peer']:.10g}")
    print(f"  ratio importing / skipping              {theirs / ours:7.2f}x")
    assert nll["jakstat"] == nll["peer"], nll


if __name__ == "__main__":
    main()
