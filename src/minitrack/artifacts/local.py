"""A run's artifacts in a local folder: write, list, read and copy, inside the boundary.

Every path goes through ``minitrack.artifacts.paths`` (the one rule) and every disk
access through ``resolve_inside`` (the one boundary). Files are written to a temporary
name beside their target and renamed into place, so a reader never sees half a file.
``shutil`` and ``tempfile`` are imported where they are used: ``shutil`` alone brings bz2
and lzma into ``import minitrack``.
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
    resolve_inside,
)
from minitrack.entities import FileInfo
from minitrack.exceptions import RESOURCE_DOES_NOT_EXIST, MinitrackException
from minitrack.uris import local_path_from_uri


class LocalArtifactRepository:
    """The artifacts under ``artifact_uri``; ``boundary`` is the experiment's location."""

    def __init__(self, artifact_uri: str, boundary: str | None = None) -> None:
        self.artifact_uri = artifact_uri
        self.root = os.path.abspath(local_path_from_uri(artifact_uri))
        self.boundary = os.path.abspath(local_path_from_uri(boundary)) if boundary else None

    def _resolve(self, relative: str) -> str:
        return resolve_inside(self.root, relative, self.boundary)

    def _folder(self, relative: str) -> str:
        """The folder ``relative``, created if needed, checked again once it exists."""
        self._resolve("")
        target = self._resolve(relative)
        _no_file_in_the_way(self.root, relative)
        os.makedirs(target, exist_ok=True)
        return self._resolve(relative)  # a link may have appeared while creating

    # -- writing --------------------------------------------------------------------------

    def write_bytes(self, artifact_file: str, data: bytes) -> str:
        """Write ``data`` as ``artifact_file`` (a relative file path); returns the path."""
        rel = file_path(artifact_file)
        folder, name = posixpath.split(rel)
        dest = os.path.join(self._folder(folder), name)
        self._replace_with(dest, rel, lambda out: out.write(data))
        return dest

    def write_stream(self, artifact_file: str, chunks) -> str:
        """Write the byte chunks of an iterable as ``artifact_file``, never all in memory.

        An exception from ``chunks`` (a size limit, a dropped connection) leaves nothing
        behind: the file appears, whole, only once the last chunk is written."""
        rel = file_path(artifact_file)
        folder, name = posixpath.split(rel)
        dest = os.path.join(self._folder(folder), name)

        def write(out) -> None:
            for chunk in chunks:
                out.write(chunk)

        self._replace_with(dest, rel, write)
        return dest

    def log_file(self, local_path: str, artifact_path: str | None = None) -> None:
        folder, name = file_destination(local_path, artifact_path)
        local_path = os.fspath(local_path)
        rel = posixpath.join(folder, name) if folder else name
        dest = os.path.join(self._folder(folder), name)
        self._replace_with(dest, rel, lambda out: _copy_into(local_path, out))

    def log_folder(self, local_dir: str, artifact_path: str | None = None) -> None:
        for folder, files in folder_files(local_dir, artifact_path):
            for local_file in files:
                self.log_file(local_file, folder or None)
            if not files:
                self._folder(folder)

    def _replace_with(self, dest: str, rel: str, write) -> None:
        if os.path.islink(dest):
            raise ArtifactPathError(
                f"Refusing to write through the symlink at {rel!r}: remove the link first."
            )
        if os.path.isdir(dest):
            raise ArtifactPathError(
                f"Cannot write the file {rel!r}: the run already has a folder of that name. "
                "Use another name."
            )
        # os.open with 0o666 honours the umask, as a plain open() would (mkstemp's 0o600
        # would leave every artifact readable by its writer only).
        temp = os.path.join(os.path.dirname(dest), f".minitrack-{os.urandom(16).hex()}")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        try:
            with os.fdopen(fd, "wb") as out:
                write(out)
            os.replace(temp, dest)
        except BaseException:
            if os.path.exists(temp):
                os.unlink(temp)
            raise

    # -- reading --------------------------------------------------------------------------

    def local_path(self, path: str | None = None, what: str = "path") -> str:
        """The existing file or folder at ``path``, checked to be inside the run."""
        rel = read_path(path, what)
        target = self._resolve(rel)
        if not os.path.exists(target):
            raise MinitrackException(
                f"No artifact at {rel!r} in this run. List what it has with "
                "MlflowClient().list_artifacts(run_id).",
                RESOURCE_DOES_NOT_EXIST,
            )
        return target

    def list(self, path: str | None = None) -> list[FileInfo]:
        """Entries directly under ``path``, sorted by name; paths relative to the run."""
        rel = read_path(path)
        folder = self._resolve(rel)
        if not os.path.isdir(folder):
            return []
        out = []
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            entry_rel = posixpath.join(rel, entry.name) if rel else entry.name
            if entry.name.startswith(".minitrack-"):
                continue  # a write in progress
            if entry.is_symlink():
                try:
                    self._resolve(entry_rel)
                except ArtifactPathError:
                    continue  # a link that leads out of the run is never shown
            is_dir = entry.is_dir()
            out.append(FileInfo(entry_rel, is_dir, None if is_dir else entry.stat().st_size))
        return out

    def download(self, path: str | None = None, dst_path: str | None = None) -> str:
        """Copy a file or folder out to ``dst_path`` (a new temporary folder if None)."""
        import shutil
        import tempfile

        source = self.local_path(path)
        rel = read_path(path)
        dst_root = os.path.abspath(dst_path) if dst_path else tempfile.mkdtemp(prefix="minitrack-")
        target = os.path.join(dst_root, *rel.split("/")) if rel else dst_root
        if os.path.isdir(source):
            self._copy_tree(rel, target)
        else:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(source, target)
        return target

    def _copy_tree(self, rel: str, target: str) -> None:
        # Entry by entry through list(), so a link out of the run is never copied.
        import shutil

        os.makedirs(target, exist_ok=True)
        for info in self.list(rel):
            name = posixpath.basename(info.path)
            if info.is_dir:
                self._copy_tree(info.path, os.path.join(target, name))
            else:
                shutil.copyfile(self._resolve(info.path), os.path.join(target, name))


def _no_file_in_the_way(root: str, relative: str) -> None:
    """Refuse a folder whose path runs through a file the run already has."""
    here = root
    for part in relative.split("/") if relative else ():
        here = os.path.join(here, part)
        if os.path.exists(here) and not os.path.isdir(here):
            raise ArtifactPathError(
                f"Cannot make the folder {relative!r}: the run already has a file at "
                f"{os.path.relpath(here, root).replace(os.sep, '/')!r}. Use another path."
            )


def _copy_into(local_path: str, out) -> None:
    import shutil

    with open(local_path, "rb") as source:
        shutil.copyfileobj(source, out, 1024 * 1024)
