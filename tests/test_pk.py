"""One-compartment oral PK (jakstat_rules.pk) against the Bateman function and published values."""
from __future__ import annotations

import math

import numpy as np
import pytest

from jakstat_rules.errors import JakstatInputError
from jakstat_rules.pk import DRUG_PK, OralPK, drug_of_dose, get_pk


def bateman_nM(pk: OralPK, doses, t):
    """Closed-form superposition: F D/(M V) ka/(ka-ke) (exp(-ke s) - exp(-ka s)), s = t - t_dose >= 0."""
    ka, ke = pk.ka_per_h / 60, math.log(2) / (pk.t_half_h * 60)
    out = np.zeros_like(t, dtype=float)
    for t0, mg in doses:
        s = np.clip(t - t0, 0, None)
        c0 = pk.bioavailability * mg * 1e6 / pk.molar_mass / pk.volume_L
        out += np.where(t >= t0, c0 * ka / (ka - ke) * (np.exp(-ke * s) - np.exp(-ka * s)), 0.0)
    return out


@pytest.mark.parametrize("drug", sorted(DRUG_PK))
def test_superposition_equals_bateman(drug):
    pk = get_pk(drug)
    doses = [(720.0 * k, 20.0) for k in range(6)]
    t = np.linspace(0, 4320, 1441)
    ref = bateman_nM(pk, doses, t)
    assert np.max(np.abs(pk.total_nM(doses, t) - ref)) <= 1e-9 * ref.max()
    assert np.allclose(pk.free_nM(doses, t), pk.fraction_unbound * ref, rtol=1e-9, atol=1e-12)


def test_equal_rate_constants_limit():
    """ka = ke: C = F D/(M V) k t exp(-k t), where the Bateman formula divides by zero."""
    k_h = math.log(2) / 3.0
    pk = OralPK("x", 300.0, 1.0, k_h, 3.0, 50.0, 1.0)
    t = np.linspace(0, 1440, 50)
    c0 = 10 * 1e6 / 300 / 50
    k = k_h / 60
    assert np.allclose(pk.total_nM([(0.0, 10.0)], t), c0 * k * t * np.exp(-k * t), rtol=1e-9)


@pytest.mark.parametrize("drug", sorted(DRUG_PK))
def test_peak_about_one_hour_and_half_life(drug):
    """Labels: peak about 1 h after a dose; terminal half-life ~3 h (rux), ~3.2 h (tofa)."""
    pk = get_pk(drug)
    t = np.linspace(0, 1440, 14401)
    c = pk.total_nM([(0.0, 10.0)], t)
    assert abs(t[np.argmax(c)] - 60.0) < 1.5
    late = (t >= 900) & (t <= 1400)
    slope = np.polyfit(t[late], np.log(c[late]), 1)[0]
    assert abs(math.log(2) / -slope / 60 - {"ruxolitinib": 3.0, "tofacitinib": 3.2}[drug]) < 0.01


def test_ruxolitinib_cmax_matches_label():
    """Jakafi label 12.3: Cmax 205 nM after 5 mg to 7100 nM after 200 mg (dose-proportional)."""
    pk = get_pk("ruxolitinib")
    t = np.linspace(0, 600, 6001)
    for mg, published in [(5, 205.0), (200, 7100.0)]:
        assert pk.total_nM([(0.0, mg)], t).max() == pytest.approx(published, rel=0.25)


def test_unknown_drug_and_dose_targets():
    with pytest.raises(JakstatInputError, match="baricitinib"):
        get_pk("baricitinib")
    assert drug_of_dose("ruxolitinib_oral_mg") == "ruxolitinib"
    assert drug_of_dose("ruxolitinib_nM") is None
