"""Fixtures for the UI tests: a store filled through minitrack, and a real server on it.

The store is filled once per session in a subprocess (tests/ui/fill_store.py),
then `minitrack ui` runs as a real uvicorn subprocess on a free 127.0.0.1 port.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import servers
from tests.servers import free_port

HERE = Path(__file__).parent
SECRET = "TOP-SECRET-do-not-serve-7f3a9c"


@dataclass
class UIStore:
    folder: Path
    tracking_uri: str
    run_ids: dict[str, str]
    secret_file: Path

    def artifact_dir(self, name: str) -> Path:
        found = list(self.folder.glob(f"mlruns/*/{self.run_ids[name]}/artifacts"))
        assert found, f"no artifact folder for run {name}"
        return found[0]


def minitrack_command() -> list[str]:
    """The installed `minitrack` console script of this Python environment."""
    script = Path(sys.executable).parent / ("minitrack.exe" if os.name == "nt" else "minitrack")
    assert script.exists(), f"minitrack is not installed next to {sys.executable}"
    return [str(script)]


def wait_for_health(url: str, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    try:
        servers.wait_for_health(url, proc, timeout, "the server")
    except RuntimeError as exc:
        said = proc.stderr.read() if proc.poll() is not None else ""
        raise RuntimeError(f"{exc}: {said}") from None


class RunningServer:
    """`minitrack ui` on a free port; ``args`` are extra options (``--host``, ...).
    ``connect`` is the address the tests talk to (loopback, whatever ``--host`` says)."""

    def __init__(
        self,
        tracking_uri: str,
        cwd: Path,
        port: int | None = None,
        env: dict | None = None,
        args: tuple[str, ...] = (),
        connect: str = "127.0.0.1",
    ) -> None:
        self.port = port or free_port()
        self.connect = connect
        shown = f"[{connect}]" if ":" in connect else connect
        self.url = f"http://{shown}:{self.port}"
        self.proc = subprocess.Popen(
            [
                *minitrack_command(),
                "ui",
                "--backend-store-uri",
                tracking_uri,
                "--port",
                str(self.port),
                *args,
            ],
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        wait_for_health(self.url, self.proc)

    def stop(self) -> None:
        """Stop the server; what it printed is kept in proc_stdout and proc_stderr."""
        if self.proc.poll() is None:
            self.proc.terminate()
        if self.proc.stdout.closed:  # a test already read them
            self.proc.wait(timeout=10)
            return
        try:
            self.proc_stdout, self.proc_stderr = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc_stdout, self.proc_stderr = self.proc.communicate()


def raw_get(
    server: RunningServer, path: str, host: str | None = None
) -> tuple[int, dict[str, str], str]:
    """GET a request target exactly as written (no client-side clean-up of the URL)."""
    conn = http.client.HTTPConnection(server.connect, server.port, timeout=10)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True, skip_host=host is not None)
        if host is not None:
            conn.putheader("Host", host)
        conn.endheaders()
        resp = conn.getresponse()
        body = resp.read().decode("utf-8", errors="replace")
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
    finally:
        conn.close()


def get_json(server: RunningServer, endpoint: str, **params) -> tuple[int, dict]:
    """GET endpoint with query params (lists repeat the key) and decode the JSON answer."""
    from urllib.parse import urlencode

    query = urlencode(params, doseq=True)
    status, _, body = raw_get(server, f"{endpoint}?{query}" if query else endpoint)
    return status, json.loads(body)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium from the system package, driven by Playwright."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def ui_store(tmp_path_factory) -> UIStore:
    folder = tmp_path_factory.mktemp("ui-store")
    tracking_uri = f"sqlite:///{folder / 'mlflow.db'}"
    filled = subprocess.run(
        [sys.executable, str(HERE / "fill_store.py"), tracking_uri],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert filled.returncode == 0, filled.stderr
    run_ids = json.loads(filled.stdout.strip().splitlines()[-1])
    # A file beside the artifact root that no request may ever read, and a
    # symlink inside a run's artifacts pointing at it.
    secret = folder / "secret.txt"
    secret.write_text(SECRET)
    store = UIStore(folder, tracking_uri, run_ids, secret)
    if hasattr(os, "symlink"):
        os.symlink(secret, store.artifact_dir("best-xgb") / "leak.txt")
        os.symlink(folder, store.artifact_dir("best-xgb") / "leak-dir")
    return store


@pytest.fixture(scope="session")
def ui_server(ui_store) -> RunningServer:
    server = RunningServer(ui_store.tracking_uri, ui_store.folder)
    yield server
    server.stop()
