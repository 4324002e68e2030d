"""End-to-end tests of the jakstat command line (simulate, dose-response, scenarios, help)."""
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from jakstat_rules.cli import main

from conftest import message_lines

#: A folder no process may create files in, root included.
UNWRITABLE = "/proc/jakstat-test-cannot-exist"


def _one_line_error(capsys, needle):
    """One message line naming ``needle`` (status lines of a cold cache aside)."""
    err = capsys.readouterr().err
    assert needle in err, err
    assert "Traceback" not in err and len(message_lines(err)) == 1, err


def test_simulate_writes_csv_and_png(tmp_path, capsys):
    assert main(["simulate", "ifnb_100pM", "--out", str(tmp_path), "--points", "25"]) == 0
    table = pd.read_csv(tmp_path / "ifnb_100pM.csv")
    assert {"time", "pSTAT1_total", "GAF_nuc", "ISGF3_nuc", "SOCS1_mRNA", "ISG_mRNA"} <= set(table)
    assert len(table) == 25 and table["pSTAT1_total"].max() > 0
    assert (tmp_path / "ifnb_100pM.png").read_bytes()[:4] == b"\x89PNG"


def test_no_plot_writes_the_table_only(tmp_path):
    assert main(["simulate", "rest", "--no-plot", "--points", "5", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rest.csv"]
    assert pd.read_csv(tmp_path / "rest.csv")["pSTAT1_total"].abs().max() == 0.0


def test_a_variant_run_is_named_for_what_it_is(tmp_path):
    """`simulate ifnb_100pM --variant socs1_loss` is the standard SOCS1-loss condition, and says so."""
    assert main(["simulate", "ifnb_100pM", "--variant", "socs1_loss", "--out", str(tmp_path)]) == 0
    assert not (tmp_path / "ifnb_100pM.csv").exists()
    renamed = pd.read_csv(tmp_path / "ifnb_100pM__socs1_loss.csv")
    assert main(["simulate", "ifnb_100pM_socs1_loss", "--out", str(tmp_path)]) == 0
    standard = pd.read_csv(tmp_path / "ifnb_100pM_socs1_loss.csv")
    pd.testing.assert_frame_equal(renamed, standard)
    assert main(["simulate", "ifnb_100pM", "--set", "ruxolitinib_nM=300", "--out", str(tmp_path)]) == 0
    with_drug = pd.read_csv(tmp_path / "ifnb_100pM__ruxolitinib_nM-300.csv")
    assert with_drug["pSTAT1_total"].max() < standard["pSTAT1_total"].max()


def test_dose_response_writes_tables_and_plot(tmp_path):
    assert main(["dose-response", "IFNa_pM", "--doses", "10,100,1000", "--out", str(tmp_path),
                 "--points", "13"]) == 0
    summary = pd.read_csv(tmp_path / "dose_response_IFNa_pM_summary.csv")
    assert list(summary["dose"]) == [10, 100, 1000]
    assert summary["peak"].is_monotonic_increasing
    assert (tmp_path / "dose_response_IFNa_pM.png").exists()


def test_scenarios_lists_the_condition_table(capsys):
    from jakstat_rules.conditions import CONDITIONS
    assert main(["scenarios"]) == 0
    conditions, _, schedules = capsys.readouterr().out.strip().partition("\n\n")
    lines = conditions.splitlines()
    assert [line.split()[0] for line in lines] == list(CONDITIONS)
    from jakstat_rules.conditions import SCHEDULES
    assert [line.split()[0] for line in schedules.splitlines()[1:]] == list(SCHEDULES)
    assert "ruxolitinib_nM=1000" in next(line for line in lines if "ruxolitinib" in line)


@pytest.mark.parametrize("argv,needle", [
    (["simulate", "ifn_banana"], "unknown condition 'ifn_banana'"),
    (["simulate"], "no condition given"),
    (["simulate", "--set", "IFNb_pM=-3"], "IFNb_pM='-3'"),
    (["simulate", "--set", "IFNb_pM=abc"], "is not a number"),
    (["simulate", "--set", "IFNz_pM=3"], "unknown input 'IFNz_pM'"),
    (["simulate", "ifnb_100pM", "--readouts", "pSTAT7"], "unknown readout"),
    (["simulate", "ifnb_100pM", "--readouts", ""], "unknown readout"),
    (["simulate", "ifnb_100pM", "--points", "-3"], "number of time points -3"),
    (["simulate", "ifnb_100pM", "--points", "1"], "number of time points 1"),
    (["simulate", "ifnb_100pM", "--t-end", "-5"], "end time -5.0"),
    (["dose-response", "IFNb_pM", "--doses", "1,x"], "--doses '1,x'"),
    (["dose-response", "IFNb_pM", "--doses", "1,-4"], "IFNb_pM=-4"),
    (["dose-response", "IFNb_pM", "--doses", ""], "--doses '' is empty"),
    (["dose-response", "IFNb_pM", "--doses", " , "], "is empty"),
    (["dose-response", "IFNq_pM"], "unknown input 'IFNq_pM'"),
    (["dose-response", "IFNb_pM", "--points", "0"], "number of time points 0"),
])
def test_bad_input_one_line_exit_2(argv, needle, tmp_path, capsys):
    assert main(argv + ["--out", str(tmp_path)]) == 2
    _one_line_error(capsys, needle)
    assert list(tmp_path.iterdir()) == []                # nothing written


@pytest.mark.parametrize("command", [["simulate", "ifnb_100pM"], ["dose-response", "IFNb_pM"],
                                     ["demo"], ["export", "--copasi"]])
@pytest.mark.parametrize("bad", ["file", "unwritable"])
def test_bad_out_is_refused_before_any_computation(command, bad, tmp_path, capsys, monkeypatch):
    import jakstat_rules.simulate as simulate_module

    def not_now(*args, **kwargs):
        raise AssertionError("simulated although --out was bad")

    import jakstat_rules.export.cli as export_cli

    monkeypatch.setattr(simulate_module, "get_simulator", not_now)
    monkeypatch.setattr(export_cli, "export_all", not_now)
    out = tmp_path / "out.txt" if bad == "file" else UNWRITABLE
    if bad == "file":
        out.write_text("a file, not a folder")
    assert main(command + ["--out", str(out)]) == 2
    _one_line_error(capsys, "is a file: expected a folder" if bad == "file" else "cannot be written")


def test_reference_into_a_folder_or_unwritable_place(tmp_path, capsys):
    assert main(["reference", "--out", str(tmp_path)]) == 2
    _one_line_error(capsys, "is a folder")
    assert main(["reference", "--out", f"{UNWRITABLE}/ref.md"]) == 2
    _one_line_error(capsys, "cannot be written")


def test_png_path_that_is_a_folder_writes_nothing(tmp_path, capsys):
    (tmp_path / "ifnb_100pM.png").mkdir()
    assert main(["simulate", "ifnb_100pM", "--out", str(tmp_path)]) == 2
    _one_line_error(capsys, "ifnb_100pM.png' is a folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ifnb_100pM.png"]   # no CSV, no temp file


def _python(code, **env):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, **env})


def test_help_imports_nothing_heavy():
    code = ("import sys; from jakstat_rules.cli import build_parser; build_parser().format_help();"
            "heavy = ('numpy', 'pandas', 'pysb', 'roadrunner', 'libsbml', 'matplotlib', 'petab', 'sympy');"
            "print(sorted(m for m in heavy if m in sys.modules))")
    proc = _python(code)
    assert proc.returncode == 0 and proc.stdout.strip() == "[]", proc.stderr


@pytest.mark.slow
def test_warm_simulate_reuses_compiled_state_and_skips_pysb(tmp_path):
    """Second process: no PySB, no BioNetGen, no JIT compilation; same numbers as the first."""
    cache = str(tmp_path / "cache")
    code = ("import sys; from jakstat_rules.cli import main; from jakstat_rules import engine;"
            f"rc = main(['simulate', 'ifng_100pM', '--points', '13', '--out', {str(tmp_path)!r}]);"
            "print(rc, engine.COMPILATIONS, 'pysb' in sys.modules)")
    cold = _python(code, JAKSTAT_CACHE=cache)
    first = pd.read_csv(tmp_path / "ifng_100pM.csv")
    warm = _python(code, JAKSTAT_CACHE=cache)
    # cold: only the model of the species IFN-gamma can make (jakstat_rules.pruning) is
    # compiled; the species the run starts with are read from the SBML (sbml_summary)
    assert cold.stdout.split()[-3:] == ["0", "1", "True"], cold.stderr
    assert warm.stdout.split()[-3:] == ["0", "0", "False"], warm.stderr
    second = pd.read_csv(tmp_path / "ifng_100pM.csv")
    assert np.array_equal(first.to_numpy(), second.to_numpy())


def test_console_script_exit_code_and_no_traceback():
    proc = subprocess.run([sys.executable, "-m", "jakstat_rules.cli", "simulate", "--variant", "mutant_x"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "mutant_x" in proc.stderr and "Traceback" not in proc.stderr
