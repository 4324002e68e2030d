"""study.json: organism and cell type of a problem's data (jakstat_rules.data.study)."""
from __future__ import annotations

import json

import pytest

from jakstat_rules.data.study import read_study, study_record, write_study
from jakstat_rules.errors import JakstatInputError


@pytest.mark.parametrize("given, expected", [
    ("mouse", {"organism": "Mus musculus", "ncbi_taxon": 10090}),
    ("Human", {"organism": "Homo sapiens", "ncbi_taxon": 9606}),
    ("mus  musculus", {"organism": "Mus musculus", "ncbi_taxon": 10090}),
    ("NCBITaxon:10116", {"organism": "Rattus norvegicus", "ncbi_taxon": 10116}),
    ("NCBITaxon:7955", {"ncbi_taxon": 7955}),
    ("Danio rerio", {"organism": "Danio rerio"}),  # a Latin name unknown here: no guessed taxon
])
def test_organism_forms(given, expected):
    assert study_record(given) == expected


@pytest.mark.parametrize("organism", ["martian", "NCBITaxon:0", "NCBITaxon:abc", "10090", ""])
def test_bad_organism_names_the_value(organism):
    with pytest.raises(JakstatInputError, match="NCBITaxon") as err:
        study_record(organism)
    assert repr(organism) in str(err.value)


def test_cell_type_must_be_one_line():
    assert study_record(cell_type=" B cell ") == {"cell_type": "B cell"}
    for bad in ("", "B\ncell"):
        with pytest.raises(JakstatInputError, match="cell type"):
            study_record(cell_type=bad)


def test_write_and_read_back(tmp_path):
    assert write_study(tmp_path) is None and read_study(tmp_path / "problem.yaml") is None
    write_study(tmp_path, "mouse", "B cell")
    assert read_study(tmp_path / "problem.yaml") == {
        "organism": "Mus musculus", "ncbi_taxon": 10090, "cell_type": "B cell"}


@pytest.mark.parametrize("content", ['["mouse"]', '{"ncbi_taxon": "10090"}', '{"taxon": 1}',
                                     '{"ncbi_taxon": true}', "{"])
def test_damaged_study_file_is_refused(tmp_path, content):
    (tmp_path / "study.json").write_text(content, encoding="utf-8")
    with pytest.raises(JakstatInputError, match="study file"):
        read_study(tmp_path / "problem.yaml")


def test_kirby_problems_are_mouse_b_cells(tmp_path):
    from jakstat_rules.data.kirby import write_kirby_petab

    paths = write_kirby_petab(None, tmp_path, cell_type="CD8+ T cells")
    for path in paths.values():
        assert json.loads((path.parent / "study.json").read_text(encoding="utf-8")) == {
            "organism": "Mus musculus", "ncbi_taxon": 10090, "cell_type": "CD8+ T cell"}


def test_data_import_with_a_bad_organism_writes_nothing(tmp_path, capsys):
    from jakstat_rules.cli import main

    assert main(["data", "example", "--out", str(tmp_path / "x")]) == 0
    assert main(["data", "import", str(tmp_path / "x" / "pstat1_example.csv"), "--out",
                 str(tmp_path / "p"), "--organism", "martian"]) == 2
    assert "'martian'" in capsys.readouterr().err
    assert not (tmp_path / "p").exists()
