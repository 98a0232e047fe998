"""Which artifact repository holds a run's artifacts, and where its boundary lies.

A run's ``artifact_uri`` is a local folder, or, on a tracking server that serves
artifacts, ``mlflow-artifacts:/<exp>/<run>/artifacts``. Inside the server process
(``minitrack server``), that is a path under its ``--artifacts-destination``
(``destination``), read as a local folder. Anywhere else, it is reached through the
server's artifact proxy over HTTP (``HttpArtifactRepository``, which also takes the
proxy's full ``http(s)://.../api/2.0/mlflow-artifacts/artifacts/...`` URLs).
"""

from __future__ import annotations

import os

from minitrack.artifacts.local import LocalArtifactRepository
from minitrack.artifacts.paths import read_path, resolve_inside
from minitrack.entities import Run
from minitrack.exceptions import MinitrackException
from minitrack.store.base import AbstractStore
from minitrack.uris import is_local_uri, is_proxy_uri, is_served_uri, proxy_path

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (3 ms)
if TYPE_CHECKING:  # the HTTP repository loads with the first run on a server
    from minitrack.artifacts.http import HttpArtifactRepository

    ArtifactRepository = LocalArtifactRepository | HttpArtifactRepository


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


def _http_repository(uri: str, server_url: str | None) -> HttpArtifactRepository:
    from minitrack.artifacts.http import HttpArtifactRepository

    return HttpArtifactRepository(uri, server_url)


def _out_of_reach(what: str, uri: str) -> MinitrackException:
    return MinitrackException(
        f"{what} at {uri!r}, which minitrack cannot reach from here: it reads local folders "
        "and a tracking server's artifact proxy (mlflow-artifacts:, what mlflow server and "
        "minitrack server serve by default)."
    )


def repository_for(
    run: Run,
    experiment_location: str,
    destination: str | None = None,
    server_url: str | None = None,
) -> ArtifactRepository:
    """The repository of a run's artifacts. ``destination`` is the server process's own
    artifact folder; ``server_url`` is the tracking server a client reaches them through."""
    uri = run.info.artifact_uri or ""
    if is_proxy_uri(uri) and destination is not None:
        root = proxied_folder(destination, uri)
        boundary = os.path.abspath(destination)
        if is_proxy_uri(experiment_location) and _boundary(run, experiment_location):
            boundary = proxied_folder(destination, experiment_location)
        return LocalArtifactRepository(root, boundary)
    if is_local_uri(uri):
        return LocalArtifactRepository(uri, _boundary(run, experiment_location))
    if is_served_uri(uri):
        if is_proxy_uri(uri) and server_url is None:
            raise MinitrackException(
                f"Run {run.info.run_id} keeps its artifacts at {uri!r}, on a tracking "
                "server: use the server's http:// address as the tracking URI."
            )
        return _http_repository(uri, server_url)
    raise _out_of_reach(f"Run {run.info.run_id} keeps its artifacts", uri)


def repository_at(location: str, server_url: str | None = None) -> ArtifactRepository:
    """The artifacts at a location that is no run's folder (a logged model's, say)."""
    if is_local_uri(location):
        return LocalArtifactRepository(location)
    if is_served_uri(location):
        return _http_repository(location, server_url)
    raise _out_of_reach("The artifacts are", location)


def run_repository(
    store: AbstractStore, run_id: str, destination: str | None = None
) -> ArtifactRepository:
    """The artifacts of run ``run_id`` (a validated id) in ``store``; ``destination`` is a
    tracking server's artifact folder, for ``mlflow-artifacts:`` URIs."""
    run = store.get_run(run_id)
    if is_local_uri(run.info.artifact_uri or "") or destination is not None:
        location = store.get_experiment(run.info.experiment_id).artifact_location
    else:
        location = ""  # a boundary is the server's business
    return repository_for(run, location, destination, store.server_url)
