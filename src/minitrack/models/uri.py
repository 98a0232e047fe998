"""Model URIs -> a local model folder.

`runs:/<run_id>/<path>`, `file://` URIs, plain folder paths, and the registry's
`models:/<name>/<version>`, `models:/<name>@<alias>`, `models:/<name>/latest`,
`models:/<name>/<stage>` and MLflow 3's `models:/m-<id>` (resolved by the client).
"""

from __future__ import annotations

from pathlib import Path

from minitrack.exceptions import RESOURCE_DOES_NOT_EXIST, MinitrackException
from minitrack.models.mlmodel import MLMODEL_FILE_NAME
from minitrack.uris import is_served_uri

RUNS_SCHEME = "runs:/"


def _split_runs_uri(uri: str) -> tuple[str, str]:
    rest = uri[len(RUNS_SCHEME) :].strip("/")
    run_id, _, path = rest.partition("/")
    if not run_id or not path:
        raise MinitrackException(
            f"Model URI '{uri}' is incomplete: write it as runs:/<run_id>/<artifact path>, "
            "for example runs:/0123abcd/model."
        )
    return run_id, path


def _run_artifact_folder(run_id: str, path: str, uri: str) -> Path:
    from minitrack import artifacts

    try:
        return Path(artifacts.local_path(f"{RUNS_SCHEME}{run_id}/{path}"))
    except MinitrackException as error:
        raise MinitrackException(
            f"Cannot load model '{uri}': {error.message}", error.error_code
        ) from error


def _registry_location(uri: str) -> str:
    """Where a models:/ URI's files are, with the URI named in any error."""
    from minitrack.client import MlflowClient

    try:
        return MlflowClient()._model_uri_location(uri)
    except MinitrackException as error:
        raise MinitrackException(
            f"Cannot load model '{uri}': {error.message}", error.error_code
        ) from error


def _proxy_folder(uri: str) -> Path:
    """A model on a tracking server's artifact proxy, downloaded for this process."""
    from minitrack import artifacts

    try:
        return Path(artifacts.local_path(uri))
    except MinitrackException as error:
        raise MinitrackException(
            f"Cannot load model '{uri}': {error.message}", error.error_code
        ) from error


def resolve_model_uri(model_uri: str | Path) -> Path:
    """The local folder of a model, checked to be a model folder (it holds MLmodel)."""
    uri = str(model_uri)
    if uri.startswith(RUNS_SCHEME):
        run_id, path = _split_runs_uri(uri)
        folder = _run_artifact_folder(run_id, path, uri)
        where = f"run {run_id} has no artifact '{path}'"
    elif uri.lower().startswith("file:"):
        from minitrack.uris import local_path_from_uri  # handles file:///C:/... too

        folder = Path(local_path_from_uri(uri))
        where = f"'{folder}' does not exist"
    elif uri.startswith("models:"):
        return resolve_model_uri(_registry_location(uri))
    elif is_served_uri(uri):
        folder = _proxy_folder(uri)
        where = f"the tracking server has nothing at '{uri}'"
    elif "://" in uri:
        raise MinitrackException(
            f"Cannot load model '{uri}': minitrack reads runs:/, models:/ and file: URIs and "
            "local folders (no remote storage). Use the URI that log_model returned "
            "(model_info.model_uri) or the model folder's path."
        )
    else:
        folder = Path(uri).expanduser()
        where = f"'{folder}' does not exist"
    if not folder.exists():
        raise MinitrackException(
            f"Cannot load model '{uri}': {where}. Check the run id and the artifact path "
            "given to log_model (default 'model'), or the folder path.",
            RESOURCE_DOES_NOT_EXIST,
        )
    if not (folder / MLMODEL_FILE_NAME).is_file():
        raise MinitrackException(
            f"Cannot load model '{uri}': '{folder}' is not a model folder (it has no "
            f"{MLMODEL_FILE_NAME} file). Point at the folder log_model/save_model wrote.",
            RESOURCE_DOES_NOT_EXIST,
        )
    return folder
