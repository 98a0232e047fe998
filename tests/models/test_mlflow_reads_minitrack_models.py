"""Real MLflow loads the folders minitrack writes and predicts the same values."""

from __future__ import annotations

import numpy as np
import pytest
import xgboost as xgb
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import minitrack

pytestmark = pytest.mark.mlflow


@pytest.fixture
def mlflow(monkeypatch):
    mlflow = pytest.importorskip("mlflow")
    # MLflow 3 refuses pickle-based models unless the user opts in (they run code on load).
    monkeypatch.setenv("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "true")
    return mlflow


def test_mlflow_loads_logged_sklearn_and_xgboost_models(mlflow, split):
    X_train, y_train, X_valid, y_valid = split
    pipeline = make_pipeline(StandardScaler(), Ridge()).fit(X_train, y_train)
    booster = xgb.train(
        {"nthread": 1, "max_depth": 3}, xgb.DMatrix(X_train, y_train), num_boost_round=5
    )
    with minitrack.start_run():
        sk_info = minitrack.sklearn.log_model(pipeline, name="ridge", input_example=X_valid[:3])
        xgb_info = minitrack.xgboost.log_model(booster, name="booster", input_example=X_valid[:3])

    for info, expected in [
        (sk_info, pipeline.predict(X_valid)),
        (xgb_info, booster.predict(xgb.DMatrix(X_valid))),
    ]:
        folder = str(minitrack.models.resolve_model_uri(info.model_uri))
        by_mlflow = mlflow.pyfunc.load_model(folder)
        np.testing.assert_allclose(by_mlflow.predict(X_valid), expected, rtol=1e-6)
        ours = minitrack.pyfunc.load_model(info.model_uri)
        np.testing.assert_allclose(ours.predict(X_valid), expected, rtol=1e-6)

    sk_folder = str(minitrack.models.resolve_model_uri(sk_info.model_uri))
    xgb_folder = str(minitrack.models.resolve_model_uri(xgb_info.model_uri))
    np.testing.assert_allclose(
        mlflow.sklearn.load_model(sk_folder).predict(X_valid), pipeline.predict(X_valid)
    )
    assert isinstance(mlflow.xgboost.load_model(xgb_folder), xgb.Booster)


def test_mlflow_loads_an_autologged_xgboost_wrapper(mlflow, split):
    X_train, y_train, X_valid, y_valid = split
    minitrack.xgboost.autolog()
    model = xgb.XGBRegressor(n_estimators=4, max_depth=2, n_jobs=1)
    model.fit(X_train, y_train, eval_set=[(X_valid, y_valid)], verbose=False)
    minitrack.autolog(disable=True)

    run = minitrack.last_active_run()
    folder = str(minitrack.models.resolve_model_uri(f"runs:/{run.info.run_id}/model"))
    loaded = mlflow.xgboost.load_model(folder)
    assert isinstance(loaded, xgb.XGBRegressor)
    np.testing.assert_allclose(
        mlflow.pyfunc.load_model(folder).predict(X_valid), model.predict(X_valid), rtol=1e-6
    )


def test_minitrack_loads_a_model_mlflow_wrote(mlflow, tmp_path, split):
    X_train, y_train, X_valid, _ = split
    booster = xgb.train(
        {"nthread": 1, "max_depth": 2}, xgb.DMatrix(X_train, y_train), num_boost_round=3
    )
    # Explicit requirements skip MLflow's requirement-inference subprocess (seconds).
    mlflow.xgboost.save_model(booster, str(tmp_path / "by_mlflow"), pip_requirements=["xgboost"])

    expected = booster.predict(xgb.DMatrix(X_valid))
    np.testing.assert_array_equal(
        minitrack.pyfunc.load_model(tmp_path / "by_mlflow").predict(X_valid), expected
    )
    assert isinstance(minitrack.xgboost.load_model(tmp_path / "by_mlflow"), xgb.Booster)
