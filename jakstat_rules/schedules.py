"""Therapy schedules: periods of input changes, simulated on the one simulation core.

A schedule (:class:`~jakstat_rules.conditions.Schedule`) is a PEtab v2
experiment in shape: periods, each a start time and the changes made then.
The standard schedules are in the one conditions table
(:data:`jakstat_rules.conditions.SCHEDULES`); :func:`read_schedule` reads a
schedule file (YAML, see ``docs/cancer.md``).  What a change does:

* an input of :data:`~jakstat_rules.interface.INPUTS` is a **level** held from
  its period on: a cytokine's free amount in the medium is set to the new
  concentration (added, or 0: washed out; a medium change, which also removes
  secreted free cytokine), a drug concentration in the medium is set;
* ``IR_Gy`` (:data:`~jakstat_rules.interface.PULSE_INPUTS`) is a **fraction**
  given at the period's start: its DNA double-strand breaks are added to
  those still unrepaired (at ``t = 0`` exactly as the ``IR_Gy`` input of a
  condition);
* ``<drug>_oral_mg`` is an **oral dose**: the drug's free plasma
  concentration (:mod:`jakstat_rules.pk`) is added to the ``<drug>_nM``
  input at every time.

Which species an input sets is read from the model (the species whose
initial amounts the input changes), so a new input (``IL6_pM``) is data, not
code.  Integration is :meth:`Engine.run_periods
<jakstat_rules.engine.Engine.run_periods>`, the period integration of PEtab
v2 experiments.  The exported SBML keeps drugs as constant inputs (the same
model COPASI and the SBML tests check); a schedule with oral doses runs on a
copy of it with the PK in its equations (:func:`pk_simulator`,
:func:`jakstat_rules.export.schedule.pk_sbml`: gut and plasma amounts with
rate rules, ``<drug>_nM`` the medium level plus the free plasma
concentration), compiled once per model and set of drugs and cached like
every model.  A dose is added to the gut at its period's start; the drug's
concentration is continuous, as in the schedule SBML that
:func:`jakstat_rules.export.schedule.schedule_sbml` writes for other tools
(measured: 6e-10 of a readout's range or less; tested to 1e-6 in
``tests/test_export_schedule.py``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from .conditions import (Schedule, SchedulePeriod, _merged, check_changes, check_times,
                         check_variant, get_schedule, repeated, time_grid)
from .errors import JakstatInputError, SimulationError, checked_number
from .interface import INPUTS, ORAL_DOSES, PULSE_INPUTS
from .pk import drug_of_dose, get_pk

__all__ = ["read_schedule", "load_schedule", "simulate_schedule", "pk_simulator", "oral_doses",
           "free_drug_columns", "schedule_events"]

_KEYS = {"id", "description", "variant", "t_end", "n_points", "periods"}
_PERIOD_KEYS = {"time", "changes", "every", "count"}


def _number(value: Any, what: str, where: str, low: float = 0.0) -> float:
    return checked_number(value, f"{where}: {what} {value!r} is invalid: expected a finite "
                                 f"number >= {low:g}", low=low)


def schedule_from_dict(data: Any, where: str = "schedule") -> Schedule:
    """A :class:`~jakstat_rules.conditions.Schedule` from its file form (a mapping).

    Raises
    ------
    JakstatInputError
        For a missing or unknown key, a bad time, count or change (naming it).
    """
    if not isinstance(data, dict):
        raise JakstatInputError(f"{where}: expected a mapping with keys {sorted(_KEYS)}, "
                                f"got {type(data).__name__}")
    unknown = sorted(set(map(str, data)) - _KEYS)
    if unknown:
        raise JakstatInputError(f"{where}: unknown key(s) {unknown}: expected some of {sorted(_KEYS)}")
    if not isinstance(data.get("periods"), list) or not data["periods"]:
        raise JakstatInputError(f"{where}: 'periods' is missing or empty: expected a list of "
                                f"periods, each with 'time' (min) and 'changes'")
    sid = str(data.get("id", Path(where).stem))
    periods: list[SchedulePeriod] = []
    for k, item in enumerate(data["periods"]):
        here = f"{where}, period {k + 1}"
        if not isinstance(item, dict) or "time" not in item or not isinstance(item.get("changes"), dict):
            raise JakstatInputError(f"{here}: expected a mapping with 'time' (min) and 'changes' "
                                    f"(target: value), got {item!r}")
        bad = sorted(set(map(str, item)) - _PERIOD_KEYS)
        if bad:
            raise JakstatInputError(f"{here}: unknown key(s) {bad}: expected some of {sorted(_PERIOD_KEYS)}")
        time = _number(item["time"], "time", here)
        changes = check_changes(item["changes"], here)
        if not changes:
            raise JakstatInputError(f"{here}: 'changes' is empty: expected target: value pairs")
        if "every" in item or "count" in item:
            every = _number(item.get("every"), "'every' (min)", here)
            count = item.get("count")
            if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 10_000:
                raise JakstatInputError(f"{here}: 'count' {count!r} is invalid: expected an integer "
                                        f"from 1 to 10000 (with 'every')")
            if every <= 0 and count > 1:
                raise JakstatInputError(f"{here}: 'every' {every:g} is invalid: expected minutes > 0")
            periods += repeated(changes, every, count, time)
        else:
            periods.append(SchedulePeriod(time, changes))
    t_end = data.get("t_end", max(p.time for p in periods) + 1440.0)
    n_points = data.get("n_points", 433)
    time_grid(t_end, n_points)  # checks both
    late = [p.time for p in periods if p.time > float(t_end)]
    if late:
        raise JakstatInputError(f"{where}: period at {late[0]:g} min is after t_end {float(t_end):g}: "
                                f"expected periods within the simulated time")
    return Schedule(sid, _merged(periods, where), check_variant(str(data.get("variant", "default"))),
                    float(t_end), n_points, str(data.get("description", "")))


def read_schedule(path: str | Path) -> Schedule:
    """Read a schedule file (YAML; format in ``docs/cancer.md``).

    Raises
    ------
    JakstatInputError
        If the file cannot be read or parsed, or a value is bad.
    """
    import yaml

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise JakstatInputError(f"schedule file {str(path)!r} cannot be read ({exc}): expected a "
                                f"YAML schedule file") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0]
        raise JakstatInputError(f"schedule file {str(path)!r} is not valid YAML ({first}): expected "
                                f"a schedule (see docs/cancer.md)") from None
    return schedule_from_dict(data, str(path))


def load_schedule(name: str) -> Schedule:
    """A standard schedule by id, or a schedule file by path (ending ``.yaml`` / ``.yml``)."""
    if name.endswith((".yaml", ".yml")) or Path(name).is_file():
        return read_schedule(name)
    return get_schedule(name)


# ----------------------------------------------------------------------------- simulation
def oral_doses(schedule: Schedule) -> dict[str, list[tuple[float, float]]]:
    """Drug -> its oral doses ``(time in min, mg)``."""
    out: dict[str, list[tuple[float, float]]] = {}
    for period in schedule.periods:
        for target, value in period.changes.items():
            drug = drug_of_dose(target)
            if drug is not None:
                out.setdefault(drug, []).append((period.time, value))
    return out


def _levels(schedule: Schedule) -> tuple[list[float], list[dict[str, float]], list[dict[str, float]]]:
    """Period starts (0 first), the level inputs in force and the pulses of every period."""
    periods = list(schedule.periods)
    if periods[0].time > 0:
        periods.insert(0, SchedulePeriod(0.0, {}))
    starts, levels, pulses = [], [], []
    now: dict[str, float] = {}
    for period in periods:
        now = {**now, **{k: v for k, v in period.changes.items()
                         if k in INPUTS and k not in PULSE_INPUTS}}
        starts.append(float(period.time))
        levels.append(dict(now))
        pulses.append({k: v for k, v in period.changes.items() if k in PULSE_INPUTS})
    return starts, levels, pulses


def free_drug_columns(schedule: Schedule, times: Sequence[float]) -> dict[str, np.ndarray]:
    """``<drug>_free_nM`` -> free concentration (nM) at ``times``: medium level plus oral PK.

    In closed form (:meth:`OralPK.free_nM <jakstat_rules.pk.OralPK.free_nM>`), for
    comparison with what :func:`simulate_schedule` integrates.
    """
    starts, levels, _ = _levels(schedule)
    times = np.asarray(times, dtype=float)
    index = np.searchsorted(starts, times, side="right") - 1
    out = {}
    for drug, doses in oral_doses(schedule).items():
        level = np.array([levels[max(i, 0)].get(f"{drug}_nM", 0.0) for i in index])
        out[f"{drug}_free_nM"] = level + get_pk(drug).free_nM(doses, times)
    return out


def _added_amounts(sim):
    """``inputs -> species amounts they add`` (initial amounts minus those at zero input)."""
    sim.resting_state()
    zero = sim._zero_input_initial

    def added(inputs: Mapping[str, float]) -> np.ndarray:
        return sim._initial_amounts(inputs) - zero if inputs else np.zeros_like(zero)
    return added


def _footprints(levels: Sequence[Mapping[str, float]], added) -> dict[str, np.ndarray]:
    """Input held as a level -> indices of the species it doses (set anew when it changes)."""
    footprints: dict[str, np.ndarray] = {}
    for k in range(1, len(levels)):
        for name in set(levels[k]) | set(levels[k - 1]):
            if name not in footprints:
                probe = max([lv.get(name, 0.0) for lv in levels] + [0.0]) or 1.0
                footprints[name] = np.flatnonzero(added({name: probe}) != 0)
    return footprints


def _medium_input(name: str, drugs) -> str:
    """The id a level of ``name`` sets in the PK model: ``<drug>_medium_nM`` for a dosed drug."""
    return f"{name[:-3]}_medium_nM" if name.endswith("_nM") and name[:-3] in drugs else name


def pk_simulator(sim, drugs):
    """The simulator of ``sim``'s model with the oral PK of ``drugs`` in its equations.

    Its SBML is :func:`jakstat_rules.export.schedule.pk_sbml` of ``sim``'s
    (compiled once per model and set of drugs, then cached like every
    model); it has ``sim``'s parameter values and tolerances and shares its
    resting state (the PK adds no species, and without a dose it is at
    rest).  Kept on ``sim``, so a schedule run again costs no compilation.
    """
    from .export.pk_model import pk_sbml
    from .simulate import Simulator

    key = (tuple(sorted(drugs)), tuple(sorted(sim.overrides.items())))
    cache = sim.__dict__.setdefault("_pk_simulators", {})
    if key not in cache:
        pk = Simulator(sim.variant, sim.overrides, rtol=sim.rtol, atol=sim.atol,
                       sbml=pk_sbml(sim.sbml, key[0]))
        if pk.engine.species_ids == sim.engine.species_ids:
            pk._rest_state = sim.resting_state()
            pk._zero_input_initial = sim._zero_input_initial
        cache[key] = pk
    return cache[key]


def simulate_schedule(schedule: Schedule, readouts: Sequence[str] | None = None,
                      times: Sequence[float] | None = None, simulator=None) -> pd.DataFrame:
    """Simulate a therapy schedule from the resting state.

    Parameters
    ----------
    schedule
        The schedule (:func:`load_schedule`).
    readouts
        Readouts (default: all).
    times
        Output times in minutes (default: the schedule's).
    simulator
        A :class:`~jakstat_rules.simulate.Simulator` of the schedule's
        variant (default: the shared one).  With oral doses the schedule
        runs on its :func:`pk_simulator`.

    Returns
    -------
    pandas.DataFrame
        ``time`` (min), one column per readout, and ``<drug>_free_nM`` per
        orally dosed drug (the free concentration the kinases see, nM: the
        medium level plus the free plasma concentration, as integrated).

    Raises
    ------
    JakstatInputError
        For unknown readouts or bad times.
    SimulationError
        When the solver fails (names the schedule).
    """
    from .simulate import get_simulator

    sim = simulator if simulator is not None else get_simulator(schedule.variant)
    if sim.variant != schedule.variant:
        raise JakstatInputError(f"schedule {schedule.id!r} is for the {schedule.variant} model, "
                                f"the simulator for {sim.variant}: expected the same variant")
    readouts = sim._check_readouts(readouts)
    times = check_times(schedule.times if times is None else times)
    doses = oral_doses(schedule)
    starts, levels, pulses = _levels(schedule)
    if doses:
        sim = pk_simulator(sim, doses)
        levels = [{_medium_input(n, doses): v for n, v in level.items()} for level in levels]
    elif sim.prune:  # the species the schedule's inputs can make (Simulator.pruned)
        sim = sim.pruned({n: v for period in levels + pulses for n, v in period.items() if v}) or sim
    given: dict[float, dict[str, float]] = {}
    for drug, taken in doses.items():
        for time, mg in taken:
            given.setdefault(float(time), {})[f"{drug}_gut"] = get_pk(drug).absorbed_nmol(mg)
    eng = sim.engine
    rest = sim.resting_state()
    added = _added_amounts(sim)
    first = added({**levels[0], **pulses[0]})
    level_added = [added(level) for level in levels]
    pulse_added = [added(pulse) for pulse in pulses]
    footprints = _footprints(levels, added)

    def apply(k: int) -> None:
        if k == 0:
            eng.start({**sim.overrides, **levels[0], **pulses[0]})
            eng.state = rest + first
        else:
            state = eng.state
            changed = {n: v for n, v in levels[k].items() if levels[k - 1].get(n, 0.0) != v}
            changed.update({n: 0.0 for n in levels[k - 1] if n not in levels[k]})
            for name in changed:
                idx = footprints[name]
                state[idx] = rest[idx] + level_added[k][idx]
            eng.state = state + pulse_added[k]
            eng.set_values(changed)
        dosed = given.get(starts[k], {})
        if dosed:   # an oral dose enters the gut depot; the PK is part of the ODE system
            eng.set_current({gut: eng.value(gut) + nmol for gut, nmol in dosed.items()})

    drugs = [f"{drug}_nM" for drug in doses]
    try:
        data = eng.run_periods(starts, apply, times, readouts + drugs)
    except SimulationError as exc:
        raise SimulationError(f"schedule {schedule.id!r} ({schedule.variant} model): {exc}") from None
    table = pd.DataFrame(data[:, :len(readouts)], columns=readouts)
    table.insert(0, "time", times)
    for j, drug in enumerate(doses):
        table[f"{drug}_free_nM"] = data[:, len(readouts) + j]
    return table


def schedule_events(schedule: Schedule) -> list[tuple[float, str, str]]:
    """Every change as ``(time in min, kind, words)``; kind is ``oral``, ``radiation`` or ``input``."""
    from .figures import dose_label, input_name

    events = []
    for period in schedule.periods:
        for target, value in period.changes.items():
            if target in ORAL_DOSES:
                events.append((period.time, "oral", dose_label(target, value)))
            elif target in PULSE_INPUTS:
                events.append((period.time, "radiation", dose_label(target, value)))
            else:
                words = dose_label(target, value) if value else f"{input_name(target)} washed out"
                events.append((period.time, "input", words))
    return events
