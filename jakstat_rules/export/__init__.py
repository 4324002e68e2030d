"""Export of the generated network: SBML (for COPASI and libroadrunner), BNGL, Antimony, COPASI.

Public functions: :func:`to_sbml`, :func:`write_sbml`, :func:`export_all`,
:func:`to_bngl`, :func:`to_antimony`; errors: :class:`SBMLExportError`.
"""
from .cli import export_all
from .errors import SBMLExportError
from .formats import to_antimony, to_bngl
from .sbml import consistency_report, to_sbml, write_sbml

__all__ = ["to_sbml", "write_sbml", "export_all", "to_bngl", "to_antimony",
           "consistency_report", "SBMLExportError"]
