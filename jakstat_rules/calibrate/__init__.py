"""Calibration of SBML models to data through PEtab v1 problems.

Modules, one concern each:

* :mod:`.mapping` - parameter table, scales and condition settings (libpetab's
  parameter mapping);
* :mod:`.observables` - observable and noise formulas compiled to functions;
* :mod:`.simulation` - PEtab conditions simulated on the one simulation core
  (:class:`jakstat_rules.engine.Engine`), pre-equilibration, steady states;
* :mod:`.likelihood` - PEtab negative log-likelihood terms and residuals;
* :mod:`.pruning` - the species a problem's simulation units start non-zero, for
  :mod:`jakstat_rules.pruning` (the species that stay zero in all of them are left
  out of the simulated model);
* :mod:`.compiled` - a PEtab problem compiled once (``CompiledProblem``);
* :mod:`.objective` - the objective optimisers see (analytic scaling factors);
* :mod:`.parallel` - running starts here, on a local dask cluster or a scheduler;
* :mod:`.optimizers` - the local optimisers of one start (trf, fides, lbfgsb) and
  the fit settings;
* :mod:`.multistart` - the multistart driver;
* :mod:`.store` - the resumable, locked run folder of calibrate, profile and
  validate (identity, checksummed records, resume checks, reading fits);
* :mod:`.results` - the result files of a fit and their readers;
* :mod:`.pypesto_adapter` - the objective as a pyPESTO objective;
* :mod:`.profile` - profile likelihoods and identifiability;
* :mod:`.validate` - prediction of a validation problem;
* :mod:`.export` - fitted model as SBML and COPASI file;
* :mod:`.report` - plots; :mod:`.cli` - the ``jakstat`` subcommands;
* :mod:`.example` - small problems with known answers (tests, benchmarks).

Below this package: :mod:`jakstat_rules.petab_io` (reading, linting,
supported-feature checks, problem hash, writing problem folders; shared with
the data importer) and :mod:`jakstat_rules.data.kirby` (the Kirby 2021 PEtab
problems).

The heavy modules are imported lazily: ``from jakstat_rules.calibrate import
calibrate`` works without importing dask or matplotlib up front.  The
profile and validation functions are exported as :func:`compute_profiles`
and :func:`validate_fit` (``profile`` and ``validate`` are module names).
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "calibrate", "load_fit", "FitSettings",
    "compute_profiles", "validate_fit", "export_fit",
    "write_kirby_petab", "load_kirby", "read_kirby_csv", "ESTIMATED_PARAMETERS",
    "load_problem", "CompiledProblem", "Objective",
    "read_optimize_result", "pypesto_result", "evaluate_nominal", "ObjectivePriors",
]

_WHERE = {
    "calibrate": "multistart", "load_fit": "store", "FitSettings": "optimizers",
    "compute_profiles": ("profile", "profile"),
    "validate_fit": ("validate", "validate"), "export_fit": "export",
    "write_kirby_petab": ".data.kirby", "load_kirby": ".data.kirby",
    "read_kirby_csv": ".data.kirby",
    "ESTIMATED_PARAMETERS": ".data.kirby", "load_problem": ".petab_io",
    "CompiledProblem": "compiled", "Objective": "objective",
    "read_optimize_result": "results", "pypesto_result": "results",
    "evaluate_nominal": "nominal", "ObjectivePriors": "priors",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        where = _WHERE[name]
        module_name, attr = where if isinstance(where, tuple) else (where, name)
        module = importlib.import_module(f".{module_name}", __name__)
        return getattr(module, attr)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
