"""The simulation experiments of the supplement, described once.

Each :class:`Run` is one simulation experiment behind a published figure:
which model file, which model changes (inputs such as ``IFNb_pM`` and, for
the fit, the fitted parameters), which time course, optionally a dose scan
of one input, and which outputs.  The same description is written as SED-ML
(:mod:`.sedml`) and simulated by the project's own
:class:`~jakstat_rules.simulate.Simulator` (:mod:`.tables`), so the archive's
CSV tables and its SED-ML say the same thing by construction, and an
independent engine that runs the SED-ML must reproduce the tables.

A :class:`Document` groups the runs of one figure family into one SED-ML
file: the standard scenarios, the dose responses, the fit to the training
data, the prediction of the validation experiment, the therapy schedules
(each run a time course of the schedule written into the SBML) and a
combination map (a grid of two drug doses).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from ..conditions import CONDITIONS, DOSE_RESPONSES, DOSE_SERIES
from ..interface import DEFAULT_READOUTS, NEEDS_PREEQUILIBRATION, model_id

__all__ = ["Run", "Document", "Observable", "model_file", "sedml_model_file", "fitted_model_file",
           "scenario_document", "dose_response_document", "fit_document", "DOSE_RESPONSE_POINTS",
           "schedule_document", "schedule_run", "schedule_model_file", "combination_document",
           "combination_run", "COMBINATION"]

#: Folder of the model files inside the archive.
MODEL_DIR = "models"
def fitted_model_file(variant: str = "default") -> str:
    """Archive path of the fitted model (the variant's SBML with the fitted values written in)."""
    return f"{MODEL_DIR}/{model_id(variant)}_fitted.xml"
#: Output points of the dose-response time courses (0-240 min, every 5 min; as ``jakstat demo``).
DOSE_RESPONSE_POINTS = 49


def model_file(variant: str) -> str:
    """Archive path of a variant's SBML (``models/jakstat_ifn[_<variant>].xml``)."""
    return f"{MODEL_DIR}/{model_id(variant)}.xml"


#: Folder of the variants' SBML prepared for the SED-ML (doses as initial amounts; see
#: :func:`jakstat_rules.supplement.tables.sedml_model_sbml`).
SEDML_MODEL_DIR = f"{MODEL_DIR}/sedml"


def sedml_model_file(variant: str) -> str:
    """Archive path of the SBML a run of ``variant`` starts from in the SED-ML.

    ``models/sedml/jakstat_ifn[_<variant>].xml``; for variants that need a
    pre-equilibration ``..._rest.xml``, whose initial state is the resting state.
    """
    rest = "_rest" if variant in NEEDS_PREEQUILIBRATION else ""
    return f"{SEDML_MODEL_DIR}/{model_id(variant)}{rest}.xml"


def _start_file(variant: str) -> str:
    return sedml_model_file(variant)


@dataclass(frozen=True)
class Observable:
    """An output computed from a readout: ``factor * readout + offset`` (a fit observable).

    Attributes
    ----------
    id
        Output id (SED-ML data generator id, CSV column).
    readout
        The model quantity (an id of :data:`~jakstat_rules.interface.READOUTS`).
    factor_id, factor
        Name and value of the multiplying parameter (e.g. ``scale_20190108``).
    offset_id, offset
        Name and value of the added parameter (``offset_<experiment>``); None, 0 without one.
    """

    id: str
    readout: str
    factor_id: str
    factor: float
    offset_id: str | None = None
    offset: float = 0.0


@dataclass(frozen=True)
class Run:
    """One simulation experiment (a SED-ML task and its report; a CSV table).

    Attributes
    ----------
    id
        Task id and file stem.
    title
        One line for reports and plot titles.
    variant
        Model variant the run starts from (its file: :attr:`source`).
    source
        Archive path of the SBML file.
    changes
        Parameter id -> value set on the model before the run (inputs,
        fitted parameters): SED-ML model changes.
    t_end, n_points
        Output times: ``n_points`` equally spaced from 0 to ``t_end`` minutes.
    readouts
        Model quantities reported.
    scan
        ``(input id, doses)`` for a dose response (a SED-ML repeated task), else None.
    observables
        Outputs ``factor * readout`` (fit observables) reported next to the readouts.
    table
        Archive path of the project's own table of this run (CSV).
    scan_inner
        A second scanned input for a combination grid: a repeated task over
        its doses nested in the one over :attr:`scan`'s.
    schedule
        Id of the standard therapy schedule the run simulates (its model
        file :attr:`source` has the schedule written in; no changes).
    """

    id: str
    title: str
    variant: str
    source: str
    changes: Mapping[str, float]
    t_end: float
    n_points: int
    readouts: Sequence[str]
    table: str
    scan: tuple[str, tuple[float, ...]] | None = None
    observables: Sequence[Observable] = ()
    scan_inner: tuple[str, tuple[float, ...]] | None = None
    schedule: str | None = None

    @property
    def columns(self) -> list[str]:
        """Columns of the table (and labels of the SED-ML report).

        ``time`` and the outputs; a dose response has ``dose`` first; a
        combination grid (:attr:`scan_inner`) the two scanned inputs' ids.
        """
        if self.scan_inner is not None:
            lead = [self.scan[0], self.scan_inner[0], "time"]
        else:
            lead = ["time"] if self.scan is None else ["dose", "time"]
        return lead + list(self.readouts) + [o.id for o in self.observables]

    @property
    def inputs(self) -> dict[str, float]:
        """The model changes that are inputs (the rest are parameter values)."""
        from ..interface import INPUTS
        return {k: v for k, v in self.changes.items() if k in INPUTS}

    @property
    def parameters(self) -> dict[str, float]:
        """The model changes that are parameter values (not inputs)."""
        from ..interface import INPUTS
        return {k: v for k, v in self.changes.items() if k not in INPUTS}


@dataclass(frozen=True)
class Document:
    """The runs of one SED-ML file.

    Attributes
    ----------
    id
        File stem (``<id>.sedml``) and figure-family id.
    title
        What the file reproduces.
    runs
        Its simulation experiments.
    figures
        Archive paths of the figures (PNG and SVG) the project drew from the same tables.
    """

    id: str
    title: str
    runs: tuple[Run, ...]
    figures: tuple[str, ...] = field(default=())

    @property
    def file(self) -> str:
        """Archive path of the SED-ML file."""
        return f"{self.id}.sedml"


def scenario_document() -> Document:
    """The standard scenarios of :data:`~jakstat_rules.conditions.CONDITIONS`, every readout."""
    from ..interface import READOUTS

    runs = []
    figures = []
    for c in CONDITIONS.values():
        stem = f"results/scenarios/{c.id}"
        runs.append(Run(id=c.id, title=c.description or c.id, variant=c.variant,
                        source=_start_file(c.variant), changes=dict(c.inputs), t_end=c.t_end,
                        n_points=c.n_points, readouts=tuple(READOUTS), table=f"{stem}.csv"))
        figures += [f"{stem}.png", f"{stem}.svg"]
    return Document("scenarios", "Standard scenarios: time courses of every readout",
                    tuple(runs), tuple(figures))


def dose_response_document() -> Document:
    """The dose responses of :data:`~jakstat_rules.conditions.DOSE_RESPONSES` (0-240 min)."""
    runs = []
    figures = []
    for name, base in DOSE_RESPONSES:
        rid = f"dose_response_{name}"
        stem = f"results/dose_responses/{rid}"
        held = ", ".join(f"{k} = {v:g}" for k, v in base.items())
        runs.append(Run(id=rid, title=f"{name} dose response" + (f" with {held}" if held else ""),
                        variant="default", source=_start_file("default"), changes=dict(base),
                        t_end=240.0, n_points=DOSE_RESPONSE_POINTS,
                        readouts=tuple(DEFAULT_READOUTS), table=f"{stem}.csv",
                        scan=(name, tuple(float(d) for d in DOSE_SERIES[name]))))
        figures += [f"{stem}.png", f"{stem}.svg"]
    return Document("dose_responses", "Dose responses (pSTAT1 and the other default readouts)",
                    tuple(runs), tuple(figures))


def measurement_grid(times: Sequence[float]) -> tuple[float, int]:
    """End time and number of points of a uniform grid from 0 that holds every time.

    The smallest grid (at most 1001 points) whose step divides every
    measurement time; 241 points when there is none.
    """
    t_end = float(max(times))
    for n in range(2, 1002):
        step = t_end / (n - 1)
        if all(abs(t / step - round(t / step)) < 1e-9 for t in times):
            return t_end, n
    return t_end, 241


def fit_document(doc_id: str, title: str,
                 scans: Sequence[tuple[str, str, Mapping[str, float], Sequence[float],
                                       Sequence[Observable]]],
                 times: Sequence[float], parameters: Mapping[str, float],
                 variant: str = "default", figures: Sequence[str] = ()) -> Document:
    """Runs of a fit (or a prediction): the fitted model over the measured doses.

    Parameters
    ----------
    doc_id, title
        SED-ML file stem and what it reproduces.
    scans
        One run per dose scan: ``(id part, scanned input, held values, doses,
        outputs)``; held values (other inputs given with it) are model changes
        of the run, the outputs are the fit observables measured in it.
    times
        Measurement times (min); the time course holds all of them.
    parameters
        Fitted model parameter values (model changes).
    variant
        The model variant the problem uses.
    """
    t_end, n_points = measurement_grid(times)
    runs = []
    for slug, name, held, values, outputs in scans:
        values = tuple(sorted({float(v) for v in values}))
        if not values:
            continue
        rid = f"{doc_id}_{slug}"
        with_ = "".join(f", {k} = {v:g}" for k, v in held.items())
        readouts = tuple(sorted({o.readout for o in outputs}))
        runs.append(Run(id=rid, title=f"{title}: {name} doses{with_}", variant=variant,
                        source=_start_file(variant), changes={**parameters, **held},
                        t_end=t_end, n_points=n_points, readouts=readouts,
                        table=f"results/{doc_id}/{rid}.csv", scan=(name, values),
                        observables=tuple(sorted(set(outputs), key=lambda o: o.id))))
    return Document(doc_id, title, tuple(runs), tuple(figures))


def finite(value: float) -> bool:
    """Whether ``value`` is a finite number."""
    return isinstance(value, (int, float)) and math.isfinite(value)


#: Folder of the schedule SBML files inside the archive.
SCHEDULE_MODEL_DIR = f"{MODEL_DIR}/schedules"


def schedule_model_file(schedule_id: str) -> str:
    """Archive path of a schedule's SBML (``models/schedules/<id>.xml``)."""
    return f"{SCHEDULE_MODEL_DIR}/{schedule_id}.xml"


def schedule_readouts(schedule) -> tuple[str, ...]:
    """Outputs of a schedule run: the default readouts and the input of each orally dosed drug."""
    from ..schedules import oral_doses
    return tuple(DEFAULT_READOUTS) + tuple(f"{drug}_nM" for drug in sorted(oral_doses(schedule)))


def schedule_run(schedule, source: str, table: str) -> Run:
    """The run of a therapy schedule: a plain time course of its SBML (the schedule written in)."""
    return Run(id=schedule.id, title=schedule.description or schedule.id, variant=schedule.variant,
               source=source, changes={}, t_end=float(schedule.t_end),
               n_points=int(schedule.n_points), readouts=schedule_readouts(schedule), table=table,
               schedule=schedule.id)


def schedule_document() -> Document:
    """The standard therapy schedules of :data:`~jakstat_rules.conditions.SCHEDULES`."""
    from ..conditions import SCHEDULES

    runs, figures = [], []
    for s in SCHEDULES.values():
        stem = f"results/schedules/{s.id}"
        runs.append(schedule_run(s, schedule_model_file(s.id), f"{stem}.csv"))
        figures.append(f"{stem}.png")
    return Document("schedules", "Therapy schedules: oral JAK inhibitor doses (one-compartment "
                    "PK), radiation fractions, cytokine changes", tuple(runs), tuple(figures))


#: The combination map of the supplement (as in docs/cancer.md): ruxolitinib x tofacitinib in
#: the medium with IFN-beta 100 pM, pSTAT1 at 120 min.
COMBINATION = {"a": "ruxolitinib_nM", "doses_a": (0.0, 30.0, 300.0), "b": "tofacitinib_nM",
               "doses_b": (0.0, 30.0, 300.0), "base": {"IFNb_pM": 100.0},
               "readout": "pSTAT1_total", "time": 120.0, "points": 25}


def combination_run(a: str, doses_a: Sequence[float], b: str, doses_b: Sequence[float],
                    base: Mapping[str, float], readout: str, time: float, points: int,
                    source: str, table: str) -> Run:
    """A combination grid: a repeated task over ``b``'s doses nested in one over ``a``'s."""
    held = ", ".join(f"{k} = {v:g}" for k, v in base.items())
    return Run(id=f"combination_{a}_x_{b}", title=f"{a} x {b}" + (f" with {held}" if held else "")
               + f": {readout} to {time:g} min", variant="default", source=source,
               changes=dict(base), t_end=float(time), n_points=int(points), readouts=(readout,),
               table=table, scan=(a, tuple(float(d) for d in doses_a)),
               scan_inner=(b, tuple(float(d) for d in doses_b)))


def combination_document() -> Document:
    """The supplement's combination map (:data:`COMBINATION`)."""
    c = COMBINATION
    rid = f"combination_{c['a']}_x_{c['b']}"
    stem = f"results/combination/{rid}"
    run = combination_run(c["a"], c["doses_a"], c["b"], c["doses_b"], c["base"], c["readout"],
                          c["time"], c["points"], _start_file("default"), f"{stem}.csv")
    return Document("combination", "Combination map: two drug doses crossed, the readout over "
                    "time (its value at the last time is the map)", (run,),
                    (f"{stem}_map.png",))
