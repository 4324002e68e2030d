"""Export of the generated network: SBML (for COPASI and libroadrunner), BNGL, Antimony, COPASI.

Public functions: :func:`to_sbml`, :func:`write_sbml`, :func:`export_all`,
:func:`to_bngl`, :func:`to_antimony`; errors: :class:`SBMLExportError`.
They are imported lazily, so ``jakstat --help`` does not load libSBML or PySB.
"""
from __future__ import annotations

import importlib
from typing import Any

from .errors import SBMLExportError

_WHERE = {"export_all": "cli", "to_antimony": "formats", "to_bngl": "formats",
          "consistency_report": "sbml", "to_sbml": "sbml", "write_sbml": "sbml"}

__all__ = ["to_sbml", "write_sbml", "export_all", "to_bngl", "to_antimony",
           "consistency_report", "SBMLExportError"]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
