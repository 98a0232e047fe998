"""``course doctor``: a passing environment, and failures that each come with their fix."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from click.testing import CliRunner

from course.cli import main

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def kernels(tmp_path: Path):
    """A kernel folder holding an ``exp-tracking`` spec that runs the given Python."""

    def make(python: str) -> Path:
        folder = tmp_path / "kernels"
        spec = folder / "exp-tracking"
        spec.mkdir(parents=True, exist_ok=True)
        kernel = {
            "argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python (exp-tracking)",
            "language": "python",
        }
        (spec / "kernel.json").write_text(json.dumps(kernel))
        return folder

    return make


@pytest.fixture
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def doctor(tmp_path, monkeypatch, kernels, free_port):
    """Run ``course doctor`` in-process with a healthy setup unless a test overrides it."""
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    monkeypatch.delenv("CONDA_PREFIX", raising=False)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))

    def run(*args: str):
        defaults = {"--store": str(tmp_path / "mlflow.db"), "--port": str(free_port)}
        if "--kernel-dir" not in args:
            defaults["--kernel-dir"] = str(kernels(sys.executable))
        for flag in args:
            defaults.pop(flag, None)
        argv = ["doctor", *args] + [part for pair in defaults.items() for part in pair]
        return CliRunner().invoke(main, argv)

    return run


VERDICTS = ("PASS", "WARN", "FAIL")


def status_of(output: str, check: str) -> str:
    for line in output.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] in VERDICTS and words[1] == check:
            return words[0]
    raise AssertionError(f"no line for {check!r} in:\n{output}")


def fix_after(output: str, check: str) -> str:
    lines = output.splitlines()
    for index, line in enumerate(lines):
        words = line.split()
        if len(words) >= 2 and words[0] in VERDICTS and words[1] == check:
            follow = lines[index + 1].strip()
            assert follow.startswith("fix: "), follow
            return follow[len("fix: ") :]
    raise AssertionError(f"no line for {check!r}")


def test_healthy_environment_passes_from_the_command_line(tmp_path, kernels, free_port):
    """The real console entry point, in a fresh process, as a student runs it."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "CONDA_PREFIX")}
    env["COURSE_DATA_DIR"] = str(tmp_path / "data")
    result = subprocess.run(
        [sys.executable, "-m", "course.cli", "doctor", "--json"]
        + ["--store", str(tmp_path / "mlflow.db"), "--port", str(free_port)]
        + ["--kernel-dir", str(kernels(sys.executable))],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    verdicts = {check["name"]: check["status"] for check in report["checks"]}
    for name in ("python", "environment", "packages", "xgboost", "kernel", "store", "port"):
        assert verdicts[name] == "pass", report
    # no taxi files in an empty cache: a warning with a way out, not a failure
    data = next(check for check in report["checks"] if check["name"] == "data")
    assert data["status"] == "warn" and "course data fetch" in data["fix"]
    assert list(tmp_path.glob(".course-doctor-*")) == []  # the store probe cleaned up


def test_table_lists_every_check_and_a_summary(doctor):
    result = doctor()
    assert result.exit_code == 0, result.output
    for check in ("platform", "python", "environment", "packages", "xgboost", "kernel"):
        assert status_of(result.output, check) in ("PASS", "WARN")
    assert "0 failed." in result.output
    assert "Your environment is ready for the course." in result.output


def test_missing_package_fails_and_says_how_to_install_it(doctor, tmp_path):
    spec = tmp_path / "pyproject.toml"
    text = (REPO / "pyproject.toml").read_text()
    spec.write_text(text.replace("lessons = [", 'lessons = [\n    "course-missing-example>=1.0",'))
    result = doctor("--spec", str(spec))
    assert result.exit_code == 1
    assert status_of(result.output, "packages") == "FAIL"
    assert "course-missing-example is missing (need course-missing-example>=1.0)" in result.output
    fix = fix_after(result.output, "packages")
    assert "python3 scripts/setup_env.py" in fix
    assert f'{sys.executable} -m pip install "course-missing-example>=1.0"' in fix


def test_too_old_package_fails_naming_the_installed_version(doctor, tmp_path):
    from importlib.metadata import version

    spec = tmp_path / "pyproject.toml"
    text = (REPO / "pyproject.toml").read_text()
    spec.write_text(text.replace('"xgboost>=2.1"', '"xgboost>=99"'))
    result = doctor("--spec", str(spec))
    assert result.exit_code == 1
    assert f"xgboost {version('xgboost')} does not satisfy xgboost>=99" in result.output


def test_kernel_running_another_python_fails_with_the_register_command(doctor, kernels):
    other = os.path.realpath(sys._base_executable)  # a real Python, not this environment's
    result = doctor("--kernel-dir", str(kernels(other)))
    assert result.exit_code == 1
    assert status_of(result.output, "kernel") == "FAIL"
    assert f"kernel 'exp-tracking' runs {other}, not this environment's Python" in result.output
    fix = fix_after(result.output, "kernel")
    assert fix.endswith(
        f"{sys.executable} -m ipykernel install --user --name exp-tracking "
        '--display-name "Python (exp-tracking)"'
    )


def test_missing_kernel_fails_with_the_register_command(doctor, tmp_path):
    result = doctor("--kernel-dir", str(tmp_path / "no-kernels-here"))
    assert result.exit_code == 1
    assert "no Jupyter kernel named 'exp-tracking'" in result.output
    assert "-m ipykernel install --user --name exp-tracking" in fix_after(result.output, "kernel")


def test_unwritable_store_fails_and_says_where_to_put_it(doctor, tmp_path):
    blocker = tmp_path / "results"
    blocker.write_text("a file where the store's folder should be")
    result = doctor("--store", str(blocker / "mlflow.db"))
    assert result.exit_code == 1
    assert status_of(result.output, "store") == "FAIL"
    assert f"cannot create {blocker / 'mlflow.db'}: {blocker} is not a folder" in result.output
    assert "--store /path/to/mlflow.db" in fix_after(result.output, "store")
    assert blocker.read_text() == "a file where the store's folder should be"


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder this process cannot write to, even as root (CI runs as root).

    Permissions do not stop root, so there the folder is made immutable with
    `chattr +i`, which needs a file system and a container that allow it.
    """
    folder = tmp_path / "read-only"
    folder.mkdir()
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        folder.chmod(0o500)
        yield folder
        folder.chmod(0o700)
        return
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(folder)]).returncode != 0:
        pytest.skip("running as root and `chattr +i` is not permitted here")
    try:
        yield folder
    finally:
        subprocess.run([chattr, "-i", str(folder)], check=True)


def test_read_only_store_folder_fails(doctor, read_only_folder):
    result = doctor("--store", str(read_only_folder / "mlflow.db"))
    assert result.exit_code == 1
    assert status_of(result.output, "store") == "FAIL"
    assert f"cannot write a SQLite store in {read_only_folder}" in result.output
    assert list(read_only_folder.iterdir()) == []


def test_store_that_is_not_sqlite_fails_and_is_left_alone(doctor, tmp_path):
    store = tmp_path / "mlflow.db"
    store.write_text("these are my notes, not a database")
    result = doctor("--store", str(store))
    assert result.exit_code == 1
    assert f"{store} exists but is not a SQLite database" in result.output
    assert store.read_text() == "these are my notes, not a database"


def test_port_in_use_warns_with_another_port(doctor):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        result = doctor("--port", str(port))
    assert result.exit_code == 0  # a warning: the UI can use another port
    assert status_of(result.output, "port") == "WARN"
    assert f"minitrack ui --port {port + 1}" in fix_after(result.output, "port")


def test_json_report_carries_fixes_of_failures(doctor, tmp_path):
    result = doctor("--json", "--kernel-dir", str(tmp_path / "none"))
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["ok"] is False
    kernel = next(check for check in report["checks"] if check["name"] == "kernel")
    assert kernel["status"] == "fail" and "ipykernel install" in kernel["fix"]


def test_activated_env_that_is_not_this_python_warns(doctor, monkeypatch, tmp_path):
    other = tmp_path / "other-env"
    other.mkdir()
    monkeypatch.setenv("VIRTUAL_ENV", str(other))
    result = doctor()
    assert status_of(result.output, "environment") == "WARN"
    assert f"the shell activated {other}, but this Python lives in {sys.prefix}" in result.output
    fix = fix_after(result.output, "environment")
    assert fix.startswith("Activate this environment (source ")  # this one, not a guessed one
    assert f"{Path(sys.prefix).name}/bin/activate" in fix


def doctor_process(*args: str, cwd: Path, path: str, **extra: str):
    """``course doctor`` in a fresh process of this environment's Python, as setup runs it."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "CONDA_PREFIX")}
    env.update(PATH=path, COURSE_DATA_DIR=str(cwd / "data"), **extra)
    return subprocess.run(
        [sys.executable, "-m", "course.cli", "doctor", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


def typed(command: str, cwd: Path, path: str) -> subprocess.CompletedProcess:
    """Run a command line exactly as the student would type it into bash."""
    return subprocess.run(
        ["bash", "-c", command],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"PATH": path, "HOME": str(Path.home())},
        timeout=300,
    )


@pytest.mark.skipif(os.name == "nt" or shutil.which("bash") is None, reason="needs bash")
def test_fixes_name_commands_that_work_from_where_the_student_stands(tmp_path, free_port):
    """Outside the course folder, in a terminal where the venv was never activated."""
    student = tmp_path / "somewhere-else"
    student.mkdir()
    bare = "/usr/bin:/bin"  # the environment is not on PATH
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        busy = listener.getsockname()[1]
        result = doctor_process(
            "--store",
            str(student / "mlflow.db"),
            "--port",
            str(busy),
            "--kernel-dir",
            str(tmp_path / "no-kernels"),
            cwd=student,
            path=bare,
            VIRTUAL_ENV=str(tmp_path / "other-env"),
        )
    assert result.returncode == 1, result.stdout + result.stderr
    again = result.stdout.strip().splitlines()[-1]
    assert again.startswith("Fix the failures above, then run `") and again.endswith("` again.")
    rerun = again.split("`")[1]
    assert rerun != "course doctor"  # `course` is not on PATH here: that would not be found
    rerun_result = typed(rerun + f" --port {free_port}", student, bare)
    assert "Course environment check" in rerun_result.stdout, rerun_result.stderr

    ui = fix_after(result.stdout, "port").split(": ", 1)[1].rstrip(".")
    assert ui.endswith(f" ui --port {busy + 1}")
    assert typed(ui.replace(" ui ", " ui --help ", 1), student, bare).returncode == 0

    fetch = fix_after(result.stdout, "data").split("`")[1]
    assert fetch.endswith(" data fetch")
    assert typed(fetch.replace(" fetch", " --help"), student, bare).returncode == 0

    activate = fix_after(result.stdout, "environment").split("(", 1)[1].split(")", 1)[0]
    assert activate.startswith("source ")
    found = typed(f"{activate} && command -v course", student, bare)
    assert found.returncode == 0, found.stderr
    scripts = Path(sysconfig.get_path("scripts"))  # this environment's console scripts
    assert Path(found.stdout.strip()).resolve().parent == scripts.resolve()


def test_with_the_environment_on_path_fixes_say_just_course(tmp_path, free_port):
    student = tmp_path / "course"
    student.mkdir()
    on_path = f"{Path(sys.executable).parent}{os.pathsep}/usr/bin{os.pathsep}/bin"
    result = doctor_process(
        "--store",
        str(student / "mlflow.db"),
        "--port",
        str(free_port),
        "--kernel-dir",
        str(tmp_path / "no-kernels"),
        cwd=student,
        path=on_path,
    )
    assert "Fix the failures above, then run `course doctor` again." in result.stdout
    assert "Download it with `course data fetch`" in result.stdout


def test_activated_venv_of_this_python_passes(doctor, monkeypatch):
    # A venv's bin/python is a link to the base interpreter: being active must still count.
    monkeypatch.setenv("VIRTUAL_ENV", sys.prefix)
    result = doctor()
    assert status_of(result.output, "environment") == "PASS", result.output
