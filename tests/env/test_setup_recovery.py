"""Broken states setup_env.py meets on students' machines: it says what it does about them."""

from __future__ import annotations

from pathlib import Path


def half_created_venv(folder: Path) -> Path:
    """What an interrupted ``python -m venv`` leaves: the marker file, no interpreter."""
    folder.mkdir(parents=True)
    (folder / "pyvenv.cfg").write_text("home = /usr/bin\n")
    return folder


def test_half_created_env_is_detected_and_would_be_recreated(
    run_setup, printed_commands, repo_copy, tmp_path, env_without_activation
):
    prefix = half_created_venv(tmp_path / "env")
    result = run_setup(
        "--venv",
        "--dry-run",
        "--prefix",
        str(prefix),
        repo=repo_copy,
        env=env_without_activation(PATH="/usr/bin:/bin"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Found a half-created environment at {prefix}: recreating it" in result.stdout
    assert f"- delete {prefix}" in result.stdout
    assert printed_commands(result.stdout)[0].endswith(f"-m venv {prefix}")
    assert (prefix / "pyvenv.cfg").is_file()  # a dry run deleted nothing


def test_too_little_disk_space_stops_before_creating_anything(
    run_setup, repo_copy, tmp_path, env_without_activation
):
    prefix = tmp_path / "env"
    result = run_setup(
        "--venv",
        "--prefix",
        str(prefix),
        repo=repo_copy,
        env=env_without_activation(COURSE_SETUP_MIN_FREE_GB="100000"),
    )
    assert result.returncode == 1
    assert f"GB free where the environment goes ({prefix})" in result.stdout
    assert "it needs about 100000 GB. Free some space, or put it elsewhere with --prefix." in (
        result.stdout
    )
    assert not prefix.exists()
