"""The fit the supplement reports: a ``jakstat calibrate`` folder, checked, and its validation.

:func:`load_fit_results` reads a fit folder (``summary.json``,
``best_parameters.tsv``, plots ...) and, when present, the prediction of
the validation experiment (``validation.json`` of ``jakstat validate``, in
the fit folder as in the committed reference results, or in a folder of its
own).  The fit must be one of the training problem the supplement ships
(:mod:`.problem` finds it): its ``problem_hash`` must equal that problem's
hash, so the SED-ML, the PEtab files and the fitted values belong together.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import JakstatInputError
from ..io import read_json

__all__ = ["FitResults", "load_fit_results", "default_fit_dir", "FIT_FILE_SUFFIXES"]

#: Files of a fit or validation folder copied into the supplement (by suffix).
FIT_FILE_SUFFIXES = (".json", ".tsv", ".png", ".svg")
#: Files never copied (run bookkeeping, logs, locks).
SKIPPED = {"run.json", "solver.log", ".lock"}


@dataclass
class FitResults:
    """A checked fit and, if any, its validation.

    Attributes
    ----------
    folder
        The fit folder.
    summary
        ``summary.json``.
    parameters
        Fitted model parameters (ids of the SBML model) -> value.
    observation
        Fitted observation parameters (scales, noise SDs) -> value.
    validation
        ``validation.json`` or None.
    validation_folder
        Where it was read (None if absent).
    """

    folder: Path
    summary: dict
    parameters: dict[str, float]
    observation: dict[str, float]
    validation: dict | None = None
    validation_folder: Path | None = None

    def files(self) -> list[tuple[Path, str]]:
        """(source file, name in the archive's ``fit/`` folder) of the summaries and plots."""
        out: dict[str, Path] = {}
        for folder, rename in ((self.folder, {}),
                               (self.validation_folder, {"fit.png": "validation_fit.png"})):
            if folder is None:
                continue
            for path in sorted(folder.iterdir()):
                if path.is_file() and path.suffix in FIT_FILE_SUFFIXES and path.name not in SKIPPED:
                    name = rename.get(path.name, path.name) if folder != self.folder else path.name
                    if folder != self.folder and name in out:
                        continue
                    out[name] = path
        return [(path, name) for name, path in sorted(out.items())]


def default_fit_dir() -> Path | None:
    """The committed reference results (``calibration/kirby2021/results``) of a repository
    checkout, or None (an installed package has none)."""
    root = Path(__file__).resolve().parents[2]
    folder = root / "calibration" / "kirby2021" / "results"
    return folder if (folder / "summary.json").is_file() else None


def load_fit_results(fit_dir: str | os.PathLike, model_parameters: set[str],
                     train_hash: str | None = None,
                     validation_dir: str | os.PathLike | None = None) -> FitResults:
    """Read and check a fit folder (and its validation).

    Parameters
    ----------
    fit_dir
        Output folder of ``jakstat calibrate`` (or the committed reference results).
    model_parameters
        Global parameter ids of the model: fitted values with these ids are
        model parameters, the others observation parameters.
    train_hash
        Hash of the training problem; a fit of another problem is refused.
    validation_dir
        Folder of ``jakstat validate``; default: ``fit_dir`` if it holds a
        ``validation.json``.

    Raises
    ------
    JakstatInputError
        A missing folder, a folder without a finished fit, a fit of another
        problem, a damaged or foreign validation (one line each).
    """
    from ..calibrate.store import load_fit

    folder = Path(fit_dir)
    if not folder.is_dir():
        what = "is a file" if folder.exists() else "does not exist"
        raise JakstatInputError(f"fit folder {str(folder)!r} {what}: expected the --out folder of "
                                f"'jakstat calibrate' (or calibration/kirby2021/results)")
    summary = load_fit(folder)
    if train_hash is not None and summary.get("problem_hash") != train_hash:
        raise JakstatInputError(
            f"fit folder {str(folder)!r} is a fit of another problem (problem hash "
            f"{summary.get('problem_hash')!r}, problem {summary.get('problem')!r}): expected a fit "
            f"of the problem the supplement ships (hash {train_hash!r})")
    best = {k: float(v) for k, v in summary["best_parameters"].items()}
    parameters = {k: v for k, v in best.items() if k in model_parameters}
    if not parameters:
        raise JakstatInputError(f"fit folder {str(folder)!r} fits no parameter of the model "
                                f"(fitted: {sorted(best)}): expected a fit of this model")
    observation = {k: v for k, v in best.items() if k not in model_parameters}
    val_folder = Path(validation_dir) if validation_dir is not None else folder
    validation = None
    if validation_dir is not None or (folder / "validation.json").is_file():
        validation = _load_validation(val_folder, summary)
    return FitResults(folder, summary, parameters, observation, validation,
                      val_folder if validation is not None else None)


def _load_validation(folder: Path, summary: dict) -> dict:
    path = folder / "validation.json"
    if not folder.is_dir() or not path.is_file():
        raise JakstatInputError(f"validation folder {str(folder)!r} has no validation.json: "
                                f"expected the --out folder of 'jakstat validate'")
    data = read_json(path, what="validation result")
    if not isinstance(data, dict) or not isinstance(data.get("reestimated"), dict):
        raise JakstatInputError(f"validation result {str(path)!r} is damaged (no 'reestimated' "
                                f"table): expected the validation.json of 'jakstat validate'")
    for key in ("r2", "nrmse"):
        try:
            float(data[key])
        except (KeyError, TypeError, ValueError):
            raise JakstatInputError(f"validation result {str(path)!r} has no number {key!r}: "
                                    f"expected the validation.json of 'jakstat validate'") from None
    from ..calibrate.store import read_run_record

    theirs = (read_run_record(folder) or {}).get("fit_problem_hash")
    if theirs is not None and theirs != summary.get("problem_hash"):
        raise JakstatInputError(
            f"validation folder {str(folder)!r} validates another fit (fit problem hash "
            f"{theirs!r}, this fit {summary.get('problem_hash')!r}): expected 'jakstat "
            f"validate' run on this fit")
    fixed = set(data.get("fixed_from_fit") or [])
    missing = sorted(fixed - set(summary["best_parameters"]))
    if missing:
        raise JakstatInputError(f"validation result {str(path)!r} fixes {missing}, which the fit "
                                f"does not have: expected a validation of this fit")
    if not all(isinstance(v, (int, float)) and math.isfinite(v)
               for v in data["reestimated"].values()):
        raise JakstatInputError(f"validation result {str(path)!r}: re-estimated values are not "
                                f"finite numbers")
    return data
