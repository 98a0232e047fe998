"""Bad input to scripts/setup_env.py: a clear message, exit code 2, and nothing deleted."""

from __future__ import annotations

from pathlib import Path


def make_venv_lookalike(folder: Path) -> Path:
    """A folder that looks like a venv to the script (its marker file plus a package)."""
    (folder / "lib").mkdir(parents=True)
    (folder / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (folder / "lib" / "installed.txt").write_text("keep me")
    return folder


def test_unknown_flag_is_refused_with_usage(run_setup, repo_copy):
    result = run_setup("--frobnicate", repo=repo_copy)
    assert result.returncode == 2
    assert "unrecognized arguments: --frobnicate" in result.stderr
    assert "usage: setup_env.py" in result.stderr


def test_prefix_that_is_a_file_is_refused_and_kept(run_setup, repo_copy, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes")
    result = run_setup("--venv", "--prefix", str(notes), repo=repo_copy)
    assert result.returncode == 2
    assert f"--prefix {notes} is a file, not a folder" in result.stdout
    assert notes.read_text() == "my notes"


def test_prefix_with_unrelated_content_is_not_touched(run_setup, repo_copy, tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "cat.jpg").write_bytes(b"\xff\xd8")
    for flags in (["--force"], ["--remove"], []):
        result = run_setup("--venv", "--prefix", str(photos), *flags, repo=repo_copy)
        assert result.returncode == 2, flags
        assert "not a Python environment" in result.stdout
        assert (photos / "cat.jpg").read_bytes() == b"\xff\xd8"


def test_missing_environment_yml_stops_before_anything_is_deleted(run_setup, repo_copy, tmp_path):
    env = make_venv_lookalike(tmp_path / "env")
    (repo_copy / "environment.yml").unlink()
    result = run_setup("--venv", "--force", "--prefix", str(env), repo=repo_copy)
    assert result.returncode == 2
    assert "environment.yml is missing" in result.stdout
    assert "git clone it again, or restore the file with git" in result.stdout
    assert (env / "lib" / "installed.txt").read_text() == "keep me"


def test_remove_and_force_together_are_refused(run_setup, repo_copy, tmp_path):
    env = make_venv_lookalike(tmp_path / "env")
    result = run_setup("--venv", "--remove", "--force", "--prefix", str(env), repo=repo_copy)
    assert result.returncode == 2
    assert "--remove and --force contradict each other" in result.stdout
    assert (env / "pyvenv.cfg").is_file()


def test_conda_exe_that_is_not_conda_is_refused(run_setup, repo_copy):
    result = run_setup("--dry-run", "--conda-exe", "/usr/bin/python3", repo=repo_copy)
    assert result.returncode == 2
    assert "expected a micromamba, mamba or conda executable" in result.stdout


def test_dry_run_of_the_venv_path_changes_nothing(
    run_setup, printed_commands, repo_copy, tmp_path, env_without_activation
):
    prefix = tmp_path / "env"
    result = run_setup(
        "--venv",
        "--dry-run",
        "--prefix",
        str(prefix),
        repo=repo_copy,
        env=env_without_activation(PATH="/usr/bin:/bin"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    printed = printed_commands(result.stdout)
    assert printed[0].endswith(f"-m venv {prefix}")
    assert any(f"-m pip install -e '{repo_copy}[lessons]'" in line for line in printed)
    assert "Miniforge" in result.stdout  # conda is the recommended path, and how to get it
    assert not prefix.exists()
