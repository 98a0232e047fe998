"""The real ``mlflow`` client (3.x) runs a student's whole flow against ``minitrack
server``; minitrack's local reader then reads what it wrote from the server's file."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from minitrack.client import MlflowClient
from tests.server.conftest import env

pytest.importorskip("mlflow")
FLOW = os.path.join(os.path.dirname(__file__), "mlflow_flow.py")


def _flow(server, *extra) -> dict:
    # Its own folder: MLflow's client falls back to ./mlflow.db for anything it cannot
    # reach, and must never open the server's file itself.
    work = os.path.join(os.path.dirname(server.folder), "client")
    os.makedirs(work, exist_ok=True)
    done = subprocess.run(
        [sys.executable, FLOW, server.url, *extra],
        env={**env(), "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1"},
        capture_output=True, text=True, timeout=600, cwd=work,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def tracked(server):
    return _flow(server)


def test_the_client_sees_what_it_logged(tracked):
    assert tracked["artifacts"] == ["config", "docs", "notes.txt"]
    assert tracked["docs"] == ["docs/notes.txt"]
    assert tracked["notes"] == "hello from the student"
    assert tracked["history"] == [10.0 / (s + 1) for s in range(20)]
    assert tracked["found"] == [tracked["run_id"]]
    assert tracked["artifact_uri"].startswith("mlflow-artifacts:/")


def test_minitrack_reads_back_what_the_mlflow_client_wrote(server, tracked):
    local = MlflowClient(server.store_uri)
    run = local.get_run(tracked["run_id"])
    assert run.data.params == {"alpha": "0.5", "max_depth": "3", "solver": "lbfgs"}
    assert run.data.metrics == {"rmse": 0.5, "mae": 1.5, "r2": 0.75}
    assert run.data.tags["team"] == "blue" and run.data.tags["mlflow.runName"] == "first"
    assert run.info.status == "FINISHED" and run.info.end_time >= run.info.start_time
    assert len(local.get_metric_history(run.info.run_id, "rmse")) == 20
    exp = local.get_experiment(run.info.experiment_id)
    assert exp.name == "student-flow"
    rel = tracked["artifact_uri"].split(":", 1)[1].strip("/")
    folder = os.path.join(server.folder, "mlartifacts", rel)
    with open(os.path.join(folder, "docs", "notes.txt")) as fh:
        assert fh.read() == "hello from the student"
    with open(os.path.join(folder, "config", "params.json")) as fh:
        assert json.load(fh) == {"k": 1}


def test_models_registry_aliases_and_loading_by_alias(server):
    seen = _flow(server, "--models")
    assert seen["model_id"].startswith("m-")
    assert "fit_intercept" in seen["autolog_params"]
    assert seen["alias_version"] == seen["version"]
    assert seen["prediction"] == pytest.approx(seen["expected"])
    # MLflow's client filters with "tag.`mlflow.prompt.is_prompt` != 'true'": models,
    # which lack that tag, are found all the same, as on MLflow's own server.
    assert seen["models"] == ["taxi-regressor"]
    local = MlflowClient(server.store_uri)
    assert local.get_model_version_by_alias("taxi-regressor", "champion").version == int(
        seen["version"]
    )
