"""Experiments: creation, the Default experiment, lookup, tags, delete/restore, search."""

from __future__ import annotations

import time

import pytest

import minitrack as mlflow
from minitrack.entities import LifecycleStage, ViewType


def test_a_new_store_has_the_default_experiment_with_id_0(tmp_path, client):
    default = client.get_experiment("0")
    assert default.name == "Default"
    assert default.artifact_location == str(tmp_path / "mlruns" / "0")
    assert mlflow.get_experiment_by_name("Default").experiment_id == "0"


def test_set_experiment_creates_it_once_and_makes_it_active(tmp_path, tracking_uri):
    first = mlflow.set_experiment("taxi")
    again = mlflow.set_experiment("taxi")
    assert first.experiment_id == again.experiment_id == "1"
    assert first.artifact_location == str(tmp_path / "mlruns" / "1")
    with mlflow.start_run() as run:
        pass
    assert run.info.experiment_id == "1"
    assert mlflow.set_experiment(experiment_id="1").name == "taxi"


def test_set_experiment_needs_exactly_one_of_name_and_id(tracking_uri):
    with pytest.raises(mlflow.MlflowException, match="exactly one of"):
        mlflow.set_experiment()
    with pytest.raises(mlflow.MlflowException, match="exactly one of"):
        mlflow.set_experiment("a", "1")


def test_create_experiment_returns_a_string_id_and_rejects_duplicates(tracking_uri, tmp_path):
    exp_id = mlflow.create_experiment(
        "custom", artifact_location="art", tags={"team": "ml", "level": 2}
    )
    assert exp_id == "1"
    exp = mlflow.get_experiment(exp_id)
    assert exp.artifact_location == str(tmp_path / "art")
    assert exp.tags == {"team": "ml", "level": "2"}
    assert exp.creation_time and exp.last_update_time
    with pytest.raises(mlflow.MlflowException, match=r"Experiment\(name=custom\) already exists"):
        mlflow.create_experiment("custom")


def test_get_experiment_by_name_is_none_when_missing_and_get_experiment_raises(tracking_uri):
    assert mlflow.get_experiment_by_name("nope") is None
    with pytest.raises(mlflow.MlflowException, match="No Experiment with id=42 exists") as err:
        mlflow.get_experiment("42")
    assert err.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_delete_and_restore_an_experiment_with_its_runs(client, tracking_uri):
    exp_id = mlflow.set_experiment("gone").experiment_id
    with mlflow.start_run() as run:
        pass
    mlflow.delete_experiment(exp_id)
    assert client.get_experiment(exp_id).lifecycle_stage == LifecycleStage.DELETED
    assert client.get_run(run.info.run_id).info.lifecycle_stage == LifecycleStage.DELETED
    with pytest.raises(mlflow.MlflowException, match="Cannot set a deleted experiment 'gone'"):
        mlflow.set_experiment("gone")
    with pytest.raises(mlflow.MlflowException, match="already exists in deleted state"):
        mlflow.create_experiment("gone")
    client.restore_experiment(exp_id)
    assert client.get_experiment(exp_id).lifecycle_stage == LifecycleStage.ACTIVE
    assert client.get_run(run.info.run_id).info.lifecycle_stage == LifecycleStage.ACTIVE


def test_the_default_experiment_cannot_be_deleted(client):
    with pytest.raises(mlflow.MlflowException, match="Cannot delete the default experiment"):
        client.delete_experiment("0")


def test_rename_and_experiment_tags(client, tracking_uri):
    exp_id = client.create_experiment("old")
    client.rename_experiment(exp_id, "new")
    assert client.get_experiment(exp_id).name == "new"
    mlflow.set_experiment("new")
    mlflow.set_experiment_tag("owner", "ana")
    mlflow.set_experiment_tags({"course": "mlops", "week": 2})
    assert client.get_experiment(exp_id).tags == {"owner": "ana", "course": "mlops", "week": "2"}
    client.delete_experiment_tag(exp_id, "week")
    assert "week" not in client.get_experiment(exp_id).tags
    with pytest.raises(mlflow.MlflowException, match="No tag with name: week"):
        client.delete_experiment_tag(exp_id, "week")


def test_search_experiments_filters_orders_and_pages(client):
    for name in ["alpha", "beta", "gamma"]:
        client.create_experiment(name, tags={"kind": "sweep" if name != "beta" else "single"})
    names = [e.name for e in mlflow.search_experiments(order_by=["name ASC"])]
    assert names == ["Default", "alpha", "beta", "gamma"]
    assert [e.name for e in mlflow.search_experiments(filter_string="name LIKE 'a%'")] == ["alpha"]
    assert [e.name for e in mlflow.search_experiments(filter_string="name ILIKE 'A%'")] == ["alpha"]
    swept = mlflow.search_experiments(filter_string="tags.kind = 'sweep'", order_by=["name"])
    assert [e.name for e in swept] == ["alpha", "gamma"]
    assert [e.name for e in mlflow.search_experiments(filter_string="tags.kind IS NULL")] == [
        "Default"
    ]
    page = client.search_experiments(max_results=2, order_by=["name ASC"])
    assert [e.name for e in page] == ["Default", "alpha"]
    rest = client.search_experiments(max_results=2, order_by=["name ASC"], page_token=page.token)
    assert [e.name for e in rest] == ["beta", "gamma"]
    client.delete_experiment(client.get_experiment_by_name("beta").experiment_id)
    assert "beta" not in [e.name for e in mlflow.search_experiments()]
    deleted = mlflow.search_experiments(view_type=ViewType.DELETED_ONLY)
    assert [e.name for e in deleted] == ["beta"]
    with pytest.raises(mlflow.MlflowException, match="unknown attribute"):
        mlflow.search_experiments(filter_string="owner = 'x'")


def test_default_order_is_newest_first(client):
    client.create_experiment("first")
    time.sleep(0.01)  # creation times are in milliseconds
    client.create_experiment("second")
    names = [e.name for e in mlflow.search_experiments()]
    assert names.index("second") < names.index("first")


def test_client_knows_its_uri_and_lists_experiments_the_old_way(client, tracking_uri):
    client.create_experiment("listed")
    assert client.tracking_uri == tracking_uri
    assert sorted(e.name for e in client.list_experiments()) == ["Default", "listed"]
    run = client.create_run("0")
    assert client.get_run_info(run.info.run_id) == client.get_run(run.info.run_id).info
