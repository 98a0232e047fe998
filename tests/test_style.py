"""The project's own style rules hold: `ruff check` and `ruff format --check` pass."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def ruff() -> str:
    # The ruff next to this Python (the dev extra installs it), else one on PATH.
    beside = Path(sys.executable).with_name("ruff")
    found = str(beside) if beside.exists() else shutil.which("ruff")
    if found is None:
        pytest.skip("ruff is not installed: install the dev extra (setup_env.py --dev)")
    return found


@pytest.mark.parametrize(
    "command", [["check"], ["format", "--check"]], ids=["ruff check", "ruff format"]
)
def test_ruff_passes_on_the_whole_repository(command):
    result = subprocess.run(
        [ruff(), *command, "."], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
