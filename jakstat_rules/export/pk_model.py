"""The oral pharmacokinetics of the JAK inhibitors as SBML, added to a model's SBML.

:func:`pk_sbml` adds, per orally dosed drug, a gut and a plasma amount with
rate rules (one compartment, first-order absorption, :mod:`jakstat_rules.pk`),
their parameters with units and sources, and the free drug concentration
driving the model's drug input (``<drug>_nM``); the simulation core
integrates it (:func:`jakstat_rules.schedules.simulate_schedule`, doses
added between periods) and :func:`jakstat_rules.export.schedule.schedule_sbml`
adds the schedule's events to it.
"""
from __future__ import annotations

from ..errors import JakstatInputError

__all__ = ["pk_sbml", "PK_UNITS"]

#: Unit definitions the PK part adds: id -> [(kind, exponent, scale, multiplier)].
PK_UNITS: dict[str, list[tuple[str, int, int, float]]] = {
    "nmol": [("mole", 1, -9, 1.0)],
    "mg": [("gram", 1, -3, 1.0)],
    "g_per_mol": [("gram", 1, 0, 1.0), ("mole", -1, 0, 1.0)],
    "g_per_mg": [("gram", 1, 0, 1.0), ("gram", -1, -3, 1.0)],
    "nmol_per_mol": [("mole", 1, -9, 1.0), ("mole", -1, 0, 1.0)],
    "h": [("second", 1, 0, 3600.0)],
    "per_h": [("second", -1, 0, 3600.0)],
    "min_per_h": [("second", 1, 0, 60.0), ("second", -1, 0, 3600.0)],
}

def _ok(codes, what: str) -> None:
    import libsbml
    bad = [c for c in codes if c != libsbml.LIBSBML_OPERATION_SUCCESS]
    if bad:  # pragma: no cover - construction error
        raise RuntimeError(f"cannot write {what} (libsbml code {bad[0]})")


def _math(formula: str, what: str):
    import libsbml
    ast = libsbml.parseL3Formula(formula)
    if ast is None:  # pragma: no cover - construction error
        raise RuntimeError(f"cannot write {what}: {libsbml.getLastParseL3Error()}")
    return ast


def _notes(text: str) -> str:
    from xml.sax.saxutils import escape
    return f'<body xmlns="http://www.w3.org/1999/xhtml"><p>{escape(text)}</p></body>'


def _units(model) -> None:
    import libsbml
    for uid, parts in PK_UNITS.items():
        if model.getUnitDefinition(uid) is not None:
            continue
        ud = model.createUnitDefinition()
        _ok([ud.setId(uid), ud.setName(uid.replace("_per_", " per "))], uid)
        for kind, exponent, scale, multiplier in parts:
            unit = ud.createUnit()
            _ok([unit.setKind(libsbml.UnitKind_forName(kind)), unit.setExponent(exponent),
                 unit.setScale(scale), unit.setMultiplier(multiplier)], uid)


def _parameter(model, pid: str, value: float | None, units: str, name: str, note: str = "",
               constant: bool = True):
    par = model.createParameter()
    codes = [par.setId(pid), par.setName(name), par.setUnits(units), par.setConstant(constant)]
    if value is not None:
        codes.append(par.setValue(float(value)))
    if note:
        codes.append(par.setNotes(_notes(note)))
    _ok(codes, pid)
    return par


def _initial_assignment(model, sid: str, formula: str) -> None:
    ia = model.createInitialAssignment()
    _ok([ia.setSymbol(sid), ia.setMath(_math(formula, sid))], f"initial assignment of {sid}")


def _assignment_rule(model, sid: str, formula: str) -> None:
    rule = model.createAssignmentRule()
    _ok([rule.setVariable(sid), rule.setMath(_math(formula, sid))], f"rule of {sid}")


def _rate_rule(model, sid: str, formula: str) -> None:
    rule = model.createRateRule()
    _ok([rule.setVariable(sid), rule.setMath(_math(formula, sid))], f"rate rule of {sid}")


def _dose_formula(drug: str, mg: float) -> str:
    """The nmol of an oral dose of ``mg`` that reach plasma, as a formula with units."""
    return f"{drug}_F * {float(mg)!r} mg * g_per_mg / {drug}_molar_mass * nmol_per_mol"


def _pk(model, drug: str, first_dose: float) -> None:
    """Parameters, rules and amounts of the oral PK of ``drug`` (see the module docstring)."""
    from ..pk import get_pk

    pk = get_pk(drug)
    src = f"Source: {pk.source}."
    for pid, value, units, name in (
            ("min_per_h", 60.0, "min_per_h", "minutes per hour"),
            ("g_per_mg", 1e-3, "g_per_mg", "grams per milligram"),
            ("nmol_per_mol", 1e9, "nmol_per_mol", "nanomoles per mole")):
        if model.getParameter(pid) is None:
            _parameter(model, pid, value, units, name, "Unit conversion constant.")
    _parameter(model, f"{drug}_F", pk.bioavailability, "dimensionless",
               f"{drug} oral bioavailability", src)
    _parameter(model, f"{drug}_molar_mass", pk.molar_mass, "g_per_mol",
               f"{drug} molar mass (free base)", src)
    _parameter(model, f"{drug}_ka_per_h", pk.ka_per_h, "per_h", f"{drug} absorption rate constant",
               src + " ka derived from the reported time of the peak, t_max = ln(ka/ke)/(ka - ke) "
               "= 1 h.")
    _parameter(model, f"{drug}_t_half_h", pk.t_half_h, "h", f"{drug} elimination half-life", src)
    _parameter(model, f"{drug}_V", pk.volume_L, "L", f"{drug} apparent volume of distribution", src)
    _parameter(model, f"{drug}_fu", pk.fraction_unbound, "dimensionless",
               f"{drug} unbound fraction in plasma", src)
    _parameter(model, f"{drug}_ka", pk.ka, "per_min", f"{drug} absorption rate constant (per min)")
    _initial_assignment(model, f"{drug}_ka", f"{drug}_ka_per_h / min_per_h")
    _parameter(model, f"{drug}_ke", pk.ke, "per_min", f"{drug} elimination rate constant (per min)",
               "ke = ln 2 / t_half.")
    _initial_assignment(model, f"{drug}_ke", f"ln(2 dimensionless) / ({drug}_t_half_h * min_per_h)")
    _parameter(model, f"{drug}_gut", 0.0, "nmol", f"{drug} in the gut depot (absorbable part of "
               f"the oral doses)", "Every oral dose adds F * dose / molar mass.", constant=False)
    if first_dose:
        _initial_assignment(model, f"{drug}_gut", _dose_formula(drug, first_dose))
    _rate_rule(model, f"{drug}_gut", f"-{drug}_ka * {drug}_gut")
    _parameter(model, f"{drug}_plasma", 0.0, "nmol", f"{drug} in plasma (total)", constant=False)
    _rate_rule(model, f"{drug}_plasma", f"{drug}_ka * {drug}_gut - {drug}_ke * {drug}_plasma")
    _parameter(model, f"{drug}_plasma_free_nM", None, "nM", f"free {drug} in plasma",
               "Unbound fraction times the total plasma concentration.", constant=False)
    _assignment_rule(model, f"{drug}_plasma_free_nM", f"{drug}_fu * {drug}_plasma / {drug}_V")
    # the model's input: the drug in the medium plus the free plasma drug
    inp = model.getParameter(f"{drug}_nM")
    medium = inp.getValue() if inp.isSetValue() else 0.0
    _parameter(model, f"{drug}_medium_nM", medium, "nM", f"{drug} in the medium",
               f"The {drug}_nM input of the model without the oral doses; the schedule's "
               f"{drug}_nM levels set it.", constant=False)
    _ok([inp.setConstant(False), inp.unsetValue(),
         inp.setNotes(_notes(f"Free {drug} the kinases see: the drug in the medium plus the free "
                             f"plasma concentration of the oral doses (assignment rule)."), True)],
        f"{drug}_nM")
    _assignment_rule(model, f"{drug}_nM", f"{drug}_medium_nM + {drug}_plasma_free_nM")


def pk_sbml(sbml: str, drugs) -> str:
    """The model's SBML with the oral PK of ``drugs`` and no events: what the core simulates.

    Every drug gets the PK part of :func:`schedule_sbml` (``<drug>_gut`` and
    ``<drug>_plasma`` with rate rules, ``<drug>_nM`` the assignment rule
    ``<drug>_medium_nM + <drug>_plasma_free_nM``), with the gut empty; the
    simulation core (:func:`jakstat_rules.schedules.simulate_schedule`) adds
    the doses to ``<drug>_gut`` at their times and sets the medium level as
    ``<drug>_medium_nM``.  One compiled model per variant and set of drugs,
    whatever the schedule.
    """
    import libsbml

    doc = libsbml.readSBMLFromString(sbml)
    model = doc.getModel()
    missing = sorted(d for d in drugs if model.getParameter(f"{d}_nM") is None)
    if missing:
        raise JakstatInputError(f"the model has no input {[f'{d}_nM' for d in missing]}: "
                                f"expected a model with the drug inputs")
    _units(model)
    for drug in sorted(drugs):
        _pk(model, drug, 0.0)
    return libsbml.writeSBMLToString(doc)
