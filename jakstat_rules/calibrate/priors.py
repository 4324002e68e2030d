"""Objective priors of PEtab v1 parameter tables.

A parameter row may carry ``objectivePriorType`` and
``objectivePriorParameters``; the objective then adds ``-log prior`` to the
negative log-likelihood.  The eight PEtab v1 types, as the PEtab v1
specification and pyPESTO read them (untruncated densities):

* ``normal``, ``laplace``, ``uniform``: a density of the parameter's linear
  value;
* ``logNormal``, ``logLaplace``: the linear value's logarithm is normal or
  Laplace (the density of the linear value, so it includes ``1/x``);
* ``parameterScaleNormal``, ``parameterScaleLaplace``,
  ``parameterScaleUniform``: a density of the value on the parameter's
  ``parameterScale`` (lin, log or log10).

The densities are libpetab's (:mod:`petab.v1.distributions`).  Priors whose
``-log`` density is a constant plus half a square (normal on either scale,
uniform) can join the least-squares residuals; Laplace and log-normal priors
cannot, and the objective then uses a gradient-based optimiser instead.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from petab.v1 import C
from petab.v1.distributions import Laplace, Normal, Uniform

from jakstat_rules.errors import JakstatInputError

from .mapping import ParameterTable, scale

__all__ = ["PRIOR_TYPES", "ParameterPrior", "ObjectivePriors"]

#: The PEtab v1 objective prior types.
PRIOR_TYPES = (C.NORMAL, C.LAPLACE, C.UNIFORM, C.LOG_NORMAL, C.LOG_LAPLACE,
               C.PARAMETER_SCALE_NORMAL, C.PARAMETER_SCALE_LAPLACE, C.PARAMETER_SCALE_UNIFORM)


@dataclass(frozen=True)
class ParameterPrior:
    """The prior of one estimated parameter.

    Attributes
    ----------
    parameter_id, position
        The parameter and its index in the estimated-parameter vector.
    type
        PEtab prior type.
    parameters
        The two prior parameters (mean and SD, location and scale, or bounds).
    parameter_scale
        The parameter's ``parameterScale`` (used by ``parameterScale*`` types).
    distribution
        PEtab v2: libpetab's distribution (:attr:`petab.v2.Parameter.prior_dist`,
        truncated to the bounds), a density of the linear value; None for v1.
    """

    parameter_id: str
    position: int
    type: str
    parameters: tuple[float, ...]
    parameter_scale: str
    distribution: object = None

    def _argument(self, value: float) -> float:
        """The value the density is of: scaled for parameterScale*, else linear."""
        if self.type.startswith("parameterScale"):
            return float(scale([value], [self.parameter_scale])[0])
        return float(value)

    def _distribution(self):
        if self.distribution is not None:
            return self.distribution
        a, b = self.parameters
        kind = self.type.replace("parameterScale", "").lower()
        if kind == "normal":
            return Normal(a, b)
        if kind == "laplace":
            return Laplace(a, b)
        if kind == "uniform":
            return Uniform(a, b)
        if kind == "lognormal":
            return Normal(a, b, log=True)
        return Laplace(a, b, log=True)

    def neglogprior(self, value: float) -> float:
        """``-log`` of the prior density at the parameter's linear ``value``."""
        with np.errstate(divide="ignore"):
            density = float(self._distribution().pdf(self._argument(value)))
        return -math.log(density) if density > 0 else math.inf

    @property
    def quadratic(self) -> bool:
        """Whether ``-log`` prior is a constant plus half a square (a residual)."""
        return self.distribution is None and self.type in (
            C.NORMAL, C.PARAMETER_SCALE_NORMAL, C.UNIFORM, C.PARAMETER_SCALE_UNIFORM)

    def _argument_derivative(self, value: float) -> float:
        """d(argument)/d(linear value)."""
        if not self.type.startswith("parameterScale") or self.parameter_scale == C.LIN:
            return 1.0
        if self.parameter_scale == C.LOG:
            return 1.0 / value
        return 1.0 / (value * math.log(10.0))

    def neglogprior_derivative(self, value: float) -> float:
        """d(-log prior)/d(linear value) (0 for uniform priors inside their bounds;
        PEtab v2 priors: a central difference of libpetab's density)."""
        if self.distribution is not None:
            step = 1e-6 * max(1.0, abs(value))
            return (self.neglogprior(value + step) - self.neglogprior(value - step)) / (2 * step)
        a, b = self.parameters
        kind = self.type.replace("parameterScale", "").lower()
        if kind in ("lognormal", "loglaplace"):
            z = math.log(value) - a
            inner = z / b ** 2 if kind == "lognormal" else math.copysign(1.0, z) / b
            return (1.0 + inner) / value  # the density of the linear value includes 1/x
        u = self._argument(value)
        if kind == "normal":
            du = (u - a) / b ** 2
        elif kind == "laplace":
            du = math.copysign(1.0, u - a) / b if u != a else 0.0
        else:
            du = 0.0
        return du * self._argument_derivative(value)

    def residual_derivative(self, value: float) -> float | None:
        """d(residual)/d(linear value) for normal priors, None for uniform ones."""
        if self.type in (C.UNIFORM, C.PARAMETER_SCALE_UNIFORM):
            return None
        return self._argument_derivative(value) / self.parameters[1]

    def residual(self, value: float) -> float | None:
        """``(v - mean) / sd`` for normal priors, None for uniform ones."""
        if self.type in (C.UNIFORM, C.PARAMETER_SCALE_UNIFORM):
            return None
        mean, sd = self.parameters
        return (self._argument(value) - mean) / sd


@dataclass(frozen=True)
class ObjectivePriors:
    """Every objective prior of a problem's estimated parameters."""

    priors: tuple[ParameterPrior, ...]

    @classmethod
    def from_payload(cls, payload, table: ParameterTable, name: str = "problem"
                     ) -> "ObjectivePriors":
        """The priors of a problem (:class:`~jakstat_rules.petab_io.ProblemPayload`),
        PEtab v1 or v2."""
        if payload.v2 is not None:
            return cls.from_v2_table(payload.parameter_df, table, name)
        return cls.from_table(payload.parameter_df, table, name)

    @classmethod
    def from_v2_table(cls, parameter_df: pd.DataFrame, table: ParameterTable,
                      name: str = "problem") -> "ObjectivePriors":
        """Read the priors of a PEtab v2 parameter table (``priorDistribution``,
        ``priorParameters``) as libpetab's v2 distributions, truncated to the
        bounds.  Parameters without a prior have none (the implicit uniform
        prior of PEtab v2 is a constant inside the bounds).

        Raises
        ------
        JakstatInputError
            For a prior libpetab cannot build.
        """
        import petab.v2 as petab2

        if "priorDistribution" not in parameter_df:
            return cls(())
        df = parameter_df.reset_index()
        df[C.ESTIMATE] = ["true" if int(v) else "false" for v in df[C.ESTIMATE]]
        out = []
        for par in petab2.ParameterTable.from_df(df).elements:
            if not par.estimate or par.prior_distribution is None or not table.is_estimated(par.id):
                continue
            try:
                dist = par.prior_dist
            except (ValueError, TypeError) as exc:
                raise JakstatInputError(f"parameter {par.id!r} in {name!r}: prior "
                                        f"{par.prior_distribution!r} {par.prior_parameters}: "
                                        f"{exc}; expected a PEtab v2 prior") from None
            kind = str(getattr(par.prior_distribution, "value", par.prior_distribution))
            out.append(ParameterPrior(par.id, table.position(par.id), kind,
                                      tuple(map(float, par.prior_parameters)), C.LIN, dist))
        return cls(tuple(out))

    @classmethod
    def from_table(cls, parameter_df: pd.DataFrame, table: ParameterTable,
                   name: str = "problem") -> "ObjectivePriors":
        """Read the priors of a PEtab parameter table.

        Raises
        ------
        JakstatInputError
            For an unknown type or parameters that are not two numbers.
        """
        if C.OBJECTIVE_PRIOR_TYPE not in parameter_df:
            return cls(())
        out = []
        for pid in table.estimated_ids:
            kind = parameter_df.at[pid, C.OBJECTIVE_PRIOR_TYPE]
            if not isinstance(kind, str) or not kind.strip():
                continue
            if kind not in PRIOR_TYPES:
                raise JakstatInputError(f"parameter {pid!r} in {name!r} has {C.OBJECTIVE_PRIOR_TYPE} "
                                        f"{kind!r}: expected one of {list(PRIOR_TYPES)}")
            text = parameter_df.at[pid, C.OBJECTIVE_PRIOR_PARAMETERS] \
                if C.OBJECTIVE_PRIOR_PARAMETERS in parameter_df else None
            try:
                values = tuple(float(v) for v in str(text).split(C.PARAMETER_SEPARATOR))
                if len(values) != 2 or not all(math.isfinite(v) for v in values):
                    raise ValueError
            except ValueError:
                raise JakstatInputError(
                    f"parameter {pid!r} in {name!r} has {C.OBJECTIVE_PRIOR_PARAMETERS} {text!r}: "
                    f"expected two numbers separated by ';'") from None
            k = table.position(pid)
            out.append(ParameterPrior(pid, k, kind, values, table.scales[k]))
        return cls(tuple(out))

    def __bool__(self) -> bool:
        return bool(self.priors)

    @property
    def ids(self) -> set[str]:
        """Parameters that carry a prior."""
        return {p.parameter_id for p in self.priors}

    @property
    def least_squares(self) -> bool:
        """Whether every prior can be written as a residual."""
        return all(p.quadratic for p in self.priors)

    def neglogprior(self, p: np.ndarray) -> float:
        """Sum of ``-log`` prior densities at linear estimated parameters ``p``."""
        return float(sum(prior.neglogprior(p[prior.position]) for prior in self.priors))

    def residuals(self, p: np.ndarray) -> np.ndarray:
        """Residuals of the normal priors (half their squared norm is ``-log`` prior
        up to a constant)."""
        values = [prior.residual(p[prior.position]) for prior in self.priors]
        return np.array([v for v in values if v is not None], dtype=float)

    def gradient(self, p: np.ndarray) -> np.ndarray:
        """d(-log priors)/dp at linear estimated parameters ``p`` (one entry per parameter)."""
        out = np.zeros(len(p))
        for prior in self.priors:
            out[prior.position] += prior.neglogprior_derivative(p[prior.position])
        return out

    def residual_jacobian(self, p: np.ndarray) -> np.ndarray:
        """Derivatives of :meth:`residuals` by the linear estimated parameters
        (rows: residuals, columns: parameters)."""
        rows = []
        for prior in self.priors:
            d = prior.residual_derivative(p[prior.position])
            if d is not None:
                row = np.zeros(len(p))
                row[prior.position] = d
                rows.append(row)
        return np.array(rows, dtype=float).reshape(len(rows), len(p))
