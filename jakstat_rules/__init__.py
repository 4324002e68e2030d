"""jakstat-rules: a rule-based model of interferon -> JAK -> STAT1 signalling.

The public API (imported lazily: ``import jakstat_rules`` loads nothing heavy)::

    from jakstat_rules import build_model, generate_network, simulate, dose_response, Simulator
    from jakstat_rules import Engine, CONDITIONS, INPUTS, READOUTS, VARIANTS
"""
from __future__ import annotations

import importlib
from typing import Any

from .errors import JakstatInputError, SimulationError
from .interface import INPUTS, READOUTS, VARIANTS

__version__ = "0.1.0"

_WHERE = {
    "build_model": "model", "generate_network": "network", "model_sbml": "artifacts",
    "simulate": "simulate", "dose_response": "simulate", "Simulator": "simulate",
    "get_simulator": "simulate", "SCENARIOS": "simulate",
    "CONDITIONS": "conditions", "DOSE_SERIES": "conditions", "condition_table": "conditions",
    "Engine": "engine",
}

__all__ = ["build_model", "generate_network", "model_sbml", "simulate", "dose_response",
           "Simulator", "get_simulator", "SCENARIOS", "CONDITIONS", "DOSE_SERIES",
           "condition_table", "Engine", "INPUTS", "READOUTS", "VARIANTS", "JakstatInputError",
           "SimulationError", "__version__"]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
