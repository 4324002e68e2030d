"""The exception types for bad user input and failed simulations.

Every problem caused by what a user gave us (a file, a flag, a parameter
value, a condition name) raises :class:`JakstatInputError` with a message that
names the bad value and says what was expected.  A solver failure raises
:class:`SimulationError`, a subclass, naming the condition when the caller
knows it.  The command line turns both into a single line on stderr and exit
code 2.  :func:`checked_number` reads a number and refuses it, in one such
message, unless it is finite and in range.
"""
import math


class JakstatInputError(ValueError):
    """Bad input from a user: names the bad value and what was expected."""


class SimulationError(JakstatInputError):
    """The ODE solver failed (CVODE error, non-finite values, no steady state)."""


def checked_number(value: object, invalid: str, *, low: float = -math.inf,
                   high: float = math.inf, low_included: bool = True,
                   not_a_number: str | None = None) -> float:
    """``value`` as a finite float from ``low`` to ``high``, else one :class:`JakstatInputError`.

    Parameters
    ----------
    value
        A number or its text (a flag, a cell, a YAML value); ``True`` and
        ``False`` are not numbers.
    invalid
        The message when the number is not finite or out of range (and when
        ``value`` is no number, unless ``not_a_number`` is given): it names
        ``value`` and says what was expected.
    low, high
        The range; ``low`` itself is allowed unless ``low_included`` is False.
    not_a_number
        The message when ``value`` does not read as a number.

    Raises
    ------
    JakstatInputError
        With ``invalid`` or ``not_a_number``.
    """
    try:
        if isinstance(value, bool):
            raise TypeError(value)
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise JakstatInputError(not_a_number or invalid) from None
    above = number >= low if low_included else number > low
    if not (math.isfinite(number) and above and number <= high):
        raise JakstatInputError(invalid)
    return number
