"""Each models test gets its own SQLite store and artifact folder, small data, and leaves
no active run and no autologging patch behind."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import minitrack


@pytest.fixture(autouse=True)
def tracking(tmp_path, monkeypatch):
    """A fresh store in tmp_path, set as the tracking URI, with experiment 'models-tests'."""
    monkeypatch.chdir(tmp_path)
    # Subprocesses inherit these; real MLflow's set_experiment exports MLFLOW_EXPERIMENT_ID.
    for variable in (
        "MLFLOW_TRACKING_URI",
        "MLFLOW_RUN_ID",
        "MLFLOW_EXPERIMENT_ID",
        "MLFLOW_EXPERIMENT_NAME",
    ):
        monkeypatch.delenv(variable, raising=False)
    minitrack.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment = minitrack.set_experiment("models-tests")
    yield experiment
    while minitrack.active_run():
        minitrack.end_run()
    minitrack.autolog(disable=True)


@pytest.fixture
def client():
    return minitrack.MlflowClient()


@pytest.fixture(scope="session")
def taxi_like():
    """300 rows of a regression problem: 4 numeric features and a noisy linear target."""
    rng = np.random.default_rng(42)
    X = pd.DataFrame(rng.random((300, 4)), columns=["trip_distance", "hour", "pu", "do"])
    y = 10 * X["trip_distance"] + 2 * X["hour"] + rng.normal(0, 0.3, 300)
    return X, y


@pytest.fixture(scope="session")
def split(taxi_like):
    X, y = taxi_like
    return X[:200], y[:200], X[200:], y[200:]


def runs_in(experiment_id: str):
    """Every run of the experiment, oldest first."""
    runs = minitrack.MlflowClient().search_runs([experiment_id], order_by=["start_time ASC"])
    return list(runs)
