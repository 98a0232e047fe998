"""Which artifact repository holds a run's artifacts, and where its boundary lies.

A run's ``artifact_uri`` is a local folder, or, on a tracking server that serves
artifacts, ``mlflow-artifacts:/<exp>/<run>/artifacts``: a path under the server's
``--artifacts-destination``, which only the server process knows (``destination``).
"""

from __future__ import annotations

import os

from minitrack.artifacts.local import LocalArtifactRepository
from minitrack.artifacts.paths import read_path, resolve_inside
from minitrack.entities import Run
from minitrack.exceptions import MinitrackException
from minitrack.store.base import AbstractStore
from minitrack.uris import is_local_uri, is_proxy_uri, proxy_path


def _boundary(run: Run, experiment_location: str) -> str | None:
    """The experiment's artifact location, when the run's artifacts lie under it."""
    base = experiment_location.rstrip("/")
    if run.info.artifact_uri.startswith(base + "/"):
        return experiment_location
    return None


def proxied_folder(destination: str, uri: str) -> str:
    """The local folder of an ``mlflow-artifacts:`` URI under ``destination``, checked inside."""
    rel = read_path(proxy_path(uri), "artifact location")
    return resolve_inside(os.path.abspath(destination), rel)


def repository_for(
    run: Run, experiment_location: str, destination: str | None = None
) -> LocalArtifactRepository:
    uri = run.info.artifact_uri or ""
    if is_proxy_uri(uri) and destination is not None:
        root = proxied_folder(destination, uri)
        boundary = os.path.abspath(destination)
        if is_proxy_uri(experiment_location) and _boundary(run, experiment_location):
            boundary = proxied_folder(destination, experiment_location)
        return LocalArtifactRepository(root, boundary)
    if not is_local_uri(uri):
        raise MinitrackException(
            f"Run {run.info.run_id} keeps its artifacts at {uri!r}, which minitrack cannot "
            "reach from here: it reads local folders"
            + (
                " (an mlflow-artifacts: URI lives on the tracking server: use the server's "
                "http:// address as the tracking URI)."
                if is_proxy_uri(uri)
                else "."
            )
        )
    return LocalArtifactRepository(uri, _boundary(run, experiment_location))


def run_repository(
    store: AbstractStore, run_id: str, destination: str | None = None
) -> LocalArtifactRepository:
    """The artifacts of run ``run_id`` (a validated id) in ``store``; ``destination`` is a
    tracking server's artifact folder, for ``mlflow-artifacts:`` URIs."""
    run = store.get_run(run_id)
    experiment = store.get_experiment(run.info.experiment_id)
    return repository_for(run, experiment.artifact_location, destination)
