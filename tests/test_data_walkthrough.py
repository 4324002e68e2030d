"""docs/own-data.md, run step by step as a new user would (issue 10).

Every ``jakstat`` command of the page's ``sh`` blocks runs through the real
entry point in an empty folder, with ``$JAKSTAT_DATA`` unset, in the page's
order; ``csv <path>`` blocks are written first, a ``text`` block starting
with ``jakstat: error:`` is the expected message of the command before it.
Budgets are cut (2 starts of at most 2 evaluations with finite differences and
no polish, in-process, 1 profile step of one of the page's parameters); otherwise the
commands are the page's own.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from jakstat_rules.cli import main

DOC = Path(__file__).resolve().parents[1] / "docs" / "own-data.md"
FENCE = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _steps() -> list[tuple[str, str, str]]:
    """(kind, argument, text) of each fenced block, in page order."""
    return [(m.group(1), m.group(2).strip(), m.group(3)) for m in FENCE.finditer(DOC.read_text(encoding="utf-8"))]


def _small_budget(argv: list[str]) -> list[str]:
    text = " ".join(argv)
    text = re.sub(r" --workers \d+", "", text)
    if argv[0] == "calibrate":
        # finite differences: AMICI's build of the model for the derivative choice takes 45 s
        # (the choice is tested in test_calibrate_defaults)
        text = (re.sub(r"--starts \d+", "--starts 2", text)
                + " --max-evaluations 2 --gradient fd --no-progress --no-polish")
    elif argv[0] == "validate":
        text += " --starts 1"
    elif argv[0] == "profile":
        text = re.sub(r"--max-steps \d+", "--max-steps 1", text)
        text = re.sub(r"--parameters( [^-]\S*)+", "--parameters kint_complex", text)
        text += " --no-progress"
    return text.split(" ")


@pytest.mark.slow
def test_walkthrough_commands(tmp_path, monkeypatch, capsys):
    """~15 s on the real model (an idle 2-core machine)."""
    monkeypatch.delenv("JAKSTAT_DATA", raising=False)
    home = tmp_path / "a" / "b"  # no ../shared beside it
    home.mkdir(parents=True)
    monkeypatch.chdir(home)
    steps = _steps()
    ran, expected_errors = [], 0
    for i, (kind, arg, text) in enumerate(steps):
        if kind == "csv" and arg:
            Path(arg).parent.mkdir(parents=True, exist_ok=True)
            Path(arg).write_text(text, encoding="utf-8")
            continue
        if kind == "python":
            exec(compile(text, f"{DOC.name} python block", "exec"), {})
            continue
        if kind != "sh":
            continue
        for line in text.splitlines():
            if not line.startswith("jakstat "):
                continue
            argv = _small_budget(shlex.split(line)[1:])
            nxt = steps[i + 1] if i + 1 < len(steps) else ("", "", "")
            capsys.readouterr()
            code = main(argv)
            if nxt[0] == "text" and nxt[2].startswith("jakstat: error:"):
                err = capsys.readouterr().err.strip()
                assert code == 2 and err == nxt[2].strip(), line
                expected_errors += 1
            else:
                assert code == 0, (line, capsys.readouterr().err)
            ran.append(argv[0] if argv[0] != "data" else f"data {argv[1]}")
    assert ran == ["data example", "data import", "calibrate", "validate", "profile",
                   "data import", "data petab"]
    assert expected_errors == 1 and not Path("typo_petab").exists()

    for f in ("summary.json", "best_parameters.tsv", "waterfall.png", "fit.png",
              "parameters.png"):
        assert (Path("fit") / f).is_file(), f
    summary = json.loads(Path("fit/summary.json").read_text(encoding="utf-8"))
    assert set(summary["best_parameters"]) == {
        "kon_IFNA2_IFNAR2", "kon_IFNB1_IFNAR2", "kint_complex", "scale_exp20190108",
        "sigma_exp20190108", "scale_exp20190119", "sigma_exp20190119"}
    validation = json.loads(Path("validation/validation.json").read_text(encoding="utf-8"))
    assert {"r2", "nrmse", "nll"} <= set(validation)
    assert Path("validation/prediction.png").is_file()
    profiles = json.loads(Path("profile/profiles.json").read_text(encoding="utf-8"))
    assert set(profiles["parameters"]) == {"kint_complex"}
    assert Path("profile/profiles.png").is_file()
    for name in ("train", "validation"):
        assert Path(f"kirby_petab/{name}/problem.yaml").is_file()
