"""The run store: one resumable, locked result folder per run.

Used by ``calibrate``, ``profile`` and ``validate`` alike:

* the output folder is claimed and locked while a run writes into it
  (:func:`claim_and_lock`, on :func:`jakstat_rules.io.claim_output_dir` and
  :func:`jakstat_rules.io.lock_output_dir`): a second run into the same
  folder is refused;
* ``run.json`` holds the run identity (problem hash, number of starts, seed,
  settings; :func:`~jakstat_rules.io.read_run_record` reads it) and every start record carries
  it: a resume with another problem, ``--seed`` or settings is refused with a
  message naming what differs; a multistart of the scrambled Sobol design may
  ask for more ``--starts`` and keeps the starts it has (its design of N points
  begins with that of fewer, :func:`resizable`), where the Latin hypercube of
  runs stored before is another design for every N and is refused;
* every record carries a checksum (SHA-256 of its canonical JSON); on resume
  a record whose checksum fails, or whose NLL is not reproduced by
  evaluating its parameters again, is reported in one warning line and its
  task runs again, so an edited record never becomes the best fit;
* temporary files a killed writer left behind are removed under the lock
  (:func:`remove_temporaries`);
* :func:`load_fit` reads a fit's ``summary.json`` for the commands that go
  on from it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

import numpy as np

from jakstat_rules.errors import JakstatInputError, SimulationError
from jakstat_rules.io import (claim_output_dir, lock_output_dir, read_json, read_record,
                              read_run_record, write_json)

from .objective import Objective
from .optimizers import FitSettings, settings_of_fit

__all__ = ["StartResult", "run_identity", "read_run_record", "check_resume", "read_records",
           "load_records", "verify_records",
           "adopt_earlier_run", "remove_temporaries", "claim_and_lock",
           "earlier_invocations", "load_fit", "check_best_parameters"]

log = logging.getLogger("jakstat_rules")

T = TypeVar("T")


@dataclass
class StartResult:
    """The record of one start, stored as ``starts/start_NNNN.json``.

    Attributes
    ----------
    start
        Start index.
    x0
        The point the optimiser started from (free parameters, PEtab
        scale): the start's point of the design, or the redrawn point that
        replaced it.  For a failed start, the design point.
    status
        ``"ok"`` or ``"failed"``.
    reason
        Why a start failed.
    fval
        Final NLL (``inf`` if failed).
    x
        Final point, or None.
    parameters
        All estimated parameters (linear) at the final point, or None.
    n_fev
        Objective evaluations counted by the optimiser.
    message
        The optimiser's message.
    time_s
        Wall time of the start.
    exitflag
        The optimiser's status code (None if it did not run).
    fval0
        Objective at ``x0`` (``inf`` if no point could be evaluated).
    rejected
        Starting points whose first evaluation failed, in the order tried
        (the design point first), each ``{"x0": [...], "reason": "..."}``.
    run
        The run identity (:func:`run_identity`) the start belongs to; None
        in records written before records carried it.
    budget_exhausted
        The last local optimisation stopped at its evaluation budget.
    race
        With ``--strategy race``: ``{"rounds": [...]}``, one entry per round
        the start ran in (round, budget, NLL, evaluations, state ``running``,
        ``done``, ``failed``), and ``abandoned`` once a later round left it
        out (:mod:`.racing`); None otherwise.
    fval_tight
        The objective at ``x`` at the engine's tight tolerances when the fit
        ran at looser ones (``inf`` where that simulation fails), so that a
        value the loose integration got wrong shows; None when the fit ran at
        the tight tolerances, for a start that ended at the time limit, after a
        polish moved ``x``, and in records written before it was kept.
    polished
        For the start that was best when the run finished (with
        ``FitSettings.polish``): its continuation in rounds of two optimisers,
        ``{"optimizer", "fval_before", "fval", "n_fev", "time_s", "message",
        "stopped", "rounds"}`` (``rounds``: each run's optimiser, evaluations,
        message and NLL; records written before the rounds have one optimiser
        and no ``rounds``); ``fval``, ``x`` and ``parameters`` above are its
        result when it is lower.  None otherwise.
    """

    start: int
    x0: list[float]
    status: str = "failed"
    reason: str = ""
    fval: float = math.inf
    x: list[float] | None = None
    parameters: dict[str, float] | None = None
    n_fev: int = 0
    message: str = ""
    time_s: float = 0.0
    exitflag: int | None = None
    fval0: float = math.inf
    rejected: list[dict[str, Any]] = field(default_factory=list)
    run: dict[str, Any] | None = None
    budget_exhausted: bool = False
    race: dict[str, Any] | None = None
    polished: dict[str, Any] | None = None
    fval_tight: float | None = None

    @property
    def ok(self) -> bool:
        """Whether the start finished with a finite NLL."""
        return self.status == "ok"

    @property
    def n_redraws(self) -> int:
        """How many points were drawn to replace the design point."""
        return len(self.rejected) if self.ok else max(len(self.rejected) - 1, 0)

    @property
    def design_x0(self) -> list[float]:
        """The start's point of the run's design of starting points."""
        return self.rejected[0]["x0"] if self.rejected else self.x0

    def to_dict(self) -> dict[str, Any]:
        """The JSON record."""
        return asdict(self)

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> "StartResult":
        """Read a JSON record (``fval`` may be stored as the string ``"inf"``).

        Raises
        ------
        KeyError, TypeError, ValueError
            If the record is not a start record (a damaged file).
        """
        if not isinstance(record, dict):
            raise TypeError(f"expected a JSON object, found {type(record).__name__}")
        known = {k: record[k] for k in cls.__dataclass_fields__ if k in record}
        for key in ("fval", "fval0"):
            try:
                known[key] = float(known.get(key, math.inf))
            except (TypeError, ValueError):
                known[key] = math.inf
        if known.get("fval_tight") is not None:
            known["fval_tight"] = float(known["fval_tight"])
        known["start"] = int(known["start"])
        known["x0"] = [float(v) for v in known["x0"]]
        rejected = known.get("rejected") or []
        if not all(isinstance(r, dict) and "x0" in r for r in rejected):
            raise ValueError("'rejected' is not a list of starting points")
        if known.get("run") is not None and not isinstance(known["run"], dict):
            raise ValueError("'run' is not a JSON object")
        race = known.get("race")
        if race is not None:
            rounds = race.get("rounds") if isinstance(race, dict) else None
            if not (isinstance(rounds, list) and all(
                    isinstance(e, dict) and isinstance(e.get("round"), int)
                    and e.get("state") in ("running", "done", "failed")
                    and isinstance(e.get("fval"), (int, float)) for e in rounds)):
                raise ValueError("'race' is not a record of race rounds")
        polished = known.get("polished")
        if polished is not None and not (isinstance(polished, dict) and isinstance(
                polished.get("fval_before"), (int, float, str))):
            raise ValueError("'polished' is not a record of a polish")
        return cls(**known)


# ----------------------------------------------------------------------------- run identity
def run_identity(problem_hash: str, settings: FitSettings) -> dict[str, Any]:
    """What ``run.json`` and every start record of a fit folder carry.

    The problem hash and all :class:`FitSettings` (number of starts, seed,
    tolerances, optimiser settings): a resume must agree on every one.
    """
    return {"problem_hash": problem_hash, **asdict(settings)}


def _normalised(value: Any) -> Any:
    return json.loads(json.dumps(value))


#: Settings added to the identity after runs were stored, with the value a run stored
#: without them ran with (no stall rule before ``stall`` was added).
_ADDED_SETTINGS = {"strategy": "multistart", "race_budget": None, "polish": True, "stall": 0,
                   "design": "lhs"}


def _identity_value(stored: dict[str, Any], key: str) -> Any:
    """``stored[key]``, or the value a run stored before ``key`` was added ran with."""
    if key not in stored and key in _ADDED_SETTINGS:
        return _ADDED_SETTINGS[key]
    return stored.get(key)


#: How a stored run differs from this one, and what resumes it, by identity key.
_DIFFERENCES = {
    "problem_hash": ("results of another problem (hash {theirs}; this problem has {ours})",
                     "the problem that started it"),
    "n_starts": ("a run of {theirs} starts; this run asks for {ours} (the Latin hypercube of "
                 "{ours} points is another design, its starts cannot be mixed with those)",
                 "--starts {theirs} to resume it"),
    "design": ("starts of the {theirs} design; this run asks for the {ours} design",
               "--design {theirs} to resume it"),
    "seed": ("starts drawn with seed {theirs}; this run has seed {ours}",
             "--seed {theirs} to resume it"),
    "max_nfev": ("a run with at most {theirs} evaluations per start; this run has {ours}",
                 "--max-evaluations {theirs} to resume it"),
    "strategy": ("a run of --strategy {theirs}; this run has --strategy {ours}",
                 "--strategy {theirs} to resume it"),
    "stall": ("a run with --stall {theirs} (0: fits never stopped as stalled); this run has "
              "--stall {ours}", "--stall {theirs} to resume it"),
    "polish": ("a run with polish {theirs} (--no-polish: False); this run has polish {ours}",
               "the same --no-polish choice to resume it"),
}


def resizable(identity: dict[str, Any]) -> bool:
    """Whether a run of ``identity`` may resume a stored run with another number of starts.

    The scrambled Sobol design of ``n`` points begins with the design of any fewer
    points, so a multistart of it may ask for more starts and keep those it has, or,
    as long as it has no record of a start beyond them, for fewer (a Latin hypercube
    is another design for every ``n``; a race's rounds depend on the number of starts).
    """
    return identity.get("design") == "sobol" and identity.get("strategy") == "multistart"


#: Identity keys compared first, so that a message names what differs before the number
#: of starts (whether that may change depends on them).
_FIRST = ("problem_hash", "strategy", "design")


def _difference(stored: dict[str, Any], identity: dict[str, Any],
                skip_missing: bool = False) -> tuple[str, Any, Any] | None:
    """The first identity key (:data:`_FIRST` first) in which ``stored`` differs from
    ``identity``, with both values; the number of starts of a :func:`resizable` run and,
    with ``skip_missing``, keys ``stored`` lacks are not compared."""
    for key in [k for k in _FIRST if k in identity] + [k for k in identity if k not in _FIRST]:
        if (skip_missing and key not in stored) or (key == "n_starts" and resizable(identity)):
            continue
        theirs = _identity_value(stored, key)
        if _normalised(theirs) != _normalised(identity[key]):
            return key, theirs, identity[key]
    return None


def _last_start(folder: Path) -> int | None:
    """The highest start index among the record files ``start_NNNN.json`` of ``folder``."""
    found = [int(m.group(1)) for f in folder.glob("start_*.json")
             if (m := re.fullmatch(r"start_(\d+)\.json", f.name))] if folder.is_dir() else []
    return max(found, default=None)


def _other_run(where: str, key: str, theirs: Any, ours: Any,
               identity: dict[str, Any] | None = None) -> JakstatInputError:
    """The message for a resume that differs from the stored run in ``key``."""
    if (key == "n_starts" and identity is not None and identity.get("design") == "sobol"
            and identity.get("strategy") == "race"):
        return JakstatInputError(
            f"{where} holds a race of {theirs} starts; this run asks for {ours} (its rounds "
            f"depend on the number of starts): expected --starts {theirs} to resume it, or "
            f"another --out")
    held, wanted = _DIFFERENCES.get(key, ("a run with {key} {theirs!r}; this run has {ours!r}",
                                          "the same settings to resume it"))
    values = {"key": key, "theirs": theirs, "ours": ours}
    return JakstatInputError(f"{where} holds {held.format(**values)}: expected "
                             f"{wanted.format(**values)}, or another --out")


def check_resume(out: Path, identity: dict[str, Any]) -> bool:
    """Refuse a fit folder of another run, naming what differs.

    Returns
    -------
    bool
        True for a folder written before start records carried the run
        identity (its ``run.json`` has no ``n_starts``).
    """
    stored = read_run_record(out)
    if stored is None or stored.get("kind") != "fit":
        return False  # claim_output_dir says what is wrong
    earlier = "n_starts" not in stored
    differs = _difference(stored, identity, skip_missing=earlier)
    if differs:
        raise _other_run(f"output folder {str(out)!r}", *differs, identity)
    last = _last_start(out / "starts")
    if not earlier and resizable(identity) and last is not None and last >= identity["n_starts"]:
        raise JakstatInputError(
            f"output folder {str(out)!r} holds the record of start {last}; this run asks for "
            f"{identity['n_starts']} starts: expected --starts {last + 1} or more to resume or "
            f"extend it (the first starts of a Sobol design are kept), or another --out")
    return earlier


def read_records(folder: Path, pattern: str, parse: Callable[[Path, dict[str, Any]], T],
                 what: str, again: str) -> Iterator[tuple[Path, T]]:
    """The readable task records ``folder/pattern`` of a run folder, in name order.

    Each record is read with its checksum checked (:func:`~jakstat_rules.io.read_record`)
    and parsed by ``parse(path, record)``; a damaged record (not JSON, its checksum
    failing, or ``parse`` raising ``KeyError``, ``TypeError`` or ``ValueError``) is
    reported in one warning line naming the file and ``again`` (e.g. "running that
    start again"), and skipped, so its task runs again.

    Parameters
    ----------
    folder
        Where the records are (a missing folder has none).
    pattern
        Glob of the record files.
    parse
        Makes the record object; raises for a record that is not one.
    what
        What a record is, for the messages ("start record").
    again
        What happens to a damaged record's task.
    """
    if not folder.is_dir():
        return
    for f in sorted(folder.glob(pattern)):
        try:
            yield f, parse(f, read_record(f, what=what))
        except JakstatInputError as exc:
            log.warning("jakstat: %s; %s", exc, again)
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("jakstat: %s %r is damaged (%s: %s); %s", what, str(f),
                        type(exc).__name__, exc, again)


def load_records(folder: Path, identity: dict[str, Any],
                 design: np.ndarray) -> dict[int, StartResult]:
    """Finished starts of a fit folder.

    A damaged record (not JSON, not a start record) is reported in one
    warning line naming the file and its start runs again
    (:func:`read_records`).  A record of another run (identity, or a
    starting point not of this design) is refused: :class:`JakstatInputError`
    naming the file.
    """
    out: dict[int, StartResult] = {}
    for f, rec in read_records(folder, "start_*.json", lambda _, r: StartResult.from_dict(r),
                               "start record", "running that start again"):
        where = f"start record {str(f)!r}"
        differs = _difference(rec.run, identity) if rec.run is not None else None
        if differs:
            raise _other_run(where, *differs, identity)
        point = np.asarray(rec.design_x0, float)
        if not (0 <= rec.start < len(design) and point.shape == design[rec.start].shape
                and np.allclose(point, design[rec.start], rtol=0, atol=1e-12)):
            raise JakstatInputError(
                f"{where} does not start from point {rec.start} of this run's design "
                f"({identity['n_starts']} starts, seed {identity['seed']}): expected the "
                f"records of this run only (the folder mixes runs; use another --out)")
        out[rec.start] = rec
    return out


#: A stored start's NLL must be reproduced to this (relative to ``1 + |NLL|``) on resume.
REPRODUCE_TOL = 1e-6


def _reproduced(ob: Objective, rec: StartResult) -> str:
    """Why the stored result of a finished start is not reproduced, or ''.

    Its parameters must be complete, finite and within the bounds, and the
    objective there, evaluated again at the run's tolerances, must equal the
    stored NLL to :data:`REPRODUCE_TOL`.
    """
    try:
        x = ob.x_from_parameters(rec.parameters or {})
    except (KeyError, TypeError, ValueError):
        return "its parameters are incomplete or not numbers"
    slack = 1e-9 * (1.0 + np.abs(ob.ub - ob.lb))
    if not (np.all(np.isfinite(x)) and np.all(x >= ob.lb - slack) and np.all(x <= ob.ub + slack)):
        return "its parameters are not finite or outside the bounds"
    try:
        value = ob.fresh_fval(np.clip(x, ob.lb, ob.ub))
    except SimulationError as exc:
        return f"the simulation at its parameters failed ({exc})"
    if not (math.isfinite(value) and abs(value - rec.fval) <= REPRODUCE_TOL * (1 + abs(value))):
        return f"its NLL {rec.fval:.10g} is not reproduced (evaluated again: {value:.10g})"
    return ""


def verify_records(ob: Objective, records: dict[int, StartResult],
                    folder: Path) -> dict[int, StartResult]:
    """The finished starts whose result is reproduced (:func:`_reproduced`).

    A start that is not is reported in one warning line naming its file and
    runs again, so an edited or foreign record never becomes the best fit.
    """
    kept = {}
    for i, rec in records.items():
        why = _reproduced(ob, rec) if rec.ok else ""
        if why:
            log.warning("jakstat: start record %r is damaged (%s); running that start again",
                        str(folder / f"start_{i:04d}.json"), why)
            continue
        kept[i] = rec
    return kept


def add_new_settings(out: Path, identity: dict[str, Any]) -> None:
    """Write the settings added since a resumed folder was claimed into its ``run.json``,
    and the number of starts of a run resized (:func:`resizable`).

    :func:`check_resume` has already read a missing key as its default and found it equal
    to this run's; the claim compares ``run.json`` key by key, so it gets them written.
    """
    stored = read_run_record(out)
    if stored is None:
        return
    missing = {k: identity[k] for k in _ADDED_SETTINGS if k in identity and k not in stored}
    if "n_starts" in stored and stored["n_starts"] != identity.get("n_starts"):
        missing["n_starts"] = identity["n_starts"]  # resized: check_resume allowed it
    if missing and "n_starts" in stored:
        write_json(out / "run.json", {**stored, **missing})


def adopt_earlier_run(out: Path, identity: dict[str, Any], design: np.ndarray) -> None:
    """Let a folder written before records carried the run identity resume.

    Its start records must start from this run's design points and its
    summary (if any) must have these settings; ``run.json`` is then
    completed with the full identity.
    """
    stored = read_run_record(out) or {}
    summary = out / "summary.json"
    try:
        old = read_json(summary, what="fit summary").get("settings", {})
    except (JakstatInputError, AttributeError):
        old = {}
    for key, value in identity.items():
        if key in old and _normalised(old[key]) != _normalised(value):
            raise _other_run(f"output folder {str(out)!r}", key, old[key], value)
    load_records(out / "starts", identity, design)
    write_json(out / "run.json", {**stored, **identity})


#: Temporary files of :mod:`jakstat_rules.io` writers (``.NAME.XXXXXXXX.tmp``, and
#: ``.STEM.XXXXXXXX.png`` of ``save_figure``) that a killed process leaves behind.
_TEMPORARY = re.compile(r"^\..+\.[a-z0-9_]{8}\.(tmp|png)$")


def remove_temporaries(folder: Path) -> list[str]:
    """Delete temporary files a killed writer left in ``folder`` (not below it).

    Call it only while holding the folder's lock: then no writer of this
    project is active there.  Returns the names removed.
    """
    removed = []
    if folder.is_dir():
        for f in folder.iterdir():
            if f.is_file() and _TEMPORARY.match(f.name):
                with contextlib.suppress(OSError):
                    f.unlink()
                    removed.append(f.name)
    return removed


def claim_and_lock(out: str | os.PathLike, kind: str, identity: dict[str, Any],
                   stack: contextlib.ExitStack,
                   prepare: Callable[[], None] | None = None) -> Path:
    """Claim ``out`` for a run and hold its lock until ``stack`` closes.

    A fresh folder is claimed first (:func:`~jakstat_rules.io.claim_output_dir`
    writes ``run.json``; the lock file would make the folder look
    non-empty), then locked (:func:`~jakstat_rules.io.lock_output_dir`) and
    its claim checked again under the lock; a folder with a run record is
    locked first.  Of two runs started into one folder at once, one goes
    on, the other is refused in one line.

    Parameters
    ----------
    out
        The result folder.
    kind, identity
        As for :func:`~jakstat_rules.io.claim_output_dir`.
    stack
        Holds the lock.
    prepare
        Called under the lock before the final claim.
    """
    out = Path(out)
    if not (out / "run.json").is_file():
        claim_output_dir(out, kind, identity)
    stack.enter_context(lock_output_dir(out))
    if prepare is not None:
        prepare()
    return claim_output_dir(out, kind, identity)



def earlier_invocations(out: Path) -> list[dict[str, Any]]:
    """Invocations recorded in ``summary.json`` (for the total wall time).

    A damaged summary is reported in one warning line and rebuilt from the
    start records (the time of earlier invocations is then unknown).
    """
    path = out / "summary.json"
    if not path.is_file():
        return []
    try:
        stored = read_json(path, what="fit summary")
        if not isinstance(stored, dict):
            raise JakstatInputError(f"fit summary {str(path)!r} is damaged (not a JSON object)")
    except JakstatInputError as exc:
        log.warning("jakstat: %s; rebuilding it from the start records (the wall time of "
                    "earlier invocations is not counted)", exc)
        return []
    calls = stored.get("invocations")
    if isinstance(calls, list) and all(
            isinstance(c, dict) and isinstance(c.get("wall_time_s"), (int, float))
            for c in calls):
        return [dict(c) for c in calls]
    wall = stored.get("wall_time_s")  # a summary of an earlier version: one invocation
    if isinstance(wall, (int, float)) and math.isfinite(wall):
        return [{"started": None, "wall_time_s": float(wall), "new_starts": None}]
    return []


# ----------------------------------------------------------------------------- reading fits
def fit_file(fit_dir: str | os.PathLike, name: str, expected: str) -> Path:
    """``fit_dir/name``, or :class:`JakstatInputError` if it is not a file."""
    path = Path(fit_dir) / name
    if not path.is_file():
        raise JakstatInputError(f"fit folder {str(fit_dir)!r} has no {name}; expected "
                                f"{expected}")
    return path


def _damaged_summary(path: Path, what: str) -> JakstatInputError:
    return JakstatInputError(f"fit summary {str(path)!r} is damaged ({what}): expected the "
                             f"summary.json of 'jakstat calibrate'; re-run the calibrate "
                             f"command of that folder to rewrite it from its start records")


def load_fit(fit_dir: str | os.PathLike, finished: bool = False) -> dict:
    """Read ``summary.json`` of a fit.

    Parameters
    ----------
    fit_dir
        Output folder of :func:`calibrate`.
    finished
        Also require that every start of the fit has run (``complete``: not a
        run still going, killed or time-boxed, whose best fit is an
        intermediate one) and that its stored settings are valid
        (:meth:`FitSettings.check`): for the commands that go on from the
        best fit (``profile``, ``validate``).

    Raises
    ------
    JakstatInputError
        If the folder holds no fit summary with finite best parameters, or a
        damaged one (one line naming the file); with ``finished``, an
        unfinished fit or invalid stored settings.
    """
    path = fit_file(fit_dir, "summary.json", "the --out folder of 'jakstat calibrate'")
    try:
        summary = read_json(path, what="fit summary")
    except JakstatInputError as exc:
        raise JakstatInputError(f"{exc}; re-run the calibrate command of that folder to "
                                f"rewrite it from its start records") from None
    if not isinstance(summary, dict):
        raise _damaged_summary(path, "not a JSON object")
    best = summary.get("best_parameters")
    if not best:
        raise JakstatInputError(f"fit folder {str(fit_dir)!r} has no "
                                f"successful start; expected a finished fit")
    if not isinstance(best, dict) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            for v in best.values()):
        raise _damaged_summary(path, "best_parameters is not a table of finite numbers")
    try:
        if not math.isfinite(float(summary.get("best_fval"))):
            raise ValueError
    except (TypeError, ValueError):
        raise _damaged_summary(path, "best_fval is not a finite number") from None
    if not isinstance(summary.get("problem_hash"), str):
        raise _damaged_summary(path, "no problem_hash")
    if not isinstance(summary.get("settings", {}), dict):
        raise _damaged_summary(path, "settings is not a JSON object")
    if finished:
        if summary.get("complete") is not True:
            raise JakstatInputError(
                f"fit folder {str(fit_dir)!r} holds an unfinished fit "
                f"({summary.get('n_finished')!r} of {summary.get('n_starts')!r} starts): "
                f"expected a finished fit; run its calibrate command again to finish it")
        try:
            settings_of_fit(summary).check()
        except (JakstatInputError, TypeError, ValueError) as exc:
            raise _damaged_summary(path, f"settings: {exc}") from None
    return summary


def check_best_parameters(fit: dict, fit_dir: str | os.PathLike, ids: list[str],
                          lb: np.ndarray, ub: np.ndarray, problem_yaml: Any) -> None:
    """Refuse a fit whose best parameters miss one of ``ids`` or leave their bounds.

    Parameters
    ----------
    fit
        The summary (:func:`load_fit`).
    fit_dir, problem_yaml
        Named in the message.
    ids, lb, ub
        The problem's estimated parameters and their bounds (linear).

    Raises
    ------
    JakstatInputError
        One line naming the parameter and what was expected.
    """
    best = fit["best_parameters"]
    for pid, low, high in zip(ids, lb, ub):
        if pid not in best:
            raise JakstatInputError(f"fit folder {str(fit_dir)!r} has no best value of "
                                    f"{pid!r}: expected a fit of {str(problem_yaml)!r}, "
                                    f"which estimates it")
        # a value at a bound of a log-scale parameter may differ from it in the last digit
        if not low - 1e-9 * abs(low) <= float(best[pid]) <= high + 1e-9 * abs(high):
            raise JakstatInputError(f"best value {best[pid]!r} of {pid!r} in fit folder "
                                    f"{str(fit_dir)!r} lies outside its bounds "
                                    f"[{low!r}, {high!r}]: expected a fit of "
                                    f"{str(problem_yaml)!r}")
