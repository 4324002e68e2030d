"""The one exception type for bad user input.

Every problem caused by what a user gave us (a file, a flag, a parameter
value, a condition name) raises :class:`JakstatInputError` with a message that
names the bad value and says what was expected.  The command line turns it
into a single line on stderr and exit code 2.
"""


class JakstatInputError(ValueError):
    """Bad input from a user: names the bad value and what was expected."""
