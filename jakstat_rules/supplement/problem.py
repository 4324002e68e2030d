"""The PEtab problems a supplement reports: found from the fit, checked to be on the model.

A fit folder of ``jakstat calibrate`` records the problem it fitted
(``summary.json``: ``problem``, the YAML path, and ``problem_hash``).
:func:`training_problem` finds that problem: ``--problem`` if given, else
the recorded path, else the Kirby 2021 training problem that ``jakstat data
petab`` builds now (the committed reference results were fitted on it
elsewhere); the problem found must have the fit's hash.  Its SBML must be
the exported SBML of one of the model's variants (:func:`model_variant`):
a problem on another model is refused.  :func:`validation_problem` finds
the held-out problem the same way (``validation.json``'s ``problem``, else
``validation/problem.yaml`` next to the training problem's folder, the
layout of ``jakstat data import --validate`` and ``jakstat data petab``).

:func:`dose_series` groups a problem's conditions into dose scans (the
SED-ML repeated tasks) and :func:`fit_outputs` turns each measurement's
observable into ``factor * readout [+ offset]`` (the SED-ML data
generators), so the supplement follows the problem's own doses,
experiments and observables.
"""
from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ..errors import JakstatInputError

__all__ = ["SuppliedProblem", "load_supplied", "file_hash", "model_variant",
           "training_problem",
           "validation_problem", "DoseSeries", "dose_series", "FitOutput", "fit_outputs",
           "problem_values"]


@dataclass
class SuppliedProblem:
    """A PEtab problem on the model, as the supplement ships it.

    Attributes
    ----------
    yaml
        Its ``problem.yaml``.
    problem
        The problem as :class:`petab.v1.Problem` (a PEtab v2 problem read
        through :func:`jakstat_rules.petab_versions.v1_view`).
    hash
        :func:`jakstat_rules.petab_io.problem_hash` of it.
    variant
        The model variant whose SBML it uses.
    study
        ``study.json`` next to the YAML (organism, cell type) or None.
    kirby
        It is the Kirby 2021 problem ``jakstat data petab`` writes.
    """

    yaml: Path
    problem: Any
    hash: str
    variant: str
    study: dict | None
    kirby: bool = False
    version: int = 1


def model_variant(sbml: str, where: str) -> str:
    """The variant whose exported SBML ``sbml`` is (as libpetab reads and writes it).

    Raises
    ------
    JakstatInputError
        The SBML is none of the model's variants (a foreign or edited model).
    """
    from petab.v1.models.sbml_model import SbmlModel

    from ..interface import VARIANTS
    from ..artifacts import model_sbml

    for variant in VARIANTS:
        if SbmlModel.from_string(model_sbml(variant)).to_sbml_str() == sbml:
            return variant
    raise JakstatInputError(f"{where} uses an SBML model that is not this project's model: "
                            f"expected a problem on the exported SBML of one of the variants "
                            f"{list(VARIANTS)} ('jakstat data import' or 'jakstat data petab' "
                            f"without --sbml)")


def load_supplied(yaml_path: str | os.PathLike, what: str, kirby: bool = False
                  ) -> SuppliedProblem:
    """Read a problem, check that it is on the model, read its study record."""
    from ..petab_io import ProblemPayload, load_problem
    from ..data.study import read_study

    from ..petab_versions import v1_view

    path = Path(yaml_path)
    problem = load_problem(path)
    payload = ProblemPayload.from_problem(problem)
    variant = model_variant(payload.sbml, f"{what} {str(path)!r}")
    if payload.version == 2:
        problem = v1_view(problem)
    return SuppliedProblem(path, problem, payload.hash, variant, read_study(path), kirby,
                           payload.version)


def file_hash(path: Path) -> str | None:
    """The problem hash of a PEtab YAML file (None if it cannot be read)."""
    from ..petab_io import ProblemPayload, read_problem

    try:
        return ProblemPayload.from_problem(read_problem(path)).hash
    except JakstatInputError:
        return None


def training_problem(summary: Mapping, fit_folder: Path, problem_yaml: str | os.PathLike | None,
                     kirby: Mapping[str, Path]) -> SuppliedProblem:
    """The problem a fit was fitted on (see the module docstring).

    Parameters
    ----------
    summary
        The fit's ``summary.json``.
    fit_folder
        Where it was read (for messages).
    problem_yaml
        ``--problem``: the problem's YAML, when it is no longer where the fit recorded it.
    kirby
        ``{"train": yaml, "validation": yaml}`` of the Kirby 2021 problems built now.

    Raises
    ------
    JakstatInputError
        No problem with the fit's hash found, a problem of another hash given,
        a problem not on the model.
    """
    theirs = summary.get("problem_hash")
    if problem_yaml is not None:
        path = Path(problem_yaml)
        if not path.is_file():
            raise JakstatInputError(f"--problem {str(path)!r} does not exist: expected the "
                                    f"problem.yaml of the fitted PEtab problem")
        supplied = load_supplied(path, "problem")
        if supplied.hash != theirs:
            raise JakstatInputError(
                f"fit folder {str(fit_folder)!r} is a fit of another problem (problem hash "
                f"{theirs!r}; {str(path)!r} has hash {supplied.hash!r}): expected the "
                f"problem.yaml the fit was made on")
        return supplied
    if file_hash(kirby["train"]) == theirs:
        return load_supplied(kirby["train"], "problem", kirby=True)
    recorded = Path(str(summary.get("problem") or ""))
    if not recorded.is_file():
        raise JakstatInputError(
            f"fit folder {str(fit_folder)!r} is a fit of {str(recorded)!r} (problem hash "
            f"{theirs!r}), which does not exist here and is not the Kirby 2021 training "
            f"problem: expected --problem PROBLEM.yaml, the problem the fit was made on")
    ours = file_hash(recorded)
    if ours != theirs:
        raise JakstatInputError(
            f"fit folder {str(fit_folder)!r} is a fit of another problem (problem hash "
            f"{theirs!r}, problem {str(recorded)!r} has hash {ours!r} now): expected a fit of "
            f"the problem as it is (re-run 'jakstat calibrate' on it, or give --problem)")
    return load_supplied(recorded, "problem of the fit")


def validation_problem(train: SuppliedProblem, validation: Mapping | None,
                       kirby: Mapping[str, Path]) -> SuppliedProblem | None:
    """The held-out problem of a fit: that of its validation, or the training problem's sibling.

    Returns None when the fit has no validation and its problem folder no
    sibling ``validation/problem.yaml``.
    """
    if validation is not None:
        path = Path(str(validation.get("problem") or ""))
        if path.is_file():
            return load_supplied(path, "validation problem", kirby=train.kirby)
    candidate = kirby["validation"] if train.kirby else (
        train.yaml.parent.parent / "validation" / train.yaml.name)
    if candidate.is_file():
        return load_supplied(candidate, "validation problem", kirby=train.kirby)
    if validation is not None:
        raise JakstatInputError(
            f"validation problem {str(validation.get('problem'))!r} does not exist here: "
            f"expected it where 'jakstat validate' read it, or at {str(candidate)!r}")
    return None


# ----------------------------------------------------------------------------- doses
@dataclass(frozen=True)
class DoseSeries:
    """Conditions that differ in the dose of one input only (one SED-ML dose scan).

    Attributes
    ----------
    input
        The scanned input.
    held
        Other condition values (inputs given at the same time, other parameters).
    doses
        Condition id -> dose of :attr:`input`.
    """

    input: str
    held: tuple[tuple[str, float], ...]
    doses: Mapping[str, float]

    def slug(self) -> str:
        """Id part naming the series (``IFNb_pM``, ``IFNb_pM_with_ruxolitinib_nM_100``)."""
        held = "_".join(f"{k}_{v:g}" for k, v in self.held)
        return re.sub(r"[^A-Za-z0-9_]", "_", self.input + (f"_with_{held}" if held else ""))


def _condition_values(problem) -> dict[str, dict[str, float]]:
    from petab.v1 import C

    conditions = problem.condition_df
    out = {}
    for cid in problem.measurement_df[C.SIMULATION_CONDITION_ID].unique():
        row = conditions.loc[cid]
        values = {}
        for k in conditions.columns:
            if k == C.CONDITION_NAME:
                continue
            try:
                values[k] = float(row[k])
            except (TypeError, ValueError):
                values[k] = math.nan
            if not math.isfinite(values[k]):
                raise JakstatInputError(f"condition {cid!r} sets {k} to {row[k]!r}: expected a "
                                        f"number in every condition the supplement simulates")
        out[str(cid)] = values
    return out


def dose_series(problem) -> list[DoseSeries]:
    """The conditions of a problem's measurements, as dose scans of one input each.

    A condition's scanned input is its dosed input that takes the most
    distinct doses in the problem; the other values it sets are held.  A
    condition without any dose joins the scan of the problem's most varied
    input at dose 0.
    """
    from ..interface import INPUTS

    values = _condition_values(problem)
    inputs = [k for k in next(iter(values.values()), {}) if k in INPUTS]
    if not inputs:
        raise JakstatInputError("the problem's conditions set none of the model's inputs "
                                f"{sorted(INPUTS)}: expected dosed conditions")
    distinct = {k: len({v[k] for v in values.values() if v[k] != 0.0}) for k in inputs}
    order = sorted(inputs, key=lambda k: (-distinct[k], k))
    groups: dict[tuple, dict[str, float]] = {}
    for cid, v in values.items():
        scanned = next((k for k in order if v[k] != 0.0), order[0])
        held = tuple(sorted((k, x) for k, x in v.items()
                            if k != scanned and (k not in INPUTS or x != 0.0)))
        groups.setdefault((scanned, held), {})[cid] = v[scanned]
    return [DoseSeries(name, held, doses) for (name, held), doses in sorted(groups.items())]


# ----------------------------------------------------------------------------- observables
@dataclass(frozen=True)
class FitOutput:
    """A measured quantity as the model gives it: ``factor * readout + offset``.

    ``factor`` and ``offset`` are ``(parameter id or number as text, value)``;
    ``offset`` is None without one.
    """

    id: str
    readout: str
    factor: tuple[str, float]
    offset: tuple[str, float] | None = None


def problem_values(problem, *overrides: Mapping[str, float]) -> dict[str, float]:
    """Nominal values of the problem's parameters, updated by ``overrides`` in order."""
    from petab.v1 import C

    values = {str(k): float(v) for k, v in problem.parameter_df[C.NOMINAL_VALUE].items()}
    for o in overrides:
        values.update({k: float(v) for k, v in o.items()})
    return values


def _term(expr, values: Mapping[str, float], where: str) -> tuple[str, float]:
    if expr.is_Number:
        return (f"{float(expr):g}", float(expr))
    if expr.is_Symbol and str(expr) in values:
        return (str(expr), values[str(expr)])
    raise JakstatInputError(f"{where}: {expr} is neither a number nor a parameter of the problem; "
                            f"expected an observable 'scale * readout' or 'scale * readout + "
                            f"offset' with parameters or numbers")


def fit_outputs(problem, values: Mapping[str, float]) -> list[FitOutput]:
    """The output of each measurement row (in the order of ``measurement_df``).

    Raises
    ------
    JakstatInputError
        An observable that is not ``factor * readout [+ offset]`` of one readout.
    """
    import sympy
    from petab.v1 import C
    from petab.v1.math import sympify_petab

    from ..interface import READOUTS

    formulas = problem.observable_df[C.OBSERVABLE_FORMULA]
    cache: dict[tuple, FitOutput] = {}
    out = []
    for _, m in problem.measurement_df.iterrows():
        oid = m[C.OBSERVABLE_ID]
        raw = m.get(C.OBSERVABLE_PARAMETERS, "")
        overrides = [] if raw is None or (isinstance(raw, float) and math.isnan(raw)) else [
            p.strip() for p in str(raw).split(C.PARAMETER_SEPARATOR)]
        key = (oid, tuple(overrides))
        if key not in cache:
            where = f"observable {oid!r} ({formulas[oid]})"
            expr = sympify_petab(formulas[oid])
            placeholders = {f"observableParameter{i + 1}_{oid}": sympify_petab(p)
                            for i, p in enumerate(overrides)}
            expr = expr.subs({sym: placeholders[str(sym)] for sym in expr.free_symbols
                              if str(sym) in placeholders})
            readouts = [s for s in expr.free_symbols if str(s) in READOUTS]
            if len(readouts) != 1:
                raise JakstatInputError(f"{where} reads {len(readouts)} readouts: expected one "
                                        f"of {sorted(READOUTS)}, scaled")
            r = readouts[0]
            factor = sympy.diff(expr, r)
            offset = sympy.expand(expr - factor * r)
            if factor.has(r) or offset.has(r):
                raise JakstatInputError(f"{where} is not linear in {r}: expected 'scale * "
                                        f"readout [+ offset]'")
            f = _term(factor, values, where)
            o = None if offset == 0 else _term(offset, values, where)
            name = f"{r}_x_{f[0]}" + (f"_plus_{o[0]}" if o else "")
            cache[key] = FitOutput(re.sub(r"[^A-Za-z0-9_]", "_", name), str(r), f, o)
        out.append(cache[key])
    return out
