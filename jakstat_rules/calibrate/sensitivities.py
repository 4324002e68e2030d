"""Exact derivatives of the simulated observables: forward sensitivities from AMICI.

The objective's values come from the simulation core (libroadrunner, see
:mod:`jakstat_rules.engine`).  Its derivatives cannot: libroadrunner's
forward sensitivity solver (2.10) has no sensitivities of initial values
(species set by initial assignments or after a pre-equilibration start with
a zero sensitivity) and took 5.6 s for one condition of our model with six
parameters at tolerance 1e-6 and more than ten minutes at 1e-8, against
0.07 s for the plain simulation (docs/calibration.md).  AMICI (Fröhlich et
al., Bioinformatics 2021;37:3676) generates the model's Jacobian and the
sensitivity equations symbolically, including initial-value,
pre-equilibration and event sensitivities; it is the engine behind
pyPESTO's PEtab objective.

:class:`ObservableSensitivities` compiles a PEtab problem with AMICI once
(cached on disk by content under ``JAKSTAT_CACHE/amici``, see
:func:`jakstat_rules.io.cache_dir`) and returns, for linear values ``p`` of
the estimated parameters, the observables ``h`` and noise SDs ``sigma`` of
every measurement row with their derivatives ``dh/dp`` and ``dsigma/dp``,
simulating every PEtab condition (as pyPESTO's AMICI objective does).

:class:`UnitSensitivities` is what the objective uses: it gives AMICI a
derived problem with one condition per *simulation unit* of the core's plan
(conditions that simulate the same thing counted once: 14 instead of 42 on
the Kirby problem) and the model quantities as observables, and computes
``h``, ``sigma`` and their derivatives with the project's own observable
code (the same as the value path) and the chain rule.  The objective
(:mod:`.objective`) applies the PEtab likelihood, the hierarchical inner
problem and the priors to them with the chain rule.

Tests compare every derivative with central differences of the simulation
core's objective, and the values with the core's.
"""
from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import sys
import warnings
from pathlib import Path

import numpy as np
from petab.v1 import C

from jakstat_rules.errors import JakstatInputError, SimulationError
from jakstat_rules.io import cache_dir, sha256, status

__all__ = ["available", "ObservableSensitivities", "UnitSensitivities", "MISSING_MESSAGE",
           "INSTALL_HINT"]

#: What installs AMICI (``make setup`` runs it; see :mod:`.install`).
INSTALL_HINT = "`jakstat setup-gradients` installs AMICI for exact derivatives"
#: Message when AMICI is not installed and exact derivatives were asked for.
MISSING_MESSAGE = (f"exact gradients need AMICI: {INSTALL_HINT} (once, into this Python); "
                   f"or use --gradient fd for finite differences")


def available() -> bool:
    """Whether AMICI can be imported."""
    try:
        import amici  # noqa: F401
    except ImportError:
        return False
    return True


@contextlib.contextmanager
def _wait_for_lock(folder: Path):
    """Exclusive ``flock`` on ``folder.lock``, waiting for other compilers of the same model."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{folder}.lock", "a+", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@contextlib.contextmanager
def _output_to(path: Path):
    """Send this process's stdout and stderr (file descriptors, so also compilers
    run as subprocesses, and Python's streams, which :func:`~.parallel.solver_log` may
    have pointed at the terminal) to ``path`` while the block runs."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with open(path, "ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        text = open(os.dup(log.fileno()), "w", encoding="utf-8", errors="replace",
                    buffering=1)
        try:
            with text, contextlib.redirect_stdout(text), contextlib.redirect_stderr(text):
                yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def _quiet_amici() -> None:
    """AMICI's modules log at DEBUG level on their own loggers, and its solver warns
    for every non-finite intermediate value (millions of lines in a fit that
    explores stiff regions); keep errors only: a failed simulation reaches the
    optimiser as a :class:`SimulationError` anyway."""
    import amici  # noqa: F401  (creates its loggers)

    for name in list(logging.root.manager.loggerDict):
        if name.split(".")[0] == "amici":
            logging.getLogger(name).setLevel(logging.ERROR)


def build_jobs() -> int:
    """Compiler processes of an AMICI model build: ``$AMICI_PARALLEL_COMPILE`` if set
    (AMICI's own setting), else every core this process may run on.  AMICI builds with one
    process unless told; a model's code is dozens of files (Zheng 2012: 21-23 s on one,
    18-19 s on two cores: docs/calibration.md)."""
    try:
        return max(1, int(os.environ["AMICI_PARALLEL_COMPILE"]))
    except (KeyError, ValueError):
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
            os.cpu_count() or 1)


def _parallel_build():
    """``$AMICI_PARALLEL_COMPILE`` set to :func:`build_jobs` while the block runs."""
    from unittest import mock  # imported only where a build happens

    return mock.patch.dict(os.environ, {"AMICI_PARALLEL_COMPILE": str(build_jobs())})


def model_key(payload) -> str:
    """Content key of the AMICI model of a problem: SBML, observable and condition
    tables and AMICI's version (not the measurements, nor the parameter table:
    every parameter stays settable, so fits of the same model with other
    estimated sets or bounds share one build)."""
    import amici

    parts = [payload.sbml, payload.observable_df.to_csv(), payload.condition_df.to_csv(),
             amici.__version__, sys.version.split()[0]]
    return sha256("\x1e".join(parts))


class ObservableSensitivities:
    """Observables, noise SDs and their forward sensitivities of a PEtab problem.

    Parameters
    ----------
    payload
        The problem (:class:`~jakstat_rules.petab_io.ProblemPayload`).
    estimated_ids
        Ids of the estimated parameters: the order of every vector ``p``.
    measurement_df
        The measurement table with a 0..n-1 index (rows of the results).
    rtol, atol
        Integrator tolerances (also of the sensitivities).
    nominal
        Linear values of the estimated parameters for a first trial
        evaluation (default: the parameter table's nominal values).

    Raises
    ------
    JakstatInputError
        If AMICI is missing or cannot compile the model (one line).
    """

    def __init__(self, payload, estimated_ids: list[str], measurement_df,
                 rtol: float, atol: float, nominal=None) -> None:
        if not available():
            raise JakstatInputError(MISSING_MESSAGE)
        _quiet_amici()
        import petab.v1 as petab
        from petab.v1.models.sbml_model import SbmlModel

        self.estimated_ids = list(estimated_ids)
        self._position = {pid: k for k, pid in enumerate(self.estimated_ids)}
        mdf = measurement_df.reset_index(drop=True)
        self.n_rows = len(mdf)
        self.problem = petab.Problem(model=SbmlModel.from_string(payload.sbml),
                                     condition_df=payload.condition_df,
                                     measurement_df=mdf,
                                     observable_df=payload.observable_df,
                                     parameter_df=payload.parameter_df)
        self.model = self._compile(payload)
        _quiet_amici()  # loggers of the modules imported while compiling
        self.solver = self.model.create_solver()
        self._set_tolerances(rtol, atol)
        # only what evaluate reads (observables, noise SDs, their sensitivities): the
        # states and their sensitivities are not copied out (5 % of a derivative's time
        # on Bruno_JExpBot2016 and Schwen_PONE2014)
        from amici.sim.sundials import RDataReporting

        self.solver.set_return_data_reporting_mode(RDataReporting.observables_likelihood)
        if nominal is None:
            table = payload.parameter_df
            nominal = [float(table.loc[pid, C.NOMINAL_VALUE]) for pid in self.estimated_ids]
        try:
            self._prepare(mdf)
            self.evaluate(np.asarray(nominal, float), derivatives=False)
        except SimulationError:
            pass  # a solver failure at the nominal values is a property of the problem
        except Exception as exc:  # AMICI's reading of the problem failed: not usable
            raise JakstatInputError(f"AMICI cannot evaluate this problem ({type(exc).__name__}: "
                                    f"{str(exc)[:200]}); use --gradient fd") from None

    # -- building -------------------------------------------------------------
    def _compile(self, payload):
        import amici.sim.sundials  # noqa: F401  (loading a compiled model needs it imported)
        from amici.importers.petab.v1 import import_petab_problem

        key = model_key(payload)
        folder = cache_dir("amici") / key[:32]
        name = f"jakstat_{key[:12]}"
        # AMICI's model build calls cmake, which must find swig (installed in the venv's bin)
        bindir = os.path.dirname(sys.executable)
        if bindir not in os.environ.get("PATH", "").split(os.pathsep):
            os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
        with _wait_for_lock(folder), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            build_log = folder.parent / f"{folder.name}.build.log"
            done = folder.parent / f"{folder.name}.complete"
            if folder.exists() and not done.is_file():
                # a build that was killed or failed half-way: AMICI refuses a non-empty
                # folder, so remove it and build again
                shutil.rmtree(folder, ignore_errors=True)
            if not (folder / name).is_dir():
                status("compiling the model for exact derivatives with AMICI (once per "
                       "model, about 20 s to 5 min, %d compiler processes; log %s) ...",
                       build_jobs(), build_log)
            try:
                with _output_to(build_log), _parallel_build():
                    model = import_petab_problem(self.problem, output_dir=folder,
                                                 model_name=name, compile_=None,
                                                 non_estimated_parameters_as_constants=False)
                # written at the build, rewritten at each load: the entry's last use
                done.write_text("built\n", encoding="utf-8")
                return model
            except Exception as exc:  # AMICI raises many kinds; one line for the user
                raise JakstatInputError(f"AMICI could not build the model for exact gradients "
                                        f"({type(exc).__name__}: {str(exc)[:300]}; log "
                                        f"{build_log}); use --gradient fd") from None

    def _set_tolerances(self, rtol: float, atol: float) -> None:
        s = self.solver
        s.set_relative_tolerance(rtol)
        s.set_absolute_tolerance(atol)
        s.set_relative_tolerance_fsa(rtol)
        s.set_absolute_tolerance_fsa(atol)
        s.set_max_steps(100_000)

    def _prepare(self, mdf) -> None:
        """Parameter mapping, experiment data and where every row's value is found."""
        import petab.v1 as petab
        from amici.sim.sundials.petab.v1 import create_edatas
        from amici.sim.sundials.petab.v1._parameter_mapping import create_parameter_mapping

        conditions = self.problem.get_simulation_conditions_from_measurement_df()
        self.mapping = create_parameter_mapping(
            petab_problem=self.problem, simulation_conditions=conditions,
            scaled_parameters=False, amici_model=self.model)
        # derivatives with respect to linear values: every variable parameter on lin scale
        for m in self.mapping:
            for pid in m.scale_map_sim_var:
                m.scale_map_sim_var[pid] = C.LIN
        self.edatas = create_edatas(amici_model=self.model, petab_problem=self.problem,
                                    simulation_conditions=conditions)
        observable_ids = list(self.model.get_observable_ids())
        self.free_ids = list(self.model.get_free_parameter_ids())
        self.where: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        covered = np.zeros(self.n_rows, dtype=bool)
        for (_, cond), edata in zip(conditions.iterrows(), self.edatas):
            rows = petab.get_rows_for_condition(mdf, cond)
            ts = list(np.asarray(edata.get_timepoints(), float))
            t_idx = np.array([ts.index(float(t)) for t in rows[C.TIME]], dtype=int)
            o_idx = np.array([observable_ids.index(o) for o in rows[C.OBSERVABLE_ID]], dtype=int)
            positions = rows.index.to_numpy(int)
            covered[positions] = True
            self.where.append((positions, t_idx, o_idx))
        if not covered.all():
            raise JakstatInputError("AMICI's conditions do not cover every measurement row")

    # -- evaluation ------------------------------------------------------------
    def evaluate(self, p: np.ndarray, derivatives: bool = True, noise: bool = True):
        """Observables and noise SDs at linear parameters ``p``, and their derivatives.

        ``noise=False`` leaves out the noise SDs and their derivatives (``sigma``
        and ``dsigma`` are None): AMICI's results reach Python element by element,
        so a field not read saves about as much time as a field read costs (a
        third of an exact derivative of Lucarelli 2018 for ``sy`` and ``ssigmay``).

        Returns
        -------
        (h, sigma, dh, dsigma)
            ``h``/``sigma`` one value per measurement row; ``dh``/``dsigma``
            arrays (n_rows, len(p)) of derivatives with respect to the linear
            values (None without ``derivatives``).

        Raises
        ------
        SimulationError
            If AMICI's integration fails for a condition.
        """
        import amici.sim.sundials as AS
        from amici.sim.sundials.petab.v1 import fill_in_parameters

        p = np.asarray(p, float)
        values = {pid: float(p[k]) for k, pid in enumerate(self.estimated_ids)}
        fill_in_parameters(self.edatas, values, scaled_parameters=False,
                           parameter_mapping=self.mapping, amici_model=self.model,
                           warn_unused=False)
        order = AS.SensitivityOrder.first if derivatives else AS.SensitivityOrder.none
        self.solver.set_sensitivity_order(order)
        self.solver.set_sensitivity_method(AS.SensitivityMethod.forward)
        rdatas = AS.run_simulations(self.model, self.solver, self.edatas)
        n, m = self.n_rows, len(p)
        h = np.empty(n)
        sigma = np.empty(n) if noise else None
        dh = np.zeros((n, m)) if derivatives else None
        dsigma = np.zeros((n, m)) if derivatives and noise else None
        for (rows, t_idx, o_idx), rdata, edata, cmap in zip(self.where, rdatas, self.edatas,
                                                            self.mapping):
            if rdata.status != AS.AMICI_SUCCESS:
                raise SimulationError(f"AMICI: condition {edata.id or '?'} failed with "
                                      f"status {rdata.status}")
            h[rows] = rdata.y[t_idx, o_idx]
            if noise:
                sigma[rows] = rdata.sigmay[t_idx, o_idx]
            if not derivatives:
                continue
            sy = rdata.sy
            ssigmay = rdata.ssigmay if noise else None
            plist = list(edata.plist) or list(range(len(self.free_ids)))
            for ip, model_index in enumerate(plist):
                target = cmap.map_sim_var[self.free_ids[model_index]]
                k = self._position.get(target) if isinstance(target, str) else None
                if k is None:
                    continue
                dh[rows, k] += sy[t_idx, ip, o_idx]
                if noise:
                    dsigma[rows, k] += ssigmay[t_idx, ip, o_idx]
        return h, sigma, dh, dsigma


def _v2_unit_conditions(cp) -> tuple:
    """A PEtab v1 condition table standing for the units of a PEtab v2 problem's plan.

    AMICI's PEtab v1 reading replays a (pre-equilibration, simulation) pair of
    conditions.  A v2 experiment of one period at time 0, or of a
    pre-equilibration period (``-inf``) and one at 0, is such a pair: each
    period becomes a condition ``jakstat_unit_<u>_pre`` / ``_sim`` setting
    what the period sets (a number, or the id of an estimated parameter).
    The parameter table's own values, which the first period also sets, are
    left to the parameter table, as PEtab v1 has it.  A parameter a
    simulation period does not change keeps its pre-equilibration value; a
    species it does not set, its current value (NaN).

    Returns
    -------
    (condition_df, pairs)
        The table (index ``conditionId``) and, per unit, its
        (pre-equilibration id or ``""``, simulation id).

    Raises
    ------
    JakstatInputError
        For an experiment of other periods, or a value given by a formula.
    """
    import pandas as pd
    from petab.v1 import C as PC

    table = cp.parameters
    rows: dict[str, dict[str, object]] = {}
    pairs: list[tuple[str, str]] = []
    parameter_columns: set[str] = set()
    for u, unit in enumerate(cp.plan.units):
        times = [period.time for period in unit.periods]
        if times not in ([0.0], [-np.inf, 0.0]):
            raise JakstatInputError(
                f"experiment {unit.name!r} has periods starting at {times}: AMICI replays one "
                f"period at 0, or a pre-equilibration and one period at 0")
        ids = [f"jakstat_unit_{u}_{suffix}"
               for suffix in (("pre", "sim") if len(times) == 2 else ("sim",))]
        for cid, period in zip(ids, unit.periods):
            row: dict[str, object] = {}
            for a in period.settings.parameters + period.settings.states:
                if a.formula is not None:
                    raise JakstatInputError(
                        f"experiment {unit.name!r} sets {a.target!r} to the formula "
                        f"{a.formula.text!r}: AMICI's condition tables take numbers and "
                        f"parameter ids")
                own = table.position(a.target) if a.target in table.nominal_all else None
                if a.target in table.nominal_all and (
                        a.estimated == (own if own is not None else -1)
                        and (a.estimated >= 0 or a.constant == table.nominal_all[a.target])):
                    continue  # the parameter table's own value
                if a.target in table.nominal_all:
                    raise JakstatInputError(
                        f"experiment {unit.name!r} changes {a.target!r}, a parameter of the "
                        f"parameter table: PEtab v1 condition tables cannot")
                row[a.target] = cp.estimated_ids[a.estimated] if a.estimated >= 0 \
                    else a.constant
                if a in period.settings.parameters:
                    parameter_columns.add(a.target)
            rows[cid] = row
        pairs.append((ids[0], ids[1]) if len(ids) == 2 else ("", ids[0]))
    columns = sorted({c for row in rows.values() for c in row})
    for pre, sim in pairs:
        for cid in ([pre] if pre else []) + [sim]:
            for c in columns:
                if c in rows[cid]:
                    continue
                if c not in parameter_columns:
                    rows[cid][c] = np.nan  # a species or compartment keeps its value
                elif cid == sim and pre and c in rows[pre]:
                    rows[cid][c] = rows[pre][c]
                else:
                    rows[cid][c] = cp.model_values[c]
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
    frame.index.name = PC.CONDITION_ID
    return frame, pairs


def _v1_parameter_table(parameter_df):
    """A PEtab v2 parameter table in PEtab v1's columns (every parameter on linear
    scale: the derivatives are taken with respect to linear values anyway)."""
    from petab.v1 import C as PC

    out = parameter_df[[PC.LOWER_BOUND, PC.UPPER_BOUND, PC.NOMINAL_VALUE, PC.ESTIMATE]].copy()
    out.insert(0, PC.PARAMETER_SCALE, PC.LIN)
    out[PC.ESTIMATE] = out[PC.ESTIMATE].astype(int)
    return out


def unit_problem(cp):
    """The derived PEtab problem :class:`UnitSensitivities` gives AMICI, and where its rows go.

    Returns
    -------
    (payload, cells)
        ``payload``: observables ``jakstat_quantity_<j>`` = the model
        quantities the problem's observables read (``cp``'s columns), noise 1;
        the model as ``cp`` simulates it (``cp.sbml``: without the species that
        stay zero); one measurement row per unit, time and quantity (the unit's
        representative conditions; for PEtab v2, the conditions of
        :func:`_v2_unit_conditions`); the parameters the model or the
        condition table use.  ``cells``: per measurement row, (unit, time
        index, quantity index), an int array (rows, 3).
    """
    import pandas as pd
    from petab.v1 import C as PC

    from ..petab_io import ProblemPayload, problem_hash

    payload = cp.payload
    if payload.v2 is not None:
        condition_df, pairs = _v2_unit_conditions(cp)
        parameter_df = _v1_parameter_table(payload.parameter_df)
    else:
        condition_df, parameter_df = payload.condition_df, payload.parameter_df
        pairs = [(unit.preequilibration_id, unit.simulation_id) for unit in cp.plan.units]
    quantities = list(cp.quantities)
    obs_ids = [f"jakstat_quantity_{k}" for k in range(len(quantities))]
    observable_df = pd.DataFrame({PC.OBSERVABLE_ID: obs_ids,
                                  PC.OBSERVABLE_FORMULA: quantities,
                                  PC.NOISE_FORMULA: ["1"] * len(obs_ids)}
                                 ).set_index(PC.OBSERVABLE_ID)
    rows, cells = [], []
    for u, (unit, (pre, sim)) in enumerate(zip(cp.plan.units, pairs)):
        for i, t in enumerate(unit.times):
            for j, oid in enumerate(obs_ids):
                rows.append({PC.OBSERVABLE_ID: oid,
                             PC.PREEQUILIBRATION_CONDITION_ID: pre or np.nan,
                             PC.SIMULATION_CONDITION_ID: sim,
                             PC.TIME: float(t), PC.MEASUREMENT: 0.0})
                cells.append((u, i, j))
    mdf = pd.DataFrame(rows)
    if not any(pre for pre, _ in pairs):
        mdf = mdf.drop(columns=[PC.PREEQUILIBRATION_CONDITION_ID])
    used = set(cp.model_values)  # parameters of the model or the condition table
    for col in condition_df.columns:
        used |= {str(v) for v in condition_df[col] if isinstance(v, str)}
    pdf = parameter_df[parameter_df.index.isin(used)]
    sbml, renamed = _without_reserved_ids(cp.sbml)
    if renamed:  # the derived problem names them as the SBML now does
        observable_df[PC.OBSERVABLE_FORMULA] = [renamed.get(q, q) for q in quantities]
        condition_df = condition_df.rename(columns=renamed).replace(renamed)
        pdf = pdf.rename(index=renamed)
    derived = ProblemPayload(sbml, condition_df, mdf, observable_df, pdf,
                             hash=problem_hash(sbml, condition_df, mdf, observable_df, pdf))
    return derived, np.array(cells, dtype=int).reshape(-1, 3)


def amici_id(sid: str) -> str:
    """The id :func:`unit_problem` gives ``sid`` in AMICI's problem."""
    return f"jakstat_{sid}" if sid in _reserved() else sid


def _reserved() -> frozenset[str]:
    """Ids AMICI renames on import (``amici_<id>``) and then cannot find in its own PEtab
    parameter mapping (AMICI-dev/AMICI#2461, fixed after 1.0.1): a parameter ``k`` fails."""
    try:
        from amici.importers.utils import RESERVED_SYMBOLS
    except ImportError:
        return frozenset()
    return frozenset(RESERVED_SYMBOLS)


def _without_reserved_ids(sbml: str) -> tuple[str, dict[str, str]]:
    """``sbml`` with every id AMICI reserves renamed by :func:`amici_id`, and the renames."""
    import re

    import libsbml

    reserved = sorted(_reserved())
    if not reserved or not re.search(r'\bid="(?:%s)"' % "|".join(map(re.escape, reserved)),
                                     sbml):
        return sbml, {}  # none is an id (reading a large model takes longer than this look)
    document = libsbml.readSBMLFromString(sbml)
    renamed = {}
    for sid in reserved:
        element = document.getElementBySId(sid)
        if element is None:
            continue
        renamed[sid] = amici_id(sid)
        elements = document.getListOfAllElements()
        for k in range(elements.getSize()):
            elements.get(k).renameSIdRefs(sid, renamed[sid])
        element.setId(renamed[sid])
    return (libsbml.writeSBMLToString(document) if renamed else sbml), renamed


class UnitSensitivities:
    """Observables, noise SDs and their derivatives, one AMICI simulation per simulation unit.

    A PEtab problem often simulates the same thing under several condition
    ids (the Kirby problem: 42 (experiment, dose) conditions, 14 distinct
    doses; the experiments differ only in their scale and noise parameters).
    :class:`ObservableSensitivities` on the problem as given simulates each
    of them.  Here AMICI simulates each unit of the core's plan
    (:attr:`CompiledProblem.plan <jakstat_rules.calibrate.compiled.CompiledProblem.plan>`)
    once: a derived PEtab problem whose observables are the model quantities
    the observables read (``pSTAT1_total``, ...), measured at every time of
    the unit, with the parameters the model or the condition table use.
    AMICI returns those quantities ``q`` and ``dq/dp`` (forward
    sensitivities); the project's own observable code
    (:meth:`CompiledProblem.observables`, with every override, transformation
    and noise formula the value path uses) then gives ``h`` and ``sigma``.
    Their derivatives follow by the chain rule: for each parameter ``k``,
    ``d h/d p_k = (h(q + e S_k, p + e u_k) - h(q - e S_k, p - e u_k)) / 2e``
    with ``S_k = dq/dp_k``: a central difference of the *algebraic*
    observable formulas along the exact tangent, no simulation (error of
    order ``e**2`` times the formula's third derivative; ``e`` is 1e-5 of
    ``p_k``).

    Parameters
    ----------
    cp
        The compiled problem (values of ``p`` in the order of its ``estimated_ids``).
    nominal
        Linear values of all estimated parameters for a first trial evaluation.
    """

    #: Relative step of the central difference through the observable formulas.
    STEP = 1e-5
    #: Memory for the model quantities of the moved points per call of the formulas (bytes):
    #: the parameters go through in blocks that fit (all at once on the collection's problems:
    #: Lucarelli 2018 takes 75 MB).
    CHUNK_BYTES = 128e6

    def __init__(self, cp, nominal=None) -> None:
        self.cp = cp
        derived, cells = unit_problem(cp)
        payload, pdf = cp.payload, derived.parameter_df
        self.dynamic_ids = [amici_id(pid) for pid in cp.estimated_ids
                            if amici_id(pid) in pdf.index]
        self._dyn = np.array([k for k, pid in enumerate(cp.estimated_ids)
                              if amici_id(pid) in pdf.index], dtype=int)
        if nominal is None:
            table = payload.parameter_df
            nominal = [float(table.loc[pid, C.NOMINAL_VALUE]) for pid in cp.estimated_ids]
        self.amici = ObservableSensitivities(derived, self.dynamic_ids, derived.measurement_df,
                                             cp.rtol, cp.atol,
                                             nominal=np.asarray(nominal, float)[self._dyn])
        self._by_unit = [np.flatnonzero(cells[:, 0] == u) for u in range(len(cp.plan.units))]
        self._cells = cells
        #: Whether the observable formulas take all moved points at once (None: not yet tried).
        self._batched: bool | None = None

    def _arrays(self, values: np.ndarray) -> list[np.ndarray]:
        """Per unit, ``values`` (one per derived row, trailing axes kept) as (time, quantity, ...)."""
        out = []
        for u, unit in enumerate(self.cp.plan.units):
            idx = self._by_unit[u]
            arr = np.empty((len(unit.times), len(self.cp.quantities)) + values.shape[1:])
            arr[self._cells[idx, 1], self._cells[idx, 2]] = values[idx]
            out.append(arr)
        return out

    def _observables_at(self, moved_p: np.ndarray, moved: np.ndarray):
        """The observable formulas at K points at once (parameter vectors in the columns of
        ``moved_p``, the measured model quantities (row, quantity, K) in ``moved``), one
        call of the formulas per group instead of K.  A formula that does not take arrays
        of that shape is evaluated point by point, from then on."""
        if self._batched is not False:
            n, k = len(self.cp.y), moved_p.shape[1]
            try:
                h, sigma = self.cp.observables(moved_p, measured=moved)
                if h.shape == sigma.shape == (n, k):
                    self._batched = True
                    return h, sigma
            except Exception:  # noqa: BLE001  (a formula's numpy code; retried point by point)
                if self._batched:
                    raise
            self._batched = False
        points = [self.cp.observables(moved_p[:, j], measured=moved[..., j])
                  for j in range(moved_p.shape[1])]
        return np.stack([h for h, _ in points], axis=1), np.stack([s for _, s in points], axis=1)

    def evaluate(self, p: np.ndarray, derivatives: bool = True):
        """As :meth:`ObservableSensitivities.evaluate`, for linear values ``p`` of all
        estimated parameters of the problem."""
        p = np.asarray(p, float)
        q, _, dq, _ = self.amici.evaluate(p[self._dyn], derivatives=derivatives, noise=False)
        measured = self.cp.measured_quantities(self._arrays(q))  # (row, quantity)
        h, sigma = self.cp.observables(p, measured=measured)
        if not derivatives:
            return h, sigma, None, None
        # d quantity / d parameter at every row (row, quantity, dynamic parameter)
        slopes = self.cp.measured_quantities(self._arrays(dq))
        m = len(p)
        e = np.where(p != 0.0, self.STEP * np.abs(p), self.STEP * 1e-3)
        column = np.full(m, -1)  # the column of slopes of each parameter (-1: none)
        column[self._dyn] = np.arange(len(self._dyn))
        dh, dsigma = np.empty((len(h), m)), np.empty((len(h), m))
        # parameters in blocks, so that the moved quantities stay within CHUNK_BYTES
        block = max(1, int(self.CHUNK_BYTES // (16 * max(measured.size, 1))))
        for first in range(0, m, block):
            ks = np.arange(first, min(m, first + block))
            step = np.zeros((m, len(ks)))
            step[ks, np.arange(len(ks))] = e[ks]
            # the moved points in columns: p + e_k u_k for every k of the block, then p - e_k u_k
            moved_p = np.concatenate([p[:, None] + step, p[:, None] - step], axis=1)
            along = np.zeros(measured.shape + (len(ks),))  # e_k S_k; 0 for formulas' own
            dynamic = column[ks] >= 0
            along[..., dynamic] = slopes[..., column[ks][dynamic]] * e[ks][dynamic]
            moved = np.concatenate([measured[..., None] + along, measured[..., None] - along],
                                   axis=-1)
            hm, sm = self._observables_at(moved_p, moved)
            dh[:, ks] = (hm[:, :len(ks)] - hm[:, len(ks):]) / (2.0 * e[ks])
            dsigma[:, ks] = (sm[:, :len(ks)] - sm[:, len(ks):]) / (2.0 * e[ks])
        return h, sigma, dh, dsigma
