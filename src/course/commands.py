"""Shell commands the kit prints for a student to copy, built so they work as printed.

They call the console scripts beside this Python (``.venv/bin/minitrack``, or the conda
environment's), so they work without activating anything; paths are relative to the folder
the student stands in when they lie below it, absolute otherwise.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path


def _shown(path: Path, relative_to: Path | None) -> str:
    path = Path(os.path.abspath(path))
    if relative_to is not None:
        try:
            return path.relative_to(Path(os.path.abspath(relative_to))).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def quote(text: str) -> str:
    return text if sys.platform == "win32" else shlex.quote(text)


def script(name: str, relative_to: str | os.PathLike | None = None) -> str:
    """The console script ``name`` of this environment, as a path the shell can run."""
    folder = Path(sys.executable).parent  # bin/ (POSIX) or Scripts\ (Windows venv)
    if sys.platform == "win32" and (folder / "Scripts").is_dir():
        folder = folder / "Scripts"  # a conda environment on Windows: python.exe sits above
    exe = folder / (f"{name}.exe" if sys.platform == "win32" else name)
    shown = _shown(exe, Path(relative_to) if relative_to is not None else None)
    if relative_to is not None and not os.path.isabs(shown) and "/" not in shown:
        shown = "./" + shown
    return quote(shown)


def ui_command(
    store: str | os.PathLike,
    tracker: str = "minitrack",
    relative_to: str | os.PathLike | None = None,
) -> str:
    """The command that opens the tracker's web UI on the SQLite file ``store``."""
    rel = Path(relative_to) if relative_to is not None else None
    shown = _shown(Path(store), rel)
    uri = "sqlite:///" + shown  # an absolute POSIX path gives sqlite:////abs, as it must
    return f"{script(tracker, relative_to)} ui --backend-store-uri {quote(uri)}"


def ui_command_for(tracking_uri: str, tracker: str = "minitrack") -> str:
    """The UI command for a lesson's ``TRACKING_URI``, runnable from any folder: a relative
    ``sqlite:///mlflow.db`` is made absolute against the folder the lesson runs in."""
    prefix = "sqlite:///"
    if tracking_uri.startswith(prefix):
        return ui_command(Path(tracking_uri[len(prefix) :]), tracker)
    return f"{script(tracker)} ui --backend-store-uri {quote(tracking_uri)}"
