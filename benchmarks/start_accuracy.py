"""How honest the values of a fit's starts are: each start's recorded NLL against the
NLL at its parameters at the engine's tight tolerances (rtol = atol = 1e-10, libroadrunner).

A fit with exact derivatives runs at looser tolerances (AMICI); where those are
too loose for a model, starts end at points whose NLL the loose integration
gets wrong (docs/benchmarks.md, "Accuracy of the exact tolerances").  Prints the
fit's settings, the starts whose recorded value is off by more than
``defaults.ACCURACY_ABS + defaults.ACCURACY_REL * |tight value|`` (what the
warning of ``jakstat calibrate`` counts from each start's ``fval_tight``) and
the five best starts both ways.

    .venv/bin/python benchmarks/start_accuracy.py --fit /tmp/bench-acc/runs/Brannmark_JBC2010/ours-0c485a1926 \\
        --problem ../shared/petab_benchmarks/Brannmark_JBC2010/Brannmark_JBC2010.yaml
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from jakstat_rules.calibrate import defaults
from jakstat_rules.calibrate.compiled import get_compiled
from jakstat_rules.calibrate.objective import Objective
from jakstat_rules.calibrate.store import StartResult, read_records
from jakstat_rules.engine import DEFAULT_ATOL, DEFAULT_RTOL
from jakstat_rules.petab_io import ProblemPayload, load_problem


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fit", type=Path, required=True, help="a jakstat calibrate --out folder")
    ap.add_argument("--problem", type=Path, required=True, help="its PEtab problem (YAML)")
    args = ap.parse_args()
    settings = json.loads((args.fit / "summary.json").read_text())["settings"]
    payload = ProblemPayload.from_problem(load_problem(args.problem))
    tight = Objective(get_compiled(payload, DEFAULT_RTOL, DEFAULT_ATOL),
                      analytic=settings["analytic_scaling"])
    rows = []
    for _, rec in read_records(args.fit / "starts", "start_*.json",
                               lambda _, r: StartResult.from_dict(r), "start record", "left out"):
        if rec.ok:
            value = tight.fresh_fval(tight.x_from_parameters(rec.parameters))
            rows.append((rec.start, rec.fval, value))
    failed = [r for r in rows if not math.isfinite(r[2])]
    off = [r for r in rows if math.isfinite(r[2]) and not abs(r[1] - r[2])
           <= defaults.ACCURACY_ABS + defaults.ACCURACY_REL * abs(r[2])]
    print(f"{settings['gradient']} derivatives, rtol {settings['rtol']:g}, atol "
          f"{settings['atol']:g}: {len(rows)} finished starts, {len(off)} of them off by more "
          f"than {defaults.ACCURACY_ABS:g} + {defaults.ACCURACY_REL:g} x |value| at rtol = "
          f"atol = {DEFAULT_RTOL:g}, {len(failed)} where that simulation fails (inf)")
    print("start  recorded NLL  tight NLL")
    for start, recorded, value in sorted(off + failed):
        print(f"{start:5d}  {recorded:12.6g}  {value:12.6g}  "
              + ("off" if math.isfinite(value) else "fails at the tight tolerances"))
    for start, recorded, value in sorted(rows, key=lambda r: r[1])[:5]:
        print(f"{start:5d}  {recorded:12.6g}  {value:12.6g}  (among the five best recorded)")


if __name__ == "__main__":
    main()
