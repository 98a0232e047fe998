"""save_model/log_model write MLflow's model folder; load_model and pyfunc read it back."""

from __future__ import annotations

import importlib.metadata
import json
import platform

import numpy as np
import pytest
import xgboost as xgb
import yaml
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import minitrack


@pytest.fixture(scope="module")
def pipeline(split):
    X_train, y_train, _, _ = split
    return make_pipeline(StandardScaler(), Ridge(alpha=0.5)).fit(X_train, y_train)


@pytest.fixture(scope="module")
def booster(split):
    X_train, y_train, _, _ = split
    params = {"nthread": 1, "max_depth": 3, "objective": "reg:squarederror"}
    return xgb.train(params, xgb.DMatrix(X_train, y_train), num_boost_round=5)


def read_yaml(path):
    return yaml.safe_load(path.read_text())


def test_sklearn_folder_has_mlflow_layout_and_reloads_same_predictions(tmp_path, pipeline, split):
    _, _, X_valid, _ = split
    folder = tmp_path / "ridge"
    minitrack.sklearn.save_model(pipeline, folder, input_example=X_valid.head(3))

    assert sorted(p.name for p in folder.iterdir()) == [
        "MLmodel",
        "conda.yaml",
        "input_example.json",
        "model.pkl",
        "python_env.yaml",
        "requirements.txt",
        "serving_input_example.json",
    ]
    mlmodel = read_yaml(folder / "MLmodel")
    assert mlmodel["flavors"]["python_function"]["loader_module"] == "mlflow.sklearn"
    assert mlmodel["flavors"]["python_function"]["python_version"] == platform.python_version()
    assert mlmodel["flavors"]["sklearn"]["serialization_format"] == "pickle"
    assert mlmodel["flavors"]["sklearn"]["sklearn_version"] == importlib.metadata.version(
        "scikit-learn"
    )
    assert len(mlmodel["model_uuid"]) == 32
    assert mlmodel["utc_time_created"].startswith("20")
    files = [p for p in folder.iterdir() if p.name != "MLmodel"]
    assert mlmodel["model_size_bytes"] == sum(p.stat().st_size for p in files)
    assert json.loads(mlmodel["signature"]["inputs"]) == [
        {"type": "double", "name": name, "required": True} for name in X_valid.columns
    ]
    assert json.loads(mlmodel["signature"]["outputs"]) == [{"type": "double", "required": True}]

    reloaded = minitrack.sklearn.load_model(str(folder))
    np.testing.assert_array_equal(reloaded.predict(X_valid), pipeline.predict(X_valid))
    pyfunc = minitrack.pyfunc.load_model(folder)
    np.testing.assert_array_equal(pyfunc.predict(X_valid), pipeline.predict(X_valid))
    by_file_uri = minitrack.pyfunc.load_model(folder.resolve().as_uri())
    np.testing.assert_array_equal(by_file_uri.predict(X_valid), pipeline.predict(X_valid))


def test_requirements_pin_the_installed_versions_of_what_the_model_needs(tmp_path, pipeline):
    minitrack.sklearn.save_model(pipeline, tmp_path / "m")

    lines = (tmp_path / "m" / "requirements.txt").read_text().splitlines()
    version = importlib.metadata.version
    assert lines[0] == f"mlflow=={version('mlflow')}"  # the loader MLmodel names
    for name in ("scikit-learn", "numpy", "scipy"):
        assert f"{name}=={version(name)}" in lines
    assert not any(line.startswith(("pytest", "xgboost")) for line in lines)

    conda = read_yaml(tmp_path / "m" / "conda.yaml")
    assert conda["dependencies"][0] == f"python={platform.python_version()}"
    assert conda["dependencies"][-1] == {"pip": lines}
    python_env = read_yaml(tmp_path / "m" / "python_env.yaml")
    assert python_env["python"] == platform.python_version()
    assert python_env["dependencies"] == ["-r requirements.txt"]


def test_xgboost_booster_and_wrapper_round_trip(tmp_path, booster, split):
    X_train, y_train, X_valid, _ = split
    minitrack.xgboost.save_model(booster, tmp_path / "booster", input_example=X_valid.head(2))
    mlmodel = read_yaml(tmp_path / "booster" / "MLmodel")
    assert mlmodel["flavors"]["xgboost"]["model_class"] == "xgboost.core.Booster"
    assert mlmodel["flavors"]["xgboost"]["model_format"] == "ubj"
    assert mlmodel["flavors"]["python_function"]["loader_module"] == "mlflow.xgboost"
    assert (tmp_path / "booster" / "model.ubj").is_file()
    requirements = (tmp_path / "booster" / "requirements.txt").read_text()
    assert f"xgboost=={importlib.metadata.version('xgboost')}" in requirements

    reloaded = minitrack.xgboost.load_model(tmp_path / "booster")
    expected = booster.predict(xgb.DMatrix(X_valid))
    np.testing.assert_array_equal(reloaded.predict(xgb.DMatrix(X_valid)), expected)
    np.testing.assert_array_equal(
        minitrack.pyfunc.load_model(tmp_path / "booster").predict(X_valid), expected
    )

    regressor = xgb.XGBRegressor(n_estimators=5, max_depth=3, n_jobs=1).fit(X_train, y_train)
    minitrack.xgboost.save_model(regressor, tmp_path / "regressor", model_format="json")
    loaded = minitrack.xgboost.load_model(tmp_path / "regressor")
    assert isinstance(loaded, xgb.XGBRegressor)
    np.testing.assert_array_equal(loaded.predict(X_valid), regressor.predict(X_valid))


def test_log_model_stores_the_folder_in_the_run_and_loads_by_runs_uri(pipeline, split, client):
    _, _, X_valid, _ = split
    with minitrack.start_run() as run:
        info = minitrack.sklearn.log_model(pipeline, name="ridge_model")

    assert info.model_uri == f"runs:/{run.info.run_id}/ridge_model"
    listed = {f.path for f in client.list_artifacts(run.info.run_id, "ridge_model")}
    assert "ridge_model/MLmodel" in listed and "ridge_model/model.pkl" in listed
    folder = minitrack.artifacts.local_path(info.model_uri)
    mlmodel = read_yaml(minitrack.models.resolve_model_uri(info.model_uri) / "MLmodel")
    assert mlmodel["run_id"] == run.info.run_id
    assert mlmodel["artifact_path"] == "ridge_model"
    assert folder.endswith("ridge_model")

    described = minitrack.models.get_model_info(info.model_uri)
    assert (described.run_id, described.model_uuid) == (run.info.run_id, info.model_uuid)
    assert set(described.flavors) == {"python_function", "sklearn"}

    history = json.loads(client.get_run(run.info.run_id).data.tags["mlflow.log-model.history"])
    assert [entry["artifact_path"] for entry in history] == ["ridge_model"]

    predictions = minitrack.pyfunc.load_model(info.model_uri).predict(X_valid)
    np.testing.assert_array_equal(predictions, pipeline.predict(X_valid))
    np.testing.assert_array_equal(
        minitrack.sklearn.load_model(info.model_uri).predict(X_valid), predictions
    )


def test_log_model_without_active_run_starts_one_like_mlflow(booster, client):
    info = minitrack.xgboost.log_model(booster, artifact_path="model")
    assert minitrack.active_run().info.run_id == info.run_id
    assert info.model_uri == f"runs:/{info.run_id}/model"
