"""Broken states setup_env.py meets on students' machines: it says what it does about them."""

from __future__ import annotations

from pathlib import Path


def half_created_venv(folder: Path) -> Path:
    """What an interrupted ``python -m venv`` leaves: the marker file, no interpreter."""
    folder.mkdir(parents=True)
    (folder / "pyvenv.cfg").write_text("home = /usr/bin\n")
    return folder


def test_half_created_env_the_setup_did_not_make_is_left_alone(
    run_setup, printed_commands, repo_copy, tmp_path, env_without_activation
):
    # The setup's own half-created environments are recreated: see test_setup_ownership.py.
    prefix = half_created_venv(tmp_path / "env")
    result = run_setup(
        "--venv",
        "--dry-run",
        "--prefix",
        str(prefix),
        repo=repo_copy,
        env=env_without_activation(PATH="/usr/bin:/bin"),
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{prefix} holds a venv environment whose Python does not start" in result.stdout
    assert f"delete it yourself (rm -rf {prefix})" in result.stdout
    assert printed_commands(result.stdout) == []
    assert (prefix / "pyvenv.cfg").is_file()


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
