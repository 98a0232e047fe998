"""A tracking server started from a lesson: `minitrack server` or `mlflow server` as a child
process on 127.0.0.1, ready when /health answers, stopped with its whole process group.

Lesson 06 uses it (and prints the command, which is what a student types in a terminal).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

# MLflow's server took 17-39 s to answer on a busy 2-core machine: wait generously.
START_TIMEOUT_S = 180.0


class ServerError(RuntimeError):
    """The server exited or never answered; the message holds the end of its log."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def command(
    tracker: str, backend_store_uri: str, artifact_root: str, port: int, host: str = "127.0.0.1"
) -> list[str]:
    """The command line that starts ``tracker``'s server with this environment's Python."""
    if tracker == "mlflow":
        start = [sys.executable, "-m", "mlflow", "server", "--workers", "1"]
    elif tracker == "minitrack":
        # minitrack has no `python -m minitrack`: its console script sits beside the Python.
        found = shutil.which("minitrack", path=str(Path(sys.executable).parent))
        if found is None:
            raise ServerError(
                f"no `minitrack` command next to {sys.executable}: install the course "
                "environment (it puts minitrack's console script there)."
            )
        start = [found, "server"]
    else:
        raise ValueError(f"tracker must be 'minitrack' or 'mlflow', not {tracker!r}")
    return start + [
        "--backend-store-uri",
        backend_store_uri,
        "--default-artifact-root",
        artifact_root,
        "--host",
        host,
        "--port",
        str(port),
    ]


class Server:
    """A running server: ``url``, ``command`` (what was run), ``log`` (its output file)."""

    def __init__(self, cmd: list[str], port: int, log: Path, cwd: Path) -> None:
        self.command = cmd
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
        # MLflow 3's server also starts a job runner and its worker processes, for features
        # the lesson does not use: without them it starts sooner on a student's laptop.
        env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"
        # Its own process group (session), so stop() ends the workers MLflow spawns too.
        extra = (
            {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
            if os.name == "nt"
            else {"start_new_session": True}
        )
        self._log_file = open(log, "ab")  # noqa: SIM115 (open for the life of the server)
        self.process = subprocess.Popen(
            cmd, cwd=cwd, env=env, stdout=self._log_file, stderr=subprocess.STDOUT, **extra
        )

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/health", timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    def wait(self, timeout: float = START_TIMEOUT_S) -> float:
        """Seconds until /health answered; ServerError if it exits or times out first."""
        started = time.perf_counter()
        while time.perf_counter() - started < timeout:
            if self.process.poll() is not None:
                raise ServerError(
                    f"the server exited with code {self.process.returncode}:\n{self.log_tail()}"
                )
            if self.answers():
                return time.perf_counter() - started
            time.sleep(0.25)
        self.stop()
        raise ServerError(f"the server did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """End the server and its workers; safe to call twice (atexit calls it again)."""
        if self.running:
            try:
                if os.name == "nt":
                    self.process.terminate()
                else:
                    os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=15)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                if os.name != "nt":
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(self.process.pid, signal.SIGKILL)
                self.process.kill()
                self.process.wait()
        self._log_file.close()


def start(
    tracker: str,
    backend_store_uri: str = "sqlite:///backend.db",
    artifact_root: str = "./artifacts",
    port: int | None = None,
    cwd: str | os.PathLike = ".",
    timeout: float = START_TIMEOUT_S,
) -> Server:
    """Start the server in ``cwd`` (where its relative paths point) and wait until it answers."""
    port = port or free_port()
    folder = Path(cwd).resolve()
    server = Server(
        command(tracker, backend_store_uri, artifact_root, port),
        port,
        folder / "server.log",
        folder,
    )
    server.wait(timeout)
    return server
