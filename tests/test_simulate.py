"""Biology of the model, each an assertion with numbers, and the two simulators agreeing."""
import numpy as np
import pytest

from jakstat_rules.errors import JakstatInputError
from jakstat_rules.simulate import Simulator, get_simulator, simulate, simulate_pysb

T = np.linspace(0, 240, 49)


def peak(table, col="pSTAT1_total"):
    return float(table[col].max())


def test_no_input_no_pstat1_and_rest_is_a_steady_state(sim):
    table = sim.run({}, np.linspace(0, 3000, 31))
    assert table["pSTAT1_total"].abs().max() == 0.0
    # every species of the whole network stays where it started, over two days (the pruned
    # model a run uses leaves some out: this simulator's engine holds the whole network)
    whole = Simulator(prune=False)
    whole.run({}, np.linspace(0, 3000, 31))
    x0 = whole.resting_state()
    x_end = whole.engine.state
    assert np.allclose(x_end, x0, rtol=1e-6, atol=1e-6)


def test_stat1_total_is_conserved_without_synthesis_and_decay():
    sim = Simulator(overrides={"kdeg_STAT1": 0.0})   # translation is kdeg * STAT1_0 / mRNA_0 -> 0
    table = sim.run({"IFNb_pM": 100, "IFNg_pM": 100}, T, ["STAT1_total", "pSTAT1_total"])
    assert table["pSTAT1_total"].max() > 0.3 * 1e5           # most STAT1 was phosphorylated ...
    assert np.allclose(table["STAT1_total"], 1e5, rtol=1e-6)  # ... yet none was made or lost


@pytest.mark.parametrize("ligand,doses", [("IFNa_pM", [1, 10, 100, 1e3, 1e4, 1e5]),
                                          ("IFNb_pM", [0.1, 1, 10, 100, 1e3, 1e4]),
                                          ("IFNg_pM", [0.1, 1, 10, 100, 1e3, 1e4])])
def test_dose_response_is_monotone_and_saturating(sim, ligand, doses):
    # doses up to 50x above the highest of the Kirby 2021 experiments; far beyond (1e5 pM
    # IFN-beta) single-chain occupancy starts to compete with complex formation (a hook)
    table = sim.dose_response(ligand, doses, T, ["pSTAT1_total"])
    peaks = np.array([peak(table[table.dose == d]) for d in doses])
    assert np.all(np.diff(peaks) > 0), peaks
    assert peaks[-1] / peaks[-2] < 1.15          # saturated: 10x more ligand adds < 15%
    assert peaks[1] / peaks[0] > 2.0             # not saturated at the low end
    assert peaks[-1] < 1e5                       # bounded by total STAT1 (1e5 per cell)


def test_ifn_beta_more_potent_than_ifn_alpha(sim):
    # IFN-beta binds IFNAR1 and IFNAR2 more tightly (Kirby 2021): at equal 10 pM doses it gives more pSTAT1
    a = peak(sim.run({"IFNa_pM": 10}, T))
    b = peak(sim.run({"IFNb_pM": 10}, T))
    assert b > 3 * a


def test_type_II_goes_through_gaf_type_I_through_isgf3(sim):
    g = sim.run({"IFNg_pM": 100}, T)
    assert peak(g, "GAF_nuc") > 1000 and peak(g, "ISGF3_nuc") < 1e-6 * peak(g, "GAF_nuc")
    for inputs in ({"IFNa_pM": 1000}, {"IFNb_pM": 100}):
        t = sim.run(inputs, T)
        assert peak(t, "ISGF3_nuc") > 1.5 * peak(t, "GAF_nuc"), inputs


@pytest.mark.parametrize("drug", ["ruxolitinib_nM", "tofacitinib_nM"])
def test_jak_inhibitor_lowers_pstat1_dose_dependently(sim, drug):
    doses = [0, 10, 100, 1000, 10000]
    table = sim.dose_response(drug, doses, T, ["pSTAT1_total"], base={"IFNb_pM": 100})
    peaks = np.array([peak(table[table.dose == d]) for d in doses])
    assert np.all(np.diff(peaks) < 0), peaks
    assert peaks[-1] < 0.05 * peaks[0]


def test_socs1_loss_raises_and_prolongs_pstat1(sim):
    wt = sim.run({"IFNb_pM": 100}, T)
    ko = get_simulator("socs1_loss").run({"IFNb_pM": 100}, T)
    assert peak(ko) > 1.2 * peak(wt)
    # prolonged: what remains at 4 h relative to the peak is larger without SOCS1
    assert ko["pSTAT1_total"].iloc[-1] / peak(ko) > wt["pSTAT1_total"].iloc[-1] / peak(wt) + 0.2


def test_radiation_gives_a_delayed_response(sim):
    times = np.linspace(0, 2880, 97)
    table = sim.run({"IR_Gy": 10}, times, ["pSTAT1_total", "IFNb_medium_pM"])
    at_1h = float(np.interp(60, table.time, table.pSTAT1_total))
    final = float(table["pSTAT1_total"].iloc[-1])
    assert final > 100                       # a real response by 48 h
    assert at_1h < 0.01 * final              # nothing in the first hour
    half = float(table.time[table.pSTAT1_total >= 0.5 * final].iloc[0])
    assert half > 6 * 60                     # half-maximal only after more than 6 hours
    # dose-dependent: 2 Gy gives less than 10 Gy
    low = sim.run({"IR_Gy": 2}, times, ["pSTAT1_total"])
    assert low["pSTAT1_total"].iloc[-1] < 0.5 * final


def test_jak2_v617f_signals_without_ligand():
    table = get_simulator("jak2_v617f").run({}, T, ["pSTAT1_total"])
    assert table["pSTAT1_total"].iloc[0] > 10
    # pre-equilibrated: constant without input
    assert np.allclose(table["pSTAT1_total"], table["pSTAT1_total"].iloc[0], rtol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("inputs,variant", [
    ({"IFNa_pM": 1000}, "default"),
    # 15-25 s each in PySB's ScipyOdeSimulator: `make test-all`; `make test` compares the
    # simulation core with BioNetGen's own ODE runs on IFN-gamma, ruxolitinib and socs1_loss
    # conditions (tests/test_export_equivalence.py, 1e-7 of the range)
    pytest.param({"IFNg_pM": 100, "ruxolitinib_nM": 100}, "default", marks=pytest.mark.heavy),
    pytest.param({"IFNb_pM": 100}, "socs1_loss", marks=pytest.mark.heavy)])
def test_roadrunner_on_sbml_agrees_with_pysb_scipy_on_the_network(inputs, variant):
    # VODE (ScipyOdeSimulator's default) at rtol 1e-10 agrees with libroadrunner at 1e-12 to
    # 2e-9 of each readout's scale on the first two conditions, three orders inside the test's
    # 1e-6
    rr = Simulator(variant, rtol=1e-12, atol=1e-10).run(inputs, T)
    py = simulate_pysb(inputs, T, variant=variant, rtol=1e-10, atol=1e-10)
    for col in rr.columns[1:]:
        scale = max(float(np.abs(py[col]).max()), 1.0)
        err = float(np.abs(rr[col] - py[col]).max()) / scale
        assert err < 1e-6, (col, err)


@pytest.mark.slow
def test_overrides_on_the_compiled_model_equal_a_rebuilt_model():
    """Values set on the compiled SBML give what rebuilding the PySB model with them gives:
    libroadrunner on the rebuilt model's own SBML export, compiled anew."""
    from jakstat_rules.engine import Engine
    from jakstat_rules.export.sbml import to_sbml
    from jakstat_rules.model import build_model
    from jakstat_rules.network import generate_network

    overrides = {"STAT1_0": 5e4, "kdeg_STAT1": 2e-4}
    ours = Simulator(overrides=overrides).run({"IFNb_pM": 30}, T)
    model = build_model(overrides=overrides)
    generate_network(model)
    engine = Engine(to_sbml(model), rtol=1e-10, atol=1e-10)
    engine.start({"IFNb_pM": 30})
    rebuilt = engine.table(T, ["pSTAT1_total", "STAT1_total", "ISG_mRNA"])
    default = get_simulator().run({"IFNb_pM": 30}, T)
    for col in ("pSTAT1_total", "STAT1_total", "ISG_mRNA"):
        scale = float(np.abs(rebuilt[col]).max())
        assert float(np.abs(ours[col] - rebuilt[col]).max()) < 1e-6 * scale, col
    assert ours["STAT1_total"].iloc[0] == pytest.approx(5e4)
    assert default["STAT1_total"].iloc[0] == pytest.approx(1e5)     # the shared default is untouched


def test_bad_overrides_are_rejected():
    with pytest.raises(JakstatInputError, match="unknown parameter 'STAT9_0'"):
        Simulator(overrides={"STAT9_0": 1})
    with pytest.raises(JakstatInputError, match="STAT1_0=-1.0 must be a finite number >= 0"):
        Simulator(overrides={"STAT1_0": -1.0})
    with pytest.raises(JakstatInputError, match="is an input"):
        Simulator(overrides={"IFNb_pM": 1})


def test_standard_conditions_come_from_the_one_table():
    from jakstat_rules.conditions import CONDITIONS, condition_table

    table = condition_table()
    assert list(table.index) == list(CONDITIONS)
    row = table.loc["ifnb_100pM_ruxolitinib_1uM"]
    assert (row["IFNb_pM"], row["ruxolitinib_nM"], row["IFNa_pM"]) == (100.0, 1000.0, 0.0)
    direct = simulate("ifnb_100pM")
    assert len(direct) == CONDITIONS["ifnb_100pM"].n_points
    assert np.array_equal(direct["pSTAT1_total"], get_simulator().run({"IFNb_pM": 100},
                                                                      direct["time"])["pSTAT1_total"])


@pytest.mark.parametrize("inputs,match", [({"IFNx_pM": 1}, "unknown input 'IFNx_pM'"),
                                          ({"IFNa_pM": -5}, "IFNa_pM=-5"),
                                          ({"IFNa_pM": "lots"}, "IFNa_pM='lots' is not a number"),
                                          ({"IR_Gy": float("nan")}, "IR_Gy=nan")])
def test_bad_inputs_are_rejected(sim, inputs, match):
    with pytest.raises(JakstatInputError, match=match):
        sim.run(inputs, T)


def test_unknown_condition_readout_and_times(sim):
    with pytest.raises(JakstatInputError, match="unknown condition 'ifn_banana'"):
        simulate("ifn_banana")
    with pytest.raises(JakstatInputError, match="unknown readout"):
        sim.run({}, T, ["pSTAT9"])
    with pytest.raises(JakstatInputError, match="times"):
        sim.run({}, [0, 10, 5])


def test_ic50_rejects_what_defines_no_ic50(sim):
    """Simulator.ic50 names the bad request: not a drug, no signal without the drug, no crossing."""
    with pytest.raises(JakstatInputError, match="'IFNb_pM' is not a drug input"):
        sim.ic50("IFNb_pM", "pSTAT1_total", 30.0)
    with pytest.raises(JakstatInputError, match="without ruxolitinib_nM is 0: expected > 0"):
        sim.ic50("ruxolitinib_nM", "pSTAT1_total", 30.0)          # at rest there is no pSTAT1
    with pytest.raises(JakstatInputError, match="does not fall to half"):
        sim.ic50("ruxolitinib_nM", "pSTAT1_total", 30.0, {"IFNb_pM": 100.0}, high=1.0)


def test_band_is_the_range_of_fresh_simulators_with_each_parameter_set():
    """Simulator.band over two parameter sets equals, at every time, the lowest and
    highest value of three independent simulators (fresh engines) with those values:
    the shared compiled model carries no value from one set into the next."""
    from jakstat_rules.simulate import Simulator, get_simulator

    times = [0.0, 15.0, 30.0, 60.0]
    inputs = {"IFNb_pM": 100.0}
    base = get_simulator("default")
    k = base.engine.value("kint_complex")
    sets = [{"kint_complex": 0.3 * k, "scale_x": 5.0}, {"kint_complex": 3.0 * k}]
    band = base.band(sets, inputs, times, ["pSTAT1_total", "SOCS1_mRNA"])
    runs = [Simulator("default", overrides=o).run(inputs, times, ["pSTAT1_total", "SOCS1_mRNA"])
            for o in ({}, {"kint_complex": 0.3 * k}, {"kint_complex": 3.0 * k})]
    for r in ("pSTAT1_total", "SOCS1_mRNA"):
        values = np.stack([run[r].to_numpy() for run in runs])
        np.testing.assert_allclose(band[f"{r}_lower"], values.min(axis=0), rtol=1e-9)
        np.testing.assert_allclose(band[f"{r}_upper"], values.max(axis=0), rtol=1e-9)
    assert (band["pSTAT1_total_upper"] > band["pSTAT1_total_lower"]).iloc[1:].all()
    # the shared simulator is left as it was
    again = base.run(inputs, times, ["pSTAT1_total"])
    np.testing.assert_allclose(again["pSTAT1_total"], runs[0]["pSTAT1_total"], rtol=1e-9)


def test_simulate_profiles_need_a_fit(tmp_path, capsys):
    from jakstat_rules.cli import main

    assert main(["simulate", "ifnb_100pM", "--profiles", str(tmp_path), "--out",
                 str(tmp_path / "out")]) == 2
    assert "--profiles needs --fit" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
