"""The one table of standard conditions and the input/time checks."""
import numpy as np
import pytest

from jakstat_rules.conditions import (CONDITIONS, DOSE_RESPONSES, DOSE_SERIES, check_inputs,
                                      check_times, condition_table, get_condition, time_grid)
from jakstat_rules.errors import JakstatInputError
from jakstat_rules.interface import INPUTS, VARIANTS


def test_every_condition_uses_known_inputs_variants_and_times():
    for c in CONDITIONS.values():
        assert set(c.inputs) <= set(INPUTS) and c.variant in VARIANTS, c.id
        assert c.times[0] == 0 and c.times[-1] == c.t_end and len(c.times) == c.n_points
    for inp, base in DOSE_RESPONSES:
        assert inp in DOSE_SERIES and set(base) <= set(INPUTS)


def test_table_rows_are_the_conditions_with_zero_for_absent_inputs():
    table = condition_table()
    assert table.index.name == "conditionId" and list(table.index) == list(CONDITIONS)
    for c in CONDITIONS.values():
        for inp in INPUTS:
            assert table.loc[c.id, inp] == c.inputs.get(inp, 0.0)
        assert table.loc[c.id, "variant"] == c.variant


def test_checks_name_the_bad_value():
    with pytest.raises(JakstatInputError, match="unknown condition 'nope'"):
        get_condition("nope")
    with pytest.raises(JakstatInputError, match=r"IFNb_pM=-1 is invalid"):
        check_inputs({"IFNb_pM": -1})
    with pytest.raises(JakstatInputError, match=r"IFNb_pM=True is not a number: expected a dose"):
        check_inputs({"IFNb_pM": True})     # a YAML 'yes' is no dose
    with pytest.raises(JakstatInputError, match="number of time points -3"):
        time_grid(240, -3)
    with pytest.raises(JakstatInputError, match="end time 'x'"):
        time_grid("x", 10)
    with pytest.raises(JakstatInputError, match="increasing"):
        check_times([0, 5, 5])
    assert np.array_equal(check_times([10, 20]), [0, 10, 20])
