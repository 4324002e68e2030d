"""Units of the exported SBML model: the model's time, substance and volume units,
the nominal compartment, and one unit definition per distinct parameter unit, each
declared unit checked against what its formula gives (:mod:`.units`)."""
from __future__ import annotations

import re

import libsbml
from pysb import Expression, Model

from . import units as U
from .annotation import set_notes
from .errors import SBMLExportError

__all__ = ["TIME_UNITS", "SUBSTANCE_UNITS", "VOLUME_UNITS", "component_units",
           "compartment_and_model_units", "UnitRegistry"]

#: Model time, substance/extent and volume units (ids of unit definitions).
TIME_UNITS, SUBSTANCE_UNITS, VOLUME_UNITS = "min", "molecule", "pL"
#: Length and area units: unused by the model, declared so no tool has to guess them.
LENGTH_UNITS, AREA_UNITS = "metre", "um2"

#: SBO term of the compartment: physical compartment.  Not 410 (implicit
#: compartment): libAntimony drops a compartment carrying 410 and puts the
#: species into its own default compartment.
COMPARTMENT_SBO = 290


# ----------------------------------------------------------------------------- units
def component_units(model: Model) -> dict[str, tuple[U.Unit, str | None]]:
    """Unit of every parameter, expression and observable.

    Returns name -> (unit, unit string or None when inferred).

    Raises
    ------
    SBMLExportError
        For a parameter without a registry unit, an expression whose unit
        cannot be inferred, or one whose formula disagrees with its declared unit.
    """
    prov = getattr(model, "jakstat_provenance", {})
    out: dict[str, tuple[U.Unit, str | None]] = {}
    for p in model.parameters:
        text = prov[p.name].unit if p.name in prov else None
        if text is None:
            raise SBMLExportError(f"parameter {p.name!r} has no unit in model.jakstat_provenance; "
                                  "expected a registry entry with a unit string")
        out[p.name] = (U.parse(text)[0], text)
    molecule = U.parse("molecule")[0]
    for o in model.observables:
        out[o.name] = (molecule, "molecule")

    def unit_of(sym):
        name = getattr(sym, "name", str(sym))
        if name in out:
            return out[name][0]
        if name == "time":
            return U.parse("min")[0]
        if isinstance(sym, Expression):
            return infer_expression(sym)
        raise SBMLExportError(f"symbol {name!r} has no unit")

    def infer_expression(ex: Expression) -> U.Unit:
        if ex.name in out:
            return out[ex.name][0]
        inferred = U.infer(ex.expr, unit_of, f"expression {ex.name!r}")
        if ex.name in prov:
            text = prov[ex.name].unit
            declared = U.parse(text)[0]
            if declared != inferred:
                raise SBMLExportError(
                    f"expression {ex.name!r} is declared in {text!r} but its formula {ex.expr} "
                    f"gives {U.show(inferred)}")
            out[ex.name] = (declared, text)
        else:
            out[ex.name] = (inferred, None)
        return out[ex.name][0]

    for ex in model.expressions:
        infer_expression(ex)
    return out


def compartment_and_model_units(sm: libsbml.Model) -> None:
    for text in (TIME_UNITS, SUBSTANCE_UNITS, VOLUME_UNITS):
        U.add_unit_definition(sm, U.unit_id(text), U.parse(text)[1], text)
    U.add_unit_definition(sm, AREA_UNITS, [("metre", 2, -6, 1)], "um^2")
    sm.setLengthUnits(LENGTH_UNITS)
    sm.setAreaUnits(AREA_UNITS)
    sm.setTimeUnits(TIME_UNITS)
    sm.setSubstanceUnits(SUBSTANCE_UNITS)
    sm.setExtentUnits(SUBSTANCE_UNITS)
    sm.setVolumeUnits(VOLUME_UNITS)
    c = sm.getCompartment("cell")
    c.setName("cell")
    c.setSize(1.0)
    c.setUnits(VOLUME_UNITS)
    c.setSBOTerm(COMPARTMENT_SBO)
    set_notes(c, "Nominal compartment of size 1 pL.  Every species is an amount in molecules per "
                  "cell (hasOnlySubstanceUnits), so the size enters no rate law; cytoplasm, nucleus, "
                  "membrane and medium are sites of the molecules (loc=...), not compartments.")


class UnitRegistry:
    """Unit definitions of a model, one per distinct unit, with readable ids."""

    def __init__(self, sm: libsbml.Model):
        self.sm = sm
        self.by_unit: dict[U.Unit, str] = {}
        for text in (TIME_UNITS, SUBSTANCE_UNITS, VOLUME_UNITS):
            self.by_unit[U.parse(text)[0]] = U.unit_id(text)
        self.by_unit[U.DIMENSIONLESS] = "dimensionless"

    def uid(self, unit: U.Unit, text: str | None) -> str:
        if unit in self.by_unit:
            return self.by_unit[unit]
        if text is not None:
            uid, parts, name = U.unit_id(text), U.parse(text)[1], text
        else:
            uid = "u_" + re.sub(r"[^A-Za-z0-9_]", "_", U.show(unit).replace("^-", "_minus_"))
            uid = re.sub(r"_+", "_", uid).strip("_")
            parts, name = U.parts_of(unit), U.show(unit)
        base, n = uid, 2
        while self.sm.getUnitDefinition(uid) is not None:
            uid, n = f"{base}_{n}", n + 1
        U.add_unit_definition(self.sm, uid, parts, name)
        self.by_unit[unit] = uid
        return uid
