"""Shared fixtures: PySB's self-export state is reset around every test."""
import os
import tempfile

import pytest

# keep the network cache of the test run away from the user's cache
os.environ.setdefault("JAKSTAT_CACHE", os.path.join(tempfile.gettempdir(), "jakstat_test_cache"))


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
