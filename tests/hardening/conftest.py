"""Hypothesis profiles, and the prepared store every hardening test works on.

Profiles (see README.md): "ci" (the default, also when CI=true) runs 200 examples per
test, derandomized so a CI failure reproduces; "thorough" (HYPOTHESIS_PROFILE=thorough)
runs 5,000 random ones. Neither has a deadline: two busy cores make timings noise.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from minitrack import uris

from .store import PreparedStore

_COMMON = {
    "deadline": None,
    "database": None,  # nothing written into the work tree; failures print their example
    "print_blob": True,
    # One store per test function is reused by all its examples, on purpose.
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}
settings.register_profile("ci", max_examples=200, derandomize=True, **_COMMON)
settings.register_profile("thorough", max_examples=5000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or "ci")


@pytest.fixture
def store(fresh_tracker, tmp_path) -> PreparedStore:
    """A fresh store for one test (shared by all its examples), set as the current one;
    tests/conftest.py's ``fresh_tracker`` resets the process state around it."""
    prepared = PreparedStore(tmp_path)
    uris.set_tracking_uri(prepared.tracking_uri)
    yield prepared
    prepared.close()  # its own snapshot connection; fresh_tracker then ends any run left


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One prepared store and one real `minitrack ui` on it, for a whole test module."""
    from .answers import RunningServer

    prepared = PreparedStore(tmp_path_factory.mktemp("served"))
    server = RunningServer(prepared.tracking_uri, prepared.folder)
    yield prepared, server
    server.stop()
    prepared.close()
