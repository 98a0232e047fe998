"""Every registry call of MlflowClient, on a real SQLite file, as a student would use it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import minitrack
from minitrack.entities import ModelVersion, RegisteredModel

from .conftest import X, log_linear_model, predictions


def test_create_get_update_and_delete_a_registered_model(client):
    created = client.create_registered_model("taxi", tags={"team": "ml"}, description="first")
    assert isinstance(created, RegisteredModel)
    got = client.get_registered_model("taxi")
    assert (got.name, got.description, got.tags, got.aliases) == (
        "taxi",
        "first",
        {"team": "ml"},
        {},
    )
    assert got.latest_versions == []
    assert got.creation_timestamp <= got.last_updated_timestamp
    updated = client.update_registered_model("taxi", description="second")
    assert updated.description == "second"
    assert client.get_registered_model("taxi").description == "second"
    client.delete_registered_model("taxi")
    assert list(client.search_registered_models()) == []


def test_register_model_counts_versions_from_one_and_records_the_logged_model(client):
    run_id, info = log_linear_model(1.0)
    first = minitrack.register_model(f"runs:/{run_id}/model", "taxi", tags={"data": "jan"})
    second = minitrack.register_model(info.model_uri, "taxi")
    assert isinstance(first, ModelVersion)
    assert (first.version, second.version) == (1, 2)
    # MLflow 3 records the logged model as the source, and its folder as the storage location.
    assert first.source == f"models:/{info.model_id}"
    assert first.run_id == run_id and first.status == "READY" and first.current_stage == "None"
    assert first.tags == {"data": "jan"}
    logged = client.get_logged_model(info.model_id)
    assert client.get_model_version_download_uri("taxi", 1) == logged.artifact_location
    assert logged.source_run_id == run_id and logged.name == "model"
    assert '"version": 2' in logged.tags["mlflow.modelVersions"]


def test_create_get_update_and_delete_model_versions(client):
    run_id, info = log_linear_model(2.0)
    client.create_registered_model("taxi")
    made = client.create_model_version(
        "taxi", info.model_uri, run_id, tags={"k": "v"}, run_link="http://x/run", description="d"
    )
    assert (made.version, made.source, made.run_link, made.description) == (
        1,
        info.model_uri,
        "http://x/run",
        "d",
    )
    assert client.get_model_version("taxi", "1") == client.get_model_version("taxi", 1)
    assert client.update_model_version("taxi", 1, description="better").description == "better"
    client.delete_model_version("taxi", 1)
    with pytest.raises(minitrack.MinitrackException, match="version=1"):
        client.get_model_version("taxi", 1)
    assert client.create_model_version("taxi", info.model_uri).version == 2  # 1 is not reused


def test_tags_on_models_and_versions(client, three_versions):
    client.set_registered_model_tag("taxi", "task", "regression")
    client.set_model_version_tag("taxi", 2, "validated", "yes")
    client.set_model_version_tag("taxi", "2", "validated", "no")  # overwrites
    assert client.get_registered_model("taxi").tags == {"task": "regression"}
    assert client.get_model_version("taxi", 2).tags == {"validated": "no"}
    client.delete_registered_model_tag("taxi", "task")
    client.delete_model_version_tag("taxi", 2, "validated")
    client.delete_registered_model_tag("taxi", "never-set")  # as in MLflow: no error
    assert client.get_registered_model("taxi").tags == {}
    assert client.get_model_version("taxi", 2).tags == {}


def test_aliases_point_at_one_version_and_move(client, three_versions):
    client.set_registered_model_alias("taxi", "champion", 1)
    client.set_registered_model_alias("taxi", "challenger", 2)
    assert client.get_model_version_by_alias("taxi", "champion").version == 1
    client.set_registered_model_alias("taxi", "champion", "3")
    assert client.get_model_version_by_alias("taxi", "champion").aliases == ["champion"]
    assert client.get_registered_model("taxi").aliases == {"challenger": 2, "champion": 3}
    assert client.get_model_version("taxi", 2).aliases == ["challenger"]
    client.delete_registered_model_alias("taxi", "challenger")
    assert client.get_registered_model("taxi").aliases == {"champion": 3}
    assert client.get_model_version_by_alias("taxi", "latest").version == 3


def test_deleting_a_version_drops_its_aliases(client, three_versions):
    client.set_registered_model_alias("taxi", "champion", 3)
    client.set_registered_model_alias("taxi", "old", 1)
    client.delete_model_version("taxi", 3)
    assert client.get_registered_model("taxi").aliases == {"old": 1}
    with pytest.raises(minitrack.MinitrackException, match="has no alias 'champion'; aliases: old"):
        client.get_model_version_by_alias("taxi", "champion")


def test_rename_moves_versions_tags_and_aliases(client, three_versions):
    client.set_registered_model_alias("taxi", "champion", 2)
    client.set_model_version_tag("taxi", 2, "k", "v")
    client.set_registered_model_tag("taxi", "team", "ml")
    renamed = client.rename_registered_model("taxi", "taxi-v2")
    assert (renamed.name, renamed.aliases, renamed.tags) == (
        "taxi-v2",
        {"champion": 2},
        {"team": "ml"},
    )
    assert client.get_model_version("taxi-v2", 2).tags == {"k": "v"}
    assert predictions("models:/taxi-v2@champion") == [2.0, 4.0, 6.0]
    with pytest.raises(minitrack.MinitrackException, match="name=taxi not found"):
        client.get_registered_model("taxi")


def test_deleting_a_registered_model_drops_everything_and_a_new_one_starts_at_1(
    client, three_versions
):
    client.set_registered_model_alias("taxi", "champion", 2)
    client.delete_registered_model("taxi")
    assert list(client.search_model_versions("name = 'taxi'")) == []
    again = minitrack.register_model(f"runs:/{three_versions[0]}/model", "taxi")
    assert again.version == 1
    assert client.get_registered_model("taxi").aliases == {}


def test_copy_model_version(client, three_versions):
    client.set_registered_model_alias("taxi", "champion", 2)
    client.set_model_version_tag("taxi", 2, "k", "v")
    copy = client.copy_model_version("models:/taxi@champion", "taxi-prod")
    assert (copy.name, copy.version, copy.source, copy.tags) == (
        "taxi-prod",
        1,
        "models:/taxi/2",
        {"k": "v"},
    )
    assert copy.run_id == three_versions[1]
    assert predictions("models:/taxi-prod/1") == [2.0, 4.0, 6.0]


def test_deprecated_stage_calls_work_and_warn(client, three_versions):
    with pytest.warns(
        FutureWarning, match="transition_model_version_stage`` is deprecated since 2.9.0"
    ):
        mv = client.transition_model_version_stage("taxi", 1, "staging")
    assert mv.current_stage == "Staging"
    with pytest.warns(FutureWarning):
        client.transition_model_version_stage("taxi", 2, "PRODUCTION")
    with pytest.warns(FutureWarning):
        client.transition_model_version_stage(
            "taxi", 3, "Production", archive_existing_versions=True
        )
    assert client.get_model_version("taxi", 2).current_stage == "Archived"
    assert client.get_model_version("taxi", 1).current_stage == "Staging"  # other stage: kept
    with pytest.warns(FutureWarning, match="get_latest_versions`` is deprecated since 2.9.0"):
        latest = client.get_latest_versions("taxi", stages=["Production"])
    assert [mv.version for mv in latest] == [3]
    with pytest.warns(FutureWarning):
        every = client.get_latest_versions("taxi")
    assert sorted((mv.current_stage, mv.version) for mv in every) == [
        ("Archived", 2),
        ("Production", 3),
        ("Staging", 1),
    ]
    stages = {
        mv.current_stage: mv.version for mv in client.get_registered_model("taxi").latest_versions
    }
    assert stages == {"Staging": 1, "Archived": 2, "Production": 3}


def test_search_registered_models_and_versions(client, three_versions):
    client.create_registered_model("other", tags={"team": "ml"})
    assert [m.name for m in client.search_registered_models()] == ["other", "taxi"]
    assert [m.name for m in client.search_registered_models("name LIKE 'ta%'")] == ["taxi"]
    assert [m.name for m in client.search_registered_models("tags.team = 'ml'")] == ["other"]
    first = client.search_registered_models(max_results=1, order_by=["name DESC"])
    assert [m.name for m in first] == ["taxi"] and first.token
    rest = client.search_registered_models(
        max_results=1, order_by=["name DESC"], page_token=first.token
    )
    assert [m.name for m in rest] == ["other"] and rest.token is None
    found = client.search_model_versions(
        "name = 'taxi' AND version_number >= 2", order_by=["version_number ASC"]
    )
    assert [mv.version for mv in found] == [2, 3]
    by_run = client.search_model_versions(f"run_id = '{three_versions[0]}'")
    assert [(mv.name, mv.version) for mv in by_run] == [("taxi", 1)]
    paged = client.search_model_versions(
        "name='taxi'", max_results=2, order_by=["version_number DESC"]
    )
    assert [mv.version for mv in paged] == [3, 2] and paged.token


def test_register_model_with_tags_via_log_model_registered_model_name(client):
    _, info = log_linear_model(1.0, registered_model_name="taxi")
    assert info.registered_model_version == 1
    assert client.get_model_version("taxi", 1).source == f"models:/{info.model_id}"
    _, again = log_linear_model(5.0, registered_model_name="taxi")
    assert again.registered_model_version == 2
    assert predictions("models:/taxi/latest") == [5.0, 10.0, 15.0]


def test_a_version_made_from_a_runs_uri_source_loads(client):
    run_id, info = log_linear_model(6.0)
    client.create_registered_model("direct")
    made = client.create_model_version("direct", f"runs:/{run_id}/model", run_id)
    assert client.get_model_version_download_uri("direct", made.version) == f"runs:/{run_id}/model"
    assert predictions("models:/direct/1") == [6.0, 12.0, 18.0]


_REGISTER_IN_A_CHILD = """
import sys
import minitrack
minitrack.set_tracking_uri(sys.argv[1])
for _ in range(5):
    print(minitrack.register_model(sys.argv[2], "shared").version)
"""


def test_processes_registering_at_once_get_distinct_version_numbers(tmp_path):
    run_id, _ = log_linear_model(1.0)
    uri = minitrack.get_tracking_uri()
    src = str(Path(minitrack.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": src}
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _REGISTER_IN_A_CHILD, uri, f"runs:/{run_id}/model"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(3)
    ]
    numbers = []
    for child in children:
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0, err
        numbers += [int(line) for line in out.split()]
    assert sorted(numbers) == list(range(1, 16))
    versions = minitrack.MlflowClient().search_model_versions("name = 'shared'")
    assert sorted(mv.version for mv in versions) == list(range(1, 16))


def test_register_model_takes_logged_model_registry_and_folder_uris(client, tmp_path):
    from sklearn.linear_model import LinearRegression

    run_id, info = log_linear_model(2.0)
    by_id = minitrack.register_model(f"models:/{info.model_id}", "by-id")
    assert (by_id.source, by_id.run_id) == (f"models:/{info.model_id}", run_id)
    again = minitrack.register_model("models:/by-id/1", "from-registry")
    assert again.source == "models:/by-id/1" and again.run_id == run_id
    folder = tmp_path / "saved"
    minitrack.sklearn.save_model(LinearRegression().fit(X, X[:, 0]), folder)
    saved = minitrack.register_model(str(folder), "from-folder")
    assert saved.source == str(folder) and saved.run_id is None
    for name in ("by-id", "from-registry"):
        assert predictions(f"models:/{name}/1") == [2.0, 4.0, 6.0]
    assert predictions("models:/from-folder/1") == [1.0, 2.0, 3.0]
    with pytest.raises(minitrack.MinitrackException, match="not a model folder"):
        minitrack.register_model(str(tmp_path), "nothing-there")
    assert [m.name for m in client.search_registered_models()] == [
        "by-id",
        "from-folder",
        "from-registry",
    ]


def test_the_mlmodel_file_names_its_logged_model(client):
    from minitrack.models import Model

    run_id, info = log_linear_model(1.0)
    mlmodel = Model.load(client.artifact_local_path(run_id, "model"))
    assert mlmodel.extra["model_id"] == info.model_id  # as MLflow 3 writes it
