"""A run's artifact folder: ``<root>/<experiment_id>/<run_id>/artifacts/...``.

Every path a user passes is relative to the run's artifact folder and must stay
inside it: absolute paths, ``..`` segments and symlinks that lead out are refused.
Also offers MLflow's ``mlflow.artifacts`` helpers (``download_artifacts``,
``load_text``, ``load_dict``) and ``local_path`` for ``runs:/<run_id>/<path>`` URIs
(``download_artifacts`` also takes ``models:/`` URIs),
which the models code uses to find a logged model on disk without copying it.
"""

from __future__ import annotations

import os
import posixpath

from minitrack.entities import FileInfo
from minitrack.exceptions import RESOURCE_DOES_NOT_EXIST, MinitrackException
from minitrack.uris import local_path_from_uri, parse_runs_uri


def artifact_root_path(artifact_uri: str) -> str:
    """The local folder behind a run's ``artifact_uri`` (an absolute path or file URI)."""
    return os.path.abspath(local_path_from_uri(artifact_uri))


def clean_relative(artifact_path: str | None, what: str = "artifact_path") -> str:
    """Normalise a user's relative artifact path ('' for the root); refuse escapes."""
    if artifact_path is None:
        return ""
    if not isinstance(artifact_path, str):
        raise MinitrackException(
            f"Invalid {what} {artifact_path!r}: pass a relative path as a string, e.g. 'plots'."
        )
    text = artifact_path.replace("\\", "/")
    if text.startswith("/") or (len(text) > 1 and text[1] == ":") or "\x00" in text:
        raise MinitrackException(
            f"Invalid {what} {artifact_path!r}: it must be relative to the run's artifact "
            "folder, e.g. 'plots/loss.png', not an absolute path."
        )
    parts = [p for p in text.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise MinitrackException(
            f"Invalid {what} {artifact_path!r}: '..' would leave the run's artifact folder. "
            "Use a path inside it, e.g. 'plots/loss.png'."
        )
    return "/".join(parts)


def safe_join(root: str, artifact_path: str | None, what: str = "artifact_path") -> str:
    """``root/artifact_path`` as a local path, guaranteed (symlinks too) to be inside root."""
    rel = clean_relative(artifact_path, what)
    target = os.path.join(root, *rel.split("/")) if rel else root
    real_root = os.path.realpath(root)
    real_target = os.path.realpath(target)
    if real_target != real_root and not real_target.startswith(real_root.rstrip(os.sep) + os.sep):
        raise MinitrackException(
            f"Invalid {what} {artifact_path!r}: it resolves (through a symlink) outside the "
            "run's artifact folder. Remove the link or use another path."
        )
    return target


def _destination_dir(artifact_uri: str, artifact_path: str | None) -> str:
    root = artifact_root_path(artifact_uri)
    os.makedirs(root, exist_ok=True)
    dest = safe_join(root, artifact_path)
    os.makedirs(dest, exist_ok=True)
    safe_join(root, artifact_path)  # re-check: a link may have appeared while creating
    return dest


def log_artifact(artifact_uri: str, local_path: str, artifact_path: str | None = None) -> None:
    local_path = os.fspath(local_path)
    if not os.path.isfile(local_path):
        raise MinitrackException(
            f"Cannot log artifact {local_path!r}: no such file. "
            "Use log_artifacts(...) for a folder."
            if not os.path.isdir(local_path)
            else f"Cannot log artifact {local_path!r}: it is a folder; use log_artifacts(...)."
        )
    import shutil

    dest = _destination_dir(artifact_uri, artifact_path)
    shutil.copyfile(local_path, os.path.join(dest, os.path.basename(local_path)))


def log_artifacts(artifact_uri: str, local_dir: str, artifact_path: str | None = None) -> None:
    local_dir = os.fspath(local_dir)
    if not os.path.isdir(local_dir):
        raise MinitrackException(
            f"Cannot log artifacts from {local_dir!r}: no such folder. "
            "Use log_artifact(...) for a single file."
        )
    import shutil

    dest = _destination_dir(artifact_uri, artifact_path)
    for here, _dirs, files in os.walk(local_dir):
        rel = os.path.relpath(here, local_dir)
        target = dest if rel == "." else os.path.join(dest, rel)
        os.makedirs(target, exist_ok=True)
        for name in files:
            shutil.copyfile(os.path.join(here, name), os.path.join(target, name))


def write_bytes(artifact_uri: str, artifact_file: str, data: bytes) -> str:
    """Write ``data`` to ``artifact_file`` (a relative file path) in the run's folder."""
    rel = clean_relative(artifact_file, "artifact_file")
    if not rel:
        raise MinitrackException(
            "artifact_file must name a file, e.g. 'notes/summary.txt'; got an empty path."
        )
    folder, name = posixpath.split(rel)
    dest = _destination_dir(artifact_uri, folder)
    path = os.path.join(dest, name)
    if os.path.islink(path):
        raise MinitrackException(f"Refusing to write through the symlink at {artifact_file!r}.")
    with open(path, "wb") as f:
        f.write(data)
    return path


def list_artifacts(artifact_uri: str, path: str | None = None) -> list[FileInfo]:
    """Entries directly under ``path`` (sorted by name); paths are relative to the root."""
    root = artifact_root_path(artifact_uri)
    rel = clean_relative(path, "path")
    folder = safe_join(root, rel, "path")
    if not os.path.isdir(folder):
        return []
    out = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        entry_rel = posixpath.join(rel, entry.name) if rel else entry.name
        if entry.is_symlink():
            try:
                safe_join(root, entry_rel, "path")
            except MinitrackException:
                continue  # a link that leads out of the run is never shown
        is_dir = entry.is_dir()
        out.append(FileInfo(entry_rel, is_dir, None if is_dir else entry.stat().st_size))
    return out


def download(artifact_uri: str, path: str | None = None, dst_path: str | None = None) -> str:
    """Copy an artifact (file or folder) to ``dst_path`` (a new temp dir if None)."""
    import shutil
    import tempfile

    root = artifact_root_path(artifact_uri)
    source = safe_join(root, path, "path")
    if not os.path.exists(source):
        raise MinitrackException(
            f"No artifact at {path!r} in {artifact_uri}. "
            "List what exists with MlflowClient().list_artifacts(run_id).",
            RESOURCE_DOES_NOT_EXIST,
        )
    dst_root = os.path.abspath(dst_path) if dst_path else tempfile.mkdtemp(prefix="minitrack-")
    rel = clean_relative(path, "path")
    target = os.path.join(dst_root, *rel.split("/")) if rel else dst_root
    if os.path.isdir(source):
        shutil.copytree(source, target, dirs_exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(source, target)
    return target


def _client(tracking_uri: str | None):
    from minitrack.client import MlflowClient

    return MlflowClient(tracking_uri)


def run_artifact_dir(run_id: str, tracking_uri: str | None = None) -> str:
    """The local folder holding a run's artifacts (may not exist yet)."""
    run = _client(tracking_uri).get_run(run_id)
    return artifact_root_path(run.info.artifact_uri)


def local_path(uri: str, tracking_uri: str | None = None) -> str:
    """Where an artifact URI lives on disk, without copying.

    Accepts ``runs:/<run_id>/<path>``, a ``file:`` URI or a plain path.
    """
    if isinstance(uri, str) and uri.startswith("runs:"):
        run_id, rel = parse_runs_uri(uri)
        root = run_artifact_dir(run_id, tracking_uri)
        path = safe_join(root, rel, "path")
        if not os.path.exists(path):
            raise MinitrackException(
                f"No artifact at {uri!r}: run {run_id} has no '{rel}'. List what it has with "
                "MlflowClient().list_artifacts(run_id).",
                RESOURCE_DOES_NOT_EXIST,
            )
        return path
    return os.path.abspath(local_path_from_uri(os.fspath(uri)))


def download_artifacts(
    artifact_uri: str | None = None,
    run_id: str | None = None,
    artifact_path: str | None = None,
    dst_path: str | None = None,
    tracking_uri: str | None = None,
) -> str:
    """``mlflow.artifacts.download_artifacts``: by URI, or by run id plus path."""
    if (artifact_uri is None) == (run_id is None):
        raise MinitrackException(
            "Pass either artifact_uri (e.g. 'runs:/<run_id>/model') or run_id "
            "(with an optional artifact_path), not both and not neither."
        )
    if artifact_uri is not None:
        if artifact_path is not None:
            raise MinitrackException("artifact_path goes with run_id, not with artifact_uri.")
        if artifact_uri.startswith("models:"):
            # The registry's and logged models' URIs name a folder: copy that folder.
            location = _client(tracking_uri)._model_uri_location(artifact_uri)
            return download_artifacts(location, dst_path=dst_path, tracking_uri=tracking_uri)
        if artifact_uri.startswith("runs:"):
            run_id, artifact_path = parse_runs_uri(artifact_uri)
        else:
            source = local_path(artifact_uri)
            if not os.path.exists(source):
                raise MinitrackException(
                    f"No artifact at {artifact_uri!r}.", RESOURCE_DOES_NOT_EXIST
                )
            parent, name = os.path.split(source.rstrip(os.sep))
            return download(parent, name, dst_path)
    run = _client(tracking_uri).get_run(run_id)
    return download(run.info.artifact_uri, artifact_path, dst_path)


def load_text(artifact_uri: str) -> str:
    with open(local_path(artifact_uri), encoding="utf-8") as f:
        return f.read()


def load_dict(artifact_uri: str) -> dict:
    path = local_path(artifact_uri)
    with open(path, encoding="utf-8") as f:
        if path.endswith((".yaml", ".yml")):
            import yaml

            return yaml.safe_load(f)
        import json

        return json.load(f)
