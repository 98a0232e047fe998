"""A real ``mlflow server`` per test module, and a clean process state per test.

The server is MLflow 3.17's own (``mlflow server --backend-store-uri sqlite:///...``,
artifacts served through its ``mlflow-artifacts:`` proxy, its default). It takes 17-39 s
to start on a busy machine, so each test module shares one, and every test works in an
experiment of its own. Its job runner is switched off (it would start seven worker
processes that the tests never use), and it runs one worker.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

import minitrack
from minitrack import fluent, uris

SERVER_START_TIMEOUT = 180.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MlflowServer:
    """``mlflow server`` on a free loopback port, in its own process group."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        mlflow_script = Path(sys.executable).parent / "mlflow"
        self.log = open(folder / "server.log", "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                str(mlflow_script),
                "server",
                "--backend-store-uri",
                f"sqlite:///{folder / 'backend.db'}",
                "--artifacts-destination",
                str(folder / "mlartifacts"),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                "1",
            ],
            cwd=folder,
            env={**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its uvicorn worker goes with it when we stop it
        )
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mlflow server exited early: {self.output()}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"mlflow server gave no answer in {SERVER_START_TIMEOUT}s")

    def output(self) -> str:
        self.log.flush()
        return (self.folder / "server.log").read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory) -> MlflowServer:
    server = MlflowServer(tmp_path_factory.mktemp("mlflow-server"))
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _fresh_process_state(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for var in (
        "MLFLOW_TRACKING_URI",
        "MLFLOW_EXPERIMENT_NAME",
        "MLFLOW_EXPERIMENT_ID",
        "MLFLOW_RUN_ID",
        "MLFLOW_TRACKING_USERNAME",
        "MLFLOW_TRACKING_PASSWORD",
        "MLFLOW_TRACKING_TOKEN",
    ):
        monkeypatch.delenv(var, raising=False)
    uris.set_tracking_uri(None)
    fluent._active_experiment = None
    fluent._last_active_run_id = None
    yield
    while minitrack.active_run():
        minitrack.end_run()
    uris.set_tracking_uri(None)
    fluent._active_experiment = None


@pytest.fixture
def experiment_name() -> str:
    """A name no other test on the shared server uses."""
    return f"exp-{uuid.uuid4().hex[:10]}"
