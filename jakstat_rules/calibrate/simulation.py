"""Simulation of the PEtab conditions of a problem on the one simulation core.

:func:`plan_simulations` groups the measurement rows by their
(pre-equilibration, simulation) condition pair; pairs whose conditions set
the same values (e.g. the same dose in several experiments) are simulated
once, as one :class:`SimulationUnit`.  :class:`ConditionSimulator` runs the
units on an :class:`~jakstat_rules.engine.Engine`:

1. :meth:`Engine.start <jakstat_rules.engine.Engine.start>` with the values
   of the first condition (pre-equilibration if any, else simulation);
2. with a pre-equilibration condition, :meth:`Engine.preequilibrate
   <jakstat_rules.engine.Engine.preequilibrate>`, then the simulation
   condition's values (:func:`~jakstat_rules.calibrate.mapping.switch_settings`);
3. integration through the measured times; measurements at ``t = inf``
   (steady-state data) are read after a further
   :meth:`~jakstat_rules.engine.Engine.preequilibrate` from the last time.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd
from petab.v1 import C

from jakstat_rules.engine import Engine
from jakstat_rules.errors import SimulationError

from .mapping import ConditionSettings, switch_settings

__all__ = ["SimulationUnit", "SimulationPlan", "plan_simulations", "engine_selection",
           "ConditionSimulator"]

#: Simulation results kept per simulator (the least recently used is dropped first).
CACHE_SIZE = 2


@dataclass(frozen=True, eq=False)
class SimulationUnit:
    """One simulation standing for one or more PEtab condition pairs.

    Attributes
    ----------
    preequilibration_id, simulation_id
        The representative pair (``preequilibration_id`` is ``""`` if none).
    start
        Values set at time 0 (the first condition's).
    switch
        Values set after pre-equilibration, or None.
    times
        Sorted distinct measurement times (``inf`` last).
    members
        Every (pre-equilibration, simulation) pair this unit simulates.
    """

    preequilibration_id: str
    simulation_id: str
    start: ConditionSettings
    switch: ConditionSettings | None
    times: np.ndarray
    members: tuple[tuple[str, str], ...]


@dataclass(frozen=True, eq=False)
class SimulationPlan:
    """Simulation units and where every measurement row finds its value.

    Attributes
    ----------
    units
        The simulations.
    row_unit
        Per measurement row, its unit.
    row_time
        Per measurement row, the position of its time in ``units[k].times``.
    """

    units: list[SimulationUnit]
    row_unit: np.ndarray
    row_time: np.ndarray


def plan_simulations(measurement_df: pd.DataFrame, settings: Mapping[str, ConditionSettings],
                     model_values: Mapping[str, float]) -> SimulationPlan:
    """Group measurement rows into simulation units.

    Parameters
    ----------
    measurement_df
        PEtab measurement table with a 0..n-1 index.
    settings
        :class:`ConditionSettings` of every condition used.
    model_values
        Model values of the settable parameters (see :func:`switch_settings`).
    """
    pre = (measurement_df[C.PREEQUILIBRATION_CONDITION_ID].astype("string").fillna("").astype(str)
           if C.PREEQUILIBRATION_CONDITION_ID in measurement_df
           else pd.Series("", index=measurement_df.index))
    sim = measurement_df[C.SIMULATION_CONDITION_ID].astype(str)
    pairs = list(dict.fromkeys(zip(pre, sim)))
    index_of: dict[tuple, int] = {}
    pair_unit: dict[tuple[str, str], int] = {}
    representative: list[tuple[str, str]] = []
    members: list[list[tuple[str, str]]] = []
    for pair in pairs:
        key = (settings[pair[0]].key if pair[0] else None, settings[pair[1]].key)
        if key not in index_of:
            index_of[key] = len(representative)
            representative.append(pair)
            members.append([])
        pair_unit[pair] = index_of[key]
        members[index_of[key]].append(pair)
    row_unit = np.array([pair_unit[x] for x in zip(pre, sim)], dtype=int)
    times_all = measurement_df[C.TIME].to_numpy(float)
    row_time = np.zeros(len(measurement_df), dtype=int)
    units = []
    for k, (p_id, s_id) in enumerate(representative):
        rows = np.flatnonzero(row_unit == k)
        times = np.unique(times_all[rows])
        row_time[rows] = np.searchsorted(times, times_all[rows])
        start = settings[p_id or s_id]
        switch = switch_settings(settings[p_id], settings[s_id], model_values) if p_id else None
        units.append(SimulationUnit(p_id, s_id, start, switch, times, tuple(members[k])))
    return SimulationPlan(units, row_unit, row_time)


def engine_selection(engine: Engine, name: str) -> str:
    """libroadrunner selection of a model quantity as SBML means it.

    A species id means its concentration unless it has only substance units.
    """
    species = set(engine.species_ids) | set(engine.boundary_species_ids)
    return f"[{name}]" if name in species and name not in engine.only_substance else name


class ConditionSimulator:
    """Runs the units of a :class:`SimulationPlan` on an engine.

    Parameters
    ----------
    engine
        The compiled model.
    plan
        The simulation units.
    quantities
        Model quantities to return (SBML ids).
    dynamic
        Positions in ``p`` of the estimated parameters the simulations
        depend on (the cache key).
    """

    def __init__(self, engine: Engine, plan: SimulationPlan, quantities: list[str],
                 dynamic: np.ndarray) -> None:
        self.engine = engine
        self.plan = plan
        self.quantities = list(quantities)
        self.selections = [engine_selection(engine, q) for q in self.quantities]
        self.dynamic = np.asarray(dynamic, dtype=int)
        # the last CACHE_SIZE results by dynamic parameters: a finite-difference
        # Jacobian perturbs the dynamic parameters one by one and then the others
        # (noise, scaling), which need the unperturbed simulation again
        self._cache: OrderedDict[tuple, list[np.ndarray]] = OrderedDict()

    def _begin(self, unit: SimulationUnit, p: np.ndarray) -> None:
        """Start the unit: first condition, pre-equilibration and switch."""
        eng = self.engine
        eng.start({**unit.start.parameter_values(p), **unit.start.state_values(p)})
        if unit.switch is not None:
            eng.preequilibrate()
            eng.set_values(unit.switch.parameter_values(p))
            eng.set_current(unit.switch.state_values(p))

    def simulate(self, p: np.ndarray) -> list[np.ndarray]:
        """Simulate every unit at its measurement times; cached on the dynamic parameters.

        Parameters
        ----------
        p
            Linear values of all estimated parameters.

        Returns
        -------
        list of numpy.ndarray
            Per unit an array (n_times, n_quantities) at ``unit.times``.

        Raises
        ------
        SimulationError
            Solver failure, no steady state, or non-finite results; the
            message names the condition.
        """
        key = tuple(np.asarray(p, float)[self.dynamic].tolist())
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        out = []
        eng = self.engine
        for unit in self.plan.units:
            times = unit.times
            finite = times[np.isfinite(times)]
            res = np.empty((len(times), len(self.selections)))
            try:
                self._begin(unit, p)
                if len(finite):
                    grid = np.unique(np.concatenate([[0.0], finite]))
                    data = eng.simulate(grid, self.selections)
                    res[: len(finite)] = data[np.searchsorted(grid, finite)]
                if len(finite) < len(times):  # steady-state measurements
                    eng.preequilibrate()
                    res[len(finite):] = eng.simulate([0.0], self.selections)[0]
            except (SimulationError, RuntimeError) as exc:  # the engine's and libroadrunner's
                # solver failures only: a bad id or setting is a bug to report, not an inf to fit
                raise SimulationError(f"condition {unit.simulation_id!r}: {exc}") from None
            if not np.all(np.isfinite(res)):
                raise SimulationError(f"condition {unit.simulation_id!r}: non-finite output")
            out.append(res)
        self._cache[key] = out
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return out

    def simulate_dense(self, p: np.ndarray, n: int = 120) -> list[tuple[np.ndarray, np.ndarray]]:
        """Every unit on ``n`` equidistant times up to its last finite time (for plots).

        Returns
        -------
        list of (times, values)
            ``values`` has shape (n, n_quantities).
        """
        out = []
        for unit in self.plan.units:
            tmax = float(np.max(unit.times[np.isfinite(unit.times)], initial=1.0))
            grid = np.linspace(0.0, tmax, n)
            self._begin(unit, p)
            out.append((grid, self.engine.simulate(grid, self.selections)))
        return out
