"""The Starlette application: HTML pages, static files, the UI's JSON API, MLflow's REST
API with its artifact proxy, and /health.

Pages are static shells; the page's script fetches everything from ``/api/``
and writes it with ``textContent``, so no logged value is ever parsed as HTML.
"""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from minitrack import uris
from minitrack.client import MlflowClient
from minitrack.server import api
from minitrack.server.security import (
    CrossSiteWriteMiddleware,
    HostCheckMiddleware,
    SecurityHeadersMiddleware,
)

STATIC_DIR = os.path.join(os.path.dirname(__file__), "static")

# Which script each page runs, and whether it draws charts.
PAGES = {
    "experiments": ("Experiments", False),
    "runs": ("Runs", False),
    "run": ("Run", True),
    "compare": ("Compare runs", True),
    "models": ("Models", False),
    "model": ("Model", False),
}


def _shell(page: str) -> str:
    title, charts = PAGES[page]
    plotly = '<script src="/static/vendor/plotly.min.js" defer></script>\n' if charts else ""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - minitrack</title>
<link rel="stylesheet" href="/static/style.css">
<link rel="icon" href="data:,">
{plotly}<script src="/static/common.js" defer></script>
<script src="/static/{page}.js" defer></script>
</head>
<body data-page="{page}">
<header class="topbar"><a class="brand" href="/">minitrack</a>
<nav><a href="/">Experiments</a> <a href="/models">Models</a></nav>
<span id="live" class="live"></span></header>
<main id="app"><p class="muted">Loading...</p></main>
</body>
</html>
"""


def _page(page: str):
    html = _shell(page)

    async def endpoint(request: Request) -> Response:
        return HTMLResponse(html)

    endpoint.__name__ = f"{page}_page"
    return endpoint


async def health(request: Request) -> Response:
    return PlainTextResponse("OK")


def plotly_js_path() -> str | None:
    """plotly.min.js from the installed ``plotly`` package, or None when it is not installed."""
    import importlib.util

    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = os.path.join(folder, "package_data", "plotly.min.js")
        if os.path.isfile(candidate):
            return candidate
    return None


async def plotly_js(request: Request) -> Response:
    path = request.app.state.plotly_js
    if path is None:
        # The pages check for window.Plotly and tell the user how to install it.
        return PlainTextResponse(
            "// plotly is not installed: pip install plotly",
            media_type="text/javascript",
        )
    return FileResponse(
        path, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"}
    )


DEFAULT_ARTIFACTS_DESTINATION = "./mlartifacts"
DEFAULT_MAX_UPLOAD_SIZE = 5 * 1024**3
PROXY_ROOT = "mlflow-artifacts:/"


def resolve_default_artifact_root(default_artifact_root: str | None, serve_artifacts: bool) -> str:
    """MLflow's rule: serving artifacts and no root given means the proxy, else ./mlruns."""
    if default_artifact_root:
        return default_artifact_root
    return PROXY_ROOT if serve_artifacts else "./mlruns"


def create_app(
    backend_store_uri: str = "sqlite:///mlflow.db",
    default_artifact_root: str | None = None,
    host_policy=None,
    *,
    serve_artifacts: bool = True,
    artifacts_destination: str = DEFAULT_ARTIFACTS_DESTINATION,
    max_upload_size: int = DEFAULT_MAX_UPLOAD_SIZE,
    auth=None,
) -> Starlette:
    """The UI and the tracking server over one store.

    ``default_artifact_root`` is where new experiments keep artifacts (MLflow's rule,
    ``resolve_default_artifact_root``); with ``serve_artifacts`` the proxy keeps them in
    ``artifacts_destination``. ``host_policy`` (a ``hosts.HostPolicy``) says which Host
    headers are answered; ``serve`` always passes one, None (in-process use) checks
    nothing. ``auth`` (an ``auth.Authenticator``) makes every request but /health log in.
    """
    from minitrack.server import rest
    from minitrack.server.rest.routing import RestBackend

    destination = os.path.abspath(artifacts_destination)
    root = resolve_default_artifact_root(default_artifact_root, serve_artifacts)
    routes = [
        Route("/health", health),
        Route("/", _page("experiments")),
        Route("/experiments/{experiment_id}", _page("runs")),
        Route("/runs/{run_id}", _page("run")),
        Route("/compare", _page("compare")),
        Route("/models", _page("models")),
        Route("/models/{name}", _page("model")),
        Route("/static/vendor/plotly.min.js", plotly_js),
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
        *api.routes,
        *rest.routes(),
    ]
    middleware = [Middleware(SecurityHeadersMiddleware)]
    if host_policy is not None:
        middleware.append(Middleware(HostCheckMiddleware, policy=host_policy))
    middleware.append(Middleware(CrossSiteWriteMiddleware))
    if auth is not None:
        from minitrack.server.auth import AuthMiddleware

        middleware.append(Middleware(AuthMiddleware, authenticator=auth))
    # Any path under /api/ that no route matches answers in the API's JSON error shape.
    app = Starlette(routes=routes, middleware=middleware, exception_handlers={404: api.not_found})
    app.state.client = MlflowClient(
        backend_store_uri,
        read_only=True,
        artifacts_destination=destination if serve_artifacts else None,
    )
    app.state.rest = RestBackend(backend_store_uri, root, destination if serve_artifacts else None)
    app.state.serve_artifacts = serve_artifacts
    app.state.artifacts_destination = destination
    app.state.max_upload_size = max_upload_size
    app.state.backend_store_uri = backend_store_uri
    app.state.cwd = os.getcwd()
    # the absolute path of the SQLite file, as this process resolves it (None for a server)
    app.state.store_path = (
        None
        if backend_store_uri.startswith(("http:", "https:"))
        else (uris.db_path_from_uri(backend_store_uri))
    )
    app.state.default_artifact_root = root
    app.state.plotly_js = plotly_js_path()
    return app
