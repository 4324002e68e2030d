"""Racing (``jakstat calibrate --strategy race``): many short local fits, the better ones continued.

Successive halving (Jamieson & Talwalkar 2016, AISTATS; the rounds of
Hyperband, Li et al. 2018, JMLR 18:185) applied to multistart local
optimisation:

* round 0: every start of the Latin hypercube runs its local optimiser with a
  small evaluation budget ``b`` (``--race-budget``; default the number of free
  parameters, at least 10);
* a start whose optimiser stops on its own (a stopping rule met) is finished
  (``done``); one stopped by the budget is ``running``;
* round r + 1: the best third (by NLL, rounded up) of the starts still running
  after round r continue from where they stopped with ``3**(r+1) * b``
  evaluations; the others are ``abandoned``: they were heading, more slowly,
  for values the better starts had already passed;
* the last round, when three or fewer starts run on or the budget reaches
  ``--max-evaluations``, runs them to convergence.

For the same number of evaluations a race looks at several times more
starting points than a multistart whose every start runs to convergence, so a
narrow basin of the best optimum is more likely to be sampled; the price is
that a start which is slow at first but would have ended lowest can be
abandoned.  Every start's record keeps its rounds (``race`` in
``starts/start_NNNN.json``): budget, NLL and evaluations per round, so a run
resumes in the round it stopped in, on one process or the dask back-end of a
multistart (the starts of one round are the tasks).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .optimizers import FitSettings
from .store import StartResult

__all__ = ["ETA", "first_budget", "Round", "next_round", "round_tasks", "merge_round",
           "mark_abandoned", "describe", "summary", "abandoned_note"]

#: Factor by which the starts shrink and the budget grows from one round to the next.
ETA = 3
#: The least evaluation budget of the first round.
MIN_FIRST_BUDGET = 10


def first_budget(settings: FitSettings, n_free: int) -> int:
    """Evaluations of round 0: ``settings.race_budget``, or ``max(10, n_free)``;
    never more than ``settings.max_nfev``."""
    b = int(settings.race_budget) if settings.race_budget else max(MIN_FIRST_BUDGET, int(n_free))
    return min(b, int(settings.max_nfev))


@dataclass(frozen=True)
class Round:
    """The round a race runs next.

    Attributes
    ----------
    index
        Round number (0 first).
    starts
        The starts that run in this round.
    todo
        Those of ``starts`` that have not run it yet (a resumed round).
    budget
        Evaluations each start gets in this round.
    final
        This round runs its starts to convergence (budget ``max_nfev``).
    abandoned
        Starts left out by this and the earlier rounds: start -> (round after
        which it was left out, its rank, the number ranked).
    """

    index: int
    starts: list[int]
    todo: list[int]
    budget: int
    final: bool
    abandoned: dict[int, tuple[int, int, int]] = field(default_factory=dict)


def _entry(rec: StartResult | None, r: int) -> dict[str, Any] | None:
    """The start's record of round ``r``, if it ran in it."""
    if rec is None or not rec.race:
        return None
    return next((e for e in rec.race.get("rounds", []) if e.get("round") == r), None)


def next_round(records: dict[int, StartResult], settings: FitSettings,
               n_free: int) -> Round | None:
    """The round to run next, from the start records (None: the race is over).

    The rounds are replayed from what every record stores of them, so the
    same records always give the same round, whichever process wrote them.
    """
    b0 = first_budget(settings, n_free)
    candidates = list(range(int(settings.n_starts)))
    abandoned: dict[int, tuple[int, int, int]] = {}
    r = 0
    while True:
        final = len(candidates) <= ETA or b0 * ETA ** r >= int(settings.max_nfev)
        budget = int(settings.max_nfev) if final else b0 * ETA ** r
        todo = [i for i in candidates if _entry(records.get(i), r) is None]
        if todo:
            return Round(r, candidates, todo, budget, final, abandoned)
        if final:
            return None
        running = [i for i in candidates if _entry(records[i], r)["state"] == "running"]
        if not running:
            return None
        keep = math.ceil(len(running) / ETA)
        ranked = sorted(running, key=lambda i: (float(_entry(records[i], r)["fval"]), i))
        for rank, i in enumerate(ranked[keep:], keep + 1):
            abandoned[i] = (r, rank, len(ranked))
        candidates = ranked[:keep]
        r += 1


def round_tasks(rnd: Round, records: dict[int, StartResult], settings: FitSettings,
                design: np.ndarray) -> list[tuple[FitSettings, int, np.ndarray]]:
    """Arguments of :func:`~.multistart.run_start` for the starts of ``rnd`` still to run:
    round 0 from the design points, later rounds from where each start stopped (no
    redraws: the point was evaluated)."""
    this = replace(settings, max_nfev=int(rnd.budget))
    if rnd.index == 0:
        return [(this, i, design[i]) for i in rnd.todo]
    on = replace(this, max_redraws=0)
    return [(on, i, np.asarray(records[i].x, float)) for i in rnd.todo]


def merge_round(previous: StartResult | None, new: StartResult, rnd: Round) -> StartResult:
    """The start's record after round ``rnd``: its latest point and NLL, evaluations and
    time summed over rounds, and the round's entry appended to ``race``."""
    if previous is None or rnd.index == 0:
        rec, n_fev = new, new.n_fev
    else:
        rec = replace(previous)
        n_fev = new.n_fev
        rec.n_fev = previous.n_fev + new.n_fev
        rec.time_s = previous.time_s + new.time_s
        rec.budget_exhausted = new.budget_exhausted
        if new.ok:
            rec.x, rec.fval, rec.parameters = new.x, new.fval, new.parameters
            rec.fval_tight = new.fval_tight
            rec.message, rec.exitflag = new.message, new.exitflag
        else:
            # the point it reached before is no converged result: the start counts as failed
            rec.status, rec.reason = "failed", f"round {rnd.index}: {new.reason}"
    state = ("failed" if not new.ok else
             "running" if new.budget_exhausted and not rnd.final else "done")
    rounds = list((previous.race or {}).get("rounds", [])) if previous is not None else []
    rounds = [e for e in rounds if e.get("round") != rnd.index]
    rounds.append({"round": rnd.index, "budget": int(rnd.budget), "fval": float(rec.fval),
                   "n_fev": int(n_fev), "state": state})
    rec.race = {"rounds": rounds}
    return rec


def mark_abandoned(records: dict[int, StartResult], rnd: Round) -> list[StartResult]:
    """Note in the records of the starts that ``rnd`` leaves out why; returns those changed."""
    changed = []
    for i, (after, rank, of) in rnd.abandoned.items():
        rec = records[i]
        if (rec.race or {}).get("abandoned"):
            continue
        note = {"after_round": after, "rank": rank, "of": of}
        rec.race = {**(rec.race or {}), "abandoned": note}
        rec.message = (f"abandoned after round {after}: NLL {rec.fval:.6g} ranked {rank} of "
                       f"{of} still running ({rec.message})")
        changed.append(rec)
    return changed


def describe(settings: FitSettings, n_free: int) -> str:
    """One line saying how the race runs."""
    b0 = first_budget(settings, n_free)
    return (f"race: {settings.n_starts} starts of {b0} evaluations each; after each round the "
            f"best third of the unfinished starts continues with {ETA}x the evaluations, the "
            f"last {ETA} or fewer run on to convergence (at most {settings.max_nfev} more)")


def summary(records: dict[int, StartResult], settings: FitSettings, n_free: int) -> dict[str, Any]:
    """What ``summary.json`` records of a race: its rules and, per round, the starts that
    ran, their budget and evaluations, and how many finished, failed or ran on."""
    rounds: dict[int, dict[str, Any]] = {}
    for rec in records.values():
        for e in (rec.race or {}).get("rounds", []):
            row = rounds.setdefault(int(e["round"]), {"round": int(e["round"]), "starts": 0,
                                                      "budget": int(e["budget"]),
                                                      "evaluations": 0, "done": 0,
                                                      "running": 0, "failed": 0})
            row["starts"] += 1
            row["evaluations"] += int(e.get("n_fev", 0))
            row[e["state"]] = row.get(e["state"], 0) + 1
    return {"eta": ETA, "first_budget": first_budget(settings, n_free),
            "max_evaluations": int(settings.max_nfev),
            "abandoned": sum(bool((r.race or {}).get("abandoned")) for r in records.values()),
            "rounds": [rounds[k] for k in sorted(rounds)]}


def abandoned_note(fit_summary: dict[str, Any]) -> str:
    """`` (N of them abandoned by the race, not run to convergence)`` after a fit's count of
    starts, for a race's ``summary.json``; ``""`` for a multistart."""
    race = fit_summary.get("race")
    if not race:
        return ""
    return f" ({race['abandoned']} of them abandoned by the race, not run to convergence)"
