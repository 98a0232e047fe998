"""Shared helpers for the environment tests: run the setup script and the doctor for real."""

from __future__ import annotations

import json
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


STAND_IN_CONDA = r'''#!{python}
"""A stand-in for conda: no conda channel is reachable here. It does to the disk what conda
does (create, update and remove a prefix with conda-meta/ and a Python) and logs each call."""
import json, os, shutil, sys, time
from pathlib import Path

argv = sys.argv[1:]
with open(os.environ["STAND_IN_CONDA_LOG"], "a") as log:
    log.write(json.dumps(argv) + "\n")
envs = Path(os.environ["STAND_IN_CONDA_ENVS"])
if argv[:3] == ["env", "list", "--json"]:
    found = [str(p) for p in sorted(envs.glob("*")) if (p / "conda-meta").is_dir()]
    print(json.dumps({{"envs": found}}))
    sys.exit(0)
if "-p" in argv:
    prefix = Path(argv[argv.index("-p") + 1])
else:
    prefix = envs / argv[argv.index("-n") + 1]
if "remove" in argv[:2]:
    shutil.rmtree(prefix)
    sys.exit(0)
time.sleep(float(os.environ.get("STAND_IN_CONDA_SECONDS") or 0))  # a quiet solve and download
if "create" in argv[:2] and prefix.exists():
    shutil.rmtree(prefix)  # conda replaces an environment it is asked to create over
(prefix / "conda-meta").mkdir(parents=True, exist_ok=True)
(prefix / "conda-meta" / "history").write_text("==> " + " ".join(argv) + "\n")
(prefix / "bin").mkdir(exist_ok=True)
python = prefix / "bin" / "python"
python.write_text("#!/bin/sh\nexit 0\n")  # pip install --no-deps -e . "succeeds"
python.chmod(0o755)
'''


class StandInConda:
    """A ``conda`` executable in ``tmp_path/tools`` and what it was asked to do."""

    def __init__(self, folder: Path):
        self.tools = folder / "tools"
        self.tools.mkdir(parents=True)
        self.exe = self.tools / "conda"
        self.exe.write_text(STAND_IN_CONDA.format(python=sys.executable))
        self.exe.chmod(0o755)
        self.envs = folder / "conda-envs"
        self.envs.mkdir()
        self.log = folder / "conda-calls.jsonl"
        self.log.write_text("")

    def env(self, **extra: str) -> dict[str, str]:
        return clean_env(
            PATH="/usr/bin:/bin",
            STAND_IN_CONDA_LOG=str(self.log),
            STAND_IN_CONDA_ENVS=str(self.envs),
            JUPYTER_DATA_DIR=str(self.tools.parent / "jupyter-data"),
            **extra,
        )

    def calls(self) -> list[list[str]]:
        return [json.loads(line) for line in self.log.read_text().splitlines()]


@pytest.fixture
def stand_in_conda(tmp_path: Path) -> StandInConda:
    return StandInConda(tmp_path)
