"""A real ``minitrack server`` process per test module, on a free port of 127.0.0.1."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

import pytest
import requests

from tests.servers import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SRC = os.path.join(ROOT, "src")
MAIN = "from minitrack.cli import main; main()"


def read(path: str, mode: str = "r"):
    with open(path, mode) as fh:
        return fh.read()


def env() -> dict:
    out = dict(os.environ)
    out["PYTHONPATH"] = SRC + os.pathsep + out.get("PYTHONPATH", "")
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD",
                 "MLFLOW_TRACKING_TOKEN"):  # fmt: skip
        out.pop(name, None)
    return out


@dataclass
class Server:
    folder: str
    port: int
    proc: subprocess.Popen
    args: list = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def db(self) -> str:
        return os.path.join(self.folder, "mlflow.db")

    @property
    def store_uri(self) -> str:
        return f"sqlite:///{self.db}"

    def api(self, path: str) -> str:
        return f"{self.url}/api/2.0/mlflow/{path}"

    def stop(self, sig=signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_server(folder: str, *args: str, port: int | None = None,
                 extra_env: dict | None = None) -> Server:  # fmt: skip
    port = port or free_port()
    log_path = os.path.join(folder, f"server-{port}.log")
    log = open(log_path, "ab")  # noqa: SIM115 - the server process writes it while it runs
    cmd = [sys.executable, "-c", MAIN, "server", "--port", str(port),
           "--backend-store-uri", "sqlite:///mlflow.db", *args]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=folder, env={**env(), **(extra_env or {})}, stdout=log,
                            stderr=subprocess.STDOUT)  # fmt: skip
    server = Server(folder, port, proc, list(args))
    return wait_healthy(server, log_path, 60)


def wait_healthy(server: Server, log_path: str, within_s: float) -> Server:
    proc = server.proc
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(read(log_path))
        try:
            if requests.get(f"{server.url}/health", timeout=1).ok:
                return server
        except requests.RequestException:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"the server on port {server.port} did not start within {within_s:.0f} s")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("server"))
    s = start_server(folder)
    yield s
    s.stop()


def post(server: Server, path: str, body: dict, **kw) -> requests.Response:
    return requests.post(server.api(path), json=body, timeout=30, **kw)


def get(server: Server, path: str, params: dict | None = None, **kw) -> requests.Response:
    return requests.get(server.api(path), params=params, timeout=30, **kw)
