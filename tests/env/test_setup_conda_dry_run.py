"""The conda path of scripts/setup_env.py, checked through ``--dry-run``.

No conda channel is reachable from the machines this kit is built on, so these tests compare
the exact commands the script would run with what each tool's documentation says:

- conda: ``conda env create -n NAME -f FILE``, ``conda env update -n NAME -f FILE --prune``,
  ``conda env remove -n NAME -y`` (conda docs, commands/env/create, update, remove);
- mamba accepts the same ``env`` sub-commands;
- micromamba: ``micromamba create -n NAME -f env.yml``, ``micromamba install -n NAME -f
  env.yml``, and ``micromamba create -n NAME -f conda-lock.yml`` for conda-lock's unified lock
  file (mamba docs, user guide > micromamba);
- conda-lock: ``conda-lock install [--conda EXE] [--mamba/--no-mamba] [-p PREFIX | -n NAME]
  [LOCK_FILE]`` (conda-lock docs, CLI reference).
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

TOOLS_DIR = "/opt/course-tools/bin"  # need not exist: a dry run runs none of these
CONDA_LOCK = f"{TOOLS_DIR}/conda-lock"
NAME = ["-n", "exp-tracking"]
KERNEL = ["--name", "exp-tracking", "--display-name", "Python (exp-tracking)"]


def dry_run(run_setup, env_without_activation, repo: Path, tool: str, *extra: str):
    result = run_setup(
        "--dry-run",
        "--conda-exe",
        f"{TOOLS_DIR}/{tool}",
        "--conda-lock-exe",
        CONDA_LOCK,
        *extra,
        repo=repo,
        env=env_without_activation(PATH="/usr/bin:/bin"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def as_lists(printed: list[str]) -> list[list[str]]:
    return [shlex.split(line) for line in printed]


def add_lock(repo: Path) -> Path:
    # A stand-in lock: the dry run only needs the file to exist, never reads it.
    lock = repo / "conda-lock.yml"
    lock.write_text("version: 1\nmetadata: {}\npackage: []\n")
    return lock


def existing_env(tmp_path: Path) -> Path:
    prefix = tmp_path / "envs" / "exp-tracking"
    (prefix / "conda-meta").mkdir(parents=True)  # what makes a folder a conda environment
    return prefix


def env_made_by_setup(run_setup, stand_in_conda, repo: Path, tmp_path: Path) -> Path:
    """An environment this setup created (through the stand-in conda), so it may replace it."""
    prefix = tmp_path / "envs" / "exp-tracking"
    made = run_setup(
        "--conda-exe",
        str(stand_in_conda.exe),
        "--prefix",
        str(prefix),
        "--no-kernel",
        "--no-doctor",
        repo=repo,
        env=stand_in_conda.env(),
    )
    assert made.returncode == 0, made.stdout + made.stderr
    return prefix


@pytest.mark.parametrize("tool", ["conda", "mamba"])
def test_new_env_without_lock_uses_conda_env_create(
    tool, repo_copy, run_setup, printed_commands, env_without_activation
):
    result = dry_run(run_setup, env_without_activation, repo_copy, tool)
    exe = f"{TOOLS_DIR}/{tool}"
    env_python = [exe, "run", *NAME, "python"]
    assert as_lists(printed_commands(result.stdout)) == [
        [exe, "env", "create", *NAME, "-f", str(repo_copy / "environment.yml")],
        [*env_python, "-m", "pip", "install", "--no-deps", "-e", f"{repo_copy}[lessons]"],
        [*env_python, "-m", "ipykernel", "install", "--user", *KERNEL],
        [*env_python, "-m", "course.cli", "doctor"],
    ]
    assert "No conda-lock.yml in the repository: using environment.yml" in result.stdout


def test_new_env_without_lock_with_micromamba(
    repo_copy, run_setup, printed_commands, env_without_activation
):
    result = dry_run(run_setup, env_without_activation, repo_copy, "micromamba")
    exe = f"{TOOLS_DIR}/micromamba"
    assert as_lists(printed_commands(result.stdout))[0] == [
        exe,
        "create",
        "-y",
        *NAME,
        "-f",
        str(repo_copy / "environment.yml"),
    ]


@pytest.mark.parametrize(("tool", "mamba_flag"), [("conda", "--no-mamba"), ("mamba", "--mamba")])
def test_lock_present_installs_through_conda_lock(
    tool, mamba_flag, repo_copy, run_setup, printed_commands, env_without_activation
):
    lock = add_lock(repo_copy)
    result = dry_run(run_setup, env_without_activation, repo_copy, tool)
    exe = f"{TOOLS_DIR}/{tool}"
    printed = as_lists(printed_commands(result.stdout))
    assert printed[0] == [CONDA_LOCK, "install", "--conda", exe, mamba_flag, *NAME, str(lock)]
    # conda-lock leaves the editable kit out of the lock: it is installed right after
    assert printed[1][-4:] == ["install", "--no-deps", "-e", f"{repo_copy}[lessons]"]
    assert "Using the lock file conda-lock.yml" in result.stdout


def test_lock_present_with_micromamba_uses_its_own_lock_support(
    repo_copy, run_setup, printed_commands, env_without_activation
):
    lock = add_lock(repo_copy)
    result = dry_run(run_setup, env_without_activation, repo_copy, "micromamba")
    exe = f"{TOOLS_DIR}/micromamba"
    assert as_lists(printed_commands(result.stdout))[0] == [
        exe,
        "create",
        "-y",
        *NAME,
        "-f",
        str(lock),
    ]
    assert CONDA_LOCK not in result.stdout


def test_lock_present_but_no_conda_lock_falls_back_to_environment_yml(
    repo_copy, run_setup, printed_commands, env_without_activation
):
    add_lock(repo_copy)
    exe = f"{TOOLS_DIR}/conda"
    result = run_setup(
        "--dry-run",
        "--conda-exe",
        exe,
        repo=repo_copy,
        env=env_without_activation(PATH="/usr/bin:/bin"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "conda-lock is not installed: using environment.yml instead" in result.stdout
    assert as_lists(printed_commands(result.stdout))[0] == [
        exe,
        "env",
        "create",
        *NAME,
        "-f",
        str(repo_copy / "environment.yml"),
    ]


@pytest.mark.parametrize(
    ("tool", "update"),
    [
        ("conda", ["env", "update", "-p", "{prefix}", "-f", "{env_file}", "--prune"]),
        ("mamba", ["env", "update", "-p", "{prefix}", "-f", "{env_file}", "--prune"]),
        ("micromamba", ["install", "-y", "-p", "{prefix}", "-f", "{env_file}"]),
    ],
)
def test_existing_env_is_updated_in_place(
    tool, update, tmp_path, repo_copy, run_setup, printed_commands, env_without_activation
):
    prefix = existing_env(tmp_path)
    result = dry_run(run_setup, env_without_activation, repo_copy, tool, "--prefix", str(prefix))
    values = {"prefix": str(prefix), "env_file": str(repo_copy / "environment.yml")}
    printed = as_lists(printed_commands(result.stdout))
    assert printed[0] == [f"{TOOLS_DIR}/{tool}", *[part.format(**values) for part in update]]
    # inside an environment given by path, its own Python does the rest
    assert printed[1][:3] == [str(prefix / "bin" / "python"), "-m", "pip"]
    assert (prefix / "conda-meta").is_dir()  # a dry run changed nothing


@pytest.mark.parametrize("tool", ["conda", "mamba", "micromamba"])
def test_force_removes_then_creates(
    tool, tmp_path, repo_copy, run_setup, printed_commands, env_without_activation, stand_in_conda
):
    prefix = env_made_by_setup(run_setup, stand_in_conda, repo_copy, tmp_path)
    result = dry_run(
        run_setup, env_without_activation, repo_copy, tool, "--prefix", str(prefix), "--force"
    )
    exe = f"{TOOLS_DIR}/{tool}"
    printed = as_lists(printed_commands(result.stdout))
    assert printed[0] == [exe, "env", "remove", "-y", "-p", str(prefix)]
    create = printed[1]
    assert create[0] == exe and create[-2:] == ["-f", str(repo_copy / "environment.yml")]
    assert ("create" in create) and ("update" not in create) and ("install" not in create)
    assert (prefix / "conda-meta").is_dir()


@pytest.mark.parametrize("tool", ["conda", "mamba", "micromamba"])
def test_remove_deletes_env_and_says_what_about_the_kernel(
    tool, repo_copy, run_setup, printed_commands, env_without_activation, tmp_path
):
    result = run_setup(
        "--dry-run",
        "--remove",
        "--conda-exe",
        f"{TOOLS_DIR}/{tool}",
        repo=repo_copy,
        env=env_without_activation(PATH="/usr/bin:/bin", JUPYTER_DATA_DIR=str(tmp_path / "jd")),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert as_lists(printed_commands(result.stdout)) == [
        [f"{TOOLS_DIR}/{tool}", "env", "remove", "-y", *NAME]
    ]
    assert "no kernel spec in" in result.stdout


@pytest.mark.parametrize(
    ("tool", "create"),
    [
        ("conda", [CONDA_LOCK, "install", "--conda", "{exe}", "--no-mamba", "-p", "{prefix}"]),
        ("mamba", [CONDA_LOCK, "install", "--conda", "{exe}", "--mamba", "-p", "{prefix}"]),
        ("micromamba", ["{exe}", "create", "-y", "-p", "{prefix}", "-f"]),
    ],
)
def test_lock_with_force_recreates_from_the_lock(
    tool,
    create,
    tmp_path,
    repo_copy,
    run_setup,
    printed_commands,
    env_without_activation,
    stand_in_conda,
):
    prefix = env_made_by_setup(run_setup, stand_in_conda, repo_copy, tmp_path)
    lock = add_lock(repo_copy)
    result = dry_run(
        run_setup, env_without_activation, repo_copy, tool, "--prefix", str(prefix), "--force"
    )
    exe = f"{TOOLS_DIR}/{tool}"
    values = {"exe": exe, "prefix": str(prefix)}
    printed = as_lists(printed_commands(result.stdout))
    assert printed[:2] == [
        [exe, "env", "remove", "-y", "-p", str(prefix)],
        [*[part.format(**values) for part in create], str(lock)],
    ]


def test_dev_installs_the_kit_with_its_dev_extra(
    repo_copy, run_setup, printed_commands, env_without_activation
):
    result = dry_run(run_setup, env_without_activation, repo_copy, "conda", "--dev")
    printed = as_lists(printed_commands(result.stdout))
    assert printed[1][-2:] == ["-e", f"{repo_copy}[lessons,dev]"]
    assert "environment.yml already holds the test tools" in result.stdout
