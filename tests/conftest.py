"""Shared fixtures: PySB's self-export state is reset around every test; example
calibration problems and a fit of one, built once per session."""
import os
import tempfile
from pathlib import Path

import pytest

#: The Kirby 2021 data beside the project (tests may read ../shared).
REAL_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "kirby2021"
needs_data = pytest.mark.skipif(not REAL_DATA.is_dir(),
                                reason=f"Kirby 2021 data folder {REAL_DATA} missing")

# keep the network cache of the test run away from the user's cache
os.environ.setdefault("JAKSTAT_CACHE", os.path.join(tempfile.gettempdir(), "jakstat_test_cache"))


#: Modules that take longest (seconds of one run with an empty cache, 2026-12-06), heaviest
#: first.  `make test` hands whole modules to its two workers in collection order
#: (``--dist loadscope --no-loadscope-reorder``); starting with these leaves short modules
#: for the end, so neither worker idles while the other finishes a long one.  Only the
#: order of the run depends on this list; a module missing from it runs after these.
HEAVY_MODULES = ["test_calibrate_gradient.py", "test_simulate.py", "test_export_equivalence.py",
                 "test_export_sbml.py", "test_network.py", "test_export_schedule.py",
                 "test_simulate_pruning.py", "test_supplement.py", "test_export_copasi.py",
                 "test_il6_arm.py", "test_reference.py", "test_data_walkthrough.py",
                 "test_calibrate_polish.py"]


def pytest_collection_modifyitems(session, config, items):
    """Run the modules of :data:`HEAVY_MODULES` first, in that order; the others after them
    in their usual order (tests within a module keep theirs)."""
    rank = {name: i for i, name in enumerate(HEAVY_MODULES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))     # a stable sort


@pytest.fixture(autouse=True)
def _reset_pysb_self_export():
    from pysb.core import SelfExporter
    SelfExporter.cleanup()
    yield
    SelfExporter.cleanup()


@pytest.fixture(scope="session")
def sim():
    """The default-model simulator (compiled once per session)."""
    from jakstat_rules.simulate import get_simulator
    return get_simulator("default")


@pytest.fixture(scope="session")
def exact_problem(tmp_path_factory) -> Path:
    """Noise-free data, fixed sigma: the optimum is the true parameters."""
    from jakstat_rules.calibrate.example import write_example_problem
    return write_example_problem(tmp_path_factory.mktemp("exact"), noise_sd=0.0)


@pytest.fixture(scope="session")
def noisy_problem(tmp_path_factory) -> Path:
    """Noisy data with estimated sigma."""
    from jakstat_rules.calibrate.example import write_example_problem
    return write_example_problem(tmp_path_factory.mktemp("noisy"), noise_sd=0.1, seed=3,
                                 estimate_sigma=True)


@pytest.fixture(scope="session")
def exact_fit(exact_problem, tmp_path_factory) -> Path:
    """A finished 4-start fit of the exact problem (with plots)."""
    from jakstat_rules.calibrate.multistart import calibrate
    out = tmp_path_factory.mktemp("exact_fit")
    calibrate(exact_problem, out, n_starts=4, seed=0, progress=False)
    return out


def is_status_line(line: str) -> bool:
    """A status line on stderr: the settings chosen, the re-check of the best fit, or work
    in progress (a cold cache compiles the model: ``jakstat: compiling ... ...``)."""
    return (line.startswith("jakstat: settings: ") or "re-evaluated at" in line
            or (line.startswith("jakstat: ") and line.endswith(" ...")))


def message_lines(err: str) -> list[str]:
    """The non-empty lines of stderr that are not status lines."""
    return [line for line in err.splitlines() if line.strip() and not is_status_line(line)]


def write_one_condition_problem(folder: Path, antimony: str, measurements: dict,
                                observables: dict, parameters: dict) -> Path:
    """A PEtab v1 problem of one condition ``c0`` from an Antimony model and the columns
    of its tables (``simulationConditionId`` filled in); returns the YAML file."""
    import pandas as pd
    import tellurium as te

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.xml").write_text(te.antimonyToSBML(antimony))
    tables = {"measurements": {"simulationConditionId": "c0", **measurements},
              "conditions": {"conditionId": ["c0"]}, "observables": observables,
              "parameters": parameters}
    for name, columns in tables.items():
        pd.DataFrame(columns).to_csv(folder / f"{name}.tsv", sep="\t", index=False)
    (folder / "problem.yaml").write_text(
        "format_version: 1\nparameter_file: parameters.tsv\nproblems:\n"
        "- sbml_files: [model.xml]\n  condition_files: [conditions.tsv]\n"
        "  measurement_files: [measurements.tsv]\n  observable_files: [observables.tsv]\n")
    return folder / "problem.yaml"
