"""The publication supplement: ``jakstat supplement --out DIR`` (COMBINE archive + folder).

Modules, one concern each:

* :mod:`.experiments` - the simulation experiments (runs) behind the figures, described once;
* :mod:`.tables` - the project's own simulations of the runs, SED-ML-ready model files;
* :mod:`.sedml` - SED-ML Level 1 Version 4 of the runs (python-libsedml);
* :mod:`.fit` - the fit folder (and validation) the supplement reports, checked;
* :mod:`.figures` - figures as PNG and SVG;
* :mod:`.checks` - SBML validity, SED-ML references, COPASI agreement, fit quality;
* :mod:`.report` - the HTML model report and ``metadata.rdf``;
* :mod:`.archive` - the COMBINE archive (python-libcombine), written and read back;
* :mod:`.build` - the command: staging, progress, atomic replacement;
* :mod:`.cli` - the ``supplement`` subcommand.

``docs/supplement.md`` describes the archive and how to re-run it in
tellurium and COPASI.  Imports are lazy.
"""
from __future__ import annotations

import importlib
from typing import Any

__all__ = ["build_supplement", "archive_problems"]

_WHERE = {"build_supplement": "build", "archive_problems": "archive"}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
