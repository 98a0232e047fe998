"""Tracking URIs, local artifact locations and ``runs:/`` URIs.

A tracking URI is a SQLite file or a tracking server (``http://127.0.0.1:5000``,
``https://host``), whose runs minitrack reads and writes through its REST API.

Tracking URIs follow SQLAlchemy's SQLite form, as MLflow does:
``sqlite:///relative.db`` (relative to the working directory),
``sqlite:////absolute/path.db``, ``sqlite:///C:/Users/me/mlflow.db`` on Windows.
A plain file path ending in ``.db``/``.sqlite``/``.sqlite3`` (or ``file:`` URI to
one) is taken as that SQLite file.
"""

from __future__ import annotations

import ntpath
import os
import posixpath
import re

from minitrack.exceptions import MinitrackException

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
DEFAULT_ARTIFACT_ROOT = "./mlruns"
TRACKING_URI_ENV = "MLFLOW_TRACKING_URI"

_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_DRIVE_RE = re.compile(r"^/?[A-Za-z]:[\\/]")
_SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")


def _is_windows_path(path: str) -> bool:
    return bool(_DRIVE_RE.match(path)) or path.startswith("\\\\")


def db_path_from_uri(uri: str, cwd: str | None = None) -> str:
    """The absolute path of the SQLite file a tracking URI names (``:memory:`` kept)."""
    if not isinstance(uri, str) or not uri.strip():
        raise MinitrackException(
            f"Invalid tracking URI {uri!r}: use e.g. 'sqlite:///mlflow.db' "
            "(a file in the working directory) or 'sqlite:////abs/path/mlflow.db'."
        )
    uri = uri.strip()
    lowered = uri.lower()
    if lowered.startswith("sqlite:"):
        rest = uri[len("sqlite:") :]
        if not rest.startswith("//"):
            raise MinitrackException(
                f"Invalid tracking URI {uri!r}: a SQLite URI looks like 'sqlite:///mlflow.db' "
                "(three slashes for a relative path, four for an absolute one)."
            )
        # Drop '//' and driver options, then percent-decode once, as SQLAlchemy's URL
        # parsing (and so MLflow) does: 'sqlite:///a%20b.db' is the file 'a b.db'.
        from urllib.parse import unquote  # on use: urllib.parse is not cheap to import

        rest = unquote(rest[2:].split("?", 1)[0])
        if rest in ("", "/", "/:memory:"):
            return ":memory:"
        if not rest.startswith("/"):
            raise MinitrackException(
                f"Invalid tracking URI {uri!r}: SQLite URIs have no host; write "
                f"'sqlite:///{rest}' for a relative path."
            )
        path = rest[1:]  # 'sqlite:///x' -> 'x', 'sqlite:////abs' -> '/abs'
        if _is_windows_path(path):
            return ntpath.normpath(path)
        return _absolute(path, cwd)
    if lowered.startswith("file:"):
        path = local_path_from_uri(uri)
        return _plain_path(uri, path, cwd)
    scheme = _scheme(uri)
    if scheme in ("http", "https"):
        raise MinitrackException(
            f"Tracking URI {uri!r} names a tracking server, not a SQLite file: this needs "
            "a local store. Use 'sqlite:///mlflow.db' here."
        )
    if scheme and len(scheme) > 1:  # one letter is a Windows drive
        raise MinitrackException(
            f"Unsupported tracking URI {uri!r}: minitrack stores runs in a SQLite file or on a "
            "tracking server. Use 'sqlite:///mlflow.db' or 'http://127.0.0.1:5000' (or set "
            "MLFLOW_TRACKING_URI to such a URI)."
        )
    return _plain_path(uri, uri, cwd)


def is_server_uri(uri) -> bool:
    """Whether a tracking URI names a tracking server (``http://``, ``https://``)."""
    return isinstance(uri, str) and _scheme(uri.strip()) in ("http", "https")


def server_url_from_uri(uri: str) -> str:
    """``http(s)://host[:port][/prefix]`` of a server tracking URI, no trailing slash."""
    from urllib.parse import urlsplit

    uri = uri.strip()
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise MinitrackException(
            f"Invalid tracking server URI {uri!r}: write it as 'http://127.0.0.1:5000' "
            "(or https://host:port)."
        )
    if parts.username or parts.password:
        raise MinitrackException(
            "The tracking URI holds credentials (user:password@): put them in "
            "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN) "
            "instead, and write the URI without them."
        )
    if parts.query or parts.fragment:
        raise MinitrackException(
            f"Invalid tracking server URI {uri!r}: write it without '?' or '#' parts, e.g. "
            "'http://127.0.0.1:5000'."
        )
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path}".rstrip("/")


def check_tracking_uri(uri: str) -> None:
    """Raise a clear MinitrackException unless ``uri`` is a usable tracking URI."""
    if is_server_uri(uri):
        server_url_from_uri(uri)
    else:
        db_path_from_uri(uri)


def _plain_path(uri: str, path: str, cwd: str | None) -> str:
    if _is_windows_path(path):
        return ntpath.normpath(path.lstrip("/") if _DRIVE_RE.match(path) else path)
    absolute = _absolute(path, cwd)
    if absolute.lower().endswith(_SQLITE_SUFFIXES) or os.path.isfile(absolute):
        return absolute
    raise MinitrackException(
        f"Tracking URI {uri!r} names a folder, but minitrack keeps runs in one SQLite file. "
        f"Use 'sqlite:///{posixpath.join(path.rstrip('/'), 'mlflow.db')}' or a path ending in .db."
    )


def _absolute(path: str, cwd: str | None) -> str:
    path = os.path.expanduser(path)
    if not os.path.isabs(path):
        path = os.path.join(cwd or os.getcwd(), path)
    return os.path.normpath(path)


def local_path_from_uri(uri: str) -> str:
    """A local filesystem path from an absolute path or a ``file:`` URI."""
    if uri.lower().startswith("file:"):
        from urllib.parse import unquote, urlsplit

        parts = urlsplit(uri)
        path = unquote(parts.path)
        if parts.netloc and parts.netloc not in ("", "localhost"):
            path = f"//{parts.netloc}{path}"  # UNC share
        if _DRIVE_RE.match(path):
            path = path.lstrip("/")  # file:///C:/x -> C:/x
        return path
    return uri


def _scheme(uri: str) -> str:
    match = _SCHEME_RE.match(uri)
    return match.group(1).lower() if match else ""


def is_local_uri(uri: str) -> bool:
    scheme = _scheme(uri)
    return scheme in ("", "file") or (len(scheme) == 1 and _is_windows_path(uri))


PROXY_SCHEME = "mlflow-artifacts"


def is_proxy_uri(uri: str) -> bool:
    """Whether ``uri`` names a tracking server's artifact proxy (``mlflow-artifacts:/...``)."""
    return isinstance(uri, str) and _scheme(uri) == PROXY_SCHEME


# Where a tracking server serves its artifact proxy (MLflow's route).
PROXY_PATH = "/api/2.0/mlflow-artifacts/artifacts"


def is_served_uri(uri: str) -> bool:
    """Whether an artifact URI is on a tracking server's artifact proxy: an
    ``mlflow-artifacts:`` URI or a full URL of the proxy."""
    from urllib.parse import urlsplit

    if is_proxy_uri(uri):
        return True
    parts = urlsplit(uri)
    return parts.scheme.lower() in ("http", "https") and PROXY_PATH in parts.path


def proxy_path(uri: str) -> str:
    """The path an ``mlflow-artifacts:`` URI names under the server's destination.

    ``mlflow-artifacts:/1/abc/artifacts`` and ``mlflow-artifacts://host:5000/1/abc/artifacts``
    both give ``1/abc/artifacts`` (the host part only says which server, as in MLflow).
    """
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(uri)
    return unquote(parts.path).strip("/")


def resolve_artifact_location(location: str) -> str:
    """An artifact location as MLflow stores it for a SQLite store: absolute.

    Like MLflow, a relative path becomes an absolute path on POSIX and a
    ``file:///C:/...`` URI on Windows; ``file:`` URIs stay URIs. A server's proxy URI
    (``mlflow-artifacts:/``) is kept as it is: the server maps it to its destination.
    """
    if is_proxy_uri(location):
        return location
    if not is_local_uri(location):
        raise MinitrackException(
            f"Unsupported artifact location {location!r}: minitrack keeps artifacts on the "
            "local disk. Use a folder path such as './mlruns'."
        )
    if location.lower().startswith("file:"):
        path = local_path_from_uri(location)
        if not (os.path.isabs(path) or _is_windows_path(path)):
            path = os.path.abspath(path)
            return "file://" + ("/" if os.name == "nt" else "") + path.replace("\\", "/")
        return location
    if _is_windows_path(location) or os.path.isabs(location):
        return location
    absolute = os.path.abspath(location)
    if os.name == "nt":
        return "file:///" + absolute.replace("\\", "/")
    return absolute


def append_path(base: str, *parts: str) -> str:
    """Join onto a path or URI with '/' (what MLflow's append_to_uri_path does)."""
    out = base.rstrip("/")
    for part in parts:
        if part:
            out = f"{out}/{part.strip('/')}"
    return out


def parse_runs_uri(uri: str) -> tuple[str, str]:
    """``runs:/<run_id>/<path>`` -> ``(run_id, path)``; path may be ''."""
    if not isinstance(uri, str) or not uri.startswith("runs:"):
        raise MinitrackException(
            f"Not a runs URI: {uri!r}. Expected 'runs:/<run_id>/<artifact path>'."
        )
    rest = uri[len("runs:") :].lstrip("/")
    run_id, _, path = rest.partition("/")
    if not run_id:
        raise MinitrackException(
            f"Invalid runs URI {uri!r}: it names no run. Expected 'runs:/<run_id>/<artifact path>'."
        )
    return run_id, path.strip("/")


# -- the process's current tracking URI (what set_tracking_uri changes) -------------------

_tracking_uri: str | None = None


def set_tracking_uri(uri) -> None:
    """Set the tracking URI for this process; a ``pathlib.Path`` becomes its file path."""
    global _tracking_uri
    if uri is None:
        _tracking_uri = None
        return
    if not isinstance(uri, (str, os.PathLike)):
        raise MinitrackException(
            f"Invalid tracking URI {uri!r}: pass a str or pathlib.Path, e.g. 'sqlite:///mlflow.db'."
        )
    uri = os.fspath(uri)
    check_tracking_uri(uri)  # fail now, with a clear message, rather than at the first log call
    _tracking_uri = uri


def get_tracking_uri() -> str:
    """The tracking URI: set_tracking_uri's, else $MLFLOW_TRACKING_URI, else sqlite:///mlflow.db."""
    if _tracking_uri is not None:
        return _tracking_uri
    return os.environ.get(TRACKING_URI_ENV) or DEFAULT_TRACKING_URI


def is_tracking_uri_set() -> bool:
    return _tracking_uri is not None or bool(os.environ.get(TRACKING_URI_ENV))


# -- model URIs (models:/...) ---------------------------------------------------------------

MODELS_SCHEME = "models:/"
_LOGGED_MODEL_ID_RE = re.compile(r"^m-[0-9a-f]{32}$")
_MODELS_URI_FORMS = (
    "models:/<name>/<version>, models:/<name>@<alias>, models:/<name>/latest, "
    "models:/<name>/<stage> or models:/m-<logged model id>"
)


class ModelsUri:
    """A parsed ``models:/`` URI: exactly one of model_id, version, alias, stage is set
    (``latest`` is stage None with ``latest`` True), plus the path inside the model."""

    __slots__ = ("uri", "model_id", "name", "version", "alias", "stage", "latest")

    def __init__(self, uri, model_id=None, name=None, version=None, alias=None, stage=None):
        self.uri = uri
        self.model_id = model_id
        self.name = name
        self.version = version
        self.alias = alias
        self.stage = stage
        self.latest = name is not None and version is None and alias is None and stage is None


def is_models_uri(uri) -> bool:
    return isinstance(uri, str) and uri.startswith("models:")


def parse_models_uri(uri: str) -> ModelsUri:
    """Split a models:/ URI into its parts, or say which forms exist."""
    rest = uri[len("models:") :]
    if not rest.startswith("/") or rest.startswith("//"):
        rest = ""
    rest = rest.lstrip("/")
    if _LOGGED_MODEL_ID_RE.match(rest):
        return ModelsUri(uri, model_id=rest)
    if rest.startswith("m-") and "/" not in rest and "@" not in rest:
        return ModelsUri(uri, model_id=rest)  # looked up, and reported missing
    if "@" in rest and "/" not in rest:
        name, _, alias = rest.partition("@")
        if name and alias:
            return ModelsUri(uri, name=name, alias=alias)
    parts = rest.split("/")
    if len(parts) == 2 and all(parts):
        name, suffix = parts
        if suffix.isdigit():
            return ModelsUri(uri, name=name, version=int(suffix))
        if suffix.lower() == "latest":
            return ModelsUri(uri, name=name)
        return ModelsUri(uri, name=name, stage=suffix)
    raise MinitrackException(
        f"Invalid model URI '{uri}': write it as one of {_MODELS_URI_FORMS}, "
        "for example models:/nyc-taxi-regressor/1 or models:/nyc-taxi-regressor@champion."
    )
