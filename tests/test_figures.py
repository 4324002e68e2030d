"""The shared figure style: readable names, units and the order of doses."""
from jakstat_rules.figures import (dose_label, dose_sort_key, doses_label, experiment_label,
                                   input_axis_label, readout_axis_label, unit_text)
from jakstat_rules.interface import READOUT_NAMES, READOUTS


def test_doses_in_words_with_the_inputs_unit():
    assert dose_label("IFNb_pM", 20.0) == "IFN-β 20 pM"
    assert dose_label("IFNa_pM", 1000.0000000000001) == "IFN-α 1000 pM"  # float noise of M -> pM
    assert dose_label("IFNa_pM", 100000.0) == "IFN-α 100000 pM"
    assert dose_label("ruxolitinib_nM", 0.5) == "ruxolitinib 0.5 nM"
    assert doses_label({"ruxolitinib_nM": 50, "IFNa_pM": 100, "IFNb_pM": 0}) == \
        "IFN-α 100 pM + ruxolitinib 50 nM"
    assert doses_label({"IFNa_pM": 0.0}) == "no dose"
    assert input_axis_label("IFNg_pM") == "IFN-γ (pM)"


def test_doses_sort_by_input_then_numerically_not_as_text():
    doses = [{"IFNb_pM": 20.0}, {"IFNa_pM": 10000.0}, {"IFNa_pM": 100.0}, {"IFNa_pM": 0.0},
             {"IFNa_pM": 1000.0}]
    ordered = [doses_label(d) for d in sorted(doses, key=dose_sort_key)]
    assert ordered == ["no dose", "IFN-α 100 pM", "IFN-α 1000 pM", "IFN-α 10000 pM",
                       "IFN-β 20 pM"]


def test_experiment_ids_that_are_dates_read_as_dates():
    assert experiment_label("exp20190108") == "experiment 2019-01-08"
    assert experiment_label("e20190121") == "experiment 2019-01-21"
    assert experiment_label("20190214") == "experiment 2019-02-14"
    assert experiment_label("exp20191399") == "experiment exp20191399"  # no such date
    assert experiment_label("batch3") == "experiment batch3"


def test_units_and_readouts_read_as_words():
    assert unit_text("1/(M*s)") == "M⁻¹ s⁻¹"
    assert unit_text("1/min") == "min⁻¹"
    assert unit_text("molecule") == "molecules per cell"
    assert unit_text("molecule/min") == "molecules per cell per min"
    assert unit_text("dimensionless") == ""
    assert readout_axis_label("pSTAT1_total") == "pY701-STAT1 (molecules per cell)"
    assert readout_axis_label("IFNb_medium_pM") == "IFN-β in the medium (pM)"
    assert set(READOUT_NAMES) == set(READOUTS)  # every readout has a readable name
