"""The committed model reference page is up to date."""
from pathlib import Path

from jakstat_rules.reference import model_reference

ROOT = Path(__file__).resolve().parents[1]


def test_model_reference_is_not_stale():
    committed = (ROOT / "docs" / "model_reference.md").read_text()
    assert committed == model_reference(), "run `jakstat reference` and commit docs/model_reference.md"


def test_reference_lists_every_monomer_and_parameter():
    from jakstat_rules.model import build_model
    page = model_reference()
    model = build_model()
    for mon in model.monomers:
        assert f"| {mon.name} |" in page
    for p in model.parameters:
        assert f"| {p.name} |" in page
