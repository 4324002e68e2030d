"""Oral pharmacokinetics of the JAK inhibitors: one compartment, first-order absorption.

An oral dose ``D`` (mg of free base) enters a gut depot; a fraction ``F``
(bioavailability) is absorbed into one well-stirred plasma compartment of
apparent volume ``V`` with rate constant ``ka`` and eliminated with
``ke = ln 2 / t_half``.  The total plasma concentration after one dose at
``t = 0`` is the Bateman function

    C(t) = F D / (M V) * ka / (ka - ke) * (exp(-ke t) - exp(-ka t)),

(``M``: molar mass), and doses superpose (the model is linear).  The free
(unbound) concentration ``fu * C(t)`` is what the cell's kinases see: it is
the ``<drug>_nM`` input of the model (:mod:`jakstat_rules.model.perturbations`
turns it into kinase occupancy from the published IC50s).

:class:`OralPK` propagates the depot and plasma amounts exactly from dose to
dose with the matrix exponential of the two-state linear system (also right
when ``ka = ke``, where the Bateman formula divides by zero); the tests
compare it with the Bateman superposition.

Parameters (:data:`DRUG_PK`), with sources
    Ruxolitinib (Jakafi prescribing information, Incyte 2023, section 12.3;
    Shi et al. 2011 J Clin Pharmacol 51:1644): bioavailability >= 95 %, peak
    plasma concentration about 1 h after a dose, elimination half-life about
    3 h, apparent volume of distribution 72 L (myelofibrosis patients),
    97 % bound to plasma proteins (fu = 0.03); molar mass of the free base
    C17H18N6 306.37 g/mol (tablet strengths are mg of free base).
    Tofacitinib (Xeljanz prescribing information, Pfizer 2022, section 12.3;
    Dowty et al. 2014 Drug Metab Dispos 42:759): absolute bioavailability
    74 %, peak about 1 h after a dose, half-life about 3.2 h, volume of
    distribution 87 L, about 40 % bound to plasma proteins (fu = 0.60);
    molar mass of the free base C16H20N6O 312.37 g/mol.
    Neither source reports ``ka`` directly as a one-compartment constant;
    it is derived from the reported time of the peak, ``t_max = ln(ka/ke) /
    (ka - ke)`` with ``t_max = 1 h``, which gives 2.68 /h (ruxolitinib) and
    2.76 /h (tofacitinib) (``tests/test_pk.py`` checks the peak time).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from .errors import JakstatInputError

__all__ = ["OralPK", "DRUG_PK", "get_pk", "DOSE_SUFFIX", "dose_input", "drug_of_dose"]

#: Suffix of the schedule target of an oral dose: ``ruxolitinib_oral_mg``.
DOSE_SUFFIX = "_oral_mg"


@dataclass(frozen=True)
class OralPK:
    """One-compartment oral pharmacokinetics of one drug.

    Attributes
    ----------
    drug
        Drug name (lower case, as in the model's ``<drug>_nM`` input).
    molar_mass
        Molar mass of the dosed free base (g/mol).
    bioavailability
        Fraction of an oral dose reaching plasma (dimensionless).
    ka_per_h
        First-order absorption rate constant (1/h).
    t_half_h
        Elimination half-life (h).
    volume_L
        Apparent volume of distribution (L).
    fraction_unbound
        Free fraction in plasma (dimensionless).
    source
        Where the numbers come from.
    """

    drug: str
    molar_mass: float
    bioavailability: float
    ka_per_h: float
    t_half_h: float
    volume_L: float
    fraction_unbound: float
    source: str = ""

    @property
    def ka(self) -> float:
        """Absorption rate constant (1/min)."""
        return self.ka_per_h / 60.0

    @property
    def ke(self) -> float:
        """Elimination rate constant ln 2 / t_half (1/min)."""
        return math.log(2.0) / (self.t_half_h * 60.0)

    def absorbed_nmol(self, mg: float) -> float:
        """Amount of an oral dose of ``mg`` milligrams that reaches plasma (nmol)."""
        return self.bioavailability * mg * 1e6 / self.molar_mass

    def total_nM(self, doses: Iterable[tuple[float, float]], times: Sequence[float]) -> np.ndarray:
        """Total plasma concentration (nM) at ``times`` (min) after ``doses``.

        Parameters
        ----------
        doses
            ``(time in min, mg)`` of every oral dose.
        times
            Output times (min), any order.

        Returns
        -------
        numpy.ndarray
            nM at every time; a dose given at a time counts from that time on.
        """
        from scipy.linalg import expm

        doses = sorted((float(t), float(mg)) for t, mg in doses)
        times = np.asarray(times, dtype=float)
        out = np.zeros(len(times))
        rates = np.array([[-self.ka, 0.0], [self.ka, -self.ke]])  # depot, plasma (nmol/min)
        order = np.argsort(times, kind="stable")
        state, t_state, k = np.zeros(2), -math.inf, 0
        for i in order:
            t = times[i]
            while k < len(doses) and doses[k][0] <= t:
                if math.isfinite(t_state):
                    state = expm(rates * (doses[k][0] - t_state)) @ state
                state = state + np.array([self.absorbed_nmol(doses[k][1]), 0.0])
                t_state, k = doses[k][0], k + 1
            if math.isfinite(t_state):
                out[i] = (expm(rates * (t - t_state)) @ state)[1] / self.volume_L
        return out

    def free_nM(self, doses: Iterable[tuple[float, float]], times: Sequence[float]) -> np.ndarray:
        """Free (unbound) plasma concentration (nM): ``fraction_unbound`` times :meth:`total_nM`."""
        return self.fraction_unbound * self.total_nM(doses, times)


#: Published oral pharmacokinetics by drug (see the module docstring for the sources).
DRUG_PK: dict[str, OralPK] = {
    "ruxolitinib": OralPK(
        "ruxolitinib", molar_mass=306.37, bioavailability=0.95, ka_per_h=2.68, t_half_h=3.0,
        volume_L=72.0, fraction_unbound=0.03,
        source="Jakafi label 2023 s12.3; Shi 2011 J Clin Pharmacol 51:1644 (ka from t_max 1 h)"),
    "tofacitinib": OralPK(
        "tofacitinib", molar_mass=312.37, bioavailability=0.74, ka_per_h=2.76, t_half_h=3.2,
        volume_L=87.0, fraction_unbound=0.60,
        source="Xeljanz label 2022 s12.3; Dowty 2014 Drug Metab Dispos 42:759 (ka from t_max 1 h)"),
}


def get_pk(drug: str) -> OralPK:
    """The :class:`OralPK` of a drug.

    Raises
    ------
    JakstatInputError
        For a drug without published oral pharmacokinetics here.
    """
    if drug not in DRUG_PK:
        raise JakstatInputError(f"no oral pharmacokinetics for {drug!r}: expected one of "
                                f"{sorted(DRUG_PK)}")
    return DRUG_PK[drug]


def dose_input(drug: str) -> str:
    """Schedule target of an oral dose of ``drug`` (``ruxolitinib_oral_mg``)."""
    return f"{drug}{DOSE_SUFFIX}"


def drug_of_dose(target: str) -> str | None:
    """The drug of an oral-dose target, or None for any other id."""
    if target.endswith(DOSE_SUFFIX) and target[: -len(DOSE_SUFFIX)] in DRUG_PK:
        return target[: -len(DOSE_SUFFIX)]
    return None
