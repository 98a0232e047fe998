"""Every core test gets its own working folder and SQLite file, and no leftover active run."""

from __future__ import annotations

import pytest

import minitrack


@pytest.fixture(autouse=True)
def _fresh_process_state(fresh_tracker):
    """Each test in a folder of its own, with no tracking URI set (tests/conftest.py)."""


@pytest.fixture
def tracking_uri(tmp_path):
    """A tracking URI for a fresh SQLite file, already set as the current one."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    minitrack.set_tracking_uri(uri)
    return uri


@pytest.fixture
def client(tracking_uri):
    return minitrack.MlflowClient(tracking_uri)
