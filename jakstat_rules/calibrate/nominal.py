"""The objective at a problem's nominal parameters: a check any user can run.

``jakstat calibrate PROBLEM.yaml --evaluate-nominal`` (and
:func:`evaluate_nominal`) evaluates the negative log-likelihood of the data
and the objective priors at the ``nominalValue`` column of the parameter
table, without optimising.  Published benchmark problems list the
log-likelihood at these values, so the check shows whether this calibrator
reads a problem as its authors meant; problems using PEtab features it does
not support are refused with a message naming the feature.
"""
from __future__ import annotations

import math
import os
import time
from dataclasses import asdict, dataclass

import numpy as np

from jakstat_rules.engine import DEFAULT_ATOL, DEFAULT_RTOL
from jakstat_rules.errors import JakstatInputError

__all__ = ["NominalEvaluation", "evaluate_nominal"]


@dataclass(frozen=True)
class NominalEvaluation:
    """The objective at the nominal parameters.

    Attributes
    ----------
    problem
        The YAML file.
    data_nll
        Negative log-likelihood of the measurements (what benchmark
        collections list, with the opposite sign, as "LLH").
    neg_log_prior
        Sum of ``-log`` objective priors (0 without priors).
    objective
        ``data_nll + neg_log_prior``: what a fit minimises.
    n_measurements, n_estimated
        Sizes of the problem.
    seconds
        Time taken, loading and compilation included.
    """

    problem: str
    data_nll: float
    neg_log_prior: float
    objective: float
    n_measurements: int
    n_estimated: int
    seconds: float

    def as_dict(self) -> dict:
        return asdict(self)


def evaluate_nominal(yaml_path: str | os.PathLike, rtol: float = DEFAULT_RTOL,
                     atol: float = DEFAULT_ATOL) -> NominalEvaluation:
    """Evaluate a PEtab problem's objective at its nominal parameters.

    Raises
    ------
    JakstatInputError
        Unreadable or unsupported problems, missing nominal values, or a
        failed simulation (naming the condition).
    """
    from .objective import CompiledProblem
    from .petab_io import ProblemPayload, load_problem
    from .priors import ObjectivePriors

    start = time.perf_counter()
    problem = load_problem(yaml_path)
    cp = CompiledProblem(ProblemPayload.from_problem(problem), rtol=rtol, atol=atol)
    nominal = np.asarray(cp.parameters.nominal, float)
    missing = [pid for pid, v in zip(cp.estimated_ids, nominal) if not math.isfinite(v)]
    if missing:
        raise JakstatInputError(f"{str(yaml_path)!r}: parameters {missing[:5]} have no nominalValue: "
                                f"expected a number for every estimated parameter")
    data = cp.nll(nominal)
    priors = ObjectivePriors.from_table(problem.parameter_df, cp.parameters, str(yaml_path))
    prior = priors.neglogprior(nominal) if priors else 0.0
    return NominalEvaluation(str(yaml_path), data, prior, data + prior, len(cp.y),
                             len(cp.estimated_ids), time.perf_counter() - start)
