"""XGBoost autologging: what one training puts in the tracking store."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xgboost as xgb

import minitrack
from minitrack.autolog.session import AUTOLOGGING_TAG

from .conftest import runs_in

PARAMS = {"nthread": 1, "max_depth": 3, "eta": 0.3, "objective": "reg:squarederror"}


@pytest.fixture
def dmatrices(split):
    X_train, y_train, X_valid, y_valid = split
    return xgb.DMatrix(X_train, y_train), xgb.DMatrix(X_valid, y_valid)


def test_train_outside_a_run_gets_its_own_autologging_run(tracking, dmatrices, client, split):
    train, valid = dmatrices
    minitrack.xgboost.autolog()
    booster = xgb.train(
        PARAMS, train, num_boost_round=8, evals=[(valid, "validation")], verbose_eval=False
    )

    assert minitrack.active_run() is None  # the run autolog started is ended
    (run,) = runs_in(tracking.experiment_id)
    assert run.info.status == "FINISHED"
    assert run.data.tags[AUTOLOGGING_TAG] == "xgboost"
    assert run.data.params["max_depth"] == "3"
    assert run.data.params["num_boost_round"] == "8"
    assert run.data.params["early_stopping_rounds"] == "None"

    history = client.get_metric_history(run.info.run_id, "validation-rmse")
    assert [m.step for m in history] == list(range(8))
    assert history[-1].value < history[0].value  # boosting lowers the error
    assert "best_iteration" not in run.data.metrics  # no early stopping here

    assert run.data.metrics["training_time_s"] > 0
    files = {f.path for f in client.list_artifacts(run.info.run_id)}
    assert {"feature_importance_weight.json", "feature_importance_weight.png", "model"} <= files
    model_files = client.list_artifacts(run.info.run_id, "model")
    mlmodel_size = minitrack.models.Model.load(
        minitrack.models.resolve_model_uri(f"runs:/{run.info.run_id}/model")
    ).model_size_bytes
    assert run.data.metrics["model_size_bytes"] == mlmodel_size
    assert mlmodel_size == sum(f.file_size for f in model_files if f.path != "model/MLmodel")

    importance_path = minitrack.artifacts.local_path(
        f"runs:/{run.info.run_id}/feature_importance_weight.json"
    )
    with open(importance_path) as f:
        importance = json.load(f)
    assert set(importance) <= {"trip_distance", "hour", "pu", "do"}
    assert max(importance, key=importance.get) == "trip_distance"

    _, _, X_valid, _ = split
    loaded = minitrack.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    np.testing.assert_array_equal(loaded.predict(X_valid), booster.predict(valid))


def test_early_stopping_logs_best_and_stopped_iteration(tracking, dmatrices, client):
    train, valid = dmatrices
    minitrack.autolog()
    with minitrack.start_run() as active:
        booster = xgb.train(
            {**PARAMS, "eta": 1.0},
            train,
            num_boost_round=200,
            evals=[(train, "train"), (valid, "validation")],
            early_stopping_rounds=3,
            verbose_eval=False,
        )

    (run,) = runs_in(tracking.experiment_id)  # logged into the user's run, no other
    assert run.info.run_id == active.info.run_id
    assert AUTOLOGGING_TAG not in run.data.tags
    metrics = run.data.metrics
    assert metrics["best_iteration"] == booster.best_iteration
    stopped = int(metrics["stopped_iteration"])
    assert stopped == booster.num_boosted_rounds() - 1 < 199
    history = client.get_metric_history(run.info.run_id, "validation-rmse")
    assert [m.step for m in history] == list(range(stopped + 2))
    # MLflow's convention: the best round's value again, one step after the last round.
    assert history[-1].value == history[booster.best_iteration].value
    assert len(client.get_metric_history(run.info.run_id, "train-rmse")) == stopped + 2


def test_sklearn_wrapper_logs_params_eval_set_metrics_and_its_own_class(tracking, split, client):
    X_train, y_train, X_valid, y_valid = split
    minitrack.xgboost.autolog(extra_tags={"lesson": "04"})
    model = xgb.XGBRegressor(n_estimators=6, max_depth=2, n_jobs=1)
    model.fit(X_train, y_train, eval_set=[(X_valid, y_valid)], verbose=False)

    (run,) = runs_in(tracking.experiment_id)
    assert run.data.tags["lesson"] == "04"
    assert run.data.params["n_estimators"] == "6"
    assert len(client.get_metric_history(run.info.run_id, "validation_0-rmse")) == 6
    loaded = minitrack.xgboost.load_model(f"runs:/{run.info.run_id}/model")
    assert isinstance(loaded, xgb.XGBRegressor)
    np.testing.assert_array_equal(loaded.predict(X_valid), model.predict(X_valid))


def test_hyperopt_objective_with_its_own_nested_run_gets_the_logs(tracking, dmatrices):
    from hyperopt import STATUS_OK, Trials, fmin, hp, tpe

    train, valid = dmatrices
    minitrack.xgboost.autolog()

    def objective(params):
        with minitrack.start_run(nested=True):
            minitrack.set_tag("model", "xgboost")
            booster = xgb.train(
                {**PARAMS, "max_depth": int(params["max_depth"])},
                train,
                num_boost_round=3,
                evals=[(valid, "validation")],
                verbose_eval=False,
            )
            rmse = float(booster.eval(valid).split(":")[1])
        return {"loss": rmse, "status": STATUS_OK}

    with minitrack.start_run(run_name="sweep") as parent:
        fmin(
            objective,
            {"max_depth": hp.quniform("max_depth", 2, 4, 1)},
            algo=tpe.suggest,
            max_evals=2,
            trials=Trials(),
            rstate=np.random.default_rng(42),
            show_progressbar=False,
        )

    runs = runs_in(tracking.experiment_id)
    trials = [r for r in runs if r.info.run_id != parent.info.run_id]
    assert len(runs) == 3  # the sweep and its two trials: autolog started no run of its own
    for trial in trials:
        assert trial.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert trial.data.tags["model"] == "xgboost"
        assert "validation-rmse" in trial.data.metrics
        assert "training_time_s" in trial.data.metrics
    assert "validation-rmse" not in minitrack.get_run(parent.info.run_id).data.metrics


def test_log_models_false_and_exclusive(tracking, dmatrices, client):
    train, _ = dmatrices
    minitrack.xgboost.autolog(log_models=False)
    xgb.train(PARAMS, train, num_boost_round=2)
    (run,) = runs_in(tracking.experiment_id)
    assert "model" not in {f.path for f in client.list_artifacts(run.info.run_id)}
    assert "model_size_bytes" not in run.data.metrics

    minitrack.xgboost.autolog(exclusive=True)
    with minitrack.start_run() as mine:
        xgb.train(PARAMS, train, num_boost_round=2)
    assert minitrack.get_run(mine.info.run_id).data.params == {}


def test_training_errors_reach_the_user_and_mark_the_run_failed(tracking, dmatrices):
    train, _ = dmatrices
    minitrack.xgboost.autolog()
    with pytest.raises(xgb.core.XGBoostError):
        xgb.train({**PARAMS, "objective": "no:such-objective"}, train, num_boost_round=2)
    (run,) = runs_in(tracking.experiment_id)
    assert run.info.status == "FAILED"


def test_a_store_that_cannot_be_written_does_not_stop_training(tmp_path, dmatrices):
    train, _ = dmatrices
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the store's folder should be")
    minitrack.set_tracking_uri(f"sqlite:///{blocked / 'mlflow.db'}")
    minitrack.xgboost.autolog()
    with pytest.warns(UserWarning, match="could not start a run"):
        booster = xgb.train(PARAMS, train, num_boost_round=2)
    assert booster.num_boosted_rounds() == 2
