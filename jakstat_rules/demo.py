"""The main job (``make demo`` / ``jakstat demo``).

Builds the model, generates the network, exports the SBML, simulates the
standard scenarios and dose responses, and writes tables (CSV), plots (PNG)
and a summary (Markdown) to a results folder.
"""
from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from .conditions import CONDITIONS, DOSE_RESPONSES, DOSE_SERIES, time_grid
from .figures import doses_label, input_name, readout_name
from .interface import VARIANTS, model_id
from .io import atomic_write, check_output_dir, write_table
from .model import build_model
from .artifacts import model_sbml
from .network import generate_network
from .plots import dose_summary, plot_dose_response, plot_time_course
from .simulate import get_simulator


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

    report = ["# jakstat demo results", "", "## Networks", "", networks.to_markdown(index=False), "",
              "## Standard scenarios (pSTAT1_total, molecules per cell)", "",
              scen.drop(columns=["inputs"]).to_markdown(index=False), "",
              "## Dose responses (peak pSTAT1_total over 0-240 min)", "", dr.to_markdown(index=False), ""]
    atomic_write(out / "README.md", "\n".join(report))
    say(f"  tables and plots: {out / 'scenarios'}, {out / 'dose_responses'}")
    say(f"  summary: {out / 'README.md'}")
    return {"networks": networks, "scenarios": scen, "dose_responses": dr}
