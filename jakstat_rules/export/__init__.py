"""Export of the generated network: SBML (for COPASI and libroadrunner), BNGL, Antimony."""
from .sbml import to_sbml, write_sbml

__all__ = ["to_sbml", "write_sbml"]
