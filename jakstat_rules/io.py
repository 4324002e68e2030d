"""Files: atomic writes, checksummed cache entries, output folders, resumable records.

Every writer of the project goes through this module:

* :func:`atomic_write` / :func:`atomic_write_bytes` write a temporary file in
  the target's folder and move it into place with :func:`os.replace`, so a
  killed run never leaves a half-written file (also :func:`write_json`,
  :func:`write_table` and :func:`save_figure` for matplotlib figures);
* :func:`check_output_dir` / :func:`check_output_file` verify *before* any
  long computation that an output path can be written (a folder, not a
  file; writable), turning the operating system's refusal into a
  :class:`~jakstat_rules.errors.JakstatInputError` that names the path;
* :func:`write_cache_entry` / :func:`read_cache_entry` store cache payloads
  (networks, generated SBML, compiled models) with a header carrying the
  entry's key and the SHA-256 of its content: a damaged, empty or foreign
  entry is detected, reported in one line and never used;
* :func:`claim_output_dir` makes a result folder resumable: it holds a
  ``run.json`` identity, and a second run with another identity is refused;
* :func:`lock_output_dir` holds an exclusive lock on a result folder while a
  run writes into it, so a second run started into the same folder at the
  same time is refused.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from .errors import JakstatInputError

log = logging.getLogger("jakstat_rules")


class StderrHandler(logging.Handler):
    """Log records as bare lines on the *current* ``sys.stderr`` (the CLI installs it)."""

    def emit(self, record: logging.LogRecord) -> None:
        print(self.format(record), file=sys.stderr)


#: Logger of the status lines (what a command is doing while it takes time).
status_log = logging.getLogger("jakstat_rules.status")


def report_warnings_on_stderr() -> None:
    """Show the package's warnings (damaged cache entries, ...) as one line each on stderr."""
    if not any(isinstance(h, StderrHandler) for h in log.handlers):
        handler = StderrHandler(level=logging.WARNING)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)


@contextlib.contextmanager
def status_on_stderr():
    """Show the status lines (:func:`status`) as ``jakstat: ...`` on stderr while the
    block runs (the command line wraps every command in it)."""
    handler = StderrHandler(level=logging.INFO)
    handler.setFormatter(logging.Formatter("jakstat: %(message)s"))
    level, propagate = status_log.level, status_log.propagate
    status_log.addHandler(handler)
    status_log.setLevel(logging.INFO)
    status_log.propagate = False
    try:
        yield
    finally:
        status_log.removeHandler(handler)
        status_log.setLevel(level)
        status_log.propagate = propagate


def status(message: str, *args: Any) -> None:
    """One status line: what the program is doing now, or what it chose.

    Shown on stderr by the command line (``jakstat: message``); silent for
    library users unless they configure the ``jakstat_rules.status`` logger.
    """
    status_log.info(message, *args)

__all__ = ["status", "status_on_stderr", "report_warnings_on_stderr", "atomic_write", "atomic_write_bytes",
           "write_json", "read_json", "write_table",
           "save_figure", "check_output_dir", "check_output_file", "cache_dir",
           "write_cache_entry", "read_cache_entry", "claim_output_dir", "read_run_record",
           "lock_output_dir",
           "sha256", "open_no_follow", "write_record", "read_record", "record_checksum"]


# ----------------------------------------------------------------------------- atomic writes
def _os_error(path: Path, exc: OSError, what: str = "write") -> JakstatInputError:
    reason = exc.strerror or type(exc).__name__
    return JakstatInputError(f"cannot {what} {str(path)!r} ({reason}): expected a writable path "
                             f"inside a folder")


def _apply_umask(path: str) -> None:
    """Give a temporary file the permissions a plain ``open()`` would (mkstemp makes 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder.

    Raises
    ------
    JakstatInputError
        If the folder cannot be created or written (names the path).
    """
    path = Path(path)
    if path.is_dir():
        raise JakstatInputError(f"output file {str(path)!r} is a folder: expected a file path")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise _os_error(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        _apply_umask(tmp)
        os.replace(tmp, path)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _os_error(path, exc) from None
        raise
    return path


def atomic_write(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8, ``\\n`` line ends) atomically; see :func:`atomic_write_bytes`."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def _json_default(obj: Any) -> Any:
    import numpy as np
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def _finite(obj: Any) -> Any:
    """Replace non-finite floats by strings so the JSON stays standard."""
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    if type(obj).__module__ == "numpy":
        if getattr(obj, "ndim", 0) > 0:
            return _finite(obj.tolist())
        if hasattr(obj, "item"):
            return _finite(obj.item())
    return obj


def write_json(path: str | os.PathLike, data: Any) -> Path:
    """Write ``data`` as indented, standard JSON (``inf``/``nan`` as strings), atomically."""
    return atomic_write(path, json.dumps(_finite(data), indent=2, default=_json_default) + "\n")


def read_json(path: str | os.PathLike, what: str = "file") -> Any:
    """Read a JSON file; a missing or damaged file raises :class:`JakstatInputError`."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise JakstatInputError(f"{what} {str(path)!r} not found: expected a JSON file") from None
    except (OSError, ValueError) as exc:
        raise JakstatInputError(f"{what} {str(path)!r} is damaged or unreadable ({exc}): "
                                f"expected a JSON file written by jakstat") from None


def write_table(path: str | os.PathLike, table, sep: str | None = None) -> Path:
    """Write a pandas table atomically: TSV for ``.tsv`` names, else CSV."""
    path = Path(path)
    sep = sep or ("\t" if path.suffix == ".tsv" else ",")
    return atomic_write(path, table.to_csv(sep=sep, index=False))


def save_figure(fig, path: str | os.PathLike, dpi: int = 110, **savefig_kwargs) -> Path:
    """Save a matplotlib figure atomically (format from the suffix) and close it.

    ``savefig_kwargs`` go to :meth:`matplotlib.figure.Figure.savefig` (e.g.
    ``bbox_inches="tight"``).

    The temporary file has a unique name next to the target, so a kill while
    plotting leaves neither a 0-byte figure nor a fixed-name leftover.
    """
    path = Path(path)
    try:
        if path.is_dir():
            raise JakstatInputError(f"figure path {str(path)!r} is a folder: expected a file path")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.",
                                       suffix=path.suffix or ".png")
            os.close(fd)
        except OSError as exc:
            raise _os_error(path, exc) from None
        try:
            fig.savefig(tmp, dpi=dpi, **savefig_kwargs)
            _apply_umask(tmp)
            os.replace(tmp, path)
        except OSError as exc:
            raise _os_error(path, exc) from None
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    finally:
        if "matplotlib.pyplot" in sys.modules:  # figures made with pyplot are registered there
            sys.modules["matplotlib.pyplot"].close(fig)
    return path


# ----------------------------------------------------------------------------- output checks
def check_output_dir(path: str | os.PathLike, what: str = "output folder") -> Path:
    """Make sure ``path`` is (or can become) a writable folder; create it.

    Call this before a long computation, so a bad ``--out`` fails at once.

    Raises
    ------
    JakstatInputError
        If ``path`` is a file, or cannot be created or written.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise JakstatInputError(f"{what} {str(path)!r} is a file: expected a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=path, prefix=".jakstat-write-check.")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise JakstatInputError(f"{what} {str(path)!r} cannot be written ({reason}): "
                                f"expected a writable folder") from None
    return path


def check_output_file(path: str | os.PathLike, what: str = "output file") -> Path:
    """Make sure ``path`` can be written as a file (its folder writable, not a folder)."""
    path = Path(path)
    if path.is_dir():
        raise JakstatInputError(f"{what} {str(path)!r} is a folder: expected a file path")
    check_output_dir(path.parent, what=f"folder of {what}")
    return path


# ----------------------------------------------------------------------------- caches
_MAGIC = b"jakstat-cache-1"


def sha256(data: bytes | str) -> str:
    """Hex SHA-256 of bytes or UTF-8 text."""
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def cache_dir(kind: str = "") -> Path:
    """Folder of the on-disk caches (``JAKSTAT_CACHE`` or ``~/.cache/jakstat_rules``)."""
    root = Path(os.environ.get("JAKSTAT_CACHE") or Path.home() / ".cache" / "jakstat_rules")
    return root / kind if kind else root


def write_cache_entry(path: str | os.PathLike, key: str, payload: bytes) -> bool:
    """Store ``payload`` under ``path`` with a header line: magic, key, SHA-256, length.

    A cache that cannot be written is skipped (returns False): caching is an
    optimisation, never a reason to fail.
    """
    header = b" ".join([_MAGIC, key.encode(), sha256(payload).encode(),
                        str(len(payload)).encode()]) + b"\n"
    try:
        atomic_write_bytes(path, header + payload)
        return True
    except JakstatInputError:
        return False


def read_cache_entry(path: str | os.PathLike, key: str) -> bytes | None:
    """The payload stored by :func:`write_cache_entry`, or None.

    None when the entry is absent; when it is damaged (truncated, empty,
    checksum mismatch) or foreign (another key), it is reported in one
    warning line, deleted, and None is returned so the caller regenerates it.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("jakstat: cache entry %s unreadable (%s); regenerating it", path, exc)
        return None
    head, sep, payload = raw.partition(b"\n")
    parts = head.split(b" ")
    problem = None
    if not sep or len(parts) != 4 or parts[0] != _MAGIC:
        problem = "empty or not a jakstat cache entry" if raw else "empty"
    elif parts[1].decode(errors="replace") != key:
        problem = f"foreign (key {parts[1].decode(errors='replace')[:16]}..., expected {key[:16]}...)"
    elif parts[3] != str(len(payload)).encode() or parts[2] != sha256(payload).encode():
        problem = "damaged (checksum mismatch)"
    if problem:
        log.warning("jakstat: cache entry %s is %s; regenerating it", path, problem)
        try:
            path.unlink()
        except OSError:
            pass
        return None
    try:  # its last use, for `jakstat cache clear --older-than` (jakstat_rules.cache)
        os.utime(path)
    except OSError:
        pass
    return payload


# ----------------------------------------------------------------------------- checksummed records
#: Key of the checksum in a record written by :func:`write_record`.
CHECKSUM = "checksum"


def record_checksum(record: dict[str, Any]) -> str:
    """SHA-256 of a record's canonical JSON (sorted keys, compact), its checksum left out.

    The record is taken as it reads back from its file (non-finite floats as
    strings), so the checksum of a written record and of the same record read
    again agree.
    """
    body = json.loads(json.dumps(_finite({k: v for k, v in record.items() if k != CHECKSUM}),
                                 default=_json_default))
    return sha256(json.dumps(body, sort_keys=True, separators=(",", ":")))


def write_record(path: str | os.PathLike, record: dict[str, Any]) -> Path:
    """Write a result record (a start, a profile branch) as JSON with its checksum."""
    return write_json(path, {**record, CHECKSUM: record_checksum(record)})


def read_record(path: str | os.PathLike, what: str = "record") -> dict[str, Any]:
    """Read a record of :func:`write_record`, its checksum checked and removed.

    A record without a checksum (written by an earlier version) is returned
    as it is.

    Raises
    ------
    JakstatInputError
        If the file is missing, not JSON, not a JSON object, or its content
        does not match its checksum (an edited or damaged record).
    """
    record = read_json(path, what=what)
    if not isinstance(record, dict):
        raise JakstatInputError(f"{what} {str(path)!r} is damaged (not a JSON object)")
    stored = record.pop(CHECKSUM, None)
    if stored is not None and stored != record_checksum(record):
        raise JakstatInputError(f"{what} {str(path)!r} is damaged (its content does not "
                                f"match its checksum)")
    return record


# ----------------------------------------------------------------------------- resumable folders
def read_run_record(out: str | os.PathLike) -> dict[str, Any] | None:
    """The run record (``run.json``) of the result folder ``out``, or None.

    None when the folder holds no ``run.json`` or one that is no JSON object
    (:func:`~jakstat_rules.io.claim_output_dir` refuses such a folder, naming it).

    Raises
    ------
    JakstatInputError
        If ``run.json`` cannot be read or is not JSON.
    """
    marker = Path(out) / "run.json"
    if not marker.is_file():
        return None
    stored = read_json(marker, what="run record")
    return stored if isinstance(stored, dict) else None


def claim_output_dir(out: str | os.PathLike, kind: str, identity: dict[str, Any]) -> Path:
    """Make sure ``out`` is empty or holds results of the same run, and claim it.

    Parameters
    ----------
    out
        The output folder.
    kind
        ``"fit"``, ``"profile"``, ``"validation"``, ...
    identity
        What must match for a resume (problem hash, seed, settings, ...).

    Raises
    ------
    JakstatInputError
        If the folder is a file, is not writable, holds another kind of
        result, a different run's results, or unrelated files.  Nothing is
        written in that case.
    """
    out = Path(out)
    marker = out / "run.json"
    if out.exists() and not out.is_dir():
        raise JakstatInputError(f"output path {str(out)!r} is a file: expected a folder")
    if marker.is_file():
        stored = read_json(marker, what="run record")
        if not isinstance(stored, dict):
            raise JakstatInputError(f"run record {str(marker)!r} is damaged: expected a JSON object")
        if stored.get("kind") != kind:
            raise JakstatInputError(
                f"output folder {str(out)!r} holds {stored.get('kind')!r} "
                f"results: expected an empty folder or {kind!r} results")
        for key, value in identity.items():
            if _finite(stored.get(key)) != _finite(json.loads(json.dumps(_finite(value), default=_json_default))):
                raise JakstatInputError(
                    f"output folder {str(out)!r} holds results with {key} "
                    f"{stored.get(key)!r}, this run has {value!r}: expected "
                    f"an empty folder or the same {key} (use another --out)")
        check_output_dir(out)
        return out
    if out.is_dir() and any(out.iterdir()):
        raise JakstatInputError(
            f"output folder {str(out)!r} is not empty and holds no run.json: "
            f"expected an empty folder or a previous {kind} output")
    check_output_dir(out)
    if not _create_json(marker, {"kind": kind, **identity}):
        return claim_output_dir(out, kind, identity)  # another run claimed it meanwhile
    return out


def _create_json(path: Path, data: Any) -> bool:
    """Write ``data`` as a new JSON file ``path``, whole, unless ``path`` exists.

    The content goes to a temporary file that is then hard-linked to
    ``path`` (``os.link`` never replaces a file): of two runs claiming one
    folder at the same instant, exactly one writes its record.

    Returns
    -------
    bool
        False if ``path`` existed (nothing written).
    """
    text = json.dumps(_finite(data), indent=2, default=_json_default) + "\n"
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise _os_error(path, exc) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        _apply_umask(tmp)
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links: the check is then not atomic
            if path.exists():
                return False
            os.replace(tmp, path)
    except FileExistsError:
        return False
    except OSError as exc:
        raise _os_error(path, exc) from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    return True


# ----------------------------------------------------------------------------- no symlinks
def open_no_follow(path: str | os.PathLike, flags: int, mode: int = 0o666) -> int:
    """``os.open`` that refuses a symbolic link at ``path`` (``O_NOFOLLOW``).

    For the files a run keeps open in its result folder (the lock, the
    solver log): a link planted there must not make the run truncate or
    append to a file outside the folder.

    Raises
    ------
    JakstatInputError
        If ``path`` is a symbolic link (names it).
    OSError
        For other refusals of the operating system.
    """
    path = Path(path)
    try:
        return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0), mode)
    except OSError:
        if path.is_symlink():
            raise JakstatInputError(f"{str(path)!r} is a symbolic link: expected a plain file "
                                    f"in the result folder (remove the link)") from None
        raise


# ----------------------------------------------------------------------------- folder locks
#: Name of the lock file :func:`lock_output_dir` keeps in a result folder.
LOCK_FILE = ".lock"


@contextlib.contextmanager
def lock_output_dir(out: str | os.PathLike, what: str = "output folder"):
    """Hold an exclusive lock on the folder ``out`` while the ``with`` block runs.

    The lock is an ``fcntl.flock`` on ``out/.lock``, a file holding the
    holder's process id, host and start time; it is removed when the block
    ends, also on errors and ``KeyboardInterrupt``.  When the process is
    killed the kernel releases the lock and the file stays behind with it
    unlocked, so a stale file never blocks a resume.  (A lock taken on a file
    that its holder removed meanwhile is detected and taken again.)
    Take it after :func:`claim_output_dir` has written ``run.json`` (the lock
    file would make a fresh folder look non-empty to it).

    Parameters
    ----------
    out
        The result folder (created if missing).
    what
        How the folder is named in messages.

    Yields
    ------
    pathlib.Path
        The folder.

    Raises
    ------
    JakstatInputError
        If another process (or another open of the lock in this process)
        holds the lock: one line naming the folder and the holder; or if the
        folder cannot be written.  On a file system without locks a warning
        is logged and the block runs unlocked.

    Examples
    --------
    >>> with lock_output_dir("results/fit"):          # doctest: +SKIP
    ...     run_the_fit()
    """
    import errno
    import fcntl
    import socket
    import time

    out = check_output_dir(out, what)
    path = out / LOCK_FILE
    locked = True
    while True:
        try:
            fd = open_no_follow(path, os.O_RDWR | os.O_CREAT)
        except OSError as exc:
            raise JakstatInputError(f"cannot lock {what} {str(out)!r} ({exc.strerror or exc}): "
                                    f"expected a writable folder") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                log.warning("jakstat: cannot lock %s (%s); running without a lock", out,
                            exc.strerror or exc)
                locked = False
                break
            try:
                holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
            except OSError:
                holder = ""
            os.close(fd)
            raise JakstatInputError(
                f"{what} {str(out)!r} is in use by another run"
                f"{f' ({holder})' if holder else ''}: expected one run per folder at a "
                f"time; wait for that run to end or use another --out") from None
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # its holder removed the file between our open and our lock: again
    try:
        if locked:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()} since "
                          f"{time.strftime('%Y-%m-%d %H:%M:%S')}\n".encode(), 0)
        yield out
    finally:
        try:
            if locked:
                with contextlib.suppress(OSError):
                    os.unlink(path)  # still holding the lock: a waiter sees the removal
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
