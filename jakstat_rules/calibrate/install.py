"""``jakstat setup-gradients``: install AMICI, the engine of exact derivatives.

pip cannot install AMICI beside PySB in one resolution: PySB 1.17 (the
newest release) declares ``sympy<1.12`` while every AMICI release since 0.20
needs ``sympy>=1.12.1``.  PySB runs with sympy 1.14 for everything this
project uses (the network, export and model tests pass with it), so this
command installs AMICI's own requirements (the file
``requirements-gradients.txt`` shipped in this package) and then AMICI with
``--no-deps``, into the Python that runs it.  ``make setup`` calls it; a
user who installed the package with pip runs it once.
"""

from __future__ import annotations

import subprocess
import sys
from importlib import resources

__all__ = ["AMICI_REQUIREMENT", "requirements_file", "install_commands", "setup_gradients"]

#: The AMICI release the exact-derivative code is written for.
AMICI_REQUIREMENT = "amici==1.0.1"


def requirements_file() -> str:
    """Path of the packaged list of AMICI's requirements."""
    return str(resources.files(__package__) / "requirements-gradients.txt")


def install_commands(python: str = sys.executable) -> list[list[str]]:
    """The two pip commands that install AMICI into ``python``'s environment."""
    pip = [python, "-m", "pip", "install"]
    return [pip + ["-r", requirements_file()], pip + ["--no-deps", AMICI_REQUIREMENT]]


def setup_gradients(dry_run: bool = False) -> int:
    """Run :func:`install_commands` (or print them with ``dry_run``).

    Returns
    -------
    int
        0 on success, else pip's exit code.
    """
    for command in install_commands():
        print("jakstat: " + " ".join(command), file=sys.stderr)
        if not dry_run:
            code = subprocess.call(command)
            if code != 0:
                return code
    return 0
