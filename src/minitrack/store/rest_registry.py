"""The registry and MLflow 3's logged models over a tracking server's REST API.

``RestRegistryStore`` is a mixin of ``RestStore``, with the same methods (and
arguments) as ``SqliteRegistryStore``: ``registered-models/*``, ``model-versions/*``
and ``logged-models`` as MLflow's ``model_registry.proto`` and ``service.proto`` name
them. Versions travel as strings and come back as ints, as the local store gives them.

A server chooses a logged model's id and artifact location itself (the REST API takes
neither): ``create_logged_model`` returns what the server made, and the caller writes
the files there.
"""

from __future__ import annotations

import uuid
from urllib.parse import quote

from minitrack.entities import (
    LoggedModel,
    LoggedModelStatus,
    ModelVersion,
    RegisteredModel,
)
from minitrack.exceptions import MinitrackException
from minitrack.store.rest_json import int_or_none, metric_from_json, pairs, tags_dict, wire_float

REGISTRY_PAGE = 1000  # MLflow caps registered-model pages at 1,000
VERSIONS_PAGE = 10000
LOGGED_MODELS_PAGE = 100
_STATUS_TO_WIRE = {
    LoggedModelStatus.PENDING: "LOGGED_MODEL_PENDING",
    LoggedModelStatus.READY: "LOGGED_MODEL_READY",
    LoggedModelStatus.FAILED: "LOGGED_MODEL_UPLOAD_FAILED",
}
_STATUS_FROM_WIRE = {wire: status for status, wire in _STATUS_TO_WIRE.items()}


def _id(model_id: str) -> str:
    """A logged model id as one URL path segment."""
    return quote(model_id, safe="")


def model_version_from_json(raw: dict) -> ModelVersion:
    return ModelVersion(
        name=raw["name"],
        version=int(raw["version"]),
        creation_timestamp=int_or_none(raw.get("creation_timestamp")),
        last_updated_timestamp=int_or_none(raw.get("last_updated_timestamp")),
        description=raw.get("description") or None,
        user_id=raw.get("user_id") or None,
        current_stage=raw.get("current_stage") or "None",
        source=raw.get("source"),
        run_id=raw.get("run_id") or None,
        run_link=raw.get("run_link") or None,
        status=raw.get("status") or "READY",
        status_message=raw.get("status_message") or None,
        tags=tags_dict(raw.get("tags")),
        aliases=list(raw.get("aliases") or []),
        model_id=raw.get("model_id") or None,
        storage_location=raw.get("storage_location") or None,
    )


def registered_model_from_json(raw: dict) -> RegisteredModel:
    return RegisteredModel(
        name=raw["name"],
        creation_timestamp=int_or_none(raw.get("creation_timestamp")),
        last_updated_timestamp=int_or_none(raw.get("last_updated_timestamp")),
        description=raw.get("description") or None,
        latest_versions=[model_version_from_json(v) for v in raw.get("latest_versions") or []],
        tags=tags_dict(raw.get("tags")),
        aliases={a["alias"]: int(a["version"]) for a in raw.get("aliases") or []},
    )


def logged_model_from_json(raw: dict) -> LoggedModel:
    info, data = raw.get("info") or {}, raw.get("data") or {}
    return LoggedModel(
        model_id=info["model_id"],
        experiment_id=str(info.get("experiment_id", "")),
        name=info.get("name", ""),
        artifact_location=info.get("artifact_uri", ""),
        creation_timestamp=int_or_none(info.get("creation_timestamp_ms")),
        last_updated_timestamp=int_or_none(info.get("last_updated_timestamp_ms")),
        model_type=info.get("model_type") or None,
        source_run_id=info.get("source_run_id") or None,
        status=_STATUS_FROM_WIRE.get(info.get("status"), LoggedModelStatus.PENDING),
        status_message=info.get("status_message") or None,
        tags=tags_dict(info.get("tags")),
        params={p["key"]: p.get("value", "") for p in data.get("params") or []},
        metrics=[metric_from_json(m, m.get("run_id")) for m in data.get("metrics") or []],
    )


class RestRegistryStore:
    """Registry and logged-model methods of ``RestStore`` (uses its ``_get``/``_call``)."""

    # -- registered models ------------------------------------------------------------------

    def create_registered_model(self, name, tags=None, description=None) -> RegisteredModel:
        body = {"name": name, "tags": pairs(tags or [])}
        if description is not None:
            body["description"] = description
        raw = self._call("POST", "registered-models/create", body)
        return registered_model_from_json(raw["registered_model"])

    def get_registered_model(self, name: str) -> RegisteredModel:
        raw = self._get("registered-models/get", name=name)
        return registered_model_from_json(raw["registered_model"])

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        body = {"name": name, "new_name": new_name}
        raw = self._call("POST", "registered-models/rename", body)
        return registered_model_from_json(raw["registered_model"])

    def update_registered_model(self, name: str, description) -> RegisteredModel:
        body = {"name": name, "description": description or ""}
        raw = self._call("PATCH", "registered-models/update", body)
        return registered_model_from_json(raw["registered_model"])

    def delete_registered_model(self, name: str) -> None:
        self._call("DELETE", "registered-models/delete", {"name": name})

    def search_registered_models(
        self, filter_string=None, max_results=None, order_by=None, offset=0
    ):
        def fetch(size, token):
            raw = self._get(
                "registered-models/search",
                filter=filter_string or None,
                max_results=size,
                order_by=list(order_by or []) or None,
                page_token=token,
            )
            found = [registered_model_from_json(m) for m in raw.get("registered_models") or []]
            return found, raw.get("next_page_token")

        query = ("registered-models", filter_string, tuple(order_by or ()))
        return self._paged(fetch, offset, max_results, REGISTRY_PAGE, query)

    def set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        self._call("POST", "registered-models/set-tag", {"name": name, "key": key, "value": value})

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        self._call("DELETE", "registered-models/delete-tag", {"name": name, "key": key})

    def get_latest_versions(self, name: str, stages=None) -> list[ModelVersion]:
        body = {"name": name, "stages": list(stages or [])}
        raw = self._call("POST", "registered-models/get-latest-versions", body)
        return [model_version_from_json(v) for v in raw.get("model_versions") or []]

    # -- model versions ---------------------------------------------------------------------

    def create_model_version(
        self,
        name,
        source,
        run_id=None,
        tags=None,
        run_link=None,
        description=None,
        storage_location=None,
        model_id=None,
        user_id=None,
    ) -> ModelVersion:
        """The server works out the storage location from ``source`` (a models:/m-<id>
        source is its logged model's folder); ``storage_location`` is not sent."""
        body = {"name": name, "source": source, "tags": pairs(tags or [])}
        for key, value in (
            ("run_id", run_id),
            ("run_link", run_link),
            ("description", description),
            ("model_id", model_id),
        ):
            if value is not None:
                body[key] = value
        raw = self._call("POST", "model-versions/create", body)
        return model_version_from_json(raw["model_version"])

    def get_model_version(self, name: str, version: int) -> ModelVersion:
        raw = self._get("model-versions/get", name=name, version=str(version))
        return model_version_from_json(raw["model_version"])

    def get_model_version_download_uri(self, name: str, version: int) -> str:
        raw = self._get("model-versions/get-download-uri", name=name, version=str(version))
        return raw["artifact_uri"]

    def update_model_version(self, name: str, version: int, description) -> ModelVersion:
        body = {"name": name, "version": str(version), "description": description or ""}
        raw = self._call("PATCH", "model-versions/update", body)
        return model_version_from_json(raw["model_version"])

    def transition_model_version_stage(
        self, name, version, stage, archive_existing_versions=False
    ) -> ModelVersion:
        body = {
            "name": name,
            "version": str(version),
            "stage": stage,
            "archive_existing_versions": bool(archive_existing_versions),
        }
        raw = self._call("POST", "model-versions/transition-stage", body)
        return model_version_from_json(raw["model_version"])

    def delete_model_version(self, name: str, version: int) -> None:
        self._call("DELETE", "model-versions/delete", {"name": name, "version": str(version)})

    def search_model_versions(self, filter_string=None, max_results=None, order_by=None, offset=0):
        def fetch(size, token):
            raw = self._get(
                "model-versions/search",
                filter=filter_string or None,
                max_results=size,
                order_by=list(order_by or []) or None,
                page_token=token,
            )
            found = [model_version_from_json(v) for v in raw.get("model_versions") or []]
            return found, raw.get("next_page_token")

        query = ("model-versions", filter_string, tuple(order_by or ()))
        return self._paged(fetch, offset, max_results, VERSIONS_PAGE, query)

    def set_model_version_tag(self, name, version, key, value) -> None:
        body = {"name": name, "version": str(version), "key": key, "value": value}
        self._call("POST", "model-versions/set-tag", body)

    def delete_model_version_tag(self, name, version, key) -> None:
        body = {"name": name, "version": str(version), "key": key}
        self._call("DELETE", "model-versions/delete-tag", body)

    # -- aliases ----------------------------------------------------------------------------

    def set_registered_model_alias(self, name: str, alias: str, version: int) -> None:
        body = {"name": name, "alias": alias, "version": str(version)}
        self._call("POST", "registered-models/alias", body)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        self._call("DELETE", "registered-models/alias", {"name": name, "alias": alias})

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        raw = self._get("registered-models/alias", name=name, alias=alias)
        return model_version_from_json(raw["model_version"])

    # -- logged models ----------------------------------------------------------------------

    def create_logged_model(
        self,
        experiment_id,
        name,
        artifact_location=None,
        source_run_id=None,
        model_type=None,
        tags=None,
        params=None,
        status=LoggedModelStatus.READY,
        model_id=None,
    ) -> LoggedModel:
        """A new logged model; its id and artifact location are the server's, so
        ``artifact_location`` and ``model_id`` are ignored. Created PENDING, as MLflow
        does, and finalized at once when ``status`` is READY."""
        params = list(params or [])
        body = {
            "experiment_id": experiment_id,
            "name": name,
            "tags": pairs(tags or []),
            "params": pairs(params[:100]),
        }
        if source_run_id is not None:
            body["source_run_id"] = source_run_id
        if model_type is not None:
            body["model_type"] = model_type
        logged = logged_model_from_json(self._call("POST", "logged-models", body)["model"])
        for start in range(100, len(params), 100):
            chunk = {"model_id": logged.model_id, "params": pairs(params[start : start + 100])}
            self._call("POST", f"logged-models/{_id(logged.model_id)}/params", chunk)
        if source_run_id is not None:
            # What MLflow's log_model does next: the run lists the model as its output
            # (MLflow's UI shows it on the run's page).
            outputs = {
                "run_id": source_run_id,
                "models": [{"model_id": logged.model_id, "step": 0}],
            }
            self._call("POST", "runs/outputs", outputs)
        if status != LoggedModelStatus.PENDING:
            logged = self.finalize_logged_model(logged.model_id, status)
        return logged

    def get_logged_model(self, model_id: str) -> LoggedModel:
        return logged_model_from_json(self._get(f"logged-models/{_id(model_id)}")["model"])

    def finalize_logged_model(self, model_id: str, status: str) -> LoggedModel:
        body = {"model_id": model_id, "status": _STATUS_TO_WIRE[status]}
        raw = self._call("PATCH", f"logged-models/{_id(model_id)}", body)
        return logged_model_from_json(raw["model"])

    def set_logged_model_tags(self, model_id: str, tags) -> None:
        body = {"model_id": model_id, "tags": pairs(tags)}
        self._call("PATCH", f"logged-models/{_id(model_id)}/tags", body)

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        self._call("DELETE", f"logged-models/{_id(model_id)}/tags/{quote(key, safe='')}")

    def log_logged_model_metrics(self, model_id: str, metrics) -> None:
        """As MLflow's client does it: runs/log-batch with the model id on each metric."""
        by_run: dict[str, list[dict]] = {}
        for key, value, timestamp, step, run_id in metrics:
            if run_id is None:
                raise MinitrackException(
                    "A tracking server takes a logged model's metrics through a run: pass "
                    "run_id (the model's source run) with them."
                )
            by_run.setdefault(run_id, []).append(
                {
                    "key": key,
                    "value": wire_float(value),
                    "timestamp": timestamp,
                    "step": step,
                    "model_id": model_id,
                }
            )
        for run_id, rows in by_run.items():
            for start in range(0, len(rows), 1000):
                body = {"run_id": run_id, "metrics": rows[start : start + 1000]}
                self._call("POST", "runs/log-batch", body)

    def delete_logged_model(self, model_id: str) -> None:
        self._call("DELETE", f"logged-models/{_id(model_id)}")

    def _search_logged_models(self, experiment_ids, filter_string, max_results, offset):
        def fetch(size, token):
            body = {"experiment_ids": list(experiment_ids), "max_results": size}
            if filter_string:
                body["filter"] = filter_string
            if token:
                body["page_token"] = token
            raw = self._call("POST", "logged-models/search", body)
            found = [logged_model_from_json(m) for m in raw.get("models") or []]
            return found, raw.get("next_page_token")

        query = ("logged-models", tuple(experiment_ids), filter_string)
        return self._paged(fetch, offset, max_results, LOGGED_MODELS_PAGE, query)

    def search_logged_models(self, experiment_ids, max_results=None, offset=0) -> list[LoggedModel]:
        return self._search_logged_models(experiment_ids, None, max_results, offset)

    def find_logged_models(self, source_run_id: str, name: str | None = None) -> list[LoggedModel]:
        """The run's logged models (with that name), newest first: searched in the run's
        experiment by name, then picked by run, as MLflow's own client does."""
        experiment_id = self.get_run(source_run_id).info.experiment_id
        quoted = None if name is None else "'" + name.replace("'", "\\'") + "'"
        found = self._search_logged_models(
            [experiment_id], None if quoted is None else f"name = {quoted}", None, 0
        )
        mine = [m for m in found if m.source_run_id == source_run_id]
        return sorted(mine, key=lambda m: m.creation_timestamp or 0, reverse=True)

    def get_store_id(self) -> str:
        """A server has no store id over REST: one made from its URL, stable for it."""
        return uuid.uuid5(uuid.NAMESPACE_URL, self.server_url).hex
