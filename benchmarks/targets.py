"""The tracking servers bench_copy.py and bench_load.py run against, started fresh.

    minitrack            `minitrack server` on a SQLite file (one process)
    mlflow-sqlite        `mlflow server --workers 1` on a SQLite file
    mlflow-postgres      `mlflow server --workers 1` on a throwaway PostgreSQL cluster

Every server listens on 127.0.0.1 on a free port and serves artifacts from its own folder
(`--artifacts-destination`, both trackers' proxy). MLflow's server runs one worker, as the
tests start it, with its job runner off. The PostgreSQL cluster (initdb in a temporary
folder, fsync off, trust on 127.0.0.1 only) and MLflow's server come from the scale-out
tests' helpers, imported in one place below.
"""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import bench_server  # noqa: E402
from workloads import sqlite_uri  # noqa: E402

# the test suite's server helpers: the same servers, started the same way, as the tests use
from tests.servers import MlflowServer, PostgresCluster, why_no_postgres  # noqa: E402

# MLflow's telemetry off (no network here), one BLAS thread: as in the other benchmarks.
QUIET_ENV = {
    "OMP_NUM_THREADS": "1",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "GIT_PYTHON_REFRESH": "quiet",
}


@dataclass(frozen=True)
class Target:
    slug: str
    label: str  # as the tables show it
    tracker: str  # "minitrack" or "mlflow": the report's column
    backend: str  # "SQLite" or "PostgreSQL"


TARGETS = {
    t.slug: t
    for t in (
        Target("minitrack", "minitrack server (SQLite)", "minitrack", "SQLite"),
        Target("mlflow-sqlite", "mlflow server (SQLite)", "mlflow", "SQLite"),
        Target("mlflow-postgres", "mlflow server (PostgreSQL)", "mlflow", "PostgreSQL"),
    )
}


def chosen_targets(default: str) -> list[Target]:
    """The targets named in BENCH_TARGETS (comma-separated slugs), else `default`'s; with
    run.py's BENCH_TRACKERS, only the servers of those trackers."""
    names = os.environ.get("BENCH_TARGETS", default).split(",")
    trackers = os.environ.get("BENCH_TRACKERS")
    if trackers and "BENCH_TARGETS" not in os.environ:
        names = [n for n in names if n in TARGETS and TARGETS[n].tracker in trackers.split(",")]
    unknown = [n for n in names if n not in TARGETS]
    if unknown:
        raise SystemExit(f"unknown BENCH_TARGETS {unknown}; choose from {', '.join(TARGETS)}")
    return [TARGETS[n] for n in names]


def why_not(target: Target) -> str | None:
    """Why this target cannot run on this machine, or None."""
    return why_no_postgres() if target.backend == "PostgreSQL" else None


def measure_each(chosen: list[Target], measure, folder: Path, describe=None):
    """``measure(target, folder / slug)`` for each target this machine can run, saying how
    each went: (results by slug, skipped: slug -> why)."""
    results: dict[str, dict] = {}
    skipped: dict[str, str] = {}
    for target in chosen:
        reason = why_not(target)
        if reason:
            skipped[target.slug] = reason
            print(f"  {target.label}: skipped, {reason}", flush=True)
            continue
        try:
            results[target.slug] = measure(target, folder / target.slug)
        except (OSError, RuntimeError) as exc:
            skipped[target.slug] = f"failed: {exc!r}"
            print(f"  {target.label}: FAILED {exc!r}", flush=True)
            traceback.print_exc()
            continue
        if describe:
            print(f"  {target.label}: {describe(results[target.slug])}", flush=True)
    return results, skipped


@dataclass
class Running:
    """A started server: its URL, and the processes whose CPU time is the server's."""

    url: str
    start_seconds: float
    pids: list[int]

    def _processes(self):
        """The server's processes and their children, as they are now."""
        import psutil

        for pid in self.pids:
            with contextlib.suppress(psutil.NoSuchProcess):
                root = psutil.Process(pid)
                yield from [root, *root.children(recursive=True)]

    def cpu_seconds(self) -> float:
        """User + system CPU seconds of the server's processes and their children so far
        (for PostgreSQL, the cluster's too)."""
        import psutil

        total = 0.0
        for proc in self._processes():
            with contextlib.suppress(psutil.NoSuchProcess):
                times = proc.cpu_times()
                total += times.user + times.system + times.children_user
                total += times.children_system
        return total

    def rss_mb(self) -> float:
        import psutil

        total = 0
        for proc in self._processes():
            with contextlib.suppress(psutil.NoSuchProcess):
                total += proc.memory_info().rss
        return total / 2**20


def _postmaster_pid(cluster: PostgresCluster) -> int:
    return int((cluster.data / "postmaster.pid").read_text().split()[0])


@contextlib.contextmanager
def serve(target: Target, folder: Path) -> Iterator[Running]:
    """Start `target` on a new, empty store in `folder`; stop it (and its cluster) after."""
    os.environ.update(QUIET_ENV)  # MlflowServer passes os.environ on
    folder.mkdir(parents=True, exist_ok=True)
    if target.tracker == "minitrack":
        server = bench_server.TrackingServer("minitrack", folder)
        try:
            started = server.wait_for_health()
            yield Running(f"http://127.0.0.1:{server.port}", started, [server.proc.pid])
        finally:
            server.stop()
            server.log.close()
        return
    cluster = PostgresCluster() if target.backend == "PostgreSQL" else None
    try:
        backend = (
            cluster.create_database("mlflow") if cluster else sqlite_uri(folder / "backend.db")
        )
        mlflow_server = MlflowServer(folder, backend)
        try:
            pids = [mlflow_server.proc.pid] + ([_postmaster_pid(cluster)] if cluster else [])
            yield Running(mlflow_server.url, mlflow_server.start_seconds, pids)
        finally:
            mlflow_server.stop()
    finally:
        if cluster:
            cluster.stop()
