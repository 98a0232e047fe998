"""The JSON API under ``/api/`` that the pages use. It only reads.

Errors come back as ``{"error_code": ..., "message": ...}`` (MLflow's shape) with
400 for bad input (a filter that does not parse, a malformed artifact path) and
404 for anything that does not exist or lies outside a run's artifacts.
"""

from __future__ import annotations

import os

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from minitrack.client import MlflowClient
from minitrack.exceptions import (
    INTERNAL_ERROR,
    RESOURCE_DOES_NOT_EXIST,
    TEMPORARILY_UNAVAILABLE,
    MinitrackException,
)
from minitrack.server import artifact_files, registry_views, views

MAX_PAGE_SIZE = 1000
MAX_COMPARE_RUNS = 100
# What a browser may do with an artifact response: show it, never run it.
ARTIFACT_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
# The HTTP status of each error code; anything else is the caller's mistake (400).
STATUS = {RESOURCE_DOES_NOT_EXIST: 404, TEMPORARILY_UNAVAILABLE: 503, INTERNAL_ERROR: 500}


def error(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error_code": code, "message": message}, status, headers=headers)


def _client(request: Request) -> MlflowClient:
    return request.app.state.client


def _handle(fn):
    """Turn every MinitrackException into MLflow's JSON error shape and its status."""

    def endpoint(request: Request) -> Response:
        try:
            return fn(request)
        except MinitrackException as exc:
            status = STATUS.get(exc.error_code, 400)
            headers = {"Retry-After": "2"} if status == 503 else None
            return error(status, exc.error_code, exc.message, headers)

    endpoint.__name__ = fn.__name__
    endpoint.__doc__ = fn.__doc__
    return endpoint


def _int_arg(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise MinitrackException(f"'{name}' must be a whole number, got {raw[:40]!r}.") from None
    if not low <= value <= high:
        raise MinitrackException(f"'{name}' must be between {low} and {high}, got {value}.")
    return value


def _view_type(request: Request) -> int:
    """``?deleted=1`` shows deleted experiments and runs beside the active ones."""
    from minitrack.entities import ViewType

    return (
        ViewType.ALL
        if request.query_params.get("deleted") in ("1", "true")
        else (ViewType.ACTIVE_ONLY)
    )


@_handle
def list_experiments(request: Request) -> Response:
    """GET /api/experiments: every active experiment (with ?deleted=1 the deleted ones too)
    with run count and last activity."""
    return JSONResponse({"experiments": views.experiments(_client(request), _view_type(request))})


@_handle
def get_experiment(request: Request) -> Response:
    """GET /api/experiments/{experiment_id}"""
    exp = views.experiment(_client(request), request.path_params["experiment_id"])
    return JSONResponse({"experiment": exp})


@_handle
def experiment_columns(request: Request) -> Response:
    """GET /api/experiments/{experiment_id}/columns: the keys a user can add as columns."""
    client = _client(request)
    exp_id = views.path_experiment_id(request.path_params["experiment_id"])
    client.get_experiment(exp_id)  # 404 for an unknown experiment
    return JSONResponse(client.run_keys(exp_id))


@_handle
def search_runs(request: Request) -> Response:
    """GET /api/experiments/{experiment_id}/runs: one filtered, sorted page of runs."""
    client = _client(request)
    q = request.query_params
    exp_id = request.path_params["experiment_id"]
    limit = _int_arg(request, "limit", 50, 1, MAX_PAGE_SIZE)
    offset = _int_arg(request, "offset", 0, 0, 10**9)
    client.get_experiment(views.path_experiment_id(exp_id))  # 404 for an unknown experiment
    page = views.runs_page(
        client,
        exp_id,
        filter_string=q.get("filter", ""),
        order_by=q.getlist("order_by"),
        offset=offset,
        limit=limit,
        metric_keys=q.getlist("metric"),
        param_keys=q.getlist("param"),
        tag_keys=q.getlist("tag"),
        run_view_type=_view_type(request),
    )
    return JSONResponse({**page, "offset": offset, "limit": limit})


@_handle
def get_run(request: Request) -> Response:
    """GET /api/runs/{run_id}: info, params, latest metrics, tags and description."""
    return JSONResponse({"run": views.run(_client(request), request.path_params["run_id"])})


@_handle
def compare_runs(request: Request) -> Response:
    """GET /api/compare?run_id=a&run_id=b: several runs with all params, metrics and tags."""
    run_ids = list(dict.fromkeys(request.query_params.getlist("run_id")))
    if not run_ids:
        raise MinitrackException("Name the runs to compare: /api/compare?run_id=A&run_id=B.")
    if len(run_ids) > MAX_COMPARE_RUNS:
        raise MinitrackException(f"Compare at most {MAX_COMPARE_RUNS} runs at a time.")
    return JSONResponse({"runs": views.compare(_client(request), run_ids)})


@_handle
def metric_history(request: Request) -> Response:
    """GET /api/metric-history?run_id=a&run_id=b&key=rmse: every logged value per run."""
    key = request.query_params.get("key")
    run_ids = list(dict.fromkeys(request.query_params.getlist("run_id")))
    if not key or not run_ids:
        raise MinitrackException("Give a metric 'key' and at least one 'run_id'.")
    if len(run_ids) > MAX_COMPARE_RUNS:
        raise MinitrackException(f"Ask for at most {MAX_COMPARE_RUNS} runs at a time.")
    histories = views.metric_histories(_client(request), run_ids, key)
    return JSONResponse({"key": key, "histories": histories})


@_handle
def list_artifacts(request: Request) -> Response:
    """GET /api/runs/{run_id}/artifacts?path=dir: one folder of the run's artifacts."""
    path = request.query_params.get("path", "")
    client, run_id = _client(request), request.path_params["run_id"]
    files = artifact_files.list_dir(client, run_id, path)
    uri = client.get_run(run_id).info.artifact_uri
    return JSONResponse({"root_uri": uri, "path": path, "files": files})


@_handle
def preview_artifact(request: Request) -> Response:
    """GET /api/runs/{run_id}/artifacts/preview?path=file: the first bytes as text."""
    path = request.query_params.get("path", "")
    preview = artifact_files.preview(_client(request), request.path_params["run_id"], path)
    return JSONResponse(preview.as_dict())


@_handle
def get_artifact(request: Request) -> Response:
    """GET /api/runs/{run_id}/artifacts/file?path=file[&download=1]: the file itself."""
    path = request.query_params.get("path", "")
    target = artifact_files.file_path(_client(request), request.path_params["run_id"], path)
    with open(target, "rb") as fh:
        head = fh.read(4096)
    media_type = artifact_files.safe_media_type(target, head)
    name = os.path.basename(target)
    download = request.query_params.get("download") in ("1", "true")
    headers = {"Content-Security-Policy": ARTIFACT_CSP}
    return FileResponse(
        target,
        media_type=media_type,
        headers=headers,
        filename=name if download else None,
        content_disposition_type="attachment" if download else "inline",
    )


async def not_found(request: Request, exc) -> Response:
    """The app's 404 handler: under /api/ (a '%2F' in an id lands here too) a JSON 404."""
    if not request.url.path.startswith("/api/"):
        return PlainTextResponse(exc.detail, exc.status_code)
    message = f"No API endpoint at {request.url.path[:200]!r}: see docs/ui-api.md for the routes."
    return error(404, RESOURCE_DOES_NOT_EXIST, message)


@_handle
def store_info(request: Request) -> Response:
    """Which store this server shows, so that `course where` can tell a student whose UI
    looks empty that it is serving another file than the one their lessons write to."""
    state = request.app.state
    return JSONResponse(
        {
            "server": "minitrack",
            "backend_store_uri": state.backend_store_uri,
            "path": state.store_path,
            "default_artifact_root": state.default_artifact_root,
            "artifacts_destination": state.artifacts_destination if state.serve_artifacts else None,
            "cwd": state.cwd,
        }
    )


@_handle
def list_models(request: Request) -> Response:
    """GET /api/models?filter=...&order_by=...: registered models, with the registry grammar."""
    q = request.query_params
    limit = _int_arg(request, "limit", 100, 1, MAX_PAGE_SIZE)
    page = registry_views.models_page(
        _client(request), q.get("filter", ""), q.getlist("order_by"), limit, q.get("page_token")
    )
    return JSONResponse(page)


@_handle
def get_model(request: Request) -> Response:
    """GET /api/models/{name}: the model and every version, newest first."""
    return JSONResponse(registry_views.model(_client(request), request.path_params["name"]))


@_handle
def version_mlmodel(request: Request) -> Response:
    """GET /api/models/{name}/versions/{version}/mlmodel: the version's MLmodel as text."""
    p = request.path_params
    return JSONResponse(registry_views.version_mlmodel(_client(request), p["name"], p["version"]))


routes = [
    Route("/api/store", store_info),
    Route("/api/experiments", list_experiments),
    Route("/api/experiments/{experiment_id}", get_experiment),
    Route("/api/experiments/{experiment_id}/columns", experiment_columns),
    Route("/api/experiments/{experiment_id}/runs", search_runs),
    Route("/api/runs/{run_id}", get_run),
    Route("/api/runs/{run_id}/artifacts", list_artifacts),
    Route("/api/runs/{run_id}/artifacts/preview", preview_artifact),
    Route("/api/runs/{run_id}/artifacts/file", get_artifact),
    Route("/api/compare", compare_runs),
    Route("/api/metric-history", metric_history),
    Route("/api/models", list_models),
    Route("/api/models/{name}", get_model),
    Route("/api/models/{name}/versions/{version}/mlmodel", version_mlmodel),
]
