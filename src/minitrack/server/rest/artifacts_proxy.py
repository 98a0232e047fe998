"""The artifact proxy, ``/api/2.0/mlflow-artifacts/artifacts``: upload, download, list.

What MLflow's server does with ``--serve-artifacts``: runs get ``mlflow-artifacts:/``
URIs and the client moves files through these endpoints, into ``--artifacts-destination``.

Every path follows the one artifact-path rule in its strict (folder) form, so ``..``,
``.``, empty parts, absolute paths and percent-encoded forms of them are refused, and
is resolved through ``resolve_inside``: a symlink out of the destination is refused
too. Uploads stream into a temporary file beside the target (at most
``--max-upload-size`` bytes) and are renamed into place whole.
"""

from __future__ import annotations

import os
import posixpath
from urllib.parse import unquote

import anyio.from_thread
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from minitrack.artifacts.local import LocalArtifactRepository
from minitrack.artifacts.paths import ArtifactPathError, folder_path
from minitrack.exceptions import RESOURCE_DOES_NOT_EXIST, MinitrackException
from minitrack.server.rest import shapes
from minitrack.server.rest.request import BodyTooLarge
from minitrack.server.rest.routing import (
    error_response,
    json_response,
    log_unexpected,
    method_not_allowed,
)

PREFIX = "/api/2.0/mlflow-artifacts/artifacts"
# What a browser may do with a downloaded artifact: show it, never run it.
ARTIFACT_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def proxy_relative(path: str, *, allow_root: bool = False) -> str:
    """A path under the destination, in strict normal form."""
    decoded = path
    for _ in range(3):  # %2e%2e, %252e%252e: a name that decodes to traversal is refused
        decoded = unquote(decoded)
        folder_path(decoded, "artifact path")
    rel = folder_path(path, "artifact path")
    if not rel and not allow_root:
        raise ArtifactPathError("Give an artifact path, e.g. '1/<run_id>/artifacts/model.pkl'.")
    return rel


def _repository(request: Request) -> LocalArtifactRepository:
    state = request.app.state
    if not state.serve_artifacts:
        raise MinitrackException(
            f"Endpoint: {request.url.path} disabled due to the mlflow server running with "
            "`--no-serve-artifacts`. To enable artifacts server functionality, run "
            "`minitrack server` with `--serve-artifacts`",
            "ENDPOINT_NOT_FOUND",
        )
    return LocalArtifactRepository(state.artifacts_destination)


def _guard(fn):
    async def run(request: Request) -> Response:
        try:
            return await fn(request)
        except MinitrackException as exc:
            return error_response(exc)
        except Exception:
            return log_unexpected(request)

    run.__name__ = fn.__name__
    return run


@_guard
async def upload(request: Request) -> Response:
    repo = _repository(request)
    rel = proxy_relative(request.path_params["path"])
    limit = request.app.state.max_upload_size
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    stream = request.stream().__aiter__()

    def chunks():
        size = 0
        while True:
            try:
                chunk = anyio.from_thread.run(stream.__anext__)
            except StopAsyncIteration:
                return
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge(limit)
            yield chunk

    os.makedirs(repo.root, exist_ok=True)
    await run_in_threadpool(repo.write_stream, rel, chunks())
    return json_response({})


@_guard
async def download(request: Request) -> Response:
    repo = _repository(request)
    rel = proxy_relative(request.path_params["path"])
    target = repo.local_path(rel, "artifact path")
    if not os.path.isfile(target):
        raise MinitrackException(
            f"{rel!r} is a folder, not a file: list it with ?path=.", RESOURCE_DOES_NOT_EXIST
        )
    return FileResponse(
        target,
        media_type="application/octet-stream",
        headers={"Content-Security-Policy": ARTIFACT_CSP},
        filename=posixpath.basename(rel),
    )


@_guard
async def list_files(request: Request) -> Response:
    repo = _repository(request)
    rel = proxy_relative(request.query_params.get("path", ""), allow_root=True)
    if not os.path.isdir(repo.root):
        return json_response({})
    files = await run_in_threadpool(repo.list, rel)
    return json_response(
        {"files": [shapes.file_info(f, posixpath.basename(f.path)) for f in files]} if files else {}
    )


async def _listing_only(request: Request) -> Response:
    return method_not_allowed(request, ["GET"])


async def _files_only(request: Request) -> Response:
    return method_not_allowed(request, ["GET", "PUT"])


routes = [
    Route(PREFIX, list_files, methods=["GET"]),
    Route(PREFIX + "/{path:path}", download, methods=["GET"]),
    Route(PREFIX + "/{path:path}", upload, methods=["PUT"]),
    # Any other method: 405 in MLflow's error shape (DELETE and multipart are not served).
    Route(PREFIX, _listing_only, methods=["POST", "PUT", "PATCH", "DELETE"]),
    Route(PREFIX + "/{path:path}", _files_only, methods=["POST", "PATCH", "DELETE"]),
]
