"""End-to-end tests of the jakstat command line."""
import subprocess
import sys

import pandas as pd
import pytest

from jakstat_rules.cli import main


def test_simulate_writes_csv_and_png(tmp_path, capsys):
    assert main(["simulate", "ifnb_100pM", "--out", str(tmp_path), "--points", "25"]) == 0
    table = pd.read_csv(tmp_path / "ifnb_100pM.csv")
    assert {"time", "pSTAT1_total", "GAF_nuc", "ISGF3_nuc", "SOCS1_mRNA", "ISG_mRNA"} <= set(table)
    assert len(table) == 25 and table["pSTAT1_total"].max() > 0
    assert (tmp_path / "ifnb_100pM.png").stat().st_size > 1000


def test_dose_response_writes_tables_and_plot(tmp_path):
    assert main(["dose-response", "IFNa_pM", "--doses", "10,100,1000", "--out", str(tmp_path),
                 "--points", "13"]) == 0
    summary = pd.read_csv(tmp_path / "dose_response_IFNa_pM_summary.csv")
    assert list(summary["dose"]) == [10, 100, 1000]
    assert summary["peak"].is_monotonic_increasing
    assert (tmp_path / "dose_response_IFNa_pM.png").exists()


def test_network_reports_counts(capsys):
    import json

    from jakstat_rules.model import build_model
    from jakstat_rules.network import generate_network
    assert main(["network", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    model = build_model()
    generate_network(model)
    assert (info["rules"], info["species"], info["reactions"]) == \
        (len(model.rules), len(model.species), len(model.reactions))
    assert info["reactions"] >= 5 * info["rules"]


@pytest.mark.parametrize("argv,needle", [
    (["simulate", "ifn_banana"], "unknown condition 'ifn_banana'"),
    (["simulate", "--set", "IFNb_pM=-3"], "IFNb_pM='-3'"),
    (["simulate", "--set", "IFNb_pM=abc"], "is not a number"),
    (["simulate", "--set", "IFNz_pM=3"], "unknown input 'IFNz_pM'"),
    (["simulate", "ifnb_100pM", "--readouts", "pSTAT7"], "unknown readout"),
    (["dose-response", "IFNb_pM", "--doses", "1,x"], "--doses '1,x'"),
    (["dose-response", "IFNb_pM", "--doses", "1,-4"], "IFNb_pM=-4"),
])
def test_bad_input_one_line_exit_2(argv, needle, tmp_path, capsys):
    assert main(argv + ["--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert needle in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not list(tmp_path.glob("*.csv"))          # nothing half-written


def test_console_script_exit_code_and_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "jakstat_rules.cli", "simulate", "--variant", "mutant_x"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "mutant_x" in proc.stderr and "Traceback" not in proc.stderr
