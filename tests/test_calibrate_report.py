"""Tests of jakstat_rules.calibrate.report: plots are written atomically;
a PNG path that is a folder is one line on stderr and leaves no temp file.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from jakstat_rules.calibrate.report import plot_prediction
from jakstat_rules.cli import main
from jakstat_rules.errors import JakstatInputError
from test_calibrate_cli import one_error_line


def test_plot_to_a_folder(tmp_path):
    (tmp_path / "p.png").mkdir()
    with pytest.raises(JakstatInputError, match="is a folder"):
        plot_prediction(np.arange(3.0), np.arange(3.0), tmp_path / "p.png", "t")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.png"]


def test_fit_png_is_a_folder(exact_problem, exact_fit, tmp_path, capsys):
    """Resuming a finished fit rewrites its plots: fit.png being a folder is
    one line, exit 2, and no temporary file is left behind."""
    out = tmp_path / "fit"
    shutil.copytree(exact_fit, out)
    (out / "fit.png").unlink()
    (out / "fit.png").mkdir()
    assert main(["calibrate", str(exact_problem), "--out", str(out), "--starts", "4",
                 "--no-progress"]) == 2
    one_error_line(capsys, str(out / "fit.png"), "is a folder")
    # no temporary file; the folder's lock file (jakstat_rules.io.LOCK_FILE) stays
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == [".lock"]
    assert (out / "fit.png").is_dir()
