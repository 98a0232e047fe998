"""Post-training metrics: metrics computed after an autologged fit land in the fit's run.

The metric functions are used as `metrics.mean_squared_error(...)`: autolog patches the
functions in `sklearn.metrics` (as MLflow does), so a name imported with
`from sklearn.metrics import ...` before `autolog()` stays the plain function.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import textwrap
import weakref

import numpy as np
import pytest
from sklearn import base, metrics
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

import minitrack

from .conftest import runs_in


def post_training_metrics(run_id: str) -> dict[str, float]:
    """The run's metrics other than the ones logged by fit itself."""
    logged = minitrack.get_run(run_id).data.metrics
    fit_metrics = {"training_time_s", "model_size_bytes", "best_cv_score"}
    return {
        key: value
        for key, value in logged.items()
        if not key.startswith("training_") and key not in fit_metrics
    }


def metric_info(run_id: str) -> dict[str, str]:
    return minitrack.artifacts.load_dict(f"runs:/{run_id}/metric_info.json")


def test_metric_on_test_predictions_logs_to_the_run_of_the_fit(tracking, split):
    X_train, y_train, X_test, y_test = split
    minitrack.sklearn.autolog(log_models=False)
    model = Ridge().fit(X_train, y_train)
    (run,) = runs_in(tracking.experiment_id)
    assert run.info.status == "FINISHED"  # the autolog run ended with the fit

    y_pred = model.predict(X_test)
    mse = metrics.mean_squared_error(y_test, y_pred)

    assert post_training_metrics(run.info.run_id) == {"mean_squared_error_X_test": mse}
    assert metric_info(run.info.run_id) == {
        "mean_squared_error_X_test": "mean_squared_error(y_true=y_test, y_pred=y_pred)"
    }
    assert len(runs_in(tracking.experiment_id)) == 1


def test_model_score_logs_class_score_and_not_the_r2_it_computes(tracking, split):
    X_train, y_train, X_test, y_test = split
    minitrack.sklearn.autolog(log_models=False)
    model = Ridge().fit(X_train, y_train)

    score = model.score(X_test, y_test)

    (run,) = runs_in(tracking.experiment_id)
    assert post_training_metrics(run.info.run_id) == {"Ridge_score_X_test": score}
    assert metric_info(run.info.run_id) == {"Ridge_score_X_test": "Ridge.score(X=X_test, y=y_test)"}


def test_classifier_labels_and_probabilities(tracking, split):
    X_train, y_train, X_test, y_test = split
    is_long_train, is_long_test = y_train > y_train.median(), y_test > y_train.median()
    minitrack.sklearn.autolog(log_models=False)
    classifier = make_pipeline(StandardScaler(), LogisticRegression()).fit(X_train, is_long_train)

    accuracy = metrics.accuracy_score(is_long_test, classifier.predict(X_test))
    probabilities = classifier.predict_proba(X_test)
    loss = metrics.log_loss(is_long_test, probabilities)
    # A column slice is a new array, not the prediction itself: like MLflow, not logged.
    metrics.roc_auc_score(is_long_test, probabilities[:, 1])

    (run,) = runs_in(tracking.experiment_id)  # log_loss's own LabelBinarizer starts no run
    assert post_training_metrics(run.info.run_id) == {
        "accuracy_score_X_test": accuracy,
        "log_loss_X_test": loss,
    }
    assert metric_info(run.info.run_id)["log_loss_X_test"] == (
        "log_loss(y_true=is_long_test, y_proba=probabilities)"
    )


def test_repeated_metrics_and_a_new_dataset_under_the_same_name_get_numbered(tracking, split):
    X_train, y_train, X_test, y_test = split
    minitrack.sklearn.autolog(log_models=False)
    model = Ridge().fit(X_train, y_train)
    first_calls = [
        metrics.mean_squared_error(y_test, model.predict(X_test)),
        metrics.mean_squared_error(y_test, model.predict(X_test)),
    ]
    earlier_test_set = X_test
    X_test = X_train[: len(y_test)]  # a different dataset, same variable name
    second_set = metrics.mean_squared_error(y_test, model.predict(X_test))
    absolute = metrics.mean_absolute_error(y_test, model.predict(X_test))

    (run,) = runs_in(tracking.experiment_id)
    assert post_training_metrics(run.info.run_id) == {
        "mean_squared_error_X_test": first_calls[0],
        "mean_squared_error-2_X_test": first_calls[1],  # second call of the metric
        "mean_squared_error-3_X_test-2": second_set,  # third call, second `X_test`
        "mean_absolute_error_X_test-2": absolute,  # first call of this metric
    }
    assert earlier_test_set is not X_test


def test_a_search_logs_to_its_parent_run(tracking, split):
    X_train, y_train, X_test, y_test = split
    minitrack.sklearn.autolog(log_models=False, max_tuning_runs=0)
    search = GridSearchCV(Ridge(), {"alpha": [0.1, 1.0]}, cv=2).fit(X_train, y_train)

    score = search.score(X_test, y_test)
    mae = metrics.mean_absolute_error(y_test, search.predict(X_test))

    (parent,) = runs_in(tracking.experiment_id)
    assert post_training_metrics(parent.info.run_id) == {
        "GridSearchCV_score_X_test": score,
        "mean_absolute_error_X_test": mae,
    }


def test_dataset_name_comes_from_the_callers_variable(tracking, split):
    X_train, y_train, X_test, y_test = split
    minitrack.sklearn.autolog(log_models=False)
    model = Ridge().fit(X_train, y_train)

    def evaluate(fitted, features, target):
        return metrics.r2_score(target, fitted.predict(features))

    through_a_function = evaluate(model, X_test, y_test)
    of_an_expression = metrics.max_error(y_test[:10], model.predict(X_test[:10]))

    (run,) = runs_in(tracking.experiment_id)
    assert post_training_metrics(run.info.run_id) == {
        "r2_score_X_test": through_a_function,
        "max_error_unknown_dataset": of_an_expression,
    }


def test_predictions_of_other_models_log_nothing(tracking, split):
    X_train, y_train, X_test, y_test = split
    fitted_before_autolog = Ridge().fit(X_train, y_train)
    minitrack.sklearn.autolog(log_models=False)
    Ridge(alpha=2.0).fit(X_train, y_train)

    metrics.mean_squared_error(y_test, fitted_before_autolog.predict(X_test))
    fitted_before_autolog.score(X_test, y_test)
    metrics.mean_squared_error(y_test, y_test * 1.01)
    matrix = metrics.confusion_matrix([0, 1, 1], [0, 1, 0])  # an array: never a metric

    (run,) = runs_in(tracking.experiment_id)
    assert post_training_metrics(run.info.run_id) == {}
    assert matrix.shape == (2, 2)


def test_switched_off_with_log_post_training_metrics_false(tracking, split):
    X_train, y_train, X_test, y_test = split
    original_mse = metrics.mean_squared_error
    minitrack.sklearn.autolog(log_models=False, log_post_training_metrics=False)
    model = Ridge().fit(X_train, y_train)

    metrics.mean_squared_error(y_test, model.predict(X_test))
    model.score(X_test, y_test)

    (run,) = runs_in(tracking.experiment_id)
    assert "training_score" in run.data.metrics  # fit is still autologged
    assert post_training_metrics(run.info.run_id) == {}
    assert metrics.mean_squared_error is original_mse


def test_disable_puts_back_the_exact_sklearn_functions_and_methods(tracking):
    ridge_predict_owner = next(cls for cls in Ridge.__mro__ if "predict" in cls.__dict__)

    def library_state():
        return {
            **{name: getattr(metrics, name) for name in metrics.__all__},
            "Ridge.predict": ridge_predict_owner.__dict__["predict"],
            "RegressorMixin.score": base.RegressorMixin.__dict__["score"],
            "Pipeline.predict.fn": Pipeline.__dict__["predict"].fn,
        }

    before = library_state()
    minitrack.sklearn.autolog()
    patched = library_state()
    assert patched["mean_squared_error"] is not before["mean_squared_error"]
    assert patched["Pipeline.predict.fn"] is not before["Pipeline.predict.fn"]
    assert patched["Ridge.predict"] is not before["Ridge.predict"]
    assert patched["RegressorMixin.score"] is not before["RegressorMixin.score"]

    minitrack.sklearn.autolog(disable=True)

    after = library_state()
    assert all(after[name] is before[name] for name in before)


def test_a_logging_failure_warns_and_the_metric_still_returns(tracking, tmp_path, split):
    X_train, y_train, X_test, y_test = split
    minitrack.sklearn.autolog(log_models=False)
    model = Ridge().fit(X_train, y_train)
    (run,) = runs_in(tracking.experiment_id)
    y_pred = model.predict(X_test)

    minitrack.delete_run(run.info.run_id)
    with pytest.warns(UserWarning, match="could not log mean_squared_error.*deleted"):
        mse = metrics.mean_squared_error(y_test, y_pred)
    assert mse == pytest.approx(float(np.mean((y_test - y_pred) ** 2)))

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the store's folder should be")
    minitrack.set_tracking_uri(f"sqlite:///{blocked / 'mlflow.db'}")
    with pytest.warns(UserWarning, match="could not log Ridge.score"):
        score = model.score(X_test, y_test)
    residual = float(np.sum((y_test - y_pred) ** 2))
    assert score == pytest.approx(1 - residual / float(np.sum((y_test - y_test.mean()) ** 2)))


def test_predictions_and_models_are_not_kept_alive(tracking, split):
    X_train, y_train, X_test, y_test = split
    minitrack.sklearn.autolog(log_models=False)

    def fit_predict_and_measure():
        # Python < 3.13 keeps a snapshot of a function's variables once they were read (to
        # name the dataset) until the function returns; a notebook's top level has none.
        model = Ridge().fit(X_train, y_train)
        y_pred = model.predict(X_test)
        metrics.mean_squared_error(y_test, y_pred)
        return weakref.ref(model), weakref.ref(y_pred)

    watch_model, watch_prediction = fit_predict_and_measure()
    gc.collect()

    assert watch_prediction() is None
    assert watch_model() is None
    (run,) = runs_in(tracking.experiment_id)
    assert "mean_squared_error_X_test" in post_training_metrics(run.info.run_id)


PARITY_SCRIPT = textwrap.dedent(
    """
    import importlib, json, logging, sys, warnings
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    import numpy as np

    tracker = importlib.import_module(sys.argv[1])
    tracker.set_tracking_uri(sys.argv[2])
    tracker.set_experiment("parity")
    tracker.sklearn.autolog(log_models=False)
    from sklearn import metrics
    from sklearn.linear_model import LinearRegression, LogisticRegression

    rng = np.random.default_rng(0)
    X = rng.random((80, 3))
    y = X @ [1.0, 2.0, 3.0] + rng.normal(0, 0.1, 80)
    X_train, y_train, X_test, y_test = X[:50], y[:50], X[50:], y[50:]

    model = LinearRegression().fit(X_train, y_train)
    y_pred = model.predict(X_test)
    metrics.mean_squared_error(y_test, y_pred)
    metrics.mean_squared_error(y_test, y_pred)
    model.score(X_test, y_test)
    kept = [X_test]  # the first X_test stays alive: its id is not reused
    X_test = X_test + 1
    metrics.mean_absolute_error(y_test, model.predict(X_test))
    metrics.r2_score(y_test[:10], model.predict(X_test[:10]))

    classifier = LogisticRegression().fit(X_train, y_train > 3)
    metrics.accuracy_score(y_test > 3, classifier.predict(X_test))
    metrics.log_loss(y_test > 3, classifier.predict_proba(X_test))

    client = tracker.MlflowClient()
    experiment = client.get_experiment_by_name("parity")
    found = {}
    for run in client.search_runs([experiment.experiment_id]):
        keys = [k for k in run.data.metrics if not k.startswith("training_")]
        logged = {k: run.data.metrics[k] for k in keys if k != "training_time_s"}
        with open(client.download_artifacts(run.info.run_id, "metric_info.json")) as file:
            calls = json.load(file)
        found[run.data.tags["estimator_name"]] = {"metrics": logged, "calls": calls}
    print(json.dumps(found))
    """
)


@pytest.mark.mlflow
def test_same_keys_and_values_as_mlflow(tmp_path):
    pytest.importorskip("mlflow")
    script = tmp_path / "parity.py"
    script.write_text(PARITY_SCRIPT)

    def logged_by(tracker: str) -> dict:
        uri = f"sqlite:///{tmp_path / tracker / 'mlflow.db'}"
        (tmp_path / tracker).mkdir()
        done = subprocess.run(
            [sys.executable, str(script), tracker, uri],
            cwd=tmp_path / tracker,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    by_mlflow, by_minitrack = logged_by("mlflow"), logged_by("minitrack")

    assert by_minitrack.keys() == by_mlflow.keys() == {"LinearRegression", "LogisticRegression"}
    for estimator, expected in by_mlflow.items():
        mine = by_minitrack[estimator]
        assert mine["metrics"].keys() == expected["metrics"].keys()
        for key, value in expected["metrics"].items():
            assert mine["metrics"][key] == pytest.approx(value, rel=1e-9), key
        assert mine["calls"] == expected["calls"]  # metric_info.json, call by call
    regression_keys = by_mlflow["LinearRegression"]["metrics"].keys()
    assert {"mean_squared_error-2_X_test", "mean_absolute_error_X_test-2"} <= regression_keys
