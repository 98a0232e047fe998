"""The JSON of the UI's registry pages (Models, one model, a version's MLmodel), shaped
from the read-only client's entities, as ``views`` does for runs.

A version's MLmodel is read only when the version's files lie in its source run's
artifacts, through the run's artifact boundary: the UI never opens a path the registry
merely names.
"""

from __future__ import annotations

import os

from minitrack import validation
from minitrack.client import MlflowClient
from minitrack.entities import ModelVersion, RegisteredModel
from minitrack.exceptions import RESOURCE_DOES_NOT_EXIST, MinitrackException
from minitrack.server import artifact_files
from minitrack.uris import is_local_uri, local_path_from_uri

MLMODEL = "MLmodel"
# How many versions one model page lists, newest first.
MAX_VERSIONS = 10_000


def path_model_name(value: str) -> str:
    """A model name from a URL: one that cannot exist is simply not found (404)."""
    try:
        return validation.registered_model_name(value)
    except MinitrackException:
        raise _not_found(f"No registered model named {value[:80]!r}.") from None


def path_version(value: str) -> int:
    try:
        return validation.model_version(value)
    except MinitrackException:
        raise _not_found(
            f"No model version {value[:40]!r}: versions are whole numbers from 1."
        ) from None


def _not_found(message: str) -> MinitrackException:
    return MinitrackException(message, RESOURCE_DOES_NOT_EXIST)


def model_row(model: RegisteredModel) -> dict:
    """One registered model as the Models page lists it."""
    numbers = [int(v.version) for v in model.latest_versions]
    return {
        "name": model.name,
        "description": model.description or "",
        "latest_version": max(numbers) if numbers else None,
        "aliases": {alias: int(v) for alias, v in sorted(model.aliases.items())},
        "tags": dict(model.tags),
        "creation_timestamp": model.creation_timestamp,
        "last_updated_timestamp": model.last_updated_timestamp,
    }


def models_page(
    client: MlflowClient, filter_string: str, order_by: list[str], limit: int, page_token
) -> dict:
    """One page of the Models table; the filter takes the registry's search grammar."""
    found = client.search_registered_models(
        filter_string or None,
        max_results=limit,
        order_by=order_by or ["name ASC"],
        page_token=page_token or None,
    )
    return {"models": [model_row(m) for m in found], "next_page_token": found.token}


def version_row(mv: ModelVersion, aliases: list[str], run_names: dict[str, str]) -> dict:
    return {
        "name": mv.name,
        "version": int(mv.version),
        "aliases": aliases,
        "current_stage": mv.current_stage,
        "tags": dict(mv.tags),
        "description": mv.description or "",
        "creation_timestamp": mv.creation_timestamp,
        "last_updated_timestamp": mv.last_updated_timestamp,
        "user_id": mv.user_id,
        "source": mv.source,
        "run_id": mv.run_id,
        # None when the run is gone (deleted for good or from another store).
        "run_name": run_names.get(mv.run_id) if mv.run_id else None,
        "status": mv.status,
    }


def _aliases_by_version(model: RegisteredModel) -> dict[int, list[str]]:
    by_version: dict[int, list[str]] = {}
    for alias, version in sorted(model.aliases.items()):
        by_version.setdefault(int(version), []).append(alias)
    return by_version


def _run_names(client: MlflowClient, run_ids) -> dict[str, str]:
    ids = [r for r in dict.fromkeys(run_ids) if r]
    names = {}
    for run in client.load_runs(ids) if ids else []:
        names[run.info.run_id] = run.info.run_name or run.data.tags.get("mlflow.runName", "")
    return names


def _versions_of(client: MlflowClient, model: RegisteredModel) -> list[ModelVersion]:
    """Every version of ``model``, newest first."""
    name = model.name
    # The filter grammar keeps quoted text verbatim, so quote with a mark the name lacks.
    quote = "'" if "'" not in name else '"' if '"' not in name else None
    if quote is not None:
        return list(
            client.search_model_versions(
                f"name = {quote}{name}{quote}",
                max_results=MAX_VERSIONS,
                order_by=["version_number DESC"],
            )
        )
    # A name with both quote marks cannot be written in a filter: walk the numbers.
    newest = max((int(v.version) for v in model.latest_versions), default=0)
    found = []
    for number in range(newest, max(newest - MAX_VERSIONS, 0), -1):
        try:
            found.append(client.get_model_version(name, number))
        except MinitrackException as exc:
            if exc.error_code != RESOURCE_DOES_NOT_EXIST:
                raise
    return found


def model(client: MlflowClient, name: str) -> dict:
    """One registered model with all its versions (newest first)."""
    found = client.get_registered_model(path_model_name(name))
    versions = _versions_of(client, found)
    aliases = _aliases_by_version(found)
    names = _run_names(client, [v.run_id for v in versions])
    return {
        "model": model_row(found),
        "versions": [version_row(v, aliases.get(int(v.version), []), names) for v in versions],
    }


def registrations_of_run(client: MlflowClient, run_id: str) -> list[dict]:
    """The versions registered from one run, with their aliases: "nyc-taxi-regressor v3
    (@champion)" on the run page."""
    found = client.search_model_versions(
        f"run_id = '{validation.run_id(run_id)}'",
        max_results=MAX_VERSIONS,
        order_by=["name ASC", "version_number ASC"],
    )
    models: dict[str, dict[int, list[str]]] = {}
    rows = []
    for mv in found:
        if mv.name not in models:
            models[mv.name] = _aliases_by_version(client.get_registered_model(mv.name))
        aliases = models[mv.name].get(int(mv.version), [])
        rows.append({"name": mv.name, "version": int(mv.version), "aliases": aliases})
    return rows


def _inside(root: str, target: str) -> str | None:
    """``target`` relative to ``root`` ('/'-separated), or None when it lies outside."""
    root, target = os.path.realpath(root), os.path.realpath(target)
    try:
        if os.path.commonpath([root, target]) != root:
            return None
    except ValueError:  # different drives on Windows
        return None
    rel = os.path.relpath(target, root)
    return "" if rel == "." else rel.replace(os.sep, "/")


def version_mlmodel(client: MlflowClient, name: str, version: str) -> dict:
    """The MLmodel file of one version, read through its source run's artifact boundary."""
    name, number = path_model_name(name), path_version(version)
    mv = client.get_model_version(name, number)
    uri = f"models:/{name}/{number}"
    location = client.get_model_version_download_uri(name, number)
    folder = None
    if mv.run_id and is_local_uri(location):
        try:
            run = client.get_run(mv.run_id)
        except MinitrackException as exc:
            if exc.error_code != RESOURCE_DOES_NOT_EXIST:
                raise
        else:
            folder = _inside(
                local_path_from_uri(run.info.artifact_uri), local_path_from_uri(location)
            )
    if folder is None:
        raise _not_found(
            f"The files of {uri} are not in a run's artifacts here ({location}), so the UI "
            f"does not show them; load the model with mlflow.pyfunc.load_model('{uri}')."
        )
    path = f"{folder}/{MLMODEL}" if folder else MLMODEL
    preview = artifact_files.preview(client, mv.run_id, path)
    return {**preview.as_dict(), "run_id": mv.run_id, "model_uri": uri}
