"""The ``jakstat supplement`` subcommand (registered by :mod:`jakstat_rules.cli`)."""
from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register"]


def _cmd_supplement(args: argparse.Namespace) -> int:
    from .build import build_supplement

    omex = build_supplement(args.out, args.fit, args.validation, quiet=args.quiet,
                            copasi_check=not args.no_copasi_check, problem=args.problem,
                            authors=args.author or (), profiles=args.profiles)
    print(f"wrote {omex}\nwrote {omex.with_suffix('')}/ (the archive unpacked)")
    return 0


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``supplement`` to the ``jakstat`` subcommands."""
    p = subparsers.add_parser(
        "supplement", help="publication supplement: COMBINE archive (SBML, SED-ML, PEtab, data, "
                           "figures, report)",
        description="Write OUT/jakstat_supplement.omex and the unpacked folder "
                    "OUT/jakstat_supplement/: SBML of every variant and the fitted model, SED-ML "
                    "L1V4 of the standard scenarios, dose responses, fit and validation "
                    "prediction, the fitted PEtab problems with the fitted values, the data, "
                    "figures (PNG, SVG) and tables (CSV), metadata.rdf and an HTML model report. "
                    "An existing supplement in OUT is replaced only by a complete new one. "
                    "See docs/supplement.md.")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--fit", metavar="FITDIR",
                   help="folder of 'jakstat calibrate' on a PEtab problem on the model (Kirby "
                        "2021 or your own data; default: calibration/kirby2021/results of a "
                        "repository checkout)")
    p.add_argument("--profiles", metavar="PROFILE_DIR",
                   help="folder of 'jakstat profile' on that fit: intervals and the 95%% "
                        "profile-wise prediction band go into results/profiles/")
    p.add_argument("--problem", metavar="PROBLEM.yaml",
                   help="the fitted problem, if it is no longer at the path the fit recorded")
    p.add_argument("--validation", metavar="VALDIR",
                   help="folder of 'jakstat validate' on that fit (default: FITDIR if it holds "
                        "validation.json, else the validation is run when the problem's folder "
                        "has a sibling validation/problem.yaml)")
    p.add_argument("--author", action="append", metavar="'NAME <ORCID>'",
                   help="creator of the archive, e.g. 'Josiah Carberry <0000-0002-1825-0097>' "
                        "(ORCID iD optional, checked); repeatable. Without it the metadata "
                        "names no creator")
    p.add_argument("--no-copasi-check", action="store_true",
                   help="skip the COPASI simulation of the standard conditions (about 15 s)")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(func=_cmd_supplement)
    return p
