"""End to end: the lesson's ``mlflow.search_runs`` calls, on minitrack."""

from __future__ import annotations

import math

import pytest

import minitrack as mlflow


@pytest.fixture(autouse=True)
def tracking(fresh_tracker, tmp_path):
    """A fresh SQLite tracking store for each test; no run left active afterwards."""
    pytest.importorskip("pandas")
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")


def _sweep():
    """Five trials as lesson 02 logs them: a linear baseline and XGBoost trials."""
    mlflow.set_experiment("nyc-taxi-experiment")
    trials = [
        ("baseline", "linear", {"alpha": "0.1"}, 7.8),
        ("trial-1", "xgboost", {"max_depth": "4"}, 6.9),
        ("trial-2", "xgboost", {"max_depth": "30"}, 6.4),
        ("trial-3", "xgboost", {"max_depth": "70"}, float("nan")),
        ("trial-4", "xgboost", {"max_depth": "8"}, 6.6),
    ]
    for name, model, params, rmse in trials:
        with mlflow.start_run(run_name=name):
            mlflow.set_tag("model", model)
            mlflow.log_params(params)
            mlflow.log_metric("rmse", rmse)


def test_best_xgboost_runs_come_first():
    _sweep()
    best = mlflow.search_runs(
        filter_string="tags.model = 'xgboost' and metrics.rmse < 7",
        order_by=["metrics.rmse ASC"],
    )
    assert list(best["tags.mlflow.runName"]) == ["trial-2", "trial-4", "trial-1"]
    assert list(best["metrics.rmse"]) == [6.4, 6.6, 6.9]
    assert list(best["params.max_depth"]) == ["30", "8", "4"]


def test_nan_rmse_sorts_after_every_number_and_matches_no_threshold():
    _sweep()
    ranked = mlflow.search_runs(order_by=["metrics.rmse DESC"])
    assert list(ranked["tags.mlflow.runName"]) == [
        "baseline",
        "trial-1",
        "trial-4",
        "trial-2",
        "trial-3",
    ]
    assert math.isnan(ranked["metrics.rmse"].iloc[-1])
    below = mlflow.search_runs(filter_string="metrics.rmse < 100")
    assert "trial-3" not in set(below["tags.mlflow.runName"])


def test_list_output_and_max_results():
    _sweep()
    runs = mlflow.search_runs(
        filter_string="params.max_depth IS NOT NULL",
        order_by=["params.max_depth"],
        max_results=2,
        output_format="list",
    )
    # params are strings: '30' < '4' < '70' < '8'
    assert [r.info.run_name for r in runs] == ["trial-2", "trial-1"]


def test_a_typo_in_the_filter_is_explained_and_nothing_is_lost():
    _sweep()
    with pytest.raises(mlflow.MlflowException, match=r"unknown entity 'metric_'"):
        mlflow.search_runs(filter_string="metric_.rmse < 7")
    with pytest.raises(mlflow.MlflowException, match=r"OR is not supported"):
        mlflow.search_runs(filter_string="tags.model = 'xgboost' OR tags.model = 'linear'")
    assert len(mlflow.search_runs()) == 5
