"""BioNetGen network generation and its content-hash cache."""
from jakstat_rules.model import build_model
from jakstat_rules.network import clear_memory_cache, generate_network, model_key


def test_cache_hits_give_the_same_network(tmp_path, monkeypatch):
    monkeypatch.setenv("JAKSTAT_CACHE", str(tmp_path))
    clear_memory_cache()
    cold = build_model()
    r1 = generate_network(cold, use_cache=True)
    warm = build_model()
    r2 = generate_network(warm)
    clear_memory_cache()
    disk = build_model()
    r3 = generate_network(disk)
    assert (r1.cached, r2.cached, r3.cached) == ("no", "memory", "disk")
    assert list(tmp_path.glob("*.net"))
    for m in (warm, disk):
        assert [str(s) for s in m.species] == [str(s) for s in cold.species]
        assert len(m.reactions) == len(cold.reactions)
        assert [str(r["rate"]) for r in m.reactions] == [str(r["rate"]) for r in cold.reactions]


def test_key_depends_on_content_not_on_identity():
    assert model_key(build_model()) == model_key(build_model())
    assert model_key(build_model()) != model_key(build_model("socs1_loss"))
    # a parameter value is part of the BNGL, hence of the key
    assert model_key(build_model()) != model_key(build_model(overrides={"STAT1_0": 5e4}))
