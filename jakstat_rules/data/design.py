"""Problem design: a tidy table -> the PEtab tables of the training and validation
problems (conditions, observables, measurements, parameters and their bounds)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import petab.v1 as petab
from petab.v1 import C
from petab.v1.models.sbml_model import SbmlModel

from jakstat_rules.artifacts import model_sbml
from jakstat_rules.errors import JakstatInputError
from jakstat_rules.interface import INPUTS, NEEDS_PREEQUILIBRATION, READOUTS

from .reading import COL_EXPERIMENT, COL_VARIANT, Measurement, TidyTable, _Errors, _where
from .sbml_facts import _model_facts, _ModelFacts, check_model

__all__ = ["ESTIMATED_PARAMETERS", "DEFAULT_DECADES", "BASELINE_FRACTION",
           "MEASUREMENTS_PER_PARAMETER", "ImportOptions", "Baseline", "BuiltProblem",
           "baseline_check", "build_problems"]

#: Model parameters estimated by default: id -> half-width of the log10 search
#: interval in decades around the model's value.  The set of the reference fit
#: (``calibration/kirby2021``): relative pSTAT1 time courses under two ligands
#: constrain the ligand-specific IFNAR2 association (dose position of the
#: response), the STAT1 phosphorylation rate (rise time) and the three steps
#: that end the signal within the hour: nuclear pSTAT1 dimer dissociation,
#: PTPN2 dephosphorylation and receptor internalisation.  ``STAT1_0`` is not
#: estimated: with one free scale per experiment it trades off against the scale.
ESTIMATED_PARAMETERS: dict[str, float] = {
    "kon_IFNA2_IFNAR2": 2.0,
    "kon_IFNB1_IFNAR2": 2.0,
    "kcat_STAT_phos": 2.0,
    "kdp_PTPN2_pSTAT1": 2.0,
    "kr_pSTAT_dimer": 2.0,
    "kint_complex": 2.0,
}

#: Default half-width (decades) of the bounds of estimated model parameters.
DEFAULT_DECADES = 2.0

#: An offset is estimated by default when the median of the t = 0 or untreated
#: values of an experiment exceeds this fraction of its largest value.
BASELINE_FRACTION = 0.05

#: Fewer measurements per estimated parameter than this draw a warning.
MEASUREMENTS_PER_PARAMETER = 3


# ----------------------------------------------------------------------------- problems
@dataclass(frozen=True)
class ImportOptions:
    """How a table becomes PEtab problems.

    Attributes
    ----------
    estimate
        Estimated model parameters: id -> half-width of the log10 bounds in
        decades around the model's value.  None: :data:`ESTIMATED_PARAMETERS`.
    bounds
        Explicit linear bounds ``id -> (lower, upper)`` of any estimated
        parameter (model or ``scale_``/``offset_``/``sigma_``); the nominal
        value moves to the bounds' (geometric) middle if it lies outside.
    offset
        Fit an additive offset (baseline) per experiment: True (always),
        False (never) or None (the default: when the table's baseline says
        so, see :func:`baseline_check`).
    noise
        ``"normal"`` (additive) or ``"lognormal"`` (normal on the natural
        log; ``sd`` values are converted: ``sqrt(ln(1 + (sd/value)^2))``).
    validate
        Experiments held out into the validation problem.
    molar_masses
        g/mol by input for mass units (replacing :data:`MOLAR_MASSES`).
    observables
        ``readout -> (observableId, observableName)``; default
        ``obs_<readout>``.
    parameter_names
        Templates of ``parameterName`` for ``"scale"``, ``"offset"``,
        ``"sigma"`` (fields ``{experiment}``, ``{readout}``).
    scale_bounds, scale_nominal, sigma_bounds, sigma_nominal
        Fixed bounds and nominal values of the scale and noise parameters
        instead of those derived from each experiment's values (the Kirby
        problem sets them in MFI).
    """

    estimate: Mapping[str, float] | None = None
    bounds: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    offset: bool | None = None
    noise: str = "normal"
    validate: Sequence[str] = ()
    molar_masses: Mapping[str, float] = field(default_factory=dict)
    observables: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    parameter_names: Mapping[str, str] = field(default_factory=dict)
    scale_bounds: tuple[float, float] | None = None
    scale_nominal: float | None = None
    sigma_bounds: tuple[float, float] | None = None
    sigma_nominal: float | None = None


@dataclass(frozen=True)
class Baseline:
    """The baseline of the (experiment, readout) whose baseline is largest.

    Attributes
    ----------
    experiment, readout
        Where it is.
    kinds
        Which rows are baseline rows: ``"t = 0"``, ``"untreated"`` or both.
    median
        Median of the baseline values.
    fraction
        ``|median|`` over the largest ``|value|`` of that experiment and readout.
    """

    experiment: str
    readout: str
    kinds: tuple[str, ...]
    median: float
    fraction: float

    @property
    def large(self) -> bool:
        """Whether the baseline exceeds :data:`BASELINE_FRACTION` of the signal."""
        return self.fraction > BASELINE_FRACTION


def _is_baseline(row: Measurement) -> bool:
    return row.time == 0 or all(d == 0 for d in row.doses)


def _baseline_medians(rows: Iterable[Measurement]) -> dict[tuple[str, str], float]:
    """Median of the baseline values of each (experiment, readout) that has some."""
    values: dict[tuple[str, str], list[float]] = {}
    for r in rows:
        if _is_baseline(r):
            values.setdefault((r.experiment, r.readout), []).append(r.value)
    return {key: float(np.median(v)) for key, v in values.items()}


def baseline_check(table: TidyTable) -> Baseline | None:
    """The largest baseline of a table relative to its signal (None: no baseline rows).

    Baseline rows are the measurements at t = 0 or without any dose (every
    input 0), where the model is at rest and its readouts are (close to) 0.
    For each experiment and readout with baseline rows, the median of their
    values is compared with the largest ``|value|`` of that experiment and
    readout; the (experiment, readout) with the largest fraction is returned.
    ``jakstat data import`` estimates an offset per experiment when that
    fraction exceeds :data:`BASELINE_FRACTION`.
    """
    medians = _baseline_medians(table.rows)
    if not medians:
        return None
    span: dict[tuple[str, str], float] = {}
    kinds: dict[tuple[str, str], set[str]] = {}
    for r in table.rows:
        key = (r.experiment, r.readout)
        span[key] = max(span.get(key, 0.0), abs(r.value))
        if key in medians and r.time == 0:
            kinds.setdefault(key, set()).add("t = 0")
        if key in medians and all(d == 0 for d in r.doses):
            kinds.setdefault(key, set()).add("untreated")
    fractions = {key: abs(m) / span[key] if span[key] else 0.0 for key, m in medians.items()}
    exp, ro = max(fractions, key=lambda key: (fractions[key], key))
    return Baseline(exp, ro, tuple(k for k in ("t = 0", "untreated") if k in kinds[(exp, ro)]),
                    medians[(exp, ro)], fractions[(exp, ro)])


@dataclass(frozen=True)
class BuiltProblem:
    """A PEtab problem in memory and the SBML text it is written with (verbatim)."""

    problem: Any
    sbml: str


_DEFAULT_NAMES = {"scale": "scale of {readout}, experiment {experiment}",
                  "offset": "offset of {readout}, experiment {experiment}",
                  "sigma": "noise SD of {readout}, experiment {experiment}"}
_NOISES = ("normal", "lognormal")


def _format_dose(value: float) -> str:
    return f"{value:.6g}".replace(".", "p").replace("-", "m").replace("+", "")


def _lead(exp: str, prefix: str) -> str:
    """``exp`` as the start of an id: prefixed when it starts with a digit (``e20190108``)."""
    return exp if exp[0].isalpha() else prefix + exp


def _condition_key(exp: str, doses: tuple[float, ...]) -> tuple:
    # by experiment, then inputs given in the order of INPUTS (a dosed input first), then dose
    return (exp, tuple((0 if d != 0 else 1, d) for d in doses))


def _observation_bounds(kind: str, values: list[float], options: ImportOptions
                        ) -> tuple[str, float, float, float]:
    """scale, lower, upper, nominal of an observation parameter of one experiment."""
    span = max((abs(v) for v in values), default=0.0) or 1.0
    if kind == "scale":
        if options.scale_bounds is not None:
            lb, ub = options.scale_bounds
            return "log10", lb, ub, options.scale_nominal or math.sqrt(lb * ub)
        # the readout's peak may lie anywhere between 1e-2 and 1e7 model units
        return "log10", _sig(span * 1e-7), _sig(span * 1e2), _sig(span * 1e-4)
    if kind == "offset":
        return "lin", -_sig(span), _sig(span), 0.0
    if options.sigma_bounds is not None:
        lb, ub = options.sigma_bounds
        return "log10", lb, ub, options.sigma_nominal or math.sqrt(lb * ub)
    if options.noise == "lognormal":  # SD of ln(value)
        return "log10", 1e-3, 3.0, 0.2
    return "log10", _sig(span * 1e-4), _sig(span), _sig(span * 0.05)


def _sig(x: float) -> float:
    return float(f"{x:.3g}")


def _model_parameter_rows(estimate: Mapping[str, float], facts: _ModelFacts,
                          sbml_name: str) -> list[dict]:
    rows = []
    for pid, decades in estimate.items():
        if pid in INPUTS:
            raise JakstatInputError(f"estimated parameter {pid!r} is an input of the model; "
                                    f"expected a model parameter (inputs come from the table)")
        if pid not in facts.values:
            raise JakstatInputError(
                f"estimated parameter {pid!r} is not a global parameter of SBML model "
                f"{sbml_name!r}; expected one of {sorted(facts.values)[:20]}...")
        if pid in facts.rule_targets or pid in facts.initial_assignments:
            raise JakstatInputError(
                f"estimated parameter {pid!r} is set by a rule or initial assignment in "
                f"{sbml_name!r}; expected a free parameter")
        value = facts.values[pid]
        if not (math.isfinite(value) and value > 0):
            raise JakstatInputError(
                f"parameter {pid!r} has nominal value {value!r} in {sbml_name!r}; expected a "
                f"positive number for a log10-scaled estimate")
        if not (0 < decades <= 4):
            raise JakstatInputError(f"search width {decades!r} decades for {pid!r}; expected "
                                    f"a number in (0, 4]")
        rows.append({C.PARAMETER_ID: pid, C.PARAMETER_NAME: pid,
                     C.PARAMETER_SCALE: C.LOG10,
                     C.LOWER_BOUND: float(f"{value * 10 ** -decades:.6g}"),
                     C.UPPER_BOUND: float(f"{value * 10 ** decades:.6g}"),
                     C.NOMINAL_VALUE: value, C.ESTIMATE: 1})
    return rows


def _apply_bounds(rows: list[dict], bounds: Mapping[str, tuple[float, float]]) -> None:
    for row in rows:
        pid = row[C.PARAMETER_ID]
        if pid not in bounds:
            continue
        lb, ub = (float(b) for b in bounds[pid])
        log = row[C.PARAMETER_SCALE] == C.LOG10
        if not (math.isfinite(lb) and math.isfinite(ub) and lb < ub and (lb > 0 or not log)):
            need = "0 < lower < upper" if log else "lower < upper"
            raise JakstatInputError(f"--bounds {pid}={lb:g}:{ub:g}: expected finite numbers "
                                    f"with {need} ({pid} is on {row[C.PARAMETER_SCALE]} scale)")
        row[C.LOWER_BOUND], row[C.UPPER_BOUND] = lb, ub
        if not lb <= row[C.NOMINAL_VALUE] <= ub:
            row[C.NOMINAL_VALUE] = math.sqrt(lb * ub) if log else (lb + ub) / 2


def _split(table: TidyTable, validate: Sequence[str]) -> dict[str, list[Measurement]]:
    exps = table.experiments
    missing = [e for e in validate if e not in exps]
    if missing:
        raise JakstatInputError(f"--validate {missing[0]!r}: table {table.name!r}, column "
                                f"{COL_EXPERIMENT!r} has no experiment {missing[0]!r}; expected "
                                f"one of {exps}")
    held = set(validate)
    if held and held >= set(exps):
        raise JakstatInputError(f"--validate {sorted(held)}: every experiment of table "
                                f"{table.name!r} is held out; expected at least one experiment "
                                f"left for training")
    sets = {"train": [r for r in table.rows if r.experiment not in held]}
    if held:
        sets["validation"] = [r for r in table.rows if r.experiment in held]
    return sets


def _variant_of(rows: list[Measurement], name: str) -> str:
    first = rows[0]
    for r in rows:
        if r.variant != first.variant:
            raise JakstatInputError(
                f"{_where(r.source, r.line, COL_VARIANT)}: value {r.variant!r} differs from "
                f"{first.variant!r} (line {first.line}) in the {name} problem; expected one "
                f"variant per problem (hold one variant's experiments out with --validate, or "
                f"import it separately)")
    return first.variant


class _Design:
    """The table-wide choices of a problem: parameter ids, names, observables, offset.

    ``notes`` are the lines that tell the user about choices made for them
    (the baseline offset).
    """

    def __init__(self, table: TidyTable, options: ImportOptions) -> None:
        self.table = table
        self.options = options
        self.lognormal = options.noise == "lognormal"
        self.multi = len(table.readouts) > 1
        self.names = {**_DEFAULT_NAMES, **options.parameter_names}
        self.input_ids = [c.input_id for c in table.inputs]
        self.observables = {ro: options.observables.get(ro, (f"obs_{ro}", f"measured {ro}"))
                            for ro in table.readouts}
        self.baselines = _baseline_medians(table.rows)
        self.notes: list[str] = []
        self.offset = self._decide_offset()

    def _decide_offset(self) -> bool:
        if self.options.offset:
            return True
        found = baseline_check(self.table)
        offset_id = self.pid("offset", "<experiment>", "<readout>")
        if found is None:
            if self.options.offset is None:
                self.notes.append(f"baseline: no t = 0 or untreated measurements to check; "
                                  f"no offset estimated (--offset to estimate {offset_id})")
            return False
        where = f"experiment {found.experiment}" + (f", {found.readout}" if self.multi else "")
        seen = (f"baseline: {' and '.join(found.kinds)} values of {where} have median "
                f"{found.median:.3g} ({100 * found.fraction:.0f}% of its largest |value|")
        if not found.large:
            return False
        if self.options.offset is None:
            self.notes.append(f"{seen}, above {100 * BASELINE_FRACTION:g}%): estimating "
                              f"{offset_id}; --no-offset to refuse")
            return True
        self.notes.append(f"{seen}, above {100 * BASELINE_FRACTION:g}%): no offset estimated "
                          f"(--no-offset)")
        return False

    def pid(self, kind: str, exp: str, readout: str) -> str:
        """Id of the ``kind`` (scale, offset, sigma) parameter of an experiment and readout."""
        return f"{kind}_{exp}_{readout}" if self.multi else f"{kind}_{exp}"

    def conditions(self, rows: list[Measurement], preeq: bool):
        """Condition table and the condition id of each (experiment, doses)."""
        import pandas as pd
        labels: dict[tuple, tuple[str, ...]] = {}
        for r in rows:
            labels.setdefault((r.experiment, r.doses), r.labels)
        ids: dict[tuple, str] = {}
        table = []
        for exp, doses in sorted(labels, key=lambda k: _condition_key(*k)):
            parts = [f"{c.base}_{_format_dose(d)}{INPUTS[c.input_id]}"
                     for c, d in zip(self.table.inputs, doses) if d != 0]
            cid = base_id = f"{_lead(exp, 'e')}_{'_'.join(parts) or 'control'}"
            k = 2
            while cid in ids.values():
                cid, k = f"{base_id}_{k}", k + 1
            ids[(exp, doses)] = cid
            table.append({C.CONDITION_ID: cid,
                          C.CONDITION_NAME: ", ".join(labels[(exp, doses)]) or "no dose",
                          **dict(zip(self.input_ids, doses))})
        if preeq:
            table.append({C.CONDITION_ID: "rest",
                          C.CONDITION_NAME: "resting state (every input 0)",
                          **{i: 0.0 for i in self.input_ids}})
        return pd.DataFrame(table).set_index(C.CONDITION_ID), ids

    def observable_table(self, readouts: list[str]):
        import pandas as pd
        rows = []
        for ro in readouts:
            oid, name = self.observables[ro]
            offset = f" + observableParameter2_{oid}" if self.offset else ""
            rows.append({C.OBSERVABLE_ID: oid, C.OBSERVABLE_NAME: name,
                         C.OBSERVABLE_FORMULA: f"observableParameter1_{oid} * {ro}{offset}",
                         C.OBSERVABLE_TRANSFORMATION: C.LOG if self.lognormal else C.LIN,
                         C.NOISE_FORMULA: f"noiseParameter1_{oid}",
                         C.NOISE_DISTRIBUTION: C.NORMAL})
        return pd.DataFrame(rows).set_index(C.OBSERVABLE_ID)

    def measurement_table(self, rows: list[Measurement], cond_ids: dict[tuple, str],
                          preeq: bool):
        import pandas as pd
        def noise(r: Measurement) -> Any:
            if r.sd is None:
                return self.pid("sigma", r.experiment, r.readout)
            if self.lognormal:  # SD of ln(value) of a log-normal with this mean and SD
                return math.sqrt(math.log1p((r.sd / r.value) ** 2))
            return r.sd

        def dataset(r: Measurement) -> str:
            given = [c.base for c, d in zip(self.table.inputs, r.doses) if d != 0]
            return f"{_lead(r.experiment, 'exp')}_{'_'.join(given) or 'control'}"

        kinds = ["scale"] + (["offset"] if self.offset else [])
        table = {C.OBSERVABLE_ID: [self.observables[r.readout][0] for r in rows],
                 C.SIMULATION_CONDITION_ID: [cond_ids[(r.experiment, r.doses)] for r in rows]}
        if preeq:
            table[C.PREEQUILIBRATION_CONDITION_ID] = ["rest"] * len(rows)
        table.update({
            C.MEASUREMENT: [r.value for r in rows],
            C.TIME: [r.time for r in rows],
            C.OBSERVABLE_PARAMETERS: [";".join(self.pid(k, r.experiment, r.readout)
                                               for k in kinds) for r in rows],
            C.NOISE_PARAMETERS: [noise(r) for r in rows],
            C.DATASET_ID: [dataset(r) for r in rows],
            C.REPLICATE_ID: [_lead(r.experiment, "exp") for r in rows],
        })
        # sorted by condition: pyPESTO 0.7's roadrunner objective pairs
        # conditions with parameter mappings correctly only in sorted order
        return _sorted_measurements(pd.DataFrame(table))

    def check_size(self, rows: list[Measurement], parameters: list[dict],
                   n_model: int) -> None:
        """Warn (a note) when the estimated parameters outnumber what the rows inform."""
        n = len(parameters)
        if n * MEASUREMENTS_PER_PARAMETER <= len(rows):
            return
        self.notes.append(
            f"warning: {n} estimated parameters ({n_model} of the model, {n - n_model} "
            f"scale/offset/noise) for {len(rows)} measurements, fewer than "
            f"{MEASUREMENTS_PER_PARAMETER} per parameter: the data cannot inform them all "
            f"(expect flat profiles); estimate fewer (--estimate, --no-offset) or add data")

    def parameter_rows(self, rows: list[Measurement], readouts: list[str],
                       estimate: Mapping[str, float], facts: _ModelFacts,
                       sbml_name: str) -> list[dict]:
        table = _model_parameter_rows(estimate, facts, sbml_name)
        values: dict[tuple[str, str], list[float]] = {}
        for r in rows:
            values.setdefault((r.experiment, r.readout), []).append(r.value)
        kinds = (["scale"] + (["offset"] if self.offset else [])
                 + ([] if self.table.has_sd else ["sigma"]))
        for exp in sorted({r.experiment for r in rows}):
            for ro in (ro for ro in readouts if (exp, ro) in values):
                for kind in kinds:
                    scale, lb, ub, nominal = _observation_bounds(kind, values[(exp, ro)],
                                                                 self.options)
                    if kind == "offset":  # the experiment's baseline, if measured
                        nominal = self.baselines.get((exp, ro), nominal)
                    table.append({
                        C.PARAMETER_ID: self.pid(kind, exp, ro),
                        C.PARAMETER_NAME: self.names[kind].format(experiment=exp, readout=ro),
                        C.PARAMETER_SCALE: scale, C.LOWER_BOUND: lb, C.UPPER_BOUND: ub,
                        C.NOMINAL_VALUE: nominal, C.ESTIMATE: 1})
        _apply_bounds(table, self.options.bounds)
        return table


def _sorted_measurements(measurement_df):
    return measurement_df.sort_values([C.SIMULATION_CONDITION_ID, C.TIME, C.OBSERVABLE_ID],
                                      kind="stable").reset_index(drop=True)


def build_problems(table: TidyTable, options: ImportOptions | None = None, *,
                   sbml: str | None = None, sbml_name: str | None = None,
                   sbml_of: Callable[[str], str] | None = None,
                   report: Callable[[str], None] | None = None) -> dict[str, BuiltProblem]:
    """The PEtab problems of a table (in memory, not yet linted).

    Measured SDs are the numeric ``noiseParameters`` of their rows (one
    observable per readout, noise formula ``noiseParameter1_<observable>``).
    An offset is estimated when ``options.offset`` is True, or when it is
    None and :func:`baseline_check` finds a baseline above
    :data:`BASELINE_FRACTION`.  A training problem with fewer than
    :data:`MEASUREMENTS_PER_PARAMETER` measurements per estimated parameter
    draws a warning.

    Parameters
    ----------
    table
        From :func:`read_table` or :func:`table_from_records`.
    options
        :class:`ImportOptions` (default: all defaults).
    sbml, sbml_name
        SBML text of the model (and its name in messages).  None: the
        exported SBML of each problem's variant
        (:func:`jakstat_rules.artifacts.model_sbml`).
    sbml_of
        Alternative source of the SBML text of a variant (tests).
    report
        Called with each line telling the user about a choice made for them
        (the baseline offset) or a warning (``"warning: ..."``); None: silent.

    Returns
    -------
    dict
        ``{"train": BuiltProblem, "validation": ...}`` (validation only
        with ``options.validate``).

    Raises
    ------
    JakstatInputError
        Bad options, a model lacking an input, readout or estimated
        parameter, values a noise model cannot take.
    """
    options = options or ImportOptions()
    if options.noise not in _NOISES:
        raise JakstatInputError(f"noise model {options.noise!r} unknown; expected one of "
                                f"{list(_NOISES)}")
    estimate = dict(ESTIMATED_PARAMETERS if options.estimate is None else options.estimate)
    if options.noise == "lognormal":
        errors = _Errors()
        for r in table.rows:
            if r.value <= 0:
                errors.add(f"{_where(r.source, r.line, r.column)}: value {r.value!r} is not "
                           f"positive; expected values > 0 for log-normal noise (use the "
                           f"normal noise model for background-subtracted data)")
        errors.raise_if_any()
    design = _Design(table, options)
    problems: dict[str, BuiltProblem] = {}
    all_ids: set[str] = set()
    for name, rows in _split(table, options.validate).items():
        variant = _variant_of(rows, name)
        if sbml is not None:
            text, text_name = sbml, sbml_name or "model"
        else:
            text = sbml_of(variant) if sbml_of else _variant_sbml(variant)
            text_name = f"exported model of variant {variant!r}"
        readouts = sorted({r.readout for r in rows}, key=list(READOUTS).index)
        check_model(text, text_name, design.input_ids, readouts)
        preeq = variant in NEEDS_PREEQUILIBRATION
        condition_df, cond_ids = design.conditions(rows, preeq)
        parameters = design.parameter_rows(rows, readouts, estimate,
                                           _model_facts(text, text_name), text_name)
        all_ids.update(row[C.PARAMETER_ID] for row in parameters)
        problem = petab.Problem(
            model=SbmlModel.from_string(text), condition_df=condition_df,
            observable_df=design.observable_table(readouts),
            measurement_df=design.measurement_table(rows, cond_ids, preeq),
            parameter_df=pd.DataFrame(parameters).set_index(C.PARAMETER_ID))
        if name == "train":
            design.check_size(rows, parameters, len(estimate))
        problems[name] = BuiltProblem(problem, text)
    unknown = [p for p in options.bounds if p not in all_ids]
    if unknown:
        raise JakstatInputError(f"--bounds {unknown[0]}: not an estimated parameter of the "
                                f"problem; expected one of {sorted(all_ids)}")
    for line in design.notes if report else ():
        report(line)
    return problems


def _variant_sbml(variant: str) -> str:
    return model_sbml(variant)
