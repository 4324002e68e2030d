"""Unit strings of the parameter registry as SBML unit definitions, and unit inference.

The registry (:mod:`jakstat_rules.model.parameters`) writes units as short
strings (``'1/(molecule*min)'``, ``'pM'``, ``'s/min'``).  This module parses
them into :class:`Unit` values (exponents of SBML base units plus an exact
rational factor), writes them as SBML ``unitDefinition`` elements and infers
the unit of an expression from the units of its symbols, so every
assignment-rule parameter of the SBML file gets a unit and inconsistent
formulas are caught before a file is written.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Mapping

import libsbml
import sympy

from .errors import SBMLExportError

#: symbol -> [(SBML kind, exponent, scale, multiplier)]: one factor of a unit string
_ATOMS: dict[str, list[tuple[str, int, int, int]]] = {
    "molecule": [("item", 1, 0, 1)],
    "item": [("item", 1, 0, 1)],
    "mol": [("mole", 1, 0, 1)],
    "s": [("second", 1, 0, 1)],
    "min": [("second", 1, 0, 60)],
    "h": [("second", 1, 0, 3600)],
    "L": [("litre", 1, 0, 1)],
    "pL": [("litre", 1, -12, 1)],
    "M": [("mole", 1, 0, 1), ("litre", -1, 0, 1)],
    "mM": [("mole", 1, -3, 1), ("litre", -1, 0, 1)],
    "uM": [("mole", 1, -6, 1), ("litre", -1, 0, 1)],
    "nM": [("mole", 1, -9, 1), ("litre", -1, 0, 1)],
    "pM": [("mole", 1, -12, 1), ("litre", -1, 0, 1)],
    "Gy": [("gray", 1, 0, 1)],
    "dimensionless": [],
    "1": [],
}

_TOKEN = re.compile(r"\s*(?:([A-Za-z_][A-Za-z_0-9]*|1)|(\*|/|\(|\)|\^-?\d+))")


@dataclass(frozen=True)
class Unit:
    """A unit: exponents of SBML base units and an exact factor.

    ``Unit({'second': -1}, Fraction(1, 60))`` is "per minute".
    """

    dims: tuple[tuple[str, int], ...] = ()
    factor: Fraction = Fraction(1)

    @staticmethod
    def make(dims: Mapping[str, int], factor: Fraction | int = 1) -> "Unit":
        return Unit(tuple(sorted((k, e) for k, e in dims.items() if e)), Fraction(factor))

    def __mul__(self, other: "Unit") -> "Unit":
        d = dict(self.dims)
        for k, e in other.dims:
            d[k] = d.get(k, 0) + e
        return Unit.make(d, self.factor * other.factor)

    def __truediv__(self, other: "Unit") -> "Unit":
        return self * other ** -1

    def __pow__(self, n: int) -> "Unit":
        return Unit.make({k: e * n for k, e in self.dims}, self.factor ** n)

    @property
    def is_dimensionless(self) -> bool:
        return not self.dims and self.factor == 1


DIMENSIONLESS = Unit()


def _atom_unit(parts: list[tuple[str, int, int, int]]) -> Unit:
    u = DIMENSIONLESS
    for kind, exp, scale, mult in parts:
        u = u * Unit.make({kind: exp}, (Fraction(mult) * Fraction(10) ** scale) ** exp)
    return u


def parse(text: str) -> tuple[Unit, list[tuple[str, int, int, int]]]:
    """Parse a unit string such as ``'1/(molecule*min)'``.

    Returns the normalised :class:`Unit` and the SBML unit factors in the
    order written (kept so ``s/min`` is written as second / (60 second)).

    Raises
    ------
    SBMLExportError
        For a symbol or syntax the parser does not know.
    """
    tokens: list[str] = []
    pos = 0
    text_ = text.strip()
    while pos < len(text_):
        m = _TOKEN.match(text_, pos)
        if not m:
            raise SBMLExportError(f"unit {text!r}: cannot parse at {text_[pos:]!r}")
        tokens.append(m.group(1) or m.group(2))
        pos = m.end()

    def factor(i: int, sign: int) -> tuple[list, int]:
        tok = tokens[i] if i < len(tokens) else None
        if tok == "(":
            parts, i = product(i + 1, sign)
            if i >= len(tokens) or tokens[i] != ")":
                raise SBMLExportError(f"unit {text!r}: unbalanced parentheses")
            return parts, i + 1
        if tok is None or tok not in _ATOMS:
            raise SBMLExportError(f"unit {text!r}: unknown unit symbol {tok!r}; known: "
                                  f"{sorted(_ATOMS)}")
        parts = list(_ATOMS[tok])
        i += 1
        power = 1
        if i < len(tokens) and tokens[i].startswith("^"):
            power = int(tokens[i][1:])
            i += 1
        return [(k, e * power * sign, s, m) for k, e, s, m in parts], i

    def product(i: int, sign: int) -> tuple[list, int]:
        parts, i = factor(i, sign)
        while i < len(tokens) and tokens[i] in ("*", "/"):
            op = tokens[i]
            more, i = factor(i + 1, sign if op == "*" else -sign)
            parts += more
        return parts, i

    parts, end = product(0, 1)
    if end != len(tokens):
        raise SBMLExportError(f"unit {text!r}: unexpected {tokens[end]!r}")
    return _atom_unit(parts), parts


def unit_id(text: str) -> str:
    """A readable SBML UnitSId for a unit string: ``1/(molecule*min)`` -> ``per_molecule_per_min``."""
    if text.strip() in ("dimensionless", "1"):
        return "dimensionless"
    num, den = [], []
    s = text.replace(" ", "")
    # split on top-level '/' : numerator / (a*b) or numerator / a
    top = re.split(r"/", s, maxsplit=1)
    for tok in re.findall(r"[A-Za-z_][A-Za-z_0-9]*", top[0]):
        num.append(tok)
    if len(top) > 1:
        den = re.findall(r"[A-Za-z_][A-Za-z_0-9]*", top[1])
    name = "_".join(num) + "".join(f"_per_{d}" for d in den)
    name = name.lstrip("_")
    if not name:
        name = "one"
    if name in _RESERVED:
        name = f"u_{name}"
    return name


# SBML base unit names cannot be unit definition ids
_RESERVED = set(libsbml.UnitKind_toString(k) for k in range(libsbml.UNIT_KIND_INVALID)
                if libsbml.UnitKind_toString(k))


def add_unit_definition(sm: libsbml.Model, uid: str, parts: list[tuple[str, int, int, int]],
                        name: str) -> libsbml.UnitDefinition:
    """Create ``uid`` in ``sm`` from SBML unit factors."""
    ud = sm.createUnitDefinition()
    ud.setId(uid)
    ud.setName(name)
    if not parts:
        parts = [("dimensionless", 1, 0, 1)]
    for kind, exp, scale, mult in parts:
        u = ud.createUnit()
        u.setKind(libsbml.UnitKind_forName(kind))
        u.setExponent(exp)
        u.setScale(scale)
        u.setMultiplier(mult)
    return ud


def parts_of(unit: Unit) -> list[tuple[str, int, int, float]]:
    """SBML unit factors for a normalised unit (the factor carried by one base unit)."""
    parts: list = [(k, e, 0, 1) for k, e in unit.dims]
    f = unit.factor
    if f == 1:
        return parts
    if not parts:
        return [("dimensionless", 1, 0, float(f))]
    # prefer a base unit with exponent +-1: (m * kind)^e = f  ->  m = f^(1/e)
    i = min(range(len(parts)), key=lambda j: abs(parts[j][1]))
    k, e, _, _ = parts[i]
    parts[i] = (k, e, 0, float(f) ** (1.0 / e))
    return parts


def infer(expr: sympy.Expr, unit_of: Callable[[sympy.Symbol], Unit], where: str) -> Unit:
    """The unit of a sympy expression.

    Parameters
    ----------
    expr
        The formula (symbols are PySB components or ``time``).
    unit_of
        Unit of a symbol; raises :class:`SBMLExportError` for unknown symbols.
    where
        Component name used in error messages.

    Raises
    ------
    SBMLExportError
        When terms of a sum disagree, an exponent or function argument is
        not dimensionless, or the formula uses a construct without a known
        unit rule.
    """
    if isinstance(expr, sympy.Symbol):
        return unit_of(expr)
    if expr.is_Number:
        return DIMENSIONLESS
    if isinstance(expr, sympy.Add):
        units = [infer(a, unit_of, where) for a in expr.args]
        first = units[0]
        for a, u in zip(expr.args, units):
            if u != first:
                raise SBMLExportError(
                    f"{where}: terms of a sum have different units ({expr.args[0]} is {show(first)}, "
                    f"{a} is {show(u)})")
        return first
    if isinstance(expr, sympy.Mul):
        u = DIMENSIONLESS
        for a in expr.args:
            u = u * infer(a, unit_of, where)
        return u
    if isinstance(expr, sympy.Pow):
        base, exp = expr.args
        bu = infer(base, unit_of, where)
        if exp.is_Integer:
            return bu ** int(exp)
        eu = infer(exp, unit_of, where)
        if not eu.is_dimensionless:
            raise SBMLExportError(f"{where}: exponent {exp} has unit {show(eu)}, expected dimensionless")
        if not bu.is_dimensionless:
            raise SBMLExportError(f"{where}: {base} has unit {show(bu)} but is raised to the "
                                  f"non-integer power {exp}; expected a dimensionless base")
        return DIMENSIONLESS
    if isinstance(expr, (sympy.exp, sympy.log)) or expr.func in (sympy.sin, sympy.cos, sympy.tanh):
        for a in expr.args:
            if not infer(a, unit_of, where).is_dimensionless:
                raise SBMLExportError(f"{where}: argument of {expr.func.__name__} is not dimensionless")
        return DIMENSIONLESS
    if isinstance(expr, (sympy.Min, sympy.Max)):
        return infer(sympy.Add(*expr.args, evaluate=False), unit_of, where)
    return _fail(where, expr)


def _fail(where: str, expr) -> Unit:
    raise SBMLExportError(f"{where}: cannot infer the unit of {expr} ({type(expr).__name__}); "
                          "give the expression a unit in the model (Builder.expression(..., unit=...))")


def show(u: Unit) -> str:
    """Human-readable form of a unit, e.g. ``second^-1 x 1/60``."""
    dims = " ".join(f"{k}^{e}" if e != 1 else k for k, e in u.dims) or "dimensionless"
    return dims if u.factor == 1 else f"{dims} x {u.factor}"
