"""Tests of jakstat_rules.calibrate.report: plots are written atomically;
a PNG path that is a folder is one line on stderr and leaves no temp file;
the figures' labels, units, legends and dose order (read from the Figure).
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from jakstat_rules.calibrate.report import (data_axis_label, fit_figure, parameter_axis_label,
                                            plot_prediction, prediction_figure, profiles_figure,
                                            waterfall_figure)
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


# ----------------------------------------------------------------------------- figure content
def _drawn(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def _tick_texts(ax, axis="y"):
    lo, hi = sorted(ax.get_ylim() if axis == "y" else ax.get_xlim())
    ticks = ax.yaxis.get_major_ticks() if axis == "y" else ax.xaxis.get_major_ticks()
    return [t.label1.get_text() for t in ticks if lo <= t.get_loc() <= hi]


def test_waterfall_of_converged_starts_shows_them_at_zero_with_distinct_ticks():
    """Every start at the best NLL (up to 2e-6): the figure says so, its y ticks
    differ, and no line joins the starts."""
    table = pd.DataFrame({"status": ["ok"] * 4,
                          "fval": [269.946, 269.946 + 1e-7, 269.946 + 2e-6, 269.946]})
    fig = waterfall_figure(table, tol=0.1)
    _drawn(fig)
    ax = fig.axes[0]
    assert ax.get_title() == "4 of 4 starts within 0.1 of the best (NLL 269.946)"
    assert ax.get_xlabel() == "start, sorted by final NLL"
    assert ax.get_ylabel() == "NLL − best NLL"
    ticks = _tick_texts(ax)
    assert len(ticks) >= 3 and len(set(ticks)) == len(ticks)
    points = [ln for ln in ax.get_lines() if ln.get_linestyle() == "None"]
    assert [ln.get_label() for ln in points] == ["within 0.1 of the best"]
    assert points[0].get_ydata() == pytest.approx([0, 0, 1e-7, 2e-6], abs=1e-9)
    joined = [ln for ln in ax.get_lines() if ln.get_linestyle() != "None"]
    assert [(ln.get_label(), list(ln.get_ydata())) for ln in joined] == [
        ("convergence tolerance (0.1)", [0.1, 0.1])]


def test_waterfall_counts_converged_other_and_failed_starts():
    table = pd.DataFrame({"status": ["ok"] * 5 + ["failed"],
                          "fval": [10.0, 10.05, 13.0, 500.0, 10.0, np.nan]})
    fig = waterfall_figure(table, tol=0.1)
    ax = fig.axes[0]
    assert fig.get_suptitle() == "waterfall: 5 starts finished, 1 failed"
    assert ax.get_title().startswith("3 of 5 starts within 0.1 of the best")
    other = [ln for ln in ax.get_lines() if ln.get_label() == "other starts"][0]
    assert list(other.get_xdata()) == [4, 5] and list(other.get_ydata()) == [3.0, 490.0]


def test_profiles_label_threshold_parameter_and_have_readable_ticks():
    x = np.linspace(7.131, 7.402, 11)  # a narrow log10 range: many candidate ticks
    profiles = {"kon_IFNA2_IFNAR2": pd.DataFrame({"x": x, "fval": 50 + 60 * (x - 7.27) ** 2}),
                "kint_complex": pd.DataFrame({"x": x - 8.7, "fval": 50 + 9 * (x - 7.2) ** 2})}
    labels = {"kon_IFNA2_IFNAR2": "log₁₀ kon_IFNA2_IFNAR2 (M⁻¹ s⁻¹)"}
    fig = profiles_figure(profiles, 50.0, 1.92, labels)
    renderer = _drawn(fig)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["profile", "95% threshold (χ²₁: ΔNLL = 1.92)"]
    shown = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_xlabel() for ax in shown] == ["log₁₀ kon_IFNA2_IFNAR2 (M⁻¹ s⁻¹)",
                                                 "kint_complex"]
    assert fig._supylabel.get_text() == "NLL − best NLL"
    for ax in shown:
        texts = _tick_texts(ax, "x")
        assert 2 <= len(texts) <= 5
        boxes = [t.label1.get_window_extent(renderer) for t in ax.xaxis.get_major_ticks()
                 if t.label1.get_text() in texts]
        assert all(a.x1 < b.x0 for a, b in zip(boxes, boxes[1:]))  # no tick labels overlap


def test_prediction_axes_name_the_data_and_their_unit():
    fig = prediction_figure(np.arange(3.0), np.arange(3.0) + 1, "t", "pY701-STAT1 (MFI)")
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("measured pY701-STAT1 (MFI)",
                                                  "predicted pY701-STAT1 (MFI)")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "measurement", "prediction = measurement"]


# doses listed 10000 before 100 pM, each measurement with its SD
OWN_TABLE = """experiment,IFNa_pM,IFNb_pM,time_min,value,sd
exp20190108,10000,0,5,400,40
exp20190108,10000,0,20,800,50
exp20190108,100,0,5,100,20
exp20190108,100,0,20,500,30
exp20190108,0,20,20,300,25
20190119,10000,0,5,420,60
20190119,10000,0,20,760,70
20190119,100,0,20,450,45
"""


@pytest.fixture(scope="module")
def own_problem(tmp_path_factory):
    """The table above imported as a PEtab problem whose condition names give the doses
    in M (as the Kirby problem's do) and whose observable is named in MFI."""
    from jakstat_rules.calibrate.compiled import get_compiled
    from jakstat_rules.petab_io import ProblemPayload, load_problem
    from jakstat_rules.data.tidy import ImportOptions, import_table

    root = tmp_path_factory.mktemp("own")
    (root / "table.csv").write_text(OWN_TABLE, encoding="utf-8")
    options = ImportOptions(observables={"pSTAT1_total": ("pSTAT1_B", "pY701-STAT1 MFI")})
    yaml = import_table(root / "table.csv", root / "petab", options)["train"]
    conditions = yaml.parent / "conditions.tsv"
    table = pd.read_csv(conditions, sep="\t")
    table["conditionName"] = [f"IFN {v * 1e-12:g} M" for v in table["IFNa_pM"] + table["IFNb_pM"]]
    table.to_csv(conditions, sep="\t", index=False)
    cp = get_compiled(ProblemPayload.from_problem(load_problem(yaml)))
    return cp, np.array([cp.parameters.nominal_all[i] for i in cp.estimated_ids])


def test_fit_panels_by_numeric_dose_in_pm_legend_by_experiment(own_problem):
    cp, p = own_problem
    fig = fit_figure(cp, p)
    shown = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_title() for ax in shown] == ["IFN-α 100 pM", "IFN-α 10000 pM", "IFN-β 20 pM"]
    assert {ax.get_xlabel() for ax in shown} == {"time (min)"}
    assert fig._supylabel.get_text() == "pY701-STAT1 (MFI)"
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        "experiment 2019-01-08", "experiment 2019-01-19", "model", "data ± noise SD"]
    # panel "IFN-α 10000 pM": two model lines, the data of 2019-01-08 with their own SDs
    # panel "IFN-α 10000 pM": a model line and the data ± their SD for each experiment
    ax = shown[1]
    points = []  # (time, value, half length of the error bar, colour)
    for bars in ax.containers:
        x, y = bars.lines[0].get_data()
        half = [abs(seg[1][1] - seg[0][1]) / 2 for seg in bars.lines[2][0].get_segments()]
        points += [(float(a), float(b), round(c, 9), bars.lines[0].get_color())
                   for a, b, c in zip(x, y, half)]
    assert sorted(points) == [(5, 400, 40, "C0"), (5, 420, 60, "C1"), (20, 760, 70, "C1"),
                              (20, 800, 50, "C0")]
    assert len([ln for ln in ax.get_lines() if ln.get_linestyle() == "-"]) == 2


def test_axis_labels_of_parameters_and_data(own_problem):
    cp, _ = own_problem
    assert parameter_axis_label(cp, "kon_IFNA2_IFNAR2") == "log₁₀ kon_IFNA2_IFNAR2 (M⁻¹ s⁻¹)"
    assert parameter_axis_label(cp, "kint_complex") == "log₁₀ kint_complex (min⁻¹)"
    assert parameter_axis_label(cp, "scale_20190119") == \
        "log₁₀ scale of pSTAT1_total, experiment 20190119"
    assert data_axis_label(cp) == "pY701-STAT1 (MFI)"


def test_fit_of_a_problem_without_doses_orders_settings_numerically(exact_problem):
    """The example problem (A -> B, conditions A0 = 10 and A0 = 4, no replicateId, one
    observable parameter ``scale``): panels by A0 as numbers, series by readout only."""
    from jakstat_rules.calibrate.compiled import get_compiled
    from jakstat_rules.petab_io import ProblemPayload, load_problem

    cp = get_compiled(ProblemPayload.from_problem(load_problem(exact_problem)))
    fig = fit_figure(cp, np.array([cp.parameters.nominal_all[i] for i in cp.estimated_ids]))
    assert [ax.get_title() for ax in fig.axes if ax.axison] == ["A0 = 4", "A0 = 10"]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        "A", "B", "model", "data ± noise SD"]
    assert fig._supylabel.get_text() == "A (molecules per cell) / B (a.u.)"
