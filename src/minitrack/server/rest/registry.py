"""``registered-models/*`` and ``model-versions/*``: the whole model registry, aliases too."""

from __future__ import annotations

import warnings

from minitrack.server.rest import shapes
from minitrack.server.rest.request import Fields


def _rm(model) -> dict:
    return {"registered_model": shapes.registered_model(model)}


def _mv(version) -> dict:
    return {"model_version": shapes.model_version(version)}


def _name(f: Fields) -> str:
    return f.str("name", required=True)


def _version(f: Fields) -> str:
    return f.str("version", required=True)


def _quiet(call, *args, **kwargs):
    # Stage calls warn (deprecated since MLflow 2.9); the warning is the caller's to see.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return call(*args, **kwargs)


def create_model(client, f: Fields) -> dict:
    model = client.create_registered_model(_name(f), f.tags() or None, f.str("description"))
    return _rm(model)


def rename_model(client, f: Fields) -> dict:
    return _rm(client.rename_registered_model(_name(f), f.str("new_name", required=True)))


def update_model(client, f: Fields) -> dict:
    return _rm(client.update_registered_model(_name(f), f.str("description")))


def delete_model(client, f: Fields) -> dict:
    client.delete_registered_model(_name(f))
    return {}


def get_model(client, f: Fields) -> dict:
    return _rm(client.get_registered_model(_name(f)))


def search_models(client, f: Fields) -> dict:
    page = client.search_registered_models(
        filter_string=f.str("filter") or None,
        max_results=f.int("max_results", default=100),
        order_by=f.str_list("order_by") or None,
        page_token=f.str("page_token") or None,
    )
    out = {"registered_models": [shapes.registered_model(m) for m in page]}
    if page.token:
        out["next_page_token"] = page.token
    return out


def latest_versions(client, f: Fields) -> dict:
    found = _quiet(client.get_latest_versions, _name(f), f.str_list("stages") or None)
    return {"model_versions": [shapes.model_version(v) for v in found]}


def set_model_tag(client, f: Fields) -> dict:
    client.set_registered_model_tag(
        _name(f), f.str("key", required=True), f.str("value", default="")
    )
    return {}


def delete_model_tag(client, f: Fields) -> dict:
    client.delete_registered_model_tag(_name(f), f.str("key", required=True))
    return {}


def set_alias(client, f: Fields) -> dict:
    client.set_registered_model_alias(_name(f), f.str("alias", required=True), _version(f))
    return {}


def delete_alias(client, f: Fields) -> dict:
    client.delete_registered_model_alias(_name(f), f.str("alias", required=True))
    return {}


def get_by_alias(client, f: Fields) -> dict:
    return _mv(client.get_model_version_by_alias(_name(f), f.str("alias", required=True)))


def create_version(client, f: Fields) -> dict:
    version = client.create_model_version(
        _name(f),
        f.str("source", required=True),
        run_id=f.str("run_id") or None,
        tags=f.tags() or None,
        run_link=f.str("run_link") or None,
        description=f.str("description"),
        model_id=f.str("model_id") or None,
    )
    return _mv(version)


def update_version(client, f: Fields) -> dict:
    return _mv(client.update_model_version(_name(f), _version(f), f.str("description")))


def transition_stage(client, f: Fields) -> dict:
    version = _quiet(
        client.transition_model_version_stage,
        _name(f),
        _version(f),
        f.str("stage", required=True),
        archive_existing_versions=f.bool("archive_existing_versions"),
    )
    return _mv(version)


def delete_version(client, f: Fields) -> dict:
    client.delete_model_version(_name(f), _version(f))
    return {}


def get_version(client, f: Fields) -> dict:
    return _mv(client.get_model_version(_name(f), _version(f)))


def search_versions(client, f: Fields) -> dict:
    page = client.search_model_versions(
        filter_string=f.str("filter") or None,
        max_results=f.int("max_results", default=10000),
        order_by=f.str_list("order_by") or None,
        page_token=f.str("page_token") or None,
    )
    out = {"model_versions": [shapes.model_version(v) for v in page]}
    if page.token:
        out["next_page_token"] = page.token
    return out


def download_uri(client, f: Fields) -> dict:
    return {"artifact_uri": client.get_model_version_download_uri(_name(f), _version(f))}


def set_version_tag(client, f: Fields) -> dict:
    client.set_model_version_tag(
        _name(f), _version(f), f.str("key", required=True), f.str("value", default="")
    )
    return {}


def delete_version_tag(client, f: Fields) -> dict:
    client.delete_model_version_tag(_name(f), _version(f), f.str("key", required=True))
    return {}


RM, MV = "registered-models/", "model-versions/"
ROUTES = [
    ("POST", RM + "create", create_model),
    ("POST", RM + "rename", rename_model),
    ("PATCH", RM + "update", update_model),
    ("DELETE", RM + "delete", delete_model),
    ("GET", RM + "get", get_model),
    ("GET", RM + "search", search_models),
    ("GET", RM + "get-latest-versions", latest_versions),
    ("POST", RM + "get-latest-versions", latest_versions),
    ("POST", RM + "set-tag", set_model_tag),
    ("DELETE", RM + "delete-tag", delete_model_tag),
    ("POST", RM + "alias", set_alias),
    ("DELETE", RM + "alias", delete_alias),
    ("GET", RM + "alias", get_by_alias),
    ("POST", MV + "create", create_version),
    ("PATCH", MV + "update", update_version),
    ("POST", MV + "transition-stage", transition_stage),
    ("DELETE", MV + "delete", delete_version),
    ("GET", MV + "get", get_version),
    ("GET", MV + "search", search_versions),
    ("GET", MV + "get-download-uri", download_uri),
    ("POST", MV + "set-tag", set_version_tag),
    ("DELETE", MV + "delete-tag", delete_version_tag),
]
