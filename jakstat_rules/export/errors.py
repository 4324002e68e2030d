"""The exporter's error type."""
from ..errors import JakstatInputError


class SBMLExportError(JakstatInputError):
    """The model has a construct the exporters cannot write faithfully.

    The message names the component (parameter, expression, rule) and says
    what was expected, e.g. an expression whose unit cannot be inferred.
    """
