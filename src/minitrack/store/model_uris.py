"""``models:/`` URIs resolved against a store: which version, and where its files are.

One set of rules for everything that accepts a model URI: the client (copy_model_version,
create_model_version with a models:/ source), the models code (load_model) and the
artifacts helpers (download_artifacts). Each failure names what the model does have.
"""

from __future__ import annotations

from minitrack import validation
from minitrack.entities import ModelVersion
from minitrack.exceptions import RESOURCE_DOES_NOT_EXIST, MinitrackException
from minitrack.uris import ModelsUri, is_models_uri, parse_models_uri


def latest_versions(store, name: str, stages) -> list[ModelVersion]:
    """The newest version in each of ``stages`` (every stage when None), names checked."""
    name = validation.registered_model_name(name)
    if isinstance(stages, str):
        stages = [stages]
    if stages is not None and not isinstance(stages, (list, tuple)):
        raise MinitrackException(
            f"stages must be a list of stage names, got {type(stages).__name__}, e.g. "
            "['Production']."
        )
    canonical = [validation.model_stage(s) for s in stages or []]
    return store.get_latest_versions(name, canonical or None)


def latest_version(store, name: str, stage: str | None = None) -> ModelVersion:
    """The highest version (in ``stage``), or an error naming what the model has."""
    versions = latest_versions(store, name, [stage] if stage else None)
    if versions:
        return max(versions, key=lambda mv: mv.version)
    if stage is None:
        raise MinitrackException(
            f"model '{name}' has no versions yet: register one with "
            f"minitrack.register_model(model_uri, '{name}').",
            RESOURCE_DOES_NOT_EXIST,
        )
    stage = validation.model_stage(stage)
    held = latest_versions(store, name, None)
    shown = ", ".join(f"{mv.current_stage} (version {mv.version})" for mv in held)
    raise MinitrackException(
        f"model '{name}' has no version in stage '{stage}'; stages: {shown or 'none'}. "
        "Move one there with transition_model_version_stage, or load by version or alias.",
        RESOURCE_DOES_NOT_EXIST,
    )


def version_by_alias(store, name: str, alias: str) -> ModelVersion:
    name = validation.registered_model_name(name)
    alias = validation.model_alias(alias)
    if alias.lower() == "latest":
        return latest_version(store, name)
    return store.get_model_version_by_alias(name, alias)


def version_for_uri(store, parsed: ModelsUri) -> ModelVersion:
    """The version a models:/<name>/... URI names (not for models:/m-<id>)."""
    if parsed.model_id is not None:
        raise MinitrackException(
            f"'{parsed.uri}' names a logged model, not a registered model version. Register "
            "it first with minitrack.register_model(uri, name)."
        )
    if parsed.alias is not None:
        return version_by_alias(store, parsed.name, parsed.alias)
    if parsed.version is not None:
        name = validation.registered_model_name(parsed.name)
        return store.get_model_version(name, parsed.version)
    return latest_version(store, parsed.name, parsed.stage)


def model_uri_location(store, model_uri: str) -> str:
    """Where the files of a models:/ URI are: a folder path, file: URI or runs:/ URI."""
    location, seen = model_uri, set()
    while is_models_uri(location):
        if location in seen or len(seen) > 10:
            raise MinitrackException(f"Model URI '{model_uri}' refers to itself in a loop.")
        seen.add(location)
        parsed = parse_models_uri(location)
        if parsed.model_id is not None:
            location = store.get_logged_model(parsed.model_id).artifact_location
        else:
            mv = version_for_uri(store, parsed)
            location = store.get_model_version_download_uri(mv.name, mv.version)
    return location
