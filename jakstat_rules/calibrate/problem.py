"""PEtab v1 problems: loading, checking, and a compiled objective function.

A PEtab problem is read with :mod:`petab` (tables, YAML, linter) and then
*compiled once per process* into a :class:`CompiledProblem`:

* the SBML model is parsed and JIT-compiled by libroadrunner exactly once;
  every evaluation only resets the state (``resetAll``/``reset``) and sets
  parameters by id;
* observable and noise formulas (``petab.v1.math.sympify_petab``) are
  specialised per distinct (observable, observableParameters,
  noiseParameters) combination and compiled with :func:`sympy.lambdify`;
* scaling factors that enter an observable purely multiplicatively with
  normal noise are computed in closed form (weighted least squares) instead of
  being searched by the optimiser ("analytic scaling", as in hierarchical
  optimisation, Weber et al. 2011 / Loos et al. 2018).

The negative log-likelihood follows the PEtab v1 definition (normal or
Laplace noise on lin/log/log10 scale).  For normal noise
:class:`Objective` also exposes a residual vector whose half squared norm
equals the NLL up to a constant, so Gauss-Newton-type least-squares solvers
(scipy's ``least_squares``) can be used.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sympy as sp

from jakstat_rules.errors import JakstatInputError

__all__ = [
    "SimulationError",
    "load_problem",
    "lint_or_raise",
    "problem_hash",
    "ProblemPayload",
    "CompiledProblem",
    "Objective",
    "get_compiled",
]

log = logging.getLogger(__name__)

SCALES = ("lin", "log", "log10")
TIME_SYMBOLS = {"time", "t"}


class SimulationError(RuntimeError):
    """A model simulation failed (integrator error, non-finite output)."""


# ---------------------------------------------------------------------------
# loading and checking
# ---------------------------------------------------------------------------

class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:
            self.messages.append(record.getMessage())


def lint_or_raise(problem: Any) -> None:
    """Run the PEtab v1 linter and raise on any error.

    Parameters
    ----------
    problem
        A :class:`petab.v1.Problem` or the path of its YAML file.

    Raises
    ------
    JakstatInputError
        If the linter reports errors; the message lists them.
    """
    import petab.v1 as petab

    name = str(problem) if isinstance(problem, (str, os.PathLike)) else "problem"
    if isinstance(problem, (str, os.PathLike)):
        problem = _read_problem(problem)
    handler = _Collect()
    logger = logging.getLogger("petab")
    logger.addHandler(handler)
    try:
        failed = petab.lint_problem(problem)
    except Exception as exc:  # the linter itself choked on the tables
        raise JakstatInputError(
            f"PEtab problem {name!r} could not be checked by the PEtab linter "
            f"({type(exc).__name__}: {exc}); expected a valid PEtab v1 problem"
        ) from None
    finally:
        logger.removeHandler(handler)
    if failed:
        detail = "; ".join(handler.messages[:5]) or "see log"
        raise JakstatInputError(
            f"PEtab problem {name!r} fails the PEtab linter: {detail}; "
            f"expected a problem that passes petablint")


def _read_problem(yaml_path: str | os.PathLike):
    import petab.v1 as petab

    path = Path(yaml_path)
    if not path.is_file():
        raise JakstatInputError(f"PEtab problem file {str(path)!r} not found; "
                                f"expected a PEtab v1 YAML file")
    try:
        problem = petab.Problem.from_yaml(str(path))
    except Exception as exc:
        raise JakstatInputError(
            f"PEtab problem {str(path)!r} could not be read "
            f"({type(exc).__name__}: {exc}); expected a PEtab v1 YAML file "
            f"with SBML model and TSV tables") from None
    if problem.model is None or problem.model.type_id != "sbml":
        raise JakstatInputError(f"PEtab problem {str(path)!r} has no SBML "
                                f"model; expected an SBML model")
    return problem


def load_problem(yaml_path: str | os.PathLike, *, lint: bool = True):
    """Read a PEtab v1 problem with an SBML model and check it.

    Parameters
    ----------
    yaml_path
        The problem's YAML file.
    lint
        Run the PEtab linter (default).

    Returns
    -------
    petab.v1.Problem
        The problem.

    Raises
    ------
    JakstatInputError
        Missing or unreadable files, linter errors, bounds that exclude the
        nominal value of an estimated parameter, or PEtab features this
        calibrator does not support (priors, mapping tables).
    """
    problem = _read_problem(yaml_path)
    if lint:
        lint_or_raise(problem)
    check_supported(problem, str(yaml_path))
    return problem


def check_supported(problem, name: str = "problem") -> None:
    """Check bounds/nominal values and unsupported features.

    Raises
    ------
    JakstatInputError
        On a nominal value outside its bounds, or unsupported features.
    """
    pdf = problem.parameter_df
    for pid, row in pdf.iterrows():
        if int(row["estimate"]) != 1:
            continue
        lb, ub = float(row["lowerBound"]), float(row["upperBound"])
        nominal = row.get("nominalValue", math.nan)
        if pd.notna(nominal) and not lb <= float(nominal) <= ub:
            raise JakstatInputError(
                f"parameter {pid!r} in {name!r}: nominal value {nominal!r} "
                f"lies outside its bounds [{lb!r}, {ub!r}]; expected "
                f"lowerBound <= nominalValue <= upperBound")
        for col in ("objectivePriorType", "objectivePriorParameters"):
            if col in pdf.columns and pd.notna(row.get(col)) and str(row.get(col)).strip():
                raise JakstatInputError(
                    f"parameter {pid!r} in {name!r} has {col} "
                    f"{row.get(col)!r}; priors are not supported, expected no "
                    f"objective prior")
    if getattr(problem, "mapping_df", None) is not None and len(problem.mapping_df):
        raise JakstatInputError(f"{name!r} has a mapping table; mapping "
                                f"tables are not supported, expected none")


@dataclass(frozen=True)
class ProblemPayload:
    """Everything a worker needs to rebuild a problem (picklable).

    Attributes
    ----------
    sbml
        The SBML document as a string.
    condition_df, measurement_df, observable_df, parameter_df
        The PEtab tables.
    hash
        :func:`problem_hash` of the above.
    """

    sbml: str
    condition_df: pd.DataFrame
    measurement_df: pd.DataFrame
    observable_df: pd.DataFrame
    parameter_df: pd.DataFrame
    hash: str

    @classmethod
    def from_problem(cls, problem) -> "ProblemPayload":
        """Build the payload of a :class:`petab.v1.Problem`."""
        sbml = problem.model.to_sbml_str() if hasattr(
            problem.model, "to_sbml_str") else _sbml_string(problem)
        tables = (problem.condition_df, problem.measurement_df,
                  problem.observable_df, problem.parameter_df)
        return cls(sbml, *[t.copy() for t in tables],
                   hash=problem_hash(sbml, *tables))


def _sbml_string(problem) -> str:
    import libsbml

    return libsbml.writeSBMLToString(problem.sbml_document)


def problem_hash(sbml: str, *tables: pd.DataFrame) -> str:
    """SHA-256 of the SBML text and the PEtab tables (first 16 hex digits)."""
    h = hashlib.sha256(sbml.encode())
    for t in tables:
        h.update(t.to_csv(sep="\t", float_format="%.17g").encode())
    return h.hexdigest()[:16]


# ---------------------------------------------------------------------------
# compiled problem
# ---------------------------------------------------------------------------

def _scale(x: np.ndarray, scales: list[str]) -> np.ndarray:
    out = np.array(x, dtype=float)
    for i, s in enumerate(scales):
        if s == "log10":
            out[i] = np.log10(out[i])
        elif s == "log":
            out[i] = np.log(out[i])
    return out


def _unscale(x: np.ndarray, scales: list[str]) -> np.ndarray:
    out = np.array(x, dtype=float)
    for i, s in enumerate(scales):
        if s == "log10":
            out[i] = 10.0 ** out[i]
        elif s == "log":
            out[i] = np.exp(out[i])
    return out


def _split(text: Any) -> list[Any]:
    """Split a PEtab ``;``-separated override list into numbers / ids."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return []
    if isinstance(text, (int, float, np.number)):
        return [float(text)]
    out: list[Any] = []
    for part in str(text).split(";"):
        part = part.strip()
        if not part:
            continue
        try:
            out.append(float(part))
        except ValueError:
            out.append(part)
    return out


@dataclass
class _Group:
    """Measurements sharing observable and override parameters."""

    rows: np.ndarray
    obs_expr: sp.Expr
    noise_expr: sp.Expr
    transformation: str
    distribution: str
    model_syms: list[str] = field(default_factory=list)
    param_syms: list[str] = field(default_factory=list)
    obs_fn: Any = None
    noise_fn: Any = None
    scale_param: str | None = None


class CompiledProblem:
    """A PEtab v1 problem with its SBML model compiled once by libroadrunner.

    Parameters
    ----------
    payload
        The problem (see :class:`ProblemPayload`).
    rtol, atol
        Integrator tolerances (CVODE).

    Notes
    -----
    Parameter vectors called ``p`` below are *linear-scale* values of all
    estimated parameters, in the order of :attr:`estimated_ids`.
    """

    def __init__(self, payload: ProblemPayload, rtol: float = 1e-10,
                 atol: float = 1e-10) -> None:
        import roadrunner

        self.payload = payload
        self.hash = payload.hash
        try:
            self.rr = roadrunner.RoadRunner(payload.sbml)
        except Exception as exc:
            raise JakstatInputError(
                f"SBML model could not be loaded by libroadrunner ({exc}); "
                f"expected a valid SBML model") from None
        integ = self.rr.integrator
        integ.relative_tolerance = rtol
        integ.absolute_tolerance = atol
        integ.maximum_num_steps = 200000
        self.rtol, self.atol = rtol, atol
        model = self.rr.model
        self.species = list(model.getFloatingSpeciesIds()) + list(
            model.getBoundarySpeciesIds())
        self.compartments = list(model.getCompartmentIds())
        self.global_params = list(model.getGlobalParameterIds())
        rule_ids = set(self.rr.getAssignmentRuleIds()) | set(
            self.rr.getRateRuleIds())
        self.settable_params = [p for p in self.global_params if p not in rule_ids]
        self._species_only_substance = self._only_substance(payload.sbml)

        pdf = payload.parameter_df
        self.parameter_ids = list(pdf.index)
        est = pdf["estimate"].astype(int) == 1
        self.estimated_ids = list(pdf.index[est])
        self.scales = [str(pdf.at[i, "parameterScale"]) for i in self.estimated_ids]
        self.lb = pdf.loc[self.estimated_ids, "lowerBound"].to_numpy(float)
        self.ub = pdf.loc[self.estimated_ids, "upperBound"].to_numpy(float)
        nominal = pdf["nominalValue"] if "nominalValue" in pdf else pd.Series(
            np.nan, index=pdf.index)
        self.nominal_all = {i: float(nominal[i]) for i in pdf.index}
        self.nominal = np.array([self.nominal_all[i] for i in self.estimated_ids])
        self._est_index = {pid: k for k, pid in enumerate(self.estimated_ids)}

        self._build_conditions()
        self._build_groups()
        self.dynamic = np.array(sorted(self._dynamic_idx), dtype=int)
        self._cache_key: tuple | None = None
        self._cache_val: np.ndarray | None = None
        self.analytic_candidates = self._find_analytic_scalings()

    # -- set-up ------------------------------------------------------------
    @staticmethod
    def _only_substance(sbml: str) -> set[str]:
        import libsbml

        doc = libsbml.readSBMLFromString(sbml)
        return {s.getId() for s in doc.getModel().getListOfSpecies()
                if s.getHasOnlySubstanceUnits()}

    def _value_of(self, v: Any, where: str) -> tuple[float, int]:
        """Return (constant, estimated index or -1) for a table entry."""
        if isinstance(v, str):
            if v in self._est_index:
                return math.nan, self._est_index[v]
            if v in self.nominal_all:
                return self.nominal_all[v], -1
            raise JakstatInputError(
                f"{where}: {v!r} is neither a number nor a parameter of the "
                f"parameter table; expected one of those")
        return float(v), -1

    def _condition_settings(self, cid: str):
        """(param ids, const values, est index) and species/compartment sets."""
        cdf = self.payload.condition_df
        if cid not in cdf.index:
            raise JakstatInputError(f"condition {cid!r} not in the condition "
                                    f"table; expected one of {list(cdf.index)}")
        row = cdf.loc[cid]
        pars: dict[str, Any] = {}
        for pid in self.settable_params:
            if pid in self.nominal_all:
                pars[pid] = pid  # resolved via parameter table
        others: dict[str, Any] = {}
        for col, v in row.items():
            if col == "conditionName" or (not isinstance(v, str) and pd.isna(v)):
                continue
            if isinstance(v, str):
                try:
                    v = float(v)
                except ValueError:
                    pass
            if col in self.settable_params:
                pars[col] = v
            elif col in self.species or col in self.compartments:
                others[col] = v
            else:
                raise JakstatInputError(
                    f"condition table column {col!r} is not a parameter, "
                    f"species or compartment of the model; expected a model id")
        ids, consts, eidx = [], [], []
        for pid, v in pars.items():
            c, e = self._value_of(v, f"condition {cid!r}, column {pid!r}")
            ids.append(pid)
            consts.append(c)
            eidx.append(e)
        o_ids, o_consts, o_eidx = [], [], []
        for sid, v in others.items():
            c, e = self._value_of(v, f"condition {cid!r}, column {sid!r}")
            if sid in self.compartments:
                key = sid
            elif sid in self._species_only_substance:
                key = f"init({sid})"
            else:
                key = f"init([{sid}])"
            o_ids.append(key)
            o_consts.append(c)
            o_eidx.append(e)
        for e in eidx + o_eidx:
            if e >= 0:
                self._dynamic_idx.add(e)
        return (ids, np.array(consts), np.array(eidx, dtype=int),
                o_ids, np.array(o_consts), np.array(o_eidx, dtype=int))

    def _build_conditions(self) -> None:
        mdf = self.payload.measurement_df.reset_index(drop=True)
        self._dynamic_idx: set[int] = set()
        pre = (mdf["preequilibrationConditionId"].fillna("").astype(str)
               if "preequilibrationConditionId" in mdf else pd.Series("", index=mdf.index))
        sim = mdf["simulationConditionId"].astype(str)
        pairs = list(dict.fromkeys(zip(pre, sim)))
        self._cond_settings = {}
        for p, s in pairs:
            for cid in (p, s):
                if cid and cid not in self._cond_settings:
                    self._cond_settings[cid] = self._condition_settings(cid)
        # conditions with identical settings (e.g. the same dose in several
        # experiments) are simulated once
        def signature(cid: str) -> tuple:
            if not cid:
                return ()
            ids, c, e, oi, oc, oe = self._cond_settings[cid]
            return (tuple(ids), tuple(np.nan_to_num(c, nan=-1.234e300).tolist()),
                    tuple(e.tolist()), tuple(oi),
                    tuple(np.nan_to_num(oc, nan=-1.234e300).tolist()), tuple(oe.tolist()))

        units: dict[tuple, int] = {}
        pair_unit = {}
        #: representative (preequilibration, simulation) condition per unit
        self.conditions: list[tuple[str, str]] = []
        #: all PEtab condition pairs simulated by each unit
        self.condition_members: list[list[tuple[str, str]]] = []
        for pair in pairs:
            sig = (signature(pair[0]), signature(pair[1]))
            if sig not in units:
                units[sig] = len(self.conditions)
                self.conditions.append(pair)
                self.condition_members.append([])
            pair_unit[pair] = units[sig]
            self.condition_members[units[sig]].append(pair)
        self.row_cond = np.array([pair_unit[x] for x in zip(pre, sim)], dtype=int)
        self.y = mdf["measurement"].to_numpy(float)
        self.t = mdf["time"].to_numpy(float)
        self.cond_times: list[np.ndarray] = []
        self.row_tidx = np.zeros(len(mdf), dtype=int)
        for k in range(len(pairs)):
            rows = np.flatnonzero(self.row_cond == k)
            times = np.unique(self.t[rows])
            self.cond_times.append(times)
            self.row_tidx[rows] = np.searchsorted(times, self.t[rows])
        self.measurement_df = mdf

    def _build_groups(self) -> None:
        from petab.v1.math import sympify_petab

        mdf = self.measurement_df
        odf = self.payload.observable_df
        obs_par = (mdf["observableParameters"] if "observableParameters" in mdf
                   else pd.Series(np.nan, index=mdf.index))
        noise_par = (mdf["noiseParameters"] if "noiseParameters" in mdf
                     else pd.Series(np.nan, index=mdf.index))
        keys = [(o, str(a), str(b)) for o, a, b in
                zip(mdf["observableId"], obs_par, noise_par)]
        model_ids = set(self.species) | set(self.compartments) | set(self.global_params)
        self.groups: list[_Group] = []
        self.model_selection: list[str] = []
        key_rows: dict[tuple, list[int]] = {}
        for i, k in enumerate(keys):
            key_rows.setdefault(k, []).append(i)
        for (oid, _, _), rows in key_rows.items():
            orow = odf.loc[oid]
            r0 = rows[0]
            subs = {}
            for prefix, values in (("observableParameter", _split(obs_par.iloc[r0])),
                                   ("noiseParameter", _split(noise_par.iloc[r0]))):
                for n, v in enumerate(values, start=1):
                    subs[sp.Symbol(f"{prefix}{n}_{oid}", real=True)] = (
                        sp.Float(v) if isinstance(v, float) else sp.Symbol(v, real=True))
            obs_expr = sympify_petab(orow["observableFormula"])
            nf = orow.get("noiseFormula", 1.0)
            noise_expr = sympify_petab(nf if pd.notna(nf) else 1.0)
            obs_expr = self._subs(obs_expr, subs)
            noise_expr = self._subs(noise_expr, subs)
            # an observable id inside a noise formula means its value
            noise_expr = noise_expr.subs(sp.Symbol(oid, real=True), obs_expr).subs(
                sp.Symbol(oid), obs_expr)
            trans = str(orow.get("observableTransformation", "lin"))
            trans = "lin" if trans in ("nan", "") else trans
            dist = str(orow.get("noiseDistribution", "normal"))
            dist = "normal" if dist in ("nan", "") else dist
            if dist not in ("normal", "laplace") or trans not in SCALES:
                raise JakstatInputError(
                    f"observable {oid!r}: noise {dist!r} / transformation "
                    f"{trans!r} unsupported; expected normal or laplace and "
                    f"lin, log or log10")
            g = _Group(np.array(rows, dtype=int), obs_expr, noise_expr, trans, dist)
            names = sorted({s.name for s in obs_expr.free_symbols | noise_expr.free_symbols})
            for name in names:
                if name in TIME_SYMBOLS and name not in model_ids:
                    continue
                if name in model_ids and name not in self._est_index:
                    g.model_syms.append(name)
                elif name in self.nominal_all:
                    g.param_syms.append(name)
                else:
                    raise JakstatInputError(
                        f"observable {oid!r} uses {name!r}, which is neither a "
                        f"model entity nor in the parameter table; expected "
                        f"one of those")
            args = [sp.Symbol(n, real=True) for n in g.model_syms + g.param_syms] + [
                sp.Symbol("time", real=True), sp.Symbol("t", real=True)]
            # free symbols may come unflagged from sympify_petab: unify
            plain = {sp.Symbol(s.name): sp.Symbol(s.name, real=True)
                     for s in obs_expr.free_symbols | noise_expr.free_symbols}
            g.obs_expr = obs_expr.xreplace(plain)
            g.noise_expr = noise_expr.xreplace(plain)
            g.obs_fn = sp.lambdify(args, g.obs_expr, modules="numpy")
            g.noise_fn = sp.lambdify(args, g.noise_expr, modules="numpy")
            for name in g.model_syms:
                if name not in self.model_selection:
                    self.model_selection.append(name)
            self.groups.append(g)
        self._sel_index = {n: k for k, n in enumerate(self.model_selection)}
        self._rr_selection = ["time"] + [
            (f"[{n}]" if n in self.species and n not in self._species_only_substance
             else n) for n in self.model_selection]

    @staticmethod
    def _subs(expr: sp.Expr, subs: dict) -> sp.Expr:
        plain = {sp.Symbol(k.name): v for k, v in subs.items()}
        return expr.xreplace(subs).xreplace(plain)

    def _find_analytic_scalings(self) -> dict[str, list[int]]:
        """Estimated parameters that are pure multiplicative scalings."""
        cands: dict[str, list[int]] = {}
        bad: set[str] = set()
        for gi, g in enumerate(self.groups):
            for name in g.param_syms:
                s = sp.Symbol(name, real=True)
                if name not in self._est_index:
                    continue
                k = self._est_index[name]
                if k in self._dynamic_idx:
                    bad.add(name)
                    continue
                if s in g.noise_expr.free_symbols:
                    bad.add(name)
                    continue
                if s not in g.obs_expr.free_symbols:
                    continue
                ok = (g.distribution == "normal" and g.transformation == "lin")
                if ok:
                    rest = sp.simplify(g.obs_expr / s)
                    ok = s not in rest.free_symbols
                if not ok:
                    bad.add(name)
                    continue
                cands.setdefault(name, []).append(gi)
        # a group may only carry one scaling parameter
        for gi, g in enumerate(self.groups):
            inside = [n for n in cands if gi in cands[n]]
            if len(inside) > 1:
                bad.update(inside)
        return {n: v for n, v in cands.items() if n not in bad}

    # -- simulation --------------------------------------------------------
    def _apply(self, cid: str, p: np.ndarray, initial: bool) -> bool:
        ids, consts, eidx, o_ids, o_consts, o_eidx = self._cond_settings[cid]
        vals = np.where(eidx >= 0, p[np.maximum(eidx, 0)], consts)
        ok = np.isfinite(vals)
        rr = self.rr
        if len(ids):
            idx = np.flatnonzero(ok)
            if len(idx):
                rr.setValues([ids[i] for i in idx], vals[idx].tolist())
        if o_ids:
            ovals = np.where(o_eidx >= 0, p[np.maximum(o_eidx, 0)], o_consts)
            for key, v in zip(o_ids, ovals):
                if not np.isfinite(v):
                    continue
                if initial or key in self.compartments:
                    rr[key] = float(v)
                else:  # after pre-equilibration: set the current state
                    sid = key[5:-1].strip("[]")
                    rr[f"[{sid}]" if key.startswith("init([") else sid] = float(v)
        return bool(o_ids)

    def _steady_state(self) -> None:
        rr = self.rr
        t, dt = 0.0, 10.0
        for _ in range(60):
            rr.simulate(t, t + dt, 2)
            t += dt
            rates = np.abs(np.asarray(rr.getRatesOfChange(), float))
            state = np.abs(np.asarray(rr.model.getFloatingSpeciesAmounts(), float))
            if rates.size == 0 or rates.max() <= 1e-9 * (1.0 + state.max(initial=0.0)):
                return
            dt *= 2.0
        raise SimulationError("no steady state reached during "
                              "pre-equilibration / steady-state measurement")

    def simulate(self, p: np.ndarray) -> list[np.ndarray]:
        """Simulate every condition; cached on the dynamic parameters.

        Parameters
        ----------
        p
            Linear values of all estimated parameters.

        Returns
        -------
        list of numpy.ndarray
            Per condition an array (n_times, n_selected) with the model
            quantities used by the observables at the measured times.

        Raises
        ------
        SimulationError
            Integrator failure or non-finite results.
        """
        key = tuple(np.asarray(p, float)[self.dynamic].tolist())
        if key == self._cache_key and self._cache_val is not None:
            return self._cache_val
        rr = self.rr
        out = []
        n_sel = len(self.model_selection)
        for k, (pre, sim) in enumerate(self.conditions):
            times = self.cond_times[k]
            try:
                rr.resetAll()
                first = pre or sim
                self._apply(first, p, initial=True)
                rr.reset()  # re-evaluate initial assignments
                if pre:
                    self._steady_state()
                    self._apply(sim, p, initial=False)
                finite = times[np.isfinite(times)]
                res = np.empty((len(times), n_sel))
                if len(finite):
                    grid = np.unique(np.concatenate([[0.0], finite]))
                    if len(grid) == 1:
                        grid = np.array([0.0, 0.0])
                        data = np.asarray(rr.simulate(
                            0.0, 1e-12, 2, selections=self._rr_selection))[:1]
                        data = np.vstack([data, data])
                    else:
                        data = np.asarray(rr.simulate(
                            times=grid.tolist(), selections=self._rr_selection))
                    pos = np.searchsorted(grid, finite)
                    res[: len(finite)] = data[pos, 1:]
                if len(finite) < len(times):
                    self._steady_state()
                    res[len(finite):] = np.asarray(
                        [rr[s] for s in self._rr_selection[1:]], float)
            except SimulationError:
                raise
            except Exception as exc:
                raise SimulationError(f"condition {sim!r}: {exc}") from None
            if not np.all(np.isfinite(res)):
                raise SimulationError(f"condition {sim!r}: non-finite output")
            out.append(res)
        self._cache_key, self._cache_val = key, out
        return out

    def simulate_dense(self, p: np.ndarray, n: int = 120) -> list[tuple[np.ndarray, np.ndarray]]:
        """Simulate every condition on a dense time grid (for plots)."""
        rr = self.rr
        out = []
        for k, (pre, sim) in enumerate(self.conditions):
            times = self.cond_times[k]
            tmax = float(np.max(times[np.isfinite(times)], initial=1.0))
            rr.resetAll()
            self._apply(pre or sim, p, initial=True)
            rr.reset()
            if pre:
                self._steady_state()
                self._apply(sim, p, initial=False)
            data = np.asarray(rr.simulate(0.0, tmax, n, selections=self._rr_selection))
            out.append((data[:, 0], data[:, 1:]))
        return out

    # -- observables -------------------------------------------------------
    def _param_value(self, name: str, p: np.ndarray) -> float:
        k = self._est_index.get(name)
        return float(p[k]) if k is not None else self.nominal_all[name]

    def _group_eval(self, g: _Group, p: np.ndarray, sims: list[np.ndarray],
                    rows: np.ndarray | None = None,
                    dense: tuple[np.ndarray, np.ndarray] | None = None):
        if dense is None:
            rows = g.rows if rows is None else rows
            conds, tidx = self.row_cond[rows], self.row_tidx[rows]
            tvals = self.t[rows]
            model_vals = []
            for name in g.model_syms:
                j = self._sel_index[name]
                col = np.empty(len(rows))
                for c in np.unique(conds):
                    m = conds == c
                    col[m] = sims[c][tidx[m], j]
                model_vals.append(col)
        else:
            tvals, arr = dense
            model_vals = [arr[:, self._sel_index[n]] for n in g.model_syms]
        args = model_vals + [self._param_value(n, p) for n in g.param_syms] + [tvals, tvals]
        with np.errstate(all="ignore"):
            h = np.broadcast_to(np.asarray(g.obs_fn(*args), float), tvals.shape)
            s = np.broadcast_to(np.asarray(g.noise_fn(*args), float), tvals.shape)
        return h, s

    def observables(self, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Simulated observables and noise SDs for all measurements.

        Parameters
        ----------
        p
            Linear values of all estimated parameters.

        Returns
        -------
        (h, sigma)
            Arrays aligned with the measurement table rows.
        """
        sims = self.simulate(p)
        h = np.empty(len(self.y))
        s = np.empty(len(self.y))
        for g in self.groups:
            hg, sg = self._group_eval(g, p, sims)
            h[g.rows], s[g.rows] = hg, sg
        return h, s

    def nll_terms(self, h: np.ndarray, s: np.ndarray) -> np.ndarray:
        """Per-measurement negative log-likelihood (PEtab v1 definition)."""
        out = np.empty(len(self.y))
        with np.errstate(all="ignore"):
            for g in self.groups:
                r = g.rows
                y, hh, ss = self.y[r], h[r], s[r]
                if g.transformation == "lin":
                    d, jac = y - hh, 0.0
                elif g.transformation == "log":
                    d, jac = np.log(y) - np.log(hh), np.log(y)
                else:
                    d = np.log10(y) - np.log10(hh)
                    jac = np.log(y * np.log(10.0))
                if g.distribution == "normal":
                    out[r] = 0.5 * np.log(2 * np.pi * ss ** 2) + 0.5 * (d / ss) ** 2 + jac
                else:
                    out[r] = np.log(2 * ss) + np.abs(d) / ss + jac
        return out

    def nll(self, p: np.ndarray) -> float:
        """Negative log-likelihood at linear parameters ``p`` (all estimated).

        Returns ``inf`` for non-finite values; raises :class:`SimulationError`
        when the simulation fails.
        """
        h, s = self.observables(p)
        val = float(np.sum(self.nll_terms(h, s)))
        return val if math.isfinite(val) else math.inf


_COMPILED: dict[tuple, CompiledProblem] = {}


def get_compiled(payload: ProblemPayload, rtol: float = 1e-10,
                 atol: float = 1e-10) -> CompiledProblem:
    """Return the compiled problem for ``payload``, compiled once per thread.

    A roadrunner instance is not thread safe, so threads of one process
    (dask workers with ``processes=False``) each get their own copy.
    """
    key = (payload.hash, rtol, atol, threading.get_ident())
    cp = _COMPILED.get(key)
    if cp is None:
        cp = CompiledProblem(payload, rtol=rtol, atol=atol)
        _COMPILED[key] = cp
    return cp


class Objective:
    """The NLL of a compiled problem as a function of the free parameters.

    Parameters
    ----------
    cp
        The compiled problem.
    fixed
        Estimated parameters held fixed: id -> linear value (profiles,
        validation).
    analytic
        Compute multiplicative scaling factors in closed form.

    Attributes
    ----------
    free_ids
        Ids of the parameters the optimiser moves (on their PEtab scale).
    analytic_ids
        Ids computed in closed form for every evaluation.
    """

    def __init__(self, cp: CompiledProblem, fixed: dict[str, float] | None = None,
                 analytic: bool = True) -> None:
        self.cp = cp
        self.fixed = dict(fixed or {})
        for pid in self.fixed:
            if pid not in cp._est_index:
                raise JakstatInputError(f"cannot fix {pid!r}: not an estimated "
                                        f"parameter; expected one of {cp.estimated_ids}")
        self.analytic_ids = [pid for pid in cp.analytic_candidates
                             if analytic and pid not in self.fixed]
        self.free_ids = [pid for pid in cp.estimated_ids
                         if pid not in self.fixed and pid not in self.analytic_ids]
        self.free_idx = np.array([cp._est_index[i] for i in self.free_ids], dtype=int)
        self.free_scales = [cp.scales[i] for i in self.free_idx]
        self.lb = _scale(cp.lb[self.free_idx], self.free_scales)
        self.ub = _scale(cp.ub[self.free_idx], self.free_scales)
        self.n_eval = 0
        self.least_squares = all(g.distribution == "normal" for g in cp.groups)
        self._sigma_const = self._sigma_constant()

    def _base(self, x: np.ndarray) -> np.ndarray:
        cp = self.cp
        p = cp.nominal.copy()
        for pid, v in self.fixed.items():
            p[cp._est_index[pid]] = v
        p[self.free_idx] = _unscale(np.asarray(x, float), self.free_scales)
        for pid in self.analytic_ids:
            p[cp._est_index[pid]] = 1.0
        return p

    def evaluate(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return (p, h, sigma): full linear parameters, observables, SDs.

        Analytic scaling factors in ``p`` are set to their optimum (clipped
        to the bounds).
        """
        cp = self.cp
        self.n_eval += 1
        p = self._base(x)
        h, s = cp.observables(p)
        for pid in self.analytic_ids:
            k = cp._est_index[pid]
            rows = np.concatenate([cp.groups[gi].rows for gi in cp.analytic_candidates[pid]])
            w = 1.0 / s[rows] ** 2
            den = np.sum(w * h[rows] ** 2)
            if den > 0 and np.isfinite(den):
                val = np.sum(w * h[rows] * cp.y[rows]) / den
            else:
                val = cp.nominal[k] if np.isfinite(cp.nominal[k]) else cp.lb[k]
            val = float(np.clip(val, cp.lb[k], cp.ub[k]))
            p[k] = val
            h[rows] = h[rows] * val
        return p, h, s

    def fval(self, x: np.ndarray) -> float:
        """NLL at scaled free parameters ``x`` (``inf`` if simulation fails)."""
        try:
            _, h, s = self.evaluate(x)
        except SimulationError:
            return math.inf
        v = float(np.sum(self.cp.nll_terms(h, s)))
        return v if math.isfinite(v) else math.inf

    def _sigma_constant(self) -> float | None:
        """Constant making sqrt(log(2 pi sigma^2) + C) real, or None if
        sigma does not depend on estimated parameters."""
        cp = self.cp
        depends = False
        for g in cp.groups:
            names = {s.name for s in g.noise_expr.free_symbols}
            if names & (set(self.free_ids) | set(self.analytic_ids)) or (
                    names & set(g.model_syms)):
                depends = True
        if not depends:
            return None
        # smallest sigma over the corners of the box of noise parameters
        smin = math.inf
        for g in cp.groups:
            if set(g.model_syms) & {s.name for s in g.noise_expr.free_symbols}:
                return 60.0
            names = [n for n in g.param_syms if n in self.free_ids]
            subs = {}
            for n in g.param_syms:
                if n not in names:
                    k = cp._est_index.get(n)
                    subs[sp.Symbol(n, real=True)] = sp.Float(float(
                        self.fixed.get(n, cp.nominal[k]) if k is not None
                        else cp.nominal_all[n]))
            expr = g.noise_expr.xreplace(subs)
            if len(names) > 8:
                return 60.0
            for corner in range(2 ** len(names)):
                vals = {}
                for b, n in enumerate(names):
                    k = cp._est_index[n]
                    vals[sp.Symbol(n, real=True)] = sp.Float(float(
                        cp.ub[k] if (corner >> b) & 1 else cp.lb[k]))
                try:
                    v = abs(float(sp.sympify(expr).xreplace(vals)))
                except (TypeError, ValueError):
                    return 60.0
                smin = min(smin, v)
        if not math.isfinite(smin) or smin <= 0:
            return 60.0
        return max(0.0, -math.log(2 * math.pi * smin ** 2)) + 1.0

    def residuals(self, x: np.ndarray) -> np.ndarray:
        """Residuals whose half squared norm is the NLL plus a constant.

        Weighted residuals ``(y - h) / sigma`` (on the observable's
        transformation scale) followed, if sigma depends on parameters, by
        ``sqrt(log(2 pi sigma^2) + C)``.  Only for normal noise.
        """
        cp = self.cp
        n = len(cp.y)
        size = n if self._sigma_const is None else 2 * n
        try:
            _, h, s = self.evaluate(x)
        except SimulationError:
            return np.full(size, 1e10)
        r = np.empty(n)
        with np.errstate(all="ignore"):
            for g in cp.groups:
                rows = g.rows
                if g.transformation == "lin":
                    d = cp.y[rows] - h[rows]
                elif g.transformation == "log":
                    d = np.log(cp.y[rows]) - np.log(h[rows])
                else:
                    d = np.log10(cp.y[rows]) - np.log10(h[rows])
                r[rows] = d / s[rows]
            if self._sigma_const is not None:
                extra = np.sqrt(np.maximum(np.log(2 * np.pi * s ** 2) + self._sigma_const, 0.0))
                r = np.concatenate([r, extra])
        r[~np.isfinite(r)] = 1e10
        return r

    def full_parameters(self, x: np.ndarray) -> dict[str, float]:
        """All estimated parameters (linear) at free parameters ``x``."""
        p, _, _ = self.evaluate(x)
        return dict(zip(self.cp.estimated_ids, p.tolist()))

    def x_from_parameters(self, params: dict[str, float]) -> np.ndarray:
        """Scaled free-parameter vector from an id -> linear value dict."""
        vals = np.array([params[i] for i in self.free_ids], float)
        return _scale(vals, self.free_scales)
