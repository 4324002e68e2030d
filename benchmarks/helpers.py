"""Helpers shared by the benchmark scripts (run as ``python benchmarks/<script>.py``):
progress lines, timing, atomic result files (through :mod:`jakstat_rules.io`),
killable subprocesses and the ``jakstat`` command of this interpreter."""
from __future__ import annotations

import hashlib
import json
import math
import os
import shlex
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

def say(msg: str) -> None:
    """A progress line on stderr."""
    print(f"[bench_petab {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def load_avg() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` atomically (the project's one IO module)."""
    from jakstat_rules.io import atomic_write

    atomic_write(path, text)


def write_json_atomic(path: Path, obj: Any) -> None:
    """Write ``obj`` as JSON atomically (``Infinity``/``NaN`` kept: Python reads them back)."""
    write_text_atomic(path, json.dumps(obj, indent=1, default=_jsonable) + "\n")


def _jsonable(o: Any) -> Any:
    try:
        import numpy as np

        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, np.ndarray):
            return o.tolist()
    except ImportError:
        pass
    return str(o)


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def num(v: Any) -> float:
    """A float from JSON (None/'inf'/'nan' allowed)."""
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def short_hash(obj: Any, n: int = 10) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:n]


def run_killable(argv: list[str], timeout: float | None, log: Path,
                 env: dict | None = None, cwd: Path | None = None) -> tuple[int | None, float]:
    """Run a command in its own process group, output to ``log``.

    Returns (exit code or None on timeout, wall seconds).  On timeout the
    process group this function started is terminated (then killed).
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with open(log, "ab") as fh:
        fh.write(f"\n$ {shlex.join(argv)}\n".encode())
        fh.flush()
        proc = subprocess.Popen(argv, stdout=fh, stderr=subprocess.STDOUT, env=env,
                                cwd=cwd, start_new_session=True)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            rc = None
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    proc.wait(timeout=20)
                    break
                except subprocess.TimeoutExpired:
                    continue
        except BaseException:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            raise
    return rc, time.perf_counter() - t0


def tail(path: Path, n: int = 3) -> str:
    """Last non-empty lines of a log, joined (for the table's note)."""
    try:
        lines = [ln.strip() for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return " | ".join(lines[-n:])[-400:]


def jakstat_argv() -> list[str]:
    exe = Path(sys.executable).parent / "jakstat"
    return [str(exe)] if exe.is_file() else [sys.executable, "-m", "jakstat_rules.cli"]


def tool_env() -> dict:
    """Environment of the subprocesses: the venv's bin first (swig for AMICI)."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("PYTHONWARNINGS", "ignore")
    return env


def median_time(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``repeats`` calls of ``fn`` (seconds)."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)
