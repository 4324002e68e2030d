"""The objective as a pyPESTO objective, so pyPESTO runs on the simulation core.

:class:`PypestoObjective` wraps an :class:`~jakstat_rules.calibrate.objective.Objective`
as a ``pypesto.objective.ObjectiveBase``: pyPESTO's optimisers, profiles,
sampling and plots then evaluate this package's objective (one compiled
RoadRunner per model, inner parameters in closed form, exact derivatives
when the objective has them).  :func:`pypesto_problem` builds the
``pypesto.Problem`` with the free parameters, their bounds and names::

    from jakstat_rules.calibrate import load_problem
    from jakstat_rules.calibrate.compiled import CompiledProblem
    from jakstat_rules.calibrate.objective import Objective
    from jakstat_rules.calibrate.pypesto_adapter import pypesto_problem
    from jakstat_rules.petab_io import ProblemPayload
    import pypesto.optimize

    payload = ProblemPayload.from_problem(load_problem("problem.yaml"))
    problem = pypesto_problem(Objective(CompiledProblem(payload), gradient="exact"))
    result = pypesto.optimize.minimize(problem, n_starts=10)

The objective pickles as its problem and settings, so pyPESTO's parallel
engines (``pypesto.engine.MultiProcessEngine``) and scatter searches that
run on worker processes (pyscat) evaluate it there, each process compiling
the model once.

Parameter vectors are the objective's free parameters (``Objective.free_ids``)
on their PEtab scale; :meth:`Objective.full_parameters` turns a result into
all estimated parameters, linear.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pypesto
from pypesto.C import FVAL, GRAD, MODE_FUN, MODE_RES, RES, SRES, ModeType
from pypesto.objective import ObjectiveBase

from .objective import Objective

__all__ = ["PypestoObjective", "pypesto_problem"]


class PypestoObjective(ObjectiveBase):
    """An :class:`~jakstat_rules.calibrate.objective.Objective` as a pyPESTO objective.

    Function values and, when the objective was built with
    ``gradient="exact"``, gradients (mode ``fun``); residuals and, with exact
    derivatives, their Jacobian (mode ``res``) when the objective is a sum of
    squares (:attr:`Objective.least_squares`).  Without exact derivatives
    pyPESTO's optimisers that need a gradient take finite differences
    (``pypesto.objective.FD``) or use a derivative-free method.

    Parameters
    ----------
    objective
        The objective; its ``free_ids`` name the parameters.
    """

    def __init__(self, objective: Objective) -> None:
        super().__init__(x_names=list(objective.free_ids))
        self.objective = objective
        self._exact = objective.gradient_method == "exact"

    def check_mode(self, mode: ModeType) -> bool:
        """Function values always; residuals for a sum of squares."""
        return mode == MODE_FUN or (mode == MODE_RES and bool(self.objective.least_squares))

    def check_sensi_orders(self, sensi_orders: tuple[int, ...], mode: ModeType) -> bool:
        """Values, and first derivatives with exact derivatives; no Hessians."""
        if not sensi_orders:
            return True
        return (self.check_mode(mode) and max(sensi_orders) <= 1
                and (1 not in sensi_orders or self._exact))

    def call_unprocessed(self, x: np.ndarray, sensi_orders: tuple[int, ...], mode: ModeType,
                         return_dict: bool, **kwargs: Any) -> dict[str, Any]:
        """Evaluate at ``x`` (free parameters, PEtab scale) what ``sensi_orders`` asks for."""
        x = np.asarray(x, float)
        ob = self.objective
        if mode == MODE_RES:
            out = {RES: ob.residuals(x)} if 0 in sensi_orders else {}
            if 1 in sensi_orders:
                out[SRES] = ob.jacobian(x)
            return out
        if 1 in sensi_orders:
            f, g = ob.fval_and_gradient(x)
            return {FVAL: f, GRAD: g}
        return {FVAL: ob.fval(x)}

    def get_config(self) -> dict:
        """pyPESTO's configuration record of the objective."""
        return {**super().get_config(), "free_ids": list(self.objective.free_ids),
                "gradient": self.objective.gradient_method}


def pypesto_problem(objective: Objective, **kwargs: Any) -> "pypesto.Problem":
    """A ``pypesto.Problem`` of the objective's free parameters within their bounds.

    Parameters
    ----------
    objective
        The objective.
    **kwargs
        Further arguments of ``pypesto.Problem`` (e.g. ``x_guesses``).
    """
    return pypesto.Problem(PypestoObjective(objective), lb=np.asarray(objective.lb, float),
                           ub=np.asarray(objective.ub, float),
                           x_names=list(objective.free_ids), **kwargs)
