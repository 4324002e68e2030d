"""docs/cancer.md, run as a reader would: files written, every ``jakstat`` command run."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from jakstat_rules.cli import main

DOC = Path(__file__).resolve().parents[1] / "docs" / "cancer.md"
FENCE = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


@pytest.mark.slow
def test_walkthrough_commands(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    Path("bad.yaml").write_text("periods: [{time: 0, changes: {ruxolitinib_oral_mg: -20}}]\n")
    blocks = [(m.group(1), m.group(2).strip(), m.group(3)) for m in FENCE.finditer(DOC.read_text(encoding="utf-8"))]
    ran, last_rc = 0, None
    for kind, arg, text in blocks:
        if kind == "yaml" and arg:
            Path(arg).write_text(text)
        elif kind == "sh":
            for line in text.strip().splitlines():
                argv = shlex.split(line)
                assert argv[0] == "jakstat"
                capsys.readouterr()
                last_rc = main(argv[1:])
                ran += 1
        elif kind == "text" and text.startswith("jakstat: error:"):
            assert last_rc == 2
            assert capsys.readouterr().err.strip() == text.strip()
            last_rc = None
            continue
        if last_rc is not None and kind == "sh" and "bad.yaml" not in text:
            assert last_rc == 0, text
    assert ran == 5
    assert Path("results/rux_bid_1d.png").stat().st_size > 0
    # jakstat export --schedule: the SBML with the schedule in, and its SED-ML
    import libsbml
    model = libsbml.readSBMLFromFile("results/rux_bid_1d.xml").getModel()
    assert [e.getId() for e in model.getListOfEvents()] == ["period_1"]  # the dose at 720 min
    assert model.getAssignmentRule("ruxolitinib_nM") is not None
    assert "rux_bid_1d.xml" in Path("results/rux_bid_1d.sedml").read_text(encoding="utf-8")
    assert Path("results/combination_ruxolitinib_nM_x_tofacitinib_nM__IFNb_pM-100.png").is_file()
