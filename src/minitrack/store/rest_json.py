"""The JSON of MLflow's REST API -> minitrack's entities, and the few values that need care.

Protobuf's JSON form writes int64 fields as strings ("1700000000000") and the floats
NaN and +/-inf as the strings "NaN", "Infinity", "-Infinity"; a server may send either
form, and we send the string forms, which every server parses.
"""

from __future__ import annotations

import math

from minitrack.entities import (
    Experiment,
    Metric,
    Param,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunTag,
)


def int_or_none(value) -> int | None:
    return None if value is None or value == "" else int(value)


def _float(value) -> float:
    return float(value)  # the strings "NaN", "Infinity", "-Infinity" parse as they should


def wire_float(value: float):
    """A metric value as protobuf JSON writes it (JSON has no NaN or Infinity)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def pairs(items) -> list[dict]:
    return [{"key": k, "value": v} for k, v in items]


def tags_dict(raw) -> dict[str, str]:
    return {t["key"]: t.get("value", "") for t in raw or []}


def experiment_from_json(raw: dict) -> Experiment:
    return Experiment(
        experiment_id=str(raw["experiment_id"]),
        name=raw.get("name", ""),
        artifact_location=raw.get("artifact_location", ""),
        lifecycle_stage=raw.get("lifecycle_stage", "active"),
        tags=tags_dict(raw.get("tags")),
        creation_time=int_or_none(raw.get("creation_time")),
        last_update_time=int_or_none(raw.get("last_update_time")),
    )


def run_info_from_json(raw: dict) -> RunInfo:
    return RunInfo(
        run_id=raw.get("run_id") or raw.get("run_uuid"),
        experiment_id=str(raw.get("experiment_id", "")),
        user_id=raw.get("user_id", ""),
        status=raw.get("status", "RUNNING"),
        start_time=int_or_none(raw.get("start_time")),
        end_time=int_or_none(raw.get("end_time")),
        lifecycle_stage=raw.get("lifecycle_stage", "active"),
        artifact_uri=raw.get("artifact_uri", ""),
        run_name=raw.get("run_name"),
    )


def metric_from_json(raw: dict, run_id: str | None = None) -> Metric:
    return Metric(
        raw["key"],
        _float(raw.get("value", 0.0)),
        int_or_none(raw.get("timestamp")) or 0,
        int_or_none(raw.get("step")) or 0,
        run_id,
    )


def run_from_json(raw: dict) -> Run:
    data = raw.get("data") or {}
    info = run_info_from_json(raw["info"])
    run_data = RunData(
        metrics=[metric_from_json(m) for m in data.get("metrics") or []],
        params=[Param(p["key"], p.get("value", "")) for p in data.get("params") or []],
        tags=[RunTag(t["key"], t.get("value", "")) for t in data.get("tags") or []],
    )
    inputs = (raw.get("inputs") or {}).get("dataset_inputs") or []
    return Run(info, run_data, RunInputs(inputs))
