"""The red-team cases of issue 21, each through the command line (or the API
where no command exists): no silent wrong result, nothing outside the output
folder touched, one ``jakstat: error:`` line and exit code 2 for bad input.

References are independent of the code under test: the bytes of files outside
the output folder, the stored records themselves, the file system.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from jakstat_rules.cli import main
from jakstat_rules.io import record_checksum
from conftest import message_lines
from test_calibrate_cli import one_error_line
from test_calibrate_multistart import _snapshot


def _calibrate(problem: Path, out: Path, *extra: str) -> int:
    return main(["calibrate", str(problem), "--out", str(out), "--starts", "4",
                 "--no-progress", *extra])


def _warnings(capsys) -> list[str]:
    """The lines a run printed on stderr besides its status lines."""
    return message_lines(capsys.readouterr().err)


# -- start records: checksum and re-evaluation ---------------------------------------------

def _edit_record(path: Path, fval: float, checksum: bool) -> None:
    record = json.loads(path.read_text(encoding="utf-8"))
    record["fval"] = fval
    if checksum:
        record["checksum"] = record_checksum(record)
    path.write_text(json.dumps(record, indent=2))


@pytest.mark.parametrize("checksum, why", [(False, "does not match its checksum"),
                                           (True, "is not reproduced")])
def test_an_edited_start_record_is_run_again_never_the_best(exact_problem, exact_fit,
                                                            tmp_path, capsys, checksum, why):
    """A start record whose fval was edited (a one-byte edit, or an edit with
    its checksum recomputed) is damaged: one warning line naming it, the start
    runs again, and the edited value never becomes the best fit."""
    out = tmp_path / "fit"
    shutil.copytree(exact_fit, out)
    true_best = json.loads((out / "summary.json").read_text(encoding="utf-8"))["best_fval"]
    record = out / "starts" / "start_0002.json"
    _edit_record(record, true_best - 1000.0, checksum)
    capsys.readouterr()
    assert _calibrate(exact_problem, out) == 0
    lines = _warnings(capsys)
    damaged = [line for line in lines if "damaged" in line]
    assert len(damaged) == 1 and str(record) in damaged[0] and why in damaged[0], lines
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["best_fval"] == pytest.approx(true_best, abs=1e-6)
    assert json.loads(record.read_text(encoding="utf-8"))["fval"] == pytest.approx(true_best, abs=0.1)


# -- nothing outside the output folder -------------------------------------------------------

@pytest.mark.parametrize("name", [".lock", "solver.log"])
def test_a_symlink_in_the_result_folder_is_never_followed(exact_problem, exact_fit, tmp_path,
                                                          capsys, name):
    """A ``.lock`` or ``solver.log`` planted as a symbolic link to a file
    outside the folder is refused in one line; the target keeps its bytes."""
    out = tmp_path / "fit"
    shutil.copytree(exact_fit, out)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (out / name).unlink(missing_ok=True)
    (out / name).symlink_to(victim)
    capsys.readouterr()
    assert _calibrate(exact_problem, out) == 2
    one_error_line(capsys, repr(str(out / name)), "symbolic link")
    assert victim.read_text(encoding="utf-8") == "precious\n"


# -- profile and validate go on from a finished, finite fit within its bounds ----------------

def _damage_summary(fit: Path, change) -> None:
    path = fit / "summary.json"
    summary = json.loads(path.read_text(encoding="utf-8"))
    change(summary)
    path.write_text(json.dumps(summary))       # Python writes NaN/Infinity as bare literals


def _set_best(pid: str, value: float):
    def change(summary: dict) -> None:
        summary["best_parameters"][pid] = value
    return change


def _drop_best(pid: str):
    def change(summary: dict) -> None:
        del summary["best_parameters"][pid]
    return change


def _unfinished(summary: dict) -> None:
    summary["complete"], summary["n_finished"] = False, 2


def _bad_rtol(summary: dict) -> None:
    summary["settings"]["rtol"] = -1.0


@pytest.mark.parametrize("command", ["profile", "validate"])
@pytest.mark.parametrize("change, needle", [
    (_set_best("k1", float("nan")), "finite numbers"),
    (_set_best("k1", float("inf")), "finite numbers"),
    (_set_best("k1", 1e12), "outside its bounds"),
    (_drop_best("k1"), "k1"),
    (_unfinished, "unfinished fit (2 of 4 starts)"),
    (_bad_rtol, "rtol -1.0"),
], ids=["nan", "inf", "out-of-bounds", "missing", "unfinished", "bad-rtol"])
def test_profile_and_validate_refuse_a_fit_they_cannot_go_on_from(
        exact_problem, exact_fit, tmp_path, capsys, command, change, needle):
    fit = tmp_path / "fit"
    shutil.copytree(exact_fit, fit)
    _damage_summary(fit, change)
    out = tmp_path / "out"
    args = (["profile", str(exact_problem), "--fit", str(fit), "--out", str(out)]
            if command == "profile" else ["validate", str(fit), str(exact_problem),
                                          "--out", str(out)])
    capsys.readouterr()
    assert main(args) == 2
    one_error_line(capsys, needle)
    assert not out.exists()


# -- values PEtab cannot mean are refused before anything runs --------------------------------

def _edited_problem(src: Path, dst: Path, table: str, edit) -> Path:
    import pandas as pd

    shutil.copytree(src.parent, dst)
    path = dst / table
    df = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    edit(df)
    df.to_csv(path, sep="\t", index=False)
    return dst / src.name


def _negative_time(df) -> None:
    df.loc[0, "time"] = "-3"


def _infinite_measurement(df) -> None:
    df.loc[1, "measurement"] = "inf"


def _equal_bounds(df) -> None:
    df.loc[df.parameterId == "k2", "upperBound"] = "0.001"


def _infinite_bound(df) -> None:
    df.loc[df.parameterId == "k2", "upperBound"] = "inf"


def _fixed_nan(df) -> None:
    df.loc[df.parameterId == "k2", ["nominalValue", "estimate"]] = ["nan", "0"]


@pytest.mark.parametrize("table, edit, needles", [
    ("measurements.tsv", _negative_time, ["row 1", "time -3.0", "expected a time >= 0"]),
    ("measurements.tsv", _infinite_measurement, ["row 2", "measurement inf",
                                                 "expected a finite number"]),
    ("parameters.tsv", _equal_bounds, ["'k2'", "[0.001, 0.001]", "lowerBound < upperBound"]),
    ("parameters.tsv", _infinite_bound, ["'k2'", "[0.001, inf]", "finite bounds"]),
    ("parameters.tsv", _fixed_nan, ["'k2'", "nominal value nan", "expected a finite number"]),
], ids=["negative-time", "inf-measurement", "equal-bounds", "inf-bound", "fixed-nan"])
def test_calibrate_refuses_values_petab_cannot_mean(exact_problem, tmp_path, capsys, table,
                                                    edit, needles):
    """A measurement at a negative time would shift its whole condition (the
    simulation would start there); the other values made every start fail or
    silently used the SBML default: each is one line, before any output."""
    problem = _edited_problem(exact_problem, tmp_path / "problem", table, edit)
    out = tmp_path / "fit"
    capsys.readouterr()
    assert _calibrate(problem, out) == 2
    one_error_line(capsys, *needles)
    assert not out.exists()


def _long_sum_model(problem: Path, terms: int) -> None:
    """Give the problem's model a parameter ``total`` whose initial assignment is the sum
    ``a0 + a1 + ...`` of ``terms`` parameters (as one n-ary MathML ``plus``)."""
    import libsbml

    path = problem.parent / "model.xml"
    doc = libsbml.readSBMLFromFile(str(path))
    model = doc.getModel()
    for i in range(terms):
        par = model.createParameter()
        par.setId(f"a{i}"), par.setValue(float(i % 7)), par.setConstant(True)
    par = model.createParameter()
    par.setId("total"), par.setConstant(True)
    plus = "".join(f"<ci>a{i}</ci>" for i in range(terms))
    ia = model.createInitialAssignment()
    ia.setSymbol("total")
    ia.setMath(libsbml.readMathMLFromString(
        f"<math xmlns='http://www.w3.org/1998/Math/MathML'><apply><plus/>{plus}</apply></math>"))
    assert libsbml.writeSBMLToFile(doc, str(path))


@pytest.mark.slow
def test_an_initial_assignment_of_thousands_of_terms_is_evaluated(exact_problem, tmp_path,
                                                                  capsys):
    """A sum of 5000 terms (evaluated by the package: a sum of 1500 once raised a
    RecursionError; compiled by libroadrunner: once a segmentation fault on an 8 MB stack)
    is calibrated like any model, and the engine's value of the sum is the sum."""
    terms = 5000
    from jakstat_rules.engine import Engine

    problem = _edited_problem(exact_problem, tmp_path / "problem", "parameters.tsv",
                              lambda df: None)
    _long_sum_model(problem, terms)
    capsys.readouterr()
    assert _calibrate(problem, tmp_path / "fit", "--starts", "1", "--max-evaluations", "2",
                      "--no-polish") == 0
    engine = Engine((problem.parent / "model.xml").read_text(encoding="utf-8"))
    engine.reset()
    assert engine.value("total") == sum(float(i % 7) for i in range(terms))


def test_an_initial_assignment_deeper_than_the_limit_is_one_line(exact_problem, tmp_path,
                                                                 capsys):
    """One term more than :data:`~jakstat_rules.formulas.MAX_MATH_DEPTH` allows is refused
    in one line naming the formula and the limit, before libroadrunner sees it."""
    from jakstat_rules.formulas import MAX_MATH_DEPTH

    problem = _edited_problem(exact_problem, tmp_path / "problem", "parameters.tsv",
                              lambda df: None)
    _long_sum_model(problem, MAX_MATH_DEPTH + 2)
    out = tmp_path / "fit"
    capsys.readouterr()
    assert _calibrate(problem, out) == 2
    one_error_line(capsys, "initialAssignment 'total'", f"nested {MAX_MATH_DEPTH + 1} levels",
                   f"expected at most {MAX_MATH_DEPTH}")
    assert not out.exists()


# -- a run whose every start fails ------------------------------------------------------------

def test_a_run_whose_every_start_fails_exits_with_the_first_reason(tmp_path, capsys):
    """Every k of the bounds blows the model up before the measurements: the
    run records its starts, then exits 2 with one line giving start 0's reason
    (it used to end with best_fval Infinity and exit 0)."""
    import pandas as pd

    from test_calibrate_multistart import _blow_up_problem

    problem = _blow_up_problem(tmp_path / "blow")
    parameters = problem.parent / "parameters.tsv"
    table = pd.read_csv(parameters, sep="\t")
    table.loc[0, ["lowerBound", "nominalValue"]] = [0.5, 0.7]
    table.to_csv(parameters, sep="\t", index=False)
    out = tmp_path / "fit"
    capsys.readouterr()
    assert main(["calibrate", str(problem), "--out", str(out), "--starts", "2",
                 "--no-progress"]) == 2
    err = _warnings(capsys)
    assert len(err) == 1 and err[0].startswith("jakstat: error: every start failed (2 of 2 "), err
    assert "start 0: no starting point could be evaluated" in err[0]
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["n_failed"] == 2


# -- data import: a new folder, whole or not at all -------------------------------------------

def _import(table: Path, out: Path) -> int:
    return main(["data", "import", str(table), "--out", str(out), "--validate",
                 "exp20190214"])


@pytest.fixture(scope="module")
def example_table(tmp_path_factory) -> Path:
    from jakstat_rules.data import example_path

    return example_path()


@pytest.mark.parametrize("kind", ["non-empty", "symlink"])
def test_data_import_never_overwrites_an_existing_out(example_table, tmp_path, capsys, kind):
    """An --out holding files (an earlier import: train/ and a stale
    validation/), or a symbolic link to one, is refused in one line before
    any work; its files keep their bytes."""
    earlier = tmp_path / "earlier"
    (earlier / "validation").mkdir(parents=True)
    (earlier / "validation" / "problem.yaml").write_text("stale\n")
    out = earlier if kind == "non-empty" else tmp_path / "link"
    if kind == "symlink":
        out.symlink_to(earlier)
    before = _snapshot(earlier)
    capsys.readouterr()
    assert _import(example_table, out) == 2
    one_error_line(capsys, repr(str(out)),
                   "is not empty" if kind == "non-empty" else "symbolic link")
    assert _snapshot(earlier) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["earlier"] + (["link"] if kind == "symlink" else []))


def test_data_import_appears_whole_or_not_at_all(example_table, tmp_path, capsys,
                                                 monkeypatch):
    """A write failing half-way (a full disk on the validation problem) leaves
    no --out and no staging folder; a staging folder left by a killed import
    is removed by the next import, which writes the whole output."""
    import os

    from jakstat_rules import io
    from jakstat_rules import petab_io

    out = tmp_path / "petab"
    real = petab_io.atomic_write

    def full_disk(path, text):  # what atomic_write raises when the disk is full
        if "validation" in str(path):
            raise io._os_error(path, OSError(28, "No space left on device"))
        return real(path, text)

    monkeypatch.setattr(petab_io, "atomic_write", full_disk)
    capsys.readouterr()
    assert _import(example_table, out) == 2
    one_error_line(capsys, "No space left on device")
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    killed = tmp_path / ".petab.import-999999999.tmp" / "train"     # no such process
    killed.mkdir(parents=True)
    (killed / "model.xml").write_text("<half")
    capsys.readouterr()
    assert _import(example_table, out) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["petab"]
    assert sorted(p.name for p in out.iterdir()) == ["train", "validation"]
    assert os.path.isfile(out / "validation" / "problem.yaml")


@pytest.mark.parametrize("example, old, new, cell, needles", [
    ("pstat1_example_wide.csv", "60 min", "1e400 min", None,
     ["time column '1e400 min' is inf min", "expected a time from 0 to 1e+06 min"]),
    ("pstat1_example_wide.csv", "60 min", "1e307 h", None,
     ["time column '1e307 h' is inf min", "expected a time from 0 to 1e+06 min"]),
    ("pstat1_example.csv", "time_min", "time_h", "1e307",
     ["line 2, column 'time_h'", "value '1e307' is inf min", "expected a time from 0 to 1e+06"]),
], ids=["wide 1e400 min", "wide 1e307 h", "long 1e307 h"])
def test_data_import_refuses_a_time_that_overflows(tmp_path, capsys, example, old, new, cell,
                                                   needles):
    """A time that reads as a number but overflows to infinity (a header
    ``1e400 min``, ``1e307 h`` in minutes, a cell of 1e307 h) is not a steady
    state: one line naming the header or cell and the expected range, exit
    code 2, nothing written."""
    from jakstat_rules.data import example_path

    lines = example_path(example).read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0].replace(old, new)
    if cell is not None:
        row = lines[1].split(",")
        row[lines[0].split(",").index(new)] = cell
        lines[1] = ",".join(row)
    table = tmp_path / "table.csv"
    table.write_text("\n".join(lines) + "\n")
    out = tmp_path / "petab"
    capsys.readouterr()
    wide = ["--wide"] if "wide" in example else []
    assert main(["data", "import", str(table), "--out", str(out), *wide]) == 2
    one_error_line(capsys, *needles)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]


# -- supplement: a build killed during its install step ---------------------------------------

def _supplement_folder(path: Path, tag: str) -> Path:
    path.mkdir(parents=True)
    (path / "manifest.xml").write_text(f"<omexManifest>{tag}</omexManifest>\n")
    return path


@pytest.mark.parametrize("killed_after", ["old moved out", "new moved in"])
def test_supplement_install_killed_is_restored_by_the_next_run(tmp_path, killed_after):
    """A kill between the renames of the install step left the old
    supplement only in a staging folder (or the new folder beside the old
    archive); the next run, under the folder's lock, restores a matching
    folder and archive and removes the staging folder."""
    from jakstat_rules.io import lock_output_dir
    from jakstat_rules.supplement.build import (ARCHIVE_NAME, FOLDER_NAME, STAGING_PREFIX,
                                                recover_interrupted_install)

    out = tmp_path / "supplement"
    staging = out / f"{STAGING_PREFIX}x1y2z3"
    _supplement_folder(staging / "previous", "old")
    if killed_after == "old moved out":
        (out / ARCHIVE_NAME).write_text("old archive")
        _supplement_folder(staging / FOLDER_NAME, "new")
        (staging / ARCHIVE_NAME).write_text("new archive")
        expected = ("old", "old archive")
    else:
        (out / ARCHIVE_NAME).write_text("old archive")
        _supplement_folder(out / FOLDER_NAME, "new")
        (staging / ARCHIVE_NAME).write_text("new archive")
        expected = ("new", "new archive")
    with lock_output_dir(out):
        assert len(recover_interrupted_install(out)) == 1
    assert sorted(p.name for p in out.iterdir()) == sorted([FOLDER_NAME, ARCHIVE_NAME])
    manifest = (out / FOLDER_NAME / "manifest.xml").read_text(encoding="utf-8")
    assert expected[0] in manifest and (out / ARCHIVE_NAME).read_text(encoding="utf-8") == expected[1]


# -- Dask ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("address, needle", [
    ("tcp://127.0.0.1:99999999999999999999", "port"),
    ("tcp://[::1", "scheduler"),
    ("ucx://127.0.0.1:8786", "protocol 'ucx'"),
    ("tcp://" + "a" * 5000 + ":1", "at most 1000 characters"),
    ("tcp://127.0.0.1", "scheduler"),
], ids=["huge-port", "bad-host", "other-transport", "huge-address", "no-port"])
def test_bad_scheduler_addresses_are_one_line_before_the_folder_is_claimed(
        exact_problem, tmp_path, capsys, address, needle):
    out = tmp_path / "fit"
    capsys.readouterr()
    assert main(["calibrate", str(exact_problem), "--out", str(out), "--starts", "2",
                 "--scheduler", address, "--no-progress"]) == 2
    one_error_line(capsys, "cannot connect to dask scheduler", needle)
    assert not out.exists()


def test_a_start_whose_worker_is_lost_runs_again(exact_problem, tmp_path):
    """The only worker dies while it runs a start (as if killed): dask runs
    the start again on a new worker instead of ending the run with
    FutureCancelledError."""
    from distributed import LocalCluster

    from jakstat_rules.calibrate import multistart

    flag = tmp_path / "killed-once"
    real = multistart.run_start

    def dies_once(payload, settings, start, *rest):
        import os

        if start == 1 and not flag.exists():
            flag.write_text("x")
            os._exit(1)                                    # the worker process is gone
        return real(payload, settings, start, *rest)

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        module = multistart
        original, module.run_start = module.run_start, dies_once
        try:
            summary = multistart.calibrate(exact_problem, tmp_path / "fit", n_starts=2,
                                         seed=0, scheduler=cluster.scheduler_address,
                                         progress=False, plots=False)
        finally:
            module.run_start = original
    assert flag.exists() and summary["n_finished"] == 2 and summary["n_failed"] == 0


# -- bounded simulations ------------------------------------------------------------------------

@pytest.mark.parametrize("args, needles", [
    (["simulate", "--set", "IFNb_pM=100", "--points", "100000000"], ["100000000", "<= 100000"]),
    (["simulate", "--set", "IFNb_pM=100", "--t-end", "1e300"], ["1e+300", "<= 1e+06"]),
    (["simulate", "--set", "IFNb_pM=1e30"], ["IFNb_pM=", "<= 1e+09 pM"]),
    (["dose-response", "IFNa_pM", "--doses", "1e30"], ["IFNa_pM=", "<= 1e+09 pM"]),
], ids=["points", "t-end", "dose", "dose-series"])
def test_simulations_are_bounded(tmp_path, capsys, args, needles):
    """A run without bound (10^8 output times, an end time of 10^300 min, a
    dose of 10^30 pM) is one line before anything is simulated or written."""
    out = tmp_path / "out"
    capsys.readouterr()
    assert main([*args, "--out", str(out)]) == 2
    one_error_line(capsys, *needles)
    assert not out.exists()
