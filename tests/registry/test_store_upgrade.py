"""A store written before the registry (schema 4) upgrades in place, losing nothing."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import minitrack
from minitrack.store.schema import SCHEMA_VERSION

from .conftest import log_linear_model, predictions

# Made by the release before the registry: see fixtures/make_schema4_store.py.
FIXTURE = Path(__file__).with_name("fixtures") / "schema4_store.db"


def _copy(tmp_path) -> str:
    target = tmp_path / "old.db"
    shutil.copyfile(FIXTURE, target)
    with sqlite3.connect(target) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 4
    return f"sqlite:///{target}"


def test_a_schema_4_store_keeps_its_runs_and_gains_a_registry(tmp_path):
    uri = _copy(tmp_path)
    client = minitrack.MlflowClient(uri)
    exp = client.get_experiment_by_name("taxi")
    (run,) = client.search_runs([exp.experiment_id])
    assert run.info.run_name == "baseline"
    assert run.data.params == {"alpha": "0.5"} and run.data.tags["team"] == "course"
    assert [m.value for m in client.get_metric_history(run.info.run_id, "rmse")] == [7.0, 6.0, 5.0]
    with sqlite3.connect(tmp_path / "old.db") as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    # The registry works in the upgraded file, next to the old runs.
    minitrack.set_tracking_uri(uri)
    run_id, _ = log_linear_model(4.0)
    minitrack.register_model(f"runs:/{run_id}/model", "taxi")
    assert predictions("models:/taxi/1") == [4.0, 8.0, 12.0]
    assert [m.name for m in client.search_registered_models()] == ["taxi"]


def test_the_store_id_is_made_once_and_kept(tmp_path):
    uri = _copy(tmp_path)
    first = minitrack.MlflowClient(uri).get_store_id()
    assert len(first) == 32 and int(first, 16) >= 0
    # Read back from the file itself, and from a backup of it: the id travels with the file.
    with sqlite3.connect(tmp_path / "old.db") as conn:
        assert conn.execute("SELECT store_id FROM store_meta").fetchall() == [(first,)]
        with sqlite3.connect(tmp_path / "again.db") as backup:
            conn.backup(backup)
    again = minitrack.MlflowClient(f"sqlite:///{tmp_path / 'again.db'}")
    assert again.get_store_id() == first
    fresh = minitrack.MlflowClient(f"sqlite:///{tmp_path / 'fresh.db'}").get_store_id()
    assert fresh != first
