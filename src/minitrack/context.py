"""System tags every run gets, as MLflow sets them.

``mlflow.user``, ``mlflow.source.name``, ``mlflow.source.type`` and, when the
source sits in a git repository, ``mlflow.source.git.commit`` and
``mlflow.source.git.branch``. What does not change within a process (user,
script, git state) is read once and cached, so starting a run stays cheap;
git is read from ``.git`` directly, never by spawning ``git``.
"""

from __future__ import annotations

import os
import sys

MLFLOW_USER = "mlflow.user"
MLFLOW_SOURCE_NAME = "mlflow.source.name"
MLFLOW_SOURCE_TYPE = "mlflow.source.type"
MLFLOW_GIT_COMMIT = "mlflow.source.git.commit"
MLFLOW_GIT_BRANCH = "mlflow.source.git.branch"
MLFLOW_RUN_NAME = "mlflow.runName"
MLFLOW_PARENT_RUN_ID = "mlflow.parentRunId"
MLFLOW_RUN_NOTE = "mlflow.note.content"
MLFLOW_AUTOLOGGING = "mlflow.autologging"

_cache: dict[str, dict[str, str]] = {}


def get_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no user name in a container without passwd entries
        return "unknown"


def _in_notebook() -> bool:
    # A Jupyter kernel has ipykernel loaded and an IPython kernel app running.
    if "ipykernel" not in sys.modules:
        return False
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:
        return False
    return shell is not None and getattr(shell, "kernel", None) is not None


def notebook_path() -> str | None:
    """The notebook's path when the kernel can know it, else None.

    Jupyter servers pass it to the kernel as ``JPY_SESSION_NAME`` and ipykernel
    puts it in the user namespace as ``__session__``. papermill does not, but a
    kernel inherits its parent's environment, so a runner that sets
    ``JPY_SESSION_NAME`` to the notebook's path before executing it gets it too.
    """
    try:
        shell = sys.modules["IPython"].get_ipython()
        session = shell.user_ns.get("__session__") if shell is not None else None
    except Exception:
        session = None
    for candidate in (session, os.environ.get("JPY_SESSION_NAME")):
        if candidate and isinstance(candidate, str) and candidate.endswith(".ipynb"):
            return os.path.abspath(candidate)
    return None


def _source() -> tuple[str, str]:
    if _in_notebook():
        path = notebook_path()
        return (path or "Jupyter notebook"), "NOTEBOOK"
    name = sys.argv[0] if sys.argv and sys.argv[0] else "<console>"
    return name, "LOCAL"


def _find_git_dir(start: str) -> str | None:
    here = os.path.abspath(start)
    while True:
        candidate = os.path.join(here, ".git")
        if os.path.isdir(candidate):
            return candidate
        if os.path.isfile(candidate):  # a worktree or submodule: "gitdir: <path>"
            try:
                with open(candidate, encoding="utf-8") as f:
                    line = f.read().strip()
            except OSError:
                return None
            if line.startswith("gitdir:"):
                target = line[len("gitdir:") :].strip()
                return os.path.normpath(os.path.join(here, target))
            return None
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().strip()
    except OSError:
        return None


def _resolve_ref(git_dir: str, ref: str) -> str | None:
    common = git_dir
    commondir = _read(os.path.join(git_dir, "commondir"))
    if commondir:
        common = os.path.normpath(os.path.join(git_dir, commondir))
    for base in (git_dir, common):
        sha = _read(os.path.join(base, *ref.split("/")))
        if sha:
            return sha
    packed = _read(os.path.join(common, "packed-refs")) or ""
    for line in packed.splitlines():
        if line and line[0] not in "#^":
            sha, _, name = line.partition(" ")
            if name == ref:
                return sha
    return None


def git_info(start: str) -> dict[str, str]:
    """Commit and branch of the git repository containing ``start`` (empty if none)."""
    git_dir = _find_git_dir(start)
    if git_dir is None:
        return {}
    head = _read(os.path.join(git_dir, "HEAD"))
    if not head:
        return {}
    if head.startswith("ref:"):
        ref = head[len("ref:") :].strip()
        sha = _resolve_ref(git_dir, ref)
        tags = {}
        if sha:
            tags[MLFLOW_GIT_COMMIT] = sha
        if ref.startswith("refs/heads/"):
            tags[MLFLOW_GIT_BRANCH] = ref[len("refs/heads/") :]
        return tags
    return {MLFLOW_GIT_COMMIT: head}  # detached HEAD


def system_tags() -> dict[str, str]:
    """The system tags for a new run started from this process (cached per process)."""
    try:
        cwd = os.getcwd()
    except FileNotFoundError:
        cwd = "/"
    key = f"{os.getpid()}:{cwd}"
    tags = _cache.get(key)
    if tags is None:
        source_name, source_type = _source()
        tags = {
            MLFLOW_USER: get_user(),
            MLFLOW_SOURCE_NAME: source_name,
            MLFLOW_SOURCE_TYPE: source_type,
        }
        if source_type == "NOTEBOOK":
            start = os.path.dirname(source_name) if os.path.isabs(source_name) else cwd
        else:
            start = os.path.dirname(os.path.abspath(source_name)) if source_name else cwd
        if not os.path.isdir(start):
            start = cwd
        tags.update(git_info(start))
        _cache.clear()
        _cache[key] = tags
    return dict(tags)


def clear_cache() -> None:
    """Forget cached system tags (e.g. after changing directory or committing)."""
    _cache.clear()
