"""Command-line wiring of the data commands.

``register(subparsers)`` adds to the main ``jakstat`` parser::

    jakstat data petab [--data DIR] --out OUT [--sbml PATH] [--petab-version 1|2]
    jakstat data import TABLE.csv --out DIR [--wide] [--validate EXP ...]
                      [--estimate ID ...] [--decades D] [--bounds ID=LOW:HIGH ...]
                      [--offset | --no-offset] [--noise normal|lognormal]
                      [--molar-mass NAME=G_PER_MOL ...]
                      [--sbml PATH] [--petab-version 1|2]
    jakstat data example --out DIR

Every handler returns an exit code; :class:`~jakstat_rules.errors.JakstatInputError`
is left to propagate (the main CLI prints it as one line and exits with 2).
The handlers import their modules when they run, so that ``jakstat --help``
imports neither pandas nor libpetab.
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register", "pairs"]


def _cmd_data_petab(args: argparse.Namespace) -> int:
    from .kirby import write_kirby_petab

    paths = write_kirby_petab(args.data, args.out, args.sbml,
                              petab_version=args.petab_version)
    for name, path in paths.items():
        print(f"{name}: {path}")
    return 0


def pairs(items: list[str] | None, option: str, example: str) -> dict[str, str]:
    """``NAME=VALUE`` items of a repeatable option (bad form: JakstatInputError)."""
    from jakstat_rules.errors import JakstatInputError

    out: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise JakstatInputError(f"{option} {item!r} is not NAME=VALUE; expected e.g. "
                                    f"{option} {example}")
        out[name.strip()] = value.strip()
    return out


def _import_options(args: argparse.Namespace):
    from .tidy import ImportOptions
    from jakstat_rules.errors import JakstatInputError

    bounds = {}
    for pid, text in pairs(args.bounds, "--bounds", "kint_complex=0.001:1").items():
        low, sep, high = text.partition(":")
        try:
            bounds[pid] = (float(low), float(high))
        except ValueError:
            sep = ""
        if not sep:
            raise JakstatInputError(f"--bounds {pid}={text!r}: expected LOW:HIGH, two numbers "
                                    f"(linear scale), e.g. --bounds {pid}=0.001:1")
    if not (0 < args.decades <= 4):
        raise JakstatInputError(f"--decades {args.decades!r}: expected a number in (0, 4]")
    estimate = None
    if args.estimate is not None:
        estimate = {pid: args.decades for pid in args.estimate}
    elif args.decades != 2.0:
        from .tidy import ESTIMATED_PARAMETERS
        estimate = {pid: args.decades for pid in ESTIMATED_PARAMETERS}
    # neither --offset nor --no-offset: None, decided from the table's baseline
    return ImportOptions(estimate=estimate, bounds=bounds, offset=getattr(args, "offset", None),
                         noise=args.noise, validate=tuple(args.validate or ()),
                         molar_masses=pairs(args.molar_mass, "--molar-mass", "IFNb=22500"))


def _cmd_data_import(args: argparse.Namespace) -> int:
    from .study import study_record
    from .tidy import import_table

    paths = import_table(args.table, args.out, _import_options(args), sbml=args.sbml,
                         wide=args.wide, report=print,
                         study=study_record(args.organism, args.cell_type),
                         petab_version=args.petab_version)
    for name, path in paths.items():
        print(f"{name}: {path}")
    return 0


def _cmd_data_example(args: argparse.Namespace) -> int:
    from . import EXAMPLE_FILES, example_path
    from jakstat_rules.io import atomic_write_bytes, check_output_dir

    out = check_output_dir(args.out)
    for name in EXAMPLE_FILES:
        print(atomic_write_bytes(out / name, example_path(name).read_bytes()))
    return 0


def _version_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--petab-version", type=int, choices=[1, 2], default=2,
                        help="PEtab version of the problems written (1: condition tables "
                             "for tools that read only PEtab v1; the same likelihood)")


def register(subparsers: Any) -> None:
    """Add the ``data`` subcommands (``petab``, ``import``, ``example``) to
    ``subparsers``; each handler, stored in ``func``, returns an exit code."""
    fmt = argparse.ArgumentDefaultsHelpFormatter

    p = subparsers.add_parser("data", help="data sets and PEtab problems",
                              description="Data sets and the PEtab problems "
                                          "built from them.")
    dsub = p.add_subparsers(dest="data_command", metavar="COMMAND")
    dsub.required = True
    pp = dsub.add_parser(
        "petab", formatter_class=fmt,
        help="write the Kirby 2021 training and validation PEtab problems",
        description="Write OUT/train/problem.yaml (B cells, 20190108, 20190119, "
                    "20190121) and OUT/validation/problem.yaml (B cells, "
                    "20190214) from the Kirby 2021 pSTAT1 data.")
    pp.add_argument("--data", default=None, metavar="DIR",
                    help="folder with the Kirby csv files (default: "
                         "$JAKSTAT_DATA, else the copy shipped with the package)")
    pp.add_argument("--out", required=True, metavar="OUT", help="output folder")
    pp.add_argument("--sbml", default=None, metavar="PATH",
                    help="SBML model (default: the exported default model, "
                         "sbml/jakstat_ifn.xml)")
    _version_option(pp)
    pp.set_defaults(func=_cmd_data_petab)

    pi = dsub.add_parser(
        "import", formatter_class=fmt,
        help="turn a table of your own measurements into a PEtab problem",
        description="Write OUT/train/problem.yaml (and OUT/validation/problem.yaml "
                    "with --validate) from a table with one row per measurement: "
                    "experiment, input columns with their unit (IFNa_pM, IFNb_ng/mL, "
                    "ruxolitinib_nM, IR_Gy, ...), time_min (or time_h, time_s), "
                    "optional readout (default pSTAT1_total), value, optional sd and "
                    "variant. See docs/own-data.md.")
    pi.add_argument("table", metavar="TABLE.csv", help="the table (csv; .tsv: tab-separated)")
    pi.add_argument("--out", required=True, metavar="DIR", help="output folder")
    pi.add_argument("--wide", action="store_true",
                    help="one column per time point ('5 min', '1 h', ...), optionally "
                         "a block of standard deviations ('sd 5 min', ...)")
    pi.add_argument("--validate", nargs="+", action="extend", default=None, metavar="EXP",
                    help="experiments held out into OUT/validation (never fitted)")
    pi.add_argument("--estimate", nargs="+", action="extend", default=None, metavar="ID",
                    help="model parameters to estimate (default: those of the reference "
                         "fit, kon_IFNA2_IFNAR2 kon_IFNB1_IFNAR2 kcat_STAT_phos "
                         "kdp_PTPN2_pSTAT1 kr_pSTAT_dimer kint_complex)")
    pi.add_argument("--decades", type=float, default=2.0, metavar="D",
                    help="bounds of estimated model parameters: D decades either side "
                         "of the model's value")
    pi.add_argument("--bounds", action="append", default=None, metavar="ID=LOW:HIGH",
                    help="linear bounds of one estimated parameter (model, scale_*, "
                         "offset_* or sigma_*); repeatable")
    og = pi.add_mutually_exclusive_group()
    og.add_argument("--offset", action="store_true", default=argparse.SUPPRESS,
                    help="fit an additive offset (baseline) per experiment (default: when "
                         "the t = 0 or untreated values' median exceeds 5%% of the "
                         "experiment's largest value)")
    og.add_argument("--no-offset", dest="offset", action="store_false",
                    default=argparse.SUPPRESS,
                    help="never fit an offset")
    pi.add_argument("--noise", choices=["normal", "lognormal"], default="normal",
                    help="measurement noise: additive normal, or normal on log(value)")
    pi.add_argument("--molar-mass", action="append", default=None, metavar="NAME=G_PER_MOL",
                    help="molar mass for mass units (ng/mL), e.g. IFNb=22500; repeatable")
    pi.add_argument("--sbml", default=None, metavar="PATH",
                    help="SBML model (default: the exported model of the table's variant)")
    pi.add_argument("--organism", default=None, metavar="NAME",
                    help="organism the data come from: human, mouse, rat, a Latin name or "
                         "NCBITaxon:ID (written to study.json next to problem.yaml; "
                         "'jakstat supplement' reports it)")
    pi.add_argument("--cell-type", default=None, metavar="TEXT",
                    help="cell type the data come from, e.g. 'B cell' (written to study.json)")
    _version_option(pi)
    pi.set_defaults(func=_cmd_data_import)

    pe = dsub.add_parser(
        "example", formatter_class=fmt,
        help="copy the example tables of docs/own-data.md into a folder",
        description="Write the example tables (a subset of the Kirby 2021 B-cell data "
                    "in the tidy layout, long and wide) into DIR.")
    pe.add_argument("--out", required=True, metavar="DIR", help="output folder")
    pe.set_defaults(func=_cmd_data_example)
