"""The one simulation core: an SBML model compiled once by libroadrunner.

Every simulation of the project goes through :class:`Engine` (the
:class:`~jakstat_rules.simulate.Simulator`, the PEtab objective, validation,
profiles, COPASI cross-checks, tests and benchmarks); no other module creates
a ``RoadRunner``.

* **Compile once.** JIT compilation of the 383-species model takes about 2 s
  (libroadrunner's LLJIT backend, :data:`DEFAULT_JIT`). The compiled state
  (libroadrunner's ``saveStateS``) is kept in memory and on disk, keyed by the
  SHA-256 of the SBML text, the libroadrunner version and the JIT backend, with
  a checksum (:mod:`jakstat_rules.io`): a second engine of the same SBML, in
  this process or another, loads it instead of compiling again.
* **Values by id.** :meth:`Engine.set_values` sets parameters, compartments
  and species initial values by SBML id; the next :meth:`Engine.reset`
  re-evaluates every initial assignment from them, of species (libroadrunner)
  and of parameters (evaluated here: ``RoadRunner.reset()`` does not
  re-evaluate parameter initial assignments, and ``RoadRunner.setValue`` on
  ``init(...)`` ids recompiles the whole model, about 10 s to a minute).
  Initial values libroadrunner cannot set (species with an initial
  assignment, targets of rate rules) replace the assignment and are applied
  after it; a compartment size set this way keeps the initial concentration
  of species given as concentrations, as SBML defines.
* **One pre-equilibration.** :meth:`Engine.preequilibrate` integrates in
  doubling windows until every rate of change is below
  ``STEADY_STATE_TOL * (1 + max |x|)``.
* **Periods.** :meth:`Engine.run_periods` integrates one simulation made of
  periods (a start time and what changes then): PEtab v2 experiments in
  calibration (:mod:`jakstat_rules.calibrate.simulation`) and therapy
  schedules (:mod:`jakstat_rules.schedules`) alike.  What varies
  continuously in time (a drug's plasma concentration) is part of the
  model's equations (rate rules), not a value set between integrations.
* **Events.** libroadrunner fires SBML events during integration; at a
  period start the period's values are set first, then the events they (or
  the start time) trigger fire (:meth:`Engine.fire_events`), as PEtab v2
  orders it.
* **One default tolerance.** CVODE (BDF) with relative and absolute
  tolerance :data:`DEFAULT_RTOL` / :data:`DEFAULT_ATOL` (1e-10): tight
  enough for finite-difference gradients in calibration, 0.1 s per 4 h
  condition of the full model.  The global error this gives is larger than
  the local tolerance: 1.4e-7 relative after 6 half-lives of an exponential
  decay (``tests/test_engine.py``).

Examples
--------
>>> from jakstat_rules.engine import Engine                 # doctest: +SKIP
>>> eng = Engine.from_file("sbml/jakstat_ifn.xml")          # doctest: +SKIP
>>> eng.set_values({"IFNb_pM": 100}); eng.reset()           # doctest: +SKIP
>>> eng.table([0, 60, 120, 240], ["pSTAT1_total"])          # doctest: +SKIP
"""
from __future__ import annotations

import contextlib
import logging
import math
import os
import threading
from pathlib import Path
from typing import Callable, Hashable, Iterable, Mapping, Sequence

import numpy as np

from .errors import JakstatInputError, SimulationError
from .formulas import (MAX_MATH_DEPTH, evaluate_formula, formula_ids, math_depth, math_text,
                       parse_formula, read_expanded)
from .io import cache_dir, read_cache_entry, sha256, status, write_cache_entry

__all__ = ["Engine", "DEFAULT_RTOL", "DEFAULT_ATOL", "DEFAULT_MAX_STEPS", "STEADY_STATE_TOL",
           "compiled_state", "clear_memory_cache"]

log = logging.getLogger("jakstat_rules")

#: Relative and absolute CVODE tolerances used everywhere unless a caller asks otherwise.
DEFAULT_RTOL = 1e-10
DEFAULT_ATOL = 1e-10
#: Maximal number of internal CVODE steps per output interval.
DEFAULT_MAX_STEPS = 200_000
#: Steady state: max |dx/dt| <= STEADY_STATE_TOL * (1 + max |x|) (amount per time unit).
STEADY_STATE_TOL = 1e-9
#: Pre-equilibration gives up after this much model time.
STEADY_STATE_MAX_TIME = 1e9

_STATES: dict[str, tuple[bytes, dict]] = {}
#: Version of the compiled-state cache format; part of every key, so entries written by
#: another version of this module are never read.
CACHE_FORMAT = "engine-8"
#: Number of JIT compilations in this process (the caches avoid them; tests read this).
COMPILATIONS = 0
#: Stack of the thread libroadrunner compiles in (bytes): its code generation recurses once
#: per level of a formula.  On the 8 MB stack of the main thread a sum of 4000 terms
#: compiles and one of 5000 crashes the process; in a 64 MB thread 5000 compile.
COMPILE_STACK = 128 * 1024 * 1024
_LOCK = threading.Lock()
#: One compilation at a time in a process: the JIT settings are libroadrunner's global state
#: (re-entrant: compiled_state holds it around _compile, which takes it too).
_COMPILE_LOCK = threading.RLock()
#: libroadrunner's JIT for compiling a model: ``lljit`` (LLVM's ORC LLJIT, no extra
#: optimisation passes) or ``mcjit`` (libroadrunner 2.10's default).  LLJIT compiles the
#: whole model 3-4.5 times faster and the compiled model simulates within a few per cent of
#: MCJIT's time, with identical results (``benchmarks/bench_compile.py``).  Set
#: ``JAKSTAT_JIT=mcjit`` to use MCJIT.
JIT_BACKENDS = {"mcjit": 0, "lljit": 1}
DEFAULT_JIT = "lljit"


def jit_backend() -> str:
    """The JIT backend compilations use: ``$JAKSTAT_JIT`` if set, else :data:`DEFAULT_JIT`.

    Raises
    ------
    JakstatInputError
        If ``$JAKSTAT_JIT`` names no backend of :data:`JIT_BACKENDS`.
    """
    name = os.environ.get("JAKSTAT_JIT", "").strip().lower() or DEFAULT_JIT
    if name not in JIT_BACKENDS:
        raise JakstatInputError(f"JAKSTAT_JIT={name!r} is not a JIT backend: expected one of "
                                f"{sorted(JIT_BACKENDS)}")
    return name


@contextlib.contextmanager
def _jit_config(name: str):
    """libroadrunner's (process-wide) JIT settings set to ``name`` for one compilation and
    restored afterwards; a compiled model's saved state loads whatever they are then."""
    import roadrunner

    cfg = roadrunner.Config
    before = cfg.getValue(cfg.LLVM_BACKEND), cfg.getValue(cfg.LLJIT_OPTIMIZATION_LEVEL)
    cfg.setValue(cfg.LLVM_BACKEND, JIT_BACKENDS[name])
    cfg.setValue(cfg.LLJIT_OPTIMIZATION_LEVEL, 0)
    try:
        yield
    finally:
        cfg.setValue(cfg.LLVM_BACKEND, before[0])
        cfg.setValue(cfg.LLJIT_OPTIMIZATION_LEVEL, before[1])


def _rr_version() -> str:
    import roadrunner
    return str(getattr(roadrunner, "__version__", "unknown"))


def compiled_state(sbml: str, use_cache: bool = True) -> tuple[bytes, dict]:
    """libroadrunner's saved state of ``sbml`` right after compilation, and SBML facts.

    Looked up in memory, then on disk (``<cache>/compiled``), else compiled
    and stored in both.  A damaged entry is reported and recompiled.  The
    facts (``only_substance`` species, parameter initial assignments as
    formulas; the ``parameter_ids`` and ``settable_ids`` of :class:`Engine`,
    so that a caller can check ids without loading the compiled model) are
    read from the SBML once with libSBML and libroadrunner and cached with it.

    Raises
    ------
    JakstatInputError
        If a formula nests deeper than :data:`~jakstat_rules.formulas.MAX_MATH_DEPTH`
        (checked before libroadrunner sees the model), or libroadrunner cannot
        load the SBML (the message names the reason).
    """
    backend = jit_backend()
    key = sha256("\0".join([sbml, _rr_version(), os.uname().machine, CACHE_FORMAT, backend]))
    with _LOCK:
        if use_cache and key in _STATES:
            return _STATES[key]
    folder = cache_dir("compiled")
    with _COMPILE_LOCK:          # one thread loads or compiles: one waiting for it finds it
        with _LOCK:
            found = _STATES.get(key) if use_cache else None
        if found is None and use_cache:
            found = _from_disk(key, folder)
        if found is None:
            found = _compile_and_store(sbml, backend, key, folder)
        with _LOCK:
            _STATES[key] = found
    return found


def _from_disk(key: str, folder: Path) -> tuple[bytes, dict] | None:
    """The compiled state and SBML facts cached on disk under ``key``, or None (missing,
    damaged, or facts in another form: reported, and then recompiled by the caller)."""
    state = read_cache_entry(folder / f"{key[:32]}.rrstate", key)
    meta_raw = read_cache_entry(folder / f"{key[:32]}.json", key)
    if state is None or meta_raw is None:
        return None
    meta = _read_facts(meta_raw)
    if meta is None:
        log.warning("jakstat: cache entry %s holds unreadable SBML facts; regenerating it",
                    folder / f"{key[:32]}.json")
        return None
    return state, meta


def _compile_and_store(sbml: str, backend: str, key: str, folder: Path) -> tuple[bytes, dict]:
    """Compile ``sbml`` (after the depth check) and write its cache entries under ``key``."""
    import json

    global COMPILATIONS
    COMPILATIONS += 1
    depth, where = math_depth(sbml)
    if depth > MAX_MATH_DEPTH:
        raise JakstatInputError(f"the SBML model's formula of {where} is nested {depth} "
                                f"levels deep (an operation of n arguments counts n - 1): "
                                f"expected at most {MAX_MATH_DEPTH}, e.g. a sum of at most "
                                f"{MAX_MATH_DEPTH + 1} terms")
    status("compiling the model with libroadrunner (once per model, then cached) ...")
    state, rules, ids = _compile(sbml, backend)
    meta = {**_sbml_facts(sbml, rules), **ids}
    write_cache_entry(folder / f"{key[:32]}.rrstate", key, state)
    write_cache_entry(folder / f"{key[:32]}.json", key, json.dumps(meta).encode())
    return state, meta


def _compile(sbml: str, backend: str = DEFAULT_JIT) -> tuple[bytes, set[str], dict[str, list[str]]]:
    """libroadrunner's saved state of ``sbml``, its rule ids, and its global parameter ids
    and settable ids (as :class:`Engine` has them: ``parameter_ids``, ``settable_ids``),
    compiled by the JIT ``backend`` (a key of :data:`JIT_BACKENDS`) in a thread with a stack
    of :data:`COMPILE_STACK` bytes.

    Raises
    ------
    JakstatInputError
        If libroadrunner cannot load the SBML (the message names the reason).
    """
    import roadrunner

    out: dict = {}

    def work() -> None:
        try:
            rr = roadrunner.RoadRunner(sbml)
            model = rr.model
            rate_rules = set(rr.getRateRuleIds())
            rules = set(rr.getAssignmentRuleIds()) | rate_rules
            parameters = list(model.getGlobalParameterIds())
            settable = [i for i in (parameters + list(model.getCompartmentIds())
                                    + list(model.getFloatingSpeciesIds())
                                    + list(model.getBoundarySpeciesIds()))
                        if i not in rules or i in rate_rules]
            out["result"] = (bytes(rr.saveStateS()), rules,
                             {"parameter_ids": parameters, "settable_ids": settable})
        except Exception as exc:  # libroadrunner raises RuntimeError / its own types
            out["error"] = exc

    with _COMPILE_LOCK, _jit_config(backend):
        with _LOCK:              # the stack size applies to threads started while it is set
            before = threading.stack_size(COMPILE_STACK)
            try:
                thread = threading.Thread(target=work, name="jakstat-compile")
                thread.start()
            finally:
                threading.stack_size(before)
        thread.join()
    if "error" in out:
        exc = out["error"]
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise JakstatInputError(f"the SBML model could not be loaded by libroadrunner ({first}): "
                                f"expected a valid SBML model")
    return out["result"]


def _read_facts(raw: bytes) -> dict | None:
    """The cached SBML facts, or None if they are not in the expected form."""
    import json

    try:
        meta = json.loads(raw)
        ok = (isinstance(meta.get("only_substance"), list)
              and isinstance(meta.get("parameter_ids"), list)
              and isinstance(meta.get("settable_ids"), list)
              and isinstance(meta.get("concentration_species"), dict)
              and isinstance(meta.get("compartment_of"), dict)
              and all(isinstance(x, list) and len(x) == 2 for x in meta["initial_assignments"])
              and isinstance(meta.get("events"), list)
              and all(isinstance(e, dict) and {"id", "trigger", "assignments"} <= set(e)
                      for e in meta["events"]))
    except (ValueError, AttributeError, KeyError, TypeError):
        return None
    return meta if ok else None


def _sbml_facts(sbml: str, rules: set[str]) -> dict:
    """SBML facts libroadrunner does not expose.

    Species with only substance units; the compartment of every species;
    species whose initial value is a concentration (``initialConcentration`` or an initial assignment, not
    defined by a rule) with their compartment; every initial assignment,
    dependencies first; every event (trigger, its flags, priority, whether it
    has a delay, assignments), formulas as L3 infix text with function
    definitions expanded.
    """
    model = read_expanded(sbml).getModel()  # the formulas below are evaluated without them
    if model is None:
        return {"only_substance": [], "concentration_species": {}, "compartment_of": {},
                "initial_assignments": [], "events": []}
    events = []
    for event in model.getListOfEvents():
        trigger = event.getTrigger()
        if trigger is None or trigger.getMath() is None:
            continue
        events.append({
            "id": event.getId(), "trigger": math_text(trigger.getMath()),
            "initial_value": bool(trigger.getInitialValue()),
            "persistent": bool(trigger.getPersistent()),
            "from_trigger_time": bool(event.getUseValuesFromTriggerTime()),
            "priority": (math_text(event.getPriority().getMath())
                         if event.isSetPriority() and event.getPriority().getMath() else None),
            "delay": bool(event.isSetDelay()),
            "assignments": [[a.getVariable(), math_text(a.getMath())]
                            for a in event.getListOfEventAssignments() if a.getMath()]})
    only = sorted(s.getId() for s in model.getListOfSpecies() if s.getHasOnlySubstanceUnits())
    assigned = {ia.getSymbol() for ia in model.getListOfInitialAssignments()}
    concentration = {s.getId(): s.getCompartment() for s in model.getListOfSpecies()
                     if not s.getHasOnlySubstanceUnits() and s.getId() not in rules
                     and (s.isSetInitialConcentration() or s.getId() in assigned)}
    pending = {ia.getSymbol(): math_text(ia.getMath())
               for ia in model.getListOfInitialAssignments()
               if ia.getSymbol() not in rules and ia.getMath()}
    uses = {sym: formula_ids(parse_formula(text)) for sym, text in pending.items()}
    ordered: list[list[str]] = []
    while pending:
        ready = [sym for sym in pending if not (uses[sym] & (set(pending) - {sym}))]
        if not ready:
            raise JakstatInputError(f"initial assignments of {sorted(pending)} depend on each other "
                                    f"in a cycle: expected an order")
        for sym in ready:
            ordered.append([sym, pending.pop(sym)])
    return {"only_substance": only, "concentration_species": concentration,
            "compartment_of": {s.getId(): s.getCompartment() for s in model.getListOfSpecies()},
            "initial_assignments": ordered, "events": events}


def clear_memory_cache() -> None:
    """Forget the in-process compiled states (the disk cache stays)."""
    with _LOCK:
        _STATES.clear()


class Engine:
    """One SBML model compiled by libroadrunner, simulated many times.

    Parameters
    ----------
    sbml
        The SBML document as text.
    rtol, atol
        CVODE tolerances (default :data:`DEFAULT_RTOL`, :data:`DEFAULT_ATOL`).
    max_steps
        Maximal internal steps per output interval.
    use_cache
        Reuse compiled state from memory / disk (see :func:`compiled_state`).

    Attributes
    ----------
    species_ids, boundary_species_ids, compartment_ids, parameter_ids
        SBML ids by kind (parameters: all global parameters).
    settable_ids
        Ids whose value may be set: parameters, compartments and species no
        assignment rule defines (for a rate rule's target, its initial value).
    only_substance
        Species ids with ``hasOnlySubstanceUnits`` (their id means amount).
    event_ids
        SBML events.  libroadrunner fires them when their trigger turns true
        during integration; a value set between integrations does not fire
        them (it takes the triggers after the change as their previous
        state): :meth:`fire_events` does, for the period starts of
        :meth:`run_periods`.
    """

    def __init__(self, sbml: str, *, rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL,
                 max_steps: int = DEFAULT_MAX_STEPS, use_cache: bool = True) -> None:
        import roadrunner

        self.sbml = sbml
        self.rtol, self.atol = float(rtol), float(atol)
        state, facts = compiled_state(sbml, use_cache=use_cache)
        rr = roadrunner.RoadRunner()
        rr.loadStateS(state)
        integ = rr.integrator
        integ.relative_tolerance = self.rtol
        integ.absolute_tolerance = self.atol
        integ.maximum_num_steps = int(max_steps)
        self.rr = rr
        model = rr.model
        self.species_ids = list(model.getFloatingSpeciesIds())
        self.boundary_species_ids = list(model.getBoundarySpeciesIds())
        self.compartment_ids = list(model.getCompartmentIds())
        self.parameter_ids = list(facts["parameter_ids"])
        self.rate_rule_ids = set(rr.getRateRuleIds())
        self.event_ids = list(model.getEventIds())
        self.rule_ids = set(rr.getAssignmentRuleIds()) | self.rate_rule_ids
        self.settable_ids = list(facts["settable_ids"])  # as _compile found them
        self._settable = set(self.settable_ids)
        self._species = set(self.species_ids) | set(self.boundary_species_ids)
        self.only_substance = set(facts["only_substance"])
        self._concentration_species = dict(facts["concentration_species"])
        self._compartment_of = dict(facts["compartment_of"])
        self._assignments = [(sym, parse_formula(formula))
                             for sym, formula in facts["initial_assignments"]]
        # SBML events as text; parsed on first use (libroadrunner fires them during
        # integration, this engine only at period starts: fire_events)
        self._event_facts = list(facts.get("events", []))
        self._parsed_events: list[dict] | None = None
        params = set(self.parameter_ids)
        self._assigned_parameters = {sym for sym, _ in self._assignments if sym in params}
        # initial values libroadrunner cannot set (species with an initial assignment,
        # rate-rule targets): set_values keeps them, reset sets them as current values
        self._late = ({sym for sym, _ in self._assignments if sym in self._species}
                      | (self.rate_rule_ids & self._settable))
        self._overrides: dict[str, float] = {}
        # values as written in the SBML, to restore what set_values changed
        self._defaults = {i: float(rr.model.getValue(self._set_key(i)))
                          for i in self.settable_ids if i not in self._late}
        self._changed: set[str] = set()

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_file(cls, path: str | os.PathLike, **kwargs) -> "Engine":
        """An engine for the SBML file at ``path`` (see :class:`Engine`)."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise JakstatInputError(f"SBML file {str(path)!r} cannot be read ({exc.strerror}): "
                                    f"expected an SBML file") from None
        return cls(text, **kwargs)

    def _set_key(self, sid: str) -> str:
        """The libroadrunner id under which a value of ``sid`` is set."""
        if sid in self._species:
            return f"init([{sid}])" if sid not in self.only_substance else f"init({sid})"
        return sid

    # ------------------------------------------------------------------ values
    def set_values(self, values: Mapping[str, float]) -> None:
        """Set values by id (parameters, compartments, species initial values).

        Parameters and compartments take the value at once; species values
        are initial values (amounts for ``hasOnlySubstanceUnits`` species,
        else concentrations), replacing the species' initial assignment if
        it has one; for the target of a rate rule the value is its initial
        value.  Call :meth:`reset` afterwards: it re-evaluates every initial
        assignment that depends on them and applies the initial values.

        Raises
        ------
        JakstatInputError
            For an id that is not settable (unknown, or defined by a rule).
        """
        model = self.rr.model
        for sid, value in values.items():
            if sid not in self._settable:
                what = "defined by a rule" if sid in self.rule_ids else "not in the model"
                raise JakstatInputError(f"cannot set {sid!r}: it is {what}; expected a parameter, "
                                        f"compartment or species id of the model")
            if sid in self._late:
                self._overrides[sid] = float(value)
                continue
            model.setValue(self._set_key(sid), float(value))
            self._changed.add(sid)

    def restore_defaults(self, keep: Iterable[str] = ()) -> None:
        """Undo every :meth:`set_values`: values as in the SBML.

        ``keep``: ids left as they are, because the caller sets them again at once
        (:meth:`start`); they count as changed until then.
        """
        model = self.rr.model
        keep = self._changed.intersection(keep)
        for sid in self._changed - keep:
            model.setValue(self._set_key(sid), self._defaults[sid])
        self._changed = keep
        self._overrides.clear()

    def reset(self) -> None:
        """Time 0, species at their initial values, initial assignments re-evaluated.

        Parameters keep the values set by :meth:`set_values`; parameters that
        carry an initial assignment in the SBML and were not set explicitly
        are recomputed from the current values.  When such a parameter or a
        compartment *was* set explicitly, the initial assignments of species
        and compartments are evaluated here too (libroadrunner inlines the
        parameter's formula into them and evaluates them at the SBML's
        compartment sizes).

        A species whose initial value is a concentration keeps that
        concentration when its compartment's size was set (its amount
        follows the size, as SBML defines); a species with an initial amount
        keeps the amount.  Initial values set for species with an initial
        assignment and for rate-rule targets are applied last.
        """
        rr = self.rr
        rr.reset()
        model = rr.model
        resized = {c for c in self._changed if c in self._defaults and c in self.compartment_ids}
        if resized:
            for sid, comp in self._concentration_species.items():
                if comp in resized and sid not in self._changed:
                    # after reset, libroadrunner's amount is the concentration times the SBML size
                    model.setValue(f"[{sid}]", float(rr.getValue(sid)) / self._defaults[comp])
        explicit = bool(self._changed & (self._assigned_parameters | resized))
        for sym, tree in self._assignments:
            if sym in self._changed or sym in self._overrides or not (
                    explicit or sym in self._assigned_parameters):
                continue
            model.setValue(self._current_key(sym), evaluate_formula(tree, self._symbol_value))
        for sid, value in self._overrides.items():
            model.setValue(self._current_key(sid), value)

    def _current_key(self, sid: str) -> str:
        """The libroadrunner id of the current value of ``sid`` (concentration for species
        without ``hasOnlySubstanceUnits``)."""
        return f"[{sid}]" if sid in self._species and sid not in self.only_substance else sid

    def _symbol_value(self, name: str) -> float:
        return float(self.rr.getValue(self._current_key(name)))

    def start(self, values: Mapping[str, float] | None = None) -> None:
        """SBML defaults, then ``values``, then :meth:`reset`: a fresh condition."""
        self.restore_defaults(keep=values or ())
        if values:
            self.set_values(values)
        self.reset()

    def value(self, sid: str) -> float:
        """Current value of any id (or libroadrunner selection such as ``[S]``)."""
        return float(self.rr.getValue(sid))

    def set_current(self, values: Mapping[str, float]) -> None:
        """Set current values (not initial values), e.g. after pre-equilibration.

        Compartment sizes are set first; a species given as a concentration
        (``hasOnlySubstanceUnits`` false) in a resized compartment keeps its
        concentration (its amount follows the size), a species with only
        substance units keeps its amount, as PEtab v2 defines a change of
        compartment size; species values given with it are set after it.
        """
        for sid in values:
            if sid not in self._settable:
                raise JakstatInputError(f"cannot set {sid!r}: not a settable id of the model")
        resized = [c for c in values if c in self.compartment_ids]
        kept = {sid: self.value(f"[{sid}]") for sid, comp in self._compartment_of.items()
                if comp in resized and sid not in self.only_substance and sid not in values
                and sid in self._settable}
        for sid in resized:
            self.rr.setValue(sid, float(values[sid]))
        for sid, value in {**kept, **values}.items():
            if sid not in resized:
                self.rr.setValue(self._current_key(sid), float(value))

    @property
    def state(self) -> np.ndarray:
        """Amounts of the floating species (a copy)."""
        return np.array(self.rr.model.getFloatingSpeciesAmounts(), dtype=float)

    @state.setter
    def state(self, amounts: Sequence[float]) -> None:
        self.rr.model.setFloatingSpeciesAmounts(list(map(float, amounts)))

    # ------------------------------------------------------------------ integration
    def simulate(self, times: Iterable[float], selections: Sequence[str]) -> np.ndarray:
        """Integrate from the current state and time through ``times``.

        ``times[0]`` must be the current model time (0 after :meth:`reset`).
        Returns an array of shape ``(len(times), len(selections))``.

        Raises
        ------
        SimulationError
            When CVODE fails or returns non-finite values.
        JakstatInputError
            When a selected parameter has no value (NaN) where values are not finite.
        """
        grid = np.asarray(list(times), dtype=float)
        sel = list(selections)
        try:
            if len(grid) == 1:
                data = np.asarray([[self.rr.getValue(s) for s in sel]], dtype=float)
            else:
                if list(self.rr.timeCourseSelections) != sel:  # setting them parses them again
                    self.rr.timeCourseSelections = sel
                data = np.asarray(self.rr.simulate(times=grid.tolist()), dtype=float)
        except SimulationError:
            raise
        except Exception as exc:  # CVODE errors arrive as RuntimeError
            msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise SimulationError(f"the solver failed: {msg}") from None
        if not np.all(np.isfinite(data)):
            unset = [s for s in sel if s in self._settable and s in self.parameter_ids
                     and math.isnan(self.value(s))]
            if unset:
                raise JakstatInputError(
                    f"{', '.join(map(repr, unset))} is read at time {grid[0]:g} to "
                    f"{grid[-1]:g} while it has no value (NaN in the model, e.g. a PEtab output "
                    f"parameter no condition has set yet): expected a value set before")
            raise SimulationError("the solver returned non-finite values")
        return data

    def table(self, times: Iterable[float], selections: Sequence[str],
              names: Sequence[str] | None = None):
        """:meth:`simulate` as a pandas table with a ``time`` column first."""
        import pandas as pd

        grid = np.asarray(list(times), dtype=float)
        data = self.simulate(grid, list(selections))
        table = pd.DataFrame(data, columns=list(names or selections))
        table.insert(0, "time", grid)
        return table

    def rates_of_change(self) -> np.ndarray:
        """d(amount)/dt of the floating species at the current state."""
        return np.asarray(self.rr.getRatesOfChange(), dtype=float)

    def is_steady(self, tol: float = STEADY_STATE_TOL) -> bool:
        """Whether every rate of change is below ``tol * (1 + max |x|)``."""
        rates = np.abs(self.rates_of_change())
        scale = 1.0 + float(np.max(np.abs(self.state), initial=0.0))
        return rates.size == 0 or float(rates.max()) <= tol * scale

    # ------------------------------------------------------------------ events
    @property
    def delayed_event_ids(self) -> list[str]:
        """Ids of the SBML events with a delay (:meth:`fire_events` refuses them)."""
        return [event["id"] for event in self._event_facts if event.get("delay")]

    @property
    def _events(self) -> list[dict]:
        """The SBML events with their formulas parsed (once), compartment assignments first
        (a species assigned with its compartment takes its assigned concentration).

        Raises
        ------
        JakstatInputError
            For a formula this engine cannot parse, naming the event.
        """
        if self._parsed_events is None:
            parsed = []
            for event in self._event_facts:
                with self._about_event(event["id"]):
                    assignments = sorted(event["assignments"],
                                         key=lambda a: a[0] not in self.compartment_ids)
                    parsed.append({
                        **event, "trigger": parse_formula(event["trigger"]),
                        "priority": (parse_formula(event["priority"])
                                     if event.get("priority") else None),
                        "assignments": [(var, parse_formula(text)) for var, text in assignments]})
            self._parsed_events = parsed
        return self._parsed_events

    @staticmethod
    @contextlib.contextmanager
    def _about_event(event_id: str):
        """A formula error of an event names the event and why it is evaluated here."""
        try:
            yield
        except JakstatInputError as exc:
            raise JakstatInputError(
                f"SBML event {event_id!r}, evaluated at a change of values during a simulation "
                f"(a PEtab condition change or schedule period): "
                f"{str(exc).replace('initial assignment ', 'formula ', 1)}") from None

    def _event_value(self, k: int, tree, time: float) -> float:
        with self._about_event(self._events[k]["id"]):
            return evaluate_formula(tree, self._symbol_value, time)

    def event_triggers(self) -> list[bool]:
        """Whether the trigger of each SBML event is true at the current state and time."""
        time = float(self.rr.model.getTime())
        return [bool(self._event_value(k, event["trigger"], time))
                for k, event in enumerate(self._events)]

    def fire_events(self, before: Sequence[bool]) -> list[str]:
        """Execute the SBML events whose trigger turned true since ``before``.

        ``before`` holds the triggers (:meth:`event_triggers`) before values
        were set at the current time.  Events whose trigger is true now and
        was false then fire at once, as SBML defines events without a delay:
        the highest priority first (events without a priority last, then in
        document order), each with its assignments evaluated at the trigger
        time (``useValuesFromTriggerTime``, the default) or when it executes;
        after each execution the triggers are evaluated again, so events it
        triggers join and non-persistent events whose trigger became false
        leave.  An assignment to a compartment keeps the amounts of its
        species (SBML), one to a species sets its concentration unless it
        has only substance units; an event's compartments are assigned
        before its species (a species takes its assigned concentration in
        the compartment's new size).

        Returns
        -------
        list of str
            The ids of the events executed, in order.

        Raises
        ------
        JakstatInputError
            For an event with a delay that would fire (not supported here).
        SimulationError
            When events keep triggering each other (more than 1000 executions).
        """
        time = float(self.rr.model.getTime())
        events = self._events
        pending: list[tuple[int, list[float] | None]] = []

        def values_of(k: int) -> list[float]:
            return [self._event_value(k, tree, time) for _, tree in events[k]["assignments"]]

        def update(status: Sequence[bool]) -> list[bool]:
            now = self.event_triggers()
            pending[:] = [(k, v) for k, v in pending if events[k]["persistent"] or now[k]]
            for k, (was, new) in enumerate(zip(status, now)):
                if new and not was:
                    if events[k]["delay"]:
                        raise JakstatInputError(
                            f"SBML event {events[k]['id']!r} has a delay and is triggered at "
                            f"time {time:g} by values set then (a PEtab condition change): "
                            f"delayed events triggered so are not supported; expected an "
                            f"event without a delay")
                    pending.append((k, values_of(k) if events[k]["from_trigger_time"] else None))
            return now

        fired: list[str] = []
        status = update(before)
        while pending:
            if len(fired) >= 1000:
                raise SimulationError(f"SBML events keep triggering each other at time {time:g} "
                                      f"({len(fired)} executions)")
            priority = [self._event_value(k, events[k]["priority"], time)
                        if events[k]["priority"] is not None else -math.inf
                        for k, _ in pending]
            k, values = pending.pop(int(np.argmax(priority)))
            if values is None:
                values = values_of(k)
            for (var, _), value in zip(events[k]["assignments"], values):
                self.rr.setValue(self._current_key(var), float(value))
            fired.append(events[k]["id"])
            status = update(status)
        return fired

    def set_time(self, time: float) -> None:
        """Set the model time (the start of a simulation that does not begin at 0)."""
        self.rr.model.setTime(float(time))

    def run_periods(self, starts: Sequence[float], apply: Callable[[int], None],
                    times: np.ndarray, selections: Sequence[str],
                    steady: tuple[dict, Hashable] | None = None) -> np.ndarray:
        """Integrate one simulation made of periods; values at ``times``.

        Period ``k`` starts at ``starts[k]`` (increasing; only the first may
        be ``-inf``, a pre-equilibration).  At each start ``apply(k)`` sets
        what changes (the first call also sets the initial values, e.g. with
        :meth:`start`); a period at ``-inf`` is integrated to a steady state
        (:meth:`preequilibrate`) and the model time becomes the next start.
        Every later period is integrated through the output times inside it,
        up to the next start.  Output times at ``inf`` (last) are read after
        a further pre-equilibration.

        SBML events at a period start (PEtab v2): the period's values are set
        first, then the events whose trigger they turn true fire
        (:meth:`fire_events`), and so do events whose trigger turns true at
        the start itself (``time >= start``): the integration of the period
        before stops a hair (1e-10 relative) short of the start, so
        libroadrunner does not fire them before the values are set.

        Simulations that start with the same pre-equilibration (PEtab v1
        conditions sharing a pre-equilibration condition) can share its
        steady state through ``steady``: a dict and this simulation's key in
        it.  The first simulation of a key integrates and stores the state
        (species amounts and the values of rate-rule targets); the others set
        it after their first period's values instead of integrating again.
        Models with events always integrate (an event could change a
        parameter during the pre-equilibration).

        Parameters
        ----------
        starts
            Start time of every period (minutes).
        apply
            Called with the period's index at its start.
        times
            Sorted output times (``inf`` last).
        selections
            libroadrunner selections to return.
        steady
            Pre-equilibrated states by key, and the key of this simulation's
            first period (None: no sharing).

        Returns
        -------
        numpy.ndarray
            Shape ``(len(times), len(selections))``.
        """
        times = np.asarray(times, dtype=float)
        res = np.empty((len(times), len(selections)))
        done = 0
        events = bool(self._event_facts)
        for k, begin in enumerate(starts):
            before = self.event_triggers() if events and k else None
            if before is not None:
                self.set_time(begin)
            apply(k)
            if before is not None:
                self.fire_events(before)
            end = float(starts[k + 1]) if k + 1 < len(starts) else math.inf
            if begin == -math.inf:
                at = end if math.isfinite(end) else 0.0
                shared = steady is not None and not events
                if shared and steady[1] in steady[0]:
                    self._set_steady(steady[0][steady[1]], at)
                else:
                    self.preequilibrate(time=at)
                    if shared:
                        steady[0][steady[1]] = self._steady()
                continue
            now = float(self.rr.model.getTime()) if k else float(begin)
            if k == 0:
                self.set_time(now)
            inside = times[(times >= now) & (times < end)]
            stop = end
            if events and math.isfinite(end):  # events at the next start fire after its changes
                stop = max(now, end - 1e-10 * max(1.0, abs(end)))
                inside = np.minimum(inside, stop)
            grid = np.concatenate([[now], inside, [stop] if math.isfinite(end) else []])
            if not np.all(grid[1:] > grid[:-1]):
                grid = np.unique(grid)
            if len(grid) > 1 or len(inside):
                data = self.simulate(grid, selections)
                res[done: done + len(inside)] = data[np.searchsorted(grid, inside)]
            done += len(inside)
        if done < len(times):  # steady-state outputs
            self.preequilibrate()
            res[done:] = self.simulate([0.0], selections)[0]
        return res

    def _steady(self) -> tuple[np.ndarray, np.ndarray]:
        """What a pre-equilibration changed: species amounts and rate-rule targets."""
        model = self.rr.model
        return self.state, np.array([model.getValue(sid) for sid in sorted(self.rate_rule_ids)])

    def _set_steady(self, steady: tuple[np.ndarray, np.ndarray], time: float) -> None:
        """Put the model in a state :meth:`_steady` returned, at ``time``."""
        model = self.rr.model
        for sid, value in zip(sorted(self.rate_rule_ids), steady[1]):
            model.setValue(sid, float(value))
        self.state = steady[0]
        model.setTime(float(time))

    def preequilibrate(self, tol: float = STEADY_STATE_TOL,
                       max_time: float = STEADY_STATE_MAX_TIME,
                       time: float = 0.0) -> np.ndarray:
        """Integrate from the current state to a steady state; return the amounts.

        Windows of 10, 20, 40, ... time units until :meth:`is_steady`; model
        time is set to ``time`` afterwards (default 0), so a condition can
        start from the steady state.

        Raises
        ------
        SimulationError
            If no steady state is reached by ``max_time``.
        """
        rr = self.rr
        t, window = float(rr.model.getTime()), 10.0
        start = t
        while not self.is_steady(tol):
            if t - start > max_time:
                raise SimulationError(f"no steady state within {max_time:g} time units "
                                      f"(pre-equilibration)")
            self.simulate([t, t + window], ["time"])
            t += window
            window *= 2.0
        rr.model.setTime(float(time))
        return self.state
