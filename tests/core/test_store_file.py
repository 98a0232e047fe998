"""The SQLite file itself: creation, WAL, schema version, migrations, files that are not ours."""

from __future__ import annotations

import math
import sqlite3
import time

import pytest

import minitrack as mlflow
from minitrack.store import SqliteStore
from minitrack.store.schema import MIGRATIONS, SCHEMA_VERSION


def _open(path):
    return mlflow.MlflowClient(f"sqlite:///{path}")


def test_a_new_file_is_wal_with_the_current_schema_version(tmp_path):
    _open(tmp_path / "new.db")
    with sqlite3.connect(tmp_path / "new.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_an_empty_file_is_initialised(tmp_path):
    (tmp_path / "empty.db").write_bytes(b"")
    client = _open(tmp_path / "empty.db")
    assert client.get_experiment("0").name == "Default"


def test_a_half_created_file_is_finished_off(tmp_path):
    with sqlite3.connect(tmp_path / "half.db") as conn:
        conn.execute(
            "CREATE TABLE experiments (experiment_id INTEGER PRIMARY KEY, name TEXT NOT NULL "
            "UNIQUE, artifact_location TEXT NOT NULL, lifecycle_stage TEXT NOT NULL DEFAULT "
            "'active', creation_time INTEGER, last_update_time INTEGER)"
        )
    client = _open(tmp_path / "half.db")
    run = client.create_run("0")
    client.log_metric(run.info.run_id, "m", 1.0)
    assert client.get_run(run.info.run_id).data.metrics == {"m": 1.0}


def test_a_file_that_is_not_a_database_is_named_and_left_alone(tmp_path):
    notes = tmp_path / "notes.db"
    notes.write_text("these are my lecture notes, not a database\n" * 50)
    with pytest.raises(
        mlflow.MinitrackException, match="is not a minitrack tracking database"
    ) as e:
        _open(notes)
    assert str(notes) in str(e.value)
    assert notes.read_text().startswith("these are my lecture notes")


def test_a_newer_schema_asks_to_upgrade_minitrack(tmp_path):
    db = tmp_path / "future.db"
    _open(db)
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(mlflow.MinitrackException, match="newer minitrack.*Upgrade minitrack"):
        SqliteStore(str(db))


def test_an_mlflow_database_is_refused_with_advice(tmp_path):
    db = tmp_path / "mlflow_made.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
    with pytest.raises(mlflow.MinitrackException, match="is an MLflow database"):
        SqliteStore(str(db))


def test_a_missing_folder_or_a_folder_path_is_explained(tmp_path):
    with pytest.raises(mlflow.MinitrackException, match="does not exist"):
        SqliteStore(str(tmp_path / "no" / "such" / "mlflow.db"))
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(mlflow.MinitrackException, match="it is a folder"):
        SqliteStore(str(tmp_path / "dir.db"))


def test_a_version_1_file_migrates_forward_keeping_its_runs(tmp_path):
    db = tmp_path / "v1.db"
    with sqlite3.connect(db) as conn:
        for statement in MIGRATIONS[0].split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute("PRAGMA user_version = 1")
        conn.execute("INSERT INTO experiments VALUES (0, 'Default', '/a/0', 'active', 1, 1)")
        conn.execute(
            "INSERT INTO runs VALUES ('r1', 'old-run', 0, 'u', 'FINISHED', 1, 2, 'active', "
            "'/a/0/r1/artifacts', NULL)"
        )
        conn.execute("INSERT INTO params VALUES ('r1', 'alpha', '0.5')")
        conn.execute("INSERT INTO tags VALUES ('r1', 'mlflow.runName', 'old-run')")
        conn.execute("INSERT INTO metrics VALUES ('r1', 'rmse', 6.5, 5, 0, 0)")
        conn.execute("INSERT INTO latest_metrics VALUES ('r1', 'rmse', 6.5, 5, 0, 0)")
    run = _open(db).get_run("r1")
    assert (run.info.run_name, run.data.params, run.data.metrics) == (
        "old-run",
        {"alpha": "0.5"},
        {"rmse": 6.5},
    )
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_version_3_file_keeps_its_metric_history_through_migration_4(tmp_path):
    db = tmp_path / "v3.db"
    with sqlite3.connect(db) as conn:
        for migration in MIGRATIONS[:3]:
            conn.executescript(migration)
        conn.execute("PRAGMA user_version = 3")
        conn.execute("INSERT INTO experiments VALUES (0, 'Default', '/a/0', 'active', 1, 1)")
        conn.execute(
            "INSERT INTO runs VALUES ('r1', 'old', 0, 'u', 'FINISHED', 1, 2, 'active', "
            "'/a/0/r1/artifacts', NULL)"
        )
        conn.execute("INSERT INTO params VALUES ('r1', 'alpha', '0.5')")
        # Version 3 kept an entry logged twice twice, and NaN as NULL.
        conn.executemany(
            "INSERT INTO metrics VALUES ('r1', 'loss', ?, ?, ?, ?)",
            [(0.9, 10, 0, 0), (0.9, 10, 0, 0), (None, 20, 1, 1), (0.4, 30, 2, 0)],
        )
        conn.execute("INSERT INTO latest_metrics VALUES ('r1', 'loss', 0.4, 30, 2, 0)")
    client = _open(db)
    history = client.get_metric_history("r1", "loss")
    assert [(m.step, m.timestamp) for m in history] == [(0, 10), (1, 20), (2, 30)]
    assert history[0].value == 0.9 and math.isnan(history[1].value) and history[2].value == 0.4
    assert client.get_run("r1").data.params == {"alpha": "0.5"}
    client.log_metric("r1", "loss", 0.3, timestamp=40, step=3)
    assert client.get_run("r1").data.metrics == {"loss": 0.3}
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_forked_children_get_their_own_connection(tmp_path):
    import multiprocessing

    client = _open(tmp_path / "fork.db")
    run_id = client.create_run("0").info.run_id
    ctx = multiprocessing.get_context("fork")
    children = [
        ctx.Process(target=_log_from_child, args=(str(tmp_path / "fork.db"), run_id, i))
        for i in range(3)
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(60)
        assert child.exitcode == 0
    assert client.get_run(run_id).data.params == {f"child{i}": str(i) for i in range(3)}


def _log_from_child(db, run_id, i):
    # The parent's cached store is inherited through fork; it must reconnect, not share.
    mlflow.MlflowClient(f"sqlite:///{db}").log_param(run_id, f"child{i}", i)


def test_logging_into_a_deleted_file_fails_within_a_quarter_second(tmp_path):
    # Per-value calls check that the file still exists at most every 0.25 s (a stat per
    # call would be a tenth of a log_metric); then they see the fresh, empty store.
    client = _open(tmp_path / "gone.db")
    run_id = client.create_run("0").info.run_id
    client.log_metric(run_id, "m", 1.0)
    for name in ("gone.db", "gone.db-wal", "gone.db-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    time.sleep(0.3)
    with pytest.raises(mlflow.MlflowException, match=f"Run with id={run_id} not found"):
        client.log_metric(run_id, "m", 2.0)
    assert (tmp_path / "gone.db").is_file()


def test_deleting_the_database_file_starts_a_fresh_one(tmp_path, tracking_uri):
    mlflow.set_experiment("before")
    with mlflow.start_run():
        mlflow.log_metric("m", 1.0)
    for name in ("mlflow.db", "mlflow.db-wal", "mlflow.db-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    mlflow.set_experiment("after")
    with mlflow.start_run() as run:
        mlflow.log_metric("m", 2.0)
    assert (tmp_path / "mlflow.db").is_file()
    assert mlflow.get_experiment_by_name("before") is None
    assert mlflow.get_run(run.info.run_id).data.metrics == {"m": 2.0}


def test_a_client_held_across_the_deletion_writes_to_the_new_file(tmp_path, client):
    client.create_experiment("old")
    for name in ("mlflow.db", "mlflow.db-wal", "mlflow.db-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    client.create_experiment("new")
    with sqlite3.connect(tmp_path / "mlflow.db") as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM experiments")}
    assert names == {"Default", "new"}
