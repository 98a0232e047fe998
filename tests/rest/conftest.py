"""A clean process state per test; the real ``mlflow server`` is tests/conftest.py's
``mlflow_server``, shared by the session, so every test works in an experiment of its own."""

from __future__ import annotations

import uuid

import pytest

import minitrack
from minitrack import fluent, uris


@pytest.fixture(autouse=True)
def _fresh_process_state(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for var in (
        "MLFLOW_TRACKING_URI",
        "MLFLOW_EXPERIMENT_NAME",
        "MLFLOW_EXPERIMENT_ID",
        "MLFLOW_RUN_ID",
        "MLFLOW_TRACKING_USERNAME",
        "MLFLOW_TRACKING_PASSWORD",
        "MLFLOW_TRACKING_TOKEN",
    ):
        monkeypatch.delenv(var, raising=False)
    uris.set_tracking_uri(None)
    fluent._active_experiment = None
    fluent._last_active_run_id = None
    yield
    while minitrack.active_run():
        minitrack.end_run()
    uris.set_tracking_uri(None)
    fluent._active_experiment = None


@pytest.fixture
def experiment_name() -> str:
    """A name no other test on the shared server uses."""
    return f"exp-{uuid.uuid4().hex[:10]}"
