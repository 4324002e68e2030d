"""What a ``jakstat`` process and its Dask workers skip at start-up.

jsonschema, which petab imports, imports ``rfc3987_syntax`` when it is installed
(tellurium brings it, through notebook and jupyter_events) and builds its Lark
grammars on import, for the "iri" format checks: several seconds of every command
that reads a PEtab problem, about half of ``jakstat calibrate --evaluate-nominal``
(``benchmarks/bench_startup.py``).  Neither petab's schemas nor this package check
formats.  The ``jakstat`` command (:func:`jakstat_rules.cli.main`) and the workers of
its local Dask clusters (:func:`dask_setup`, their preload) mark such modules absent
before anything imports jsonschema, so jsonschema leaves those checks out.  Importing
the package as a library changes nothing.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["UNUSED_IMPORTS", "skip_unused_imports", "dask_setup"]

#: Modules a dependency imports when present that no ``jakstat`` command uses.
UNUSED_IMPORTS = ("rfc3987_syntax",)


def skip_unused_imports() -> None:
    """Mark :data:`UNUSED_IMPORTS` absent in this process (``import`` of them raises
    ImportError, which jsonschema catches); a module already imported is kept."""
    for name in UNUSED_IMPORTS:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]


def dask_setup(worker: Any = None) -> None:
    """Dask preload hook of the local clusters' workers."""
    skip_unused_imports()
