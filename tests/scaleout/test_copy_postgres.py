"""minitrack copy into a real MLflow server on PostgreSQL, and back into a new SQLite file.

A store of 200 runs (30-step histories, artifacts, logged models, a registered model with
a gap, an alias and a stage) goes into ``mlflow server`` through minitrack's own client
of the server, and is then read through REAL MLflow's client: every count, metric
history, artifact hash, and the prediction of ``models:/name@alias`` must be the
source's. Copied back into a new SQLite file, the content is the source's again.
Ids, registry timestamps and renumbered versions are what may differ (``content`` leaves
them out). The server is the session's (tests/conftest.py), which the lessons may have
logged to before: only the copied experiments and models are compared, and the copy back
takes the lessons' runs along too, as a team server's would.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

import minitrack
from minitrack.copy import copy_store

from .conftest import content, fill_store

pytestmark = [pytest.mark.slow, pytest.mark.mlflow]

# minitrack's client of a tracking server (RestStore) is what copies into the server.
pytest.importorskip("minitrack.store.rest", reason="needs minitrack's RestStore (http URIs)")

X = np.array([[1.0], [2.0], [3.0]])
RUNS = 200


def _timed_copy(source, target, label: str):
    started = time.perf_counter()
    report = copy_store(source, target)
    seconds = time.perf_counter() - started
    runs = len(report.created) + len(report.updated)
    print(
        f"\n{label}: {runs} runs in {seconds:.1f} s = {runs / seconds:.1f} runs/s, "
        f"{report.bytes_copied / 1e6:.2f} MB at {report.bytes_copied / seconds / 1e6:.2f} MB/s"
    )
    return report


@pytest.fixture(scope="module")
def pushed(mlflow_on_postgres, tmp_path_factory):
    """(source client, the server's URL, the first copy's report, the source's content)."""
    folder = tmp_path_factory.mktemp("source")
    here = os.getcwd()
    os.chdir(folder)
    try:
        uri = f"sqlite:///{folder / 'source.db'}"
        fill_store(uri, runs=RUNS, experiments=2)
        source = minitrack.MlflowClient(uri)
        target = minitrack.MlflowClient(mlflow_on_postgres.url)
        report = _timed_copy(source, target, "sqlite -> mlflow server on PostgreSQL")
        yield source, mlflow_on_postgres.url, report, content(source)
    finally:
        os.chdir(here)


def test_real_mlflow_reads_back_what_was_copied(pushed):
    import mlflow

    source, url, report, expected = pushed
    assert report.failed == {}
    assert len(report.created) == RUNS + 3  # and the three model runs
    # MLflow's client lists a run's model folder through a client of the global tracking
    # URI, whatever URI it was made with: point that at the server too.
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(url)
    try:
        theirs = mlflow.MlflowClient(url)
        assert content(theirs, like=expected) == expected
        got = mlflow.pyfunc.load_model("models:/taxi-regressor@champion").predict(X)
        staged = mlflow.pyfunc.load_model("models:/taxi-regressor/Staging").predict(X)
    finally:
        mlflow.set_tracking_uri(previous)
    assert np.allclose(got, [3.0, 6.0, 9.0]) and np.allclose(staged, [1.0, 2.0, 3.0])
    assert theirs.get_model_version_by_alias("taxi-regressor", "champion").version == "2"


def test_a_second_copy_into_the_server_adds_zero_runs(pushed):
    source, url, first, _ = pushed
    target = minitrack.MlflowClient(url)

    second = copy_store(source, target)

    assert second.created == [] and second.failed == {}
    assert second.versions_created == 0 and second.bytes_copied == 0
    assert second.runs == first.runs


def test_copied_back_into_sqlite_it_is_the_same(pushed, tmp_path):
    _, url, _, expected = pushed
    back = minitrack.MlflowClient(f"sqlite:///{tmp_path / 'back.db'}")

    report = _timed_copy(minitrack.MlflowClient(url), back, "mlflow server -> sqlite")

    assert report.failed == {}
    assert content(back, like=expected) == expected
    minitrack.set_tracking_uri(back.tracking_uri)
    got = minitrack.pyfunc.load_model("models:/taxi-regressor@champion").predict(X)
    assert np.allclose(got, [3.0, 6.0, 9.0])
