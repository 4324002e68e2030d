"""How honest the values of a fit's starts are: each start's recorded NLL against the
NLL at its parameters at the engine's tight tolerances (rtol = atol = 1e-10, libroadrunner).

A fit with exact derivatives runs at looser tolerances (AMICI); where those are
too loose for a model, starts end at points whose NLL the loose integration
gets wrong (docs/benchmarks.md, "Accuracy of the exact tolerances").  Prints the
fit's settings, the starts whose recorded value is off by more than
``defaults.ACCURACY_ABS + defaults.ACCURACY_REL * |tight value|`` (what the
warning of ``jakstat calibrate`` counts from each start's ``fval_tight``) and
the five best starts both ways.  With ``--check`` instead of ``--fit``: the
check ``jakstat calibrate`` makes before its first start (200 starts, seed 1),
its settings line and the values it compared at the starting points.

    .venv/bin/python benchmarks/start_accuracy.py --check \\
        --problem ../shared/petab_benchmarks/Brannmark_JBC2010/Brannmark_JBC2010.yaml
    .venv/bin/python benchmarks/start_accuracy.py --fit /tmp/bench-acc/runs/Brannmark_JBC2010/ours-0c485a1926 \\
        --problem ../shared/petab_benchmarks/Brannmark_JBC2010/Brannmark_JBC2010.yaml
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from jakstat_rules.calibrate import defaults
from jakstat_rules.calibrate.compiled import get_compiled
from jakstat_rules.calibrate.objective import Objective
from jakstat_rules.calibrate.optimizers import FitSettings
from jakstat_rules.calibrate.store import StartResult, read_records
from jakstat_rules.engine import DEFAULT_ATOL, DEFAULT_RTOL
from jakstat_rules.petab_io import ProblemPayload, load_problem


def check(payload: ProblemPayload) -> None:
    """Print what the check of the exact tolerances at the starting points finds."""
    choice = defaults.choose_settings(payload, FitSettings(n_starts=200, seed=1))
    print(choice.line(1, ""))
    measured = choice.measured
    if "accuracy_reference" not in measured:
        print("no check: the tolerances are not those of exact derivatives")
        return
    print("rtol 1e-10: " + "  ".join(f"{v:.6g}" for v in measured["accuracy_reference"]))
    for entry in measured["accuracy_check"]:
        print(f"rtol {entry['rtol']:g}: " + "  ".join(f"{v:.6g}" for v in entry["values"])
              + f"   ({entry['disagree']} of {entry['points']} compared disagree)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    what = ap.add_mutually_exclusive_group(required=True)
    what.add_argument("--fit", type=Path, help="a jakstat calibrate --out folder")
    what.add_argument("--check", action="store_true",
                      help="the check of the exact tolerances at the starting points")
    ap.add_argument("--problem", type=Path, required=True, help="the PEtab problem (YAML)")
    args = ap.parse_args()
    payload = ProblemPayload.from_problem(load_problem(args.problem))
    if args.check:
        check(payload)
        return
    settings = json.loads((args.fit / "summary.json").read_text())["settings"]
    tight = Objective(get_compiled(payload, DEFAULT_RTOL, DEFAULT_ATOL),
                      analytic=settings["analytic_scaling"])
    rows = []
    for _, rec in read_records(args.fit / "starts", "start_*.json",
                               lambda _, r: StartResult.from_dict(r), "start record", "left out"):
        if rec.ok:  # records of older runs have no fval_tight
            value = (rec.fval_tight if rec.fval_tight is not None
                     else tight.fresh_fval(tight.x_from_parameters(rec.parameters)))
            rows.append((rec.start, rec.fval, value))
    report = defaults.tight_report([(recorded, value) for _, recorded, value in rows])
    print(f"{settings['gradient']} derivatives, rtol {settings['rtol']:g}, atol "
          f"{settings['atol']:g}: {len(rows)} finished starts, {report['off']} of them off by "
          f"more than {defaults.ACCURACY_ABS:g} + {defaults.ACCURACY_REL:g} x |value| at rtol "
          f"= atol = {DEFAULT_RTOL:g}, {report['failing']} where that simulation fails (inf)")
    print("start  recorded NLL  tight NLL")
    for start, recorded, value in sorted(rows):
        one = defaults.tight_report([(recorded, value)])
        if one["off"] or one["failing"]:
            print(f"{start:5d}  {recorded:12.6g}  {value:12.6g}  "
                  + ("off" if one["off"] else "fails at the tight tolerances"))
    for start, recorded, value in sorted(rows, key=lambda r: r[1])[:5]:
        print(f"{start:5d}  {recorded:12.6g}  {value:12.6g}  (among the five best recorded)")


if __name__ == "__main__":
    main()
