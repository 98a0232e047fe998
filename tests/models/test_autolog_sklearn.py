"""scikit-learn autologging: estimators, pipelines, searches, and switching it on and off."""

from __future__ import annotations

import importlib
import sys

import numpy as np
import pytest
import xgboost as xgb
from sklearn.linear_model import Lasso, LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeRegressor

import minitrack
from minitrack.autolog.session import AUTOLOGGING_TAG

from .conftest import runs_in

REGRESSION_METRICS = {
    "training_mean_squared_error",
    "training_root_mean_squared_error",
    "training_mean_absolute_error",
    "training_r2_score",
    "training_score",
    "training_time_s",
    "model_size_bytes",
}


def test_estimator_fit_logs_params_metrics_tags_and_model(tracking, split):
    X_train, y_train, X_valid, _ = split
    minitrack.sklearn.autolog()
    lasso = Lasso(alpha=0.01).fit(X_train, y_train)

    (run,) = runs_in(tracking.experiment_id)
    assert run.data.tags[AUTOLOGGING_TAG] == "sklearn"
    assert run.data.tags["estimator_name"] == "Lasso"
    assert run.data.tags["estimator_class"] == "sklearn.linear_model._coordinate_descent.Lasso"
    assert run.data.params["alpha"] == "0.01"
    assert set(run.data.metrics) == REGRESSION_METRICS
    rmse = float(np.sqrt(np.mean((lasso.predict(X_train) - y_train) ** 2)))
    assert np.isclose(run.data.metrics["training_root_mean_squared_error"], rmse)
    assert run.data.metrics["training_score"] == run.data.metrics["training_r2_score"]

    loaded = minitrack.sklearn.load_model(f"runs:/{run.info.run_id}/model")
    np.testing.assert_array_equal(loaded.predict(X_valid), lasso.predict(X_valid))


def test_pipeline_is_one_run_with_the_steps_params(tracking, split):
    X_train, y_train, X_valid, _ = split
    minitrack.autolog()
    with minitrack.start_run() as mine:
        pipeline = make_pipeline(StandardScaler(), DecisionTreeRegressor(max_depth=3))
        pipeline.fit(X_train, y_train)

    (run,) = runs_in(tracking.experiment_id)  # the steps' own fit calls log nothing
    assert run.info.run_id == mine.info.run_id
    assert run.data.tags["estimator_name"] == "Pipeline"
    assert run.data.params["decisiontreeregressor__max_depth"] == "3"
    predictions = minitrack.pyfunc.load_model(f"runs:/{run.info.run_id}/model").predict(X_valid)
    np.testing.assert_array_equal(predictions, pipeline.predict(X_valid))


def test_classifier_gets_classification_metrics(tracking, split):
    X_train, y_train, _, _ = split
    minitrack.sklearn.autolog(log_models=False)
    LogisticRegression().fit(X_train, y_train > y_train.median())

    (run,) = runs_in(tracking.experiment_id)
    assert {
        "training_accuracy_score",
        "training_precision_score",
        "training_recall_score",
        "training_f1_score",
        "training_log_loss",
    } <= set(run.data.metrics)
    assert 0.5 < run.data.metrics["training_accuracy_score"] <= 1


def test_grid_search_logs_best_values_and_child_runs(tracking, split, client):
    X_train, y_train, _, _ = split
    minitrack.sklearn.autolog()
    grid = {"alpha": [0.01, 0.1, 1.0, 3.0, 10.0, 30.0]}  # six distinct scores, no ties
    search = GridSearchCV(Ridge(), grid, cv=3).fit(X_train, y_train)

    runs = runs_in(tracking.experiment_id)
    (parent,) = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    assert len(runs) == 1 + 5  # MLflow's max_tuning_runs=5: the five best candidates
    assert parent.data.params["best_alpha"] == str(search.best_params_["alpha"])
    assert np.isclose(parent.data.metrics["best_cv_score"], search.best_score_)
    ranks = sorted(child.data.metrics["rank_test_score"] for child in children)
    assert ranks == [1, 2, 3, 4, 5]
    best_child = min(children, key=lambda r: r.data.metrics["rank_test_score"])
    assert best_child.data.params["alpha"] == str(search.best_params_["alpha"])
    artifacts = {f.path for f in client.list_artifacts(parent.info.run_id)}
    assert {"model", "best_estimator"} <= artifacts


def test_randomized_search_respects_max_tuning_runs(tracking, split):
    X_train, y_train, _, _ = split
    minitrack.sklearn.autolog(max_tuning_runs=2, log_models=False)
    RandomizedSearchCV(
        DecisionTreeRegressor(), {"max_depth": [1, 2, 3, 4]}, n_iter=3, cv=2, random_state=0
    ).fit(X_train, y_train)
    assert len(runs_in(tracking.experiment_id)) == 1 + 2


def test_disable_restores_the_original_methods_and_a_second_call_patches_once(tracking, split):
    X_train, y_train, _, _ = split
    originals = (Lasso.fit, Pipeline.fit, xgb.train, xgb.XGBModel.fit)
    minitrack.autolog()
    minitrack.autolog()
    assert Lasso.fit is not originals[0]
    assert Lasso.fit.__wrapped__ is originals[0]  # wrapped once, not twice
    Lasso(alpha=0.1).fit(X_train, y_train)
    assert len(runs_in(tracking.experiment_id)) == 1

    minitrack.autolog(disable=True)
    assert (Lasso.fit, Pipeline.fit, xgb.train, xgb.XGBModel.fit) == originals
    Lasso(alpha=0.1).fit(X_train, y_train)
    assert len(runs_in(tracking.experiment_id)) == 1  # nothing logged once disabled


def test_estimators_imported_after_autolog_are_patched(tracking, split):
    module_name = "sklearn.cross_decomposition"
    if module_name in sys.modules:
        pytest.skip(f"{module_name} was imported by an earlier test")
    X_train, y_train, _, _ = split
    minitrack.sklearn.autolog(log_models=False)
    module = importlib.import_module(module_name)  # imported after autolog()
    module.PLSRegression(n_components=2).fit(X_train, y_train)

    (run,) = runs_in(tracking.experiment_id)
    assert run.data.tags["estimator_name"] == "PLSRegression"
    assert run.data.params["n_components"] == "2"


def test_signature_and_input_example_follow_the_autolog_arguments(tracking, split):
    X_train, y_train, _, _ = split

    def logged_model_folder():
        run = minitrack.last_active_run()
        return minitrack.models.resolve_model_uri(f"runs:/{run.info.run_id}/model")

    minitrack.sklearn.autolog()  # MLflow's defaults: a signature, no input example
    Lasso(alpha=0.1).fit(X_train, y_train)
    folder = logged_model_folder()
    assert minitrack.models.Model.load(folder).signature is not None
    assert not (folder / "input_example.json").exists()

    minitrack.sklearn.autolog(log_input_examples=True, log_model_signatures=False)
    Lasso(alpha=0.1).fit(X_train, y_train)
    folder = logged_model_folder()
    assert minitrack.models.Model.load(folder).signature is None
    assert (folder / "input_example.json").exists()
