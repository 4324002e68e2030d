"""Therapy schedules: file format, radiation fractions, washout, oral twice-daily dosing."""
from __future__ import annotations

import math

import numpy as np
import pytest

from jakstat_rules.cli import main
from jakstat_rules.conditions import SCHEDULES, Schedule, SchedulePeriod, _merged, repeated
from jakstat_rules.errors import JakstatInputError
from jakstat_rules.pk import get_pk
from jakstat_rules.schedules import read_schedule, simulate_schedule


def _file(tmp_path, text):
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_file_format(tmp_path):
    s = read_schedule(_file(tmp_path, """
id: demo
t_end: 2000
periods:
  - {time: 0, changes: {IFNb_pM: 100}}
  - {time: 0, every: 720, count: 3, changes: {ruxolitinib_oral_mg: 20}}
  - {time: 600, changes: {IFNb_pM: 0}}
"""))
    assert [p.time for p in s.periods] == [0, 600, 720, 1440]
    assert s.periods[0].changes == {"IFNb_pM": 100.0, "ruxolitinib_oral_mg": 20.0}
    assert set(SCHEDULES) >= {"ifnb_100pM_ruxolitinib_20mg_bid_3d", "radiation_5x2Gy",
                              "radiation_5x2Gy_ruxolitinib_20mg_bid"}


@pytest.mark.parametrize("text, match", [
    ("periods: [{time: 0, changes: {ruxolitinib_oral_mg: -20}}]", "ruxolitinib_oral_mg=-20"),
    ("periods: [{time: 0, changes: {ruxolitinib_oral_mg: .inf}}]",
     "ruxolitinib_oral_mg=inf is invalid: expected mg > 0 and <= 1000"),
    ("periods: [{time: true, changes: {IR_Gy: 2}}]", "time True is invalid: expected a finite"),
    ("periods: [{time: 0, changes: {aspirin_mg: 1}}]", "aspirin_mg"),
    ("periods: [{time: -5, changes: {IR_Gy: 2}}]", "time -5"),
    ("periods: [{time: 0, changes: {IR_Gy: 2}}, {time: 0, changes: {IR_Gy: 1}}]", "changed twice"),
    ("periods: [{time: 0, every: 60, count: 0, changes: {IR_Gy: 2}}]", "'count' 0"),
    ("periods: {time: 0", "not valid YAML"),
    ("id: x", "'periods' is missing"),
    ("t_end: 10\nperiods: [{time: 60, changes: {IR_Gy: 2}}]", "after t_end"),
])
def test_bad_files(tmp_path, capsys, text, match):
    path = _file(tmp_path, text)
    with pytest.raises(JakstatInputError, match=match):
        read_schedule(path)
    assert main(["simulate", "--schedule", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("jakstat: error:") and len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_radiation_fractions_add_breaks():
    """DSB decays first-order (repair + micronucleus formation): two 2 Gy fractions give
    70 e^{-k t} + 70 e^{-k (t - 300)} breaks (35 per Gy, Rothkamm 2003)."""
    from jakstat_rules.simulate import Simulator, get_simulator

    sim = Simulator(prune=False)  # the whole network's engine holds the state read below
    s = Schedule("two", (SchedulePeriod(0.0, {"IR_Gy": 2.0}), SchedulePeriod(300.0, {"IR_Gy": 2.0})),
                 t_end=500.0, n_points=11)
    simulate_schedule(s, ["pSTAT1_total"], simulator=sim)
    k = sim.engine.value("krep_DSB") + sim.engine.value("kMN_DSB")
    per_gy = sim.engine.value("DSB_per_Gy")
    expected = 2 * per_gy * (math.exp(-k * 500) + math.exp(-k * 200))
    assert sim.engine.value("DSB") == pytest.approx(expected, rel=1e-6)
    # one fraction at 0 is the IR_Gy condition
    single = Schedule("one", (SchedulePeriod(0.0, {"IR_Gy": 2.0}),), t_end=500.0, n_points=11)
    sim = get_simulator()
    a = simulate_schedule(single, ["ISG_mRNA", "IFNb_medium_pM"], simulator=sim)
    b = sim.run({"IR_Gy": 2.0}, a["time"], ["ISG_mRNA", "IFNb_medium_pM"])
    assert np.allclose(a[["ISG_mRNA", "IFNb_medium_pM"]], b[["ISG_mRNA", "IFNb_medium_pM"]],
                       rtol=1e-9, atol=1e-12)


@pytest.mark.slow
def test_washout_sets_free_cytokine_to_zero():
    s = Schedule("wash", (SchedulePeriod(0.0, {"IFNb_pM": 100.0}), SchedulePeriod(120.0, {"IFNb_pM": 0.0})),
                 t_end=240.0, n_points=49)
    table = simulate_schedule(s, ["pSTAT1_total", "IFNb_medium_pM"])
    constant = simulate_schedule(Schedule("c", (SchedulePeriod(0.0, {"IFNb_pM": 100.0}),), t_end=240.0,
                                          n_points=49), ["pSTAT1_total", "IFNb_medium_pM"])
    before = table["time"] < 120
    assert np.allclose(table[before], constant[before], rtol=1e-9)
    after = table["time"] >= 120
    assert table.loc[after, "IFNb_medium_pM"].max() < 1e-6 * constant["IFNb_medium_pM"].max()
    assert table["pSTAT1_total"].iloc[-1] < constant["pSTAT1_total"].iloc[-1]


@pytest.mark.slow
def test_twice_daily_ruxolitinib_dips_and_recovers(tmp_path):
    """Under constant IFN-beta, pY701-STAT1 falls after every oral dose and recovers at the
    trough: after the first day's transient, each drug peak (about 1 h after a dose) is followed
    within 90 min by a pSTAT1 minimum, each trough (at the next dose) within 30 min by a maximum;
    without the drug pSTAT1 has no such extremes.  The free concentration the core integrates is
    the Bateman superposition (fu times it)."""
    s = Schedule("bid", _merged([SchedulePeriod(0.0, {"IFNb_pM": 100.0}),
                                 *repeated({"ruxolitinib_oral_mg": 20.0}, 720.0, 4)], "t"),
                 t_end=2880.0, n_points=289)
    table = simulate_schedule(s, ["pSTAT1_total"])
    t, y, c = (table[k].to_numpy() for k in ("time", "pSTAT1_total", "ruxolitinib_free_nM"))
    pk = get_pk("ruxolitinib")
    ka, ke = pk.ka, pk.ke
    c_ref = sum(np.where(t >= t0, pk.fraction_unbound * pk.bioavailability * 20e6 / pk.molar_mass
                         / pk.volume_L * ka / (ka - ke)
                         * (np.exp(-ke * (t - t0)) - np.exp(-ka * (t - t0))), 0.0)
                for t0 in (0, 720, 1440, 2160))
    assert np.max(np.abs(c - c_ref)) <= 1e-6 * c_ref.max()

    def extremes(v):
        inner = range(1, len(v) - 1)
        return ([t[i] for i in inner if v[i] > v[i - 1] and v[i] >= v[i + 1]],
                [t[i] for i in inner if v[i] < v[i - 1] and v[i] <= v[i + 1]])

    drug_peaks, drug_troughs = extremes(c)
    y_max, y_min = extremes(y)
    for peak in [p for p in drug_peaks if p >= 1440]:
        assert any(0 <= m - peak <= 90 for m in y_min), (peak, y_min)
    for trough in [p for p in drug_troughs if p >= 1440]:
        assert any(0 <= m - trough <= 30 for m in y_max), (trough, y_max)
    day2 = (t >= 1440) & (t <= 1680)
    assert y[day2].max() - y[day2].min() > 0.005 * y[day2].max()   # a dip far above solver noise
    no_drug = simulate_schedule(Schedule("ifn", (SchedulePeriod(0.0, {"IFNb_pM": 100.0}),),
                                         t_end=2880.0, n_points=289), ["pSTAT1_total"])
    late = no_drug["time"] >= 1440
    assert not any(tt >= 1440 for tt in sum(extremes(no_drug["pSTAT1_total"].to_numpy()), []))
    assert late.any()


@pytest.mark.slow
def test_oral_pk_is_in_the_equations_compiled_once():
    """A drug in the medium plus oral doses: the integrated free concentration is the medium
    level plus the closed-form PK; the PK model is compiled once and reused by the next run."""
    from jakstat_rules import engine
    from jakstat_rules.schedules import free_drug_columns, pk_simulator
    from jakstat_rules.simulate import get_simulator

    s = Schedule("medium_oral", (SchedulePeriod(0.0, {"IFNb_pM": 100.0, "ruxolitinib_nM": 50.0}),
                                 SchedulePeriod(30.0, {"ruxolitinib_oral_mg": 20.0}),
                                 SchedulePeriod(150.0, {"ruxolitinib_nM": 0.0}),
                                 SchedulePeriod(200.0, {"ruxolitinib_oral_mg": 10.0})),
                 t_end=360.0, n_points=37)
    first = simulate_schedule(s, ["pSTAT1_total"])
    compiled = engine.COMPILATIONS
    again = simulate_schedule(s, ["pSTAT1_total"])
    assert engine.COMPILATIONS == compiled
    sim = get_simulator()
    assert pk_simulator(sim, ["ruxolitinib"]) is pk_simulator(sim, ["ruxolitinib"])
    assert np.array_equal(first.to_numpy(), again.to_numpy())
    exact = free_drug_columns(s, first["time"])["ruxolitinib_free_nM"]
    assert np.max(np.abs(first["ruxolitinib_free_nM"] - exact)) <= 1e-6 * exact.max()
    assert first["ruxolitinib_free_nM"].iloc[2] == pytest.approx(50.0, rel=1e-12)  # before the dose
