"""REST endpoints as Starlette routes: read the request, call the handler, shape errors.

Every error is MLflow's ``{"error_code", "message"}`` with its HTTP status; a busy or
locked store is 503 with ``Retry-After`` (MLflow's client retries those). Handlers run
in a worker thread, so many clients can log at once while the store serialises writes.
"""

from __future__ import annotations

import json
import sys
import traceback

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match, Route

from minitrack.exceptions import (
    INTERNAL_ERROR,
    RESOURCE_DOES_NOT_EXIST,
    TEMPORARILY_UNAVAILABLE,
    MinitrackException,
)
from minitrack.server.rest.request import (
    JSON_BODY_LIMIT,
    REQUEST_ENTITY_TOO_LARGE,
    BodyTooLarge,
    Fields,
    parse_json,
    query_fields,
)

PREFIXES = ("/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/")
# MLflow's HTTP status for each error code (databricks.proto); others are 400.
STATUS = {
    RESOURCE_DOES_NOT_EXIST: 404,
    "ENDPOINT_NOT_FOUND": 404,
    TEMPORARILY_UNAVAILABLE: 503,
    INTERNAL_ERROR: 500,
    "PERMISSION_DENIED": 403,
    "UNAUTHENTICATED": 401,
    "REQUEST_LIMIT_EXCEEDED": 429,
    REQUEST_ENTITY_TOO_LARGE: 413,
    "NOT_IMPLEMENTED": 501,
}
RETRY_AFTER_S = 2


class RestBackend:
    """The REST face's read-write client, opened on first use (so a UI that is only
    browsed never opens, creates or migrates the store for writing)."""

    def __init__(self, backend_store_uri: str, default_artifact_root: str | None,
                 artifacts_destination: str | None) -> None:  # fmt: skip
        import threading

        self._args = (backend_store_uri, default_artifact_root, artifacts_destination)
        self._client = None
        self._lock = threading.Lock()

    def client(self):
        if self._client is None:
            from minitrack.client import MlflowClient

            uri, root, destination = self._args
            with self._lock:
                if self._client is None:
                    self._client = MlflowClient(
                        uri, default_artifact_root=root, artifacts_destination=destination
                    )
        return self._client


def error_response(exc: MinitrackException) -> JSONResponse:
    status = STATUS.get(exc.error_code, 400)
    headers = {"Retry-After": str(RETRY_AFTER_S)} if status == 503 else None
    return JSONResponse({"error_code": exc.error_code, "message": exc.message}, status, headers)


def json_response(payload: dict) -> Response:
    body = json.dumps(payload, allow_nan=False, separators=(",", ":"))
    return Response(body, media_type="application/json")


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refused (413) as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _require_json(request: Request) -> None:
    """Writes take JSON only: a cross-site HTML form can send form-encoded or text/plain
    bodies without a preflight, never application/json."""
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind != "application/json":
        raise MinitrackException(
            "Bad Request. Content-Type must be application/json "
            f"(this request sent {kind or 'none'})."
        )


async def request_fields(request: Request) -> Fields:
    if request.method in ("GET", "HEAD"):
        if request.query_params:
            return query_fields(request.query_params)
        # MLflow's client sends GET parameters as a query string; accept a JSON body too.
        body = await read_body(request, JSON_BODY_LIMIT)
        if body.strip():
            _require_json(request)
        return Fields(parse_json(body))
    _require_json(request)
    return Fields(parse_json(await read_body(request, JSON_BODY_LIMIT)))


def log_unexpected(request: Request) -> JSONResponse:
    print(f"minitrack server: {request.method} {request.url.path} failed:", file=sys.stderr)
    traceback.print_exc()
    return JSONResponse(
        {"error_code": INTERNAL_ERROR, "message": "Internal error; the server log has details."},
        500,
    )


def endpoint(handler):
    """A Starlette endpoint running ``handler(client, fields, **path_params)``."""

    async def run(request: Request) -> Response:
        try:
            fields = await request_fields(request)
            client = await run_in_threadpool(request.app.state.rest.client)
            payload = await run_in_threadpool(handler, client, fields, **request.path_params)
            return json_response(payload)
        except MinitrackException as exc:
            return error_response(exc)
        except Exception:
            return log_unexpected(request)

    run.__name__ = handler.__name__
    return run


def not_found(request: Request) -> Response:
    return error_response(
        MinitrackException(
            f"No REST endpoint {request.method} {request.url.path} on this server "
            "(docs/rest-api.md lists the ones minitrack serves).",
            "ENDPOINT_NOT_FOUND",
        )
    )


def method_not_allowed(request: Request, allowed) -> Response:
    """405 in MLflow's error shape (MLflow's own server answers an HTML page here)."""
    allowed = sorted(allowed)
    response = error_response(
        MinitrackException(
            f"{request.url.path} takes {' or '.join(allowed)}, not {request.method}.",
            "ENDPOINT_NOT_FOUND",
        )
    )
    response.status_code = 405
    response.headers["Allow"] = ", ".join(allowed)
    return response


# The methods the catch-all answers, so a wrong one gets JSON, not Starlette's text.
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def dispatcher(handlers: dict):
    """One endpoint for a path with several methods: the handler of the request's method."""
    eps = {m: endpoint(h) for m, h in handlers.items()}

    async def ep(request: Request) -> Response:
        run = eps.get(request.method) or eps["GET"]  # Starlette lets HEAD in with GET
        return await run(request)

    return ep


def fallback(known: list[Route]):
    """The catch-all: 405 when a known path takes other methods, else 404."""

    async def answer(request: Request) -> Response:
        allowed = set()
        for route in known:
            if route.matches(request.scope)[0] == Match.PARTIAL:
                allowed |= route.methods - {"HEAD"}
        return method_not_allowed(request, allowed) if allowed else not_found(request)

    return answer


def routes(families) -> list[Route]:
    """One Route per (path, methods) under each prefix, for every family's ROUTES."""
    by_path: dict[str, dict[str, object]] = {}
    for family in families:
        for method, path, handler in family.ROUTES:
            by_path.setdefault(path, {})[method] = handler
    out = []
    for path, handlers in by_path.items():
        if len(handlers) == 1:
            (handler,) = handlers.values()
            ep = endpoint(handler)
        else:
            ep = dispatcher(handlers)
        for prefix in PREFIXES:
            out.append(Route(prefix + path, ep, methods=list(handlers)))
    catch_all = fallback(list(out))
    for prefix in PREFIXES:
        out.append(Route(prefix + "{rest:path}", catch_all, methods=METHODS))
    return out
