"""Artifacts: MLflow's ``mlflow.artifacts`` helpers, over the one path rule and boundary.

A run's artifacts live in ``<experiment location>/<run_id>/artifacts/``. The modules
below hold the parts: ``paths`` (the rule every artifact path follows, and the
symlink-proof boundary), ``local`` (a run's folder on disk) and ``runs`` (which folder
belongs to which run). This module offers what MLflow's ``mlflow.artifacts`` does
(``download_artifacts``, ``load_text``, ``load_dict``) plus ``local_path`` for
``runs:/<run_id>/<path>`` URIs (``download_artifacts`` also takes ``models:/`` URIs),
which the models code uses to find a logged model on
disk without copying it.
"""

from __future__ import annotations

import os

from minitrack import validation
from minitrack.artifacts.local import LocalArtifactRepository
from minitrack.artifacts.paths import ArtifactPathError
from minitrack.artifacts.runs import repository_at, run_repository
from minitrack.exceptions import RESOURCE_DOES_NOT_EXIST, MinitrackException
from minitrack.store import get_store
from minitrack.uris import get_tracking_uri, is_served_uri, local_path_from_uri, parse_runs_uri

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (3 ms)
if TYPE_CHECKING:
    from minitrack.artifacts.runs import ArtifactRepository


def _repository(run_id: str, tracking_uri: str | None) -> ArtifactRepository:
    store = get_store(tracking_uri or get_tracking_uri())
    return run_repository(store, validation.run_id(run_id))


def run_artifact_dir(run_id: str, tracking_uri: str | None = None) -> str:
    """The local folder holding a run's artifacts (may not exist yet); for a run whose
    artifacts are on a tracking server's proxy, their ``mlflow-artifacts:`` URI."""
    return _repository(run_id, tracking_uri).root


def local_path(uri: str, tracking_uri: str | None = None) -> str:
    """Where an artifact URI lives on disk, without copying a local store's files.

    Accepts ``runs:/<run_id>/<path>``, a ``file:`` URI or a plain path. A run whose
    artifacts are on a tracking server is downloaded to a temporary folder first.
    """
    if isinstance(uri, str) and uri.startswith("runs:"):
        run_id, rel = parse_runs_uri(uri)
        try:
            return _repository(run_id, tracking_uri).local_path(rel)
        except MinitrackException as error:
            if error.error_code != RESOURCE_DOES_NOT_EXIST or isinstance(error, ArtifactPathError):
                raise
            raise MinitrackException(
                f"No artifact at {uri!r}: run {run_id} has no '{rel}'. List what it has with "
                "MlflowClient().list_artifacts(run_id).",
                RESOURCE_DOES_NOT_EXIST,
            ) from None
    if isinstance(uri, str) and is_served_uri(uri):
        return _proxy_repository(uri, tracking_uri).local_path("")
    return os.path.abspath(local_path_from_uri(os.fspath(uri)))


def _proxy_repository(uri: str, tracking_uri: str | None) -> ArtifactRepository:
    """A server's artifact-proxy location, reached through the current tracking server."""
    store = get_store(tracking_uri or get_tracking_uri())
    return repository_at(uri, store.server_url)


def download_artifacts(
    artifact_uri: str | None = None,
    run_id: str | None = None,
    artifact_path: str | None = None,
    dst_path: str | None = None,
    tracking_uri: str | None = None,
) -> str:
    """``mlflow.artifacts.download_artifacts``: by URI, or by run id plus path."""
    if (artifact_uri is None) == (run_id is None):
        raise MinitrackException(
            "Pass either artifact_uri (e.g. 'runs:/<run_id>/model') or run_id "
            "(with an optional artifact_path), not both and not neither."
        )
    if artifact_uri is not None:
        if artifact_path is not None:
            raise MinitrackException("artifact_path goes with run_id, not with artifact_uri.")
        if artifact_uri.startswith("models:"):
            # A registry or logged-model URI names a folder: download that folder.
            from minitrack.store.model_uris import model_uri_location

            store = get_store(tracking_uri or get_tracking_uri())
            location = model_uri_location(store, artifact_uri)
            return download_artifacts(location, dst_path=dst_path, tracking_uri=tracking_uri)
        if is_served_uri(artifact_uri):
            return _proxy_repository(artifact_uri, tracking_uri).download("", dst_path)
        if not artifact_uri.startswith("runs:"):
            source = local_path(artifact_uri)
            if not os.path.exists(source):
                raise MinitrackException(
                    f"No artifact at {artifact_uri!r}.", RESOURCE_DOES_NOT_EXIST
                )
            parent, name = os.path.split(source.rstrip(os.sep))
            return LocalArtifactRepository(parent).download(name, dst_path)
        run_id, artifact_path = parse_runs_uri(artifact_uri)
    return _repository(run_id, tracking_uri).download(artifact_path, dst_path)


def load_text(artifact_uri: str) -> str:
    with open(local_path(artifact_uri), encoding="utf-8") as f:
        return f.read()


def load_dict(artifact_uri: str) -> dict:
    path = local_path(artifact_uri)
    with open(path, encoding="utf-8") as f:
        if path.endswith((".yaml", ".yml")):
            import yaml

            return yaml.safe_load(f)
        import json

        return json.load(f)


__all__ = ["download_artifacts", "load_dict", "load_text", "local_path", "run_artifact_dir"]
