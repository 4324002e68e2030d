"""The model simulator runs each condition on the species its receptor arms can make.

The reference is the whole network, integrated by a simulator that prunes
nothing (``prune=False``): the pruned runs must give its readouts, and every
species they leave out must be zero at all times in it.
"""
import numpy as np
import pytest

import jakstat_rules.engine as engine_module
import jakstat_rules.pruning as pruning
from jakstat_rules.simulate import Simulator

TIMES = np.linspace(0.0, 240.0, 25)
#: The comparisons integrate at the engine's tolerances (1e-10): at atol 1e-6 molecules
#: readouts that stay below 1e-4 molecules differ by solver noise alone.
TIGHT = {"rtol": 1e-10, "atol": 1e-10}


def _worst_difference(a, b) -> float:
    """Largest |difference| of a readout over its range in ``b``, a range of at least one
    molecule (the whole network carries solver noise in the species a run cannot make, where
    the pruned model has exact zeros)."""
    worst = 0.0
    for column in a.columns.drop("time"):
        span = max(float(np.ptp(b[column])), 1.0)
        worst = max(worst, float(np.max(np.abs(a[column] - b[column]))) / span)
    return worst


@pytest.mark.parametrize("variant, inputs", [
    ("default", {"IFNb_pM": 100.0}),
    ("default", {"IFNa_pM": 1000.0, "IR_Gy": 10.0, "ruxolitinib_nM": 50.0}),
    ("default", {"IFNg_pM": 100.0}),
    ("default", {"IL6_pM": 1000.0}),
    ("default", {}),
    ("jak2_v617f", {"IFNg_pM": 100.0}),      # pre-equilibrated resting state
    ("il6_autocrine", {"IFNb_pM": 100.0}),   # STAT3 makes IL-6 although no run doses it
])
def test_pruned_runs_give_the_whole_network_s_readouts(variant, inputs):
    pruned = Simulator(variant, **TIGHT)
    whole = Simulator(variant, prune=False, **TIGHT)
    smaller = pruned.pruned(inputs)
    assert _worst_difference(pruned.run(inputs, TIMES), whole.run(inputs, TIMES)) < 1e-6
    if smaller is None:
        return
    left_out = sorted(set(whole.engine.species_ids) - set(smaller.engine.species_ids))
    assert left_out and len(smaller.engine.species_ids) < len(whole.engine.species_ids)
    whole.run(inputs, [0.0, 1e-9])  # the whole network just after this condition's start
    amounts = whole.engine.simulate(np.r_[1e-9, TIMES[1:]], left_out)
    # zero up to the solver's noise (its absolute tolerance is 1e-10 molecules)
    assert np.max(np.abs(amounts)) < 1e-8, "a left-out species is made"


def test_an_arm_not_dosed_is_left_out_and_a_dosed_one_kept(sim):
    ifnb = sim.pruned({"IFNb_pM": 100.0})
    il6 = sim.pruned({"IL6_pM": 1000.0})
    both = sim.pruned({"IFNb_pM": 100.0, "IL6_pM": 1000.0, "IFNg_pM": 100.0})
    n_whole = len(sim.engine.species_ids)
    n_ifnb = len(ifnb.engine.species_ids)
    n_il6 = n_whole if il6 is None else len(il6.engine.species_ids)
    n_both = n_whole if both is None else len(both.engine.species_ids)
    assert n_ifnb < n_il6 <= n_both <= n_whole
    # IFN-alpha, radiation and the drugs share the interferon run's model
    assert sim.pruned({"IFNa_pM": 1.0, "IR_Gy": 2.0, "tofacitinib_nM": 10.0}) is ifnb
    # the complexes with IL-6 bound are not in the interferon run's model (the receptors are)
    il6_species = [s for s in sim.engine.species_ids if "IL6" in s.split("__")]
    assert il6_species and not set(il6_species) & set(ifnb.engine.species_ids)


def test_parameter_values_are_those_of_the_simulator():
    overrides = {"kon_IFNB1_IFNAR2": 0.5 * Simulator(prune=False).engine.value("kon_IFNB1_IFNAR2")}
    pruned = Simulator(overrides=overrides, **TIGHT)
    whole = Simulator(overrides=overrides, prune=False, **TIGHT)
    inputs = {"IFNb_pM": 100.0}
    assert _worst_difference(pruned.run(inputs, TIMES), whole.run(inputs, TIMES)) < 1e-6
    default = Simulator(prune=False).run(inputs, TIMES)
    assert _worst_difference(pruned.run(inputs, TIMES), default) > 1e-3  # the value acts


def test_a_later_process_reads_the_pruned_model_from_disk(monkeypatch):
    inputs = {"IFNb_pM": 100.0}
    first = Simulator().run(inputs, TIMES)  # fills the disk cache if it is empty
    # a new process: nothing in memory
    monkeypatch.setattr(pruning, "_MODELS", {})
    monkeypatch.setattr(pruning, "_BY_NONZERO", {})

    def no_analysis(*args, **kwargs):
        raise AssertionError("the reachability analysis ran again")

    monkeypatch.setattr(pruning, "reachability", no_analysis)
    fresh = Simulator()
    again = fresh.run(inputs, TIMES)
    assert fresh._shared["engine"] is None  # the whole network was not even loaded
    assert _worst_difference(again, first) == 0.0


def test_an_amount_set_to_zero_reuses_the_default_model():
    """A value that only zeros an amount makes no species the default values leave at zero:
    the run reuses the pruned model of the default values, no compilation."""
    inputs = {"IFNb_pM": 100.0}
    sim = Simulator(**TIGHT)
    sim.run(inputs, TIMES)
    before = engine_module.COMPILATIONS
    zeroed = sim.with_overrides({"PIAS1_0": 0.0})
    table = zeroed.run(inputs, TIMES)
    assert engine_module.COMPILATIONS == before
    assert zeroed.pruned(inputs).engine is sim.pruned(inputs).engine
    whole = Simulator(overrides={"PIAS1_0": 0.0}, prune=False, **TIGHT).run(inputs, TIMES)
    assert _worst_difference(table, whole) < 1e-6
    assert _worst_difference(table, sim.run(inputs, TIMES)) > 1e-3  # the value acts


def test_simulators_made_separately_do_not_share_a_pruned_engine():
    """libroadrunner instances are not thread-safe: each simulator made by the caller owns its
    pruned models' engines, as it owns its whole network's."""
    inputs = {"IFNb_pM": 100.0}
    a, b = Simulator(), Simulator()
    assert a.pruned(inputs).engine is not b.pruned(inputs).engine
    assert a.with_overrides({"PIAS1_0": 1.0}).pruned(inputs).engine is a.pruned(inputs).engine
