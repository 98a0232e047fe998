"""A run's artifacts behind a tracking server's artifact proxy (``mlflow-artifacts:``).

``mlflow server`` (and ``minitrack server``) serve artifacts at
``/api/2.0/mlflow-artifacts/artifacts/<path>``: PUT uploads a file, GET downloads one,
and ``GET .../artifacts?path=<folder>`` lists a folder (names relative to it). Runs on
such a server have artifact URIs ``mlflow-artifacts:/<experiment>/<run>/artifacts``,
resolved against the tracking server, or a full
``http(s)://host/api/2.0/mlflow-artifacts/artifacts/...`` URL.

The tracking server's credentials are sent only to the tracking server's own host.
Same methods as ``LocalArtifactRepository``, and every path goes through
``minitrack.artifacts.paths`` (the one rule) before it becomes part of a URL. The names
a server lists are checked too before they become local file names, so a download
never writes outside its destination. ``local_path`` (what loading a model needs)
downloads into a temporary folder of this process, removed when it exits.

This module loads with the first run on a server (``artifacts.runs`` imports it there),
and its standard-library helpers (``shutil``, ``tempfile``, ``mimetypes``, ``urllib``)
where they are used.
"""

from __future__ import annotations

import os
import posixpath

from minitrack.artifacts.paths import (
    ArtifactPathError,
    file_destination,
    file_path,
    folder_files,
    read_path,
)
from minitrack.entities import FileInfo
from minitrack.exceptions import RESOURCE_DOES_NOT_EXIST, MinitrackException
from minitrack.store.http import client_for
from minitrack.uris import PROXY_PATH, is_proxy_uri, proxy_path

_DOWNLOAD_CHUNK = 1024 * 1024


def split_proxy_uri(uri: str, server_url: str | None) -> tuple[str, str]:
    """``(server base URL, path under the proxy)`` of an artifact proxy URI."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(uri)
    if is_proxy_uri(uri):
        if parts.netloc:  # mlflow-artifacts://host:port/path: that host, the server's scheme
            scheme = urlsplit(server_url).scheme if server_url else "http"
            base = f"{scheme}://{parts.netloc}"
        elif server_url:
            base = server_url
        else:
            raise MinitrackException(
                f"Artifact URI {uri!r} lives on a tracking server's artifact proxy: open it "
                "through that server, e.g. set_tracking_uri('http://127.0.0.1:5000').",
            )
        return base, proxy_path(uri)
    prefix, _, tail = parts.path.partition(PROXY_PATH)
    base = f"{parts.scheme.lower()}://{parts.netloc}{prefix}".rstrip("/")
    return base, unquote(tail).strip("/")


def _listed_name(name) -> str | None:
    """A name the server listed, if it is one plain path segment (else it is skipped)."""
    if not isinstance(name, str) or name in ("", ".", "..") or "\x00" in name:
        return None
    if "/" in name or (os.name == "nt" and "\\" in name):
        return None
    return name


def _same_origin(base: str, server_url: str | None) -> bool:
    from urllib.parse import urlsplit

    if server_url is None:
        return False
    a, b = urlsplit(base), urlsplit(server_url)
    return (a.scheme.lower(), a.netloc.lower()) == (b.scheme.lower(), b.netloc.lower())


_cache_root: str | None = None


def _download_root() -> str:
    """A folder of this process for downloaded models, removed at exit."""
    import atexit
    import shutil
    import tempfile

    global _cache_root
    if _cache_root is None or not os.path.isdir(_cache_root):
        _cache_root = tempfile.mkdtemp(prefix="minitrack-downloads-")
        atexit.register(shutil.rmtree, _cache_root, True)
    return _cache_root


class HttpArtifactRepository:
    """The artifacts under ``artifact_uri`` on a server's artifact proxy."""

    def __init__(self, artifact_uri: str, server_url: str | None = None) -> None:
        self.artifact_uri = artifact_uri
        base, self._root = split_proxy_uri(artifact_uri, server_url)
        # The tracking server's credentials go to the tracking server only, not to another
        # host an experiment's artifact location happens to name.
        self._http = client_for(base, credentials=_same_origin(base, server_url))
        self.root = artifact_uri  # no local folder: the URI is what there is to show

    def _url_path(self, rel: str) -> str:
        from urllib.parse import quote

        full = posixpath.join(self._root, rel) if rel else self._root
        return f"{PROXY_PATH}/{quote(full, safe='/')}"

    # -- writing --------------------------------------------------------------------------

    def _put(self, rel: str, opener) -> None:
        import mimetypes

        mime = mimetypes.guess_type(rel)[0] or "application/octet-stream"
        self._http.request("PUT", self._url_path(rel), data=opener, headers={"Content-Type": mime})

    def write_bytes(self, artifact_file: str, data: bytes) -> str:
        """Upload ``data`` as ``artifact_file``; returns the artifact's URI."""
        rel = file_path(artifact_file)
        self._put(rel, data)
        return f"{self.artifact_uri.rstrip('/')}/{rel}"

    def log_file(self, local_path: str, artifact_path: str | None = None) -> None:
        folder, name = file_destination(local_path, artifact_path)
        local_path = os.fspath(local_path)
        rel = file_path(posixpath.join(folder, name) if folder else name)
        # A fresh open file per attempt: the body streams, and a retry starts it again.
        self._put(rel, lambda: open(local_path, "rb"))  # noqa: SIM115 - closed per attempt

    def log_folder(self, local_dir: str, artifact_path: str | None = None) -> None:
        for folder, files in folder_files(local_dir, artifact_path):
            for local_file in files:
                self.log_file(local_file, folder or None)
            # An empty folder has no files to carry it: like MLflow, it is not uploaded.

    # -- reading --------------------------------------------------------------------------

    def list(self, path: str | None = None) -> list[FileInfo]:
        """Entries directly under ``path``, sorted by name; paths relative to the run."""
        rel = read_path(path)
        full = posixpath.join(self._root, rel) if rel else self._root
        raw = self._http.request("GET", PROXY_PATH, params={"path": full})
        out = []
        for entry in raw.get("files") or []:
            name = _listed_name(entry.get("path"))
            if name is None:
                continue
            is_dir = bool(entry.get("is_dir"))
            size = entry.get("file_size")
            entry_rel = posixpath.join(rel, name) if rel else name
            out.append(FileInfo(entry_rel, is_dir, None if is_dir or size is None else int(size)))
        return sorted(out, key=lambda info: info.path)

    def _download_file(self, rel: str, target: str) -> bool:
        """GET one file into ``target``; False when the server has no such file."""
        try:
            response = self._http.request(
                "GET", self._url_path(rel), stream=True, expect_json=False
            )
        except MinitrackException as error:
            if error.error_code in (RESOURCE_DOES_NOT_EXIST, "ENDPOINT_NOT_FOUND"):
                return False
            raise
        os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
        temp = f"{target}.minitrack-part"
        try:
            with response, open(temp, "wb") as out:
                for chunk in response.iter_content(_DOWNLOAD_CHUNK):
                    out.write(chunk)
            os.replace(temp, target)
        except BaseException:
            if os.path.exists(temp):
                os.unlink(temp)
            raise
        return True

    def _download_tree(self, rel: str, target: str) -> None:
        os.makedirs(target, exist_ok=True)
        for info in self.list(rel):
            name = posixpath.basename(info.path)
            if info.is_dir:
                self._download_tree(info.path, os.path.join(target, name))
            else:
                self._download_file(info.path, os.path.join(target, name))

    def download(self, path: str | None = None, dst_path: str | None = None) -> str:
        """Copy a file or folder out to ``dst_path`` (a new temporary folder if None)."""
        import tempfile

        rel = read_path(path)
        dst_root = os.path.abspath(dst_path) if dst_path else tempfile.mkdtemp(prefix="minitrack-")
        target = os.path.join(dst_root, *rel.split("/")) if rel else dst_root
        if not rel or self.list(rel):
            if rel and os.path.isfile(target):
                raise ArtifactPathError(
                    f"Cannot download folder {rel!r} to {target}: a file is in the way."
                )
            self._download_tree(rel, target)
            return target
        if not self._download_file(rel, target):
            raise MinitrackException(
                f"No artifact at {rel!r} in this run. List what it has with "
                "MlflowClient().list_artifacts(run_id).",
                RESOURCE_DOES_NOT_EXIST,
            )
        return target

    def local_path(self, path: str | None = None, what: str = "path") -> str:
        """A local copy of the file or folder at ``path`` (downloaded for this process)."""
        import tempfile

        read_path(path, what)
        folder = tempfile.mkdtemp(dir=_download_root())
        return self.download(path, folder)
