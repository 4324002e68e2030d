"""``jakstat cache``: what the on-disk caches hold, and removing entries not used lately.

References: the file system (sizes by ``os.stat``, times set with ``os.utime``),
an flock held by this test, and the cached function itself, which must give the
same result after its entry was removed.
"""
from __future__ import annotations

import fcntl
import json
import os
import time

import pytest

import jakstat_rules.sbml_summary as summaries
from jakstat_rules import cache
from jakstat_rules.cli import main
from jakstat_rules.io import read_cache_entry, write_cache_entry
from test_sbml_summary import SMALL

DAY = 86400


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv("JAKSTAT_CACHE", str(tmp_path))
    return tmp_path


def _age(paths, days):
    t = time.time() - days * DAY
    for p in paths:
        os.utime(p, (t, t))


def _fake_amici(folder, name, days):
    """An AMICI entry as the calibrator leaves it: model folder, build log, marker, lock."""
    model = folder / "amici" / name / f"jakstat_{name[:12]}"
    model.mkdir(parents=True)
    (model / "module.so").write_bytes(b"\0" * 5000)
    for suffix, text in ((".build.log", "cmake ...\n"), (".complete", "built\n"), (".lock", "")):
        (folder / "amici" / f"{name}{suffix}").write_text(text)
    _age([folder / "amici" / f"{name}{s}" for s in (".build.log", ".complete", ".lock")]
         + [folder / "amici" / name], days)


def test_info_counts_entries_and_bytes_as_the_file_system_does(folder, capsys):
    write_cache_entry(folder / "networks" / "a.net", "a", b"x" * 1000)
    write_cache_entry(folder / "compiled" / "b.rrstate", "b", b"y" * 3000)
    write_cache_entry(folder / "compiled" / "b.json", "b", b"{}")
    _fake_amici(folder, "c" * 32, days=3)
    found = {(e.kind, e.name): e for e in cache.entries()}
    assert set(found) == {("networks", "a"), ("compiled", "b"), ("amici", "c" * 32)}
    def du(path):  # bytes of the files at or under path
        if not path.is_dir():
            return path.stat().st_size
        return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)

    sizes = {k: sum(du(p) for p in e.paths) for k, e in found.items()}
    assert {k: e.size for k, e in found.items()} == sizes
    assert sizes[("amici", "c" * 32)] > 5000
    assert main(["cache"]) == 0
    out = capsys.readouterr().out
    assert str(folder) in out
    lines = {line.split()[0]: line.split() for line in out.splitlines()[1:]}
    assert lines["compiled"][1] == "1" and lines["networks"][1] == "1"
    assert lines["amici"][1] == "1" and lines["pruned"][1] == "0"
    assert lines["total"][1] == "3"


def test_a_read_is_a_use(folder):
    path = folder / "networks" / "a.net"
    write_cache_entry(path, "a", b"net")
    _age([path], 40)
    assert read_cache_entry(path, "a") == b"net"
    assert time.time() - path.stat().st_mtime < 60
    [entry] = cache.entries(["networks"])
    assert time.time() - entry.last_used < 60


def test_clear_older_than_keeps_recent_entries_and_a_removed_entry_is_rebuilt(folder, monkeypatch,
                                                                             capsys):
    monkeypatch.setattr(summaries, "_SUMMARIES", {})
    first = json.loads(json.dumps(summaries.model_summary(SMALL)))
    [entry] = (folder / "summaries").glob("*.json")
    write_cache_entry(folder / "networks" / "new.net", "new", b"n")
    _age([entry], 40)
    _fake_amici(folder, "d" * 32, days=40)
    assert main(["cache", "clear", "--older-than", "30"]) == 0
    assert "removed 2 cache entries" in capsys.readouterr().out
    assert not entry.exists()
    assert sorted(p.name for p in (folder / "amici").iterdir()) == []
    assert (folder / "networks" / "new.net").exists()
    monkeypatch.setattr(summaries, "_SUMMARIES", {})  # a new process: the entry is made again
    assert summaries.model_summary(SMALL) == first
    assert len(list((folder / "summaries").glob("*.json"))) == 1
    assert main(["cache", "clear", "--kind", "networks"]) == 0
    assert not (folder / "networks" / "new.net").exists()
    assert len(list((folder / "summaries").glob("*.json"))) == 1


def test_an_amici_build_in_progress_is_kept(folder, capsys):
    name = "e" * 32
    _fake_amici(folder, name, days=40)
    (folder / "amici" / f"{name}.complete").unlink()  # still building
    with open(folder / "amici" / f"{name}.lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # the build's lock
        assert main(["cache", "clear"]) == 0
        out = capsys.readouterr().out
        assert "removed 0 cache entries" in out and f"kept amici/{name}" in out
        assert (folder / "amici" / name).is_dir()
        fcntl.flock(fh, fcntl.LOCK_UN)
    assert main(["cache", "clear"]) == 0
    assert "removed 1 cache entries" in capsys.readouterr().out
    assert not list((folder / "amici").iterdir())


@pytest.mark.parametrize("argv, words", [
    (["cache", "clear", "--kind", "nets"], ["'nets'", "networks, sbml"]),
    (["cache", "clear", "--older-than", "-2"], ["-2", "days >= 0"]),
    (["cache", "--kind", "sbml"], ["--kind", "clear"]),
])
def test_bad_arguments_are_one_line_and_remove_nothing(folder, capsys, argv, words):
    write_cache_entry(folder / "sbml" / "s.xml", "s", b"<sbml/>")
    assert main(argv) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and all(w in err[0] for w in words), err
    assert (folder / "sbml" / "s.xml").exists()
