"""What a student sees during and after the setup: what a long step will do, signs of life
while a quiet installer runs, and next commands that work as printed (activation first)."""

from __future__ import annotations

import re

QUICK = ("--no-kernel", "--no-doctor")


def lines_before_command(output: str, command_start: str) -> list[str]:
    lines = output.splitlines()
    index = next(i for i, line in enumerate(lines) if line.strip().startswith(command_start))
    return lines[:index]


def test_quiet_conda_create_gets_a_warning_first_and_a_heartbeat(
    stand_in_conda, repo_copy, run_setup, tmp_path
):
    prefix = tmp_path / "envs" / "exp-tracking"
    result = run_setup(
        "--conda-exe",
        str(stand_in_conda.exe),
        "--prefix",
        str(prefix),
        *QUICK,
        repo=repo_copy,
        env=stand_in_conda.env(STAND_IN_CONDA_SECONDS="3", COURSE_SETUP_HEARTBEAT_SECONDS="1"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    before = lines_before_command(result.stdout, f"$ {stand_in_conda.exe} env create")
    assert "often several minutes, much of it quiet while conda solves and downloads" in before[-1]
    beats = re.findall(r"creating the environment: still working, (\d+) s so far", result.stdout)
    assert len(beats) >= 2, result.stdout
    assert [int(b) for b in beats] == sorted(int(b) for b in beats)  # the time keeps counting


def test_conda_setup_ends_with_how_to_activate_it(stand_in_conda, repo_copy, run_setup, tmp_path):
    prefix = tmp_path / "envs" / "exp-tracking"
    result = run_setup(
        "--conda-exe",
        str(stand_in_conda.exe),
        "--prefix",
        str(prefix),
        *QUICK,
        repo=repo_copy,
        env=stand_in_conda.env(),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("activate it in each new terminal") == 1
    assert "  conda activate envs/exp-tracking\n" in result.stdout  # relative to where we are
    assert "Without activating, give the full path: envs/exp-tracking/bin/course doctor" in (
        result.stdout
    )


def test_dry_run_says_what_each_long_step_will_take(
    run_setup, repo_copy, tmp_path, env_without_activation
):
    result = run_setup(
        "--venv",
        "--dry-run",
        "--prefix",
        str(tmp_path / "env"),
        repo=repo_copy,
        env=env_without_activation(PATH="/usr/bin:/bin"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    before = lines_before_command(result.stdout, "$ ")
    assert "an empty environment with pip: usually well under a minute" in before[-1]
    before_install = lines_before_command(result.stdout, f"$ {tmp_path / 'env' / 'bin' / 'python'}")
    assert (
        "2-5 minutes with pip, which downloads it all; pip's progress follows"
        in (before_install[-1])
    )
