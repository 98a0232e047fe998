"""``course where`` and the doctor's "runs" check, with stores in several places and a real
UI serving one of them: each situation comes down to one line that names the reason."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from course import doctor
from minitrack import MlflowClient

COURSE = Path(sys.executable).with_name("course")
MINITRACK = Path(sys.executable).with_name("minitrack")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _store(path: Path, runs: int, experiment: str = "taxi") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    client = MlflowClient(tracking_uri=f"sqlite:///{path.as_posix()}")
    experiment_id = client.create_experiment(experiment)
    for _ in range(runs):
        run = client.create_run(experiment_id)
        client.log_metric(run.info.run_id, "rmse", 7.0)
        client.set_terminated(run.info.run_id)
    return path


@pytest.fixture
def project(tmp_path):
    """A course folder: lesson notebooks in lessons/ with their store (2 runs), a stray store
    in the folder itself (1 run, the UI's usual mistake), and a home folder."""
    home = tmp_path / "home"
    home.mkdir()
    root = tmp_path / "course"
    (root / "lessons").mkdir(parents=True)
    (root / "lessons" / "01-single-run.ipynb").write_text("{}")
    _store(root / "lessons" / "mlflow.db", runs=2)
    _store(root / "mlflow.db", runs=1, experiment="other")
    return root, home


def _env(home: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("COURSE_TRACKING_URI",)}
    env.pop("MLFLOW_TRACKING_URI", None)
    return {**env, "HOME": str(home), **extra}


def _where(cwd: Path, home: Path, *args, **env) -> subprocess.CompletedProcess:
    if "--port" not in args:  # a free port, not 5000: another UI on this machine is not ours
        args = (*args, "--port", str(_free_port()))
    return subprocess.run(
        [str(COURSE), "where", *args],
        cwd=cwd,
        env=_env(home, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


class _UI:
    def __init__(self, store: Path, cwd: Path, home: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        uri = f"sqlite:///{os.path.relpath(store, cwd)}"  # relative: as a student types it
        self.proc = subprocess.Popen(
            [str(MINITRACK), "ui", "--backend-store-uri", uri, "--port", str(self.port)],
            cwd=cwd,
            env=_env(home),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.proc.stderr.read()
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("the UI did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=20)
        self.proc.stderr.close()


@pytest.fixture
def ui_on(project):
    started = []

    def start(store: Path, cwd: Path) -> _UI:
        ui = _UI(store, cwd, project[1])
        started.append(ui)
        return ui

    yield start
    for ui in started:
        ui.stop()


def test_api_store_names_the_file_the_ui_serves(project, ui_on):
    root, _ = project
    ui = ui_on(root / "mlflow.db", cwd=root)
    with urllib.request.urlopen(f"{ui.url}/api/store", timeout=5) as response:
        answer = json.load(response)
    assert answer["server"] == "minitrack"
    assert answer["backend_store_uri"] == "sqlite:///mlflow.db"
    assert answer["path"] == str(root / "mlflow.db")


def test_ui_serving_another_store_is_the_reason(project, ui_on):
    root, home = project
    ui = ui_on(root / "mlflow.db", cwd=root)  # started in the course folder, not in lessons/
    result = _where(root, home, "--port", str(ui.port))
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith(f"The UI on port {ui.port} shows {root / 'mlflow.db'} (1 run), ")
    assert f"not the store the lessons here log to: {root / 'lessons' / 'mlflow.db'}" in first
    assert "2 runs" in first
    assert "ui --backend-store-uri sqlite:///lessons/mlflow.db" in result.stdout  # the fix
    # the same line in the doctor
    found = doctor.check_runs(doctor.Options(cwd=str(root), ui_ports=(ui.port,)))
    assert found.status == doctor.WARN
    assert found.summary == first
    assert "runs" in dict(doctor.CHECKS)


def test_ui_serving_the_lessons_store_passes(project, ui_on):
    root, home = project
    ui = ui_on(root / "lessons" / "mlflow.db", cwd=root / "lessons")
    first = _where(root, home, "--port", str(ui.port)).stdout.splitlines()[0]
    assert first.startswith(f"The UI on port {ui.port} shows the lessons' store ")
    result = doctor.check_runs(doctor.Options(cwd=str(root), ui_ports=(ui.port,)))
    assert result.status == doctor.PASS


def test_runs_in_the_home_folder_while_the_lessons_store_is_new(tmp_path):
    home = tmp_path / "home"
    _store(home / "mlflow.db", runs=3)
    work = tmp_path / "elsewhere"
    work.mkdir()
    result = _where(work, home)
    first = result.stdout.splitlines()[0]
    assert first == (
        f"The lessons here log to {work / 'mlflow.db'} (not created yet); the runs you may be "
        f"looking for are in {home / 'mlflow.db'} (minitrack store, schema "
        + first.split("schema ", 1)[1]
    )
    assert "3 runs" in first
    assert f"ui --backend-store-uri sqlite:///{home / 'mlflow.db'}" in result.stdout
    assert "Other stores nearby:" in result.stdout


def test_env_vars_resolve_against_the_right_folders(project):
    root, home = project
    result = _where(
        root,
        home,
        "--json",
        COURSE_TRACKING_URI="sqlite:///course.db",
        MLFLOW_TRACKING_URI="sqlite:///mine.db",
    )
    facts = json.loads(result.stdout)
    assert facts["lesson_uri_from"] == "COURSE_TRACKING_URI"
    assert facts["lesson_store"]["path"] == str(root / "lessons" / "course.db")  # the notebooks'
    assert facts["own_store"]["path"] == str(root / "mine.db")  # where the student's code runs
    nearby = {s["path"]: s for s in facts["nearby"]}
    assert nearby[str(root / "mlflow.db")]["runs"] == 1
    assert nearby[str(root / "lessons" / "mlflow.db")]["runs"] == 2
    text = _where(root, home, COURSE_TRACKING_URI="sqlite:///course.db").stdout
    assert "use sqlite:///course.db (COURSE_TRACKING_URI)" in text


def test_a_file_that_is_not_a_store(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (tmp_path / "mlflow.db").write_text("not a database")
    first = _where(tmp_path, home).stdout.splitlines()[0]
    store = tmp_path / "mlflow.db"
    assert first == f"The lessons' store {store} is not a SQLite file: no tracker can use it."


@pytest.mark.slow
@pytest.mark.mlflow
def test_a_real_mlflow_database_and_file_store_are_named(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    script = (
        "import mlflow, sys\n"
        "for uri in sys.argv[1:]:\n"
        "    mlflow.set_tracking_uri(uri)\n"
        "    mlflow.set_experiment('real')\n"
        "    with mlflow.start_run():\n"
        "        mlflow.log_metric('rmse', 7.0)\n"
    )
    subprocess.run(
        [sys.executable, "-c", script, "sqlite:///mlflow.db", f"file:{home / 'mlruns'}"],
        cwd=tmp_path,
        env={**os.environ, "MLFLOW_ALLOW_FILE_STORE": "true"},  # 3.17 refuses it otherwise
        check=True,
        capture_output=True,
        timeout=300,
    )
    result = _where(tmp_path, home)
    first = result.stdout.splitlines()[0]
    assert first.startswith(
        f"The lessons' store {tmp_path / 'mlflow.db'} is a real MLflow database (alembic revision "
    )
    assert "mlflow ui --backend-store-uri" in result.stdout
    assert (
        f"{home / 'mlruns'}: MLflow file store (mlruns/ folder): 2 experiments, 1 run"
        in result.stdout
    )
