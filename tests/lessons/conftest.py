"""Fixtures for running the lessons as a student would: papermill, the course kernel, a
temporary working folder, the fast settings."""

from __future__ import annotations

import json
import sys

import pytest

from course import runner


@pytest.fixture(scope="module")
def course_kernel(tmp_path_factory):
    """A Jupyter kernel named ``exp-tracking`` that starts this test run's own Python.

    It lives in a temporary Jupyter data folder, so the tests neither need nor touch the
    kernels registered on the machine. Module-scoped: the environment variables it sets are
    restored after each test module, so other test folders never see them.
    """
    jupyter_dir = tmp_path_factory.mktemp("jupyter")
    spec_dir = jupyter_dir / "kernels" / runner.KERNEL_NAME
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python (exp-tracking)",
        "language": "python",
        # What `python -m ipykernel install` writes for ipykernel 7, as setup does.
        "metadata": {"debugger": True, "supported_encryption": ["curve"]},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    with pytest.MonkeyPatch.context() as env:
        env.setenv("JUPYTER_PATH", str(jupyter_dir))
        env.setenv("JUPYTER_DATA_DIR", str(jupyter_dir))
        env.setenv("COURSE_DATA_DIR", str(tmp_path_factory.mktemp("taxi-cache")))
        for name in ("COURSE_FAST", "COURSE_TRACKER", "COURSE_TRACKING_URI", "MLFLOW_TRACKING_URI"):
            env.delenv(name, raising=False)
        env.delenv(runner.checks.STRICT_ENV, raising=False)
        yield runner.KERNEL_NAME


@pytest.fixture(scope="session")
def lessons_dir():
    return runner.default_lessons_dir()


def _verdicts_of(folder, lesson: str) -> dict[str, dict]:
    report = runner.checks.load_report(lesson, folder / runner.checks.RESULTS_DIR)
    assert report is not None, f"{lesson} saved no check results"
    return {verdict["item"]: verdict for verdict in report["verdicts"]}


@pytest.fixture(scope="session")
def verdicts_of():
    """``verdicts_of(folder, lesson)``: the check-your-work verdicts a lesson saved, by item."""
    return _verdicts_of


@pytest.fixture(scope="session")
def run_fast_lessons(lessons_dir):
    """``run_fast_lessons(folder, tracker, kernel, tracking_uri=None)``: every lesson, as
    ``course lessons --fast`` runs them, quietly; the runner's results."""

    def run(folder, tracker: str, kernel: str, tracking_uri: str | None = None):
        return runner.run_lessons(
            lessons_dir,
            folder,
            tracker=tracker,
            fast=True,
            kernel_name=kernel,
            progress=False,
            tracking_uri=tracking_uri,
        )

    return run
