"""Parameter mapping: PEtab parameter table and conditions -> values set on the model.

* :class:`ParameterTable` holds the estimated parameters of a PEtab
  parameter table (ids, scales, bounds, nominal values) and resolves a
  parameter id to its value for a vector of estimated values.
* :func:`scale` / :func:`unscale` move parameter vectors between the linear
  scale and the PEtab scales (``lin``, ``log``, ``log10``) with libpetab's
  :func:`petab.v1.parameters.map_scale` / ``map_unscale``.
* :func:`condition_settings` maps every PEtab condition onto the model with
  libpetab's :func:`petab.v1.parameter_mapping.get_parameter_mapping_for_condition`
  (model values < condition table < parameter table, fixed parameters filled
  with their nominal values) and adds the species and compartment entries of
  the condition table, which libpetab leaves to the simulator.  The result,
  one :class:`ConditionSettings` per condition, says what the condition
  changes relative to the model, as numbers or as positions in the vector of
  estimated parameters.

Parameter vectors called ``p`` are *linear-scale* values of all estimated
parameters, in the order of :attr:`ParameterTable.estimated_ids`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from petab.v1 import C
from petab.v1.core import to_float_if_float
from petab.v1.parameter_mapping import get_parameter_mapping_for_condition
from petab.v1.parameters import map_scale, map_unscale

from jakstat_rules.errors import JakstatInputError

__all__ = ["ParameterTable", "scale", "unscale", "Formula", "Assignment", "ConditionSettings",
           "condition_settings", "switch_settings"]


def scale(values: Sequence[float], scales: Sequence[str]) -> np.ndarray:
    """Linear values -> values on the PEtab scales ``scales`` (libpetab's ``map_scale``)."""
    return np.fromiter(map_scale(np.asarray(values, float), list(scales)), float,
                       count=len(scales))


def unscale(values: Sequence[float], scales: Sequence[str]) -> np.ndarray:
    """Values on the PEtab scales ``scales`` -> linear values (libpetab's ``map_unscale``)."""
    return np.fromiter(map_unscale(np.asarray(values, float), list(scales)), float,
                       count=len(scales))


#: Bounds spanning at least this ratio (upper / lower, lower > 0) are searched on log10.
LOG_SPAN = 10.0


def search_scale(lb: float, ub: float) -> str:
    """The scale a parameter without a ``parameterScale`` (PEtab v2) is searched on.

    ``log10`` when its bounds are positive and span at least a decade
    (:data:`LOG_SPAN`): rate constants and scales known to within decades,
    whose starting points are then drawn evenly over the decades rather than
    nine in ten from the top one; else ``lin`` (offsets, bounds at 0,
    narrow ranges).  The Kirby and imported problems written as v1 state
    the same scales (``tests/test_petab_v2_out.py``).  Measured on the
    imported example table (2 starts, seed 0, defaults): as v1 (log10) both
    starts reached the optimum, 456.451; as v2 searched on linear scale one,
    the other stopped at 462.33 with two parameters at a bound.
    """
    if lb > 0 and math.isfinite(ub) and ub / lb >= LOG_SPAN:
        return C.LOG10
    return C.LIN


@dataclass(frozen=True, eq=False)
class ParameterTable:
    """The estimated parameters of a PEtab parameter table.

    Attributes
    ----------
    ids
        Every parameter id of the table.
    estimated_ids
        Ids with ``estimate == 1``, in table order: the order of ``p``.
    scales
        Their ``parameterScale``; for a table without that column (PEtab v2,
        which leaves the search scale to the optimiser) :func:`search_scale`.
    lb, ub
        Their bounds (linear scale).
    nominal
        Their nominal values (linear; NaN where the table has none).
    nominal_all
        Nominal value of every parameter of the table.
    """

    ids: list[str]
    estimated_ids: list[str]
    scales: list[str]
    lb: np.ndarray
    ub: np.ndarray
    nominal: np.ndarray
    nominal_all: dict[str, float]

    @classmethod
    def from_df(cls, parameter_df: pd.DataFrame) -> "ParameterTable":
        """Read a PEtab parameter table (indexed by ``parameterId``)."""
        pdf = parameter_df
        estimated = list(pdf.index[pdf[C.ESTIMATE].astype(int) == 1])
        nominal = (pdf[C.NOMINAL_VALUE] if C.NOMINAL_VALUE in pdf
                   else pd.Series(np.nan, index=pdf.index))
        nominal_all = {pid: float(nominal[pid]) for pid in pdf.index}
        scales = ([str(pdf.at[pid, C.PARAMETER_SCALE]) for pid in estimated]
                  if C.PARAMETER_SCALE in pdf else
                  [search_scale(float(pdf.at[pid, C.LOWER_BOUND]),
                                float(pdf.at[pid, C.UPPER_BOUND])) for pid in estimated])
        return cls(ids=list(pdf.index), estimated_ids=estimated, scales=scales,
                   lb=pdf.loc[estimated, C.LOWER_BOUND].to_numpy(float),
                   ub=pdf.loc[estimated, C.UPPER_BOUND].to_numpy(float),
                   nominal=np.array([nominal_all[pid] for pid in estimated], float),
                   nominal_all=nominal_all)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_positions",
                           {pid: k for k, pid in enumerate(self.estimated_ids)})

    def position(self, pid: str) -> int | None:
        """Position of an estimated parameter in ``p``; None if ``pid`` is not estimated."""
        return self._positions.get(pid)

    def is_estimated(self, pid: str) -> bool:
        """Whether ``pid`` is an estimated parameter."""
        return pid in self._positions

    def value(self, pid: str, p: np.ndarray) -> float | np.ndarray:
        """Value of any table parameter: from ``p`` if estimated, else its nominal value.

        ``p`` of shape (n, K) holds K parameter vectors, one per column: an
        estimated parameter's value is then its K values (a row of ``p``).
        """
        k = self._positions.get(pid)
        if k is None:
            return self.nominal_all[pid]
        return float(p[k]) if np.ndim(p) == 1 else p[k]


#: Looks up the current value of a model quantity by id (species: as SBML means the id).
Lookup = Callable[[str], float]


@dataclass(frozen=True, eq=False)
class Formula:
    """A value given as a math expression of parameters, model quantities and time.

    Attributes
    ----------
    text
        The expression as libpetab parsed it (for equality and messages).
    fn
        The compiled expression, called as ``fn(*parameter_values, *model_values, time)``.
    parameters
        Per parameter symbol, the :class:`Assignment` that gives its value.
    model_symbols
        Model quantities the expression reads at the time it is applied.
    """

    text: str
    fn: Callable
    parameters: tuple["Assignment", ...]
    model_symbols: tuple[str, ...]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Formula) and (self.text, self.parameters, self.model_symbols) == (
            other.text, other.parameters, other.model_symbols)

    def __hash__(self) -> int:
        return hash((self.text, self.parameters, self.model_symbols))

    def value(self, p: np.ndarray, lookup: Lookup | None) -> float:
        """The value at ``p``, model quantities read through ``lookup`` (``"time"`` too)."""
        if lookup is None and self.model_symbols:
            raise JakstatInputError(f"{self.text!r} reads model quantities "
                                    f"{list(self.model_symbols)}: expected a running simulation")
        args = [a.value(p) for a in self.parameters]
        args += [lookup(name) for name in self.model_symbols]
        args.append(lookup("time") if lookup is not None else 0.0)
        with np.errstate(all="ignore"):
            return float(self.fn(*args))


@dataclass(frozen=True)
class Assignment:
    """One model quantity set by a condition.

    Attributes
    ----------
    target
        SBML id of a parameter, compartment or species.
    constant
        The value, if it is fixed (0 when ``estimated`` or ``formula`` gives it).
    estimated
        Position of the estimated parameter giving the value in ``p``, or -1.
    formula
        A math expression giving the value (PEtab v2 target values), or None.
    """

    target: str
    constant: float
    estimated: int = -1
    formula: Formula | None = None

    def value(self, p: np.ndarray, lookup: Lookup | None = None) -> float:
        """The value at estimated parameters ``p`` (model quantities of a formula
        read through ``lookup``)."""
        if self.formula is not None:
            return self.formula.value(p, lookup)
        return float(p[self.estimated]) if self.estimated >= 0 else self.constant

    def positions(self) -> set[int]:
        """Positions in ``p`` of the estimated parameters the value depends on."""
        if self.formula is not None:
            return {a.estimated for a in self.formula.parameters if a.estimated >= 0}
        return {self.estimated} if self.estimated >= 0 else set()


@dataclass(frozen=True)
class ConditionSettings:
    """What one PEtab condition changes on the model.

    Attributes
    ----------
    condition_id
        The PEtab condition.
    parameters
        Model parameters whose value differs from the model's (libpetab's
        mapping: condition table, parameter table, estimated parameters).
    states
        Species and compartments of the condition table: initial values at
        the start of a simulation, current values after pre-equilibration.
    """

    condition_id: str
    parameters: tuple[Assignment, ...]
    states: tuple[Assignment, ...]

    @property
    def key(self) -> tuple:
        """What the condition sets, without its id: equal keys simulate alike."""
        return self.parameters, self.states

    def estimated_positions(self) -> set[int]:
        """Positions in ``p`` of the estimated parameters this condition uses."""
        return set().union(*(a.positions() for a in self.parameters + self.states))

    @property
    def reads_model(self) -> bool:
        """Whether a value is a formula of model quantities (evaluated when applied)."""
        return any(a.formula is not None and a.formula.model_symbols
                   for a in self.parameters + self.states)

    def parameter_values(self, p: np.ndarray, lookup: Lookup | None = None) -> dict[str, float]:
        """Parameter id -> value at ``p`` (formulas read the model through ``lookup``)."""
        return {a.target: a.value(p, lookup) for a in self.parameters}

    def state_values(self, p: np.ndarray, lookup: Lookup | None = None) -> dict[str, float]:
        """Species / compartment id -> value at ``p`` (non-finite values left out)."""
        values = {a.target: a.value(p, lookup) for a in self.states}
        return {k: v for k, v in values.items() if math.isfinite(v)}


def _assignment(target: str, value: Any, table: ParameterTable, where: str) -> Assignment | None:
    """An :class:`Assignment` for a mapped value (number or parameter id); None for NaN."""
    value = to_float_if_float(value)
    if isinstance(value, str):
        k = table.position(value)
        if k is not None:
            return Assignment(target, 0.0, k)
        if value in table.nominal_all:
            value = table.nominal_all[value]
        else:
            raise JakstatInputError(
                f"{where}: {value!r} is neither a number nor a parameter of the "
                f"parameter table; expected one of those")
    value = float(value)
    return None if math.isnan(value) else Assignment(target, value)


def condition_settings(condition_ids: Iterable[str], *, condition_df: pd.DataFrame,
                       parameter_df: pd.DataFrame, table: ParameterTable, sbml_model: Any,
                       model_values: Mapping[str, float], state_ids: set[str],
                       ) -> dict[str, ConditionSettings]:
    """Map PEtab conditions onto the model.

    Parameters
    ----------
    condition_ids
        The conditions to map.
    condition_df, parameter_df
        PEtab condition and parameter tables.
    table
        The parameter table read by :class:`ParameterTable`.
    sbml_model
        libpetab's model object (``ProblemPayload.sbml_model()``).
    model_values
        Settable model parameters and their values in the model: the
        parameters libpetab maps, and the reference for "changed".
    state_ids
        Ids of the model whose initial values a condition sets: species,
        compartments and targets of rate rules.

    Returns
    -------
    dict
        Condition id -> :class:`ConditionSettings`.

    Raises
    ------
    JakstatInputError
        For a condition missing from the table, a column that is no settable
        model entity, or a value that is neither a number nor a parameter.
    """
    columns = [c for c in condition_df.columns if c != C.CONDITION_NAME]
    for col in columns:
        if col not in model_values and col not in state_ids:
            raise JakstatInputError(
                f"condition table column {col!r} is not a parameter, species or "
                f"compartment of the model that can be set; expected a model id "
                f"not defined by an assignment rule")
    out = {}
    for cid in dict.fromkeys(condition_ids):
        if cid not in condition_df.index:
            raise JakstatInputError(f"condition {cid!r} not in the condition table; "
                                    f"expected one of {list(condition_df.index)}")
        try:
            mapping, _ = get_parameter_mapping_for_condition(
                condition_id=cid, is_preeq=False, cur_measurement_df=None, model=sbml_model,
                condition_df=condition_df, parameter_df=parameter_df,
                simulation_parameters=dict(model_values), warn_unmapped=False,
                scaled_parameters=False, fill_fixed_parameters=True)
        except (KeyError, ValueError, NotImplementedError) as exc:  # an unresolvable entry
            raise JakstatInputError(
                f"condition {cid!r} cannot be mapped onto the model ({type(exc).__name__}: "
                f"{exc}); expected numbers or ids of the model or the parameter table") from None
        parameters = []
        for pid, mapped in mapping.items():
            a = _assignment(pid, mapped, table, f"condition {cid!r}, parameter {pid!r}")
            if a is not None and (a.estimated >= 0 or a.constant != model_values.get(pid)):
                parameters.append(a)
        states = []
        for sid in columns:
            if sid not in state_ids:
                continue
            raw = condition_df.at[cid, sid]
            if not isinstance(raw, str) and pd.isna(raw):
                continue
            a = _assignment(sid, raw, table, f"condition {cid!r}, column {sid!r}")
            if a is not None:
                states.append(a)
        out[cid] = ConditionSettings(cid, tuple(parameters), tuple(states))
    return out


def switch_settings(preequilibration: ConditionSettings, simulation: ConditionSettings,
                    model_values: Mapping[str, float]) -> ConditionSettings:
    """What to set when the simulation condition follows a pre-equilibration.

    Parameters take the simulation condition's values; a parameter changed
    by the pre-equilibration condition alone returns to its model value.
    Species and compartments of the simulation condition replace the
    pre-equilibrated values; the others keep them.
    """
    sim_targets = {a.target for a in simulation.parameters}
    back = tuple(Assignment(a.target, float(model_values[a.target]))
                 for a in preequilibration.parameters if a.target not in sim_targets)
    return ConditionSettings(simulation.condition_id, simulation.parameters + back,
                             simulation.states)
