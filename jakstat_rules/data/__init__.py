"""Shipped reference data and the importers that turn measurements into PEtab problems.

* ``kirby2021/`` - the Kirby et al. (2021) phospho-STAT1 time courses (MIT
  licence, provenance and citation in its README), shipped as package data
  so ``jakstat data petab`` works after ``pip install`` anywhere;
* ``examples/`` - a small tidy table of those data for the walkthrough in
  ``docs/own-data.md`` (``jakstat data example`` copies it);
* :mod:`.tidy` - the tidy-table importer (``jakstat data import``): one row
  per measurement -> a lint-clean PEtab v1 problem on the model's SBML.  The
  Kirby writer (:mod:`jakstat_rules.data.kirby`) is a thin layer over it.

Importing this package is cheap (no pandas, no petab): the importer is
loaded on first use of one of its names.
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

__all__ = ["DATA_ROOT", "kirby2021_dir", "example_path", "EXAMPLE_FILES",
           "import_table", "read_table", "ImportOptions"]

#: Folder of the shipped data files.
DATA_ROOT = Path(__file__).resolve().parent

#: The example tables of the walkthrough (``docs/own-data.md``).
EXAMPLE_FILES = ("pstat1_example.csv", "pstat1_example_wide.csv")


def kirby2021_dir() -> Path:
    """The shipped Kirby 2021 folder (csv files, LICENSE, README.md)."""
    return DATA_ROOT / "kirby2021"


def example_path(name: str = EXAMPLE_FILES[0]) -> Path:
    """Path of a shipped example table (one of :data:`EXAMPLE_FILES`)."""
    if name not in EXAMPLE_FILES:
        from jakstat_rules.errors import JakstatInputError
        raise JakstatInputError(f"example table {name!r} unknown; expected one of "
                                f"{list(EXAMPLE_FILES)}")
    return DATA_ROOT / "examples" / name


_LAZY = {"import_table": "tidy", "read_table": "tidy", "ImportOptions": "tidy"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
