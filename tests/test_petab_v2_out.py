"""PEtab v2 written by the project: the data writers' ``--petab-version 2``.

References: the PEtab v1 problem the same command writes (condition pairs
instead of experiments: the same likelihood, evaluated on the simulation
core), libpetab's v2 linter, and pyPESTO 0.7 with AMICI reading the written
v2 problem with its own importer and simulator.  The collection problems
converted to v2 are checked in ``test_calibrate_nominal.py``.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from petab.versions import get_major_version

from jakstat_rules.calibrate.example import write_standin_sbml
from jakstat_rules.calibrate.nominal import evaluate_nominal
from jakstat_rules.cli import main
from jakstat_rules.petab_io import lint_or_raise, read_problem


@pytest.fixture(scope="module")
def kirby_both(tmp_path_factory) -> Path:
    """The Kirby problems on the stand-in model, written as PEtab v1 and as v2."""
    root = tmp_path_factory.mktemp("v2out")
    sbml = write_standin_sbml(root / "m.xml")
    for version in (1, 2):
        assert main(["data", "petab", "--out", str(root / f"v{version}"), "--sbml", str(sbml),
                     "--petab-version", str(version)]) == 0
    return root


@pytest.mark.parametrize("name", ["train", "validation"])
def test_data_petab_writes_v2_with_the_likelihood_of_v1(kirby_both, name):
    v1, v2 = (kirby_both / f"v{k}" / name / "problem.yaml" for k in (1, 2))
    assert get_major_version(str(v1)) == 1 and get_major_version(str(v2)) == 2
    lint_or_raise(v2)  # libpetab's v2 linter
    problem = read_problem(v2)
    assert len(problem.experiments) == len(read_problem(v1).condition_df)
    assert all(len(e.periods) == 1 for e in problem.experiments)
    assert (v2.parent / "study.json").is_file()
    a, b = evaluate_nominal(v1), evaluate_nominal(v2)
    assert b.data_nll == pytest.approx(a.data_nll, rel=1e-9)
    # v2 has no parameterScale: the search scales chosen from the bounds are v1's
    from jakstat_rules.calibrate.mapping import ParameterTable
    from jakstat_rules.petab_io import ProblemPayload

    tables = [ParameterTable.from_df(ProblemPayload.from_problem(read_problem(y)).parameter_df)
              for y in (v1, v2)]
    assert tables[0].estimated_ids == tables[1].estimated_ids
    assert tables[1].scales == tables[0].scales and "log10" in tables[1].scales
    assert b.objective == pytest.approx(a.objective, rel=1e-9)


def test_data_import_writes_v2_and_refuses_other_versions(tmp_path, capsys):
    table = tmp_path / "mine.csv"
    table.write_text("experiment,IFNa_pM,time_min,value\n"
                     "e1,100,0,2\ne1,100,10,50\ne1,100,30,80\ne1,1000,10,120\n")
    sbml = write_standin_sbml(tmp_path / "m.xml")
    assert main(["data", "import", str(table), "--out", str(tmp_path / "v2"), "--sbml",
                 str(sbml), "--petab-version", "2", "--noise", "lognormal"]) == 0
    yaml_path = tmp_path / "v2" / "train" / "problem.yaml"
    assert get_major_version(str(yaml_path)) == 2
    observables = read_problem(yaml_path).observables
    assert {o.noise_distribution.value for o in observables} == {"log-normal"}
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        main(["data", "import", str(table), "--out", str(tmp_path / "v3"),
              "--petab-version", "3"])
    assert exc.value.code == 2 and "3" in capsys.readouterr().err
    assert not (tmp_path / "v3").exists()


#: pyPESTO's objective at the nominal values of a v2 problem, run in a fresh
#: interpreter: libpetab's experiment converter (used by AMICI's v2 importer)
#: checks ``isinstance(..., libsbml.ASTNode)``, which fails for objects of the
#: second libSBML that tellurium loads into this test process.
_PYPESTO = """
import json, sys
import numpy as np
import petab.v2 as petab2
import pypesto.petab

path = sys.argv[1]
problem = pypesto.petab.PetabImporter(petab2.Problem.from_yaml(path)).create_problem()
table = petab2.Problem.from_yaml(path).parameter_df
full = np.array([float(table.loc[n, "nominalValue"]) for n in problem.x_names])
print(json.dumps({"fval": float(problem.objective(problem.get_reduced_vector(full))),
                  "scales": sorted(set(problem.x_scales))}))
"""


@pytest.mark.slow
@pytest.mark.heavy
def test_pypesto_with_amici_reads_the_written_v2_problem_and_agrees(tmp_path):
    """pyPESTO 0.7 + AMICI 1.x evaluate the v2 problem `jakstat data import` writes by
    default (the shipped example table on the stand-in model) to our value (1e-6)."""
    pytest.importorskip("pypesto")
    pytest.importorskip("amici")
    from jakstat_rules.data import example_path

    sbml = write_standin_sbml(tmp_path / "m.xml")
    assert main(["data", "import", str(example_path("pstat1_example.csv")), "--out",
                 str(tmp_path / "p"), "--sbml", str(sbml)]) == 0
    v2 = tmp_path / "p" / "train" / "problem.yaml"
    assert get_major_version(str(v2)) == 2
    env = dict(os.environ)
    # AMICI's model build runs cmake, which finds swig in the venv's bin
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    done = subprocess.run([sys.executable, "-W", "ignore", "-c", _PYPESTO, str(v2)], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    theirs = json.loads(done.stdout.strip().splitlines()[-1])
    assert theirs["scales"] == ["lin"]  # PEtab v2 has no parameter scales
    ours = evaluate_nominal(v2).objective
    assert theirs["fval"] == pytest.approx(ours, rel=1e-6)


def test_the_v1_view_of_the_written_v2_problem_is_the_v1_problem(kirby_both):
    """Reading the v2 problem back as v1 (what the supplement walks) gives the tables the
    v1 writer wrote: the same condition values, measurement rows and noise model."""
    import numpy as np
    from petab.v1 import C

    from jakstat_rules.petab_versions import v1_view

    view = v1_view(read_problem(kirby_both / "v2" / "train" / "problem.yaml"))
    v1 = read_problem(kirby_both / "v1" / "train" / "problem.yaml")
    expected = v1.condition_df.drop(columns=C.CONDITION_NAME)
    got = view.condition_df.loc[expected.index, expected.columns]
    np.testing.assert_array_equal(got.to_numpy(float), expected.to_numpy(float))
    columns = [C.SIMULATION_CONDITION_ID, C.OBSERVABLE_ID, C.TIME, C.MEASUREMENT,
               C.OBSERVABLE_PARAMETERS, C.NOISE_PARAMETERS]
    assert (view.measurement_df[columns].astype(str).values.tolist()
            == v1.measurement_df[columns].astype(str).values.tolist())
    for column in (C.OBSERVABLE_TRANSFORMATION, C.NOISE_DISTRIBUTION):
        assert (view.observable_df[column].tolist()
                == v1.observable_df.get(column, ["lin"] * len(v1.observable_df)).tolist())


def test_the_v1_view_refuses_what_v1_cannot_mean():
    """A suite case whose experiment changes conditions during the simulation (read in
    place from ../shared/petab_test_suite) has no PEtab v1 form."""
    import pandas as pd

    from jakstat_rules.errors import JakstatInputError
    from jakstat_rules.petab_versions import v1_view

    suite = Path(__file__).resolve().parents[1].parent / "shared" / "petab_test_suite"
    later = [c for c in sorted((suite / "v2.0.0" / "sbml").iterdir())
             if (c / "_experiments.tsv").is_file() and not list(c.glob("*mapping*"))
             and any(
                 t not in (0.0, float("-inf"))
                 for t in pd.read_csv(c / "_experiments.tsv", sep="\t")["time"].astype(float))]
    assert later, "the suite has cases with periods after time 0"
    with pytest.raises(JakstatInputError, match="periods at"):
        v1_view(read_problem(later[0] / f"_{later[0].name}.yaml"))
