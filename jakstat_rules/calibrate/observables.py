"""Observable and noise formulas of a PEtab problem, compiled to numpy functions.

Measurements sharing an observable and the same ``observableParameters``
and ``noiseParameters`` overrides form an :class:`ObservableGroup`.  For each
group the PEtab formulas (``petab.v1.math.sympify_petab``) are specialised:
the placeholders ``observableParameter<n>_<id>`` / ``noiseParameter<n>_<id>``
are replaced by the overrides of the measurement table (split with libpetab's
:func:`~petab.v1.split_parameter_replacement_list`), an observable id inside
its noise formula by the observable's formula, and the result is compiled
once with :func:`sympy.lambdify`.  Every symbol left is either a model
quantity (read from the simulation), a parameter of the parameter table
(estimated or fixed) or the time.
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

__all__ = ["ObservableGroup", "compile_observables", "TIME_SYMBOLS"]

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
            h = np.broadcast_to(np.asarray(self.observable_fn(*args), float), times.shape)
            s = np.broadcast_to(np.asarray(self.noise_fn(*args), float), times.shape)
        return h, s


def _override_symbols(prefix: str, observable_id: str, overrides: list) -> dict:
    out = {}
    for n, value in enumerate(overrides, start=1):
        out[sp.Symbol(f"{prefix}{n}_{observable_id}", real=True)] = (
            sp.Float(float(value)) if isinstance(value, numbers.Number)
            else sp.Symbol(value, real=True))
    return out


def _substitute(expr: sp.Expr, subs: dict) -> sp.Expr:
    """Replace symbols whether or not they carry the ``real`` flag."""
    plain = {sp.Symbol(k.name): v for k, v in subs.items()}
    return expr.xreplace(subs).xreplace(plain)


def _column(df: pd.DataFrame, name: str) -> pd.Series:
    return df[name] if name in df else pd.Series(np.nan, index=df.index)


def compile_observables(measurement_df: pd.DataFrame, observable_df: pd.DataFrame,
                        model_ids: set[str], table: ParameterTable) -> list[ObservableGroup]:
    """Compile the observables of every measurement row.

    Parameters
    ----------
    measurement_df
        PEtab measurement table with a 0..n-1 index.
    observable_df
        PEtab observable table.
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
    for (oid, _, _), rows in key_rows.items():
        orow = observable_df.loc[oid]
        first = rows[0]
        subs = {**_override_symbols("observableParameter", oid,
                                    split_parameter_replacement_list(obs_par.iloc[first])),
                **_override_symbols("noiseParameter", oid,
                                    split_parameter_replacement_list(noise_par.iloc[first]))}
        obs_expr = _substitute(sympify_petab(orow[C.OBSERVABLE_FORMULA]), subs)
        noise = orow.get(C.NOISE_FORMULA, 1.0)
        noise_expr = _substitute(sympify_petab(noise if pd.notna(noise) else 1.0), subs)
        # an observable id inside a noise formula means its value
        noise_expr = noise_expr.subs(sp.Symbol(oid, real=True), obs_expr).subs(
            sp.Symbol(oid), obs_expr)
        trans = str(orow.get(C.OBSERVABLE_TRANSFORMATION, C.LIN))
        trans = C.LIN if trans in ("nan", "") else trans
        dist = str(orow.get(C.NOISE_DISTRIBUTION, C.NORMAL))
        dist = C.NORMAL if dist in ("nan", "") else dist
        if dist not in C.NOISE_MODELS or trans not in C.OBSERVABLE_TRANSFORMATIONS:
            raise JakstatInputError(
                f"observable {oid!r}: noise {dist!r} / transformation {trans!r} "
                f"unsupported; expected one of {C.NOISE_MODELS} and one of "
                f"{C.OBSERVABLE_TRANSFORMATIONS}")
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
