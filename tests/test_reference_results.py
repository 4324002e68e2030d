"""The reference fit's committed results: every file calibration/kirby2021/README.md
names exists, is not ignored by git, and agrees with the numbers the README states."""
import json
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "calibration" / "kirby2021"
RESULTS = FOLDER / "results"
#: what run.sh copies next to the README (besides the plots the README names)
COPIED = ["summary.json", "best_parameters.tsv", "optimize_result.tsv", "validation.json",
          "profiles.json", "replicate_baseline.json"]


def _named_in_readme() -> set[str]:
    text = (FOLDER / "README.md").read_text(encoding="utf-8")
    names = re.findall(r"`([^`\s]+\.(?:json|tsv|png|svg|csv))`", text)
    return {Path(n).name for n in names}


def test_readme_names_files():
    assert {"profiles.json", "fit_training.png"} <= _named_in_readme()


@pytest.mark.parametrize("name", sorted(_named_in_readme() | set(COPIED)))
def test_every_named_result_is_committed(name):
    path = RESULTS / name
    assert path.is_file() and path.stat().st_size > 0, f"{path} missing or empty"
    ignored = subprocess.run(["git", "check-ignore", "-q", str(path)], cwd=ROOT)
    assert ignored.returncode == 1, f"{path} is ignored by .gitignore"


def test_readme_numbers_match_the_committed_summaries():
    text = (FOLDER / "README.md").read_text(encoding="utf-8")
    summary = json.loads((RESULTS / "summary.json").read_text(encoding="utf-8"))
    validation = json.loads((RESULTS / "validation.json").read_text(encoding="utf-8"))
    assert f"{summary['best_fval']:.2f}" in text
    assert f"{summary['n_converged']} / {summary['n_starts']}" in text
    assert f"R² = {validation['r2']:.3f}" in text


def test_the_committed_fit_is_a_fit_of_the_kirby_problem_built_now(tmp_path):
    """`jakstat supplement --out DIR` reports the committed fit by default: it must be a fit of
    the Kirby 2021 training problem as `jakstat data petab` writes it today (same problem
    hash: the model's SBML, data, conditions and parameter table), else the supplement
    refuses it.  A change of the model's SBML calls for a re-run of run.sh."""
    from jakstat_rules.data.kirby import write_kirby_petab
    from jakstat_rules.supplement.problem import file_hash

    summary = json.loads((RESULTS / "summary.json").read_text(encoding="utf-8"))
    train = write_kirby_petab(None, tmp_path / "kirby", petab_version=1)["train"]
    assert file_hash(train) == summary["problem_hash"], (
        "calibration/kirby2021/results is a fit of another problem: re-run "
        "calibration/kirby2021/run.sh")
