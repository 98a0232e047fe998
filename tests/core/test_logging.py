"""Params, metrics and tags: what is stored, how history and "latest" work, batches."""

from __future__ import annotations

import math

import numpy as np
import pytest

import minitrack as mlflow
from minitrack.entities import Metric, Param, RunTag
from minitrack.store.sqlite import SqliteStore


def test_params_are_strings_and_immutable(tracking_uri):
    with mlflow.start_run() as run:
        assert mlflow.log_param("depth", 6) == 6
        mlflow.log_param("depth", 6)  # same value again: fine
        mlflow.log_params({"lr": 0.1, "model": None, "layers": [1, 2]})
        with pytest.raises(mlflow.MlflowException, match="Changing param values is not allowed"):
            mlflow.log_param("depth", 7)
    assert mlflow.get_run(run.info.run_id).data.params == {
        "depth": "6",
        "lr": "0.1",
        "model": "None",
        "layers": "[1, 2]",
    }


def test_a_param_is_logged_only_to_an_active_run_that_exists(client):
    # log_param writes a new key in one statement and takes a slower path for the rest:
    # each of those cases must still refuse, or accept, exactly as before.
    rid = client.create_run("0").info.run_id
    client.log_param(rid, "depth", 6)
    client.delete_run(rid)
    with pytest.raises(mlflow.MlflowException, match="must be in the 'active' state"):
        client.log_param(rid, "lr", 0.1)
    client.restore_run(rid)
    client.log_param(rid, "depth", "6")  # the same text again: accepted, nothing changes
    with pytest.raises(mlflow.MlflowException, match="Run with id=0{32} not found"):
        client.log_param("0" * 32, "depth", 6)
    reader = SqliteStore(client.tracking_uri.removeprefix("sqlite:///"), read_only=True)
    with pytest.raises(mlflow.MlflowException, match="read-only: the web UI never writes"):
        reader.log_param(rid, "lr", "0.1")
    reader.close()
    assert client.get_run(rid).data.params == {"depth": "6"}


def test_metrics_keep_full_history_with_steps_and_timestamps(client, tracking_uri):
    with mlflow.start_run() as run:
        mlflow.log_metric("loss", 0.9)
        mlflow.log_metric("loss", 0.5, step=1, timestamp=1_700_000_000_000)
        mlflow.log_metrics({"loss": 0.25, "acc": 0.8}, step=2)
        mlflow.log_metric("int_metric", 3)
        mlflow.log_metric("np_metric", np.float32(0.5), step=np.int64(4))
    history = client.get_metric_history(run.info.run_id, "loss")
    assert [(m.step, m.value) for m in history] == [(0, 0.9), (1, 0.5), (2, 0.25)]
    assert history[1].timestamp == 1_700_000_000_000
    assert all(isinstance(m.timestamp, int) and m.key == "loss" for m in history)
    data = mlflow.get_run(run.info.run_id).data
    assert data.metrics == {"loss": 0.25, "acc": 0.8, "int_metric": 3.0, "np_metric": 0.5}
    assert client.get_metric_history(run.info.run_id, "never") == []


def test_latest_value_is_the_one_with_the_highest_step_not_the_last_logged(client):
    run = client.create_run("0")
    rid = run.info.run_id
    client.log_metric(rid, "m", 5.0, timestamp=100, step=10)
    client.log_metric(rid, "m", 1.0, timestamp=200, step=3)  # older step logged later
    assert client.get_run(rid).data.metrics["m"] == 5.0
    client.log_metric(rid, "m", 7.0, timestamp=50, step=10)  # same step, older timestamp
    assert client.get_run(rid).data.metrics["m"] == 5.0
    client.log_metric(rid, "m", 2.0, timestamp=300, step=10)
    assert client.get_run(rid).data.metrics["m"] == 2.0


def _log_repeated_entries(client) -> list[tuple[float, int, int]]:
    rid = client.create_run("0").info.run_id
    for value in (1.0, 1.0, float("nan"), float("nan"), 2.0, -1.0):
        client.log_metric(rid, "m", value, timestamp=5, step=0)
    client.log_metric(rid, "m", 1.0, timestamp=6, step=0)  # a later timestamp is a new entry
    return [(m.value, m.step, m.timestamp) for m in client.get_metric_history(rid, "m")]


def test_an_entry_logged_twice_is_kept_once_in_the_history(client):
    entries = _log_repeated_entries(client)
    assert len(entries) == 5
    assert [e[0] for e in entries if not math.isnan(e[0])] == [-1.0, 1.0, 2.0, 1.0]


@pytest.mark.mlflow
def test_repeated_entries_give_the_same_history_as_real_mlflow(tmp_path):
    mlflow_real = pytest.importorskip("mlflow")
    ours = _log_repeated_entries(mlflow.MlflowClient(f"sqlite:///{tmp_path / 'ours.db'}"))
    theirs = _log_repeated_entries(mlflow_real.MlflowClient(f"sqlite:///{tmp_path / 'theirs.db'}"))
    # NaN != NaN: compare the entries as text.
    assert [repr(e) for e in ours] == [repr(e) for e in theirs]


def test_nan_and_infinity_are_stored_faithfully(client):
    rid = client.create_run("0").info.run_id
    client.log_metric(rid, "nan", float("nan"))
    client.log_metric(rid, "inf", float("inf"))
    client.log_metric(rid, "-inf", -math.inf)
    client.log_metric(rid, "tiny", 5e-324)
    client.log_metric(rid, "third", 0.1 + 0.2)
    metrics = client.get_run(rid).data.metrics
    assert math.isnan(metrics["nan"])
    assert metrics["inf"] == math.inf and metrics["-inf"] == -math.inf
    assert metrics["tiny"] == 5e-324 and metrics["third"] == 0.1 + 0.2
    assert math.isnan(client.get_metric_history(rid, "nan")[0].value)


def test_tags_can_be_overwritten_and_deleted(tracking_uri):
    with mlflow.start_run() as run:
        mlflow.set_tag("stage", "dev")
        mlflow.set_tag("stage", "prod")
        mlflow.set_tags({"a": 1, "b": True})
        mlflow.delete_tag("a")
        with pytest.raises(mlflow.MlflowException, match="No tag with name: a"):
            mlflow.delete_tag("a")
    tags = mlflow.get_run(run.info.run_id).data.tags
    assert tags["stage"] == "prod" and tags["b"] == "True" and "a" not in tags


def test_setting_the_run_name_tag_renames_the_run(client):
    rid = client.create_run("0", run_name="before").info.run_id
    client.set_tag(rid, "mlflow.runName", "after")
    assert client.get_run(rid).info.run_name == "after"
    client.update_run(rid, name="again")
    run = client.get_run(rid)
    assert run.info.run_name == "again" and run.data.tags["mlflow.runName"] == "again"


def test_log_batch_writes_everything_in_one_call(client):
    rid = client.create_run("0").info.run_id
    client.log_batch(
        rid,
        metrics=[Metric("m", float(i), 1000 + i, i) for i in range(1500)],
        params=[Param(f"p{i}", str(i)) for i in range(150)],
        tags=[RunTag("t", "v")],
    )
    run = client.get_run(rid)
    assert run.data.metrics["m"] == 1499.0
    assert len(run.data.params) == 150 and run.data.tags["t"] == "v"
    assert len(client.get_metric_history(rid, "m")) == 1500


def test_log_batch_is_all_or_nothing(client):
    rid = client.create_run("0").info.run_id
    client.log_param(rid, "fixed", "1")
    with pytest.raises(mlflow.MlflowException, match="Changing param values"):
        client.log_batch(
            rid,
            metrics=[Metric("m", 1.0, 0, 0)],
            params=[Param("new", "x"), Param("fixed", "2")],
            tags=[RunTag("t", "v")],
        )
    run = client.get_run(rid)
    assert run.data.metrics == {} and run.data.params == {"fixed": "1"}
    assert "t" not in run.data.tags


def test_duplicate_keys_within_one_batch(client):
    rid = client.create_run("0").info.run_id
    client.log_batch(rid, params=[Param("a", "1"), Param("a", "1")])
    with pytest.raises(mlflow.MlflowException, match="Duplicate parameter keys"):
        client.log_batch(rid, params=[Param("b", "1"), Param("b", "2")])


def test_logging_without_an_active_run_starts_one(tracking_uri):
    mlflow.log_metric("auto", 1.0)
    run = mlflow.active_run()
    assert run is not None
    mlflow.end_run()
    assert mlflow.get_run(run.info.run_id).data.metrics == {"auto": 1.0}


def test_set_terminated_and_the_client_run_lifecycle(client):
    run = client.create_run("0", start_time=1000, tags={"k": "v"}, run_name="manual")
    assert run.info.status == "RUNNING" and run.info.start_time == 1000
    assert run.data.tags == {"k": "v", "mlflow.runName": "manual"}
    client.set_terminated(run.info.run_id, "FAILED", end_time=2000)
    info = client.get_run(run.info.run_id).info
    assert (info.status, info.end_time) == ("FAILED", 2000)
    client.set_terminated(run.info.run_id)
    assert client.get_run(run.info.run_id).info.status == "FINISHED"
    assert client.get_parent_run(run.info.run_id) is None


def test_long_values_are_truncated_like_mlflow_unless_disabled(client, monkeypatch):
    rid = client.create_run("0").info.run_id
    client.log_param(rid, "long", "x" * 7000)
    assert len(client.get_run(rid).data.params["long"]) == 6000
    monkeypatch.setenv("MLFLOW_TRUNCATE_LONG_VALUES", "false")
    with pytest.raises(mlflow.MlflowException, match="7000 characters long; the maximum is 6000"):
        client.log_param(rid, "long2", "x" * 7000)
