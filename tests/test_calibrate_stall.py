"""The stall rule (``--stall N``): a local fit whose objective fell by less than
0.01 over its last N iterations stops there.

The reference is scipy's own run of the same problem without the rule: its
iterates (recorded by a callback of scipy's) show where the objective first
fell by less than 0.01 over N iterations, and the stopped fit must end at that
iterate.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.optimize import least_squares

from jakstat_rules.calibrate.multistart import calibrate
from jakstat_rules.calibrate.optimizers import STALL_DROP, FitSettings, lbfgsb_fit, trf_fit
from jakstat_rules.cli import main
from jakstat_rules.errors import JakstatInputError
from jakstat_rules.io import read_record, write_record


class _Quartic:
    """Residuals ``x**2`` in a box: Gauss-Newton halves x at every step, so the
    objective ``0.5 * sum(x**4)`` falls by a factor of 16 per iteration, by less
    and less in absolute terms: a fit that goes on long after it stopped mattering."""

    least_squares = True
    n_fallback = 0  # no derivative is taken by differences (Objective.n_fallback)

    def __init__(self) -> None:
        self.lb, self.ub = np.full(2, -1e3), np.full(2, 1e3)
        self.n_eval = self.n_sim = 0  # each residual vector is one simulation

    def residuals(self, x: np.ndarray) -> np.ndarray:
        self.n_eval += 1
        self.n_sim += 1
        return np.asarray(x, float) ** 2

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        return np.diag(2.0 * np.asarray(x, float))

    def fval(self, x: np.ndarray) -> float:
        return 0.5 * float(np.sum(self.residuals(x) ** 2))

    def fval_and_gradient(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        x = np.asarray(x, float)
        return self.fval(x), 2.0 * x ** 3


X0 = np.array([30.0, -20.0])


def _scipy_iterates() -> list[tuple[float, np.ndarray]]:
    """(cost, x) after every iteration of scipy's trf on the quartic, without the rule,
    with the settings ``trf_fit`` uses."""
    ob, seen = _Quartic(), []

    def record(intermediate_result):
        seen.append((float(intermediate_result.cost), np.array(intermediate_result.x)))

    least_squares(ob.residuals, X0, jac=ob.jacobian, bounds=(ob.lb, ob.ub), method="trf",
                  x_scale="jac", tr_solver="lsmr", ftol=1e-12, xtol=1e-12, gtol=1e-12,
                  max_nfev=1000, callback=record)
    return seen


@pytest.mark.parametrize("window", [3, 6])
def test_a_crawling_fit_stops_where_its_objective_stopped_falling(window):
    """With ``stall=N`` the fit ends at the first iterate of scipy's unstopped run whose
    objective is less than 0.01 below the objective N iterations before, and says so;
    without the rule (``stall=0``) it runs on to scipy's own stopping rule, lower."""
    iterates = _scipy_iterates()
    costs = [c for c, _ in iterates]
    first = next(k for k in range(window, len(costs)) if costs[k - window] - costs[k] < STALL_DROP)
    assert 0 < first < len(costs) - 1  # the rule stops before scipy's own rules would

    settings = FitSettings(gradient="exact", tol=1e-12, stall=window)
    fit = trf_fit(_Quartic(), X0, settings)
    assert fit.message.startswith(f"stalled: the objective fell by less than 0.01 over the "
                                  f"last {window} iterations")
    assert fit.exitflag == -2 and not fit.budget_exhausted
    np.testing.assert_allclose(fit.x, iterates[first][1], rtol=1e-12)

    on = trf_fit(_Quartic(), X0, FitSettings(gradient="exact", tol=1e-12, stall=0))
    assert not on.message.startswith("stalled") and on.n_fev > fit.n_fev
    assert _Quartic().fval(on.x) < _Quartic().fval(fit.x)


def test_lbfgsb_stops_as_stalled_too():
    """L-BFGS-B on the same objective (``0.5 * sum(x**4)``, falling ever more slowly
    near 0) stops as stalled with a short window and runs on without the rule."""
    stopped = lbfgsb_fit(_Quartic(), X0, FitSettings(gradient="exact", tol=1e-15, stall=2,
                                                       optimizer="lbfgsb"))
    assert stopped.message.startswith("stalled: the objective fell by less than 0.01 over "
                                      "the last 2 iterations")
    on = lbfgsb_fit(_Quartic(), X0, FitSettings(gradient="exact", tol=1e-15, stall=0,
                                                  optimizer="lbfgsb"))
    assert not on.message.startswith("stalled") and on.n_fev > stopped.n_fev
    assert _Quartic().fval(stopped.x) < 0.5 * (30.0 ** 4 + 20.0 ** 4)


def test_a_fit_folder_from_before_the_rule_resumes_only_without_it(exact_problem, tmp_path):
    """run.json and start records without ``stall`` ran without the rule: the default
    (50) is refused with the option that resumes them, ``--stall 0`` resumes them
    without running a start again."""
    out = tmp_path / "old"
    first = calibrate(exact_problem, out, n_starts=2, seed=0, workers=1, progress=False,
                      plots=False, settings=FitSettings(stall=0))
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    run.pop("stall")
    (out / "run.json").write_text(json.dumps(run))
    for f in (out / "starts").glob("start_*.json"):
        rec = read_record(f, what="start record")
        rec["run"].pop("stall")
        write_record(f, rec)
    with pytest.raises(JakstatInputError, match=r"a run with --stall 0 .*this run has --stall "
                                                r"50: expected --stall 0 to resume it"):
        calibrate(exact_problem, out, n_starts=2, seed=0, workers=1, progress=False,
                  plots=False)
    again = calibrate(exact_problem, out, n_starts=2, seed=0, workers=1, progress=False,
                      plots=False, settings=FitSettings(stall=0))
    assert again["invocations"][-1]["new_starts"] == 0
    assert again["best_fval"] == first["best_fval"]


def test_a_negative_window_is_refused(exact_problem, tmp_path, capsys):
    """From the command line (argparse: usage and one error line, exit 2) and from
    Python (one message naming the value), nothing written."""
    with pytest.raises(SystemExit) as exc:
        main(["calibrate", str(exact_problem), "--stall", "-1", "--out", str(tmp_path / "fit")])
    assert exc.value.code == 2
    assert "argument --stall: '-1': expected an integer >= 0" in capsys.readouterr().err
    with pytest.raises(JakstatInputError, match=r"--stall -1: expected an integer >= 0"):
        calibrate(exact_problem, tmp_path / "fit", n_starts=2, progress=False,
                  settings=FitSettings(stall=-1))
    assert not (tmp_path / "fit").exists()
