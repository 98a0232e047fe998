"""setup_env.py deletes only what it recorded creating, and still cleans up after itself.

A folder with ``pyvenv.cfg`` or ``conda-meta/`` may be a student's project with an in-place
venv, or an environment another tool made: ``--force``, ``--remove`` and the recovery of a
half-created environment refuse those, say what they found and how to delete it by hand.
Everything here runs the real script. The venv cases build real venvs; their install step is
made to fail at once (an unparsable pyproject.toml in the repository copy), because nothing
checked here needs the packages, only the environment the setup created around them. The
conda cases use a stand-in ``conda`` (see conftest.py), which no machine here can run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

MARKER = "exp-tracking-created-by-setup.json"
REFUSED = "but this setup did not create it"
QUICK = ("--no-kernel", "--no-doctor")


def without_install(repo: Path) -> Path:
    """Make the install step fail at once, after the environment itself exists."""
    (repo / "pyproject.toml").write_text("this is not = [ toml\n")
    return repo


def project_with_in_place_venv(folder: Path) -> Path:
    """A student's project folder: a venv made in place, their code and their results."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    (folder / "train.py").write_text("print('my model')\n")
    (folder / "results").mkdir()
    (folder / "results" / "metrics.csv").write_text("rmse\n6.9\n")
    return folder


def assert_project_intact(folder: Path) -> None:
    assert (folder / "train.py").read_text() == "print('my model')\n"
    assert (folder / "results" / "metrics.csv").read_text() == "rmse\n6.9\n"
    assert (folder / "pyvenv.cfg").is_file()


def setup_made_venv(run_setup, repo: Path, prefix: Path, env) -> subprocess.CompletedProcess:
    result = run_setup("--venv", "--prefix", str(prefix), *QUICK, repo=repo, env=env)
    assert "Installing the course kit failed" in result.stdout, result.stdout + result.stderr
    assert (prefix / "pyvenv.cfg").is_file()
    return result


@pytest.fixture
def quick_repo(repo_copy):
    return without_install(repo_copy)


@pytest.fixture
def no_uv(env_without_activation, tmp_path):
    # pip, not uv; and the student's own Jupyter folder is never the one looked at
    return env_without_activation(PATH="/usr/bin:/bin", JUPYTER_DATA_DIR=str(tmp_path / "jd"))


# --- a student's project folder with an in-place venv ---------------------------------------


@pytest.mark.parametrize("flag", ["--force", "--remove"])
def test_project_folder_with_a_venv_is_not_deleted(flag, run_setup, quick_repo, tmp_path, no_uv):
    project = project_with_in_place_venv(tmp_path / "project")
    result = run_setup("--venv", "--prefix", str(project), flag, *QUICK, repo=quick_repo, env=no_uv)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{project} holds a venv environment, {REFUSED}" in result.stdout
    assert f"it has no {MARKER}" in result.stdout
    assert f"delete it yourself (rm -rf {project})" in result.stdout
    assert_project_intact(project)


def test_project_venv_whose_python_is_gone_is_not_taken_for_half_created(
    run_setup, quick_repo, tmp_path, no_uv
):
    project = project_with_in_place_venv(tmp_path / "project")
    python = project / "bin" / "python"
    python.unlink()
    python.symlink_to(tmp_path / "uninstalled-python3.9")  # the base Python was removed
    result = run_setup("--venv", "--prefix", str(project), *QUICK, repo=quick_repo, env=no_uv)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"holds a venv environment whose Python does not start, {REFUSED}" in result.stdout
    assert "half-created" not in result.stdout
    assert_project_intact(project)


@pytest.mark.slow  # builds a venv with pip
def test_marker_copied_from_elsewhere_grants_nothing(run_setup, quick_repo, tmp_path, no_uv):
    made = tmp_path / "made"
    setup_made_venv(run_setup, quick_repo, made, no_uv)
    project = project_with_in_place_venv(tmp_path / "project")
    (project / MARKER).write_bytes((made / MARKER).read_bytes())  # copied with a template
    result = run_setup("--venv", "--prefix", str(project), "--force", repo=quick_repo, env=no_uv)
    assert result.returncode == 1
    assert f"its {MARKER} records {made}: it was moved or copied here" in result.stdout
    assert_project_intact(project)


# --- what the setup created is still removed, recreated and recovered ------------------------


@pytest.mark.slow  # builds a venv with pip
def test_force_and_remove_delete_the_venv_the_setup_created(run_setup, quick_repo, tmp_path, no_uv):
    prefix = tmp_path / "env"
    setup_made_venv(run_setup, quick_repo, prefix, no_uv)
    marker = json.loads((prefix / MARKER).read_text())
    assert marker["path"] == str(prefix) and marker["kind"] == "venv"
    leftover = prefix / "lib" / "leftover.txt"
    leftover.write_text("from the first attempt")

    forced = run_setup(
        "--venv", "--prefix", str(prefix), "--force", *QUICK, repo=quick_repo, env=no_uv
    )
    assert f"Removing the environment at {prefix} (--force)" in forced.stdout
    assert f"Creating a virtual environment in {prefix}" in forced.stdout
    assert not leftover.exists() and (prefix / MARKER).is_file()

    removed = run_setup("--venv", "--prefix", str(prefix), "--remove", repo=quick_repo, env=no_uv)
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert "Removed." in removed.stdout
    assert not prefix.exists()


@pytest.mark.slow  # builds a venv with pip
def test_empty_folder_given_by_the_student_is_emptied_not_deleted(
    run_setup, quick_repo, tmp_path, no_uv
):
    prefix = tmp_path / "my-env"
    prefix.mkdir()
    setup_made_venv(run_setup, quick_repo, prefix, no_uv)
    removed = run_setup("--venv", "--prefix", str(prefix), "--remove", repo=quick_repo, env=no_uv)
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert prefix.is_dir() and list(prefix.iterdir()) == []


@pytest.mark.slow  # builds a venv with pip
def test_half_created_env_the_setup_made_is_recreated(run_setup, quick_repo, tmp_path, no_uv):
    prefix = tmp_path / "env"
    setup_made_venv(run_setup, quick_repo, prefix, no_uv)
    for python in (prefix / "bin").glob("python*"):  # what an interrupted venv leaves
        python.unlink()
    result = run_setup("--venv", "--prefix", str(prefix), *QUICK, repo=quick_repo, env=no_uv)
    assert f"Found a half-created environment at {prefix}: recreating it" in result.stdout
    assert f"Creating a virtual environment in {prefix}" in result.stdout
    assert (prefix / "bin" / "python").exists() and (prefix / MARKER).is_file()


@pytest.mark.slow  # builds a venv with pip
def test_setup_interrupted_while_creating_picks_up_where_it_stopped(
    quick_repo, tmp_path, env_without_activation
):
    prefix = tmp_path / "env"
    setup = subprocess.Popen(
        [sys.executable, str(quick_repo / "scripts" / "setup_env.py"), "--venv"]
        + ["--prefix", str(prefix), *QUICK],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env_without_activation(PATH="/usr/bin:/bin"),
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while not (prefix / MARKER).exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(setup.pid, signal.SIGINT)  # Ctrl+C, to the script and the venv it runs
    output, _ = setup.communicate(timeout=120)
    assert setup.returncode == 130, output
    assert "Interrupted. Run the script again" in output

    again = subprocess.run(
        [sys.executable, str(quick_repo / "scripts" / "setup_env.py"), "--venv"]
        + ["--prefix", str(prefix), *QUICK],
        capture_output=True,
        text=True,
        env=env_without_activation(PATH="/usr/bin:/bin"),
        timeout=300,
    )
    assert REFUSED not in again.stdout, again.stdout
    assert "Installing the course kit failed" in again.stdout  # got as far as the install
    assert subprocess.run([str(prefix / "bin" / "python"), "-c", "pass"]).returncode == 0


# --- kernel specs ---------------------------------------------------------------------------


def kernel_spec(kernel_prefix: Path, python: str, marker_env: str | None = None) -> Path:
    folder = kernel_prefix / "share" / "jupyter" / "kernels" / "exp-tracking"
    folder.mkdir(parents=True)
    spec = {"argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"]}
    (folder / "kernel.json").write_text(json.dumps(spec))
    if marker_env is not None:  # as the setup of that other environment recorded it
        record = {"path": str(folder), "kind": "kernel", "env": marker_env}
        (folder / MARKER).write_text(json.dumps(record))
    return folder


@pytest.mark.slow  # builds a venv with pip
@pytest.mark.parametrize("registered_by_setup_for_another_env", [False, True])
def test_remove_keeps_a_kernel_spec_of_another_env_whose_python_is_gone(
    registered_by_setup_for_another_env, run_setup, quick_repo, tmp_path, no_uv
):
    prefix = tmp_path / "env"
    setup_made_venv(run_setup, quick_repo, prefix, no_uv)
    other = tmp_path / "other-clone" / ".venv"
    marker_env = str(other) if registered_by_setup_for_another_env else None
    spec = kernel_spec(tmp_path / "jupyter", str(other / "bin" / "python"), marker_env)
    result = run_setup(
        "--venv",
        "--prefix",
        str(prefix),
        "--remove",
        "--kernel-prefix",
        str(tmp_path / "jupyter"),
        repo=quick_repo,
        env=no_uv,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"keeping {spec} (it runs {other / 'bin' / 'python'})" in result.stdout
    assert "jupyter kernelspec remove exp-tracking" in result.stdout
    assert (spec / "kernel.json").is_file()
    assert not prefix.exists()  # the environment itself was the setup's: gone


@pytest.mark.slow  # builds a venv with pip
def test_remove_deletes_the_kernel_spec_the_setup_recorded_for_this_env(
    run_setup, quick_repo, tmp_path, no_uv
):
    prefix = tmp_path / "env"
    setup_made_venv(run_setup, quick_repo, prefix, no_uv)
    spec = kernel_spec(tmp_path / "jupyter", str(prefix / "bin" / "python"), str(prefix))
    result = run_setup(
        "--venv",
        "--prefix",
        str(prefix),
        "--remove",
        "--kernel-prefix",
        str(tmp_path / "jupyter"),
        repo=quick_repo,
        env=no_uv,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"- delete {spec}" in result.stdout
    assert not spec.exists() and not prefix.exists()


def test_refused_remove_leaves_the_kernel_alone_too(run_setup, quick_repo, tmp_path, no_uv):
    project = project_with_in_place_venv(tmp_path / "project")
    spec = kernel_spec(tmp_path / "jupyter", str(project / "bin" / "python"), str(project))
    result = run_setup(
        "--venv",
        "--prefix",
        str(project),
        "--remove",
        "--kernel-prefix",
        str(tmp_path / "jupyter"),
        repo=quick_repo,
        env=no_uv,
    )
    assert result.returncode == 1
    assert REFUSED in result.stdout
    assert (spec / "kernel.json").is_file()
    assert_project_intact(project)


# --- conda ----------------------------------------------------------------------------------


def conda_meta_folder(folder: Path) -> Path:
    """A conda environment another tool made, holding the student's notebooks too."""
    (folder / "conda-meta").mkdir(parents=True)
    (folder / "conda-meta" / "history").write_text("==> conda create -p ...\n")
    (folder / "notebooks").mkdir()
    (folder / "notebooks" / "work.ipynb").write_text("{}")
    return folder


@pytest.mark.parametrize("flag", ["--force", "--remove"])
def test_conda_env_the_setup_did_not_create_is_not_removed(
    flag, stand_in_conda, repo_copy, run_setup, tmp_path
):
    prefix = conda_meta_folder(tmp_path / "envs" / "exp-tracking")
    exe = str(stand_in_conda.exe)
    result = run_setup(
        "--conda-exe",
        exe,
        "--prefix",
        str(prefix),
        flag,
        *QUICK,
        repo=repo_copy,
        env=stand_in_conda.env(),
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{prefix} holds a conda environment, {REFUSED}" in result.stdout
    assert f"delete it yourself ({exe} env remove -y -p {prefix})" in result.stdout
    assert stand_in_conda.calls() == []  # conda was never asked to do anything
    assert (prefix / "notebooks" / "work.ipynb").read_text() == "{}"


def test_named_conda_env_the_setup_did_not_create_is_not_removed(
    stand_in_conda, repo_copy, run_setup
):
    prefix = conda_meta_folder(stand_in_conda.envs / "exp-tracking")
    exe = str(stand_in_conda.exe)
    result = run_setup("--conda-exe", exe, "--remove", repo=repo_copy, env=stand_in_conda.env())
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"delete it yourself ({exe} env remove -y -n exp-tracking)" in result.stdout
    assert stand_in_conda.calls() == [["env", "list", "--json"]]
    assert (prefix / "notebooks" / "work.ipynb").is_file()


@pytest.mark.parametrize("flag", ["--force", "--remove"])
def test_dry_run_shows_no_conda_remove_for_an_env_the_setup_did_not_create(
    flag, repo_copy, run_setup, printed_commands, tmp_path, env_without_activation
):
    prefix = conda_meta_folder(tmp_path / "envs" / "exp-tracking")
    result = run_setup(
        "--dry-run",
        "--conda-exe",
        "/opt/course-tools/bin/conda",
        "--prefix",
        str(prefix),
        flag,
        repo=repo_copy,
        env=env_without_activation(PATH="/usr/bin:/bin"),
    )
    assert result.returncode == 1
    assert REFUSED in result.stdout
    assert not any("remove" in line for line in printed_commands(result.stdout))


def test_lock_install_would_replace_an_env_the_setup_did_not_create(
    repo_copy, run_setup, printed_commands, tmp_path, env_without_activation
):
    prefix = conda_meta_folder(tmp_path / "envs" / "exp-tracking")
    (repo_copy / "conda-lock.yml").write_text("version: 1\nmetadata: {}\npackage: []\n")
    result = run_setup(
        "--dry-run",
        "--conda-exe",
        "/opt/course-tools/bin/micromamba",
        "--prefix",
        str(prefix),
        repo=repo_copy,
        env=env_without_activation(PATH="/usr/bin:/bin"),
    )
    assert result.returncode == 1
    assert f"{prefix} holds a conda environment the lock would replace, {REFUSED}" in result.stdout
    assert printed_commands(result.stdout) == []


def test_conda_prefix_holding_a_venv_is_refused(repo_copy, run_setup, tmp_path, stand_in_conda):
    project = project_with_in_place_venv(tmp_path / "project")
    result = run_setup(
        "--conda-exe",
        str(stand_in_conda.exe),
        "--prefix",
        str(project),
        *QUICK,
        repo=repo_copy,
        env=stand_in_conda.env(),
    )
    assert result.returncode == 1
    assert f"{project} holds files but no conda environment (no conda-meta), {REFUSED}" in (
        result.stdout
    )
    assert stand_in_conda.calls() == []
    assert_project_intact(project)


def test_conda_env_the_setup_created_is_recreated_and_removed(
    stand_in_conda, repo_copy, run_setup, tmp_path
):
    prefix = tmp_path / "envs" / "exp-tracking"
    exe = str(stand_in_conda.exe)
    args = ("--conda-exe", exe, "--prefix", str(prefix), *QUICK)
    env_file = str(repo_copy / "environment.yml")

    created = run_setup(*args, repo=repo_copy, env=stand_in_conda.env())
    assert created.returncode == 0, created.stdout + created.stderr
    assert json.loads((prefix / MARKER).read_text())["path"] == str(prefix)
    assert stand_in_conda.calls() == [["env", "create", "-p", str(prefix), "-f", env_file]]

    forced = run_setup(*args, "--force", repo=repo_copy, env=stand_in_conda.env())
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert stand_in_conda.calls()[1:] == [
        ["env", "remove", "-y", "-p", str(prefix)],
        ["env", "create", "-p", str(prefix), "-f", env_file],
    ]
    assert (prefix / MARKER).is_file()  # recorded again for the new environment

    removed = run_setup(*args, "--remove", repo=repo_copy, env=stand_in_conda.env())
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert stand_in_conda.calls()[3:] == [["env", "remove", "-y", "-p", str(prefix)]]
    assert not prefix.exists()


def test_named_conda_env_the_setup_created_is_removed(stand_in_conda, repo_copy, run_setup):
    exe = str(stand_in_conda.exe)
    env = stand_in_conda.env()
    created = run_setup("--conda-exe", exe, *QUICK, repo=repo_copy, env=env)
    assert created.returncode == 0, created.stdout + created.stderr
    prefix = stand_in_conda.envs / "exp-tracking"
    assert (prefix / MARKER).is_file()
    removed = run_setup("--conda-exe", exe, "--remove", "--no-kernel", repo=repo_copy, env=env)
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert ["env", "remove", "-y", "-n", "exp-tracking"] in stand_in_conda.calls()
    assert not prefix.exists()
