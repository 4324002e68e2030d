"""The main job (``make demo`` / ``jakstat demo``).

Builds the model, generates the network, exports the SBML, simulates the
standard scenarios and dose responses, one therapy schedule and one
combination map, and writes tables (CSV), plots (PNG) and a summary
(Markdown) to a results folder.
"""
from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from .combination import combination_map, plot_combination
from .conditions import CONDITIONS, DAY, DOSE_RESPONSES, DOSE_SERIES, SCHEDULES, time_grid
from .figures import doses_label, input_name, readout_name
from .interface import VARIANTS, model_id
from .io import atomic_write, check_output_dir, write_table
from .model import build_model
from .artifacts import model_sbml
from .network import generate_network
from .plots import dose_summary, plot_dose_response, plot_schedule, plot_time_course
from .schedules import schedule_events, simulate_schedule
from .simulate import get_simulator


#: The schedule and the combination grid of the demo (docs/cancer.md explains both).
DEMO_SCHEDULE = "ifnb_100pM_ruxolitinib_20mg_bid_3d"
DEMO_DRUG_NM = (10.0, 100.0, 1000.0)
DEMO_BASE = {"IFNb_pM": 100.0}


def run_demo(out: Path) -> dict:
    """Run the main job, writing everything below ``out``; returns the summary."""
    out = check_output_dir(out)
    say = lambda msg: print(msg, flush=True)  # noqa: E731
    say(f"jakstat demo: results go to {out.resolve()}")

    # 1. model and networks
    rows = []
    for variant in VARIANTS:
        model = build_model(variant)
        rep = generate_network(model)
        rows.append({"variant": variant, "monomers": len(model.monomers), "rules": rep.rules,
                     "parameters": len(model.parameters), "species": rep.species,
                     "reactions": rep.reactions, "seconds": round(rep.seconds, 2), "cache": rep.cached})
        say(f"  network {variant}: {rep}")
    networks = pd.DataFrame(rows)
    write_table(out / "networks.csv", networks)

    # 2. SBML (the file every simulation below starts from)
    sbml = atomic_write(out / "sbml" / f"{model_id()}.xml", model_sbml("default"))
    say(f"  SBML: {sbml}")

    # 3. standard scenarios
    peaks = []
    for sc in tqdm(list(CONDITIONS.values()), desc="conditions", unit="condition",
                   disable=None):  # no bar when stderr is not a terminal
        t0 = time.perf_counter()
        table = get_simulator(sc.variant).run(sc.inputs, sc.times)
        write_table(out / "scenarios" / f"{sc.name}.csv", table)
        plot_time_course(table, out / "scenarios" / f"{sc.name}.png",
                         title=f"{sc.description} ({sc.name})")
        i = table["pSTAT1_total"].idxmax()
        peaks.append({"scenario": sc.name, "variant": sc.variant, "inputs": dict(sc.inputs),
                      "pSTAT1_peak": round(float(table["pSTAT1_total"].max()), 1),
                      "t_peak_min": float(table.loc[i, "time"]),
                      "pSTAT1_end": round(float(table["pSTAT1_total"].iloc[-1]), 1),
                      "GAF_nuc_peak": round(float(table["GAF_nuc"].max()), 1),
                      "ISGF3_nuc_peak": round(float(table["ISGF3_nuc"].max()), 1),
                      "ISG_mRNA_end": round(float(table["ISG_mRNA"].iloc[-1]), 1),
                      "seconds": round(time.perf_counter() - t0, 3)})
    scen = pd.DataFrame(peaks)
    write_table(out / "scenarios" / "summary.csv", scen)

    # 4. dose responses
    sim = get_simulator("default")
    times = time_grid(240.0, 49)
    dr_rows = []
    for inp, base in DOSE_RESPONSES:
        table = sim.dose_response(inp, DOSE_SERIES[inp], times, base=base, progress=True)
        stem = f"dose_response_{inp}"
        write_table(out / "dose_responses" / f"{stem}.csv", table)
        summ = dose_summary(table)
        write_table(out / "dose_responses" / f"{stem}_summary.csv", summ)
        title = (f"{readout_name('pSTAT1_total')} against {input_name(inp)} dose"
                 + (f" (with {doses_label(base)})" if base else ""))
        plot_dose_response(table, out / "dose_responses" / f"{stem}.png", title=title)
        summ.insert(0, "input", inp)
        dr_rows.append(summ)
    dr = pd.concat(dr_rows, ignore_index=True)

    # 5. a therapy schedule: oral ruxolitinib twice daily under IFN-beta
    schedule = SCHEDULES[DEMO_SCHEDULE]
    say(f"  schedule {schedule.id}: {schedule.description} ...")
    table = simulate_schedule(schedule)
    write_table(out / "schedules" / f"{schedule.id}.csv", table)
    plot_schedule(table, schedule_events(schedule), out / "schedules" / f"{schedule.id}.png",
                  schedule.description)
    late = table[table["time"] >= DAY]  # after the first day's IFN transient
    sched = pd.DataFrame([{"schedule": schedule.id,
                           "pSTAT1_min_after_day_1": round(float(late["pSTAT1_total"].min()), 1),
                           "pSTAT1_max_after_day_1": round(float(late["pSTAT1_total"].max()), 1)}])

    # 6. a combination map: ruxolitinib x tofacitinib under IFN-beta, pSTAT1 AUC
    say("  combination map ruxolitinib x tofacitinib with IFN-beta 100 pM "
        "(pSTAT1 AUC 0-240 min) ...")
    grid = combination_map("ruxolitinib_nM", DEMO_DRUG_NM, "tofacitinib_nM", DEMO_DRUG_NM,
                           base=DEMO_BASE, readout="pSTAT1_total", time=240.0, auc=True)
    stem = out / "combinations" / "combination_ruxolitinib_nM_x_tofacitinib_nM"
    write_table(stem.with_suffix(".csv"), grid)
    plot_combination(grid, stem.with_suffix(".png"),
                     f"{readout_name('pSTAT1_total')} AUC 0-240 min with "
                     f"{doses_label(DEMO_BASE)}")

    report = ["# jakstat demo results", "", "## Networks", "", networks.to_markdown(index=False), "",
              "## Standard scenarios (pSTAT1_total, molecules per cell)", "",
              scen.drop(columns=["inputs"]).to_markdown(index=False), "",
              "## Dose responses (peak pSTAT1_total over 0-240 min)", "", dr.to_markdown(index=False), "",
              f"## Schedule ({schedule.description})", "", sched.to_markdown(index=False), "",
              "## Combination map (ruxolitinib x tofacitinib with IFN-beta 100 pM, "
              "pSTAT1_total AUC 0-240 min; excess over Bliss independence)", "",
              grid.pivot(index="ruxolitinib_nM", columns="tofacitinib_nM",
                         values="bliss_excess").round(3).to_markdown(), ""]
    atomic_write(out / "README.md", "\n".join(report))
    say(f"  tables and plots: {out / 'scenarios'}, {out / 'dose_responses'}, "
        f"{out / 'schedules'}, {out / 'combinations'}")
    say(f"  summary: {out / 'README.md'}")
    return {"networks": networks, "scenarios": scen, "dose_responses": dr, "schedule": sched,
            "combination": grid}
