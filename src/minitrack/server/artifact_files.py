"""Reading a run's artifacts safely: no request can leave the run's artifact folder.

A requested path is refused before touching the disk when it is absolute, holds
``..`` (also after further URL-decoding), a backslash, a NUL, a Windows drive or
a colon; what passes is resolved with symlinks followed and must still lie
inside the run's folder.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import unquote

from minitrack.uris import local_path_from_uri

# Bytes of a file the run page previews; the rest is behind "download".
PREVIEW_BYTES = 256 * 1024

_DRIVE = re.compile(r"^[A-Za-z]:")
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


class BadArtifactPath(ValueError):
    """The path is malformed or tries to leave the artifact folder (HTTP 400)."""


class ArtifactNotFound(LookupError):
    """Nothing readable at that path inside the run's artifacts (HTTP 404)."""


def artifact_dir(artifact_uri: str) -> str:
    """The local folder of a run's ``artifact_uri`` (a path or a ``file:`` URI)."""
    return local_path_from_uri(artifact_uri or "")


def clean_relative_path(path: str | None) -> str:
    """A validated artifact path relative to the run's folder ('' for the folder itself)."""
    if path is None:
        return ""
    if not isinstance(path, str) or "\x00" in path:
        raise BadArtifactPath("artifact paths cannot contain NUL characters")
    if "\\" in path:
        raise BadArtifactPath("artifact paths use '/' as separator, not '\\'")
    # Decode until stable so '%2e%2e' or '%252e%252e' cannot smuggle '..' through.
    decoded = path
    for _ in range(5):
        once = unquote(decoded)
        if once == decoded:
            break
        decoded = once
    for candidate in (path, decoded):
        if "\x00" in candidate or "\\" in candidate:
            raise BadArtifactPath("artifact paths cannot contain NUL or '\\' (also encoded)")
        if candidate.startswith("/") or _DRIVE.match(candidate) or candidate.startswith("~"):
            raise BadArtifactPath("artifact paths are relative to the run's artifact folder")
        if ":" in candidate:
            raise BadArtifactPath("artifact paths cannot contain ':'")
        parts = candidate.split("/")
        if any(part in ("..", ".") for part in parts):
            raise BadArtifactPath("artifact paths cannot contain '.' or '..' segments")
    return "/".join(part for part in path.split("/") if part)


def resolve(artifact_uri: str, path: str | None) -> str:
    """The real local path of ``path`` inside the run's artifact folder.

    Raises BadArtifactPath for a malformed or escaping path, ArtifactNotFound when
    nothing is there or a symlink leads outside the folder.
    """
    rel = clean_relative_path(path)
    root = artifact_dir(artifact_uri)
    if not root or not os.path.isdir(root):
        raise ArtifactNotFound("this run has no artifacts yet")
    real_root = os.path.realpath(root)
    target = os.path.realpath(os.path.join(real_root, *rel.split("/")) if rel else real_root)
    if target != real_root and os.path.commonpath([real_root, target]) != real_root:
        raise ArtifactNotFound(f"no artifact {rel!r} in this run")
    if not os.path.exists(target):
        raise ArtifactNotFound(f"no artifact {rel!r} in this run")
    return target


def list_dir(artifact_uri: str, path: str | None) -> list[dict]:
    """The entries of one artifact folder, folders first, as MLflow's FileInfo dicts."""
    rel = clean_relative_path(path)
    try:
        folder = resolve(artifact_uri, rel)
    except ArtifactNotFound:
        if not rel:
            return []  # a run without artifacts lists as empty, like MLflow
        raise
    if not os.path.isdir(folder):
        raise ArtifactNotFound(f"{rel!r} is a file, not a folder")
    real_root = os.path.realpath(artifact_dir(artifact_uri))
    entries = []
    with os.scandir(folder) as it:
        for entry in it:
            full = os.path.realpath(entry.path)
            # A symlink pointing out of the run is not listed at all.
            if os.path.commonpath([real_root, full]) != real_root:
                continue
            is_dir = os.path.isdir(full)
            entries.append(
                {
                    "path": f"{rel}/{entry.name}" if rel else entry.name,
                    "is_dir": is_dir,
                    "file_size": None if is_dir else os.path.getsize(full),
                }
            )
    entries.sort(key=lambda e: (not e["is_dir"], e["path"].lower()))
    return entries


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


def preview(artifact_uri: str, path: str) -> Preview:
    """What the run page shows for one file: its first bytes as text, or just its kind."""
    rel = clean_relative_path(path)
    target = resolve(artifact_uri, rel)
    if os.path.isdir(target):
        raise ArtifactNotFound(f"{rel!r} is a folder; list it instead")
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
