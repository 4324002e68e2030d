"""jakstat-rules: a rule-based model of interferon -> JAK -> STAT1 signalling.

The public API::

    from jakstat_rules import build_model, generate_network, simulate, dose_response, Simulator
"""
from .errors import JakstatInputError
from .model import INPUTS, READOUTS, VARIANTS, build_model
from .network import generate_network
from .simulate import SCENARIOS, Simulator, dose_response, simulate

__version__ = "0.1.0"

__all__ = ["build_model", "generate_network", "simulate", "dose_response", "Simulator", "SCENARIOS",
           "INPUTS", "READOUTS", "VARIANTS", "JakstatInputError", "__version__"]
