"""The exception types for bad user input and failed simulations.

Every problem caused by what a user gave us (a file, a flag, a parameter
value, a condition name) raises :class:`JakstatInputError` with a message that
names the bad value and says what was expected.  A solver failure raises
:class:`SimulationError`, a subclass, naming the condition when the caller
knows it.  The command line turns both into a single line on stderr and exit
code 2.
"""


class JakstatInputError(ValueError):
    """Bad input from a user: names the bad value and what was expected."""


class SimulationError(JakstatInputError):
    """The ODE solver failed (CVODE error, non-finite values, no steady state)."""
