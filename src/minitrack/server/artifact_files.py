"""Showing a run's artifacts in the UI: listings, previews and safe content types.

Paths follow the one artifact-path rule and boundary (``minitrack.artifacts.paths``),
through the client: whatever the API accepts can be listed, previewed and downloaded
here, and nothing outside the run's folder is ever read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from minitrack.artifacts.paths import read_path
from minitrack.client import MlflowClient
from minitrack.exceptions import RESOURCE_DOES_NOT_EXIST, MinitrackException

# Bytes of a file the run page previews; the rest is behind "download".
PREVIEW_BYTES = 256 * 1024

_IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".bmp": "image/bmp",
    ".svg": "image/svg+xml",
}
_JSON_SUFFIXES = (".json", ".ipynb")
_YAML_SUFFIXES = (".yaml", ".yml")
_YAML_NAMES = ("MLmodel",)


def _not_found(message: str) -> MinitrackException:
    return MinitrackException(f"Artifact not found: {message}.", RESOURCE_DOES_NOT_EXIST)


def list_dir(client: MlflowClient, run_id: str, path: str | None) -> list[dict]:
    """The entries of one artifact folder, folders first, as MLflow's FileInfo dicts."""
    if path:
        folder = client.artifact_local_path(run_id, path)
        if not os.path.isdir(folder):
            raise _not_found(f"{path!r} is a file, not a folder")
    entries = [
        {"path": f.path, "is_dir": f.is_dir, "file_size": f.file_size}
        for f in client.list_artifacts(run_id, path or None)
    ]
    entries.sort(key=lambda e: (not e["is_dir"], e["path"].lower()))
    return entries


def file_path(client: MlflowClient, run_id: str, path: str) -> str:
    """The local path of one artifact file of the run."""
    target = client.artifact_local_path(run_id, path)
    if not os.path.isfile(target):
        raise _not_found(f"{path!r} is not a file")
    return target


def preview_kind(path: str) -> str:
    """How the run page shows a file: image, json, yaml, text or binary."""
    name = path.rsplit("/", 1)[-1]
    suffix = os.path.splitext(name)[1].lower()
    if suffix in _IMAGE_TYPES:
        return "image"
    if suffix in _JSON_SUFFIXES:
        return "json"
    if suffix in _YAML_SUFFIXES or name in _YAML_NAMES:
        return "yaml"
    return "text"


def safe_media_type(path: str, head: bytes) -> str:
    """A content type that never lets an artifact run script on our origin.

    HTML, JavaScript and anything unknown are served as text/plain (or as
    octet-stream when not text); images keep their image type.
    """
    suffix = os.path.splitext(path)[1].lower()
    if suffix in _IMAGE_TYPES:
        return _IMAGE_TYPES[suffix]
    if suffix in _JSON_SUFFIXES:
        return "application/json"
    return "text/plain; charset=utf-8" if looks_like_text(head) else "application/octet-stream"


def looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still text.
        return exc.start >= len(head) - 3
    return True


@dataclass
class Preview:
    path: str
    kind: str
    size: int
    text: str | None
    truncated: bool

    def as_dict(self) -> dict:
        return {
            "path": self.path,
            "kind": self.kind,
            "size": self.size,
            "text": self.text,
            "truncated": self.truncated,
        }


def preview(client: MlflowClient, run_id: str, path: str) -> Preview:
    """What the run page shows for one file: its first bytes as text, or just its kind."""
    target = client.artifact_local_path(run_id, path)
    if os.path.isdir(target):
        raise _not_found(f"{path!r} is a folder; list it instead")
    rel = read_path(path)
    size = os.path.getsize(target)
    kind = preview_kind(rel)
    if kind == "image":
        return Preview(rel, kind, size, None, False)
    with open(target, "rb") as fh:
        head = fh.read(PREVIEW_BYTES)
    if not looks_like_text(head[:4096]):
        return Preview(rel, "binary", size, None, False)
    text = head.decode("utf-8", errors="replace")
    return Preview(rel, kind, size, text, size > len(head))
