"""Scatter search against the multistart, on the same problems and wall time.

For each problem of the shared PEtab collection, one run each, 2 cores:

* ``jakstat calibrate`` with its defaults (multistart on a 200-point design,
  two workers, the settings it chooses, the stall rule and the polish) and
  ``--max-time BUDGET``, BUDGET = 0.9 x ``--timeout-per-problem``: the run
  ``bench_petab.py`` makes with the same ``--starts``, ``--seed`` and
  ``--timeout-per-problem`` (its ``run_ours``, untimed warm-up and record;
  a ``bench_petab.py`` run in the same ``--out`` is reused);
* pyscat's SaCeSS (self-adaptive cooperative enhanced scatter search, Penas
  et al. 2017; two workers, pyscat's default settings per worker) for the
  same ``BUDGET`` seconds, on this package's objective
  (:mod:`jakstat_rules.calibrate.pypesto_adapter`, pickled to its worker
  processes) with this package's local fit as its local phase (``trf``, the
  derivatives, tolerances and stall rule ``jakstat calibrate`` chooses for the
  problem, stopped at the budget's end).  The settings are chosen before the
  budget starts.

Printed and written (``OUT/bench_scatter.md`` and ``.json``): the best value
of each, the best-known value (with the prior term for problems with priors,
``bench_petab.objective_reference``), whether each reaches it (within 0.1),
and when the scatter search first did.  Resumable per problem.

    .venv/bin/python benchmarks/bench_scatter.py --timeout-per-problem 180 \
        --out results/bench_scatter --problems Borghans Weber Crauste Fiedler

pyscat comes with the ``test`` extra (``pip install -e '.[test]'``).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import pypesto  # noqa: E402
import pypesto.optimize  # noqa: E402
from pypesto.C import FVAL  # noqa: E402
from pypesto.result import OptimizerResult  # noqa: E402

from helpers import load_avg, read_json, say, write_json_atomic, write_text_atomic  # noqa: E402
import bench_petab  # noqa: E402
from jakstat_rules.calibrate.pypesto_adapter import PypestoObjective  # noqa: E402

TOL = bench_petab.TOL


class LocalFit(pypesto.optimize.Optimizer):
    """Our local fit (:func:`~jakstat_rules.calibrate.optimizers.local_fit_until`) as
    a pyPESTO optimiser, stopped after ``max_walltime_s``."""

    def __init__(self, settings: Any, max_walltime_s: float) -> None:
        super().__init__()
        self.settings, self.max_walltime_s = settings, max_walltime_s

    def minimize(self, problem, x0=None, id=None, history_options=None,
                 optimize_options=None):
        from jakstat_rules.calibrate.optimizers import local_fit_until

        ob = problem.objective.objective  # PypestoObjective -> Objective
        t0 = time.time()
        deadline = t0 + self.max_walltime_s if math.isfinite(self.max_walltime_s) else None
        x0 = np.asarray(x0, float)
        try:
            fit = local_fit_until(ob, x0, self.settings, deadline)
            result = OptimizerResult(id=id, x=np.asarray(fit.x), fval=ob.fval(fit.x),
                                     n_fval=fit.n_fev, n_grad=0, time=time.time() - t0,
                                     message=fit.message, exitflag=fit.exitflag, x0=x0)
        except Exception as exc:  # a failed local phase ends at no value
            result = OptimizerResult(id=id, x=x0, fval=np.inf, n_fval=0, n_grad=0,
                                     time=time.time() - t0, message=str(exc), exitflag=-1,
                                     x0=x0)
        result.free_indices = np.arange(len(x0))
        return result

    def is_least_squares(self) -> bool:
        return False


class LocalFitFactory:
    """pyscat's local-optimiser factory: a :class:`LocalFit` within the time left."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings

    def __call__(self, max_walltime_s: float = math.inf, max_eval: float = math.inf):
        return LocalFit(self.settings, max_walltime_s)


class ValuesOnly(PypestoObjective):
    """The objective's values only: SaCeSS uses derivatives only in its local phase
    (which evaluates the objective itself); a failed simulation is no value."""

    def check_sensi_orders(self, sensi_orders, mode) -> bool:
        return max(sensi_orders, default=0) == 0 and self.check_mode(mode)

    def call_unprocessed(self, x, sensi_orders, mode, return_dict, **kwargs):
        try:
            return super().call_unprocessed(x, sensi_orders, mode, return_dict, **kwargs)
        except Exception:
            return {FVAL: np.inf}


def run_scatter(name: str, yaml: Path, budget: float) -> dict:
    """SaCeSS for ``budget`` seconds on the problem; its best value and history."""
    import pyscat

    from jakstat_rules.calibrate.compiled import get_compiled
    from jakstat_rules.calibrate.defaults import choose_settings
    from jakstat_rules.calibrate.objective import Objective
    from jakstat_rules.calibrate.optimizers import FitSettings
    from jakstat_rules.petab_io import ProblemPayload, load_problem

    payload = ProblemPayload.from_problem(load_problem(yaml))
    settings = choose_settings(payload, FitSettings(), None).settings
    ob = Objective(get_compiled(payload, settings.rtol, settings.atol),
                   analytic=settings.analytic_scaling, gradient=settings.gradient)

    problem = pypesto.Problem(ValuesOnly(ob), lb=np.asarray(ob.lb, float),
                              ub=np.asarray(ob.ub, float), x_names=list(ob.free_ids))
    sacess = pyscat.SacessOptimizer(problem=problem, num_workers=2, max_walltime_s=budget,
                                    sacess_loglevel=logging.WARNING,
                                    ess_loglevel=logging.WARNING)
    sacess.set_local_optimizer(LocalFitFactory(settings))
    t0 = time.time()
    result = sacess.minimize()
    wall = time.time() - t0
    history = sorted((float(t), float(f)) for h in sacess.histories
                     for t, f in zip(h.get_time_trace(), h.get_fval_trace()))
    return {"best_fval": float(result.optimize_result[0].fval), "wall_s": wall,
            "settings": {k: getattr(settings, k) for k in ("gradient", "rtol", "atol", "tol",
                                                            "stall")},
            "history": history}


def first_time(history: list[tuple[float, float]], ref: float) -> float | None:
    """When the search first evaluated a value within TOL of ``ref`` (seconds), or None."""
    return next((t for t, f in history if f <= ref + TOL), None)


def markdown(rows: list[dict], command: str, budget: float) -> str:
    lines = [f"Command: `{command}`", "",
             f"Budget {budget:g} s per tool and problem, 2 cores; bold: the best-known value "
             f"reached (within {TOL}, or below it).", "",
             "| problem | best known | multistart: best, starts | SaCeSS: best, first at |",
             "|---|---|---|---|"]
    for r in rows:
        ref = r["reference"]

        def cell(v: float | None) -> str:
            if v is None or not math.isfinite(v):
                return "–"
            return f"**{v:.6g}**" if ref is not None and v <= ref + TOL else f"{v:.6g}"

        ours, sc = r["multistart"], r["scatter"]
        at = first_time(sc.get("history", []), ref) if ref is not None else None
        lines.append(f"| {r['problem']} | {ref:.6g} | {cell(ours.get('best_fval'))}, "
                     f"{ours.get('n_finished', 0)} | {cell(sc.get('best_fval'))}, "
                     f"{'–' if at is None else f'{at:.0f} s'} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--timeout-per-problem", type=float, default=180.0,
                    help="as bench_petab's: the multistart gets --max-time 0.9 x this, "
                         "the scatter search the same seconds (default 180)")
    ap.add_argument("--starts", type=int, default=200, help="the multistart's design")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=Path("results/bench_scatter"))
    ap.add_argument("--problems", nargs="+", required=True,
                    help="collection problems (prefixes, e.g. Borghans Weber)")
    args = ap.parse_args(argv)
    budget = bench_petab.MAX_TIME_SHARE * args.timeout_per_problem
    try:
        import pyscat  # noqa: F401
    except ImportError:
        raise SystemExit("bench_scatter: pyscat is not installed: expected the test extra "
                         "(pip install -e '.[test]')") from None
    problems = bench_petab.collection_problems()
    chosen = {}
    for prefix in args.problems:
        hits = [n for n in problems if n.startswith(prefix)]
        if len(hits) != 1:
            raise SystemExit(f"bench_scatter: problem {prefix!r}: expected a prefix of one of "
                             f"{sorted(problems)}")
        chosen[hits[0]] = problems[hits[0]]
    args.out.mkdir(parents=True, exist_ok=True)
    command = "python benchmarks/bench_scatter.py " + " ".join(argv or sys.argv[1:])
    rows = []
    for name, yaml in chosen.items():
        rundir = args.out / "runs" / name
        rundir.mkdir(parents=True, exist_ok=True)
        record = rundir / f"scatter-{budget:g}.json"
        ref, _ = bench_petab.objective_reference(name, yaml)
        # the run bench_petab makes with these --starts, --seed and --timeout-per-problem (a
        # bench_petab run in the same --out is reused)
        ns = argparse.Namespace(starts=args.starts, seed=args.seed, compile_timeout=900,
                                timeout_per_problem=args.timeout_per_problem)
        ours = bench_petab.run_ours(name, yaml, rundir, ns, ["--max-time", f"{budget:g}"])
        scatter = read_json(record)
        if not isinstance(scatter, dict):
            say(f"{name}: SaCeSS for {budget:g} s (load {load_avg():.1f})")
            scatter = run_scatter(name, yaml, budget)
            write_json_atomic(record, scatter)
        say(f"{name}: multistart {ours.get('best_fval')}, SaCeSS {scatter['best_fval']}, "
            f"best known {ref}")
        rows.append({"problem": name, "reference": ref,
                     "multistart": {k: ours.get(k) for k in ("best_fval", "n_finished")},
                     "scatter": scatter})
    text = markdown(rows, command, budget)
    write_text_atomic(args.out / "bench_scatter.md", text)
    write_json_atomic(args.out / "bench_scatter.json", rows)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
