"""Tests of the data shipped with the package (jakstat_rules/data): the Kirby
2021 files against the shared originals, the example tables of
docs/own-data.md against the Kirby files they were cut from."""

from __future__ import annotations

import csv
import filecmp
from pathlib import Path

import pytest

from jakstat_rules.data import DATA_ROOT, EXAMPLE_FILES, example_path, kirby2021_dir
from jakstat_rules.errors import JakstatInputError
from conftest import REAL_DATA, needs_data


@needs_data
def test_kirby_files_are_byte_identical_to_the_shared_originals():
    shipped = kirby2021_dir()
    originals = sorted(p.name for p in REAL_DATA.iterdir() if p.name != "README.md")
    assert sorted(p.name for p in shipped.iterdir() if p.name != "README.md") == originals
    for name in originals:
        assert (shipped / name).read_bytes() == (REAL_DATA / name).read_bytes(), name
    match, mismatch, errors = filecmp.cmpfiles(REAL_DATA, shipped, originals, shallow=False)
    assert mismatch == errors == []


def test_licence_and_citation_travel_with_the_data():
    readme = (kirby2021_dir() / "README.md").read_text(encoding="utf-8")
    assert "doi:10.3389/fimmu.2021.748423" in readme and "MIT" in readme
    assert "5996de12c9071b0e54371da50bb031b80dc34050" in readme
    assert (kirby2021_dir() / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    assert "Kirby" in (DATA_ROOT / "examples" / "README.md").read_text(encoding="utf-8")


def test_example_values_come_from_the_kirby_files():
    """Every example value is the B-cell value of that experiment, dose and
    time in the Kirby files, as text (read here with the csv module)."""
    source = {}
    for f in kirby2021_dir().glob("2019*_pSTAT1_IFN.csv"):
        with open(f, newline="", encoding="utf-8") as fh:
            for rec in csv.DictReader(fh):
                pm = round(float(rec["Concentration (Mol)"]) * 1e12, 6)
                key = ("exp" + f.name[:8], rec["Cytokine"], pm, float(rec["Time (min)"]))
                source[key] = rec["pSTAT1 in B cells"]
    with open(example_path(), newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 72
    for row in rows:
        a, b = float(row["IFNa_pM"]), float(row["IFNb_pM"])
        key = (row["experiment"], "IFN-alpha" if a else "IFN-beta", a or b,
               float(row["time_min"]))
        assert row["value"] == source[key]
    with open(example_path("pstat1_example_wide.csv"), newline="", encoding="utf-8") as fh:
        wide = list(csv.reader(fh))
    assert wide[0][3:] == ["2.5 min", "5 min", "7.5 min", "10 min", "20 min", "60 min"]
    assert sorted(v for r in wide[1:] for v in r[3:]) == sorted(r["value"] for r in rows)


def test_wide_and_long_examples_give_the_same_problem(tmp_path):
    from jakstat_rules.calibrate.example import write_standin_sbml
    from jakstat_rules.data.tidy import ImportOptions, import_table

    sbml = write_standin_sbml(tmp_path / "m.xml")
    opts = ImportOptions(validate=["exp20190214"])
    long = import_table(example_path(), tmp_path / "long", opts, sbml=sbml)
    wide = import_table(example_path("pstat1_example_wide.csv"), tmp_path / "wide", opts,
                        sbml=sbml, wide=True)
    for name in ("train", "validation"):
        for f in ("conditions", "observables", "measurements", "parameters"):
            assert (long[name].parent / f"{f}.tsv").read_bytes() == \
                (wide[name].parent / f"{f}.tsv").read_bytes()


def test_example_names():
    assert [example_path(n).is_file() for n in EXAMPLE_FILES] == [True, True]
    with pytest.raises(JakstatInputError, match="expected one of"):
        example_path("nope.csv")


def test_package_data_covers_the_shipped_files():
    """Every shipped data file matches a pattern of setup.cfg's package data
    (so `pip install` carries it), when setup.cfg lists them."""
    import configparser
    import fnmatch

    cfg = configparser.ConfigParser()
    cfg.read(Path(__file__).resolve().parents[1] / "setup.cfg")
    if not cfg.has_option("options.package_data", "jakstat_rules"):
        pytest.skip("setup.cfg has no [options.package_data] for jakstat_rules yet")
    patterns = cfg.get("options.package_data", "jakstat_rules").split()
    package = DATA_ROOT.parent
    files = [p.relative_to(package).as_posix() for p in DATA_ROOT.rglob("*")
             if p.is_file() and p.suffix not in (".py", ".pyc")]
    missing = [f for f in files if not any(fnmatch.fnmatch(f, pat.rstrip(",")) for pat in patterns)]
    assert missing == []
