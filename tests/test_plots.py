"""Figures and the dose-response summary."""
import pandas as pd
import pytest

from jakstat_rules.errors import JakstatInputError
from jakstat_rules.plots import (dose_response_figure, dose_summary, plot_dose_response,
                                 plot_time_course, time_course_figure)


def _table():
    # two doses, hand-made time courses: peak 5 at t=10 then 1; peak 9 at t=20
    rows = [("IFNb_pM", 1.0, t, v) for t, v in [(0, 0), (10, 5), (20, 3), (30, 1)]]
    rows += [("IFNb_pM", 10.0, t, v) for t, v in [(0, 0), (10, 4), (20, 9), (30, 7)]]
    return pd.DataFrame(rows, columns=["input", "dose", "time", "pSTAT1_total"])


def test_dose_summary_takes_peak_time_of_peak_and_final_value():
    summary = dose_summary(_table())
    assert summary.to_dict("list") == {"dose": [1.0, 10.0], "peak": [5, 9], "t_peak": [10, 20],
                                       "final": [1, 7]}


def test_figures_are_written_as_png(tmp_path):
    course = _table()[lambda d: d.dose == 1.0].drop(columns=["input", "dose"])
    a = plot_time_course(course, tmp_path / "course.png", title="t")
    b = plot_dose_response(_table(), tmp_path / "dose.png")
    for path in (a, b):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000
    with pytest.raises(JakstatInputError, match="is a folder"):
        plot_time_course(course, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["course.png", "dose.png"]


def test_dose_response_legend_in_numeric_dose_order_with_units():
    # doses arrive in the order 10000, 100, 20, 1000 (as a text sort or a scan might give)
    rows = [("IFNb_pM", d, t, d * t) for d in (10000.0, 100.0, 20.0, 1000.0000000000001)
            for t in (0, 10, 20)]
    table = pd.DataFrame(rows, columns=["input", "dose", "time", "pSTAT1_total"])
    fig = dose_response_figure(table)
    courses, summary = fig.axes
    assert [t.get_text() for t in courses.get_legend().get_texts()] == [
        "IFN-β 20 pM", "IFN-β 100 pM", "IFN-β 1000 pM", "IFN-β 10000 pM"]
    # the lines are drawn in that order too: their final values rise with the dose
    assert [line.get_ydata()[-1] for line in courses.get_lines()] == pytest.approx(
        [400, 2000, 20000, 200000])
    assert courses.get_xlabel() == "time (min)"
    assert courses.get_ylabel() == summary.get_ylabel() == "pY701-STAT1 (molecules per cell)"
    assert summary.get_xlabel() == "IFN-β (pM)"
    assert list(summary.get_lines()[0].get_xdata()) == [20, 100, 1000.0000000000001, 10000]


def test_time_course_panels_name_the_readouts_and_their_units():
    table = pd.DataFrame({"time": [0, 30, 60], "pSTAT1_total": [0, 5, 2],
                          "IFNb_medium_pM": [10, 8, 6]})
    fig = time_course_figure(table, readouts=["pSTAT1_total", "IFNb_medium_pM"])
    shown = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    assert [(ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) for ax in shown] == [
        ("pY701-STAT1", "time (min)", "molecules per cell"),
        ("IFN-β in the medium", "time (min)", "pM")]


def test_time_course_draws_a_band_and_names_it():
    """Columns <readout>_lower/_upper (jakstat simulate --profiles) are shaded, not panels,
    and the legend names the band."""
    import pandas as pd

    from jakstat_rules.plots import BAND_LABEL, time_course_figure

    t = [0.0, 10.0, 20.0]
    table = pd.DataFrame({"time": t, "pSTAT1_total": [0, 5, 4], "pSTAT1_total_lower": [0, 4, 3],
                          "pSTAT1_total_upper": [0, 6, 5]})
    fig = time_course_figure(table)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["pY701-STAT1"]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [BAND_LABEL]
    assert len(fig.axes[0].collections) == 1  # the shaded band
