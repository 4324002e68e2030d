"""Tests of jakstat_rules.calibrate.parallel: starts on a local dask cluster,
in worker processes and on a running scheduler give the serial results; a
bad scheduler address is one line on stderr, before any work.
"""

from __future__ import annotations

import pandas as pd
import pytest

from jakstat_rules.calibrate.example import EXAMPLE_TRUE
from jakstat_rules.calibrate.optimize import calibrate
from jakstat_rules.calibrate.parallel import check_scheduler
from jakstat_rules.cli import main
from jakstat_rules.errors import JakstatInputError
from test_calibrate_cli import one_error_line


def test_dask_local_cluster_matches_serial(exact_problem, tmp_path):
    serial = calibrate(exact_problem, tmp_path / "serial", n_starts=4, seed=2,
                       progress=False, plots=False)
    dask = calibrate(exact_problem, tmp_path / "dask", n_starts=4, seed=2,
                     workers=2, processes=False, progress=False, plots=False)
    a = pd.read_csv(tmp_path / "serial" / "starts.tsv", sep="\t").set_index("start")
    b = pd.read_csv(tmp_path / "dask" / "starts.tsv", sep="\t").set_index("start")
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
