"""Conversions between PEtab v1 and PEtab v2 problems.

* :func:`convert_to_v2` writes a PEtab v1 problem as PEtab v2: libpetab's
  ``petab1to2``, with the noise distributions of transformed observables
  and the priors of ``log10`` parameters set as the v1 problem means them
  (libpetab 0.8.2 loses the first and keeps log10 numbers for the second).
  ``jakstat data petab`` and ``jakstat data import`` write PEtab v2 this way.
* :func:`v1_view` reads a PEtab v2 problem whose experiments are PEtab v1
  condition pairs (one period at time 0, or a pre-equilibration period and
  one at 0) as a :class:`petab.v1.Problem`, for the code that walks v1
  tables (the supplement's SED-ML of doses and outputs).
"""
from __future__ import annotations

import logging
import math
import os
import warnings
from pathlib import Path

import libsbml
import pandas as pd
import petab.v1 as petab
import petab.v2 as petab2
import yaml
from petab.v1 import C
from petab.v1.models.sbml_model import SbmlModel
from petab.v2.petab1to2 import petab1to2

from jakstat_rules.errors import JakstatInputError
from jakstat_rules.io import atomic_write
from jakstat_rules.petab_io import ProblemPayload, _one_line, lint_or_raise, load_problem

__all__ = ["convert_to_v2", "v1_view", "period_changes", "LN10"]

#: ln 10: log10-normal noise of SD ``s`` is log-normal noise of SD ``s ln 10`` (the
#: same density of the measurement), and likewise for Laplace noise and its scale.
LN10 = math.log(10.0)


def _v2_noise(v1_observables: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """Observable id -> (PEtab v2 noise distribution, noise formula) of a v1 observable table.

    PEtab v2 has no ``observableTransformation``: a ``log`` transformation
    with ``normal`` noise is the ``log-normal`` distribution; ``log10`` has
    no v2 name, and is the ``log-`` distribution whose SD (Laplace: scale)
    is ``ln 10`` times the v1 one, which gives the measurement the same
    density: ``-log p`` of both is ``log(sigma ln10 m sqrt(2 pi)) +
    (log10 m - log10 y)**2 / (2 sigma**2)``.
    """
    out = {}
    for oid, row in v1_observables.iterrows():
        trans = row.get(C.OBSERVABLE_TRANSFORMATION, C.LIN)
        dist = row.get(C.NOISE_DISTRIBUTION, C.NORMAL)
        trans = C.LIN if not isinstance(trans, str) or not trans else trans
        dist = C.NORMAL if not isinstance(dist, str) or not dist else dist
        formula = str(row[C.NOISE_FORMULA])
        if trans == C.LIN:
            out[str(oid)] = (dist, formula)
        elif trans == C.LOG:
            out[str(oid)] = (f"log-{dist}", formula)
        else:  # log10
            out[str(oid)] = (f"log-{dist}", f"({formula}) * {LN10!r}")
    return out


def convert_to_v2(yaml_path: str | os.PathLike, out: str | os.PathLike) -> Path:
    """Convert a PEtab v1 problem into a PEtab v2 problem folder.

    libpetab's :func:`petab.v2.petab1to2.petab1to2` converts the tables and
    the YAML; the noise distributions of observables are then set from the
    v1 table by :func:`_v2_noise` (libpetab 0.8.2 leaves them empty, dropping
    ``log`` and ``log10`` transformations, so its output would be read as
    normal noise on the linear scale).  The data likelihood of the result
    equals the v1 problem's; priors follow the v2 definition (densities of
    the linear parameter values), which differs from v1's
    ``parameterScale`` priors.

    Returns
    -------
    pathlib.Path
        The v2 ``problem.yaml`` (or the YAML libpetab names after the input).

    Raises
    ------
    JakstatInputError
        If the problem cannot be converted, or the result fails the v2 linter.
    """
    source, out = Path(yaml_path), Path(out)
    v1 = load_problem(source)
    quiet = logging.getLogger("petab")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # its linter's notes (no visualisation table, ...)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # libpetab warns of the log10 case mended below
            petab1to2(source, out)
    except Exception as exc:  # libpetab raises many types
        raise JakstatInputError(f"PEtab problem {str(source)!r} could not be converted to "
                                f"PEtab v2 ({_one_line(exc)}); expected a valid PEtab v1 "
                                f"problem") from None
    finally:
        quiet.setLevel(level)
    target = out / source.name
    config = yaml.safe_load(target.read_text(encoding="utf-8"))
    noise = _v2_noise(v1.observable_df)
    for name in config.get("observable_files") or []:
        path = out / name
        table = petab2.get_observable_df(path)
        table[petab2.C.NOISE_DISTRIBUTION] = [noise[o][0] for o in table.index]
        table[petab2.C.NOISE_FORMULA] = [noise[o][1] for o in table.index]
        atomic_write(path, table.to_csv(sep="\t"))
    for name in config.get("parameter_files") or []:
        path = out / name
        table = petab2.get_parameter_df(path)
        atomic_write(path, _v2_priors(v1.parameter_df, table).to_csv(sep="\t"))
    lint_or_raise(target, str(target))
    return target


def _v2_priors(v1_parameters: pd.DataFrame, v2_parameters: pd.DataFrame) -> pd.DataFrame:
    """The v2 parameter table with priors on a ``log10`` parameter scale given in ln units.

    A v1 ``parameterScaleNormal(mu, sigma)`` (or ``-Laplace``) prior of a
    ``log10`` parameter says ``log10 p`` follows it; ``ln p`` then follows
    the same distribution with ``mu ln 10`` and ``sigma ln 10``: PEtab v2's
    ``log-normal`` (``log-laplace``) with those parameters.  libpetab 0.8.2
    names the distribution but keeps the log10 numbers.
    """
    if C.OBJECTIVE_PRIOR_TYPE not in v1_parameters.columns:
        return v2_parameters
    out = v2_parameters.copy()
    for pid, row in v1_parameters.iterrows():
        kind, scale = row.get(C.OBJECTIVE_PRIOR_TYPE), row.get(C.PARAMETER_SCALE)
        if (kind in C.PARAMETER_SCALE_PRIOR_TYPES and scale == C.LOG10
                and pid in out.index):
            numbers = [float(v) * LN10 for v in str(row[C.OBJECTIVE_PRIOR_PARAMETERS]).split(";")]
            out.loc[pid, petab2.C.PRIOR_PARAMETERS] = ";".join(repr(v) for v in numbers)
    return out


#: PEtab v2 noise distribution -> PEtab v1 (observableTransformation, noiseDistribution).
_V1_NOISE = {"normal": (C.LIN, C.NORMAL), "laplace": (C.LIN, C.LAPLACE),
             "log-normal": (C.LOG, C.NORMAL), "log-laplace": (C.LOG, C.LAPLACE)}


def _v1_value(value, where: str) -> float | str:
    """A v2 target value as a v1 condition table cell: a number or a parameter id."""
    if value.is_Number:
        return float(value)
    if value.is_Symbol:
        return str(value)
    raise JakstatInputError(f"{where}: target value {str(value)!r} is a formula: expected a "
                            f"number or a parameter id (what a PEtab v1 condition holds)")


def period_changes(period, conditions) -> dict:
    """What a PEtab v2 period changes: target id -> target value, its conditions
    (``conditions``: id -> :class:`petab.v2.Condition`) applied in their order."""
    return {change.target_id: change.target_value
            for cid in period.condition_ids for change in conditions[cid].changes}


def v1_view(problem: petab2.Problem) -> petab.Problem:
    """A PEtab v2 problem as the PEtab v1 problem of the same meaning.

    Each experiment's period at time 0 becomes its simulation condition and
    a period at ``-inf`` its pre-equilibration condition (a period of one
    condition keeps that condition's id; of several, ``<experiment>_<k>``
    with their changes merged).  A parameter a condition does not change
    takes its model value; a species or compartment NaN (unchanged).  Noise
    distributions become v1 transformations (``log-normal`` -> ``log`` and
    ``normal``); every parameter is on linear scale.

    Raises
    ------
    JakstatInputError
        Experiments of other periods, formulas as target values, priors or a
        mapping table: what a v1 problem of the same meaning cannot hold.
    """
    where = "PEtab v2 problem"
    if problem.mappings:
        raise JakstatInputError(f"{where} with a mapping table: expected none (PEtab v1 has no "
                                f"mapping table)")
    if any(p.prior_distribution is not None for p in problem.parameters):
        raise JakstatInputError(f"{where} with priors: expected none here (v1 priors are "
                                f"densities on the parameter scale, v2 on linear values)")
    payload = ProblemPayload.from_problem(problem)
    document = libsbml.readSBMLFromString(payload.sbml)
    model = document.getModel()
    conditions = {c.id: c for c in problem.conditions}
    rows: dict[str, dict[str, float | str]] = {}
    pairs: dict[str, tuple[str, str]] = {}
    for experiment in problem.experiments:
        periods = sorted(experiment.periods, key=lambda period: period.time)
        times = [period.time for period in periods]
        if times not in ([0.0], [-math.inf, 0.0]):
            raise JakstatInputError(f"{where}: experiment {experiment.id!r} has periods at "
                                    f"{times}: expected one at 0, or one at -inf and one at 0")
        ids = []
        for k, period in enumerate(periods):
            cid = (period.condition_ids[0] if len(period.condition_ids) == 1
                   else f"{experiment.id}_{k}")
            rows[cid] = {target: _v1_value(value, f"condition {cid!r}, {target}")
                         for target, value in period_changes(period, conditions).items()}
            ids.append(cid)
        pairs[experiment.id] = (ids[0], ids[1]) if len(ids) == 2 else ("", ids[0])
    columns = sorted({t for row in rows.values() for t in row})
    for row in rows.values():
        for target in columns:
            if target not in row:
                parameter = model.getParameter(target)
                row[target] = parameter.getValue() if parameter is not None else math.nan
    condition_df = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
    condition_df.index.name = C.CONDITION_ID
    measurement_df = payload.measurement_df.copy()
    experiment_ids = measurement_df.pop(petab2.C.EXPERIMENT_ID).astype(str)
    missing = sorted(set(experiment_ids) - set(pairs))
    if missing:
        raise JakstatInputError(f"{where}: measurements of experiments {missing[:5]} that are "
                                f"not in the experiment table")
    measurement_df.insert(0, C.SIMULATION_CONDITION_ID, [pairs[e][1] for e in experiment_ids])
    if any(pre for pre, _ in pairs.values()):
        measurement_df.insert(0, C.PREEQUILIBRATION_CONDITION_ID,
                              [pairs[e][0] for e in experiment_ids])
    observable_df = pd.DataFrame([
        {C.OBSERVABLE_ID: o.id, C.OBSERVABLE_NAME: o.name or "",
         C.OBSERVABLE_FORMULA: str(o.formula), C.NOISE_FORMULA: str(o.noise_formula),
         C.OBSERVABLE_TRANSFORMATION: _V1_NOISE[o.noise_distribution.value][0],
         C.NOISE_DISTRIBUTION: _V1_NOISE[o.noise_distribution.value][1]}
        for o in problem.observables]).set_index(C.OBSERVABLE_ID)
    parameter_df = pd.DataFrame([
        {C.PARAMETER_ID: p.id, C.PARAMETER_SCALE: C.LIN, C.LOWER_BOUND: p.lb,
         C.UPPER_BOUND: p.ub, C.NOMINAL_VALUE: p.nominal_value, C.ESTIMATE: int(p.estimate)}
        for p in problem.parameters]).set_index(C.PARAMETER_ID)
    return petab.Problem(model=SbmlModel.from_string(payload.sbml), condition_df=condition_df,
                         measurement_df=measurement_df, observable_df=observable_df,
                         parameter_df=parameter_df)
