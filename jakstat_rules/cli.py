"""The ``jakstat`` command line.

Every command has ``--help``.  Bad input (an unknown condition, a negative
dose, a malformed file, ...) prints one line on stderr and exits with code 2;
outputs are written atomically so an interrupted run leaves no half-written
file.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

from .errors import JakstatInputError


# ----------------------------------------------------------------- helpers
def _write_csv(table, path: Path) -> Path:
    from .export.sbml import atomic_write
    return atomic_write(path, table.to_csv(index=False))


def _parse_assignments(items: Sequence[str]) -> dict[str, str]:
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
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise JakstatInputError(f"{what} {text!r} is not a comma-separated list of numbers") from None


# ----------------------------------------------------------------- commands
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


def cmd_simulate(args) -> int:
    from .plots import plot_time_course
    from .simulate import get_scenario, get_simulator
    if args.condition:
        sc = get_scenario(args.condition)
        inputs, variant, t_end, name = dict(sc.inputs), args.variant or sc.variant, sc.t_end, sc.name
    else:
        inputs, variant, t_end, name = {}, args.variant or "default", 240.0, "custom"
    inputs.update(_parse_assignments(args.set))
    if args.t_end is not None:
        t_end = args.t_end
    if not t_end > 0:
        raise JakstatInputError(f"--t-end {t_end!r} must be a positive number of minutes")
    import numpy as np
    times = np.linspace(0, t_end, args.points)
    readouts = args.readouts.split(",") if args.readouts else None
    from .simulate import check_inputs
    inputs = check_inputs(inputs)
    print(f"simulating {name} ({variant} model) ...", flush=True)
    table = get_simulator(variant).run(inputs, times, readouts)
    out = Path(args.out)
    csv = _write_csv(table, out / f"{name}.csv")
    png = plot_time_course(table, out / f"{name}.png", title=f"{name}: {inputs or 'no input'} ({variant})")
    print(f"wrote {csv}\nwrote {png}")
    return 0


def cmd_dose_response(args) -> int:
    from .plots import dose_summary, plot_dose_response
    from .simulate import DOSE_SERIES, get_simulator
    import numpy as np
    doses = _parse_list(args.doses, "--doses") or DOSE_SERIES.get(args.input)
    if doses is None:
        raise JakstatInputError(f"unknown input {args.input!r}: expected one of {sorted(DOSE_SERIES)}")
    base = _parse_assignments(args.set)
    times = np.linspace(0, args.t_end, args.points)
    sim = get_simulator(args.variant)
    table = sim.dose_response(args.input, doses, times, [args.readout] if args.readout else None,
                              base=base, progress=True)
    readout = args.readout or "pSTAT1_total"
    out = Path(args.out)
    stem = f"dose_response_{args.input}"
    csv = _write_csv(table, out / f"{stem}.csv")
    summ = _write_csv(dose_summary(table, readout), out / f"{stem}_summary.csv")
    png = plot_dose_response(table, out / f"{stem}.png", readout)
    print(f"wrote {csv}\nwrote {summ}\nwrote {png}")
    return 0


def cmd_export_plain(args) -> int:
    from .export.sbml import write_sbml
    from .model import build_model
    path = write_sbml(build_model(), Path(args.out) / "jakstat_ifn.xml")
    print(f"wrote {path}")
    return 0


def cmd_scenarios(args) -> int:
    from .simulate import SCENARIOS
    for sc in SCENARIOS.values():
        print(f"{sc.name:32s} {sc.variant:12s} 0-{sc.t_end:g} min  {sc.description}")
    return 0


def cmd_reference(args) -> int:
    from .reference import write_reference
    print(f"wrote {write_reference(args.out)}")
    return 0


def cmd_demo(args) -> int:
    from .demo import run_demo
    run_demo(Path(args.out))
    return 0


# ----------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    from .model import VARIANTS
    parser = argparse.ArgumentParser(
        prog="jakstat", description="Rule-based IFN -> JAK -> STAT1 model: network, simulation, "
                                    "export and calibration.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("network", help="generate the reaction network and report its size and timing")
    p.add_argument("--variant", default="default", choices=sorted(VARIANTS))
    p.add_argument("--no-cache", action="store_true", help="ignore the network cache")
    p.add_argument("--json", action="store_true", help="print one JSON line")
    p.set_defaults(func=cmd_network)

    p = sub.add_parser("simulate", help="simulate a named scenario or custom inputs (CSV + PNG)")
    p.add_argument("condition", nargs="?", help="a scenario name (see `jakstat scenarios`)")
    p.add_argument("--set", action="append", metavar="INPUT=VALUE",
                   help="set an input, e.g. --set IFNb_pM=100 (repeatable)")
    p.add_argument("--variant", choices=sorted(VARIANTS), help="model variant")
    p.add_argument("--t-end", type=float, help="end time in minutes")
    p.add_argument("--points", type=int, default=97, help="number of output times")
    p.add_argument("--readouts", help="comma-separated readouts (default: all)")
    p.add_argument("--out", default="results", help="output folder")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("dose-response", help="time courses over a dose series of one input (CSV + PNG)")
    p.add_argument("input", help="input id, e.g. IFNa_pM, IFNb_pM, IFNg_pM, ruxolitinib_nM")
    p.add_argument("--doses", help="comma-separated doses (default: a standard series)")
    p.add_argument("--set", action="append", metavar="INPUT=VALUE", help="other inputs held fixed")
    p.add_argument("--readout", help="readout to summarise (default pSTAT1_total)")
    p.add_argument("--variant", default="default", choices=sorted(VARIANTS))
    p.add_argument("--t-end", type=float, default=240.0)
    p.add_argument("--points", type=int, default=49)
    p.add_argument("--out", default="results")
    p.set_defaults(func=cmd_dose_response)

    p = sub.add_parser("scenarios", help="list the standard scenarios")
    p.set_defaults(func=cmd_scenarios)

    p = sub.add_parser("reference", help="regenerate the model reference page (docs/model_reference.md)")
    p.add_argument("--out", default="docs/model_reference.md")
    p.set_defaults(func=cmd_reference)

    p = sub.add_parser("demo", help="the main job: model, network, SBML, standard scenarios, plots")
    p.add_argument("--out", default="results")
    p.set_defaults(func=cmd_demo)

    try:
        from .export.cli import register as register_export
        register_export(sub)
    except ImportError:
        p = sub.add_parser("export", help="write the SBML of the default model")
        p.add_argument("--out", default="sbml")
        p.set_defaults(func=cmd_export_plain)
    try:
        from .calibrate.cli import register as register_calibrate
        register_calibrate(sub)
    except ImportError:
        pass
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``jakstat`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except JakstatInputError as exc:
        print(f"jakstat: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("jakstat: interrupted; finished outputs are kept", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

