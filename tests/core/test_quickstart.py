"""The first thing a student does: track a run and read it back."""

from __future__ import annotations

import minitrack as mlflow


def test_a_tracked_run_reads_back_with_params_metrics_tags_and_artifacts(tracking_uri):
    mlflow.set_experiment("taxi")
    with mlflow.start_run(run_name="baseline") as run:
        mlflow.log_param("max_depth", 6)
        mlflow.log_metric("rmse", 7.5)
        mlflow.log_metric("rmse", 6.25, step=1)
        mlflow.set_tag("model", "xgboost")
        mlflow.log_text("hello", "notes/readme.txt")

    stored = mlflow.get_run(run.info.run_id)
    assert stored.info.status == "FINISHED"
    assert stored.info.run_name == "baseline"
    assert stored.data.params == {"max_depth": "6"}
    assert stored.data.metrics == {"rmse": 6.25}
    assert stored.data.tags["model"] == "xgboost"
    assert stored.data.tags["mlflow.runName"] == "baseline"
    files = mlflow.MlflowClient().list_artifacts(run.info.run_id, "notes")
    assert [f.path for f in files] == ["notes/readme.txt"]

    frame = mlflow.search_runs(experiment_names=["taxi"])
    assert list(frame["run_id"]) == [run.info.run_id]
    assert frame.loc[0, "metrics.rmse"] == 6.25
    assert frame.loc[0, "params.max_depth"] == "6"
