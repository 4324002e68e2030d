"""The on-disk caches (``JAKSTAT_CACHE``): what they hold, and removing old entries.

Every cache kind is a folder of ``<cache_dir()>`` (:func:`~jakstat_rules.io.cache_dir`):
one entry is the files (and, for AMICI, the folder) that share a name before
the first dot.  An entry's *last use* is the newest modification time of its
files: a cache read touches the file it reads
(:func:`~jakstat_rules.io.read_cache_entry`), and loading an AMICI model
touches its ``.complete`` marker.  Removing an entry is always safe: the
next run that needs it builds it again.  An AMICI model being built holds an
``flock`` on its ``.lock`` file; such an entry is skipped.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import JakstatInputError
from .io import cache_dir

#: The cache kinds, in the order a run fills them, with what each holds.
KINDS: dict[str, str] = {
    "networks": "BioNetGen reaction networks (one per model structure)",
    "sbml": "exported SBML of the model variants",
    "summaries": "start values read from an SBML model",
    "pruned": "models pruned to the species a run's inputs can make",
    "compiled": "libroadrunner-compiled models",
    "amici": "AMICI models for exact derivatives (jakstat calibrate)",
}
DAY = 86400.0


@dataclass
class Entry:
    """One cache entry: its kind, name, paths, bytes on disk and last use (epoch seconds)."""

    kind: str
    name: str
    paths: list[Path]
    size: int
    last_used: float


def _size_and_time(path: Path) -> tuple[int, float]:
    if path.is_dir() and not path.is_symlink():
        size, newest = 0, path.stat().st_mtime
        for sub, _, files in os.walk(path):
            for f in files:
                try:
                    st = os.stat(os.path.join(sub, f), follow_symlinks=False)
                except OSError:
                    continue
                size += st.st_size
        return size, newest
    st = path.stat()
    return st.st_size, st.st_mtime


def entries(kinds: list[str] | None = None) -> list[Entry]:
    """The entries of the cache kinds ``kinds`` (default: all), oldest use first."""
    out = []
    for kind in check_kinds(kinds):
        folder = cache_dir(kind)
        if not folder.is_dir():
            continue
        groups: dict[str, list[Path]] = {}
        for path in folder.iterdir():
            groups.setdefault(path.name.split(".", 1)[0], []).append(path)
        for name, paths in groups.items():
            size, times, lock_times = 0, [], []
            for p in paths:
                try:
                    s, t = _size_and_time(p)
                except OSError:  # removed meanwhile
                    continue
                size += s
                # a lock file is opened by every process that waits for it: not a use
                (lock_times if p.name.endswith(".lock") else times).append(t)
            out.append(Entry(kind, name, sorted(paths), size,
                             max(times or lock_times or [0.0])))
    return sorted(out, key=lambda e: (e.last_used, e.kind, e.name))


def check_kinds(kinds: list[str] | None) -> list[str]:
    """``kinds`` (default: all), each checked against :data:`KINDS`."""
    if not kinds:
        return list(KINDS)
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        raise JakstatInputError(f"cache kind {bad[0]!r}: expected one of {', '.join(KINDS)}")
    return list(dict.fromkeys(kinds))


def _busy(entry: Entry) -> bool:
    """Whether another process holds the entry's build lock (an AMICI build running)."""
    for p in entry.paths:
        if p.name.endswith(".lock"):
            try:
                with open(p, "a+", encoding="utf-8") as fh:
                    try:
                        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError:
                        return True
                    fcntl.flock(fh, fcntl.LOCK_UN)
            except OSError:
                return True
    return False


def clear(kinds: list[str] | None = None, older_than_days: float | None = None,
          now: float | None = None) -> tuple[list[Entry], list[Entry]]:
    """Remove the entries of ``kinds`` (default: all) not used for ``older_than_days``
    days (default: every entry).

    Returns
    -------
    (removed, skipped)
        The entries removed, and those skipped because an AMICI build holds them.

    Raises
    ------
    JakstatInputError
        An unknown kind or a negative number of days.
    """
    if older_than_days is not None and not older_than_days >= 0:
        raise JakstatInputError(f"--older-than {older_than_days!r}: expected a number of "
                                f"days >= 0")
    now = time.time() if now is None else now
    removed, skipped = [], []
    for entry in entries(kinds):
        if older_than_days is not None and now - entry.last_used < older_than_days * DAY:
            continue
        if _busy(entry):
            skipped.append(entry)
            continue
        # the marker of a finished build first, so a half-removed AMICI entry is rebuilt
        for p in sorted(entry.paths, key=lambda q: not q.name.endswith(".complete")):
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                try:
                    p.unlink()
                except FileNotFoundError:
                    pass
        removed.append(entry)
    return removed, skipped


def human_size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000.0
    return f"{n:.1f} GB"  # pragma: no cover


def _age(seconds: float) -> str:
    if seconds >= 2 * DAY:
        return f"{seconds / DAY:.0f} days"
    return f"{seconds / 3600:.0f} h" if seconds >= 7200 else f"{seconds / 60:.0f} min"


def info_lines(now: float | None = None) -> list[str]:
    """What ``jakstat cache`` prints: the folder, then per kind entries, size, oldest use."""
    now = time.time() if now is None else now
    found = entries()
    lines = [f"cache folder: {cache_dir()} (JAKSTAT_CACHE sets it)"]
    for kind, what in KINDS.items():
        mine = [e for e in found if e.kind == kind]
        if mine:
            lines.append(f"{kind:10s} {len(mine):5d} entries {human_size(sum(e.size for e in mine)):>10s}"
                         f"  last used {_age(now - mine[-1].last_used)} to "
                         f"{_age(now - mine[0].last_used)} ago  ({what})")
        else:
            lines.append(f"{kind:10s}     0 entries  ({what})")
    lines.append(f"{'total':10s} {len(found):5d} entries "
                 f"{human_size(sum(e.size for e in found)):>10s}")
    return lines
