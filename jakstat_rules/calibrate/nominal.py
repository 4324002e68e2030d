"""The objective at a problem's nominal parameters: a check any user can run.

``jakstat calibrate PROBLEM.yaml --evaluate-nominal`` (and
:func:`evaluate_nominal`) evaluates the negative log-likelihood of the data,
the chi-square of the weighted residuals, the objective priors and the
PEtab simulation table at the ``nominalValue`` column of the parameter
table (or at values given for some estimated parameters), without
optimising.  Published benchmark problems list the log-likelihood at these
values and the PEtab test suite lists all three, so the check shows whether
this calibrator reads a problem as its authors meant; problems using PEtab
features it does not support are refused with a message naming the feature.
"""
from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field, fields
from typing import Mapping

import numpy as np
import pandas as pd
from petab.v1 import C

from jakstat_rules.engine import DEFAULT_ATOL, DEFAULT_RTOL
from jakstat_rules.errors import JakstatInputError

__all__ = ["NominalEvaluation", "evaluate_nominal", "simulation_table"]


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
    chi2
        Sum of the squared weighted residuals ``(f(y) - f(h)) / sigma`` on
        each observable's transformation scale (libpetab's ``calculate_chi2``).
    n_measurements, n_estimated
        Sizes of the problem.
    seconds
        Time taken, loading and compilation included.
    simulations
        The PEtab simulation table: the measurement table with the
        ``measurement`` column replaced by ``simulation`` (the observables).
    """

    problem: str
    data_nll: float
    neg_log_prior: float
    objective: float
    chi2: float
    n_measurements: int
    n_estimated: int
    seconds: float
    simulations: pd.DataFrame = field(repr=False, compare=False)

    def as_dict(self) -> dict:
        """The numbers (not the simulation table), with ``llh = -data_nll``."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "simulations"}
        out["llh"] = -self.data_nll
        return out


def simulation_table(measurement_df: pd.DataFrame, h: np.ndarray) -> pd.DataFrame:
    """A PEtab simulation table: ``measurement_df`` with ``simulation`` = ``h``.

    Parameters
    ----------
    measurement_df
        The PEtab measurement table.
    h
        Simulated observables, one per row.
    """
    out = measurement_df.reset_index(drop=True).copy()
    position = out.columns.get_loc(C.MEASUREMENT)
    out = out.drop(columns=C.MEASUREMENT)
    out.insert(position, C.SIMULATION, np.asarray(h, float))
    return out


def evaluate_nominal(yaml_path: str | os.PathLike, rtol: float = DEFAULT_RTOL,
                     atol: float = DEFAULT_ATOL,
                     values: Mapping[str, float] | None = None) -> NominalEvaluation:
    """Evaluate a PEtab problem's objective at its nominal parameters.

    Parameters
    ----------
    yaml_path
        The problem's YAML file.
    rtol, atol
        Integrator tolerances.
    values
        Linear values of some estimated parameters, replacing their nominal
        values.

    Raises
    ------
    JakstatInputError
        Unreadable or unsupported problems, an unknown id in ``values``,
        missing nominal values, or a failed simulation (naming the condition).
    """
    from .likelihood import weighted_residuals
    from .compiled import CompiledProblem
    from ..petab_io import ProblemPayload, load_problem
    from .priors import ObjectivePriors

    start = time.perf_counter()
    problem = load_problem(yaml_path)
    cp = CompiledProblem(ProblemPayload.from_problem(problem), rtol=rtol, atol=atol)
    p = np.asarray(cp.parameters.nominal, float).copy()
    for pid, value in (values or {}).items():
        k = cp.parameters.position(pid)
        if k is None:
            raise JakstatInputError(f"{str(yaml_path)!r}: {pid!r} is not an estimated parameter; "
                                    f"expected one of {cp.estimated_ids}")
        p[k] = float(value)
    missing = [pid for pid, v in zip(cp.estimated_ids, p) if not math.isfinite(v)]
    if missing:
        raise JakstatInputError(f"{str(yaml_path)!r}: parameters {missing[:5]} have no nominalValue: "
                                f"expected a number for every estimated parameter")
    h, sigma = cp.observables(p)
    data = float(np.sum(cp.nll_terms(h, sigma)))
    data = data if math.isfinite(data) else math.inf
    chi2 = float(np.sum(weighted_residuals(cp.y, h, sigma, cp.groups) ** 2))
    priors = ObjectivePriors.from_payload(cp.payload, cp.parameters, str(yaml_path))
    prior = priors.neglogprior(p) if priors else 0.0
    return NominalEvaluation(str(yaml_path), data, prior, data + prior, chi2, len(cp.y),
                             len(cp.estimated_ids), time.perf_counter() - start,
                             simulation_table(cp.payload.measurement_df, h))
