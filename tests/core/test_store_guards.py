"""What the store does with files it must not use as they are, and with a lock held by
another process: say so clearly, change nothing, and never hang.

Real files and a real second process holding SQLite's write lock.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys

import pytest

import minitrack
from minitrack import MlflowClient

HOLD_LOCK = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""

LOG_ONE_METRIC = """
import sys, minitrack
client = minitrack.MlflowClient(sys.argv[1])
client.log_metric(sys.argv[2], "rmse", 1.0)
print("logged", flush=True)
"""


def _holding_lock(db, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(db), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    return holder


@pytest.fixture
def run_in_store(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(uri)
    run = client.create_run("0")
    return uri, tmp_path / "mlflow.db", run.info.run_id


def test_a_locked_store_says_so_then_fails_with_the_file_and_the_fix(run_in_store):
    uri, db, run_id = run_in_store
    holder = _holding_lock(db, 60)
    try:
        done = subprocess.run(
            [sys.executable, "-c", LOG_ONE_METRIC, uri, run_id],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "MINITRACK_LOCK_TIMEOUT": "4"},
        )
        gave_up_while_held = holder.poll() is None
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode != 0
    # The notice came on stderr while waiting, naming the file.
    assert f"{db} is locked by another process" in done.stderr
    # Then the error: our exception type, the file, what to do; after the bounded wait.
    assert "MinitrackException" in done.stderr
    assert "stayed locked by another process for 4 s" in done.stderr
    assert "nothing was written" in done.stderr
    assert gave_up_while_held  # it gave up long before the holder let go
    assert MlflowClient(uri).get_run(run_id).data.metrics == {}


def test_ctrl_c_stops_a_wait_for_the_lock_while_the_lock_is_still_held(run_in_store):
    # SQLite's own busy wait would hold off Ctrl+C until its timeout; minitrack's wait
    # checks for it between short tries, so it stops while the other process still holds
    # the lock, long before its 60 s wait or the holder's 60 s run out.
    uri, db, run_id = run_in_store
    holder = _holding_lock(db, 60)
    try:
        waiter = subprocess.Popen(
            [sys.executable, "-c", LOG_ONE_METRIC, uri, run_id],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "MINITRACK_LOCK_TIMEOUT": "60"},
        )
        # Wait until it is waiting for the lock (it says so), then interrupt it.
        line = waiter.stderr.readline()
        assert "is locked by another process" in line
        waiter.send_signal(signal.SIGINT)
        waiter.wait(timeout=30)
        still_held = holder.poll() is None
    finally:
        holder.kill()
        holder.wait()
    assert "KeyboardInterrupt" in waiter.stderr.read()
    assert still_held
    assert MlflowClient(uri).get_run(run_id).data.metrics == {}


def test_a_writer_that_finishes_in_time_is_simply_waited_for(run_in_store):
    uri, db, run_id = run_in_store
    holder = _holding_lock(db, 1)
    try:
        MlflowClient(uri).log_metric(run_id, "rmse", 2.0)
    finally:
        holder.wait()
    assert MlflowClient(uri).get_run(run_id).data.metrics == {"rmse": 2.0}


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_refusing_an_mlflow_database_leaves_it_byte_for_byte(tmp_path):
    db = tmp_path / "mlflow.db"
    with sqlite3.connect(db) as conn:  # what MLflow's alembic leaves, in rollback mode
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        conn.execute("INSERT INTO alembic_version VALUES ('1b5f0d9ad7c1')")
        conn.execute("CREATE TABLE experiments (experiment_id INTEGER, name TEXT)")
    before = _digest(db)
    with pytest.raises(minitrack.MinitrackException, match="is an MLflow database"):
        MlflowClient(f"sqlite:///{db}").search_experiments()
    assert _digest(db) == before
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mlflow.db"]


def test_a_database_of_another_program_is_refused_unchanged(tmp_path):
    db = tmp_path / "notes.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    before = _digest(db)
    with pytest.raises(minitrack.MinitrackException, match="another program"):
        MlflowClient(f"sqlite:///{db}")
    assert _digest(db) == before


def test_a_percent_encoded_uri_names_the_decoded_file_as_in_mlflow(tmp_path):
    MlflowClient(f"sqlite:///{tmp_path}/a%20b.db").create_experiment("spaced")
    assert (tmp_path / "a b.db").is_file()
    assert not (tmp_path / "a%20b.db").exists()


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_a_read_only_folder_is_named_as_read_only(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    try:
        if os.geteuid() == 0:  # root ignores permission bits; the immutable flag binds it
            if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
                pytest.skip("chattr +i is not available here")
        else:
            folder.chmod(0o555)
        with pytest.raises(minitrack.MinitrackException, match="read-only") as err:
            MlflowClient(f"sqlite:///{folder / 'mlflow.db'}")
        assert "not a minitrack tracking database" not in str(err.value)
        assert str(folder) in str(err.value)
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(folder)], capture_output=True)
        folder.chmod(0o755)


def test_a_device_is_not_called_a_folder(tmp_path):
    with pytest.raises(minitrack.MinitrackException) as err:
        MlflowClient("sqlite:////dev/null/mlflow.db")
    assert "/dev/null is not a folder" in str(err.value)
    with pytest.raises(minitrack.MinitrackException, match="not a regular file"):
        MlflowClient("sqlite:////dev/null")


@pytest.mark.mlflow
def test_a_minitrack_store_that_mlflow_tried_to_open_keeps_its_runs(tmp_path):
    # `mlflow ui` in the course folder opens minitrack's mlflow.db (MLflow's default name):
    # its migration adds alembic_version, then fails. The store must still open as ours.
    mlflow = pytest.importorskip("mlflow")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(uri)
    run_id = client.create_run("0").info.run_id
    client.log_metric(run_id, "rmse", 1.5)
    with pytest.raises(Exception, match="duplicate column name"):
        mlflow.MlflowClient(uri).search_experiments()

    again = MlflowClient(uri)
    assert again.get_run(run_id).data.metrics == {"rmse": 1.5}
    again.log_metric(run_id, "rmse", 1.25)
    assert [m.value for m in again.get_metric_history(run_id, "rmse")] == [1.5, 1.25]
