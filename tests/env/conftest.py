"""Shared helpers for the environment tests: run the setup script and the doctor for real."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SETUP_SCRIPT = REPO / "scripts" / "setup_env.py"


def clean_env(**extra: str) -> dict[str, str]:
    """The current environment without an activated venv/conda env, plus ``extra``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_EXE", "MAMBA_EXE", "JUPYTER_PATH")
    }
    env.update(extra)
    return env


def _run_setup(*args: str, repo: Path = REPO, cwd: Path | None = None, env=None):
    return subprocess.run(
        [sys.executable, str(repo / "scripts" / "setup_env.py"), *args],
        capture_output=True,
        text=True,
        cwd=cwd or repo,
        env=env or clean_env(),
        timeout=900,
    )


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """A copy of the files setup_env.py reads, so a test may add or delete some of them."""
    copy = tmp_path / "repo"
    (copy / "scripts").mkdir(parents=True)
    shutil.copy2(SETUP_SCRIPT, copy / "scripts" / "setup_env.py")
    for name in ("pyproject.toml", "environment.yml"):
        shutil.copy2(REPO / name, copy / name)
    return copy


def _commands(output: str) -> list[str]:
    return [line.strip()[2:] for line in output.splitlines() if line.strip().startswith("$ ")]


@pytest.fixture
def run_setup():
    """Run a repository's ``scripts/setup_env.py`` as a student would (CompletedProcess)."""
    return _run_setup


@pytest.fixture
def printed_commands():
    """The commands a run printed, one per ``$ `` line, as they would be typed."""
    return _commands


@pytest.fixture
def env_without_activation():
    """Build a process environment with no activated venv/conda env (plus given variables)."""
    return clean_env
