"""Many real ``mlflow`` client processes through one ``minitrack server``, and a server
killed with SIGKILL mid-sweep.

The clients are ``mlflow_sweep.py`` processes; what they logged is read back through
minitrack's local MlflowClient on the server's SQLite file and from the artifact
destination: exact counts, every metric history, every artifact's bytes.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
import requests

from minitrack.client import MlflowClient
from tests.server.conftest import env, get, post, start_server
from tests.server.mlflow_sweep import ARTIFACT, STEPS, expected

pytest.importorskip("mlflow")
SWEEP = os.path.join(os.path.dirname(__file__), "mlflow_sweep.py")
OPS = ["run", "params", "metrics", "tag", "artifact", "end"]


def start_clients(server, work: str, workers: int, runs: int, **extra_env) -> tuple:
    exp = post(server, "experiments/create", {"name": f"sweep-{time.time_ns()}"}).json()
    procs = []
    for w in range(workers):
        # Each in its own folder: MLflow's client falls back to ./mlflow.db.
        folder = os.path.join(work, f"client-{w}")
        os.makedirs(folder, exist_ok=True)
        journal = os.path.join(folder, "journal.jsonl")
        proc = subprocess.Popen(
            [sys.executable, SWEEP, server.url, exp["experiment_id"], str(w), str(runs), journal],
            cwd=folder, env={**env(), **extra_env},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        procs.append((proc, journal))
    return exp["experiment_id"], procs


def journal(path: str) -> list[dict]:
    if not os.path.exists(path):
        return []
    with open(path) as fh:
        return [json.loads(line) for line in fh if line.endswith("\n")]


def acknowledged(procs) -> int:
    return sum(sum(1 for r in journal(j) if r["op"] != "failed") for _, j in procs)


def artifact_folder(server, run) -> str:
    rel = run.info.artifact_uri.split(":", 1)[1].strip("/")
    return os.path.join(server.folder, "mlartifacts", rel)


def check_recorded(server, records: list[dict]) -> int:
    """Every call a journal recorded as acknowledged is in the store; returns how many."""
    local = MlflowClient(server.store_uri)
    runs: dict[str, tuple] = {}
    checked = 0
    for rec in records:
        if rec["op"] == "failed":
            continue
        if rec["op"] == "run":
            runs[rec["run_id"]] = (rec["worker"], rec["index"])
        want = expected(*runs[rec["run_id"]])
        run = local.get_run(rec["run_id"])
        if rec["op"] == "run":
            assert run.info.run_name == want["name"]
        elif rec["op"] == "params":
            assert run.data.params == want["params"]
        elif rec["op"] == "metrics":
            history = local.get_metric_history(rec["run_id"], "loss")
            assert sorted((m.step, m.value) for m in history) == list(enumerate(want["loss"]))
            assert run.data.metrics["loss"] == want["loss"][-1]
        elif rec["op"] == "tag":
            assert run.data.tags["worker"] == want["tag"]
        elif rec["op"] == "artifact":
            with open(os.path.join(artifact_folder(server, run), ARTIFACT), "rb") as fh:
                assert fh.read() == want["text"].encode()
        elif rec["op"] == "end":
            assert run.info.status == "FINISHED" and run.info.end_time >= run.info.start_time
        checked += 1
    return checked


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """8 client processes x 50 runs through one server."""
    folder = str(tmp_path_factory.mktemp("sweep"))
    server = start_server(folder)
    try:
        exp_id, procs = start_clients(server, str(tmp_path_factory.mktemp("clients")), 8, 50)
        for proc, _ in procs:
            _, err = proc.communicate(timeout=600)
            assert proc.returncode == 0, err[-3000:]
        yield server, exp_id, [journal(j) for _, j in procs]
    finally:
        server.stop()


@pytest.mark.slow
def test_every_client_saw_every_call_acknowledged(swept):
    _, _, journals = swept
    for records in journals:
        assert [r["op"] for r in records] == OPS * 50


@pytest.mark.slow
def test_every_row_of_the_sweep_is_in_the_store(swept):
    server, exp_id, journals = swept
    local = MlflowClient(server.store_uri)
    runs = local.search_runs([exp_id], max_results=1000)
    assert len(runs) == 8 * 50
    assert sorted(r.info.run_name for r in runs) == sorted(
        expected(w, i)["name"] for w in range(8) for i in range(50)
    )
    for run in runs:
        worker, index = (int(x[1:]) for x in run.info.run_name.split("-"))
        want = expected(worker, index)
        assert run.data.params == want["params"]
        assert run.data.tags["worker"] == want["tag"]
        assert run.info.status == "FINISHED"
        history = local.get_metric_history(run.info.run_id, "loss")
        assert [(m.step, m.value) for m in sorted(history, key=lambda m: m.step)] == list(
            enumerate(want["loss"])
        )
        assert len(history) == STEPS
    assert check_recorded(server, [r for records in journals for r in records]) == 8 * 50 * 6


@pytest.mark.slow
def test_every_artifact_of_the_sweep_has_its_bytes(swept):
    server, exp_id, _ = swept
    local = MlflowClient(server.store_uri)
    for run in local.search_runs([exp_id], max_results=1000):
        worker, index = (int(x[1:]) for x in run.info.run_name.split("-"))
        folder = artifact_folder(server, run)
        assert sorted(os.listdir(folder)) == ["notes"]
        assert os.listdir(os.path.join(folder, "notes")) == ["run.txt"]
        with open(os.path.join(folder, ARTIFACT), "rb") as fh:
            assert fh.read() == expected(worker, index)["text"].encode()
        # The proxy lists it too, as the mlflow client would see it.
        r = requests.get(f"{server.url}/api/2.0/mlflow-artifacts/artifacts",
                         params={"path": f"{run.info.artifact_uri.split(':/', 1)[1]}/notes"},
                         timeout=30)  # fmt: skip
        assert [f["path"] for f in r.json()["files"]] == ["run.txt"]


@pytest.mark.slow
def test_a_server_killed_mid_sweep_loses_no_acknowledged_call(tmp_path):
    folder = str(tmp_path / "server")
    os.makedirs(folder)
    server = start_server(folder)
    procs = []
    try:
        # No retries: once the server is gone each client records the failure and stops.
        exp_id, procs = start_clients(server, str(tmp_path), 4, 50,
                                      MLFLOW_HTTP_REQUEST_MAX_RETRIES="0",
                                      MLFLOW_HTTP_REQUEST_TIMEOUT="20")  # fmt: skip
        deadline = time.monotonic() + 180
        while acknowledged(procs) < 150:
            assert time.monotonic() < deadline, "the clients logged too little to kill mid-way"
            assert all(p.poll() is None for p, _ in procs), procs[0][0].communicate()
            time.sleep(0.05)
        server.stop(signal.SIGKILL)
        for proc, _ in procs:
            proc.communicate(timeout=180)
    finally:
        for proc, _ in procs:
            if proc.poll() is None:
                proc.kill()
        server.stop()
    journals = [journal(j) for _, j in procs]
    # Killed mid-sweep: every client saw a call fail, none had finished its 50 runs.
    assert all(records[-1]["op"] == "failed" for records in journals)
    records = [r for rs in journals for r in rs]
    assert acknowledged(procs) < 4 * 50 * 6

    conn = sqlite3.connect(server.db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        conn.close()
    assert check_recorded(server, records) == acknowledged(procs)
    # No artifact is torn: each file the proxy put in place is whole (uploads are renamed
    # into place), whether or not its client heard back.
    local = MlflowClient(server.store_uri)
    runs = local.search_runs([exp_id], max_results=1000)
    for run in runs:
        path = os.path.join(artifact_folder(server, run), ARTIFACT)
        if os.path.exists(path):
            worker, index = (int(x[1:]) for x in run.info.run_name.split("-"))
            with open(path, "rb") as fh:
                assert fh.read() == expected(worker, index)["text"].encode()

    # A fresh server on the same file answers for what was acknowledged.
    again = start_server(folder)
    try:
        ended = [r["run_id"] for r in records if r["op"] == "end"]
        r = get(again, "runs/get", {"run_id": ended[-1]})
        assert r.json()["run"]["info"]["status"] == "FINISHED"
        found = post(again, "runs/search", {"experiment_ids": [exp_id], "max_results": 1000})
        assert len(found.json()["runs"]) == len(runs)
        r = post(again, "runs/create", {"experiment_id": exp_id})
        assert r.status_code == 200, r.text
    finally:
        again.stop()
