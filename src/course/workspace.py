"""The student's workspace: git-ignored copies of the lessons, where JupyterLab opens.

The committed notebooks in ``lessons/`` stay clean (no outputs, nothing that makes a
``git pull`` conflict); students run and edit the copies in ``workspace/``, which also
collects what the lessons write (``mlflow.db``, ``mlruns/``, ``models/``...).
:func:`sync` copies the lessons there and offers newer versions without overwriting work:

- a lesson not yet in the workspace is copied;
- a copy the student has not changed since it was copied is replaced by the newer version;
- a copy the student changed (edited, or ran: outputs count) is kept, and the newer version
  is written beside it as ``NN-name.new.ipynb``.

``.course-lessons.json`` in the workspace remembers which version of each lesson was copied.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

STATE_FILE = ".course-lessons.json"


@dataclass
class Action:
    lesson: str
    what: str  # "copied", "updated", "offered", "kept", "current"
    path: Path

    def describe(self) -> str:
        return {
            "copied": f"{self.lesson}: copied to {self.path}",
            "updated": f"{self.lesson}: a newer version replaced your unchanged copy",
            "offered": f"{self.lesson}: a newer version is in {self.path}; "
            f"your copy {self.path.name.replace('.new.ipynb', '.ipynb')} keeps your work",
            "kept": f"{self.lesson}: your copy is kept (you changed it)",
            "current": f"{self.lesson}: up to date",
        }[self.what]


def default_workspace(lessons_dir: str | os.PathLike) -> Path:
    return Path(lessons_dir).resolve().parent / "workspace"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sync(lessons_dir: str | os.PathLike, workspace: str | os.PathLike) -> list[Action]:
    """Copy the lessons into ``workspace`` and offer newer versions (see the module doc)."""
    lessons_dir, workspace = Path(lessons_dir), Path(workspace)
    workspace.mkdir(parents=True, exist_ok=True)
    state_path = workspace / STATE_FILE
    state = json.loads(state_path.read_text()) if state_path.exists() else {}
    actions = []
    for source in sorted(lessons_dir.glob("[0-9][0-9]-*.ipynb")):
        name, copy = source.stem, workspace / source.name
        offer = workspace / f"{name}.new.ipynb"
        latest = _digest(source)
        copied = state.get(name)  # the digest of the version last copied, or None
        if not copy.exists():
            copy.write_bytes(source.read_bytes())
            state[name] = latest
            actions.append(Action(name, "copied", copy))
        elif copied == latest:
            actions.append(Action(name, "current" if _digest(copy) == latest else "kept", copy))
        elif copied is not None and _digest(copy) == copied:
            copy.write_bytes(source.read_bytes())
            state[name] = latest
            actions.append(Action(name, "updated", copy))
        elif state.get(f"{name}.offered") == latest and offer.exists():
            actions.append(Action(name, "offered", offer))
        else:
            # the student's copy differs from what we gave them: never overwrite it
            offer.write_bytes(source.read_bytes())
            state[f"{name}.offered"] = latest
            actions.append(Action(name, "offered", offer))
    state_path.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")
    return actions


def lab_command(workspace: Path, extra: tuple[str, ...] = ()) -> list[str]:
    """JupyterLab of this environment, opening in ``workspace``."""
    import sys

    return [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={workspace}", *extra]
