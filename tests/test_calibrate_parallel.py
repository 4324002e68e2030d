"""Tests of jakstat_rules.calibrate.parallel: starts on a local dask cluster,
in worker processes and on a running scheduler give the serial results; a
bad scheduler address is one line on stderr, before any work.
"""

from __future__ import annotations

import pandas as pd
import pytest

from jakstat_rules.calibrate.example import EXAMPLE_TRUE
from jakstat_rules.calibrate.multistart import calibrate
from jakstat_rules.calibrate.parallel import check_scheduler
from jakstat_rules.cli import main
from jakstat_rules.errors import JakstatInputError
from test_calibrate_cli import one_error_line


def test_dask_local_cluster_matches_serial(exact_problem, tmp_path):
    serial = calibrate(exact_problem, tmp_path / "serial", n_starts=4, seed=2,
                       progress=False, plots=False)
    dask = calibrate(exact_problem, tmp_path / "dask", n_starts=4, seed=2,
                     workers=2, processes=False, progress=False, plots=False)
    a = pd.read_csv(tmp_path / "serial" / "optimize_result.tsv", sep="\t").set_index("id")
    b = pd.read_csv(tmp_path / "dask" / "optimize_result.tsv", sep="\t").set_index("id")
    pd.testing.assert_series_equal(b.loc[a.index, "fval"], a["fval"], rtol=0, atol=1e-8)
    assert dask["best_fval"] == pytest.approx(serial["best_fval"], abs=1e-8)


@pytest.mark.slow
def test_dask_worker_processes(exact_problem, tmp_path):
    """Real worker processes: the problem and the start function are
    pickled to other interpreters, each compiles the model itself."""
    summary = calibrate(exact_problem, tmp_path / "fit", n_starts=2, seed=4,
                        workers=2, processes=True, progress=False, plots=False)
    assert summary["n_finished"] == 2 and summary["n_failed"] == 0
    assert summary["best_parameters"]["k2"] == pytest.approx(EXAMPLE_TRUE["k2"], rel=1e-4)


def test_existing_scheduler(exact_problem, tmp_path):
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster:
        summary = calibrate(exact_problem, tmp_path / "fit", n_starts=2, seed=0,
                            scheduler=cluster.scheduler_address, progress=False,
                            plots=False)
    assert summary["n_finished"] == 2
    assert summary["best_parameters"]["k1"] == pytest.approx(EXAMPLE_TRUE["k1"], rel=1e-4)


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:1", "nonsense", "tcp://127.0.0.1:port"])
def test_bad_scheduler_address(address):
    with pytest.raises(JakstatInputError, match="scheduler"):
        check_scheduler(address)


def test_unreachable_scheduler_fails_first(exact_problem, tmp_path, capsys):
    """One line, exit 2, nothing claimed or computed."""
    out = tmp_path / "fit"
    with pytest.raises(JakstatInputError, match="scheduler"):
        calibrate(exact_problem, out, n_starts=2, scheduler="tcp://127.0.0.1:1",
                  progress=False)
    assert not out.exists()
    assert main(["calibrate", str(exact_problem), "--out", str(out), "--starts", "2",
                 "--scheduler", "tcp://127.0.0.1:1", "--no-progress"]) == 2
    one_error_line(capsys, "tcp://127.0.0.1:1", "scheduler")
    assert not out.exists()


def test_unreachable_scheduler_profile(exact_problem, exact_fit, tmp_path, capsys):
    out = tmp_path / "prof"
    assert main(["profile", str(exact_problem), "--fit", str(exact_fit), "--out", str(out),
                 "--scheduler", "nonsense", "--no-progress"]) == 2
    one_error_line(capsys, "'nonsense'", "scheduler")
    assert not out.exists()


def test_solver_log_takes_c_output_and_warnings(tmp_path, capfd):
    """What C code prints on descriptors 1 and 2 and Python warnings (numpy's
    RuntimeWarning) go to the log; Python's own streams stay on the
    terminal; everything is restored afterwards, also after ^C."""
    import os
    import sys
    import warnings

    import numpy as np

    from jakstat_rules.calibrate.parallel import solver_log

    log = tmp_path / "solver.log"
    with pytest.raises(KeyboardInterrupt):
        with solver_log(log, "first"):
            os.write(1, b"CVODE on stdout\n")
            os.write(2, b"CVODE on stderr\n")
            with np.errstate(over="warn"):
                np.exp(np.float64(1000.0))
            warnings.warn("a solver warning", RuntimeWarning)
            print("progress line", file=sys.stderr)
            raise KeyboardInterrupt
    os.write(2, b"after the block\n")
    with solver_log(log, "second"):
        pass
    terminal = capfd.readouterr()
    assert "CVODE" not in terminal.out + terminal.err and "RuntimeWarning" not in terminal.err
    assert "progress line" in terminal.err and "after the block" in terminal.err
    text = log.read_text(encoding="utf-8")
    for needle in ("first", "CVODE on stdout", "CVODE on stderr",
                   "RuntimeWarning: overflow encountered in exp", "a solver warning", "second"):
        assert needle in text
    assert "progress line" not in text and "after the block" not in text


def test_solver_log_takes_amici_s_log_records(tmp_path, capfd):
    """AMICI logs a failed simulation as an ERROR record through its module loggers,
    whose handler writes to ``sys.stderr`` (seen when its compiled model came from the
    cache): inside the block the record goes to the log; the handlers are restored."""
    import logging
    import sys

    from jakstat_rules.calibrate.parallel import solver_log

    module = logging.getLogger("amici.sim.test_module")
    own = logging.StreamHandler(sys.stderr)
    module.addHandler(own)
    try:
        log = tmp_path / "solver.log"
        with solver_log(log, "amici"):
            module.error("[c0][FORWARD_FAILURE] failed to integrate")
        terminal = capfd.readouterr()
        assert "FORWARD_FAILURE" not in terminal.out + terminal.err
        assert "amici.sim.test_module - ERROR - [c0][FORWARD_FAILURE]" in log.read_text(
            encoding="utf-8")
        assert module.handlers == [own] and module.propagate
        module.error("after the block")
        assert "after the block" in capfd.readouterr().err
    finally:
        module.removeHandler(own)


def test_solver_log_keeps_a_real_terminal_stream(tmp_path):
    """In a process whose sys.stderr is descriptor 2 itself (the CLI), the
    progress line still reaches it while descriptor 2 points to the log; a
    logging handler made meanwhile (dask makes one) still works afterwards."""
    import subprocess
    import sys

    log = tmp_path / "solver.log"
    code = ("import logging, os, sys\nfrom jakstat_rules.calibrate.parallel import solver_log\n"
            f"with solver_log({str(log)!r}):\n"
            " os.write(2, b'CVODE message\\n')\n print('progress line', file=sys.stderr)\n"
            " logging.getLogger('dask-like').addHandler(logging.StreamHandler(sys.stderr))\n"
            "logging.getLogger('dask-like').warning('worker closed')\n"
            "print('done', file=sys.stderr)\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert run.stderr.splitlines() == ["progress line", "worker closed", "done"]
    assert "CVODE message" in log.read_text(encoding="utf-8")
