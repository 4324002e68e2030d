"""Where starts and profile branches run: here, on a local dask cluster, or on a scheduler.

:func:`check_scheduler` verifies a scheduler address before any work (a
short TCP connection attempt, so a wrong address fails in about a second
with one line, not after the fit was set up); :func:`run_tasks` runs a
top-level function over a list of argument tuples and hands every result
to a callback as soon as it arrives (so callers write it to disk at once).
"""

from __future__ import annotations

import socket
import sys
from dataclasses import dataclass
from typing import Any, Callable

from jakstat_rules.errors import JakstatInputError

__all__ = ["SCHEDULER_TIMEOUT", "Progress", "check_scheduler", "run_tasks"]

#: Seconds allowed to reach a dask scheduler.
SCHEDULER_TIMEOUT = 3.0


def _bad_scheduler(address: str, reason: str) -> JakstatInputError:
    return JakstatInputError(f"cannot connect to dask scheduler {address!r} ({reason}): "
                             f"expected the address of a running scheduler, e.g. "
                             f"tcp://host:8786")


def check_scheduler(address: str, timeout: float = SCHEDULER_TIMEOUT) -> None:
    """Check that a dask scheduler address is well formed and, for TCP, reachable.

    Raises
    ------
    JakstatInputError
        For a malformed address or one that refuses or does not answer
        within ``timeout`` seconds.
    """
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        protocol, location = parse_address(address)
        if protocol in ("tcp", "tls"):
            host, port = parse_host_port(location)
    except (ValueError, TypeError) as exc:
        raise _bad_scheduler(address, str(exc)) from None
    if protocol not in ("tcp", "tls"):
        return  # other transports are checked when the client connects
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError as exc:
        raise _bad_scheduler(address, exc.strerror or type(exc).__name__) from None


@dataclass(frozen=True)
class Progress:
    """A live progress line on stderr (tqdm) for :func:`run_tasks`.

    Attributes
    ----------
    desc, unit
        Label and unit of the line.
    total
        Number of tasks of the whole run.
    done
        Tasks finished before (a resumed run).
    postfix
        Called after each result; its items are shown after the counter.
    """

    desc: str
    total: int
    done: int = 0
    unit: str = "it"
    postfix: Callable[[], dict[str, Any]] | None = None


def run_tasks(fn: Callable, payload, tasks: list[tuple],
              on_result: Callable[[Any], None], workers: int = 1,
              scheduler: str | None = None, processes: bool = True,
              progress: Progress | None = None) -> None:
    """Run ``fn(payload, *task)`` for every task, serially or on dask.

    Parameters
    ----------
    fn
        Top-level (picklable) function returning a dict.
    payload
        Problem, sent once to every worker.
    tasks
        Argument tuples.
    on_result
        Called in this process with each result as soon as it arrives.
    workers
        1: run here; K > 1: start a ``LocalCluster`` with K workers.
    scheduler
        Address of an existing dask scheduler (overrides ``workers``).
    processes
        Worker processes (True) or threads (False) for the LocalCluster.
    progress
        Show a progress line while tasks run.

    Raises
    ------
    JakstatInputError
        If the scheduler cannot be reached.
    """
    if not tasks:
        return
    bar = None
    if progress is not None:
        from tqdm import tqdm

        bar = tqdm(total=progress.total, initial=progress.done, desc=progress.desc,
                   unit=progress.unit, file=sys.stderr, dynamic_ncols=True)

    def deliver(result: Any) -> None:
        on_result(result)
        if bar is not None:
            bar.update(1)
            if progress.postfix is not None:
                bar.set_postfix(**progress.postfix())

    try:
        _execute(fn, payload, tasks, deliver, workers, scheduler, processes)
    finally:
        if bar is not None:
            bar.close()


def _execute(fn: Callable, payload, tasks: list[tuple], deliver: Callable[[Any], None],
             workers: int, scheduler: str | None, processes: bool) -> None:
    if scheduler is None and int(workers) <= 1:
        for task in tasks:
            deliver(fn(payload, *task))
        return
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is not None:
        check_scheduler(scheduler)
        try:
            client = Client(scheduler, timeout=f"{SCHEDULER_TIMEOUT:g}s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise _bad_scheduler(scheduler, str(exc)) from None
    else:
        cluster = LocalCluster(n_workers=int(workers), threads_per_worker=1,
                               processes=processes, dashboard_address=None)
        client = Client(cluster)
    try:
        remote_payload = client.scatter(payload, broadcast=True)
        futures = [client.submit(fn, remote_payload, *task, pure=False) for task in tasks]
        for fut in as_completed(futures):
            deliver(fut.result())
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
