"""Tests of jakstat_rules.calibrate.cli through the real entry point
:func:`jakstat_rules.cli.main`: help, runs, and every bad output path
(a file, a folder that cannot be written) giving one line on stderr and
exit code 2 before any computation.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jakstat_rules.calibrate.example import write_standin_sbml
from jakstat_rules.cli import main
from conftest import REAL_DATA, message_lines, needs_data


def one_error_line(capsys, *needles: str) -> str:
    """The single ``jakstat: error:`` line on stderr (no traceback)."""
    err = capsys.readouterr().err
    lines = message_lines(err)  # status lines of a cold cache aside
    assert len(lines) == 1, err
    assert lines[0].startswith("jakstat: error: ") and "Traceback" not in err
    for needle in needles:
        assert needle in lines[0]
    return lines[0]


def unwritable_folder(tmp_path: Path) -> Path:
    """A folder in which nothing can be created (a read-only folder; as root,
    for whom permissions do not hold, a folder below /sys)."""
    folder = tmp_path / "readonly"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        (folder / ".probe").touch()
    except OSError:
        return folder
    (folder / ".probe").unlink()
    folder.chmod(0o755)
    sysfs = Path("/sys/fs")
    if sysfs.is_dir() and _refuses(sysfs):
        return sysfs
    pytest.skip("no folder here refuses writing")


def _refuses(folder: Path) -> bool:
    try:
        (folder / "jakstat_probe").mkdir()
    except OSError:
        return True
    (folder / "jakstat_probe").rmdir()
    return False


@pytest.mark.parametrize("argv", [["calibrate", "--help"], ["profile", "--help"],
                                  ["validate", "--help"], ["data", "petab", "--help"]])
def test_help(argv, capsys):
    with pytest.raises(SystemExit) as err:
        main(argv)
    assert err.value.code == 0
    assert "usage" in capsys.readouterr().out


def test_bad_cli_numbers(capsys):
    for argv in (["calibrate", "p.yaml", "--starts", "0"], ["calibrate", "p.yaml", "--seed", "-1"]):
        with pytest.raises(SystemExit) as err:
            main(argv)
        assert err.value.code == 2
    assert "expected an integer" in capsys.readouterr().err
    for bad in ("0", "2", "x"):
        with pytest.raises(SystemExit) as err:
            main(["calibrate", "p.yaml", "--rtol", bad])
        assert err.value.code == 2
        assert f"'{bad}'" in capsys.readouterr().err


def test_cli_calibrate_runs(exact_problem, tmp_path, capsys):
    code = main(["calibrate", str(exact_problem), "--starts", "2", "--seed", "0",
                 "--out", str(tmp_path / "o"), "--no-progress", "--rtol", "1e-8"])
    assert code == 0
    summary = json.loads((tmp_path / "o" / "summary.json").read_text(encoding="utf-8"))
    assert summary["n_starts"] == 2 and summary["n_finished"] == 2
    # the integrator tolerance asked for is the one used and kept for profile/validate
    assert summary["settings"]["rtol"] == 1e-8 and summary["settings"]["atol"] == 1e-10
    assert f"results in {tmp_path / 'o'}" in capsys.readouterr().out


# -- bad output paths ---------------------------------------------------------

def test_calibrate_out_is_a_file(exact_problem, tmp_path, capsys):
    target = tmp_path / "taken"
    target.write_text("mine")
    assert main(["calibrate", str(exact_problem), "--out", str(target), "--starts", "2",
                 "--no-progress"]) == 2
    one_error_line(capsys, str(target), "is a file")
    assert target.read_text(encoding="utf-8") == "mine"


def test_calibrate_out_cannot_be_written(exact_problem, tmp_path, capsys):
    out = unwritable_folder(tmp_path) / "fit"
    assert main(["calibrate", str(exact_problem), "--out", str(out), "--starts", "2",
                 "--no-progress"]) == 2
    one_error_line(capsys, str(out), "cannot be written")
    assert not out.exists()


def test_profile_out_is_a_file_or_unwritable(exact_problem, exact_fit, tmp_path, capsys):
    target = tmp_path / "taken"
    target.write_text("mine")
    for out, what in ((target, "is a file"), (unwritable_folder(tmp_path) / "prof", "cannot be written")):
        assert main(["profile", str(exact_problem), "--fit", str(exact_fit), "--out", str(out),
                     "--no-progress"]) == 2
        one_error_line(capsys, str(out), what)
    assert target.read_text(encoding="utf-8") == "mine"


def test_validate_out_is_a_file_or_unwritable(exact_problem, exact_fit, tmp_path, capsys):
    target = tmp_path / "taken"
    target.write_text("mine")
    for out, what in ((target, "is a file"), (unwritable_folder(tmp_path) / "val", "cannot be written")):
        assert main(["validate", str(exact_fit), str(exact_problem), "--out", str(out)]) == 2
        one_error_line(capsys, str(out), what)
    assert target.read_text(encoding="utf-8") == "mine"


def test_validate_bad_fit_dir(exact_problem, tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nofit"), str(exact_problem),
                 "--out", str(tmp_path / "out")]) == 2
    one_error_line(capsys, "summary.json")
    assert not (tmp_path / "out").exists()


# -- data petab ---------------------------------------------------------------

@needs_data
def test_cli_data_petab(tmp_path, capsys):
    sbml = write_standin_sbml(tmp_path / "m.xml")
    code = main(["data", "petab", "--data", str(REAL_DATA), "--out",
                 str(tmp_path / "petab"), "--sbml", str(sbml)])
    assert code == 0
    assert (tmp_path / "petab" / "train" / "problem.yaml").is_file()
    capsys.readouterr()
    assert main(["data", "petab", "--data", str(tmp_path / "none"), "--out",
                 str(tmp_path / "x"), "--sbml", str(sbml)]) == 2
    one_error_line(capsys, "none", "does not exist")
    assert not (tmp_path / "x").exists()


@needs_data
def test_data_petab_out_is_a_file_or_unwritable(tmp_path, capsys):
    sbml = write_standin_sbml(tmp_path / "m.xml")
    target = tmp_path / "taken"
    target.write_text("mine")
    assert main(["data", "petab", "--data", str(REAL_DATA), "--out", str(target),
                 "--sbml", str(sbml)]) == 2
    one_error_line(capsys, str(target), "is a file")
    assert target.read_text(encoding="utf-8") == "mine"
    readonly = unwritable_folder(tmp_path)
    assert main(["data", "petab", "--data", str(REAL_DATA), "--out", str(readonly),
                 "--sbml", str(sbml)]) == 2
    one_error_line(capsys, str(readonly), "cannot be written")
    assert not (readonly / "train").exists()


@needs_data
def test_data_petab_checks_validation_data_before_writing(tmp_path, capsys):
    """Damaged validation data: nothing is written, not even the training problem."""
    import shutil

    data = tmp_path / "data"
    data.mkdir()
    for f in REAL_DATA.glob("2019*_pSTAT1_IFN.csv"):
        shutil.copy(f, data / f.name)
    target = data / "20190214_pSTAT1_IFN.csv"  # the validation experiment
    lines = target.read_text(encoding="utf-8").splitlines()
    cells = lines[3].split(",")
    cells[4] = "soon"  # the time column
    lines[3] = ",".join(cells)
    target.write_text("\n".join(lines) + "\n")
    sbml = write_standin_sbml(tmp_path / "m.xml")
    out = tmp_path / "petab"
    assert main(["data", "petab", "--data", str(data), "--out", str(out), "--sbml", str(sbml)]) == 2
    one_error_line(capsys, "20190214_pSTAT1_IFN.csv", "line 4", "'soon'")
    assert not out.exists()
