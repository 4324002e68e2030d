"""Observable and noise formulas of a PEtab problem, compiled to numpy functions.

Measurements sharing an observable and the same ``observableParameters``
and ``noiseParameters`` overrides form an :class:`ObservableGroup`.  For each
group the PEtab formulas are specialised: the placeholders are replaced by
the overrides of the measurement table (split with libpetab's
:func:`~petab.v1.split_parameter_replacement_list`), an observable id inside
its noise formula by the observable's formula, and the result is compiled
once with :func:`sympy.lambdify`.  Every symbol left is either a model
quantity (read from the simulation), a parameter of the parameter table
(estimated or fixed) or the time.

PEtab v1 formulas are parsed by :func:`petab.v1.math.sympify_petab` and
their placeholders are ``observableParameter<n>_<id>`` /
``noiseParameter<n>_<id>``; PEtab v2 observables come parsed by libpetab
(:class:`petab.v2.Observable`) with their placeholders listed, and their
noise distribution (``log-normal``, ``log-laplace``) names the
transformation too.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd
import sympy as sp
from petab.v1 import C, split_parameter_replacement_list
from petab.v1.math import sympify_petab

from jakstat_rules.errors import JakstatInputError

from .mapping import ParameterTable

__all__ = ["ObservableGroup", "ObservableSpec", "observable_specs", "observable_specs_v2",
           "compile_observables", "GroupBatch", "batch_groups", "TIME_SYMBOLS"]

#: Names that mean the time in a formula (unless the model defines them).
TIME_SYMBOLS = ("time", "t")


@dataclass
class ObservableGroup:
    """Measurements sharing an observable and its parameter overrides.

    Attributes
    ----------
    observable_id
        The PEtab observable.
    rows
        Positions of the group's rows in the measurement table.
    observable_expr, noise_expr
        The specialised formulas (symbols flagged ``real``).
    transformation, distribution
        ``lin``/``log``/``log10`` and ``normal``/``laplace``.
    model_symbols
        Model quantities in the formulas (read from the simulation).
    parameter_symbols
        Parameters of the parameter table in the formulas.
    observable_fn, noise_fn
        Compiled formulas: ``fn(*model_values, *parameter_values, time, time)``.
    """

    observable_id: str
    rows: np.ndarray
    observable_expr: sp.Expr
    noise_expr: sp.Expr
    transformation: str
    distribution: str
    model_symbols: list[str] = field(default_factory=list)
    parameter_symbols: list[str] = field(default_factory=list)
    observable_fn: Callable | None = None
    noise_fn: Callable | None = None

    def evaluate(self, model_values: list[np.ndarray], parameter_values: list[float],
                 times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Observable and noise SD at given model values, parameters and times.

        Parameters
        ----------
        model_values
            One array per :attr:`model_symbols`, aligned with ``times``.
        parameter_values
            One value per :attr:`parameter_symbols`.
        times
            The time of each value.

        Returns
        -------
        (h, sigma)
            Arrays shaped like ``times``.
        """
        args = list(model_values) + list(parameter_values) + [times, times]
        with np.errstate(all="ignore"):
            return (_shaped(self.observable_fn(*args), times.shape),
                    _shaped(self.noise_fn(*args), times.shape))


def _shaped(value, shape: tuple) -> np.ndarray:
    """A formula's value as a float array of ``shape`` (constants repeated)."""
    value = np.asarray(value, float)
    return value if value.shape == shape else np.broadcast_to(value, shape)


def _override_symbols(names: tuple[str, ...], observable_id: str, overrides: list) -> dict:
    if len(overrides) > len(names):
        raise JakstatInputError(f"observable {observable_id!r}: {len(overrides)} overrides "
                                f"{overrides} for placeholders {list(names)}; expected at most "
                                f"one per placeholder")
    out = {}
    for name, value in zip(names, overrides):
        out[sp.Symbol(name, real=True)] = (
            sp.Float(float(value)) if isinstance(value, numbers.Number)
            else sp.Symbol(value, real=True))
    return out


def _substitute(expr: sp.Expr, subs: dict) -> sp.Expr:
    """Replace symbols whether or not they carry the ``real`` flag."""
    plain = {sp.Symbol(k.name): v for k, v in subs.items()}
    return expr.xreplace(subs).xreplace(plain)


@dataclass(frozen=True)
class ObservableSpec:
    """One observable as read from a PEtab observable table.

    Attributes
    ----------
    formula, noise
        Observable and noise formulas.
    placeholders, noise_placeholders
        Names of the observable and noise placeholders, in override order.
    transformation, distribution
        ``lin``/``log``/``log10`` and ``normal``/``laplace``.
    """

    formula: sp.Expr
    noise: sp.Expr
    placeholders: tuple[str, ...]
    noise_placeholders: tuple[str, ...]
    transformation: str
    distribution: str


#: PEtab v2 noise distributions as (transformation, distribution) of PEtab v1.
V2_DISTRIBUTIONS = {"normal": (C.LIN, C.NORMAL), "laplace": (C.LIN, C.LAPLACE),
                    "log-normal": (C.LOG, C.NORMAL), "log-laplace": (C.LOG, C.LAPLACE)}


def observable_specs(observable_df: pd.DataFrame, n_placeholders: int = 0
                     ) -> dict[str, ObservableSpec]:
    """The observables of a PEtab v1 observable table (placeholders numbered
    up to ``n_placeholders``).

    Raises
    ------
    JakstatInputError
        For an unsupported noise model or transformation.
    """
    out = {}
    for oid, orow in observable_df.iterrows():
        noise = orow.get(C.NOISE_FORMULA, 1.0)
        trans = str(orow.get(C.OBSERVABLE_TRANSFORMATION, C.LIN))
        trans = C.LIN if trans in ("nan", "") else trans
        dist = str(orow.get(C.NOISE_DISTRIBUTION, C.NORMAL))
        dist = C.NORMAL if dist in ("nan", "") else dist
        if dist not in C.NOISE_MODELS or trans not in C.OBSERVABLE_TRANSFORMATIONS:
            raise JakstatInputError(
                f"observable {oid!r}: noise {dist!r} / transformation {trans!r} "
                f"unsupported; expected one of {C.NOISE_MODELS} and one of "
                f"{C.OBSERVABLE_TRANSFORMATIONS}")
        numbers_ = range(1, n_placeholders + 1)
        out[oid] = ObservableSpec(
            sympify_petab(orow[C.OBSERVABLE_FORMULA]),
            sympify_petab(noise if pd.notna(noise) else 1.0),
            tuple(f"observableParameter{n}_{oid}" for n in numbers_),
            tuple(f"noiseParameter{n}_{oid}" for n in numbers_), trans, dist)
    return out


def observable_specs_v2(observables: list, aliases: dict[str, str] | None = None
                        ) -> dict[str, ObservableSpec]:
    """The observables of a PEtab v2 problem (:class:`petab.v2.Observable` s),
    mapping-table ids replaced by the model ids they stand for."""
    aliases = aliases or {}

    def rename(expr) -> sp.Expr:
        expr = sp.sympify(expr)
        return expr.xreplace({s: sp.Symbol(aliases[s.name]) for s in expr.free_symbols
                              if s.name in aliases})

    out = {}
    for o in observables:
        dist = str(getattr(o.noise_distribution, "value", o.noise_distribution) or "normal")
        trans, kind = V2_DISTRIBUTIONS[dist]
        out[o.id] = ObservableSpec(
            rename(o.formula), rename(o.noise_formula if o.noise_formula is not None else 1.0),
            tuple(str(x) for x in o.observable_placeholders),
            tuple(str(x) for x in o.noise_placeholders), trans, kind)
    return out


def _column(df: pd.DataFrame, name: str) -> pd.Series:
    return df[name] if name in df else pd.Series(np.nan, index=df.index)


def compile_observables(measurement_df: pd.DataFrame,
                        observables: pd.DataFrame | dict[str, ObservableSpec],
                        model_ids: set[str], table: ParameterTable) -> list[ObservableGroup]:
    """Compile the observables of every measurement row.

    Parameters
    ----------
    measurement_df
        PEtab measurement table with a 0..n-1 index.
    observables
        PEtab v1 observable table, or the observables as
        :func:`observable_specs_v2` reads them.
    model_ids
        Ids of the model's species, compartments and parameters.
    table
        The parameter table.

    Returns
    -------
    list of ObservableGroup
        Groups in order of first appearance; every row is in one group.

    Raises
    ------
    JakstatInputError
        For an unsupported noise model or transformation, or a symbol that is
        neither a model entity nor a parameter of the table.
    """
    obs_par = _column(measurement_df, C.OBSERVABLE_PARAMETERS)
    noise_par = _column(measurement_df, C.NOISE_PARAMETERS)
    key_rows: dict[tuple, list[int]] = {}
    for i, key in enumerate(zip(measurement_df[C.OBSERVABLE_ID], obs_par.astype(str),
                                noise_par.astype(str))):
        key_rows.setdefault(key, []).append(i)
    groups = []
    if isinstance(observables, pd.DataFrame):
        n = max([len(split_parameter_replacement_list(v)) for v in pd.concat([obs_par, noise_par])]
                + [0])
        observables = observable_specs(observables, n)
    for (oid, _, _), rows in key_rows.items():
        if oid not in observables:
            raise JakstatInputError(f"observable {oid!r} of the measurement table is not in the "
                                    f"observable table; expected one of {sorted(observables)}")
        spec = observables[oid]
        first = rows[0]
        subs = {**_override_symbols(spec.placeholders, oid,
                                    split_parameter_replacement_list(obs_par.iloc[first])),
                **_override_symbols(spec.noise_placeholders, oid,
                                    split_parameter_replacement_list(noise_par.iloc[first]))}
        obs_expr = _substitute(spec.formula, subs)
        noise_expr = _substitute(spec.noise, subs)
        # an observable id inside a noise formula means its value
        noise_expr = noise_expr.subs(sp.Symbol(oid, real=True), obs_expr).subs(
            sp.Symbol(oid), obs_expr)
        trans, dist = spec.transformation, spec.distribution
        # free symbols may come unflagged from sympify_petab: flag them all
        flagged = {sp.Symbol(s.name): sp.Symbol(s.name, real=True)
                   for s in obs_expr.free_symbols | noise_expr.free_symbols}
        group = ObservableGroup(oid, np.array(rows, dtype=int), obs_expr.xreplace(flagged),
                                noise_expr.xreplace(flagged), trans, dist)
        names = sorted({s.name for s in group.observable_expr.free_symbols
                        | group.noise_expr.free_symbols})
        for name in names:
            if name in TIME_SYMBOLS and name not in model_ids:
                continue
            if name in model_ids and not table.is_estimated(name):
                group.model_symbols.append(name)
            elif name in table.nominal_all:
                group.parameter_symbols.append(name)
            else:
                raise JakstatInputError(
                    f"observable {oid!r} uses {name!r}, which is neither a model "
                    f"entity nor in the parameter table; expected one of those")
        args = [sp.Symbol(n, real=True) for n in group.model_symbols + group.parameter_symbols]
        args += [sp.Symbol(n, real=True) for n in TIME_SYMBOLS]
        group.observable_fn = sp.lambdify(args, group.observable_expr, modules="numpy")
        group.noise_fn = sp.lambdify(args, group.noise_expr, modules="numpy")
        groups.append(group)
    return groups


@dataclass
class GroupBatch:
    """Groups evaluated in one call: the same observable formula, each group's noise SD
    a number (measurement tables that give every row its own numeric ``noiseParameters``
    make one group per row).

    Attributes
    ----------
    group
        The first group: its observable function serves all (the same formula).
    rows
        The rows of all groups.
    noise
        Each row's noise SD (``None`` for a single group with a formula for it).
    """

    group: ObservableGroup
    rows: np.ndarray
    noise: np.ndarray | None = None


def batch_groups(groups: list[ObservableGroup]) -> list[GroupBatch]:
    """Groups that differ only in a numeric noise SD, batched (:class:`GroupBatch`)."""
    merged: dict[object, list[ObservableGroup]] = {}
    for g in groups:  # a group with a noise formula stays on its own
        key = ((g.observable_id, g.observable_expr, g.transformation, g.distribution)
               if g.noise_expr.is_Number else id(g))
        merged.setdefault(key, []).append(g)
    return [GroupBatch(gs[0], gs[0].rows) if not gs[0].noise_expr.is_Number else
            GroupBatch(gs[0], np.concatenate([g.rows for g in gs]),
                       np.concatenate([np.full(len(g.rows), float(g.noise_expr)) for g in gs]))
            for gs in merged.values()]
