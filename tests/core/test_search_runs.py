"""search_runs as students use it: a DataFrame with MLflow's columns, or a list; paging."""

from __future__ import annotations

import math
import os
import time

import pandas as pd
import pytest

import minitrack as mlflow

BASE = ["run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time"]


def _sweep(n=4, experiment="sweep"):
    mlflow.set_experiment(experiment)
    ids = []
    for i in range(n):
        with mlflow.start_run(run_name=f"trial-{i}") as run:
            mlflow.log_params({"max_depth": i + 2, "model": "xgb" if i % 2 else "rf"})
            mlflow.log_metric("rmse", 10.0 - i)
            if i == 0:
                mlflow.log_metric("only_first", 1.0)
            mlflow.set_tag("kind", "sweep")
        ids.append(run.info.run_id)
        time.sleep(0.002)  # distinct start times (ms), so "newest first" is well defined
    return ids


def test_dataframe_columns_order_and_dtypes(tracking_uri):
    ids = _sweep()
    frame = mlflow.search_runs()
    assert list(frame.columns[:6]) == BASE
    rest = list(frame.columns[6:])
    groups = [c.split(".")[0] for c in rest]
    assert groups == sorted(groups, key=["metrics", "params", "tags"].index)
    assert {"metrics.rmse", "params.max_depth", "tags.mlflow.runName", "tags.kind"} <= set(rest)
    assert "run_name" not in frame.columns
    assert str(frame["start_time"].dtype).startswith("datetime64") and "UTC" in str(
        frame["start_time"].dtype
    )
    assert frame["metrics.rmse"].dtype == "float64"
    assert list(frame["run_id"]) == ids[::-1]  # newest first
    assert math.isnan(frame.set_index("run_id").loc[ids[1], "metrics.only_first"])
    assert frame.loc[0, "start_time"] == pd.to_datetime(
        mlflow.get_run(ids[-1]).info.start_time, unit="ms", utc=True
    )


def test_empty_result_has_the_six_base_columns(tracking_uri):
    mlflow.set_experiment("empty")
    frame = mlflow.search_runs()
    assert list(frame.columns) == BASE and len(frame) == 0


def test_filter_order_by_and_max_results(tracking_uri):
    _sweep(6)
    frame = mlflow.search_runs(
        filter_string="params.model = 'xgb' and metrics.rmse < 9.5",
        order_by=["metrics.rmse ASC"],
    )
    assert list(frame["metrics.rmse"]) == [5.0, 7.0, 9.0]
    top = mlflow.search_runs(order_by=["metrics.rmse DESC"], max_results=2)
    assert list(top["metrics.rmse"]) == [10.0, 9.0]


def test_list_output_experiment_names_and_all_experiments(tracking_uri):
    a = _sweep(2, "a")
    b = _sweep(3, "b")
    runs = mlflow.search_runs(experiment_names=["a"], output_format="list")
    assert sorted(r.info.run_id for r in runs) == sorted(a)
    assert isinstance(runs[0], mlflow.entities.Run)
    both = mlflow.search_runs(experiment_names=["a", "b", "missing"])
    assert len(both) == 5
    assert len(mlflow.search_runs(search_all_experiments=True)) == 5
    by_id = mlflow.search_runs([mlflow.get_experiment_by_name("b").experiment_id])
    assert sorted(by_id["run_id"]) == sorted(b)


def test_deleted_runs_need_run_view_type(tracking_uri):
    ids = _sweep(3)
    mlflow.delete_run(ids[0])
    assert len(mlflow.search_runs()) == 2
    deleted = mlflow.search_runs(run_view_type=mlflow.entities.ViewType.DELETED_ONLY)
    assert list(deleted["run_id"]) == [ids[0]]
    assert len(mlflow.search_runs(run_view_type=mlflow.entities.ViewType.ALL)) == 3


def test_client_search_pages_with_a_token(client, tracking_uri):
    ids = _sweep(5)
    exp_id = mlflow.get_experiment_by_name("sweep").experiment_id
    seen, token = [], None
    while True:
        page = client.search_runs([exp_id], max_results=2, page_token=token)
        seen.extend(r.info.run_id for r in page)
        token = page.token
        if token is None:
            break
    assert seen == ids[::-1]
    with pytest.raises(mlflow.MlflowException, match="Invalid page_token"):
        client.search_runs([exp_id], page_token="garbage")


def test_bad_arguments_are_explained(tracking_uri):
    with pytest.raises(mlflow.MlflowException, match="Unsupported output format"):
        mlflow.search_runs(output_format="json")
    with pytest.raises(mlflow.MlflowException, match="not both"):
        mlflow.search_runs(experiment_ids=["0"], experiment_names=["x"])
    with pytest.raises(mlflow.MlflowException, match=r"Did you mean to use experiment_ids=\['0'\]"):
        mlflow.search_runs(experiment_ids="0")


@pytest.mark.mlflow
@pytest.mark.slow
def test_same_frame_shape_as_real_mlflow(tmp_path, monkeypatch):
    mlflow_real = pytest.importorskip("mlflow")

    def fill(tracker, uri):
        tracker.set_tracking_uri(uri)
        tracker.set_experiment("cmp")
        for i in range(3):
            with tracker.start_run():
                tracker.log_param("p", i)
                tracker.log_metric("m", float(i))
                if i:
                    tracker.set_tag("t", "x")
        return tracker.search_runs()

    ours = fill(mlflow, f"sqlite:///{tmp_path / 'ours.db'}")
    monkeypatch.chdir(tmp_path)
    # MLflow keeps set_tracking_uri in a module global, and MLflow 3 also exports it as
    # MLFLOW_TRACKING_URI: put both back after this test (servers started later inherit
    # the environment).
    monkeypatch.setattr("mlflow.tracking._tracking_service.utils._tracking_uri", None)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    try:
        theirs = fill(mlflow_real, f"sqlite:///{tmp_path / 'theirs.db'}")
    finally:
        # MLflow's set_experiment exports MLFLOW_EXPERIMENT_ID: keep it out of later tests.
        os.environ.pop("MLFLOW_EXPERIMENT_ID", None)
    # MLflow reads git only through GitPython; minitrack always records commit and branch.
    ours = ours[[c for c in ours.columns if not c.startswith("tags.mlflow.source.git")]]
    theirs = theirs[[c for c in theirs.columns if not c.startswith("tags.mlflow.source.git")]]
    assert sorted(ours.columns) == sorted(theirs.columns)
    assert list(ours.columns[:6]) == list(theirs.columns[:6])
    for column in ours.columns:
        assert ours[column].dtype == theirs[column].dtype, column
    empty_ours = mlflow.search_runs(experiment_ids=["0"])
    empty_theirs = mlflow_real.search_runs(experiment_ids=["0"])
    assert list(empty_ours.columns) == list(empty_theirs.columns)
    assert list(empty_ours.dtypes) == list(empty_theirs.dtypes)
