"""Every core test gets its own working folder and SQLite file, and no leftover active run."""

from __future__ import annotations

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
def tracking_uri(tmp_path):
    """A tracking URI for a fresh SQLite file, already set as the current one."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    minitrack.set_tracking_uri(uri)
    return uri


@pytest.fixture
def client(tracking_uri):
    return minitrack.MlflowClient(tracking_uri)
