"""What a ``jakstat`` process and its Dask workers skip at start-up (startup.py): they read
and evaluate PEtab problems as before, without importing rfc3987_syntax."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

CHECK = """
import json, sys
from jakstat_rules.cli import main
rc = main(["calibrate", sys.argv[1], "--evaluate-nominal", "--json", "--simulations", sys.argv[2]])
import petab.v1.yaml
petab.v1.yaml.validate(sys.argv[1])  # petab's schema check, with jsonschema, in this process
print(json.dumps({"rc": rc, "jsonschema": "jsonschema" in sys.modules,
                  "rfc3987_syntax": repr(sys.modules.get("rfc3987_syntax", "never imported"))}))
"""


def test_the_command_reads_petab_without_rfc3987_syntax(noisy_problem, tmp_path):
    """The command's NLL at the nominal values equals libpetab's, computed in this (test)
    process from the simulation table the command wrote; in the command's process
    jsonschema is imported and validates the problem, rfc3987_syntax is not imported."""
    import petab.v1 as petab

    sims = tmp_path / "simulations.tsv"
    out = subprocess.run([sys.executable, "-c", CHECK, str(noisy_problem), str(sims)],
                         check=True, capture_output=True, text=True).stdout.splitlines()
    result, marker = json.loads(out[-2]), json.loads(out[-1])
    assert marker == {"rc": 0, "jsonschema": True, "rfc3987_syntax": "None"}, marker
    problem = petab.Problem.from_yaml(noisy_problem)
    llh = petab.calculate_llh(problem.measurement_df, petab.get_simulation_df(sims),
                              problem.observable_df, problem.parameter_df)
    assert result["data_nll"] == pytest.approx(-llh, rel=1e-9)
    assert result["n_measurements"] == len(problem.measurement_df)


def test_the_workers_of_a_local_cluster_skip_it_and_threads_do_not(monkeypatch):
    from distributed import Client

    from jakstat_rules.calibrate.parallel import local_cluster

    def state():
        import sys
        return repr(sys.modules.get("rfc3987_syntax", "never imported"))

    with local_cluster(1) as address, Client(address) as client:
        assert set(client.run(state).values()) == {"None"}
    # this process as a library user's: no mark left by a jakstat command run in-process
    monkeypatch.delitem(sys.modules, "rfc3987_syntax", raising=False)
    before = state()
    with local_cluster(1, processes=False) as address, Client(address) as client:
        assert set(client.run(state).values()) == {before}
