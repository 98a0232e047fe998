"""Which artifact repository holds a run's artifacts, and where its boundary lies.

A local folder (``LocalArtifactRepository``) or a tracking server's artifact proxy
(``HttpArtifactRepository``, for ``mlflow-artifacts:`` and ``http(s)://`` proxy URIs),
picked by the scheme of the run's artifact URI.
"""

from __future__ import annotations

from minitrack.artifacts.http import HttpArtifactRepository, is_proxy_uri
from minitrack.artifacts.local import LocalArtifactRepository
from minitrack.entities import Run
from minitrack.exceptions import MinitrackException
from minitrack.store.base import AbstractStore
from minitrack.uris import is_local_uri

ArtifactRepository = LocalArtifactRepository | HttpArtifactRepository


def _boundary(run: Run, experiment_location: str) -> str | None:
    """The experiment's artifact location, when the run's artifacts lie under it."""
    base = experiment_location.rstrip("/")
    if run.info.artifact_uri.startswith(base + "/"):
        return experiment_location
    return None


def repository_for(
    run: Run, experiment_location: str, server_url: str | None = None
) -> ArtifactRepository:
    """The repository of a run's artifacts; ``server_url`` resolves ``mlflow-artifacts:``."""
    uri = run.info.artifact_uri or ""
    if is_local_uri(uri):
        return LocalArtifactRepository(uri, _boundary(run, experiment_location))
    if is_proxy_uri(uri):
        return HttpArtifactRepository(uri, server_url)
    raise MinitrackException(
        f"Run {run.info.run_id} keeps its artifacts at {uri!r}, which minitrack cannot "
        "reach from here: it reads local folders and a tracking server's artifact proxy "
        "(mlflow-artifacts:). Start the server with artifact serving on (mlflow server's "
        "default), or use a local artifact root."
    )


def repository_at(location: str, server_url: str | None = None) -> ArtifactRepository:
    """The artifacts at a location that is no run's folder (a logged model's, say)."""
    if is_local_uri(location):
        return LocalArtifactRepository(location)
    if is_proxy_uri(location):
        return HttpArtifactRepository(location, server_url)
    raise MinitrackException(
        f"Artifacts at {location!r} are out of minitrack's reach: it reads local folders "
        "and a tracking server's artifact proxy (mlflow-artifacts:)."
    )


def run_repository(store: AbstractStore, run_id: str) -> ArtifactRepository:
    """The artifacts of run ``run_id`` (a validated id) in ``store``."""
    run = store.get_run(run_id)
    uri = run.info.artifact_uri or ""
    if is_local_uri(uri):
        experiment = store.get_experiment(run.info.experiment_id)
        return repository_for(run, experiment.artifact_location, store.server_url)
    return repository_for(run, "", store.server_url)
