"""A store locked by another process: a write answers 503 with Retry-After in MLflow's
error shape, and the real ``mlflow`` client's retry succeeds once the lock is released."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import requests

from minitrack.client import MlflowClient
from tests.server.conftest import env, post, read, start_server

pytest.importorskip("mlflow")

# Holds the store's write lock (as another notebook's long write would) until told to stop.
LOCKER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
"""
CLIENT = """
import sys
from mlflow import MlflowClient
MlflowClient(sys.argv[1]).log_param(sys.argv[2], "retried", "yes")
print("logged", flush=True)
"""
NOTICE = "is locked by another process"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = start_server(str(tmp_path_factory.mktemp("locked")),
                     extra_env={"MINITRACK_LOCK_TIMEOUT": "2"})  # fmt: skip
    yield s
    s.stop()


@pytest.fixture
def run_id(server):
    exp = post(server, "experiments/create", {"name": f"locked-{time.time_ns()}"}).json()
    run = post(server, "runs/create", {"experiment_id": exp["experiment_id"]}).json()
    run_id = run["run"]["info"]["run_id"]
    assert post(server, "runs/log-parameter", {"run_id": run_id, "key": "a", "value": "1"}).ok
    return run_id


class Lock:
    def __init__(self, db: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", LOCKER, db], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)  # fmt: skip
        assert self.proc.stdout.readline().strip() == "locked"

    def release(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.write("\n")
            self.proc.stdin.flush()
            self.proc.wait(20)


def _notices(server) -> int:
    return read(os.path.join(server.folder, f"server-{server.port}.log")).count(NOTICE)


def test_a_write_to_a_locked_store_answers_503_with_retry_after(server, run_id):
    lock = Lock(server.db)
    try:
        r = post(server, "runs/log-parameter", {"run_id": run_id, "key": "b", "value": "2"})
    finally:
        lock.release()
    assert r.status_code == 503
    assert int(r.headers["Retry-After"]) > 0
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error_code", "message"}
    assert body["error_code"] == "TEMPORARILY_UNAVAILABLE"
    assert (
        "locked by another process" in body["message"] and "nothing was written" in body["message"]
    )
    # Nothing was written, and the store takes the same write once the lock is gone.
    assert MlflowClient(server.store_uri).get_run(run_id).data.params == {"a": "1"}
    assert post(server, "runs/log-parameter", {"run_id": run_id, "key": "b", "value": "2"}).ok


@pytest.mark.slow
def test_the_mlflow_clients_retry_succeeds_once_the_lock_is_released(server, run_id, tmp_path):
    before = _notices(server)
    lock = Lock(server.db)
    client = subprocess.Popen(
        [sys.executable, "-c", CLIENT, server.url, run_id],
        env={**env(), "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "10"},
        cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        # A second waiting notice for the client's call means its first try got the 503
        # (nothing else ends a wait while the lock is held) and it tried again.
        deadline = time.monotonic() + 90
        while _notices(server) < before + 2 and client.poll() is None:
            assert time.monotonic() < deadline, "the client's call never waited on the lock"
            time.sleep(0.2)
        assert client.poll() is None, client.communicate()
    finally:
        lock.release()
    out, err = client.communicate(timeout=120)
    assert client.returncode == 0, err[-3000:]
    assert out.strip() == "logged"
    assert MlflowClient(server.store_uri).get_run(run_id).data.params == {
        "a": "1",
        "retried": "yes",
    }
    assert requests.get(f"{server.url}/health", timeout=10).ok
