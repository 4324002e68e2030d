"""Atomic file writes and result-folder bookkeeping shared by fit, profile
and validation runs.

Every result file is written to a temporary file in the same folder and then
moved into place with :func:`os.replace`, so a killed run never leaves a
half-written file behind.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from jakstat_rules.errors import JakstatInputError


def _default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def _clean(obj: Any) -> Any:
    """Replace non-finite floats by strings so the JSON stays standard."""
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (float, np.floating)) and not math.isfinite(float(obj)):
        return str(float(obj))
    return obj


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (temp file + ``os.replace``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as JSON atomically."""
    write_text_atomic(path, json.dumps(_clean(data), indent=2, default=_default) + "\n")


def write_tsv_atomic(path: Path, df: pd.DataFrame) -> None:
    """Write a table as TSV atomically."""
    write_text_atomic(path, df.to_csv(sep="\t", index=False))


def save_figure_atomic(fig, path: Path) -> None:
    """Save a matplotlib figure as PNG atomically and close it."""
    import matplotlib.pyplot as plt

    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".png")
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=110, bbox_inches="tight")
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        if os.path.exists(tmp):
            os.unlink(tmp)


def read_json(path: Path) -> Any:
    """Read a JSON file written by :func:`write_json_atomic`."""
    with open(path) as fh:
        return json.load(fh)


def claim_output_dir(out: Path, kind: str, identity: dict[str, Any]) -> None:
    """Make sure ``out`` is empty or holds results of the same run.

    Parameters
    ----------
    out
        The output folder.
    kind
        ``"fit"``, ``"profile"`` or ``"validation"``.
    identity
        What must match for a resume (problem hash, seed, ...).

    Raises
    ------
    JakstatInputError
        If the folder holds another kind of result, a different problem's
        results, or unrelated files.  Nothing is written in that case.
    """
    out = Path(out)
    marker = out / "run.json"
    if out.exists() and not out.is_dir():
        raise JakstatInputError(f"output path {str(out)!r} is a file; "
                                f"expected a folder")
    if marker.is_file():
        try:
            stored = read_json(marker)
        except (OSError, ValueError):
            raise JakstatInputError(
                f"output folder {str(out)!r} has an unreadable run.json; "
                f"expected a folder written by this tool") from None
        if stored.get("kind") != kind:
            raise JakstatInputError(
                f"output folder {str(out)!r} holds {stored.get('kind')!r} "
                f"results; expected an empty folder or {kind!r} results")
        for key, value in identity.items():
            if stored.get(key) != value:
                raise JakstatInputError(
                    f"output folder {str(out)!r} holds results with {key} "
                    f"{stored.get(key)!r}, this run has {value!r}; expected "
                    f"an empty folder or the same {key} (use another --out)")
        return
    if out.is_dir() and any(out.iterdir()):
        raise JakstatInputError(
            f"output folder {str(out)!r} is not empty and holds no run.json; "
            f"expected an empty folder or a previous {kind} output")
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(marker, {"kind": kind, **identity})
