"""A small helper that assembles a PySB model without PySB's self-export.

Every process module receives a :class:`Builder` and adds its monomers'
rules, parameters and expressions through it.  The builder

* creates parameters lazily from the registry in :mod:`.parameters`, so each
  parameter carries its value, unit and source;
* records a unit and a source for every derived expression;
* logs the components it creates, so each motif function returns what it
  added (``start = b.mark()`` ... ``return b.created_since(start)``);
* never touches PySB's global ``SelfExporter`` state.

Helpers: :meth:`~Builder.monomer`, :meth:`~Builder.parameter`,
:meth:`~Builder.expression`, :meth:`~Builder.observable`,
:meth:`~Builder.rule`, :meth:`~Builder.initial` create (the middle three
only on first use); :meth:`~Builder.monomer_named` and
:meth:`~Builder.monomers_named` and :meth:`~Builder.component` look existing
components up.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy
from pysb import (ANY, Annotation, ComponentSet, Expression, Initial, Model, Monomer,
                  Observable, Parameter, Rule)

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
        self._created: list = []
        # name -> component: PySB's ``model.components`` builds a new set on every access,
        # which made each lookup cost a pass over all components (half of a model build)
        self._by_name: dict[str, Any] = {}
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
        """Add a component to the model and to the creation log; returns it."""
        self.model.add_component(component)
        self._created.append(component)
        self._by_name[component.name] = component
        return component

    def mark(self) -> int:
        """A position in the creation log, for :meth:`created_since`."""
        return len(self._created)

    def created_since(self, mark: int) -> ComponentSet:
        """The components created since :meth:`mark` returned ``mark``, in creation order.

        Motif functions return this, so a caller sees what each motif added.
        """
        return ComponentSet(self._created[mark:])

    def monomer(self, name: str, sites: list[str], states: dict | None = None,
                annotations: list[tuple[str, str]] = (), doc: str = "") -> Monomer:
        """Create a monomer; ``annotations`` are ``(qualifier, uri)`` pairs."""
        mon = self.add(Monomer(name, sites, states or {}, _export=False))
        mon.__doc__ = doc
        for qual, uri in annotations:
            self.add_annotation(Annotation(mon, uri, qual, _export=False))
        return mon

    def add_annotation(self, ann: Annotation) -> None:
        """Add an annotation (not a component) to the model."""
        self.model.add_annotation(ann)

    def monomer_named(self, name: str) -> Monomer:
        """Look a monomer up by name."""
        return self.model.monomers[name]

    def monomers_named(self, *names: str) -> tuple[Monomer, ...]:
        """Look several monomers up by name, in the order given."""
        return tuple(self.model.monomers[name] for name in names)

    def component(self, name: str):
        """Look any existing component up by name."""
        return self._by_name[name]

    def find(self, name: str):
        """The component ``name``, or None when the model has none of that name."""
        return self._by_name.get(name)

    def parameter(self, name: str) -> Parameter:
        """The parameter ``name``, created from the registry on first use."""
        comp = self._by_name.get(name)
        if comp is not None:
            return comp
        spec = PARAMETERS[name]
        value = self.overrides.get(name, spec.value)
        par = self.add(Parameter(name, value, _export=False))
        self.provenance[name] = Provenance(spec.unit, spec.source, spec.description)
        return par

    def expression(self, name: str, expr: Any, unit: str | None = None,
                   source: str | None = None, description: str = "") -> Expression:
        """The expression ``name`` (created on first use); constants must state a unit and a source."""
        comp = self._by_name.get(name)
        if comp is not None:
            return comp
        ex = self.add(Expression(name, sympy.sympify(expr), _export=False))
        if unit is not None:
            self.provenance[name] = Provenance(unit, source or "derived", description)
        return ex

    def observable(self, name: str, pattern, match: str = "molecules") -> Observable:
        """The observable ``name`` of ``pattern`` (created on first use)."""
        comp = self._by_name.get(name)
        if comp is not None:
            return comp
        return self.add(Observable(name, pattern, match=match, _export=False))

    def rule(self, name: str, rule_expr, kf, kr=None, **kw) -> Rule:
        """Create a rule (reversible when ``kr`` is given)."""
        if kr is None:
            return self.add(Rule(name, rule_expr, kf, _export=False, **kw))
        return self.add(Rule(name, rule_expr, kf, kr, _export=False, **kw))

    def initial(self, pattern, value) -> None:
        """Set the initial amount of ``pattern`` (initials are not components)."""
        self.model.add_initial(Initial(pattern, value, _export=False))


__all__ = ["Builder", "Provenance", "ANY"]
