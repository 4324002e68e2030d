"""Atomic writes, output checks, checksummed cache entries and resumable folders."""
import logging
import os

import pytest

from jakstat_rules import io
from jakstat_rules.errors import JakstatInputError

#: A folder no process may create files in, root included.
UNWRITABLE = "/proc/jakstat-test-cannot-exist"


def _leftovers(folder):
    return [p.name for p in folder.rglob("*") if p.name.startswith(".")]


def test_atomic_write_replaces_whole_files_and_leaves_no_temp(tmp_path):
    target = tmp_path / "sub" / "a.txt"
    io.atomic_write(target, "one\n")
    io.atomic_write(target, "two\n")
    assert target.read_text(encoding="utf-8") == "two\n" and _leftovers(tmp_path) == []


def test_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "a.txt"
    io.atomic_write(target, "old")

    def boom(src, dst):
        raise KeyboardInterrupt  # killed between writing and renaming

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        io.atomic_write(target, "new")
    assert target.read_text(encoding="utf-8") == "old" and _leftovers(tmp_path) == []


@pytest.mark.parametrize("make", ["folder_as_file", "file_as_folder", "unwritable"])
def test_bad_output_paths_raise_one_clear_error(tmp_path, make):
    if make == "folder_as_file":
        (tmp_path / "x.csv").mkdir()
        with pytest.raises(JakstatInputError, match="x.csv' is a folder"):
            io.atomic_write(tmp_path / "x.csv", "data")
        with pytest.raises(JakstatInputError, match="is a folder"):
            io.check_output_file(tmp_path / "x.csv")
    elif make == "file_as_folder":
        (tmp_path / "out").write_text("I am a file")
        with pytest.raises(JakstatInputError, match="out' is a file: expected a folder"):
            io.check_output_dir(tmp_path / "out")
        with pytest.raises(JakstatInputError, match="cannot write"):
            io.atomic_write(tmp_path / "out" / "a.csv", "data")
    else:
        with pytest.raises(JakstatInputError, match="cannot be written"):
            io.check_output_dir(UNWRITABLE)
    assert _leftovers(tmp_path) == []


def test_save_figure_into_a_folder_leaves_nothing(tmp_path):
    from matplotlib.figure import Figure

    (tmp_path / "plot.png").mkdir()
    fig = Figure()
    fig.subplots().plot([0, 1], [0, 1])
    with pytest.raises(JakstatInputError, match="plot.png' is a folder"):
        io.save_figure(fig, tmp_path / "plot.png")
    io.save_figure(fig, tmp_path / "ok.png")
    assert (tmp_path / "ok.png").read_bytes()[:4] == b"\x89PNG"
    assert _leftovers(tmp_path) == []


def test_cache_entries_round_trip_and_reject_damage(tmp_path, caplog):
    path = tmp_path / "entry.bin"
    payload = b"begin species\n1 A() 10\nend species\n"
    assert io.write_cache_entry(path, "key-1", payload)
    assert io.read_cache_entry(path, "key-1") == payload
    cases = {
        "truncated at a line boundary": lambda raw: raw[: raw.rindex(b"\n", 0, len(raw) - 1) + 1],
        "empty": lambda raw: b"",
        "not an entry": lambda raw: payload,
        "one byte changed": lambda raw: raw[:-2] + b"X\n",
    }
    for what, damage in cases.items():
        io.write_cache_entry(path, "key-1", payload)
        path.write_bytes(damage(path.read_bytes()))
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="jakstat_rules"):
            assert io.read_cache_entry(path, "key-1") is None, what
        assert not path.exists(), what                      # removed: never used again
        assert len(caplog.records) == 1 and "regenerating" in caplog.records[0].getMessage(), what
    io.write_cache_entry(path, "key-1", payload)
    with caplog.at_level(logging.WARNING, logger="jakstat_rules"):
        assert io.read_cache_entry(path, "key-2") is None          # a foreign entry
    assert "foreign" in caplog.records[-1].getMessage()
    assert io.read_cache_entry(tmp_path / "absent", "key-1") is None


def test_claim_output_dir_resumes_the_same_run_only(tmp_path):
    out = tmp_path / "fit"
    io.claim_output_dir(out, "fit", {"problem": "abc", "seed": 1})
    io.claim_output_dir(out, "fit", {"problem": "abc", "seed": 1})         # resume: fine
    with pytest.raises(JakstatInputError, match="seed 1, this run has 2"):
        io.claim_output_dir(out, "fit", {"problem": "abc", "seed": 2})
    with pytest.raises(JakstatInputError, match="holds 'fit' results"):
        io.claim_output_dir(out, "profile", {"problem": "abc"})
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(JakstatInputError, match="not empty and holds no run.json"):
        io.claim_output_dir(tmp_path / "other", "fit", {})
    (out / "run.json").write_text("{broken")
    with pytest.raises(JakstatInputError, match="damaged"):
        io.claim_output_dir(out, "fit", {"problem": "abc", "seed": 1})


def test_json_keeps_non_finite_numbers_standard(tmp_path):
    import json

    import numpy as np

    path = io.write_json(tmp_path / "s.json", {"best": float("inf"), "x": np.array([1.0, np.nan]),
                                                "n": np.int64(3)})
    data = json.loads(path.read_text(encoding="utf-8"))           # standard JSON: no Infinity / NaN tokens
    assert data == {"best": "inf", "x": [1.0, "nan"], "n": 3}


def test_lock_output_dir_refuses_a_second_holder_and_is_released(tmp_path):
    out = tmp_path / "fit"
    with io.lock_output_dir(out):
        with pytest.raises(JakstatInputError, match=r"'.*fit' is in use by another run \(pid "):
            with io.lock_output_dir(out):
                pass
    for stop in (RuntimeError, KeyboardInterrupt):          # released on errors and ^C
        with pytest.raises(stop):
            with io.lock_output_dir(out):
                raise stop()
        with io.lock_output_dir(out):
            assert (out / ".lock").is_file()
    assert list(out.iterdir()) == []                                 # removed on release


def test_lock_output_dir_across_processes(tmp_path):
    """A lock held by another process refuses this one; it is free once that
    process ends (even when it is killed)."""
    import subprocess
    import sys

    out = tmp_path / "fit"
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys\nfrom jakstat_rules.io import lock_output_dir\n"
         f"with lock_output_dir({str(out)!r}):\n print('locked', flush=True)\n sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "locked"
        with pytest.raises(JakstatInputError, match=f"pid {child.pid} "):
            with io.lock_output_dir(out):
                pass
    finally:
        child.kill()
        child.wait()
    assert (out / ".lock").is_file()           # left by the killed holder, but not locked
    with io.lock_output_dir(out):
        pass
    assert list(out.iterdir()) == []


def test_written_files_follow_the_umask(tmp_path):
    from matplotlib.figure import Figure

    old = os.umask(0o022)
    try:
        text = io.atomic_write(tmp_path / "a.txt", "x")
        fig = Figure()
        fig.subplots()
        png = io.save_figure(fig, tmp_path / "a.png")
    finally:
        os.umask(old)
    assert (text.stat().st_mode & 0o777) == (png.stat().st_mode & 0o777) == 0o644
