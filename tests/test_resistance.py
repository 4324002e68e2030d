"""Resistance variants: JAK2 G935R (ruxolitinib-resistant JAK2) and the autocrine IL-6 loop.

Every test simulates the exported SBML with the project's engine.  The
references are independent of the simulator: the occupancy formula
evaluated here from the registry's values, the exact IC50 ratio that
follows from it when JAK2 is the only drug-sensitive kinase, the bounds it
puts on the IC50 shift when JAK1 is inhibited too, and the default model
(an independent build and network) for readouts the variants must not change.
"""
import re
from pathlib import Path

import numpy as np
import pytest

from jakstat_rules.conditions import CONDITIONS, Schedule, SchedulePeriod
from jakstat_rules.interface import VARIANTS
from jakstat_rules.model.parameters import PARAMETERS
from jakstat_rules.schedules import simulate_schedule
from jakstat_rules.simulate import Simulator, get_simulator

ROOT = Path(__file__).resolve().parents[1]
FOLD = PARAMETERS["fold_IC50_ruxolitinib_JAK2_G935R"].value
IFNG = {"IFNg_pM": 100.0}          # IFNGR1:JAK1 / IFNGR2:JAK2
IFNA = {"IFNa_pM": 1000.0}         # IFNAR1:TYK2 / IFNAR2:JAK1
T_READ = 30.0                      # min: near the pSTAT1 peak of both
#: JAK1 made insensitive to ruxolitinib (an IC50 of 1 kg/L, far above any dose used here)
JAK1_INSENSITIVE = {"IC50_ruxolitinib_JAK1": 1e15}


def _kapp(kinase: str, fold: float = 1.0) -> float:
    """Cheng-Prusoff Kapp (nM) of ruxolitinib for a kinase, from the registry."""
    ic50 = PARAMETERS[f"IC50_ruxolitinib_{kinase}"].value
    return ic50 / 2 * (1 + PARAMETERS["ATP_cell_over_Km"].value) * fold


@pytest.fixture(scope="module")
def wt():
    return get_simulator("default")


@pytest.fixture(scope="module")
def g935r():
    return get_simulator("jak2_g935r")


def test_g935r_changes_only_jak2_occupancy_by_the_fold(wt, g935r):
    """Free fractions in the compiled models equal 1/(1 + rux/Kapp) with JAK2's Kapp times the
    fold change in the mutant and every other kinase's as in the wild type."""
    for rux in (10.0, 300.0, 5000.0):
        for sim, fold_jak2 in ((wt, 1.0), (g935r, FOLD)):
            sim.engine.start({"ruxolitinib_nM": rux})
            for kinase in ("JAK1", "JAK2", "TYK2"):
                expected = 1 / (1 + rux / _kapp(kinase, fold_jak2 if kinase == "JAK2" else 1.0))
                assert sim.engine.value(f"f_{kinase}_free") == pytest.approx(expected, rel=1e-12)


def test_g935r_is_the_default_model_without_ruxolitinib(wt, g935r):
    """Without the drug the mutant kinase works as the wild type: every readout is equal."""
    for condition in ("ifng_100pM", "ifnb_100pM", "il6_1nM", "ifnb_100pM_tofacitinib_1uM"):
        c = CONDITIONS[condition]
        a, b = wt.run(c.inputs, c.times), g935r.run(c.inputs, c.times)
        for r in wt.readouts:
            assert np.max(np.abs(a[r] - b[r])) <= 1e-8 * max(np.ptp(a[r]), 1.0), (condition, r)


def test_g935r_raises_the_ifn_gamma_ic50_by_exactly_the_fold_when_jak2_is_the_only_target():
    """With JAK1 insensitive the IFN-gamma response depends on ruxolitinib only through JAK2's
    free fraction 1/(1 + rux/Kapp); multiplying Kapp by the fold multiplies the IC50 by it."""
    wt = Simulator("default", overrides=JAK1_INSENSITIVE)
    mut = Simulator("jak2_g935r", overrides=JAK1_INSENSITIVE)
    ic50_wt = wt.ic50("ruxolitinib_nM", "pSTAT1_total", T_READ, IFNG)
    ic50_mut = mut.ic50("ruxolitinib_nM", "pSTAT1_total", T_READ, IFNG)
    assert ic50_mut / ic50_wt == pytest.approx(FOLD, rel=1e-5)


def test_g935r_shifts_the_ifn_gamma_ic50_up_and_leaves_the_ifn_alpha_ic50_unchanged(wt, g935r):
    """Weigert 2012, Deshpande 2012: G935R makes JAK2 signalling resistant to ruxolitinib.

    IFN-gamma needs JAK1 and JAK2: the response at dose d is R(fJAK1(d), fJAK2(d)), rising in
    both free fractions; the mutant's fJAK2(d) is the wild type's fJAK2(d / fold), so its IC50 lies
    between the wild type's and fold times it (JAK1 stays inhibited).  IFN-alpha uses JAK1 and
    TYK2, no JAK2: its IC50 is unchanged."""
    g_wt = wt.ic50("ruxolitinib_nM", "pSTAT1_total", T_READ, IFNG)
    g_mut = g935r.ic50("ruxolitinib_nM", "pSTAT1_total", T_READ, IFNG)
    assert 1.5 * g_wt < g_mut < FOLD * g_wt, (g_wt, g_mut)
    a_wt = wt.ic50("ruxolitinib_nM", "pSTAT1_total", T_READ, IFNA)
    a_mut = g935r.ic50("ruxolitinib_nM", "pSTAT1_total", T_READ, IFNA)
    assert a_mut == pytest.approx(a_wt, rel=1e-6)
    # the package's IC50 is where the dose response crosses half of the control
    for sim, ic50 in ((wt, g_wt), (g935r, g_mut)):
        table = sim.dose_response("ruxolitinib_nM", [0.0, ic50 / 1.1, ic50, ic50 * 1.1], [0.0, T_READ],
                                  ["pSTAT1_total"], IFNG)
        frac = table[table.time == T_READ].pSTAT1_total.to_numpy()
        frac = frac / frac[0]
        assert frac[1] > 0.5 > frac[3] and frac[2] == pytest.approx(0.5, abs=1e-6)


# ----------------------------------------------------------------------------- autocrine IL-6
T = np.arange(0.0, 24 * 60 + 1, 30.0)


def _pulse(variant: str, ruxolitinib: float | None = None) -> Schedule:
    """IL-6 1 nM for 30 min, then washed out (with ruxolitinib from 60 min when given)."""
    periods = [SchedulePeriod(0.0, {"IL6_pM": 1000.0}), SchedulePeriod(30.0, {"IL6_pM": 0.0})]
    if ruxolitinib is not None:
        periods.append(SchedulePeriod(60.0, {"ruxolitinib_nM": ruxolitinib}))
    return Schedule(f"il6_pulse_{variant}", tuple(periods), variant=variant, t_end=T[-1], n_points=len(T))


@pytest.fixture(scope="module")
def pulses():
    out = {}
    for variant in ("default", "il6_autocrine"):
        for rux in (None, 1000.0):
            out[variant, rux] = simulate_schedule(_pulse(variant, rux), ["pSTAT3_total", "pSTAT1_total"],
                                                  times=T, simulator=get_simulator(variant)).set_index("time")
    return out


def test_autocrine_loop_sustains_pstat3_after_an_il6_pulse(pulses):
    """Grivennikov & Karin 2008, Chang 2013: secreted IL-6 keeps STAT3 active.  Without the loop
    pSTAT3 returns to rest within a day of a washed-out IL-6 pulse; with it, it stays up."""
    off, on = pulses["default", None].pSTAT3_total, pulses["il6_autocrine", None].pSTAT3_total
    peak = off.max()
    assert on.max() == pytest.approx(peak, rel=1e-3)        # the pulse itself is the same
    assert off[1440] < 1e-3 * peak
    for t in (480, 720, 1440):
        assert on[t] > 0.05 * peak and on[t] > 4 * off[t], t


def test_ruxolitinib_breaks_the_autocrine_loop(pulses):
    """Lee 2014: JAK inhibition ends IL-6/STAT3 feedback.  Ruxolitinib 1 uM from 60 min lowers the
    late pSTAT3 of the loop far below its level without the drug."""
    on, treated = pulses["il6_autocrine", None].pSTAT3_total, pulses["il6_autocrine", 1000.0].pSTAT3_total
    for t in (480, 720, 1440):
        assert treated[t] < 0.25 * on[t], t


def test_autocrine_loop_is_silent_without_stat3_activity():
    """The loop has no basal IL6 transcription: at rest and under IFN-beta (which activates no
    STAT3) every readout equals the default model's (both integrated at rtol = atol = 1e-10,
    so that 1e-8 of the range measures the models, not the integrator)."""
    default, loop = (Simulator(v, rtol=1e-10, atol=1e-10) for v in ("default", "il6_autocrine"))
    for condition in ("rest", "ifnb_100pM"):
        c = CONDITIONS[condition]
        a, b = default.run(c.inputs, c.times), loop.run(c.inputs, c.times)
        for r in default.readouts:
            assert np.max(np.abs(a[r] - b[r])) <= 1e-8 * max(np.ptp(a[r]), 1.0), (condition, r)


# ----------------------------------------------------------------------------- docs
def test_cancer_doc_lists_the_resistance_variants():
    """docs/cancer.md's table of resistance mechanisms names model variants that exist, among them
    the regulator losses and the two resistance variants."""
    text = (ROOT / "docs" / "cancer.md").read_text(encoding="utf-8")
    section = text.split("## Resistance mechanisms", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `(\w+)` \|", section, flags=re.M))
    assert listed <= set(VARIANTS)
    assert {"socs1_loss", "socs3_loss", "jak2_g935r", "il6_autocrine"} <= listed
