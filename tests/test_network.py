"""BioNetGen network generation, its structure-keyed cache and the generated SBML."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from jakstat_rules.cli import main
from jakstat_rules.model import build_model
from jakstat_rules.artifacts import clear_memory_cache, model_sbml
from jakstat_rules.network import generate_network, structure_key

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JAKSTAT_CACHE", str(tmp_path))
    clear_memory_cache()
    yield tmp_path
    clear_memory_cache()


@pytest.fixture(scope="module")
def fresh_network(tmp_path_factory):
    """One BioNetGen run of the default model into an empty cache of its own: the name and
    bytes of the entry it writes, and its report.  Tests that need a complete entry in their
    private cache copy it (:func:`_seed`) instead of running BioNetGen again."""
    folder = tmp_path_factory.mktemp("network_cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JAKSTAT_CACHE", str(folder))
        clear_memory_cache()
        report = generate_network(build_model(), use_cache=False)
        clear_memory_cache()
    assert report.cached == "no"
    entry, = (folder / "networks").glob("*.net")
    return entry.name, entry.read_bytes(), report


def _seed(cache: Path, fresh_network) -> Path:
    """The complete entry of :func:`fresh_network` written into ``cache``; its path."""
    name, raw, _ = fresh_network
    entry = cache / "networks" / name
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_bytes(raw)
    return entry


def _bng2_counts(bngl: Path, workdir: Path) -> tuple[int, int]:
    """Species and reactions counted in the .net file BNG2.pl writes for ``bngl``.

    Independent of PySB and of the project's cache: BNG2.pl from the
    bionetgen package runs on the committed BNGL export.
    """
    import bionetgen

    bng = Path(bionetgen.defaults.bng_path) / "BNG2.pl"
    model = workdir / "model.bngl"
    text = bngl.read_text(encoding="utf-8")
    text = text[: text.index("\ngenerate_network")] + "\ngenerate_network({overwrite=>1})\nend actions\n"
    model.write_text(text, encoding="utf-8")
    subprocess.run(["perl", str(bng), str(model)], cwd=workdir, check=True, capture_output=True)
    net = (workdir / "model.net").read_text(encoding="utf-8")

    def count(section):
        block = net.split(f"begin {section}")[1].split(f"end {section}")[0]
        return sum(1 for line in block.splitlines() if re.match(r"\s*\d+\s", line))

    return count("species"), count("reactions")



def _without_status(err: str) -> list[str]:
    """stderr lines other than the status lines of work in progress (``jakstat: ... ...``)."""
    return [line for line in err.strip().splitlines()
            if not (line.startswith("jakstat: ") and line.endswith(" ..."))]

def test_network_matches_an_independent_bionetgen_run(fresh_network, tmp_path_factory):
    report = fresh_network[2]
    species, reactions = _bng2_counts(ROOT / "sbml" / "jakstat_ifn.bngl", tmp_path_factory.mktemp("bng"))
    assert (report.species, report.reactions) == (species, reactions)


def test_cache_hits_give_the_same_network(private_cache):
    cold = build_model()
    r1 = generate_network(cold, use_cache=True)
    warm = build_model()
    r2 = generate_network(warm)
    clear_memory_cache()
    disk = build_model()
    r3 = generate_network(disk)
    assert (r1.cached, r2.cached, r3.cached) == ("no", "memory", "disk")
    assert list((private_cache / "networks").glob("*.net"))
    for m in (warm, disk):
        assert [str(s) for s in m.species] == [str(s) for s in cold.species]
        assert [str(r["rate"]) for r in m.reactions] == [str(r["rate"]) for r in cold.reactions]


def test_key_is_the_structure_not_the_values(private_cache, fresh_network):
    assert structure_key(build_model()) == structure_key(build_model())
    assert structure_key(build_model()) != structure_key(build_model("socs1_loss"))
    # parameter values do not change which species and reactions exist
    assert structure_key(build_model()) == structure_key(build_model(overrides={"STAT1_0": 5e4}))
    assert _seed(private_cache, fresh_network).stem == structure_key(build_model())
    changed = build_model(overrides={"STAT1_0": 5e4, "kdeg_STAT1": 0.0})
    report = generate_network(changed)
    assert report.cached == "disk"                       # BioNetGen did not run again
    assert changed.parameters["STAT1_0"].value == 5e4     # and the values are the model's


@pytest.mark.parametrize("damage", ["truncated at a line boundary", "empty", "foreign"])
def test_damaged_cache_entries_are_regenerated_not_used(private_cache, fresh_network, damage,
                                                      capsys):
    reference = fresh_network[2]
    entry = _seed(private_cache, fresh_network)
    raw = entry.read_bytes()
    if damage == "empty":
        entry.write_bytes(b"")
    elif damage == "foreign":
        other = raw.replace(raw.split(b" ")[1], b"0" * len(raw.split(b" ")[1]), 1)
        entry.write_bytes(other)
    else:
        lines = raw.split(b"\n")
        entry.write_bytes(b"\n".join(lines[: len(lines) // 2]) + b"\n")
    clear_memory_cache()
    assert main(["network", "--json"]) == 0
    captured = capsys.readouterr()
    assert "regenerating" in captured.err and len(_without_status(captured.err)) == 1
    import json
    info = json.loads(captured.out)
    assert (info["species"], info["reactions"], info["source"]) == \
        (reference.species, reference.reactions, "no")


def test_no_cache_replaces_a_damaged_entry(private_cache, fresh_network):
    entry = _seed(private_cache, fresh_network)
    entry.write_bytes(entry.read_bytes()[:1000])
    clear_memory_cache()
    assert main(["network", "--no-cache"]) == 0
    clear_memory_cache()
    again = generate_network(build_model())
    assert again.cached == "disk" and again.reactions > 1000


def test_bad_bngpath_is_one_line_and_exit_2(private_cache):
    env = {**os.environ, "BNGPATH": str(private_cache / "no-bionetgen-here")}
    proc = subprocess.run([sys.executable, "-m", "jakstat_rules.cli", "network", "--no-cache"],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 2
    assert "BNGPATH" in proc.stderr and "no-bionetgen-here" in proc.stderr
    assert "Traceback" not in proc.stderr and len(_without_status(proc.stderr)) == 1


@pytest.mark.slow
def test_generated_sbml_is_the_committed_file(private_cache, fresh_network):
    """What the simulator starts from is byte for byte the SBML users get in sbml/ (the
    default model's network from the module's run of BioNetGen, socs1_loss's generated)."""
    _seed(private_cache, fresh_network)
    for variant, name in (("default", "jakstat_ifn.xml"), ("socs1_loss", "jakstat_ifn_socs1_loss.xml")):
        text = model_sbml(variant)
        assert text == (ROOT / "sbml" / name).read_text(encoding="utf-8"), name
        clear_memory_cache()
        assert model_sbml(variant) == text                 # from the disk cache: same text
    shutil.rmtree(private_cache / "sbml")


def _network(model) -> tuple:
    """Everything a .net reader fills in, comparable across two builds of one model (the
    rates printed with sympy's srepr, without the per-instance ``dummy_index``)."""
    from sympy import srepr

    def expr(e):
        return re.sub(r"dummy_index=\d+", "", srepr(e))
    reactions = [[{k: expr(v) if k == "rate" else v for k, v in r.items()} for r in rs]
                 for rs in (model.reactions, model.reactions_bidirectional)]
    return (reactions, [str(s) for s in model.species],
            [(o.name, list(o.species), list(o.coefficients)) for o in model.observables],
            [(p.name, expr(p.value)) for p in model._derived_parameters],
            [(e.name, expr(e.expr)) for e in model._derived_expressions])


@pytest.mark.parametrize("example", ["earm_1_0", "localfunc", "move_connected", "bngwiki_egfr_simple"])
def test_netfile_reader_gives_what_pysb_s_reader_gives(example):
    """``read_netfile`` fills a model as PySB's own .net reader does, on PySB's example
    models: reversible rules (earm), functions BioNetGen derives (localfunc), compartments
    (move_connected), species of many molecules (egfr)."""
    import importlib
    from pysb.bng import _parse_netfile, generate_network as bng_network
    from jakstat_rules.network import read_netfile

    module = importlib.import_module(f"pysb.examples.{example}")
    netfile = bng_network(importlib.reload(module).model)
    theirs = importlib.reload(module).model
    _parse_netfile(theirs, iter(netfile.split("\n")))
    ours = importlib.reload(module).model
    read_netfile(ours, netfile)
    assert ours.reactions and _network(ours) == _network(theirs)


def test_netfile_reader_on_the_model_gives_what_pysb_s_reader_gives():
    """The default model's network (1947 reactions, most from reversible rules) read both ways."""
    from pysb.bng import _parse_netfile
    from jakstat_rules.network import _MEMORY, read_netfile

    generate_network(build_model("default"))
    netfile = _MEMORY[structure_key(build_model("default"))]
    theirs = build_model("default")
    _parse_netfile(theirs, iter(netfile.split("\n")))
    ours = build_model("default")
    read_netfile(ours, netfile)
    assert len(ours.reactions) > 1000 and _network(ours) == _network(theirs)
