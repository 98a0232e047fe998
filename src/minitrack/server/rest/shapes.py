"""Entities as MLflow's REST API shows them: proto field names, proto JSON values.

Like MLflow's ``message_to_json``: snake_case field names, int64 as JSON numbers, a
double that is not finite as "NaN"/"Infinity"/"-Infinity", and unset fields (None)
and empty repeated fields left out.
"""

from __future__ import annotations

import math


def _clean(message: dict) -> dict:
    return {k: v for k, v in message.items() if v is not None and v != []}


def number(value: float):
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def key_values(mapping: dict) -> list[dict]:
    return [{"key": k, "value": v} for k, v in mapping.items()]


def experiment(exp) -> dict:
    return _clean(
        {
            "experiment_id": exp.experiment_id,
            "name": exp.name,
            "artifact_location": exp.artifact_location,
            "lifecycle_stage": exp.lifecycle_stage,
            "last_update_time": exp.last_update_time,
            "creation_time": exp.creation_time,
            "tags": key_values(exp.tags),
        }
    )


def run_info(info) -> dict:
    return _clean(
        {
            "run_id": info.run_id,
            "run_uuid": info.run_id,
            "run_name": info.run_name,
            "experiment_id": info.experiment_id,
            "user_id": info.user_id,
            "status": info.status,
            "start_time": info.start_time,
            "end_time": info.end_time,
            "artifact_uri": info.artifact_uri,
            "lifecycle_stage": info.lifecycle_stage,
        }
    )


def metric(m) -> dict:
    return {"key": m.key, "value": number(m.value), "timestamp": m.timestamp, "step": m.step}


def run(r, outputs: list[dict] | None = None) -> dict:
    data = r.data
    return _clean(
        {
            "info": run_info(r.info),
            "data": _clean(
                {
                    "metrics": [metric(m) for m in data._metric_objs],
                    "params": key_values(data.params),
                    "tags": key_values(data.tags),
                }
            ),
            "inputs": {},
            "outputs": {"model_outputs": outputs} if outputs else None,
        }
    )


def file_info(f, path: str | None = None) -> dict:
    return _clean(
        {
            "path": f.path if path is None else path,
            "is_dir": f.is_dir,
            "file_size": None if f.is_dir else f.file_size,
        }
    )


# -- registry and logged models ------------------------------------------------------------

LOGGED_MODEL_STATUS = {"PENDING": "LOGGED_MODEL_PENDING", "READY": "LOGGED_MODEL_READY",
                       "FAILED": "LOGGED_MODEL_UPLOAD_FAILED"}  # fmt: skip


def model_version(mv) -> dict:
    return _clean(
        {
            "name": mv.name,
            "version": str(mv.version),
            "creation_timestamp": mv.creation_timestamp,
            "last_updated_timestamp": mv.last_updated_timestamp,
            "user_id": mv.user_id,
            "current_stage": mv.current_stage,
            "description": mv.description,
            "source": mv.source,
            "run_id": mv.run_id,
            "status": mv.status,
            "status_message": mv.status_message,
            "tags": key_values(mv.tags),
            "run_link": mv.run_link,
            "aliases": list(mv.aliases),
            "model_id": mv.model_id,
        }
    )


def registered_model(rm) -> dict:
    return _clean(
        {
            "name": rm.name,
            "creation_timestamp": rm.creation_timestamp,
            "last_updated_timestamp": rm.last_updated_timestamp,
            "description": rm.description,
            "latest_versions": [model_version(v) for v in rm.latest_versions],
            "tags": key_values(rm.tags),
            "aliases": [{"alias": a, "version": str(v)} for a, v in rm.aliases.items()],
        }
    )


def logged_model(lm) -> dict:
    return {
        "info": _clean(
            {
                "model_id": lm.model_id,
                "experiment_id": lm.experiment_id,
                "name": lm.name,
                "creation_timestamp_ms": lm.creation_timestamp,
                "last_updated_timestamp_ms": lm.last_updated_timestamp,
                "artifact_uri": lm.artifact_location,
                "status": LOGGED_MODEL_STATUS.get(lm.status, "LOGGED_MODEL_STATUS_UNSPECIFIED"),
                "model_type": lm.model_type,
                "source_run_id": lm.source_run_id,
                "status_message": lm.status_message,
                "tags": key_values(lm.tags),
            }
        ),
        "data": _clean(
            {
                "params": key_values(lm.params),
                "metrics": [
                    {**metric(m), "model_id": lm.model_id, "run_id": m.run_id} for m in lm.metrics
                ],
            }
        ),
    }
