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
import logging
import os
import socket
import sys
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from jakstat_rules.errors import JakstatInputError

__all__ = ["SCHEDULER_TIMEOUT", "SOLVER_LOG", "Progress", "ProgressDisplay", "check_scheduler",
           "report_progress", "run_tasks", "solver_log", "PROGRESS_TOPIC"]

#: Seconds allowed to reach a dask scheduler.
SCHEDULER_TIMEOUT = 3.0
#: Transports of a scheduler address (all over TCP, so reachability is checked first).
NETWORK_PROTOCOLS = ("tcp", "tls", "ws", "wss")
#: How often dask runs a task again whose worker was lost (killed, out of memory).
TASK_RETRIES = 3
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
        For a malformed address (a transport other than
        :data:`NETWORK_PROTOCOLS` or ``inproc``, no port, a port out of
        range) or one
        that refuses or does not answer within ``timeout`` seconds.
    """
    from distributed.comm.addressing import parse_address, parse_host_port

    if not isinstance(address, str) or len(address) > 1000 or not address.isprintable():
        raise _bad_scheduler(str(address)[:80], "not a printable address of at most 1000 "
                             "characters")
    try:
        protocol, location = parse_address(address)
        if protocol == "inproc":
            return  # a scheduler of this very process (LocalCluster(processes=False))
        if protocol not in NETWORK_PROTOCOLS:
            raise ValueError(f"protocol {protocol!r} is not one of "
                             f"{list(NETWORK_PROTOCOLS)} (or inproc)")
        host, port = parse_host_port(location)
        port = int(port)
        if not 0 < port < 65536:
            raise ValueError(f"port {port} is not between 1 and 65535")
    except (ValueError, TypeError, OverflowError, MemoryError) as exc:
        raise _bad_scheduler(address, str(exc)) from None
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except (OSError, UnicodeError, ValueError) as exc:
        raise _bad_scheduler(address, getattr(exc, "strerror", None) or str(exc)
                             or type(exc).__name__) from None


@dataclass(frozen=True)
class Progress:
    """What :func:`run_tasks` shows while tasks run.

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


#: Topic of the in-task progress events (dask worker events, see :func:`report_progress`).
PROGRESS_TOPIC = "jakstat-progress"
#: Seconds between two in-task progress reports of one task.
REPORT_INTERVAL = 2.0
#: Seconds between two plain progress lines when stderr is not a terminal.
PLAIN_INTERVAL = 30.0

_LISTENER: Callable[[dict], None] | None = None


def report_progress(message: dict[str, Any]) -> None:
    """Send an in-task progress message (e.g. evaluations of a running start).

    In the process that runs :func:`run_tasks` serially the message goes to
    its display directly; in a dask worker it is sent as a worker event on
    :data:`PROGRESS_TOPIC`, which the client's display subscribes to.  Outside
    both it is dropped.
    """
    if _LISTENER is not None:
        _LISTENER(message)
        return
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        return
    with contextlib.suppress(Exception):  # progress must never fail a task
        worker.log_event(PROGRESS_TOPIC, message)


class ProgressDisplay:
    """Progress of a run: finished tasks with an estimate of the time left, and
    the running tasks' own progress (evaluations, best value so far).

    On a terminal a tqdm line that is redrawn; otherwise plain lines
    (``jakstat: ...``): one per finished task, and the running tasks at most
    every :data:`PLAIN_INTERVAL` seconds, so logs stay short.
    """

    def __init__(self, progress: Progress, stream: Any = None) -> None:
        self.progress = progress
        self.stream = stream if stream is not None else sys.stderr
        self.finished = 0
        self.t0 = time.perf_counter()
        self.running: dict[Any, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._last_plain = 0.0
        self.terminal = bool(getattr(self.stream, "isatty", lambda: False)())
        self.bar = None
        if self.terminal:
            from tqdm import tqdm

            self.bar = tqdm(total=progress.total, initial=progress.done, desc=progress.desc,
                            unit=progress.unit, file=self.stream, dynamic_ncols=True)

    def _left(self) -> str:
        left = self.progress.total - self.progress.done - self.finished
        if self.finished == 0 or left <= 0:
            return ""
        seconds = (time.perf_counter() - self.t0) / self.finished * left
        return f"about {_duration(seconds)} left"

    def _running_text(self) -> str:
        parts = []
        for key, msg in sorted(self.running.items(), key=lambda kv: str(kv[0])):
            best = msg.get("best")
            parts.append(f"{self.progress.unit} {key}: {msg.get('evaluations', 0)} evaluations"
                         + (f", best {best:.6g}" if isinstance(best, float) else "")
                         + f", {_duration(msg.get('elapsed', 0.0))}")
        return "; ".join(parts)

    def update(self, message: dict[str, Any]) -> None:
        """An in-task progress message (``task``, ``evaluations``, ``best``, ``elapsed``)."""
        with self._lock:
            self.running[message.get("task")] = message
            if self.bar is not None:
                self.bar.set_postfix_str(self._postfix_text(), refresh=True)
            elif time.perf_counter() - self._last_plain >= PLAIN_INTERVAL:
                self._last_plain = time.perf_counter()
                print(f"jakstat: running {self._running_text()}", file=self.stream,
                      flush=True)

    def _postfix_text(self) -> str:
        items = self.progress.postfix() if self.progress.postfix else {}
        text = ", ".join(f"{k} {v}" for k, v in items.items())
        extra = [t for t in (self._left(), self._running_text()) if t]
        return "; ".join([text] + extra) if text else "; ".join(extra)

    def task_done(self, key: Any) -> None:
        """A task finished (after its result was handled)."""
        with self._lock:
            self.finished += 1
            self.running.pop(key, None)
            if self.bar is not None:
                self.bar.update(1)
                self.bar.set_postfix_str(self._postfix_text(), refresh=True)
                return
            done = self.progress.done + self.finished
            print(f"jakstat: {done}/{self.progress.total} {self.progress.desc} finished"
                  + (f"; {self._postfix_text()}" if self._postfix_text() else ""),
                  file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _duration(seconds: float) -> str:
    seconds = float(seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def run_tasks(fn: Callable, payload, tasks: list[tuple],
              on_result: Callable[[Any], None], workers: int = 1,
              scheduler: str | None = None, processes: bool = True,
              progress: Progress | None = None,
              key: Callable[[tuple], Any] | None = None) -> None:
    """Run ``fn(payload, *task)`` for every task, serially or on dask.

    Parameters
    ----------
    fn
        Top-level (picklable) function returning a result, or None for a task
        it did not run (neither handed to ``on_result`` nor counted as done).
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
        Show progress while tasks run (:class:`ProgressDisplay`); tasks may
        report their own progress with :func:`report_progress`.
    key
        The task's name in the display, from its argument tuple (default:
        its position).

    Raises
    ------
    JakstatInputError
        If the scheduler cannot be reached.
    """
    global _LISTENER
    if not tasks:
        return
    display = ProgressDisplay(progress) if progress is not None else None
    names = [key(t) if key is not None else k for k, t in enumerate(tasks)]

    def deliver(index: int, result: Any) -> None:
        if result is None:  # the task was not run (a time limit passed): nothing to record
            return
        on_result(result)
        if display is not None:
            display.task_done(names[index])

    if display is not None and scheduler is None and int(workers) <= 1:
        _LISTENER = display.update
    try:
        _execute(fn, payload, tasks, deliver, workers, scheduler, processes,
                 display.update if display is not None else None)
    finally:
        _LISTENER = None
        if display is not None:
            display.close()


def _execute(fn: Callable, payload, tasks: list[tuple], deliver: Callable[[int, Any], None],
             workers: int, scheduler: str | None, processes: bool,
             listener: Callable[[dict], None] | None = None) -> None:
    if scheduler is None and int(workers) <= 1:
        for index, task in enumerate(tasks):
            deliver(index, fn(payload, *task))
        return
    from distributed import Client, as_completed

    cluster = None
    if scheduler is not None:
        check_scheduler(scheduler)
        try:
            client = Client(scheduler, timeout=f"{SCHEDULER_TIMEOUT:g}s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise _bad_scheduler(scheduler, str(exc)) from None
    else:
        cluster = _new_local_cluster(workers, processes)
        client = Client(cluster)
    try:
        if listener is not None:
            client.subscribe_topic(PROGRESS_TOPIC, lambda event: listener(event[1]))
        _run_resubmitting(client, fn, payload, tasks, deliver, as_completed)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _new_local_cluster(workers: int, processes: bool) -> Any:
    """A dask ``LocalCluster`` of ``workers`` single-threaded workers, without dashboard."""
    from distributed import LocalCluster

    # our own cluster: its nanny's shutdown notices ("still alive after 4 s, killing")
    # are no news to the user
    quiet = logging.getLogger("distributed.nanny")
    if quiet.level < logging.ERROR:
        quiet.setLevel(logging.ERROR)
    # worker processes skip what the jakstat command skips at start-up (startup.py);
    # threads run in the caller's process, which is left as it is
    preload = ["jakstat_rules.startup"] if processes else []
    return LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=processes,
                        dashboard_address=None, preload=preload)


@contextlib.contextmanager
def local_cluster(workers: int, processes: bool = True) -> Iterator[str]:
    """A local dask cluster kept for several :func:`run_tasks` calls (the rounds of a
    race): yields its scheduler address, to pass as ``scheduler``.  Its worker
    processes keep their compiled problems from one call to the next."""
    cluster = _new_local_cluster(workers, processes)
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def _run_resubmitting(client: Any, fn: Callable, payload, tasks: list[tuple],
                      deliver: Callable[[int, Any], None], as_completed: Any) -> None:
    """Run the tasks on ``client``'s cluster; a task whose worker was lost runs again.

    The payload is scattered to the workers once.  A worker that dies (killed,
    out of memory) takes its copy of the payload and its task with it: dask
    then cancels the task (``FutureCancelledError``) or gives up on it
    (``KilledWorker``).  Such a task is submitted again, with the payload
    scattered again once a worker is there, at most :data:`TASK_RETRIES`
    times; then the error is raised.
    """
    from distributed import KilledWorker
    from distributed.client import FutureCancelledError

    remote = {"payload": client.scatter(payload, broadcast=True)}
    index: dict[Any, int] = {}
    lost = [0] * len(tasks)
    pending = as_completed()

    def submit(k: int) -> None:
        fut = client.submit(fn, remote["payload"], *tasks[k], pure=False, retries=TASK_RETRIES)
        index[fut.key] = k
        pending.add(fut)

    for k in range(len(tasks)):
        submit(k)
    for fut in pending:
        k = index.pop(fut.key)
        try:
            result = fut.result()
        except (FutureCancelledError, KilledWorker):
            lost[k] += 1
            if lost[k] > TASK_RETRIES:
                raise
            if remote["payload"].status != "finished":  # lost with its worker: again
                client.wait_for_workers(1)
                remote["payload"] = client.scatter(payload, broadcast=True)
            submit(k)
            continue
        deliver(k, result)


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


def _solver_loggers_to(stream) -> list[tuple[logging.Logger, list, bool]]:
    """Send the records of AMICI's loggers to ``stream`` (one handler on ``amici``, whose
    modules' loggers propagate to it); returns what to restore: each logger changed,
    its handlers and its ``propagate``."""
    changed = []
    names = [n for n in logging.root.manager.loggerDict if n.split(".")[0] == "amici"]
    for name in sorted(set(names) | {"amici"}):
        logger = logging.getLogger(name)
        changed.append((logger, list(logger.handlers), logger.propagate))
        if name == "amici":
            handler = logging.StreamHandler(stream)
            handler.setFormatter(logging.Formatter("%(asctime)s - %(name)s - %(levelname)s - "
                                                   "%(message)s"))
            logger.handlers[:] = [handler]
            logger.propagate = False
        else:
            logger.handlers[:] = []
            logger.propagate = True
    return changed


@contextlib.contextmanager
def solver_log(path: str | os.PathLike, title: str = "") -> Iterator[Path]:
    """Send solver output to the log file ``path`` while the block runs.

    * File descriptors 1 and 2 of this process point to ``path`` (appended),
      so what C code prints there -- libroadrunner's log, SUNDIALS/CVODE
      warnings and errors -- lands in the log.  Worker processes of a dask
      ``LocalCluster`` started inside the block inherit them.
    * Python warnings (numpy ``RuntimeWarning``, ...) are written to the log.
    * Records of AMICI's loggers (a failed forward simulation is an ERROR
      record) are written to the log, not to ``sys.stderr``.
    * Python's ``sys.stdout``/``sys.stderr`` keep writing where they wrote
      before (the terminal): the progress line, messages and the CLI's
      error line stay visible.

    Workers of a remote scheduler keep their own output.  Everything is
    restored when the block ends, also on errors and ``KeyboardInterrupt``.

    Parameters
    ----------
    path
        The log file (created, or appended to; a symbolic link there is
        refused with :class:`JakstatInputError`, so the log never writes
        outside the result folder).
    title
        Written as a header line with the date, to separate invocations.

    Yields
    ------
    pathlib.Path
        The log file.
    """
    from jakstat_rules.io import open_no_follow

    path = Path(path)
    try:
        fd = open_no_follow(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    except OSError as exc:
        raise JakstatInputError(f"cannot write the solver log {str(path)!r} "
                                f"({exc.strerror or exc}): expected a writable result "
                                f"folder") from None
    log = open(fd, "a", encoding="utf-8", buffering=1)
    log.write(f"==== {time.strftime('%Y-%m-%d %H:%M:%S')} {title}".rstrip() + "\n")
    saved: dict[int, int] = {}
    streams: dict[str, tuple[Any, _Terminal]] = {}
    loggers: list[tuple[logging.Logger, list, bool]] = []
    try:
        with warnings.catch_warnings():
            def to_log(message, category, filename, lineno, file=None, line=None):
                log.write(warnings.formatwarning(message, category, filename, lineno, line))

            warnings.showwarning = to_log
            loggers = _solver_loggers_to(log)
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
        for logger, handlers, propagate in loggers:
            logger.handlers[:] = handlers
            logger.propagate = propagate
        for name, (original, terminal) in streams.items():
            if getattr(sys, name) is terminal:
                setattr(sys, name, original)
            terminal.release()
        log.close()
