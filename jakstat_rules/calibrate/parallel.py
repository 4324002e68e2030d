"""Where starts and profile branches run: here, on a local dask cluster, or on a scheduler.

:func:`check_scheduler` verifies a scheduler address before any work (a
short TCP connection attempt, so a wrong address fails in about a second
with one line, not after the fit was set up); :func:`run_tasks` runs a
top-level function over a list of argument tuples and hands every result
to a callback as soon as it arrives (so callers write it to disk at once);
:func:`solver_log` sends what the solvers print (libroadrunner and SUNDIALS
messages written by C code to the process's stdout/stderr, Python warnings
such as numpy's ``RuntimeWarning``) to a log file of the result folder while
a run lasts, so the terminal shows only the progress line and messages.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import socket
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from jakstat_rules.errors import JakstatInputError

__all__ = ["SCHEDULER_TIMEOUT", "SOLVER_LOG", "Progress", "check_scheduler", "run_tasks",
           "solver_log"]

#: Seconds allowed to reach a dask scheduler.
SCHEDULER_TIMEOUT = 3.0
#: Name of the solver log in a result folder.
SOLVER_LOG = "solver.log"


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


def _flush_c_streams() -> None:
    """Flush the C library's stdio buffers (SUNDIALS writes with ``fprintf``)."""
    try:
        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError):  # no C library handle on this platform
        pass


class _Terminal:
    """Stands in for ``sys.stdout``/``sys.stderr`` while :func:`solver_log` runs.

    Writes go to a copy of the original descriptor (the terminal) while the
    descriptor itself points to the log; afterwards to the original stream,
    so whatever kept a reference (a logging handler created meanwhile, e.g.
    dask's) keeps working.
    """

    def __init__(self, original: Any, fd: int) -> None:
        self._original = original
        self._copy = open(os.dup(fd), "w", buffering=1,
                          encoding=getattr(original, "encoding", None) or "utf-8",
                          errors=getattr(original, "errors", None) or "strict")

    @property
    def _target(self) -> Any:
        return self._copy if self._copy is not None else self._original

    def write(self, text: str) -> int:
        return self._target.write(text)

    def flush(self) -> None:
        self._target.flush()

    def fileno(self) -> int:
        return self._target.fileno()

    def isatty(self) -> bool:
        return self._target.isatty()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)

    def release(self) -> None:
        """Write to the original stream from now on."""
        if self._copy is not None:
            copy, self._copy = self._copy, None
            with contextlib.suppress(OSError, ValueError):
                copy.flush()
            with contextlib.suppress(OSError):
                copy.close()


def _uses_fd(stream: Any, fd: int) -> bool:
    try:
        return stream.fileno() == fd
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError
        return False


@contextlib.contextmanager
def solver_log(path: str | os.PathLike, title: str = "") -> Iterator[Path]:
    """Send solver output to the log file ``path`` while the block runs.

    * File descriptors 1 and 2 of this process point to ``path`` (appended),
      so what C code prints there -- libroadrunner's log, SUNDIALS/CVODE
      warnings and errors -- lands in the log.  Worker processes of a dask
      ``LocalCluster`` started inside the block inherit them.
    * Python warnings (numpy ``RuntimeWarning``, ...) are written to the log.
    * Python's ``sys.stdout``/``sys.stderr`` keep writing where they wrote
      before (the terminal): the progress line, messages and the CLI's
      error line stay visible.

    Workers of a remote scheduler keep their own output.  Everything is
    restored when the block ends, also on errors and ``KeyboardInterrupt``.

    Parameters
    ----------
    path
        The log file (created, or appended to).
    title
        Written as a header line with the date, to separate invocations.

    Yields
    ------
    pathlib.Path
        The log file.
    """
    path = Path(path)
    log = open(path, "a", encoding="utf-8", buffering=1)
    log.write(f"==== {time.strftime('%Y-%m-%d %H:%M:%S')} {title}".rstrip() + "\n")
    saved: dict[int, int] = {}
    streams: dict[str, tuple[Any, _Terminal]] = {}
    try:
        with warnings.catch_warnings():
            def to_log(message, category, filename, lineno, file=None, line=None):
                log.write(warnings.formatwarning(message, category, filename, lineno, line))

            warnings.showwarning = to_log
            for name, fd in (("stdout", 1), ("stderr", 2)):
                stream = getattr(sys, name)
                try:
                    stream.flush()
                except (AttributeError, OSError, ValueError):
                    pass
                if _uses_fd(stream, fd):
                    # keep Python's stream on the terminal: a copy of the original descriptor
                    terminal = _Terminal(stream, fd)
                    streams[name] = (stream, terminal)
                    setattr(sys, name, terminal)
            _flush_c_streams()
            for fd in (1, 2):
                try:
                    saved[fd] = os.dup(fd)
                except OSError:  # descriptor closed (daemon): nothing to redirect
                    continue
                os.dup2(log.fileno(), fd)
            yield path
    finally:
        _flush_c_streams()
        for fd, copy in saved.items():
            os.dup2(copy, fd)
            os.close(copy)
        for name, (original, terminal) in streams.items():
            if getattr(sys, name) is terminal:
                setattr(sys, name, original)
            terminal.release()
        log.close()
