"""Units of the tidy tables: input columns ``<input>_<unit>`` and their conversion to
the model's units (pM, nM, Gy), time columns and molar masses."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

from jakstat_rules.errors import JakstatInputError, checked_number
from jakstat_rules.interface import INPUTS

__all__ = ["MOLAR_MASSES", "InputColumn"]

#: Molar masses (g/mol) used to convert mass concentrations (ng/mL, ...).
#: Interferons: average mass of the recombinant human polypeptide (DrugBank:
#: IFN alfa-2a DB00034, IFN beta-1a DB00060 - 22.5 kDa when glycosylated -,
#: IFN gamma-1b DB00033; one IFN-gamma chain, as one IFNG unit of the model);
#: IL-6: the mature human chain (UniProt P05231 residues 30-212, 183 amino
#: acids), 20.9 kDa unglycosylated as recombinant IL-6 is sold.
#: Drugs: free base (PubChem; salts weigh more).  Mouse or other preparations
#: differ: give the vendor's value with ``--molar-mass NAME=G_PER_MOL``.
MOLAR_MASSES: dict[str, float] = {
    "IFNa": 19241.1,
    "IFNb": 20027.0,
    "IFNg": 17145.6,
    "IL6": 20900.0,
    "ruxolitinib": 306.37,
    "tofacitinib": 312.37,
}

_LABELS = {"IFNa": "IFN-alpha", "IFNb": "IFN-beta", "IFNg": "IFN-gamma", "IL6": "IL-6",
           "ruxolitinib": "ruxolitinib", "tofacitinib": "tofacitinib", "IR": "radiation"}
# molar units: power of ten of one unit in mol/L
_MOLAR = {"fM": -15, "pM": -12, "nM": -9, "uM": -6, "µM": -6, "μM": -6, "mM": -3, "M": 0}
# mass units: power of ten of one unit in g/L
_MASS = {"pg/mL": -9, "ng/mL": -6, "ug/mL": -3, "µg/mL": -3, "μg/mL": -3, "mg/mL": 0,
         "ng/L": -9, "ug/L": -6, "µg/L": -6, "μg/L": -6, "mg/L": -3}
_RADIATION = {"Gy": 1.0, "cGy": 0.01}
_TIME_COLUMNS = {"time_min": "min", "time_h": "h", "time_s": "s"}
_WIDE_TIME = re.compile(r"^(?:(?P<sd>sd)[ _]?)?(?P<t>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)[ _]?"
                        r"(?P<u>s|min|h)$", re.IGNORECASE)
_ID = re.compile(r"^[A-Za-z0-9_]+$")
_UNITS_HELP = ("molar (fM, pM, nM, uM, mM, M), mass (pg/mL, ng/mL, ug/mL, mg/mL, ng/L, "
               "ug/L, mg/L; also written ng_per_mL) or, for IR, Gy or cGy")


def _minutes(value: float, unit: str) -> float:
    if unit == "min":
        return value
    if unit == "h":
        return value * 60.0
    return value / 60.0


# ----------------------------------------------------------------------------- columns
@dataclass(frozen=True)
class InputColumn:
    """An input column of a table and how its values become model inputs.

    Attributes
    ----------
    name
        The column header, e.g. ``IFNb_ng/mL``.
    base
        ``IFNa``, ``IFNb``, ``IFNg``, ``ruxolitinib``, ``tofacitinib`` or ``IR``.
    input_id
        The model input it sets (``IFNb_pM``).
    unit
        The column's unit as displayed (``ng/mL``).
    factor
        Model units per column unit (molar and radiation units).
    molar_mass
        g/mol for mass units (else None).
    """

    name: str
    base: str
    input_id: str
    unit: str
    factor: float | None
    molar_mass: float | None = None

    def convert(self, value: float) -> float:
        """Column value -> model units."""
        if self.molar_mass is None:
            return value * self.factor
        molar = value * 10.0 ** _MASS[self.unit] / self.molar_mass  # mol/L
        return molar * 10.0 ** -_MOLAR[INPUTS[self.input_id]]


_BASES = {pid.rsplit("_", 1)[0]: pid for pid in INPUTS}


def _input_column(name: str, molar_masses: Mapping[str, float]) -> InputColumn | None:
    """The input column ``name`` (None if ``name`` names no input).

    Raises
    ------
    JakstatInputError
        For a known input with an unknown unit (the message is completed by the caller).
    """
    base, sep, unit = name.partition("_")
    if not sep or base not in _BASES:
        return None
    unit = unit.replace("_per_", "/")
    input_id = _BASES[base]
    model_unit = INPUTS[input_id]
    if model_unit == "Gy":
        if unit in _RADIATION:
            return InputColumn(name, base, input_id, unit, _RADIATION[unit] / _RADIATION[model_unit])
        raise JakstatInputError(f"unit {unit!r} of input column {name!r} unknown; expected "
                                f"{base}_Gy or {base}_cGy")
    if unit in _MOLAR:
        exponent = _MOLAR[unit] - _MOLAR[model_unit]
        return InputColumn(name, base, input_id, unit, 10.0 ** exponent)
    if unit in _MASS:
        return InputColumn(name, base, input_id, unit, None, float(molar_masses[base]))
    raise JakstatInputError(
        f"unit {unit!r} of input column {name!r} unknown; expected {_UNITS_HELP} "
        f"(activity units such as U/mL cannot be converted: give a mass or molar concentration)")



def _molar_masses(overrides: Mapping[str, float] | None) -> dict[str, float]:
    masses = dict(MOLAR_MASSES)
    for key, value in (overrides or {}).items():
        if key not in masses:
            raise JakstatInputError(f"--molar-mass {key}: unknown input; expected one of "
                                    f"{sorted(masses)}")
        masses[key] = checked_number(value, f"--molar-mass {key}={value!r}: expected a "
                                            f"positive number of g/mol", low=0.0,
                                     low_included=False)
    return masses
