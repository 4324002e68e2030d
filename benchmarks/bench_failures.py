"""Benchmark: local fits where simulations fail, this checkout against an earlier commit.

Runs fixed starts of collection problems with ``trf`` (the default local
optimiser) in one process per code version and case, and prints per case the
values the fits end at, how many stopped on ``gtol`` (a zero Jacobian where the
forward sensitivities failed stops ``trf`` there), the simulations and the
seconds, for this checkout and for ``--before`` (checked out into a temporary
git worktree and run with ``PYTHONPATH`` pointing at it, in the same
virtualenv; the working directory is a scratch folder so that it cannot shadow
``PYTHONPATH``).  The cases are those of docs/benchmarks.md, "Derivatives where
a simulation fails":

    .venv/bin/python benchmarks/bench_failures.py --before 00e8029

The starting points are the Latin-hypercube designs of ``jakstat calibrate
--seed 1`` with 20 or 200 starts (:func:`jakstat_rules.calibrate.design.starting_points`).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_petab import ROOT, SHARED  # noqa: E402
from helpers import say  # noqa: E402

#: name: (problem, derivatives, relative tolerance, design size, starts)
CASES = {
    "fujita-exact": ("Fujita_SciSignal2010", "exact", 1e-6, 20, list(range(8))),
    "fujita-fd": ("Fujita_SciSignal2010", "fd", 1e-10, 20, list(range(12))),
    "fiedler-fd": ("Fiedler_BMCSystBiol2016", "fd", 1e-10, 200, [16]),
    "borghans-fd": ("Borghans_BiophysChem1997", "fd", 1e-10, 200, list(range(20))),
    "crauste-fd": ("Crauste_CellSystems2017", "fd", 1e-10, 200, list(range(30))),
    "brannmark-exact": ("Brannmark_JBC2010", "exact", 1e-8, 200, [1]),
}


def run_case(name: str) -> dict:
    """Fit the starts of case ``name`` with the ``jakstat_rules`` on ``sys.path``."""
    import numpy as np

    from jakstat_rules.calibrate.compiled import get_compiled
    from jakstat_rules.calibrate.defaults import _exact_tolerances, _median_amount
    from jakstat_rules.calibrate.design import starting_points
    from jakstat_rules.calibrate.objective import Objective
    from jakstat_rules.calibrate.optimizers import FitSettings, trf_fit
    from jakstat_rules.petab_io import ProblemPayload, load_problem

    problem, gradient, rtol, design, starts = CASES[name]
    payload = ProblemPayload.from_problem(load_problem(SHARED / problem / f"{problem}.yaml"))
    tight = get_compiled(payload, 1e-10, 1e-10)
    if gradient == "exact":  # the tolerances jakstat calibrate takes with exact derivatives
        rtol, atol = _exact_tolerances(rtol, _median_amount(tight))
        tol = 1e-6
    else:
        atol, tol = rtol, 1e-8
    ob = Objective(get_compiled(payload, rtol, atol), analytic=True, gradient=gradient)
    # the Latin hypercube, also where the code compared with knows no other design
    lhs = {"design": "lhs"} if "design" in FitSettings.__dataclass_fields__ else {}
    settings = FitSettings(n_starts=design, seed=1, rtol=rtol, atol=atol, tol=tol,
                           gradient=gradient, **lhs)
    points = starting_points(ob.lb, ob.ub, design, 1, **lhs)
    if gradient == "exact":
        ob.jacobian(points[starts[0]])  # loads (or builds) the AMICI model: not timed
    values, messages = [], []
    t0 = time.perf_counter()
    for i in starts:
        fit = trf_fit(ob, points[i], settings)
        values.append(float(ob.fval(fit.x)))
        messages.append(fit.message)
        say(f"{name}: start {i}: {values[-1]:.6g} ({fit.message[:60]})")
    seconds = time.perf_counter() - t0
    return {"case": name, "starts": starts, "values": values,
            "gtol_stops": sum("`gtol`" in m for m in messages),
            "simulations": sum(int(re.search(r"\[evaluations: (\d+) simulations", m).group(1))
                               for m in messages), "seconds": seconds,
            "best": float(np.min(values)), "median": float(np.median(values))}


def _child(name: str, source: Path | None, cache: Path) -> dict:
    """:func:`run_case` in a fresh process on the code in ``source`` (None: this checkout)."""
    env = {**os.environ, "JAKSTAT_CACHE": str(cache)}
    env.pop("PYTHONPATH", None)
    if source is not None:
        env["PYTHONPATH"] = str(source)
    check = "import jakstat_rules; print(jakstat_rules.__file__)"
    where = subprocess.run([sys.executable, "-c", check], env=env, cwd=cache.parent,
                           capture_output=True, text=True, check=True).stdout.strip()
    expected = (source or ROOT) / "jakstat_rules" / "__init__.py"
    if Path(where).resolve() != expected.resolve():
        raise SystemExit(f"benchmark would run {where}, expected {expected}")
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", name],
                          env=env, cwd=cache.parent, stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"case {name} failed on {source or 'this checkout'}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _cell(r: dict) -> str:
    stops = f"{r['gtol_stops']} on gtol, " if r["gtol_stops"] else ""
    return (f"best {r['best']:.6g}, median {r['median']:.6g}; {stops}{r['simulations']} "
            f"simulations, {r['seconds']:.1f} s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", default="00e8029",
                    help="the commit to compare with (default: 00e8029, before the change)")
    ap.add_argument("--cases", nargs="+", choices=sorted(CASES), default=list(CASES))
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run_case(args.child)))
        return 0
    with tempfile.TemporaryDirectory(prefix="bench_failures_") as tmp:
        tmp = Path(tmp)
        tree = tmp / "before"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree),
                        args.before], check=True, capture_output=True)
        try:
            rows = []
            for name in args.cases:
                now = _child(name, None, tmp / "cache-now")
                before = _child(name, tree, tmp / "cache-before")
                rows.append((name, before, now))
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                           check=False, capture_output=True)
    print(f"| case (problem, derivatives, starts) | {args.before} | this checkout |")
    print("|---|---|---|")
    for name, before, now in rows:
        problem, gradient, _, design, starts = CASES[name]
        which = f"{starts[0]}-{starts[-1]}" if len(starts) > 1 else f"{starts[0]}"
        print(f"| {problem}, {gradient}, starts {which} of {design} | {_cell(before)} | "
              f"{_cell(now)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
