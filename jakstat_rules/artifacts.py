"""Built artifacts, cached by content: the exported SBML of each model variant.

:func:`model_sbml` returns the exported SBML of a variant, the file every
simulation starts from.  It is built from the model (:mod:`jakstat_rules.model`),
its network (:mod:`jakstat_rules.network`) and the exporter
(:mod:`jakstat_rules.export.sbml`), all below this module, and cached under
:func:`sources_key`: a key of their source code and the versions of the
libraries that produce it, so the command line finds it without importing
PySB.

The cache lives in memory and on disk (``JAKSTAT_CACHE`` or
``~/.cache/jakstat_rules``); every disk entry carries its key and a SHA-256
of its content (:mod:`jakstat_rules.io`), and a damaged, empty or foreign
entry is reported in one line, deleted and regenerated.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from . import network
from .conditions import check_variant
from .io import cache_dir, read_cache_entry, status, write_cache_entry

__all__ = ["model_sbml", "sources_key", "clear_memory_cache"]

_SBML: dict[str, str] = {}


@lru_cache(maxsize=1)
def sources_key() -> str:
    """Hash of everything the exported SBML depends on.

    The source files of the model, the network generation and the exporter,
    and the versions of PySB, BioNetGen, libSBML and sympy (which prints the
    exported formulas and orders their terms).  Reading and hashing
    them takes about a millisecond, without importing any of them.
    """
    root = Path(__file__).resolve().parent
    files = sorted([*(root / "model").glob("*.py"), *(root / "export").glob("*.py"),
                    root / "network.py", root / "interface.py", root / "artifacts.py"])
    h = hashlib.sha256()
    for f in files:
        h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    for dist in ("pysb", "bionetgen", "python-libsbml", "sympy"):
        h.update(f"{dist}={network.version_of(dist)}\0".encode())
    return h.hexdigest()[:32]


def model_sbml(variant: str = "default", use_cache: bool = True) -> str:
    """The exported SBML of a model variant (the text ``jakstat export`` writes).

    Taken from the memory or disk cache when the model and exporter sources
    are unchanged; otherwise built (model, network, SBML export) and cached.

    Raises
    ------
    JakstatInputError
        For an unknown variant.
    """
    check_variant(variant)
    key = f"{sources_key()}-{variant}"
    if use_cache and key in _SBML:
        return _SBML[key]
    path = cache_dir("sbml") / f"{key}.xml"
    payload = read_cache_entry(path, key) if use_cache else None
    if payload is not None:
        text = payload.decode("utf-8")
    else:
        # imported here: PySB and libSBML take seconds to import, and a cached SBML needs neither
        from .export.sbml import to_sbml
        from .model import build_model

        status("building the %s model and exporting it as SBML (once per model version, "
               "then cached) ...", variant)
        text = to_sbml(build_model(variant))
        write_cache_entry(path, key, text.encode("utf-8"))
    _SBML[key] = text
    return text


def clear_memory_cache() -> None:
    """Forget the in-process caches of this module and of :mod:`jakstat_rules.network`
    (the disk caches stay)."""
    _SBML.clear()
    network.clear_memory_cache()
