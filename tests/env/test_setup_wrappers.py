"""scripts/setup.sh finds a Python and hands every argument to setup_env.py."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")


def run_wrapper(*args: str, path: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [shutil.which("sh"), str(REPO / "scripts" / "setup.sh"), *args],
        capture_output=True,
        text=True,
        env={"PATH": path, "HOME": str(Path.home())},
        timeout=60,
    )


def test_setup_sh_passes_arguments_through(tmp_path):
    path = f"{Path(sys.executable).parent}:/usr/bin:/bin"
    result = run_wrapper("--dry-run", "--venv", "--prefix", str(tmp_path / "env"), path=path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Dry run: nothing will be changed" in result.stdout
    assert f"Creating a virtual environment in {tmp_path / 'env'}" in result.stdout
    assert not (tmp_path / "env").exists()


def test_setup_sh_passes_the_exit_code_through():
    result = run_wrapper("--no-such-flag", path=f"{Path(sys.executable).parent}:/usr/bin:/bin")
    assert result.returncode == 2
    assert "unrecognized arguments: --no-such-flag" in result.stderr


def test_setup_sh_without_python_says_how_to_get_one(tmp_path):
    tools = tmp_path / "bin"  # the shell tools the wrapper uses, and no Python at all
    tools.mkdir()
    (tools / "dirname").symlink_to(shutil.which("dirname"))
    result = run_wrapper("--dry-run", path=str(tools))
    assert result.returncode == 1
    assert "no Python 3.9 or newer found" in result.stderr
    assert "Miniforge" in result.stderr
