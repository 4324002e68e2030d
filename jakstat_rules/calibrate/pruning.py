"""The species a PEtab problem's simulation units start non-zero (for :mod:`jakstat_rules.pruning`).

:class:`~.compiled.CompiledProblem` passes them to
:func:`jakstat_rules.pruning.reachability` and simulates the problem without
the species that stay zero in all its units.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["nonzero_at_start"]


def nonzero_at_start(simulator, p_values: Sequence[np.ndarray]) -> set[str]:
    """Species a problem's simulation units may start non-zero or set non-zero.

    Every unit's first period is applied on ``simulator``'s engine (SBML
    defaults, the condition's values, initial assignments evaluated) at each
    parameter vector of ``p_values``; a species non-zero in any counts.  A
    later period's species values count if non-zero at any vector, or if
    they are formulas that read the model.

    Parameters
    ----------
    simulator
        A :class:`~.simulation.ConditionSimulator` on the unpruned model.
    p_values
        Linear values of the estimated parameters to try (the nominal values
        and points with every parameter at a different place of its range:
        an initial value that is zero at all of them is taken to be zero by
        structure, e.g. a dose of 0 times a constant).
    """
    eng = simulator.engine
    found: set[str] = set()
    ids = np.array(eng.species_ids)
    for unit in simulator.plan.units:
        for p in p_values:
            simulator.start_unit(unit, p)
            found |= set(ids[np.asarray(eng.state) != 0.0].tolist())
        for period in unit.periods[1:]:
            settings = period.settings
            if settings.reads_model:
                found |= {a.target for a in settings.states}
                continue
            for p in p_values:
                found |= {sid for sid, v in settings.state_values(p).items() if v != 0.0}
    return found
