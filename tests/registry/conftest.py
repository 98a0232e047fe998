"""Each registry test gets its own folder and SQLite file, and a few tiny logged models."""

from __future__ import annotations

import numpy as np
import pytest

import minitrack


@pytest.fixture(autouse=True)
def _fresh_process_state(fresh_tracker, tmp_path):
    """Each test in a folder of its own, on a new mlflow.db there."""
    minitrack.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")


@pytest.fixture
def client():
    return minitrack.MlflowClient()


X = np.array([[1.0], [2.0], [3.0]])


def log_linear_model(slope: float, name: str = "model", **kwargs):
    """A run with one scikit-learn model that predicts ``slope * x``; returns (run_id, info)."""
    from sklearn.linear_model import LinearRegression

    with minitrack.start_run() as run:
        info = minitrack.sklearn.log_model(
            LinearRegression().fit(X, X[:, 0] * slope),
            name=name,
            pip_requirements=["scikit-learn"],  # skip inferring requirements: faster
            **kwargs,
        )
    return run.info.run_id, info


def predictions(model_uri: str) -> list[float]:
    return [round(float(v), 6) for v in minitrack.pyfunc.load_model(model_uri).predict(X)]


@pytest.fixture
def three_versions(client):
    """Model 'taxi' with versions 1, 2, 3 predicting x, 2x and 3x; returns the run ids."""
    run_ids = []
    for slope in (1.0, 2.0, 3.0):
        run_id, _ = log_linear_model(slope)
        minitrack.register_model(f"runs:/{run_id}/model", "taxi")
        run_ids.append(run_id)
    return run_ids
