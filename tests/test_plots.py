"""Figures and the dose-response summary."""
import pandas as pd
import pytest

from jakstat_rules.errors import JakstatInputError
from jakstat_rules.plots import dose_summary, plot_dose_response, plot_time_course


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
