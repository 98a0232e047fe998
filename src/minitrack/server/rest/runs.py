"""``runs/*``, ``metrics/get-history`` and ``artifacts/list``: a run's life and its logging."""

from __future__ import annotations

from minitrack.entities import Metric, Param, RunStatus, RunTag, ViewType
from minitrack.server.rest import shapes
from minitrack.server.rest.experiments import VIEW_TYPES
from minitrack.server.rest.request import Fields

STATUSES = dict(RunStatus._NAMES)


def _run_id(f: Fields) -> str:
    # MLflow's older clients send run_uuid; newer ones send both.
    return f.str("run_id", required=True, alias="run_uuid")


def create(client, f: Fields) -> dict:
    run = client.create_run(
        f.str("experiment_id", required=True),
        start_time=f.int("start_time"),
        tags=f.tags(),
        run_name=f.str("run_name") or None,
        user_id=f.str("user_id"),
    )
    return {"run": shapes.run(run)}


def get(client, f: Fields) -> dict:
    return {"run": shapes.run(client.get_run(_run_id(f)))}


def update(client, f: Fields) -> dict:
    run_id = _run_id(f)
    status = f.enum("status", STATUSES, 0) or None
    status_name = RunStatus.to_string(status) if status else None
    end_time = f.int("end_time")
    run_name = f.str("run_name")
    if end_time is not None:
        current = status_name or client.get_run(run_id).info.status
        client.set_terminated(run_id, current, end_time)
        if run_name:
            client.update_run(run_id, name=run_name)
    else:
        client.update_run(run_id, status=status_name, name=run_name or None)
    return {"run_info": shapes.run_info(client.get_run(run_id).info)}


def delete(client, f: Fields) -> dict:
    client.delete_run(f.str("run_id", required=True))
    return {}


def restore(client, f: Fields) -> dict:
    client.restore_run(f.str("run_id", required=True))
    return {}


def search(client, f: Fields) -> dict:
    page = client.search_runs(
        f.str_list("experiment_ids"),
        filter_string=f.str("filter", default=""),
        run_view_type=f.enum("run_view_type", VIEW_TYPES, ViewType.ACTIVE_ONLY),
        max_results=f.int("max_results", default=1000),
        order_by=f.str_list("order_by") or None,
        page_token=f.str("page_token") or None,
    )
    out = {"runs": [shapes.run(r) for r in page]}
    if page.token:
        out["next_page_token"] = page.token
    return out


def _metric(f: Fields) -> Metric:
    return Metric(
        f.str("key", required=True),
        f.float("value", required=True),
        f.int("timestamp", required=True),
        f.int("step", default=0),
    )


def log_metric(client, f: Fields) -> dict:
    m = _metric(f)
    client.log_metric(_run_id(f), m.key, m.value, m.timestamp, m.step)
    return {}


def log_param(client, f: Fields) -> dict:
    client.log_param(_run_id(f), f.str("key", required=True), f.str("value", default=""))
    return {}


def set_tag(client, f: Fields) -> dict:
    client.set_tag(_run_id(f), f.str("key", required=True), f.str("value", default=""))
    return {}


def delete_tag(client, f: Fields) -> dict:
    client.delete_tag(f.str("run_id", required=True), f.str("key", required=True))
    return {}


def log_batch(client, f: Fields) -> dict:
    run_id = f.str("run_id", required=True)
    metrics = [_metric(m) for m in f.objects("metrics")]
    params = [Param(p.str("key", required=True), p.str("value", default="")) for p in
              f.objects("params")]  # fmt: skip
    tags = [RunTag(t.str("key", required=True), t.str("value", default="")) for t in
            f.objects("tags")]  # fmt: skip
    client.log_batch(run_id, metrics, params, tags)
    return {}


def metric_history(client, f: Fields) -> dict:
    run_id = _run_id(f)
    key = f.str("metric_key", required=True)
    history = client.get_metric_history(run_id, key)
    max_results = f.int("max_results")
    out: dict = {}
    if max_results is not None:
        from minitrack.client import _decode_token, _encode_token

        if max_results <= 0:
            from minitrack.exceptions import MinitrackException

            raise MinitrackException(
                f"Invalid value {max_results} for parameter 'max_results' supplied. "
                "It must be a positive integer."
            )
        offset = _decode_token(f.str("page_token"))
        page = history[offset : offset + max_results]
        if offset + max_results < len(history):
            out["next_page_token"] = _encode_token(offset + max_results)
        history = page
    out["metrics"] = [shapes.metric(m) for m in history]
    return out


def list_artifacts(client, f: Fields) -> dict:
    run_id = _run_id(f)
    run = client.get_run(run_id)
    files = client.list_artifacts(run_id, f.str("path") or None)
    return {"root_uri": run.info.artifact_uri, "files": [shapes.file_info(x) for x in files]}


def log_inputs(client, f: Fields) -> dict:
    # Datasets and model inputs are accepted and checked, not stored: minitrack runs have
    # no inputs table (MLflow's client sends them from autolog and log_input).
    run_id = f.str("run_id", required=True)
    f.objects("datasets")
    f.objects("models")
    client.get_run(run_id)
    return {}


ROUTES = [
    ("POST", "runs/create", create),
    ("GET", "runs/get", get),
    ("POST", "runs/update", update),
    ("POST", "runs/delete", delete),
    ("POST", "runs/restore", restore),
    ("POST", "runs/search", search),
    ("POST", "runs/log-metric", log_metric),
    ("POST", "runs/log-parameter", log_param),
    ("POST", "runs/set-tag", set_tag),
    ("POST", "runs/delete-tag", delete_tag),
    ("POST", "runs/log-batch", log_batch),
    ("POST", "runs/log-inputs", log_inputs),
    ("GET", "metrics/get-history", metric_history),
    ("GET", "artifacts/list", list_artifacts),
]
