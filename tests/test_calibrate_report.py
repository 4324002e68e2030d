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
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []
    assert (out / "fit.png").is_dir()


def test_kill_while_plotting_keeps_the_previous_png(tmp_path):
    """A process killed (SIGKILL) in the middle of writing a PNG leaves the
    previous complete figure in place, never a 0-byte or half file."""
    import signal
    import subprocess
    import sys

    png = tmp_path / "fit.png"
    code = (
        "import os, signal\nimport numpy as np\nimport matplotlib.figure\n"
        "from jakstat_rules.calibrate.report import plot_prediction\n"
        f"plot_prediction(np.arange(3.0), np.arange(3.0), {str(png)!r}, 'complete')\n"
        "def killed(self, fname, *args, **kwargs):\n"
        "    with open(fname, 'wb') as fh:\n"
        "        fh.write(b'\\x89PNG half')\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "matplotlib.figure.Figure.savefig = killed\n"
        f"plot_prediction(np.arange(3.0), np.arange(3.0), {str(png)!r}, 'killed')\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True)
    assert run.returncode == -signal.SIGKILL
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 1000 and data.endswith(
        b"IEND\xaeB`\x82")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # the temp file
