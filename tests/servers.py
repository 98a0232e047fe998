"""Real servers for the tests and the benchmarks: MLflow's own ``mlflow server`` and a
throwaway PostgreSQL cluster. One copy of each, used by tests/conftest.py's session
fixtures and by benchmarks/.

``mlflow server`` takes 17-60 s to start on a busy 2-core machine, so the tests share one
per backend for the whole session, and every test works in an experiment of its own.
Its job runner is switched off (it would start worker processes nothing here uses), it
runs one worker, and it serves artifacts through its ``mlflow-artifacts:`` proxy (its
default), from a folder of its own.

The cluster: ``initdb`` in a temporary folder, a free port, listening on 127.0.0.1 only,
trust authentication for loopback connections only, run as the ``postgres`` user when the
tests run as root (PostgreSQL refuses to run as root). Debian's binaries are found on
PATH or in /usr/lib/postgresql/<version>/bin. MLflow reaches it through SQLAlchemy 2.x
with psycopg 3, whose URI scheme is ``postgresql+psycopg://`` (a bare ``postgresql://``
would ask SQLAlchemy for psycopg2).
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

SERVER_START_TIMEOUT = 240.0
# What a test process may have set that must not reach a server it starts.
CLIENT_VARIABLES = (
    "MLFLOW_TRACKING_URI",
    "MLFLOW_EXPERIMENT_ID",
    "MLFLOW_EXPERIMENT_NAME",
    "MLFLOW_TRACKING_USERNAME",
    "MLFLOW_TRACKING_PASSWORD",
    "MLFLOW_TRACKING_TOKEN",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_health(url: str, proc: subprocess.Popen, timeout: float, what: str) -> None:
    """Until ``url``/health answers 200; RuntimeError when ``proc`` exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited early")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} gave no answer on {url}/health within {timeout:.0f} s")


class MlflowServer:
    """A real ``mlflow server`` on a free loopback port, in its own process group.

    ``backend_uri`` defaults to a SQLite file in ``folder``."""

    def __init__(self, folder: Path, backend_uri: str | None = None) -> None:
        self.folder = Path(folder)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.backend_uri = backend_uri or f"sqlite:///{self.folder / 'backend.db'}"
        self.artifacts = self.folder / "mlartifacts"
        self.log_path = self.folder / "server.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        command = [
            str(Path(sys.executable).parent / "mlflow"), "server",
            "--backend-store-uri", self.backend_uri,
            "--artifacts-destination", str(self.artifacts),
            "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1",
        ]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if k not in CLIENT_VARIABLES}
        self.proc = subprocess.Popen(
            command,
            cwd=self.folder,
            env={**env, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its uvicorn worker goes with it when it is stopped
        )
        started = time.monotonic()
        try:
            wait_for_health(self.url, self.proc, SERVER_START_TIMEOUT, "mlflow server")
        except RuntimeError as exc:
            self.stop()
            raise RuntimeError(f"{exc}:\n{self.output()}") from None
        self.start_seconds = time.monotonic() - started

    def api(self, path: str) -> str:
        return f"{self.url}/api/2.0/mlflow/{path}"

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def postgres_bin() -> Path | None:
    """The folder with initdb and pg_ctl, or None when PostgreSQL is not installed."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    found = shutil.which("initdb")
    if found:  # through symlinks: createdb and pg_ctl sit beside the real initdb
        candidates.append(os.path.realpath(found))
    for initdb in candidates:
        folder = Path(initdb).parent
        if (folder / "pg_ctl").exists() and (folder / "createdb").exists():
            return folder
    return None


def why_no_postgres() -> str | None:
    """Why the PostgreSQL tests cannot run here, or None when they can."""
    if sys.platform == "win32":
        return "the PostgreSQL tests start a cluster with Debian's binaries (Linux)"
    if postgres_bin() is None:
        return "PostgreSQL is not installed (Debian: apt-get install postgresql)"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg 3 is not installed (the development extra has psycopg[binary])"
    if os.geteuid() == 0:
        import pwd

        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root, and there is no 'postgres' user to run the cluster as"
    return None


class PostgresCluster:
    """``initdb`` + ``pg_ctl start`` in a folder of its own; ``create_database(name)``
    gives the SQLAlchemy URI of a new database."""

    def __init__(self) -> None:
        self.bin = postgres_bin()
        # Its own folder under the system temp folder: pytest's is private to root, and
        # the cluster may run as the postgres user.
        folder = self.folder = Path(tempfile.mkdtemp(prefix="minitrack-postgres-"))
        self.data = folder / "data"
        self.port = free_port()
        self.user = None
        if os.geteuid() == 0:
            self.user = "postgres"
            shutil.chown(folder, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8")
        # Trust, on the loopback address only: no socket in /var/run, no other host.
        (self.data / "pg_hba.conf").write_text(
            "host all all 127.0.0.1/32 trust\n", encoding="utf-8"
        )
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {folder} -c fsync=off"
        self._run(
            "pg_ctl", "start", "-w", "-t", "120", "-D", str(self.data),
            "-l", str(folder / "postgres.log"), "-o", options,
        )  # fmt: skip

    def _run(self, tool: str, *args: str) -> None:
        done = subprocess.run(
            [str(self.bin / tool), *args],
            user=self.user,
            capture_output=True,
            text=True,
            cwd=self.folder,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stdout}{done.stderr}")

    def create_database(self, name: str) -> str:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "fast", "-w")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
