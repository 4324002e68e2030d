"""Tests of jakstat_rules.calibrate.observables: PEtab formulas with their
overrides, compiled to functions.

References: the formulas evaluated by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jakstat_rules.calibrate.mapping import ParameterTable
from jakstat_rules.calibrate.observables import compile_observables
from jakstat_rules.errors import JakstatInputError

PARAMETERS = ParameterTable.from_df(pd.DataFrame([
    {"parameterId": pid, "parameterScale": "log10", "lowerBound": 1e-3, "upperBound": 1e3,
     "nominalValue": nominal, "estimate": estimate}
    for pid, nominal, estimate in (("scale_a", 2.0, 1), ("scale_b", 3.0, 1),
                                   ("offset", 0.5, 0), ("rel", 0.1, 1))]).set_index("parameterId"))

OBSERVABLES = pd.DataFrame([
    {"observableId": "obs", "observableFormula": "observableParameter1_obs * (A + B) + offset",
     "noiseFormula": "noiseParameter1_obs + rel * obs", "observableTransformation": "lin",
     "noiseDistribution": "normal"},
    {"observableId": "t_obs", "observableFormula": "A * exp(-time)",
     "noiseFormula": "1", "observableTransformation": "log10", "noiseDistribution": "laplace"},
]).set_index("observableId")


def _measurements(**extra) -> pd.DataFrame:
    return pd.DataFrame({"observableId": ["obs", "obs", "obs", "t_obs"],
                         "simulationConditionId": "c", "time": [1.0, 2.0, 1.0, 3.0],
                         "measurement": 1.0,
                         "observableParameters": ["scale_a", "scale_a", "scale_b", ""],
                         "noiseParameters": [0.2, 0.2, 0.2, ""], **extra})


def test_groups_and_overrides():
    groups = compile_observables(_measurements(), OBSERVABLES, {"A", "B"}, PARAMETERS)
    assert [(g.observable_id, g.rows.tolist()) for g in groups] == [
        ("obs", [0, 1]), ("obs", [2]), ("t_obs", [3])]
    g = groups[0]
    assert g.model_symbols == ["A", "B"] and g.parameter_symbols == ["offset", "rel", "scale_a"]
    a, b = np.array([1.0, 2.0]), np.array([3.0, 5.0])
    h, s = g.evaluate([a, b], [0.5, 0.1, 2.0], np.array([1.0, 2.0]))
    np.testing.assert_allclose(h, 2.0 * (a + b) + 0.5)
    np.testing.assert_allclose(s, 0.2 + 0.1 * h)  # the observable id in the noise formula
    assert groups[1].parameter_symbols == ["offset", "rel", "scale_b"]
    t = groups[2]
    assert (t.transformation, t.distribution) == ("log10", "laplace")
    h, s = t.evaluate([np.array([4.0])], [], np.array([3.0]))
    assert h[0] == pytest.approx(4.0 * np.exp(-3.0)) and s[0] == 1.0


def test_unknown_symbol():
    obs = OBSERVABLES.copy()
    obs.loc["obs", "observableFormula"] = "C * observableParameter1_obs"
    with pytest.raises(JakstatInputError, match="uses 'C'"):
        compile_observables(_measurements(), obs, {"A", "B"}, PARAMETERS)


def test_unsupported_noise_model():
    obs = OBSERVABLES.copy()
    obs.loc["t_obs", "noiseDistribution"] = "cauchy"
    with pytest.raises(JakstatInputError, match="'cauchy'"):
        compile_observables(_measurements(), obs, {"A", "B"}, PARAMETERS)
