"""minitrack as a client of ``minitrack server``: the same student flow as against a
real ``mlflow server``, read back by real MLflow through the server and by minitrack
from the server's own file; and a store locked by another process is waited out.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import mlflow
import numpy as np
import pytest
from mlflow.tracking import MlflowClient as RealClient

import minitrack
from minitrack import MlflowClient
from tests.server.conftest import start_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def mt_server(tmp_path_factory):
    # A short lock wait, so a locked store turns into 503 quickly (and is retried).
    old = os.environ.get("MINITRACK_LOCK_TIMEOUT")
    os.environ["MINITRACK_LOCK_TIMEOUT"] = "0.5"
    try:
        server = start_server(str(tmp_path_factory.mktemp("mt-server")))
    finally:
        if old is None:
            del os.environ["MINITRACK_LOCK_TIMEOUT"]
        else:
            os.environ["MINITRACK_LOCK_TIMEOUT"] = old
    yield server
    server.stop()


@pytest.fixture
def data():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(50, 3))
    return X, X @ np.array([1.0, 2.0, -1.0]) + 4


def test_the_student_flow_on_minitrack_server_reads_the_same_everywhere(mt_server, data, tmp_path):
    from sklearn.linear_model import LinearRegression

    X, y = data
    name, model_name = f"exp-{uuid.uuid4().hex[:8]}", f"m-{uuid.uuid4().hex[:8]}"
    minitrack.set_tracking_uri(mt_server.url)
    experiment = minitrack.set_experiment(name)
    model = LinearRegression().fit(X, y)
    with minitrack.start_run(run_name="on-minitrack-server") as run:
        minitrack.log_params({"alpha": 0.1, "features": 3})
        for step, value in enumerate([2.0, 1.0, 0.5]):
            minitrack.log_metric("rmse", value, step=step)
        minitrack.set_tag("team", "taxi")
        minitrack.log_text("notes", "docs/notes.txt")
        info = minitrack.sklearn.log_model(model, name="model")
    version = minitrack.register_model(info.model_uri, model_name)
    MlflowClient().set_registered_model_alias(model_name, "champion", version.version)
    run_id = run.info.run_id
    frame = minitrack.search_runs([experiment.experiment_id], "metrics.rmse < 1")
    assert list(frame["run_id"]) == [run_id]
    expected = model.predict(X[:3])
    np.testing.assert_allclose(
        minitrack.pyfunc.load_model(f"models:/{model_name}@champion").predict(X[:3]), expected
    )

    # Real MLflow, through the same server.
    mlflow.set_tracking_uri(mt_server.url)
    try:
        real = RealClient(mt_server.url)
        theirs = real.get_run(run_id)
        assert theirs.data.params == {"alpha": "0.1", "features": "3"}
        assert theirs.data.metrics == {"rmse": 0.5}
        assert theirs.info.run_name == "on-minitrack-server"
        assert [m.value for m in real.get_metric_history(run_id, "rmse")] == [2.0, 1.0, 0.5]
        assert {f.path for f in real.list_artifacts(run_id)} >= {"docs", "model"}
        assert real.get_model_version_by_alias(model_name, "champion").version == "1"
        np.testing.assert_allclose(
            mlflow.pyfunc.load_model(f"models:/{model_name}@champion").predict(X[:3]), expected
        )
    finally:
        mlflow.set_tracking_uri(None)

    # The CLI lists it through the server too.
    listed = subprocess.run(
        [sys.executable, "-c", "from minitrack.cli import main; main()",
         "runs", "--tracking-uri", mt_server.url, "--experiment", name, "--json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    assert run_id in listed.stdout

    # minitrack, reading the server's file directly.
    local = MlflowClient(mt_server.store_uri)
    assert local.get_run(run_id).data.params == theirs.data.params
    assert local.get_model_version_by_alias(model_name, "champion").version == 1


def test_a_locked_store_is_retried_until_it_is_free(mt_server):
    minitrack.set_tracking_uri(mt_server.url)
    client = MlflowClient()
    exp_id = client.create_experiment(f"exp-{uuid.uuid4().hex[:8]}")
    run_id = client.create_run(exp_id).info.run_id
    # Another process holds the write lock for 3 s; the server waits 0.5 s, answers 503
    # with Retry-After, and the client tries again until the lock is gone.
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sqlite3, sys, time\n"
         "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
         "c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True)\n"
         "time.sleep(3); c.execute('COMMIT')\n",
         mt_server.db],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        client.log_param(run_id, "lr", "0.01")
        waited = time.monotonic() - started
    finally:
        holder.wait(timeout=30)
    assert client.get_run(run_id).data.params == {"lr": "0.01"}
    assert waited >= 1.5  # it was refused at least once and waited for Retry-After
