"""A small helper that assembles a PySB model without PySB's self-export.

Every process module receives a :class:`Builder` and adds its monomers'
rules, parameters and expressions through it.  The builder

* creates parameters lazily from the registry in :mod:`.parameters`, so each
  parameter carries its value, unit and source;
* records a unit and a source for every derived expression;
* never touches PySB's global ``SelfExporter`` state.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy
from pysb import (ANY, Expression, Initial, Model, Monomer, Observable,
                  Parameter, Rule)

from ..errors import JakstatInputError
from .parameters import PARAMETERS


@dataclass
class Provenance:
    """Unit and source of a model constant (parameter or constant expression)."""

    unit: str
    source: str
    description: str = ""


@dataclass
class Builder:
    """Assembles one model; holds the provenance of its constants.

    Parameters
    ----------
    name
        PySB model name.
    overrides
        Parameter values that replace the registry's defaults.
    """

    name: str
    overrides: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.model = Model(self.name, _export=False)
        self.provenance: dict[str, Provenance] = {}
        unknown = sorted(set(self.overrides) - set(PARAMETERS))
        if unknown:
            raise JakstatInputError(
                f"unknown parameter(s) {unknown}: expected names from the "
                f"parameter registry, e.g. {sorted(PARAMETERS)[:5]}")
        for key, value in self.overrides.items():
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise JakstatInputError(
                    f"parameter {key}={value!r} is not a number") from None
            if not value >= 0:
                raise JakstatInputError(
                    f"parameter {key}={value!r} must be a non-negative number")
            self.overrides[key] = value

    # -- components ------------------------------------------------------
    def add(self, component):
        self.model.add_component(component)
        return component

    def monomer(self, name: str, sites: list[str], states: dict | None = None,
                annotations: list[tuple[str, str]] = (), doc: str = "") -> Monomer:
        """Create a monomer; ``annotations`` are ``(qualifier, uri)`` pairs."""
        mon = self.add(Monomer(name, sites, states or {}, _export=False))
        mon.__doc__ = doc
        for qual, uri in annotations:
            from pysb import Annotation
            self.add_annotation(Annotation(mon, uri, qual, _export=False))
        return mon

    def add_annotation(self, ann) -> None:
        self.model.add_annotation(ann)

    def m(self, name: str) -> Monomer:
        """Look a monomer up by name."""
        return self.model.monomers[name]

    def c(self, name: str):
        """Look any existing component up by name."""
        return self.model.components[name]

    def p(self, name: str) -> Parameter:
        """The parameter ``name``, created from the registry on first use."""
        comp = self.model.components.get(name)
        if comp is not None:
            return comp
        spec = PARAMETERS[name]
        value = self.overrides.get(name, spec.value)
        par = self.add(Parameter(name, value, _export=False))
        self.provenance[name] = Provenance(spec.unit, spec.source, spec.description)
        return par

    def e(self, name: str, expr: Any, unit: str | None = None,
          source: str | None = None, description: str = "") -> Expression:
        """Create an expression; constants must state a unit and a source."""
        comp = self.model.components.get(name)
        if comp is not None:
            return comp
        ex = self.add(Expression(name, sympy.sympify(expr), _export=False))
        if unit is not None:
            self.provenance[name] = Provenance(unit, source or "derived", description)
        return ex

    def obs(self, name: str, pattern, match: str = "molecules") -> Observable:
        comp = self.model.components.get(name)
        if comp is not None:
            return comp
        return self.add(Observable(name, pattern, match=match, _export=False))

    def rule(self, name: str, rule_expr, kf, kr=None, **kw) -> Rule:
        if kr is None:
            return self.add(Rule(name, rule_expr, kf, _export=False, **kw))
        return self.add(Rule(name, rule_expr, kf, kr, _export=False, **kw))

    def initial(self, pattern, value) -> None:
        self.model.add_initial(Initial(pattern, value, _export=False))


__all__ = ["Builder", "Provenance", "ANY"]
