"""The venv path of scripts/setup_env.py, for real: a new environment in a temporary folder.

This is the path CI executes (no conda channel is reachable from our machines). uv from the
development environment is put on PATH so the install reuses its cache.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.slow


def notebook_reporting_its_python(path: Path) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("import sys\nprint(sys.prefix)\nprint(sys.executable)"),
    ]
    nbformat.write(notebook, path)


def test_setup_creates_env_replaces_stale_kernel_and_reruns_as_a_no_op(
    tmp_path, run_setup, env_without_activation
):
    prefix = tmp_path / "env"
    kernel_prefix = tmp_path / "jupyter"
    bin_dir = Path(sys.executable).parent  # holds uv (dev extra)
    env = env_without_activation(PATH=os.pathsep.join([str(bin_dir), os.environ["PATH"]]))
    args = ("--venv", "--prefix", str(prefix), "--kernel-prefix", str(kernel_prefix))

    # A kernel spec left over from an older setup, running some other Python.
    spec_file = kernel_prefix / "share" / "jupyter" / "kernels" / "exp-tracking" / "kernel.json"
    spec_file.parent.mkdir(parents=True)
    stale = {"argv": [sys._base_executable, "-m", "ipykernel_launcher"], "display_name": "old"}
    spec_file.write_text(json.dumps(stale))

    started = time.monotonic()
    first = run_setup(*args, "--no-doctor", cwd=tmp_path, env=env)
    first_seconds = time.monotonic() - started
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"Creating a virtual environment in {prefix}" in first.stdout
    assert "Installing the course kit with [lessons] using uv" in first.stdout
    before_install = first.stdout.split(
        "  $ " + shlex.join([shutil.which("uv", path=env["PATH"])])
    )[0]
    assert before_install.splitlines()[-1].endswith(
        "about a minute with uv (less from its cache); uv's output follows"
    )
    # what to run next, once, activation first, each as it works from here (tmp_path)
    assert first.stdout.count("activate it in each new terminal") == 1
    assert "  source env/bin/activate\n" in first.stdout
    assert "  course start " in first.stdout
    assert "Without activating, give the full path: env/bin/course doctor" in first.stdout

    python = prefix / "bin" / "python"
    assert f"replacing the stale kernel spec in {spec_file.parent}, which ran " in first.stdout
    spec = json.loads(spec_file.read_text())
    assert spec["argv"][0] == str(python)
    assert spec["display_name"] == "Python (exp-tracking)"

    # The course kernel, run by papermill, is the new environment's Python.
    notebook_reporting_its_python(tmp_path / "which.ipynb")
    executed = subprocess.run(
        [sys.executable, "-m", "papermill", "which.ipynb", "which.out.ipynb"]
        + ["-k", "exp-tracking", "--cwd", str(tmp_path)],
        cwd=tmp_path,
        env={**env, "JUPYTER_PATH": str(kernel_prefix / "share" / "jupyter")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert executed.returncode == 0, executed.stderr
    output = nbformat.read(tmp_path / "which.out.ipynb", as_version=4)
    kernel_prefix_seen, kernel_executable = output.cells[0].outputs[0]["text"].split()
    assert Path(kernel_prefix_seen) == prefix
    assert Path(kernel_executable) == python

    # The doctor, typed as the setup said (activate, then `course doctor`), passes.
    kernels = f" --kernel-dir {spec_file.parent.parent}"
    doctor = subprocess.run(
        ["bash", "-c", f"source env/bin/activate && course doctor{kernels}"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "PASS  kernel" in doctor.stdout and "0 failed" in doctor.stdout
    assert f"virtual environment at {prefix}" in doctor.stdout, doctor.stdout  # the new one
    marker = json.loads((spec_file.parent / "exp-tracking-created-by-setup.json").read_text())
    assert marker["env"] == str(prefix)  # the kernel is recorded as this environment's

    # A second run finds everything in place: it installs nothing and is much quicker.
    stamp_before = (prefix / "exp-tracking-setup.json").read_text()
    started = time.monotonic()
    second = run_setup(*args, "--no-doctor", cwd=tmp_path, env=env)
    second_seconds = time.monotonic() - started
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"Environment {prefix} is up to date" in second.stdout
    assert f"kernel 'exp-tracking' already runs {python}: nothing to do" in second.stdout
    assert "$ " not in second.stdout  # not a single command was run
    assert (prefix / "exp-tracking-setup.json").read_text() == stamp_before
    assert second_seconds < first_seconds / 3, (first_seconds, second_seconds)

    # --remove deletes the environment and the kernel that pointed into it.
    removed = run_setup(*args, "--remove", cwd=tmp_path, env=env)
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert not prefix.exists() and not spec_file.exists()
