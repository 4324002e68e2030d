"""The ``jakstat`` command line.

Every command has ``--help``; imports are lazy, so ``jakstat --help`` loads
nothing heavy.  Bad input (an unknown condition, a negative dose, a
malformed file, an output path that is a file or read-only, a solver
failure, ...) prints one line on stderr and exits with code 2, never a
traceback.  Output paths and flags are checked before any long computation,
and outputs are written atomically (:mod:`jakstat_rules.io`), so an
interrupted run leaves no half-written file.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Sequence

from .errors import JakstatInputError
from .interface import VARIANTS


# ----------------------------------------------------------------- helpers
def _parse_assignments(items: Sequence[str] | None) -> dict[str, str]:
    out = {}
    for item in items or []:
        if "=" not in item:
            raise JakstatInputError(f"--set {item!r} is not NAME=VALUE (e.g. IFNb_pM=100)")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def _parse_list(text: str | None, what: str) -> list[float] | None:
    if text is None:
        return None
    parts = [x.strip() for x in text.split(",")]
    if not any(parts):
        raise JakstatInputError(f"{what} {text!r} is empty: expected a comma-separated list of numbers")
    try:
        return [float(x) for x in parts if x]
    except ValueError:
        raise JakstatInputError(f"{what} {text!r} is not a comma-separated list of numbers") from None


def _run_name(base: str, variant: str, base_variant: str, extra: dict[str, float]) -> str:
    """File stem that says what was run: condition, other variant, changed inputs."""
    name = base
    if variant != base_variant:
        name += f"__{variant}"
    for key, value in extra.items():
        name += f"__{key}-{value:g}"
    return name


# ----------------------------------------------------------------- commands
def cmd_cache(args) -> int:
    from . import cache

    if args.action == "info":
        if args.older_than is not None or args.kind:
            raise JakstatInputError("--older-than and --kind: expected them with 'jakstat cache "
                                    "clear' only")
        print("\n".join(cache.info_lines()))
        return 0
    removed, skipped = cache.clear(args.kind, args.older_than)
    print(f"removed {len(removed)} cache entries ({cache.human_size(sum(e.size for e in removed))})"
          + (f" not used for {args.older_than:g} days" if args.older_than is not None else "")
          + f" from {cache.cache_dir()}")
    for e in skipped:
        print(f"kept {e.kind}/{e.name}: an AMICI build holds it")
    return 0


def cmd_network(args) -> int:
    from .model import build_model
    from .network import generate_network
    report = generate_network(build_model(args.variant), use_cache=not args.no_cache)
    again = generate_network(build_model(args.variant))
    info = {"variant": args.variant, "rules": report.rules, "species": report.species,
            "reactions": report.reactions, "seconds": round(report.seconds, 3),
            "source": report.cached, "seconds_cached": round(again.seconds, 3)}
    print(json.dumps(info) if args.json else f"{args.variant}: {report}\nsecond call: {again}")
    return 0


def _simulate_schedule(args) -> int:
    """``jakstat simulate --schedule NAME|FILE``."""
    from .conditions import time_grid
    from .io import check_output_dir, check_output_file, write_table
    from .schedules import load_schedule, schedule_events, simulate_schedule

    if args.condition or args.set or args.variant:
        raise JakstatInputError("--schedule cannot be combined with a condition, --set or --variant: "
                                "expected the schedule alone (its file sets inputs and variant)")
    schedule = load_schedule(args.schedule)
    times = time_grid(schedule.t_end if args.t_end is None else args.t_end,
                      schedule.n_points if args.points is None else args.points)
    readouts = [r.strip() for r in args.readouts.split(",")] if args.readouts is not None else None
    out = check_output_dir(args.out)
    for suffix in (".csv",) if args.no_plot else (".csv", ".png"):
        check_output_file(out / f"{schedule.id}{suffix}")
    print(f"simulating schedule {schedule.id} ({schedule.variant} model, "
          f"{len(schedule.periods)} periods) ...", flush=True)
    table = simulate_schedule(schedule, readouts, times)
    print(f"wrote {write_table(out / f'{schedule.id}.csv', table)}")
    if not args.no_plot:
        from .plots import plot_schedule
        title = schedule.description or schedule.id
        print(f"wrote {plot_schedule(table, schedule_events(schedule), out / f'{schedule.id}.png', title)}")
    return 0


def cmd_simulate(args) -> int:
    from .conditions import check_inputs, get_condition, time_grid
    from .io import check_output_dir, check_output_file

    if args.schedule:
        return _simulate_schedule(args)
    if args.points is None:
        args.points = 97
    if args.condition:
        cond = get_condition(args.condition)
        inputs, base_variant, t_end, base = dict(cond.inputs), cond.variant, cond.t_end, cond.id
    elif args.set:
        inputs, base_variant, t_end, base = {}, "default", 240.0, "custom"
    else:
        raise JakstatInputError("no condition given: expected a condition id (see `jakstat "
                                "scenarios`) or inputs with --set INPUT=VALUE")
    variant = args.variant or base_variant
    if args.profiles and not args.fit:
        raise JakstatInputError("--profiles needs --fit: expected the fit the profiles were "
                                "traced from")
    extra = check_inputs(_parse_assignments(args.set))
    changed = {k: v for k, v in extra.items() if inputs.get(k) != v}
    inputs.update(extra)
    inputs = check_inputs(inputs)
    times = time_grid(t_end if args.t_end is None else args.t_end, args.points)
    readouts = [r.strip() for r in args.readouts.split(",")] if args.readouts is not None else None
    out = check_output_dir(args.out)
    name = _run_name(base, variant, base_variant, changed) + ("__fit" if args.fit else "")
    for suffix in (".csv",) if args.no_plot else (".csv", ".png"):
        check_output_file(out / f"{name}{suffix}")

    from .io import write_table
    from .simulate import get_simulator
    sim = get_simulator(variant)
    sets = None
    if args.fit:
        from .calibrate.store import load_fit

        fit = load_fit(args.fit, finished=True)
        sim = sim.with_overrides(sim.model_parameters(fit["best_parameters"]))
        if args.profiles:
            from .calibrate.profile import read_profile_sets

            sets = read_profile_sets(args.profiles, fit)
    print(f"simulating {name} ({variant} model) ...", flush=True)
    table = sim.run(inputs, times, readouts)
    if sets is not None:
        print(f"prediction band: {len(sets)} parameter sets the profiles accept ...", flush=True)
        band = sim.band(sets, inputs, times, readouts)
        table = table.merge(band, on="time")
    print(f"wrote {write_table(out / f'{name}.csv', table)}")
    if not args.no_plot:
        from .figures import doses_label
        from .plots import plot_time_course
        model = "default model" if variant == "default" else f"{variant} variant"
        title = f"{doses_label(inputs)} ({model}; {name})"
        print(f"wrote {plot_time_course(table, out / f'{name}.png', title=title)}")
    return 0


def cmd_dose_response(args) -> int:
    from .conditions import check_inputs, time_grid
    from .io import check_output_dir, check_output_file
    from .simulate import check_doses

    doses = check_doses(args.input, _parse_list(args.doses, "--doses"))
    base = check_inputs(_parse_assignments(args.set))
    times = time_grid(args.t_end, args.points)
    out = check_output_dir(args.out)
    stem = _run_name(f"dose_response_{args.input}", args.variant, "default", base)
    for name in (f"{stem}.csv", f"{stem}_summary.csv", f"{stem}.png"):
        check_output_file(out / name)

    from .io import write_table
    from .plots import dose_summary, plot_dose_response
    from .simulate import get_simulator
    sim = get_simulator(args.variant)
    readout = args.readout or "pSTAT1_total"
    table = sim.dose_response(args.input, doses, times, [readout] if args.readout else None,
                              base=base, progress=True)
    csv = write_table(out / f"{stem}.csv", table)
    summ = write_table(out / f"{stem}_summary.csv", dose_summary(table, readout))
    png = plot_dose_response(table, out / f"{stem}.png", readout)
    print(f"wrote {csv}\nwrote {summ}\nwrote {png}")
    return 0


def _treatment(text: str, flag: str) -> tuple[str, list[float]]:
    """``INPUT=D1,D2,...`` -> (input, doses)."""
    if "=" not in text:
        raise JakstatInputError(f"{flag} {text!r} is not INPUT=DOSE,DOSE,... (e.g. ruxolitinib_nM=0,10,100)")
    name, doses = text.split("=", 1)
    return name.strip(), _parse_list(doses, f"{flag} doses") or []


def cmd_combination(args) -> int:
    from .combination import combination_map, plot_combination
    from .conditions import check_inputs
    from .io import check_output_dir, check_output_file, write_table

    a, doses_a = _treatment(args.a, "first treatment")
    b, doses_b = _treatment(args.b, "second treatment")
    base = check_inputs(_parse_assignments(args.set))
    out = check_output_dir(args.out)
    stem = _run_name(f"combination_{a}_x_{b}", args.variant, "default", base)
    for suffix in (".csv",) if args.no_plot else (".csv", ".png"):
        check_output_file(out / f"{stem}{suffix}")
    table = combination_map(a, doses_a, b, doses_b, base=base, readout=args.readout,
                            time=args.time, auc=args.auc, variant=args.variant,
                            points=args.points, progress=True)
    print(f"wrote {write_table(out / f'{stem}.csv', table)}")
    if not args.no_plot:
        from .figures import doses_label
        measure = table["measure"].iloc[0]
        title = f"{args.readout} {measure}" + (f" with {doses_label(base)}" if base else "")
        print(f"wrote {plot_combination(table, out / f'{stem}.png', title)}")
    return 0


def cmd_scenarios(args) -> int:
    from .conditions import CONDITIONS, SCHEDULES
    for c in CONDITIONS.values():
        inputs = ", ".join(f"{k}={v:g}" for k, v in c.inputs.items()) or "-"
        print(f"{c.id:30s} {c.variant:11s} 0-{c.t_end:g} min  {inputs:34s} {c.description}")
    print("\nschedules (jakstat simulate --schedule ID):")
    for s in SCHEDULES.values():
        print(f"{s.id:40s} {s.variant:11s} 0-{s.t_end:g} min  {len(s.periods):3d} periods  "
              f"{s.description}")
    return 0


def cmd_reference(args) -> int:
    from .io import check_output_file
    from .reference import write_reference
    check_output_file(args.out)
    print(f"wrote {write_reference(args.out)}")
    return 0


def cmd_demo(args) -> int:
    from .demo import run_demo
    from .io import check_output_dir
    run_demo(check_output_dir(args.out))
    return 0


# ----------------------------------------------------------------- parser
def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None


def build_parser() -> argparse.ArgumentParser:
    from .calibrate.cli import register as register_calibrate
    from .data.cli import register as register_data
    from .artifacts import model_sbml
    from .export.cli import register as register_export
    from .supplement.cli import register as register_supplement

    parser = argparse.ArgumentParser(
        prog="jakstat", description="Rule-based IFN -> JAK -> STAT1 model: network, simulation, "
                                    "export and calibration.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("network", help="generate the reaction network and report its size and timing")
    p.add_argument("--variant", default="default", choices=sorted(VARIANTS))
    p.add_argument("--no-cache", action="store_true",
                   help="run BioNetGen even if the network is cached (and replace the cache entry)")
    p.add_argument("--json", action="store_true", help="print one JSON line")
    p.set_defaults(func=cmd_network)

    p = sub.add_parser("simulate", help="simulate a standard condition or custom inputs (CSV + PNG)",
                       description="Simulate a standard condition (`jakstat scenarios`) or inputs "
                                   "given with --set. Writes OUT/NAME.csv and OUT/NAME.png; NAME is "
                                   "the condition id, extended by __VARIANT and __INPUT-VALUE when "
                                   "--variant or --set change it.")
    p.add_argument("condition", nargs="?", help="a condition id (see `jakstat scenarios`)")
    p.add_argument("--schedule", metavar="ID|FILE",
                   help="a therapy schedule: a standard schedule id (see `jakstat scenarios`) or a "
                        "schedule file (YAML, see docs/cancer.md); writes OUT/ID.csv and OUT/ID.png")
    p.add_argument("--set", action="append", metavar="INPUT=VALUE",
                   help="set an input, e.g. --set IFNb_pM=100 (repeatable)")
    p.add_argument("--variant", choices=sorted(VARIANTS), help="model variant")
    p.add_argument("--t-end", type=float, help="end time in minutes (default: the condition's)")
    p.add_argument("--points", type=_int, help="number of output times (>= 2; default 97, "
                   "a schedule's own)")
    p.add_argument("--readouts", help="comma-separated readouts (default: all)")
    p.add_argument("--out", default="results", help="output folder")
    p.add_argument("--fit", metavar="FIT_DIR",
                   help="simulate with the model parameters of a fit ('jakstat calibrate' "
                        "folder); the name gets __fit")
    p.add_argument("--profiles", metavar="PROFILE_DIR",
                   help="with --fit: add the 95%% profile-wise prediction band of every "
                        "readout from 'jakstat profile' of that fit (<readout>_lower, "
                        "<readout>_upper; shaded in the PNG)")
    p.add_argument("--no-plot", action="store_true", help="write the CSV only (drawing the PNG "
                   "takes about half of a warm run)")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("dose-response", help="time courses over a dose series of one input (CSV + PNG)")
    p.add_argument("input", help="input id, e.g. IFNa_pM, IFNb_pM, IFNg_pM, ruxolitinib_nM")
    p.add_argument("--doses", help="comma-separated doses (default: a standard series)")
    p.add_argument("--set", action="append", metavar="INPUT=VALUE", help="other inputs held fixed")
    p.add_argument("--readout", help="readout to summarise (default pSTAT1_total)")
    p.add_argument("--variant", default="default", choices=sorted(VARIANTS))
    p.add_argument("--t-end", type=float, default=240.0)
    p.add_argument("--points", type=_int, default=49)
    p.add_argument("--out", default="results")
    p.set_defaults(func=cmd_dose_response)

    p = sub.add_parser("combination", help="dose grid of two treatments: readout, Bliss/Loewe/HSA "
                                           "excess (CSV + heatmap PNG)",
                       description="Simulate every pair of doses of two inputs (dose 0 added), score "
                                   "the readout at --time or its AUC against Bliss independence, "
                                   "Loewe additivity and the highest single agent (docs/cancer.md). "
                                   "Writes OUT/combination_A_x_B.csv and .png.")
    p.add_argument("a", metavar="A=DOSES", help="first treatment, e.g. ruxolitinib_nM=10,100,1000")
    p.add_argument("b", metavar="B=DOSES", help="second treatment, e.g. IR_Gy=2,5,10")
    p.add_argument("--set", action="append", metavar="INPUT=VALUE", help="other inputs held fixed")
    p.add_argument("--readout", default="pSTAT1_total", help="readout (default pSTAT1_total)")
    p.add_argument("--time", type=float, default=240.0, help="minutes: the readout then, or the "
                   "end of the AUC (default 240)")
    p.add_argument("--auc", action="store_true", help="score the area under the curve 0..--time")
    p.add_argument("--variant", default="default", choices=sorted(VARIANTS))
    p.add_argument("--points", type=_int, default=49, help="output times per simulation (AUC)")
    p.add_argument("--out", default="results")
    p.add_argument("--no-plot", action="store_true", help="write the CSV only")
    p.set_defaults(func=cmd_combination)

    p = sub.add_parser("scenarios", help="list the standard conditions and schedules")
    p.set_defaults(func=cmd_scenarios)

    p = sub.add_parser("reference", help="regenerate the model reference page (docs/model_reference.md)")
    p.add_argument("--out", default="docs/model_reference.md")
    p.set_defaults(func=cmd_reference)

    p = sub.add_parser("demo", help="the main job: model, network, SBML, standard conditions, plots")
    p.add_argument("--out", default="results")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("cache", help="what the on-disk caches hold; remove old entries",
                       description="The on-disk caches (JAKSTAT_CACHE, default "
                                   "~/.cache/jakstat_rules) are filled by every command and never "
                                   "emptied by one: 'jakstat cache' shows them, 'jakstat cache "
                                   "clear' removes entries (each is rebuilt when a run needs it).")
    p.add_argument("action", nargs="?", choices=("info", "clear"), default="info")
    p.add_argument("--older-than", type=float, default=None, metavar="DAYS",
                   help="with clear: only entries not used for DAYS days")
    p.add_argument("--kind", action="append", default=None, metavar="KIND",
                   help="with clear: only this kind (repeatable; networks, sbml, summaries, "
                        "pruned, compiled, amici)")
    p.set_defaults(func=cmd_cache)

    register_export(sub, sbml_of=model_sbml)
    register_data(sub)
    register_calibrate(sub)
    register_supplement(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``jakstat`` console script."""
    from .startup import skip_unused_imports

    skip_unused_imports()  # before anything imports petab (jsonschema)
    from .io import report_warnings_on_stderr, status_on_stderr

    parser = build_parser()
    args = parser.parse_args(argv)
    report_warnings_on_stderr()
    try:
        with status_on_stderr():
            return int(args.func(args) or 0)
    except JakstatInputError as exc:
        print(f"jakstat: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a path the checks could not foresee (disk full, removed folder, ...)
        where = f" {exc.filename!r}" if getattr(exc, "filename", None) else ""
        print(f"jakstat: error: cannot use{where} ({exc.strerror or exc}): expected a readable "
              f"input and a writable output path", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("jakstat: interrupted; finished outputs are kept", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
