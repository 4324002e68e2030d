"""jakstat-rules: a rule-based model of interferon -> JAK -> STAT1 signalling.

The public API::

    from jakstat_rules import build_model, generate_network, simulate, Condition
"""
from .errors import JakstatInputError
from .model import INPUTS, READOUTS, VARIANTS, build_model

__version__ = "0.1.0"

__all__ = ["build_model", "INPUTS", "READOUTS", "VARIANTS", "JakstatInputError", "__version__"]
