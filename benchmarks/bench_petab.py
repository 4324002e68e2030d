"""Benchmark: ``jakstat calibrate`` vs pyPESTO + AMICI on PEtab problems, same start points.

For every problem of ``../shared/petab_benchmarks`` (main YAML
``<Name>/<Name>.yaml``; Bertozzi: ``problem.yaml``; read in place) and for the
Kirby problem (``jakstat data petab --out DIR``, then ``DIR/train/problem.yaml``),
one run on one machine does:

1. **ours**: ``jakstat calibrate PROBLEM --starts N --seed S --out DIR
   --no-progress [--ours-args ...]`` in a subprocess (flags given with
   ``--ours-args`` are checked against ``jakstat calibrate --help`` first),
   with ``--max-time`` 0.9 x ``--timeout-per-problem`` unless ``--ours-args``
   sets it, so the run ends by itself within the budget with its best start
   polished (the tenth left covers starting Python and writing the
   outputs); a run still going at the budget is killed;
2. **theirs**: pyPESTO (``PetabImporter``, AMICI model compiled once into
   ``OUT/amici_models/<model>_<content hash>``, forward sensitivities, AMICI's
   default tolerances) with ``pypesto.optimize.FidesOptimizer()`` (and
   optionally ``ScipyOptimizer(method="L-BFGS-B")``), in a subprocess, from
   **the same start points**: the ``x0`` of each of our starts
   (``optimize_result.tsv``, PEtab scale, the point our optimiser really
   started from, after any redraw).  Parameters that we solve in closed form
   (scales, offsets, noise SDs) have no ``x0`` there; pyPESTO gets their
   closed-form value at our ``x0`` (the point in the full parameter space
   our start effectively starts from; ``--fill uniform`` draws them
   uniformly in their bounds instead).  Parameters pyPESTO estimates that
   our run does not (none, normally) start at their nominal value.

Reported per problem (and peer optimiser): starts, wall time per start (ours:
``wall_time_s`` of the calibrate command, problem loading and compilation
included; theirs: the ``minimize`` calls plus creating the objective from the
compiled model; AMICI's one-off model compilation is reported separately),
best NLL of each, the fraction of starts ending within 0.1 of the best-known
value (the shared README's -LLH, plus the priors' negative log-density at the
nominal parameters where the problem has objective priors: both tools fit the
posterior; for Kirby the best value of all runs; a start
below the best-known value counts as reaching it), converged starts per
minute, and the ratio ours/theirs of converged starts per minute; and what
the starts cost in evaluations: the points at which the optimiser evaluated
the objective (ours: scipy's ``nfev`` of ``trf``, Fides' iterations + 1, as
the end of each start's message records them; theirs: pyPESTO's ``n_fval``,
each a simulation with forward sensitivities) and our simulations of the
model (difference quotients included), per start and per converged start
(all evaluations of the finished starts over the converged ones).

Results: ``OUT/bench_petab.md`` (Markdown table with the command), ``.tsv``
and ``.json``; per problem ``OUT/problems/<Name>.json`` (written atomically;
a re-run with the same settings skips finished problems), the raw runs under
``OUT/runs/<Name>/``.  Progress lines go to stderr.

Usage::

    .venv/bin/python benchmarks/bench_petab.py [--problems NAME ...] [--starts 20]
        [--seed 1] [--out results/bench_petab] [--ours-args "--optimizer trf"]
        [--peers fides,lbfgsb] [--timeout-per-problem SECONDS]
        [--skip-ours] [--skip-pypesto] [--fill inner|uniform]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from helpers import (say, load_avg, write_text_atomic, write_json_atomic, read_json, num, short_hash, run_killable, tail, jakstat_argv, tool_env)  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = (ROOT / ".." / "shared" / "petab_benchmarks").resolve()
KIRBY = "Kirby"
#: Best-known negative log-likelihood (the shared README's -LLH column and text).
BEST_KNOWN = {
    "Bertozzi_PNAS2020": 158.864,
    "Blasi_CellSystems2016": -642.827,
    "Borghans_BiophysChem1997": -83.3237191357272,
    "Brannmark_JBC2010": 141.889113770537,
    "Bruno_JExpBot2016": -46.688176988431806,
    "Crauste_CellSystems2017": 190.96521897435176,
    "Fiedler_BMCSystBiol2016": -58.58390161681,
    "Fujita_SciSignal2010": -53.08377736998929,
    "Isensee_JCB2018": 3949.375966548649,
    "Lucarelli_CellSystems2018": 1681.6059879426584,
    "Schwen_PONE2014": 943.9992988598723,
    "Sneyd_PNAS2002": -319.79177818768756,
    "Weber_BMC2015": 296.2017922646865,
    "Zheng_PNAS2012": -278.33353271001477,
}
#: Largest accepted difference between our data NLL at the nominal parameters and BEST_KNOWN.
NOMINAL_AGREEMENT = 1e-3
#: Share of --timeout-per-problem given to ``jakstat calibrate --max-time``.
MAX_TIME_SHARE = 0.9
#: A start has converged when its NLL is at most the best-known value plus this.
TOL = 0.1
PEERS = {"fides": "pyPESTO+AMICI Fides", "lbfgsb": "pyPESTO+AMICI L-BFGS-B"}
SCHEMA = 1


# ----------------------------------------------------------------------------- problems
def collection_problems() -> dict[str, Path]:
    out = {}
    if SHARED.is_dir():
        for d in sorted(SHARED.iterdir()):
            if not d.is_dir():
                continue
            for cand in (d / f"{d.name}.yaml", d / "problem.yaml"):
                if cand.is_file():
                    out[d.name] = cand
                    break
    return out


def kirby_problem(out: Path) -> Path:
    """``jakstat data petab --petab-version 1 --out OUT/kirby_petab`` (once), its train problem.

    PEtab v1, so that pyPESTO + AMICI (which read v1 only) can read the same problem."""
    folder = out / "kirby_petab"
    yaml = folder / "train" / "problem.yaml"
    if not yaml.is_file():
        say("writing the Kirby PEtab problem (jakstat data petab)")
        rc, _ = run_killable(jakstat_argv() + ["data", "petab", "--petab-version", "1",
                                              "--out", str(folder)], 600,
                             out / "logs" / "kirby_petab.log", env=tool_env(), cwd=ROOT)
        if rc != 0 or not yaml.is_file():
            raise RuntimeError(f"jakstat data petab failed (exit {rc}): "
                               f"{tail(out / 'logs' / 'kirby_petab.log')}")
    return yaml


def objective_reference(name: str, yaml: Path) -> tuple[float | None, float]:
    """The best-known value in the objective ``jakstat calibrate`` minimises, and its prior part.

    The collection lists the data's negative log-likelihood at the nominal
    parameters (BEST_KNOWN).  A problem with objective priors (Schwen,
    Isensee) is fitted on the negative log-posterior, the data's NLL plus the
    priors' negative log-density, so the best-known value of that objective
    is the listed value plus the prior term at the nominal parameters:
    ``jakstat calibrate --evaluate-nominal --json``, whose data NLL must agree
    with the listed value (else the problem is not read as the collection
    meant, and the listed value alone is returned with a warning).
    """
    known = BEST_KNOWN.get(name)
    if known is None:
        return None, 0.0
    proc = subprocess.run(jakstat_argv() + ["calibrate", str(yaml), "--evaluate-nominal",
                                            "--json"], capture_output=True, text=True,
                          env=tool_env(), cwd=ROOT)
    try:
        nominal = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        say(f"{name}: --evaluate-nominal failed (exit {proc.returncode}); best-known value "
            f"{known} without a prior term")
        return known, 0.0
    if abs(nominal["data_nll"] - known) > NOMINAL_AGREEMENT * max(1.0, abs(known)):
        say(f"{name}: our data NLL at the nominal parameters is {nominal['data_nll']}, the "
            f"collection's {known}; best-known value {known} without a prior term")
        return known, 0.0
    prior = float(nominal["neg_log_prior"])
    return known + prior, prior


def calibrate_help() -> str:
    proc = subprocess.run(jakstat_argv() + ["calibrate", "--help"], capture_output=True,
                          text=True, env=tool_env(), cwd=ROOT)
    return proc.stdout


def check_ours_args(extra: list[str], help_text: str) -> None:
    """Every ``--flag`` of ``--ours-args`` must be one ``jakstat calibrate --help`` lists."""
    known = set(re.findall(r"(--[a-z][a-z0-9-]*)", help_text))
    unknown = [a.split("=", 1)[0] for a in extra
               if a.startswith("--") and a.split("=", 1)[0] not in known]
    if unknown:
        raise SystemExit(f"bench_petab: --ours-args {' '.join(unknown)}: not an option of "
                         f"this checkout's 'jakstat calibrate' (it has: "
                         f"{' '.join(sorted(known))})")
    for reserved in ("--starts", "--seed", "--out", "--no-progress"):
        if reserved in [a.split("=", 1)[0] for a in extra]:
            raise SystemExit(f"bench_petab: --ours-args must not set {reserved} (the "
                             f"benchmark sets it)")


# ----------------------------------------------------------------------------- ours
def run_ours(name: str, yaml: Path, rundir: Path, args: argparse.Namespace,
             extra: list[str]) -> dict:
    settings = {"starts": args.starts, "seed": args.seed, "ours_args": extra,
                "timeout": args.timeout_per_problem}
    tag = short_hash(settings)
    record_path = rundir / f"ours-{tag}.json"
    rec = read_json(record_path)
    if isinstance(rec, dict) and rec.get("settings") == settings:
        say(f"{name}: ours already done ({rec.get('status')})")
        return rec
    out = rundir / f"ours-{tag}"
    argv = jakstat_argv() + ["calibrate", str(yaml), "--starts", str(args.starts), "--seed",
                             str(args.seed), "--out", str(out), "--no-progress"] + extra
    warm = warm_up_ours(name, yaml, rundir, args, extra)
    say(f"{name}: ours: {shlex.join(argv[-(8 + len(extra)):])} (load {load_avg():.1f})")
    load0, state = load_avg(), code_state()
    rc, wall = run_killable(argv, args.timeout_per_problem, rundir / "ours.log",
                            env=tool_env(), cwd=ROOT)
    rec = {"tool": "ours", "settings": settings, "command": shlex.join(argv), "exit": rc,
           "code_state": state, "warm_up": warm,
           "process_wall_s": wall, "out": str(out), "load_before": load0,
           "load_after": load_avg()}
    rec.update(read_ours_results(out))
    if rc is None:
        rec["status"] = f"timeout after {wall:.0f} s ({rec.get('n_finished', 0)} of " \
                        f"{args.starts} starts finished)"
    elif rc != 0:
        rec["status"] = f"failed (exit {rc}): {tail(rundir / 'ours.log')}"
    else:
        rec["status"] = "ok"
    write_json_atomic(record_path, rec)
    say(f"{name}: ours {rec['status']}; best {rec.get('best_fval')}, "
        f"{rec.get('n_finished', 0)} starts in {rec.get('wall_s', wall):.0f} s")
    return rec


def warm_up_ours(name: str, yaml: Path, rundir: Path, args: argparse.Namespace,
                 extra: list[str]) -> dict:
    """One start of at most one evaluation, untimed: fills our model caches.

    Our calibrator compiles its models (libroadrunner, AMICI for exact
    gradients) on first use and caches them by content; the timed run then
    starts warm, as pyPESTO's does (its AMICI compilation is not timed either).
    """
    import shutil

    keep = []
    skip = False
    for a in extra:  # the same engine and optimiser, but one evaluation
        if skip:
            skip = False
            continue
        if a == "--max-evaluations":
            skip = True
            continue
        if not a.startswith("--max-evaluations="):
            keep.append(a)
    folder = rundir / "warm-up"
    shutil.rmtree(folder, ignore_errors=True)
    argv = jakstat_argv() + ["calibrate", str(yaml), "--starts", "1", "--seed",
                             str(args.seed), "--out", str(folder), "--no-progress",
                             "--max-evaluations", "1"] + keep
    say(f"{name}: ours: warm-up (model compilation, untimed)")
    rc, wall = run_killable(argv, args.compile_timeout, rundir / "ours-warm-up.log",
                            env=tool_env(), cwd=ROOT)
    shutil.rmtree(folder, ignore_errors=True)
    return {"exit": rc, "wall_s": wall}


def read_ours_results(out: Path) -> dict:
    """Starts of our fit folder: fval, x0 (over x_names, None for closed-form), time."""
    summary = read_json(out / "summary.json")
    res: dict[str, Any] = {"starts": [], "x_names": [], "x_scales": []}
    if not isinstance(summary, dict):
        return res
    res["x_names"] = list(summary.get("x_names") or [])
    res["x_scales"] = list(summary.get("x_scales") or [])
    res["analytic_parameters"] = list(summary.get("analytic_parameters") or [])
    res["wall_s"] = num(summary.get("wall_time_s"))
    res["best_fval"] = num(summary.get("best_fval"))
    res["n_finished"] = int(summary.get("n_finished") or 0)
    res["n_redraws"] = summary.get("n_redraws")
    res["optimizer"] = summary.get("optimizer")
    table = out / "optimize_result.tsv"
    if table.is_file():
        import pandas as pd

        df = pd.read_csv(table, sep="\t", dtype=str, keep_default_na=False)
        for row in df.to_dict("records"):
            x0 = json.loads(row["x0"]) if row.get("x0") else None
            res["starts"].append({
                "id": int(row["id"]), "fval": num(row["fval"]), "x0": x0,
                "time": num(row.get("time")), "n_fval": row.get("n_fval"),
                "status": row.get("status", ""), "n_redraws": row.get("n_redraws"),
                **evaluation_counts(row.get("message") or ""),
                "message": (row.get("message") or "")[:200]})
        res["starts"].sort(key=lambda s: s["id"])
    return res


EVALUATIONS = re.compile(r"\[evaluations: (\d+) simulations, (\d+) values, (\d+) derivatives\]")


def evaluation_counts(message: str) -> dict:
    """What one of our starts cost, from the end of its optimiser message.

    ``n_sim``: simulations of the model (every objective evaluation, the
    difference quotients of derivatives included; an exact derivative, one
    forward-sensitivity solve, counts as one); ``n_values``: points at which
    the optimiser asked for the objective (scipy's ``nfev`` of ``trf``, the
    iterations + 1 of Fides), as pyPESTO's ``n_fval``; ``n_derivatives``:
    points at which it asked for a Jacobian or gradient.  Empty when the
    message has no counts (runs of older code).
    """
    m = EVALUATIONS.search(message)
    if not m:
        return {}
    return {"n_sim": int(m.group(1)), "n_values": int(m.group(2)),
            "n_derivatives": int(m.group(3))}


# ----------------------------------------------------------------------------- theirs
def run_pypesto(name: str, yaml: Path, rundir: Path, out: Path, peer: str,
                ours: dict | None, args: argparse.Namespace) -> dict:
    """pyPESTO + AMICI in a worker subprocess (resumable per start)."""
    starts = []
    if ours and ours.get("starts"):
        for s in ours["starts"]:
            if s.get("x0") is not None:
                starts.append({"id": s["id"], "x0": s["x0"]})
    spec = {"problem": str(yaml), "peer": peer, "x_names": (ours or {}).get("x_names", []),
            "starts": starts, "n_starts": args.starts, "seed": args.seed, "fill": args.fill,
            "timeout": args.timeout_per_problem, "ours_dir": (ours or {}).get("out"), "ours_args": (ours or {}).get(
                "settings", {}).get("ours_args")}
    settings = {"spec": short_hash(spec, 16), "timeout": args.timeout_per_problem}
    tag = short_hash(settings)
    record_path = rundir / f"{peer}-{tag}.json"
    rec = read_json(record_path)
    if isinstance(rec, dict) and rec.get("settings") == settings and rec.get("final"):
        say(f"{name}: {peer} already done ({rec.get('status')})")
        return rec
    spec_path = rundir / f"{peer}-{tag}.spec.json"
    write_json_atomic(spec_path, {"spec": spec, "settings": settings})
    amici_dir = args.amici_cache or (out / "amici_models")
    argv = [sys.executable, str(Path(__file__).resolve()), "--pypesto-worker", str(spec_path),
            str(record_path), str(amici_dir)]
    say(f"{name}: pyPESTO {PEERS[peer]}, {len(starts) or args.starts} starts "
        f"({'ours' if starts else 'pyPESTO uniform'} start points) (load {load_avg():.1f})")
    load0 = load_avg()
    timeout = None
    if args.timeout_per_problem:
        timeout = args.timeout_per_problem + args.compile_timeout
    rc, wall = run_killable(argv, timeout, rundir / f"{peer}.log", env=tool_env(), cwd=ROOT)
    rec = read_json(record_path)
    if not isinstance(rec, dict) or rec.get("settings") != settings:
        rec = {"settings": settings, "starts": []}
    rec.update({"tool": peer, "exit": rc, "process_wall_s": wall, "load_before": load0,
                "load_after": load_avg(), "final": True})
    if rc is None:
        rec["status"] = f"timeout after {wall:.0f} s ({len(rec.get('starts', []))} starts " \
                        f"finished)"
    elif rc != 0 or rec.get("error"):
        rec["status"] = (rec.get("error") or f"failed (exit {rc})") + \
            ("" if rec.get("error") else f": {tail(rundir / f'{peer}.log')}")
    else:
        rec["status"] = rec.get("status", "ok")
    write_json_atomic(record_path, rec)
    fv = [num(s["fval"]) for s in rec.get("starts", [])]
    best = min((f for f in fv if math.isfinite(f)), default=math.inf)
    say(f"{name}: {peer} {rec['status']}; best {best:.6g}, {len(fv)} starts")
    return rec


def pypesto_worker(spec_path: str, record_path: str, amici_dir: str) -> int:
    """The subprocess: import, compile (cached), optimise start by start."""
    import logging
    import warnings

    warnings.simplefilter("ignore")
    logging.basicConfig(level=logging.WARNING)
    for lg in ("amici", "pypesto", "petab", "fides", "sympy", "jakstat_rules"):
        logging.getLogger(lg).setLevel(logging.WARNING)
    both = json.loads(Path(spec_path).read_text())
    spec, settings = both["spec"], both["settings"]
    rpath = Path(record_path)
    old = read_json(rpath)
    rec: dict[str, Any] = {"settings": settings, "starts": []}
    if isinstance(old, dict) and old.get("settings") == settings:
        rec = old  # resume: starts finished by an interrupted worker are kept
        rec["final"] = False
        rec.pop("error", None)
    done = {s["id"] for s in rec["starts"]}

    def save() -> None:
        write_json_atomic(rpath, rec)

    import numpy as np

    try:
        t0 = time.perf_counter()
        import amici  # noqa: F401
        import petab.v1 as petab
        import pypesto
        import pypesto.optimize as optimize
        import pypesto.petab

        try:
            amici.set_log_level(logging.WARNING)  # type: ignore[attr-defined]
        except Exception:
            pass
        for lg in list(logging.root.manager.loggerDict):
            if lg.startswith(("amici", "pypesto", "petab", "fides")):
                logging.getLogger(lg).setLevel(logging.WARNING)
        rec["versions"] = {"pypesto": pypesto.__version__, "amici": amici.__version__}
        yaml = Path(spec["problem"])
        pp = petab.Problem.from_yaml(str(yaml))
        # model cache keyed by the content of the files the model import reads
        files = [yaml]
        yml = read_yaml(yaml)
        for prob in yml.get("problems", []):
            for key in ("sbml_files", "model_files", "condition_files", "observable_files"):
                val = prob.get(key) or []
                if isinstance(val, dict):
                    val = [v.get("location", "") for v in val.values()]
                files += [yaml.parent / f for f in val]
        for key in ("parameter_file",):
            val = yml.get(key)
            files += [yaml.parent / f for f in ([val] if isinstance(val, str) else val or [])]
        h = hashlib.sha256()
        for f in files:
            h.update(Path(f).read_bytes() if Path(f).is_file() else str(f).encode())
        h.update(amici.__version__.encode())
        base = re.sub(r"\W", "_", yaml.parent.name if yaml.stem == "problem" and
                      yaml.parent.name != "train" else yaml.stem)
        if yaml.parent.name == "train":
            base = "Kirby_train"
        model_name = f"m_{base}_{h.hexdigest()[:10]}"
        folder = Path(amici_dir) / model_name
        importer = pypesto.petab.PetabImporter(pp, output_folder=str(folder),
                                               model_name=model_name)
        compiled_before = (folder.is_dir() and any(folder.iterdir()))
        tc = time.perf_counter()
        model = importer.create_model(verbose=False)
        rec["compile_s"] = 0.0 if compiled_before else time.perf_counter() - tc
        rec["model_load_s"] = time.perf_counter() - tc if compiled_before else None
        rec["import_s"] = time.perf_counter() - t0
        save()
        ts = time.perf_counter()
        from amici.sim.sundials import SensitivityMethod

        solver = model.create_solver()
        solver.set_sensitivity_method(SensitivityMethod.forward)
        objective = importer.create_objective(model=model, solver=solver)
        problem = importer.create_problem(objective=objective)
        rec["setup_s"] = rec.get("setup_s", 0.0) + (time.perf_counter() - ts)
        x_ids = list(problem.x_names)
        lb_full, ub_full = np.asarray(problem.lb_full, float), np.asarray(problem.ub_full, float)
        nominal = np.asarray(pp.x_nominal_scaled, float)
        rec["x_names"] = x_ids
        # start points
        starts = spec["starts"]
        fill_info: dict[str, Any] = {"filled": [], "method": spec["fill"],
                                     "not_in_ours": []}
        inner = None
        if not starts and spec["fill"] == "inner":
            # ours finished no start (timeout): its design points, from our library
            try:
                inner = InnerFill(spec["ours_dir"], yaml)
                spec["x_names"] = list(inner.ob.cp.estimated_ids)
                starts = inner.design(int(spec["n_starts"]), int(spec["seed"]))
                fill_info["design"] = "ours (design of a new jakstat run, no start finished)"
            except Exception as exc:  # noqa: BLE001 -- pyPESTO's own points then
                fill_info["design_error"] = f"{type(exc).__name__}: {exc}"[:300]
                starts = []
        guesses: list[tuple[int, np.ndarray]] = []
        if starts:
            names = spec["x_names"]
            pos = {n: i for i, n in enumerate(names)}
            fill_info["not_in_ours"] = [n for i, n in enumerate(x_ids)
                                        if i not in problem.x_fixed_indices and n not in pos]
            for s in starts:
                x0 = np.array([np.nan if v is None else float(v) for v in s["x0"]])
                full = nominal.copy()
                missing = []
                for i, n in enumerate(x_ids):
                    if n in pos:
                        v = x0[pos[n]]
                        if math.isfinite(v):
                            full[i] = v
                        else:
                            missing.append(i)
                if missing:
                    vals = None
                    if spec["fill"] == "inner":
                        try:
                            if inner is None:
                                inner = InnerFill(spec["ours_dir"], yaml)
                            vals = inner.values(x0, names, [x_ids[i] for i in missing])
                        except Exception as exc:  # noqa: BLE001 -- fall back, recorded
                            fill_info["error"] = f"{type(exc).__name__}: {exc}"[:300]
                            spec["fill"] = "uniform"
                    if vals is None:
                        rng = np.random.default_rng([int(spec["seed"]), int(s["id"])])
                        vals = rng.uniform(lb_full[missing], ub_full[missing])
                    full[missing] = np.clip(vals, lb_full[missing], ub_full[missing])
                    fill_info["filled"] = sorted({x_ids[i] for i in missing}
                                                 | set(fill_info["filled"]))
                guesses.append((int(s["id"]), full))
            fill_info["method_used"] = (spec["fill"] if "design" not in fill_info else
                                        "our design points (ours finished none)")
        else:
            from pypesto.startpoint import UniformStartpoints

            np.random.seed(int(spec["seed"]))
            pts = UniformStartpoints()(n_starts=int(spec["n_starts"]), problem=problem)
            for i, p in enumerate(pts):
                full = nominal.copy()
                full[problem.x_free_indices] = p
                guesses.append((i, full))
            fill_info["method_used"] = "pyPESTO UniformStartpoints (no start points of ours)"
        rec["start_points"] = fill_info
        if spec["peer"] == "fides":
            optimizer = optimize.FidesOptimizer(verbose=logging.WARNING)
        else:
            optimizer = optimize.ScipyOptimizer(method="L-BFGS-B")
        rec["optimizer"] = str(type(optimizer).__name__) + (
            "" if spec["peer"] == "fides" else "(L-BFGS-B)")
        save()
        if spec.get("timeout"):
            # the optimisation (not the compilation) gets the time limit ours gets
            def on_alarm(signum, frame):  # noqa: ARG001
                raise _OutOfTime()
            signal.signal(signal.SIGALRM, on_alarm)
            signal.alarm(max(int(spec["timeout"]), 1))
        for sid, full in guesses:
            if sid in done:
                continue
            problem.set_x_guesses(full[None, :])
            t1 = time.perf_counter()
            try:
                result = optimize.minimize(problem, optimizer=optimizer, n_starts=1,
                                           ids=[str(sid)], progress_bar=False)
                r = result.optimize_result.list[0]
                entry = {"id": sid, "fval": num(r.fval), "fval0": num(r.fval0),
                         "n_fval": int(r.n_fval or 0), "n_grad": int(r.n_grad or 0),
                         "time": float(r.time or 0.0), "exitflag": r.exitflag,
                         "message": str(r.message)[:200],
                         "x0": [float(v) for v in full], "x": None if r.x is None
                         else [float(v) for v in r.x]}
            except _OutOfTime:
                signal.alarm(0)
                rec["status"] = (f"timeout after {spec['timeout']:.0f} s of optimisation "
                                 f"({len(rec['starts'])} starts finished)")
                save()
                return 0
            except Exception as exc:  # noqa: BLE001 -- recorded per start
                entry = {"id": sid, "fval": math.inf, "message": f"{type(exc).__name__}: "
                         f"{exc}"[:300], "x0": [float(v) for v in full]}
            entry["wall"] = time.perf_counter() - t1
            rec["starts"].append(entry)
            save()
            print(f"start {sid}: fval {entry['fval']:.6g} in {entry['wall']:.1f} s",
                  flush=True)
        signal.alarm(0)
        rec["status"] = "ok"
        save()
        return 0
    except _OutOfTime:
        rec["status"] = (f"timeout after {spec['timeout']:.0f} s of optimisation "
                         f"({len(rec['starts'])} starts finished)")
        save()
        return 0
    except Exception as exc:  # noqa: BLE001 -- a problem pyPESTO/AMICI cannot handle
        import traceback

        traceback.print_exc()
        rec["error"] = f"failed: {type(exc).__name__}: {exc}"[:500]
        save()
        return 1


class _OutOfTime(BaseException):
    """The worker's optimisation time is up (SIGALRM)."""


def read_yaml(path: Path) -> dict:
    import yaml

    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


class InnerFill:
    """Closed-form parameters of our objective at our start point (PEtab scale)."""

    def __init__(self, ours_dir: str | None, yaml: Path) -> None:
        from jakstat_rules.calibrate.compiled import get_compiled
        from jakstat_rules.calibrate.objective import Objective
        from jakstat_rules.petab_io import ProblemPayload, load_problem

        settings = {}
        summary = read_json(Path(ours_dir) / "summary.json") if ours_dir else None
        if isinstance(summary, dict):
            settings = summary.get("settings") or {}
        payload = ProblemPayload.from_problem(load_problem(yaml))
        kw = {k: settings[k] for k in ("rtol", "atol") if k in settings}
        cp = get_compiled(payload, *(kw[k] for k in ("rtol", "atol") if k in kw))
        self.ob = Objective(cp, analytic=bool(settings.get("analytic_scaling", True)))
        self.scales = dict(zip(cp.estimated_ids, cp.parameters.scales))

    def design(self, n: int, seed: int) -> list[dict]:
        """Our design points (free parameters) as x0 over all estimated ids (NaN: closed form)."""
        from jakstat_rules.calibrate.multistart import starting_points

        ids = list(self.ob.cp.estimated_ids)
        pts = starting_points(self.ob.lb, self.ob.ub, n, seed)
        out = []
        for i, p in enumerate(pts):
            x0 = [None] * len(ids)
            for pid, v in zip(self.ob.free_ids, p):
                x0[ids.index(pid)] = float(v)
            out.append({"id": i, "x0": x0})
        return out

    def values(self, x0_all: Any, names: list[str], wanted: list[str]):
        import numpy as np

        from jakstat_rules.calibrate.mapping import scale

        pos = {n: i for i, n in enumerate(names)}
        x_free = np.array([x0_all[pos[i]] for i in self.ob.free_ids], float)
        params = self.ob.full_parameters(x_free)
        return np.array([float(scale([params[w]], [self.scales[w]])[0]) for w in wanted])


# ----------------------------------------------------------------------------- summary
def summarise(name: str, ours: dict | None, peers: dict[str, dict], ref: float | None,
              args: argparse.Namespace) -> list[dict]:
    """Table rows of one problem (one per peer optimiser, or one if none ran)."""
    def stats(fvals: list[float], wall: float | None) -> dict:
        fin = [f for f in fvals if math.isfinite(f)]
        n = len(fvals)
        conv = sum(f <= ref + TOL for f in fin) if ref is not None else None
        out = {"n": n, "failed": n - len(fin), "best": min(fin, default=math.inf),
               "wall_s": wall, "per_start_s": (wall / n) if (wall and n) else None,
               "conv": conv, "frac": (conv / n) if (conv is not None and n) else None}
        out["conv_per_min"] = (conv / (wall / 60)) if (conv is not None and wall) else None
        return out

    def evaluations(out: dict, starts: list[dict], values: str, sims: str) -> None:
        """Mean evaluations per start, and all evaluations over converged starts.

        A failed start without a count (no point could be evaluated) counts 0;
        a finished one without a count (older code) leaves the numbers out."""
        for key, field in (("evals", values), ("sims", sims)):
            counts = [0 if s.get(field) in (None, "") and not math.isfinite(num(s["fval"]))
                      else s.get(field) for s in starts]
            if not counts or any(c in (None, "") for c in counts):
                out[f"{key}_per_start"] = out[f"{key}_per_conv"] = None
                continue
            total = sum(int(c) for c in counts)
            out[f"{key}_per_start"] = total / len(counts)
            conv = out.get("conv")
            out[f"{key}_per_conv"] = (None if conv is None else total / conv if conv
                                      else math.inf)

    o = None
    if ours is not None:
        fv = [num(s["fval"]) for s in ours.get("starts", [])]
        o = stats(fv, ours.get("wall_s") if fv else None)
        o["status"] = ours.get("status")
        o["code_state"] = ours.get("code_state")
        o["warm_up"] = ours.get("warm_up")
        o["load"] = [ours.get("load_before"), ours.get("load_after")]
        evaluations(o, ours.get("starts", []), "n_values", "n_sim")
    rows = []
    for peer, rec in (peers.items() or [(None, None)]):
        row: dict[str, Any] = {"problem": name, "best_known": ref, "ours": o, "peer": peer}
        if rec is not None:
            fv = [num(s["fval"]) for s in rec.get("starts", [])]
            wall = sum(num(s.get("wall", s.get("time"))) for s in rec.get("starts", []))
            wall = (wall + num(rec.get("setup_s") or 0.0)) if fv else None
            t = stats(fv, wall)
            t["status"] = rec.get("status")
            t["load"] = [rec.get("load_before"), rec.get("load_after")]
            t["compile_s"] = rec.get("compile_s")
            t["start_points"] = (rec.get("start_points") or {}).get("method_used")
            # pyPESTO + AMICI: each objective call is one simulation with forward
            # sensitivities, so its values and its simulations are both n_fval
            evaluations(t, rec.get("starts", []), "n_fval", "n_fval")
            row["theirs"] = t
        else:
            row["theirs"] = None
        a = (o or {}).get("conv_per_min")
        b = (row["theirs"] or {}).get("conv_per_min")
        if a is None or b is None:
            row["ratio"] = None
        elif b > 0:
            row["ratio"] = a / b
        else:
            row["ratio"] = math.inf if a > 0 else None
        a = (o or {}).get("evals_per_conv")
        b = (row["theirs"] or {}).get("evals_per_conv")
        row["evals_ratio"] = (a / b if a is not None and b is not None and math.isfinite(a)
                              and math.isfinite(b) and b > 0 else None)
        rows.append(row)
    return rows


def fmt(v: Any, spec: str = ".3g", none: str = "–") -> str:
    if v is None:
        return none
    if isinstance(v, float):
        if math.isnan(v):
            return none
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
    return format(v, spec)


def note_of(row: dict) -> str:
    notes = []
    for k, v in (row.get("settings_differ") or {}).items():
        notes.append(f"run with {k} {v}")
    for who, key in (("ours", "ours"), ("theirs", "theirs")):
        d = row.get(key)
        if d is None:
            continue
        st = d.get("status") or ""
        if st and st != "ok":
            notes.append(f"{who}: {st}")
        if d.get("failed"):
            notes.append(f"{who}: {d['failed']} start(s) non-finite")
    if row.get("prior_at_nominal"):
        notes.append(f"best known = the collection's -LLH {BEST_KNOWN[row['problem']]:.6g} "
                     f"+ the priors' {row['prior_at_nominal']:.4g} at the nominal parameters "
                     "(both tools fit the posterior)")
    ref = row.get("best_known")
    for who, key in (("ours", "ours"), ("theirs", "theirs")):
        d = row.get(key)
        if d and ref is not None and math.isfinite(d["best"]) and d["best"] < ref - TOL:
            notes.append(f"{who} below best-known by {ref - d['best']:.3g}")
    t = row.get("theirs")
    if t and t.get("start_points") not in (None, "inner", "uniform"):
        notes.append(f"theirs from {t['start_points']}")
    if t and t.get("compile_s"):
        notes.append(f"AMICI compile {t['compile_s']:.0f} s")
    w = (row.get("ours") or {}).get("warm_up") or {}
    if w.get("wall_s") and w["wall_s"] > 30:
        notes.append(f"ours warm-up {w['wall_s']:.0f} s")
    return "; ".join(notes)


HEADER = ["problem", "peer", "starts (ours/theirs)", "s/start ours", "s/start theirs",
          "best NLL ours", "best NLL theirs", "best known", "conv. ours", "conv. theirs",
          "conv/min ours", "conv/min theirs", "ratio ours/theirs",
          "evals/start ours (sims)", "evals/start theirs", "evals/conv. ours (sims)",
          "evals/conv. theirs", "evals/conv. ours/theirs", "note"]


def table_cells(row: dict) -> list[str]:
    o, t = row.get("ours") or {}, row.get("theirs") or {}
    def frac(d: dict) -> str:
        if not d or d.get("n") in (None, 0) or d.get("conv") is None:
            return "–"
        return f"{d['conv']}/{d['n']}"
    return [row["problem"], PEERS.get(row.get("peer"), "–") if row.get("peer") else "–",
            f"{o.get('n', '–')}/{t.get('n', '–')}",
            fmt(o.get("per_start_s"), ".1f"), fmt(t.get("per_start_s"), ".1f"),
            fmt(o.get("best"), ".6g"), fmt(t.get("best"), ".6g"),
            fmt(row.get("best_known"), ".6g"), frac(o), frac(t),
            fmt(o.get("conv_per_min"), ".3g"), fmt(t.get("conv_per_min"), ".3g"),
            fmt(row.get("ratio"), ".3g"),
            with_sims(o.get("evals_per_start"), o.get("sims_per_start")),
            fmt(t.get("evals_per_start"), ".0f"),
            with_sims(o.get("evals_per_conv"), o.get("sims_per_conv")),
            fmt(t.get("evals_per_conv"), ".0f"), fmt(row.get("evals_ratio"), ".2f"),
            note_of(row)]


def with_sims(evals: float | None, sims: float | None) -> str:
    """``evaluations (simulations)``: points the optimiser evaluated, model simulations."""
    if evals is None:
        return "–"
    return fmt(evals, ".0f") + ("" if sims is None else f" ({fmt(sims, '.0f')})")


def markdown(rows: list[dict], command: str, meta: dict) -> str:
    lines = [f"Command: `{command}`", "",
             f"Run {meta['started']} – {meta['finished']} on {meta['host']} "
             f"({meta['cpus']} CPUs, load average {meta['load_start']:.1f} at the start, "
             f"{meta['load_end']:.1f} at the end); pyPESTO {meta.get('pypesto')}, "
             f"AMICI {meta.get('amici')}; ours: `jakstat calibrate` at commit "
             f"{meta.get('commit')}{' (+ uncommitted changes)' if meta.get('dirty') else ''}.",
             "",
             f"conv. = starts ending at most {TOL} above the best-known NLL (or below it); "
             f"conv/min = converged starts per minute of wall time (ours: the whole "
             f"calibrate command; theirs: objective set-up + optimisation, AMICI's one-off "
             f"compilation excluded and given in the note); same start points for both. "
             f"evals = points at which the optimiser evaluated the objective (ours: "
             f"scipy's nfev of trf, Fides' iterations + 1; theirs: pyPESTO's n_fval, each "
             f"with forward sensitivities); sims = our simulations of the model, the "
             f"difference quotients of derivatives included; evals/start: mean over the "
             f"finished starts; evals/conv.: evaluations of all finished starts per "
             f"converged start (inf: none converged).", "",
             "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    states = sorted({(r.get("ours") or {}).get("code_state") or "?" for r in rows})
    if len(states) > 1:
        lines[2] += (f" The calibrator's code changed during the run ({len(states)} states "
                     f"of jakstat_rules: {', '.join(states)}; per problem in the JSON).")
    for r in rows:
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in table_cells(r)) + " |")
    return "\n".join(lines) + "\n"


def tsv(rows: list[dict]) -> str:
    cols = HEADER
    out = ["\t".join(cols)]
    for r in rows:
        out.append("\t".join(c.replace("\t", " ") for c in table_cells(r)))
    return "\n".join(out) + "\n"


def print_table(rows: list[dict]) -> None:
    cells = [HEADER[:-1]] + [table_cells(r)[:-1] for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADER) - 1)]
    for c in cells:
        print("  ".join(v.rjust(w) if i else v.ljust(w) for i, (v, w) in
                        enumerate(zip(c, widths))))
    for r in rows:
        n = note_of(r)
        if n:
            print(f"  {r['problem']} ({r.get('peer') or '-'}): {n}")


def code_state() -> str:
    """Short hash of the calibrator's code as it is now (the committed tree of
    ``jakstat_rules``, its uncommitted diff and untracked files; commits that
    change only other folders keep the state).

    Others may change the checkout while the benchmark runs; each run of ours
    records the state it ran with.
    """
    h = hashlib.sha256()
    try:
        for cmd in (["git", "rev-parse", "HEAD:jakstat_rules"],
                    ["git", "diff", "HEAD", "--", "jakstat_rules"],
                    ["git", "ls-files", "--others", "--exclude-standard", "--",
                     "jakstat_rules"]):
            res = subprocess.run(cmd, capture_output=True, cwd=ROOT)
            h.update(res.stdout)
            if cmd[1] == "ls-files":
                for f in sorted(res.stdout.decode().split()):
                    if f.endswith(".py") and (ROOT / f).is_file():
                        h.update((ROOT / f).read_bytes())
    except OSError:
        return "?"
    return h.hexdigest()[:10]


def git_state() -> tuple[str, bool]:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, cwd=ROOT).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--", "jakstat_rules"],
                                    capture_output=True, text=True, cwd=ROOT).stdout.strip())
        return commit, dirty
    except OSError:
        return "?", False


# ----------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "--pypesto-worker":
        return pypesto_worker(*argv[1:4])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--problems", nargs="+", default=None, metavar="NAME",
                    help="subset: problem folder names (prefixes allowed) and/or Kirby")
    ap.add_argument("--starts", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "bench_petab")
    ap.add_argument("--ours-args", default="", metavar="\"FLAGS\"",
                    help="extra flags for jakstat calibrate, e.g. \"--optimizer fides\" (a "
                         "single flag: --ours-args=--FLAG); checked against its --help")
    ap.add_argument("--peers", default="fides",
                    help="pyPESTO optimisers, comma-separated: fides, lbfgsb")
    ap.add_argument("--skip-ours", action="store_true",
                    help="do not run ours (pyPESTO uses our earlier results if any)")
    ap.add_argument("--skip-pypesto", action="store_true")
    ap.add_argument("--timeout-per-problem", type=float, default=None, metavar="SECONDS",
                    help="wall-time limit of each tool on one problem (AMICI compilation "
                         "gets --compile-timeout on top)")
    ap.add_argument("--compile-timeout", type=float, default=1200, metavar="SECONDS")
    ap.add_argument("--amici-cache", type=Path, default=None, metavar="DIR",
                    help="folder of the compiled AMICI models (default OUT/amici_models)")
    ap.add_argument("--report-only", action="store_true",
                    help="run nothing: the table of the problems' stored results, whatever "
                         "settings made them (each row's settings are in the JSON)")
    ap.add_argument("--fill", choices=["inner", "uniform"], default="inner",
                    help="start values for pyPESTO of parameters we solve in closed form")
    args = ap.parse_args(argv)
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    bad = [p for p in peers if p not in PEERS]
    if bad:
        ap.error(f"--peers {','.join(bad)}: expected some of {','.join(PEERS)}")
    extra = shlex.split(args.ours_args)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    if args.amici_cache is not None:
        args.amici_cache = args.amici_cache.resolve()
    if not args.skip_ours:
        help_text = calibrate_help()
        check_ours_args(extra, help_text)
        if (args.timeout_per_problem and "--max-time" in help_text
                and "--max-time" not in [a.split("=", 1)[0] for a in extra]):
            # the run ends by itself (its best start polished) rather than being killed
            # at the limit; the last tenth covers starting Python and writing the outputs
            extra += ["--max-time", f"{MAX_TIME_SHARE * args.timeout_per_problem:g}"]

    available = collection_problems()
    names = list(available) + [KIRBY]
    if args.problems:
        chosen = []
        for want in args.problems:
            hit = [n for n in names if n == want or n.lower().startswith(want.lower())]
            if not hit:
                ap.error(f"--problems {want!r}: expected one of {', '.join(names)}")
            chosen += [h for h in hit if h not in chosen]
        names = chosen
    command = "python benchmarks/bench_petab.py " + shlex.join(argv)
    meta = {"started": time.strftime("%Y-%m-%d %H:%M"), "host": os.uname().nodename,
            "cpus": os.cpu_count(), "load_start": load_avg()}
    meta["commit"], meta["dirty"] = git_state()
    say(f"{len(names)} problems, {args.starts} starts, seed {args.seed}; out {out}")

    key = {"schema": SCHEMA, "starts": args.starts, "seed": args.seed, "ours_args": extra,
           "peers": peers, "skip_ours": args.skip_ours, "skip_pypesto": args.skip_pypesto,
           "timeout": args.timeout_per_problem, "fill": args.fill}
    rows: list[dict] = []
    all_records = {}
    for name in names:
        rec_path = out / "problems" / f"{name}.json"
        stored = read_json(rec_path)
        if isinstance(stored, dict) and (stored.get("key") == key or args.report_only):
            if stored.get("key") != key:
                differs = {k: v for k, v in stored.get("key", {}).items() if key.get(k) != v}
                for r in stored["rows"]:
                    r["settings_differ"] = differs
            else:
                say(f"{name}: finished earlier with these settings, skipped")
            rows += stored["rows"]
            all_records[name] = stored
            continue
        if args.report_only:
            say(f"{name}: no stored result")
            continue
        t0 = time.perf_counter()
        rundir = out / "runs" / name
        ours = None
        peer_recs: dict[str, dict] = {}
        error = None
        yaml = None
        try:
            yaml = kirby_problem(out) if name == KIRBY else available[name]
            if not args.skip_ours:
                ours = run_ours(name, yaml, rundir, args, extra)
            else:
                for f in sorted(rundir.glob("ours-*.json")):
                    r = read_json(f)
                    if isinstance(r, dict) and r.get("settings", {}).get("starts") == args.starts \
                            and r.get("settings", {}).get("seed") == args.seed:
                        ours = r
            if not args.skip_pypesto:
                for peer in peers:
                    peer_recs[peer] = run_pypesto(name, yaml, rundir, out, peer, ours, args)
        except Exception as exc:  # noqa: BLE001 -- recorded, the benchmark goes on
            error = f"{type(exc).__name__}: {exc}"
            say(f"{name}: {error}")
        ref, prior = ((None, 0.0) if name == KIRBY or yaml is None
                      else objective_reference(name, yaml))
        if name == KIRBY:
            fv = [num(s["fval"]) for s in (ours or {}).get("starts", [])]
            for r in peer_recs.values():
                fv += [num(s["fval"]) for s in r.get("starts", [])]
            fin = [f for f in fv if math.isfinite(f)]
            ref = min(fin) if fin else None
        prob_rows = summarise(name, ours, peer_recs if not args.skip_pypesto else {}, ref,
                              args)
        for r in prob_rows:
            r["prior_at_nominal"] = prior
        if args.skip_ours:
            for r in prob_rows:
                if r["ours"] is not None:
                    r["ours"]["status"] = (r["ours"].get("status") or "") + " (earlier run)"
        if error:
            for r in prob_rows:
                r["error"] = error
                r.setdefault("ours", None)
                if r["ours"] is None:
                    r["ours"] = {"status": error, "n": 0, "failed": 0, "best": math.inf}
        stored = {"key": key, "rows": prob_rows, "seconds": time.perf_counter() - t0,
                  "ours": {k: v for k, v in (ours or {}).items() if k != "starts"},
                  "finished": time.strftime("%Y-%m-%dT%H:%M:%S")}
        write_json_atomic(rec_path, stored)
        all_records[name] = stored
        rows += prob_rows
        say(f"{name}: done in {time.perf_counter() - t0:.0f} s; " +
            "; ".join(" ".join(table_cells(r)[i] for i in (1, 5, 6, 8, 9, 12, 15, 16))
                      for r in prob_rows))

    meta["finished"] = time.strftime("%Y-%m-%d %H:%M")
    meta["load_end"] = load_avg()
    try:
        import amici
        import pypesto

        meta["pypesto"], meta["amici"] = pypesto.__version__, amici.__version__
    except Exception:  # noqa: BLE001
        pass
    print_table(rows)
    write_text_atomic(out / "bench_petab.md", markdown(rows, command, meta))
    write_text_atomic(out / "bench_petab.tsv", tsv(rows))
    write_json_atomic(out / "bench_petab.json", {"command": command, "meta": meta,
                                                 "settings": key, "rows": rows})
    say(f"table in {out / 'bench_petab.md'} (+ .tsv, .json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
