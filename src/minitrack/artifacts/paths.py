"""The one rule for artifact paths, and the one way to turn them into local paths.

The rule is MLflow 3.17's, so a name that works there works here:

- a file path (``log_text``'s ``artifact_file``) is normalised the way MLflow's
  ``posixpath.normpath`` does it (``x/../y.txt`` is ``y.txt``, ``a//b`` is ``a/b``) and
  refused only when the result is empty, absolute or climbs out (``../y.txt``);
- a folder (``log_artifact``'s ``artifact_path``) must already be in normal form, as
  MLflow's ``verify_artifact_path`` wants (``./d``, ``d/`` and ``x/../y`` are refused);
- a path to read (list, preview, download) is normalised like a file path, '' being the
  run's folder.

Any other character is a character: ``a:b.txt``, ``a*b?.txt``, ``~backup.txt``, ``a#b``
and, on POSIX, ``notes\\win.txt`` (on Windows a backslash separates folders, as there).
A NUL and a lone surrogate (``'\\ud800'``) are refused: no file system can hold them.

``resolve_inside`` is the security boundary: a path is followed through symlinks and
must land inside the run's artifact folder, and that folder itself must lie inside the
experiment's artifact location as stored (so replacing a run's ``artifacts`` folder, or
the run's folder, with a link to ``/etc`` serves nothing).
"""

from __future__ import annotations

import ntpath
import os
import posixpath

from minitrack.exceptions import RESOURCE_DOES_NOT_EXIST, MinitrackException

_WINDOWS = os.name == "nt"


class ArtifactPathError(MinitrackException):
    """A malformed artifact path (HTTP 400), or one leading outside the run (HTTP 404)."""


def _text(path, what: str) -> str:
    if not isinstance(path, str):
        raise ArtifactPathError(
            f"Invalid {what} {path!r}: pass a relative path as a string, e.g. 'plots/loss.png'."
        )
    if "\x00" in path:
        raise ArtifactPathError(f"Invalid {what} {path!r}: a path cannot hold a NUL character.")
    try:  # a lone surrogate ('\ud800') is text no file system can name a file with
        os.fsencode(path)
    except UnicodeEncodeError as exc:
        raise ArtifactPathError(
            f"Invalid {what} {path!r}: {path[exc.start : exc.end]!r} at position {exc.start} is "
            "not a character a file name can hold. Use ordinary text, e.g. 'plots/loss.png'."
        ) from None
    if _WINDOWS:
        if ntpath.isabs(path) or ntpath.splitdrive(path)[0]:
            raise _absolute(path, what)
        path = path.replace("\\", "/")
    return path


def _absolute(path: str, what: str) -> ArtifactPathError:
    return ArtifactPathError(
        f"Invalid {what} {path!r}: it must be relative to the run's artifact folder, e.g. "
        "'plots/loss.png', not an absolute path."
    )


def _normal(path: str, original: str, what: str) -> str:
    if path.startswith("/"):
        raise _absolute(original, what)
    norm = posixpath.normpath(path) if path else "."
    if norm == ".." or norm.startswith("../"):
        raise ArtifactPathError(
            f"Invalid {what} {original!r}: it resolves to {norm!r}, which would leave the run's "
            "artifact folder. Use a path inside it, e.g. 'plots/loss.png'."
        )
    return "" if norm == "." else norm


def file_path(path, what: str = "artifact_file") -> str:
    """A file's path inside the run's artifacts, normalised (``x/../y.txt`` -> ``y.txt``)."""
    norm = _normal(_text(path, what), path, what)
    if not norm:
        raise ArtifactPathError(
            f"Invalid {what} {path!r}: it names the run's folder, not a file. Give a file "
            "name, e.g. 'notes/summary.txt'."
        )
    return norm


def folder_path(path, what: str = "artifact_path") -> str:
    """A folder inside the run's artifacts ('' for the run's folder), already normal."""
    if path is None or path == "":
        return ""
    text = _text(path, what)
    norm = _normal(text, path, what)
    if norm != text:
        raise ArtifactPathError(
            f"Invalid {what} {path!r}: write it in normal form, {norm or '.'!r} (MLflow refuses "
            "'.', '..', doubled or trailing slashes in a folder name)."
        )
    return norm


def read_path(path, what: str = "path") -> str:
    """A path to list, preview or download ('' or None for the run's folder)."""
    if path is None:
        return ""
    return _normal(_text(path, what), path, what)


def folder_files(local_dir: str, artifact_path: str | None):
    """What ``log_artifacts(local_dir, artifact_path)`` logs: ``(artifact folder, local files)``
    per folder of ``local_dir``, top down, files sorted; a folder with no files included."""
    local_dir = os.fspath(local_dir)
    if not os.path.isdir(local_dir):
        raise MinitrackException(
            f"Cannot log artifacts from {local_dir!r}: no such folder. "
            "Use log_artifact(...) for a single file."
        )
    base = folder_path(artifact_path)
    for here, dirs, files in os.walk(local_dir):
        dirs.sort()
        sub = os.path.relpath(here, local_dir)
        parts = [] if sub == "." else sub.split(os.sep)
        folder = posixpath.join(base, *parts) if (base or parts) else ""
        yield folder, [os.path.join(here, name) for name in sorted(files)]


def file_destination(local_path, artifact_path: str | None) -> tuple[str, str]:
    """Where ``log_artifact(local_path, artifact_path)`` puts a file: (folder, name), after
    checking that ``local_path`` is a file (a folder goes through log_artifacts)."""
    local_path = os.fspath(local_path)
    if not os.path.isfile(local_path):
        raise MinitrackException(
            f"Cannot log artifact {local_path!r}: it is a folder; use log_artifacts(...)."
            if os.path.isdir(local_path)
            else f"Cannot log artifact {local_path!r}: no such file. "
            "Use log_artifacts(...) for a folder."
        )
    return folder_path(artifact_path), os.path.basename(local_path)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def resolve_inside(root: str, relative: str, boundary: str | None = None) -> str:
    """``root/relative`` on disk, checked to stay inside ``root`` and ``root`` in ``boundary``.

    ``relative`` has passed one of the functions above. Symlinks are followed: a link
    that leads out of the run, or a run folder that is itself a link out of the
    experiment's location, is refused with a 404-kind error that names the fix.
    """
    real_root = os.path.realpath(root)
    if boundary is not None and not _inside(real_root, os.path.realpath(boundary)):
        raise ArtifactPathError(
            f"The run's artifact folder {root} resolves (through a symlink) to {real_root}, "
            f"outside the experiment's artifact location {boundary}. Replace the link with "
            "a real folder.",
            RESOURCE_DOES_NOT_EXIST,
        )
    target = os.path.join(root, *relative.split("/")) if relative else root
    if not _inside(os.path.realpath(target), real_root):
        raise ArtifactPathError(
            f"The artifact path {relative!r} resolves (through a symlink) outside the run's "
            "artifact folder. Remove the link or use another path.",
            RESOURCE_DOES_NOT_EXIST,
        )
    return target


__all__ = [
    "ArtifactPathError",
    "file_destination",
    "file_path",
    "folder_files",
    "folder_path",
    "read_path",
    "resolve_inside",
]
