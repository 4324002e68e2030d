"""Combination scores on analytic response surfaces, and the command against direct simulations."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jakstat_rules.cli import main
from jakstat_rules.combination import bliss_excess, excess_scores, hsa_excess, loewe_excess
from jakstat_rules.errors import JakstatInputError

A = np.array([0, 1, 3, 10, 30, 100.0])
B = np.array([0, 2, 5, 20, 50.0])


def hill(d, k, h=1.0, top=0.9):
    return top * d ** h / (d ** h + k ** h)


def test_bliss_zero_for_independent_pair():
    ea, eb = hill(A, 10, 1.3)[:, None], hill(B, 8, 0.8, 0.7)[None, :]
    effect = 1 - (1 - ea) * (1 - eb)
    assert np.max(np.abs(excess_scores(A, B, effect)["bliss_excess"])) < 1e-15
    # a synergistic surface (more than independent) scores positive off the axes
    synergy = np.minimum(1.0, effect * 1.2)
    synergy[0, :], synergy[:, 0] = effect[0, :], effect[:, 0]
    assert np.all(bliss_excess(synergy, ea, eb)[1:, 1:] > 0)


def test_hsa_zero_for_highest_single_agent_surface():
    ea, eb = hill(A, 10)[:, None], hill(B, 8)[None, :]
    assert np.max(np.abs(hsa_excess(np.maximum(ea, eb), ea, eb))) == 0.0


def test_loewe_zero_for_drug_with_itself():
    """Sham combination: E(a, b) = E(a + b). Exact for a linear curve (linear interpolation)."""
    d = np.linspace(0, 10, 11)
    effect = (d[:, None] + d[None, :]) / 20.0
    excess = loewe_excess(d, d, effect)
    inside = (d[:, None] + d[None, :] <= 10) & (d[:, None] > 0) & (d[None, :] > 0)
    assert np.all(np.isfinite(excess[inside]))
    assert np.max(np.abs(excess[inside])) < 1e-12
    # a Hill curve on a fine grid: interpolation error only
    d = np.linspace(0, 20, 41)
    fine = loewe_excess(d, d, hill(d[:, None] + d[None, :], 10))
    assert np.isfinite(fine).sum() > 300 and np.nanmax(np.abs(fine)) < 2e-3
    # Bliss is not the Loewe null: the sham combination of a Hill (h = 1) drug is Bliss-antagonistic
    sham = hill(A[:, None] + A[None, :], 10)
    assert np.all(excess_scores(A, A, sham)["bliss_excess"][1:, 1:] < 0)


def test_scores_need_dose_zero():
    with pytest.raises(JakstatInputError, match="dose 0"):
        excess_scores([1, 2], [0, 1], np.zeros((2, 2)))


@pytest.mark.slow
def test_command_matches_direct_simulations(tmp_path, capsys):
    from jakstat_rules.simulate import get_simulator

    argv = ["combination", "ruxolitinib_nM=300,30", "tofacitinib_nM=100", "--set", "IFNb_pM=100",
            "--time", "120", "--points", "25", "--out", str(tmp_path)]
    assert main(argv) == 0
    table = pd.read_csv(tmp_path / "combination_ruxolitinib_nM_x_tofacitinib_nM__IFNb_pM-100.csv")
    assert table["ruxolitinib_nM"].tolist() == [0, 0, 30, 30, 300, 300]   # 0 added, numerical order
    assert (tmp_path / "combination_ruxolitinib_nM_x_tofacitinib_nM__IFNb_pM-100.png").stat().st_size > 0
    sim = get_simulator()
    times = np.linspace(0, 120, 25)
    control = sim.run({"IFNb_pM": 100}, times, ["pSTAT1_total"])["pSTAT1_total"].iloc[-1]
    for rux, tofa in [(30, 100), (300, 0)]:
        direct = sim.run({"IFNb_pM": 100, "ruxolitinib_nM": rux, "tofacitinib_nM": tofa}, times,
                         ["pSTAT1_total"])["pSTAT1_total"].iloc[-1]
        row = table[(table.ruxolitinib_nM == rux) & (table.tofacitinib_nM == tofa)].iloc[0]
        assert row["value"] == pytest.approx(direct, rel=1e-9)
        assert row["effect"] == pytest.approx(1 - direct / control, rel=1e-9, abs=1e-12)
    # bad input: one line, exit 2
    assert main(["combination", "ruxolitinib_nM=-1", "IR_Gy=2", "--out", str(tmp_path)]) == 2
    assert "ruxolitinib_nM=-1" in capsys.readouterr().err
    assert main(["combination", "IR_Gy=2", "IR_Gy=5", "--out", str(tmp_path)]) == 2
