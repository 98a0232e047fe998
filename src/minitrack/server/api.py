"""The JSON API under ``/api/`` that the pages use. It only reads.

Errors come back as ``{"error_code": ..., "message": ...}`` (MLflow's shape) with
400 for bad input (a filter that does not parse, a malformed artifact path) and
404 for anything that does not exist or lies outside a run's artifacts.
"""

from __future__ import annotations

import os
import sqlite3

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from minitrack.exceptions import RESOURCE_DOES_NOT_EXIST, MinitrackException
from minitrack.server import artifact_files
from minitrack.store.overview import StoreReader

MAX_PAGE_SIZE = 1000
MAX_COMPARE_RUNS = 100
# What a browser may do with an artifact response: show it, never run it.
ARTIFACT_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error_code": code, "message": message}, status_code=status)


def _reader(request: Request) -> StoreReader:
    return request.app.state.reader


def _handle(fn):
    """Turn MinitrackException and bad artifact paths into JSON errors."""

    def endpoint(request: Request) -> Response:
        try:
            return fn(request)
        except artifact_files.BadArtifactPath as exc:
            return error(400, "INVALID_PARAMETER_VALUE", f"Invalid artifact path: {exc}.")
        except artifact_files.ArtifactNotFound as exc:
            return error(404, RESOURCE_DOES_NOT_EXIST, f"Artifact not found: {exc}.")
        except MinitrackException as exc:
            status = 404 if exc.error_code == RESOURCE_DOES_NOT_EXIST else 400
            return error(status, exc.error_code, exc.message)
        except sqlite3.DatabaseError as exc:
            store = request.app.state.reader.db_path
            return error(
                500,
                "INTERNAL_ERROR",
                f"Could not read the tracking store {store}: {exc}. Check that it is a "
                "minitrack/MLflow SQLite file (minitrack ui --backend-store-uri sqlite:///...).",
            )

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
        raise MinitrackException(f"'{name}' must be a whole number, got {raw!r}.") from None
    if not low <= value <= high:
        raise MinitrackException(f"'{name}' must be between {low} and {high}, got {value}.")
    return value


@_handle
def list_experiments(request: Request) -> Response:
    """GET /api/experiments: every active experiment with run count and last activity."""
    return JSONResponse({"experiments": _reader(request).experiments()})


@_handle
def get_experiment(request: Request) -> Response:
    """GET /api/experiments/{experiment_id}"""
    exp = _reader(request).experiment(request.path_params["experiment_id"])
    return JSONResponse({"experiment": exp})


@_handle
def experiment_columns(request: Request) -> Response:
    """GET /api/experiments/{experiment_id}/columns: the keys a user can add as columns."""
    reader = _reader(request)
    exp_id = request.path_params["experiment_id"]
    reader.experiment(exp_id)  # 404 for an unknown experiment
    return JSONResponse(reader.column_keys(exp_id))


@_handle
def search_runs(request: Request) -> Response:
    """GET /api/experiments/{experiment_id}/runs: one filtered, sorted page of runs."""
    reader = _reader(request)
    q = request.query_params
    exp_id = request.path_params["experiment_id"]
    limit = _int_arg(request, "limit", 50, 1, MAX_PAGE_SIZE)
    offset = _int_arg(request, "offset", 0, 0, 10**9)
    page = reader.runs_page(
        [exp_id],
        filter_string=q.get("filter", ""),
        order_by=q.getlist("order_by"),
        offset=offset,
        limit=limit,
        metric_keys=q.getlist("metric"),
        param_keys=q.getlist("param"),
        tag_keys=q.getlist("tag"),
    )
    return JSONResponse({**page, "offset": offset, "limit": limit})


@_handle
def get_run(request: Request) -> Response:
    """GET /api/runs/{run_id}: info, params, latest metrics, tags and description."""
    return JSONResponse({"run": _reader(request).run(request.path_params["run_id"])})


@_handle
def compare_runs(request: Request) -> Response:
    """GET /api/compare?run_id=a&run_id=b: several runs with all params, metrics and tags."""
    run_ids = list(dict.fromkeys(request.query_params.getlist("run_id")))
    if not run_ids:
        raise MinitrackException("Name the runs to compare: /api/compare?run_id=A&run_id=B.")
    if len(run_ids) > MAX_COMPARE_RUNS:
        raise MinitrackException(f"Compare at most {MAX_COMPARE_RUNS} runs at a time.")
    runs = _reader(request).runs(run_ids)
    missing = sorted(set(run_ids) - {r["run_id"] for r in runs})
    if missing:
        raise MinitrackException(
            f"No run with id {missing[0]!r}.", error_code=RESOURCE_DOES_NOT_EXIST
        )
    return JSONResponse({"runs": runs})


@_handle
def metric_history(request: Request) -> Response:
    """GET /api/metric-history?run_id=a&run_id=b&key=rmse: every logged value per run."""
    key = request.query_params.get("key")
    run_ids = list(dict.fromkeys(request.query_params.getlist("run_id")))
    if not key or not run_ids:
        raise MinitrackException("Give a metric 'key' and at least one 'run_id'.")
    if len(run_ids) > MAX_COMPARE_RUNS:
        raise MinitrackException(f"Ask for at most {MAX_COMPARE_RUNS} runs at a time.")
    return JSONResponse({"key": key, "histories": _reader(request).metric_history(run_ids, key)})


@_handle
def list_artifacts(request: Request) -> Response:
    """GET /api/runs/{run_id}/artifacts?path=dir: one folder of the run's artifacts."""
    path = request.query_params.get("path", "")
    uri = _reader(request).artifact_uri(request.path_params["run_id"])
    return JSONResponse(
        {"root_uri": uri, "path": path, "files": artifact_files.list_dir(uri, path)}
    )


@_handle
def preview_artifact(request: Request) -> Response:
    """GET /api/runs/{run_id}/artifacts/preview?path=file: the first bytes as text."""
    path = request.query_params.get("path", "")
    uri = _reader(request).artifact_uri(request.path_params["run_id"])
    return JSONResponse(artifact_files.preview(uri, path).as_dict())


@_handle
def get_artifact(request: Request) -> Response:
    """GET /api/runs/{run_id}/artifacts/file?path=file[&download=1]: the file itself."""
    path = request.query_params.get("path", "")
    uri = _reader(request).artifact_uri(request.path_params["run_id"])
    target = artifact_files.resolve(uri, path)
    if not os.path.isfile(target):
        raise artifact_files.ArtifactNotFound(f"{path!r} is not a file")
    with open(target, "rb") as fh:
        head = fh.read(4096)
    media_type = artifact_files.safe_media_type(target, head)
    name = path.rsplit("/", 1)[-1]
    download = request.query_params.get("download") in ("1", "true")
    headers = {"Content-Security-Policy": ARTIFACT_CSP}
    return FileResponse(
        target,
        media_type=media_type,
        headers=headers,
        filename=name if download else None,
        content_disposition_type="attachment" if download else "inline",
    )


routes = [
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
]
