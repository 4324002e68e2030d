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
    assert ran == 9
    # the cross-talk runs show what the page says of them
    import pandas as pd

    runs = {n: pd.read_csv(f"results/{n}.csv").set_index("time")
            for n in ("il6_1nM", "il6_1nM__socs3_loss", "ifng_100pM", "ifng_100pM__stat1_loss")}
    wt, ko = runs["il6_1nM"], runs["il6_1nM__socs3_loss"]
    assert ko.pSTAT3_total[120] > 3 * wt.pSTAT3_total[120]
    assert ko.pSTAT1_total[120] > 2 * wt.pSTAT1_total[120]
    assert wt.pSTAT3_total[60] < 0.5 * wt.pSTAT3_total.max()
    assert wt.STAT1_STAT3_nuc.max() > 0
    wt, ko = runs["ifng_100pM"], runs["ifng_100pM__stat1_loss"]
    assert ko.pSTAT3_total[240] > 5 * wt.pSTAT3_total[240]
    assert ko.pSTAT3_total.max() > 1.3 * wt.pSTAT3_total.max()
    assert ko.pSTAT1_total.max() == 0
    for name in runs:
        assert Path(f"results/{name}.png").stat().st_size > 0
    assert Path("results/rux_bid_1d.png").stat().st_size > 0
    # jakstat export --schedule: the SBML with the schedule in, and its SED-ML
    import libsbml
    model = libsbml.readSBMLFromFile("results/rux_bid_1d.xml").getModel()
    assert [e.getId() for e in model.getListOfEvents()] == ["period_1"]  # the dose at 720 min
    assert model.getAssignmentRule("ruxolitinib_nM") is not None
    assert "rux_bid_1d.xml" in Path("results/rux_bid_1d.sedml").read_text(encoding="utf-8")
    assert Path("results/combination_ruxolitinib_nM_x_tofacitinib_nM__IFNb_pM-100.png").is_file()
