"""Unit conversions written as model expressions from named constants.

Literature rate constants come in M^-1 s^-1 or s^-1; the model runs in
minutes and molecules per cell.  These helpers create the converted
constants as PySB expressions so the conversion stays visible in the model
and in its SBML export.
"""
from __future__ import annotations

from pysb import Expression

from .builder import Builder


def bimolecular(b: Builder, name: str, kon: str, volume: str) -> Expression:
    """Per-molecule-per-minute rate from ``kon`` [1/(M*s)] in ``volume`` [L].

    ``k = kon * s_per_min / (N_A * V)``.

    Examples
    --------
    >>> bimolecular(b, "kf_STAT1_dimer_cyt", "kf_pSTAT_dimer", "V_cyt")  # doctest: +SKIP
    """
    converted = b.parameter(kon) * b.parameter("s_per_min") / (b.parameter("N_A") * b.parameter(volume))
    return b.expression(name, converted, "1/(molecule*min)", f"{kon} converted with N_A and {volume}")


def per_minute(b: Builder, name: str, rate: str) -> Expression:
    """First-order rate in 1/min from ``rate`` [1/s]."""
    return b.expression(name, b.parameter(rate) * b.parameter("s_per_min"), "1/min",
                        f"{rate} converted to 1/min")


def per_molecule_minute(b: Builder, name: str, rate: str) -> Expression:
    """Per-molecule rate in 1/(molecule*min) from ``rate`` [1/(molecule*s)]."""
    return b.expression(name, b.parameter(rate) * b.parameter("s_per_min"), "1/(molecule*min)",
                        f"{rate} converted to 1/(molecule*min)")


def pM_to_molecules(b: Builder, name: str, conc: str) -> Expression:
    """Molecules per cell in the medium for a concentration ``conc`` [pM]."""
    amount = b.parameter(conc) * b.parameter("M_per_pM") * b.parameter("N_A") * b.parameter("V_medium")
    return b.expression(name, amount, "molecule",
                        f"{conc} converted to molecules per cell with N_A and V_medium")
