"""Command-line wiring of the calibration commands.

``register(subparsers)`` adds to the main ``jakstat`` parser::

    jakstat calibrate PROBLEM.yaml [--starts N] [--seed S] [--out DIR]
                      [--workers K | --scheduler ADDRESS] [--export-sbml]
                      [--max-evaluations N] [--optimizer auto|trf|fides|lbfgsb]
                      [--gradient exact|fd] [--rtol R] [--atol A]
    jakstat calibrate PROBLEM.yaml --evaluate-nominal [--json] [--simulations OUT.tsv]
                      [--parameter ID=VALUE ...] [--rtol R] [--atol A]
    jakstat profile PROBLEM.yaml --fit FIT_DIR --out DIR [--workers K]
    jakstat validate FIT_DIR VALIDATION.yaml --out DIR [--profiles PROFILE_DIR]

Every handler returns an exit code; :class:`~jakstat_rules.errors.JakstatInputError`
is left to propagate (the main CLI prints it as one line and exits with 2).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

#: ``--optimizer`` and ``--gradient`` choices (equal to (defaults.AUTO,
#: *optimizers.OPTIMIZERS) and (defaults.AUTO, *objective.GRADIENTS), tested; literal
#: here so that ``--help`` imports nothing heavy).
OPTIMIZER_CHOICES = ("auto", "trf", "fides", "lbfgsb")
GRADIENT_CHOICES = ("auto", "exact", "fd")
STRATEGY_CHOICES = ("multistart", "race")  # optimizers.STRATEGIES (tested)
DESIGN_CHOICES = ("sobol", "lhs")  # design.DESIGNS (tested)
PROFILE_MAX_STEPS = 20  # profile.DEFAULT_MAX_STEPS (a test checks they agree)
START_TIME_SHARE = 0.0  # multistart.START_TIME_SHARE (tested)

__all__ = ["register"]


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected an integer >= 1")
    return value


def _tolerance(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a tolerance between 0 and 1, "
                                         f"for example 1e-8")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(value) and value > 0.0):
        raise argparse.ArgumentTypeError(f"{text!r}: expected a number of seconds > 0, "
                                         f"for example 3600")
    return value


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a share between 0 (no cap) "
                                         f"and 1, for example 0.25")
    return value


def _nonneg_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: expected an integer >= 0")
    return value


def _add_parallel(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--workers", type=_positive_int, default=None, metavar="K",
                   help="run on a local dask cluster with K worker processes (1: in this "
                        "process; default: all cores when the work is expected to take "
                        "over a minute, else 1)")
    g.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="address of a running dask scheduler, e.g. tcp://host:8786")
    p.add_argument("--no-progress", action="store_true",
                   help="no live progress line")


def _evaluate_nominal(args: argparse.Namespace) -> int:
    from jakstat_rules.data.cli import pairs
    from jakstat_rules.errors import JakstatInputError
    from jakstat_rules.io import atomic_write

    from .nominal import evaluate_nominal

    values = {}
    for pid, text in pairs(args.parameter, "--parameter", "k1=0.5").items():
        try:
            values[pid] = float(text)
        except ValueError:
            raise JakstatInputError(f"--parameter {pid}={text!r}: expected a number "
                                    f"(linear scale), e.g. --parameter {pid}=0.5") from None
    tolerances = {name: getattr(args, name) for name in ("rtol", "atol")
                  if getattr(args, name) is not None}
    result = evaluate_nominal(args.problem, values=values, **tolerances)
    if args.simulations:
        atomic_write(args.simulations, result.simulations.to_csv(sep="\t", index=False))
    if args.json:
        print(json.dumps(result.as_dict()))
    else:
        where = "the nominal values" + (f" ({len(values)} replaced)" if values else "")
        print(f"{args.problem}: {result.n_measurements} measurements, "
              f"{result.n_estimated} estimated parameters, at {where}:\n"
              f"  negative log-likelihood of the data  {result.data_nll:.6f}\n"
              f"  chi-square of the weighted residuals {result.chi2:.6f}\n"
              f"  -log objective priors               {result.neg_log_prior:.6f}\n"
              f"  objective (what a fit minimises)    {result.objective:.6f}\n"
              f"  ({result.seconds:.1f} s; benchmark collections list the data part "
              f"as -LLH)")
        if args.simulations:
            print(f"simulation table: {args.simulations}")
    return 0


def _cmd_calibrate(args: argparse.Namespace) -> int:
    if args.evaluate_nominal:
        return _evaluate_nominal(args)
    if args.simulations or args.parameter:
        from jakstat_rules.errors import JakstatInputError

        raise JakstatInputError("--simulations and --parameter belong to --evaluate-nominal; "
                                "expected them together with --evaluate-nominal")
    from .multistart import calibrate
    from .optimizers import FitSettings

    fit_options = {"optimizer": args.optimizer, "gradient": args.gradient,
                   "strategy": args.strategy, "race_budget": args.race_budget,
                   "polish": not args.no_polish, "stall": args.stall,
                   "design": args.design}
    if args.max_evaluations is not None:
        fit_options["max_nfev"] = args.max_evaluations
    for name in ("rtol", "atol", "tol"):
        if getattr(args, name) is not None:
            fit_options[name] = getattr(args, name)
    settings = FitSettings(**fit_options)
    summary = calibrate(args.problem, args.out, n_starts=args.starts,
                        seed=args.seed, workers=args.workers,
                        scheduler=args.scheduler, progress=not args.no_progress,
                        max_new_starts=args.max_new_starts, max_time=args.max_time,
                        start_time_share=args.start_time_share,
                        export_sbml=args.export_sbml, settings=settings)
    _print_summary(summary, ["best_fval", "n_finished", "n_starts",
                             "n_converged", "n_failed", "wall_time_s"])
    print(f"results in {args.out}")
    return 0


def _cmd_setup_gradients(args: argparse.Namespace) -> int:
    from .install import setup_gradients

    return setup_gradients(dry_run=args.dry_run)


def _cmd_profile(args: argparse.Namespace) -> int:
    from .profile import profile

    result = profile(args.problem, args.fit, args.out,
                     parameters=args.parameters, workers=args.workers,
                     scheduler=args.scheduler, progress=not args.no_progress,
                     max_steps=args.max_steps)
    for pid, info in result["parameters"].items():
        print(f"{pid}: {info['identifiability']}")
    print(f"results in {args.out}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from .validate import validate

    result = validate(args.fit, args.problem, args.out, n_starts=args.starts,
                      seed=args.seed, profiles=args.profiles)
    _print_summary(result, ["r2", "nrmse", "nll"])
    print(f"results in {args.out}")
    return 0


def _print_summary(summary: dict[str, Any], keys: list[str]) -> None:
    print(json.dumps({k: summary.get(k) for k in keys}, indent=1, default=str),
          file=sys.stdout)


def register(subparsers: Any) -> None:
    """Add the ``calibrate``, ``profile`` and ``validate`` subcommands.

    Parameters
    ----------
    subparsers
        The object returned by ``ArgumentParser.add_subparsers()``.  Each
        added parser stores its handler in ``func``; handlers take the parsed
        namespace and return an exit code.
    """
    fmt = argparse.ArgumentDefaultsHelpFormatter

    p = subparsers.add_parser(
        "calibrate", formatter_class=fmt,
        help="fit a PEtab v1 or v2 problem by multistart optimisation",
        description="Fit a PEtab v1 problem with an SBML model or a PEtab v2 problem "
                    "with an SBML or PySB model: multistart from a "
                    "scrambled Sobol design, least-squares local optimisation, results "
                    "written per start (re-run to resume).")
    p.add_argument("problem", metavar="PROBLEM.yaml", help="PEtab YAML file")
    p.add_argument("--evaluate-nominal", action="store_true",
                   help="only evaluate the objective at the nominal parameters (no fit, "
                        "nothing written): checks that the problem is read as meant")
    p.add_argument("--json", action="store_true", help="with --evaluate-nominal: one JSON line")
    p.add_argument("--simulations", default=None, metavar="OUT.tsv",
                   help="with --evaluate-nominal: write the PEtab simulation table")
    p.add_argument("--parameter", action="append", default=None, metavar="ID=VALUE",
                   help="with --evaluate-nominal: evaluate with this linear value of an "
                        "estimated parameter instead of its nominal value (repeatable)")
    p.add_argument("--starts", type=_positive_int, default=50, metavar="N",
                   help="number of starts (a multistart resumed with more starts keeps the "
                        "starts it has and adds the others)")
    p.add_argument("--seed", type=_nonneg_int, default=0, metavar="S",
                   help="seed of the starting points")
    p.add_argument("--design", choices=DESIGN_CHOICES, default=None,
                   help="starting points: sobol (scrambled Sobol sequence: the first N "
                        "points are those of any run of N starts) or lhs (Latin hypercube, "
                        "another design for every N); default: the design of the run in "
                        "--out, sobol for a new run")
    p.add_argument("--out", default="results/calibration", metavar="DIR",
                   help="output folder (resumed if it holds this problem's results)")
    p.add_argument("--max-new-starts", type=_nonneg_int, default=None, metavar="M",
                   help="stop after M newly finished starts (resume later)")
    p.add_argument("--max-time", type=_seconds, default=None, metavar="SECONDS",
                   help="end within about SECONDS of wall time: the starts get 75 %% of it "
                        "(95 %% with --no-polish) and the starts running then stop at their "
                        "lowest value so far; the polish may take the rest, and the time it "
                        "leaves goes to more starts until 95 %%; the results are written "
                        "(re-run to resume with the starts not run)")
    p.add_argument("--start-time-share", type=_share, default=START_TIME_SHARE,
                   metavar="S",
                   help="with --max-time: one start runs at most this share of the starts' "
                        "time, then ends at its lowest value, so that slow starts do not "
                        "hold the workers (0: no cap; for example 0.25)")
    p.add_argument("--export-sbml", action="store_true",
                   help="also write the fitted model as SBML and a COPASI .cps file")
    p.add_argument("--max-evaluations", type=_positive_int, default=None, metavar="N",
                   help="at most N objective evaluations per local optimisation "
                        "(default 1000; kept for validate and profile of this fit)")
    p.add_argument("--rtol", type=_tolerance, default=None, metavar="R",
                   help="relative tolerance of the ODE integration (default: 1e-6 with exact "
                        "derivatives, 1e-10 with finite differences; the best fit is "
                        "re-checked at 1e-10; kept for validate and profile of this fit)")
    p.add_argument("--atol", type=_tolerance, default=None, metavar="A",
                   help="absolute tolerance of the ODE integration (default: with exact "
                        "derivatives 1e-9 times the model's median initial amount, at most "
                        "1e-6; with finite differences 1e-10)")
    p.add_argument("--tol", type=_tolerance, default=None, metavar="T",
                   help="stopping tolerance of the local optimiser (trf's ftol, xtol and "
                        "gtol; fides's relative function and step tolerances; L-BFGS-B's "
                        "ftol and gtol; default 1e-6 with exact derivatives, else 1e-8)")
    p.add_argument("--optimizer", choices=OPTIMIZER_CHOICES, default="auto",
                   help="local optimiser: auto (fides with exact derivatives, trf with "
                        "finite differences), trf (least-squares trust region on the "
                        "residuals), fides (trust region, Gauss-Newton or BFGS Hessian), "
                        "lbfgsb")
    p.add_argument("--gradient", choices=GRADIENT_CHOICES, default="auto",
                   help="auto (measure what one derivative costs each way and take the "
                        "cheaper), fd (finite differences on the simulation core) or exact "
                        "(forward sensitivities with AMICI, compiled once per model and "
                        "cached; `jakstat setup-gradients` installs AMICI)")
    p.add_argument("--strategy", choices=STRATEGY_CHOICES, default="multistart",
                   help="multistart: every start optimised to convergence; race: every start "
                        "gets a short budget, the best third of the unfinished continues with "
                        "3x the budget, the last few run to convergence (more starting "
                        "points for the same evaluations, docs/calibration.md)")
    p.add_argument("--race-budget", type=_positive_int, default=None, metavar="N",
                   help="with --strategy race: evaluations per start in the first round "
                        "(default: the number of free parameters, at least 10)")
    p.add_argument("--stall", type=_nonneg_int, default=50, metavar="N",
                   help="stop a start as stalled when its NLL fell by less than 0.01 over "
                        "its last N iterations (trf, lbfgsb; 0: never), so that a start "
                        "crawling far from any optimum does not hold a worker")
    p.add_argument("--no-polish", action="store_true",
                   help="do not continue the best start once the starts are done (rounds of "
                        "the other optimiser, fides after trf or lbfgsb, trf after fides, and "
                        "the fit's own; trf there with ftol 1e-10)")
    _add_parallel(p)
    p.set_defaults(func=_cmd_calibrate)

    p = subparsers.add_parser(
        "setup-gradients", formatter_class=fmt,
        help="install AMICI (exact derivatives for calibrate) into this Python",
        description="Install AMICI's requirements (shipped with the package) and AMICI "
                    "1.0.1 with --no-deps into the Python that runs jakstat: pip cannot "
                    "resolve AMICI together with PySB's sympy pin in one step. `make "
                    "setup` runs it; after `pip install jakstat-rules`, run it once.")
    p.add_argument("--dry-run", action="store_true", help="print the pip commands only")
    p.set_defaults(func=_cmd_setup_gradients)

    p = subparsers.add_parser(
        "profile", formatter_class=fmt,
        help="profile likelihoods of the estimated parameters",
        description="Profile likelihoods starting from a fit; a parameter is "
                    "identifiable when the NLL rises by 1.92 (chi2(1) 95 %% / 2) "
                    "on both sides within its bounds.")
    p.add_argument("problem", metavar="PROBLEM.yaml", help="PEtab YAML file")
    p.add_argument("--fit", required=True, metavar="FIT_DIR",
                   help="output folder of 'jakstat calibrate'")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--parameters", nargs="+", default=None, metavar="ID",
                   help="parameters to profile (default: all estimated)")
    p.add_argument("--max-steps", type=_positive_int, default=PROFILE_MAX_STEPS, metavar="N",
                   help="at most N re-optimised points per direction (a branch that stops "
                        "before the threshold is reported as not shown identifiable)")
    _add_parallel(p)
    p.set_defaults(func=_cmd_profile)

    p = subparsers.add_parser(
        "validate", formatter_class=fmt,
        help="predict a validation problem with fitted parameters",
        description="Predict a validation PEtab problem with the parameters of a "
                    "fit; only parameters absent from the fit (e.g. the new "
                    "experiment's scale and noise) are estimated.")
    p.add_argument("fit", metavar="FIT_DIR", help="output folder of 'jakstat calibrate'")
    p.add_argument("problem", metavar="VALIDATION.yaml", help="PEtab YAML file")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--starts", type=_positive_int, default=5, metavar="N",
                   help="starts for the parameters re-estimated")
    p.add_argument("--seed", type=_nonneg_int, default=0, metavar="S",
                   help="seed of the starting points")
    p.add_argument("--profiles", default=None, metavar="PROFILE_DIR",
                   help="output folder of 'jakstat profile' on the fit: adds the 95 %% "
                        "profile-wise prediction band (predictions.tsv lower/upper, fit.png)")
    p.set_defaults(func=_cmd_validate)
