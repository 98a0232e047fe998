"""What every test leaves behind: the environment it found; minitrack as a new process has it.

Real MLflow exports ``set_tracking_uri`` and ``set_experiment`` as ``MLFLOW_TRACKING_URI`` and
``MLFLOW_EXPERIMENT_ID``; a server or CLI started by a later test inherits them and opens the
wrong store. ``monkeypatch.delenv`` of an unset variable records nothing to restore, so the
variables are put back here, after every test, whoever set them.
"""

from __future__ import annotations

import os
import signal

import pytest

import minitrack
from minitrack import fluent, uris

# Tests press Ctrl+C (SIGINT) on the processes they start, as a student would in a terminal.
# A test run started in the background by a non-interactive shell inherits SIGINT ignored,
# and so would every process it starts (Python then never raises KeyboardInterrupt): give
# this process a handler again, so its children start with SIGINT's default, as in a terminal.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def _environment_restored():
    before = dict(os.environ)
    yield
    if os.environ != before:
        os.environ.clear()
        os.environ.update(before)


# What points minitrack (or MLflow) at a store, a run or a server's account.
TRACKER_VARIABLES = (
    "MLFLOW_TRACKING_URI",
    "MLFLOW_EXPERIMENT_NAME",
    "MLFLOW_EXPERIMENT_ID",
    "MLFLOW_RUN_ID",
    "MLFLOW_TRACKING_USERNAME",
    "MLFLOW_TRACKING_PASSWORD",
    "MLFLOW_TRACKING_TOKEN",
)


@pytest.fixture
def fresh_tracker(tmp_path, monkeypatch):
    """minitrack's process state as a new process has it, working in ``tmp_path``; no run
    is left active afterwards. The test folders make it autouse in their conftest."""
    monkeypatch.chdir(tmp_path)
    for var in TRACKER_VARIABLES:
        monkeypatch.delenv(var, raising=False)
    uris.set_tracking_uri(None)
    fluent._active_experiment = None
    fluent._last_active_run_id = None
    yield
    while minitrack.active_run():
        minitrack.end_run()
    uris.set_tracking_uri(None)
    fluent._active_experiment = None


# --------------------------------------------------------------------------- real servers
# One of each for the whole session: `mlflow server` takes 17-60 s to start here.


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory):
    """A real ``mlflow server`` on a SQLite file; each test uses experiments of its own."""
    pytest.importorskip("mlflow")
    from tests.servers import MlflowServer

    server = MlflowServer(tmp_path_factory.mktemp("mlflow-server"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL cluster (skipped, with the reason, where there is none)."""
    from tests.servers import PostgresCluster, why_no_postgres

    reason = why_no_postgres()
    if reason:
        pytest.skip(reason)
    cluster = PostgresCluster()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def mlflow_on_postgres(postgres, tmp_path_factory):
    """A real ``mlflow server`` on a PostgreSQL database, with its own artifact folder."""
    pytest.importorskip("mlflow")
    from tests.servers import MlflowServer

    server = MlflowServer(
        tmp_path_factory.mktemp("mlflow-on-postgres"), postgres.create_database("mlflow")
    )
    yield server
    server.stop()
