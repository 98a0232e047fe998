"""The JSON the UI's pages read, shaped from the client's entities.

One function per payload; each takes the app's read-only ``MlflowClient``. JSON has
no NaN or infinity, so a non-finite metric value is sent as ``null`` and its key is
listed in the run's ``nan_metrics`` (NaN) or ``special_metrics`` (key -> "Infinity"
or "-Infinity").
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from minitrack import validation
from minitrack.client import MlflowClient
from minitrack.context import (
    MLFLOW_GIT_COMMIT,
    MLFLOW_PARENT_RUN_ID,
    MLFLOW_RUN_NOTE,
    MLFLOW_SOURCE_NAME,
    MLFLOW_USER,
)
from minitrack.entities import Experiment, Metric, Run, ViewType
from minitrack.exceptions import RESOURCE_DOES_NOT_EXIST, MinitrackException
from minitrack.server.registry_views import registrations_of_run
from minitrack.store import ExperimentActivity

MODEL_HISTORY_TAG = "mlflow.log-model.history"
# Tags the runs table always shows as its fixed columns.
FIXED_TAGS = (
    MLFLOW_USER,
    MLFLOW_SOURCE_NAME,
    MLFLOW_GIT_COMMIT,
    MODEL_HISTORY_TAG,
    MLFLOW_PARENT_RUN_ID,
)


def path_experiment_id(value: str) -> str:
    """An experiment id from a URL: one that cannot exist is simply not found (404)."""
    try:
        return validation.experiment_id(value)
    except MinitrackException:
        raise MinitrackException(
            f"No experiment with id {value[:40]!r}: experiment ids are whole numbers such "
            "as '0' or '12'.",
            RESOURCE_DOES_NOT_EXIST,
        ) from None


def json_number(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _experiment_row(exp: Experiment, activity: ExperimentActivity | None) -> dict:
    return {
        "experiment_id": exp.experiment_id,
        "name": exp.name,
        "artifact_location": exp.artifact_location,
        "lifecycle_stage": exp.lifecycle_stage,
        "creation_time": exp.creation_time,
        "run_count": activity.run_count if activity else 0,
        "last_activity": activity.last_activity if activity else None,
    }


def experiments(client: MlflowClient, view_type: int = ViewType.ACTIVE_ONLY) -> list[dict]:
    """Every experiment with its number of active runs and last activity (ms)."""
    found = sorted(
        client.search_experiments(view_type=view_type, max_results=None),
        key=lambda e: int(e.experiment_id),
    )
    activity = client.experiment_activity([e.experiment_id for e in found])
    return [_experiment_row(exp, activity.get(exp.experiment_id)) for exp in found]


def experiment(client: MlflowClient, experiment_id: str) -> dict:
    exp = client.get_experiment(path_experiment_id(experiment_id))
    activity = client.experiment_activity([exp.experiment_id]).get(exp.experiment_id)
    return {**_experiment_row(exp, activity), "tags": exp.tags}


def _pick(values: dict, keys: Iterable[str] | None) -> dict:
    if keys is None:
        return dict(values)
    return {k: values[k] for k in dict.fromkeys(keys) if k in values}


def run_row(run: Run, metric_keys=None, param_keys=None, tag_keys=None) -> dict:
    """One run as the pages show it; ``None`` keys mean every key."""
    info, data = run.info, run.data
    metrics = _pick(data.metrics, metric_keys)
    row = {
        "run_id": info.run_id,
        "run_name": info.run_name or data.tags.get("mlflow.runName"),
        "experiment_id": info.experiment_id,
        "user_id": info.user_id,
        "status": info.status,
        "start_time": info.start_time,
        "end_time": info.end_time,
        "lifecycle_stage": info.lifecycle_stage,
        "artifact_uri": info.artifact_uri,
        "metrics": {k: json_number(v) for k, v in metrics.items()},
        "params": _pick(data.params, param_keys),
        "tags": _pick(data.tags, tag_keys),
    }
    nan = [k for k, v in metrics.items() if v != v]
    if nan:
        row["nan_metrics"] = nan
    special = {
        k: "Infinity" if v > 0 else "-Infinity" for k, v in metrics.items() if abs(v) == math.inf
    }
    if special:
        row["special_metrics"] = special
    return row


def runs_page(
    client: MlflowClient,
    experiment_id: str,
    filter_string: str,
    order_by: list[str],
    offset: int,
    limit: int,
    metric_keys: list[str],
    param_keys: list[str],
    tag_keys: list[str],
    run_view_type: int = ViewType.ACTIVE_ONLY,
) -> dict:
    """One filtered, sorted page of the runs table with the chosen columns."""
    runs, total = client.search_run_page(
        [path_experiment_id(experiment_id)],
        filter_string,
        order_by,
        limit,
        offset,
        run_view_type=run_view_type,
    )
    rows = [run_row(r, metric_keys, param_keys, [*tag_keys, *FIXED_TAGS]) for r in runs]
    return {"total": total, "runs": rows}


def run(client: MlflowClient, run_id: str) -> dict:
    found = client.get_run(run_id)
    row = run_row(found)
    row["description"] = found.data.tags.get(MLFLOW_RUN_NOTE, "")
    try:
        row["experiment_name"] = client.get_experiment(found.info.experiment_id).name
    except MinitrackException:
        row["experiment_name"] = None
    row["registered_versions"] = registrations_of_run(client, found.info.run_id)
    return row


def compare(client: MlflowClient, run_ids: list[str]) -> list[dict]:
    runs = client.load_runs(run_ids)
    missing = [r for r in run_ids if r not in {run.info.run_id for run in runs}]
    if missing:
        raise MinitrackException(f"No run with id {missing[0]!r}.", RESOURCE_DOES_NOT_EXIST)
    return [run_row(r) for r in runs]


def _point(metric: Metric) -> dict:
    return {"step": metric.step, "timestamp": metric.timestamp, "value": json_number(metric.value)}


def metric_histories(client: MlflowClient, run_ids: list[str], key: str) -> dict:
    found = client.get_metric_histories(run_ids, key)
    return {run_id: [_point(m) for m in found[run_id]] for run_id in run_ids}
