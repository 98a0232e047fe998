"""`course lessons`: choosing lessons, a missing kernel, a failing lesson, the summary."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from course import runner
from course.cli import main


def write_lesson(folder, name: str, *cells: str) -> None:
    notebook = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell('TRACKER = "minitrack"\nTRACKING_URI = ""')
    parameters.metadata["tags"] = ["parameters"]
    notebook.cells = [parameters] + [nbformat.v4.new_code_cell(c) for c in cells]
    notebook.metadata["kernelspec"] = {
        "name": "exp-tracking",
        "display_name": "x",
        "language": "python",
    }
    nbformat.write(notebook, folder / f"{name}.ipynb")


REPORT_OK = (
    "from course import checks\n"
    "checks.report([checks.Verdict('ran', True, 'yes')], lesson='{name}')"
)


@pytest.fixture
def two_lessons(tmp_path):
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    write_lesson(lessons, "00-fine", REPORT_OK.format(name="00-fine"))
    write_lesson(lessons, "01-broken", "print('about to fail')", "1 / 0")
    return lessons


def test_only_picks_lessons_by_number(two_lessons):
    assert [p.stem for p in runner.find_lessons(two_lessons, ["01"])] == ["01-broken"]
    assert len(runner.find_lessons(two_lessons)) == 2


def test_an_unknown_lesson_number_lists_the_lessons(two_lessons):
    with pytest.raises(runner.RunnerError, match="no lesson matches 07.*00-fine, 01-broken"):
        runner.find_lessons(two_lessons, ["07"])


def test_a_missing_kernel_says_how_to_register_it(course_kernel):
    with pytest.raises(runner.RunnerError, match="ipykernel install --user --name nope"):
        runner.check_kernel("nope")


def test_parameters_are_only_those_the_notebook_declares(two_lessons):
    parameters = runner.parameters_for(
        two_lessons / "00-fine.ipynb", "mlflow", "sqlite:///x.db", fast=True
    )

    assert parameters == {"TRACKER": "mlflow", "TRACKING_URI": "sqlite:///x.db"}


@pytest.mark.slow
def test_cli_runs_every_lesson_and_exits_nonzero_when_one_fails(
    course_kernel, two_lessons, tmp_path
):
    output = tmp_path / "build"

    result = CliRunner().invoke(
        main,
        ["lessons", "--fast", "--lessons-dir", str(two_lessons), "--output", str(output)],
    )

    assert result.exit_code == 1, result.output
    summary = result.output[result.output.index("lesson ") :]
    assert "00-fine    passed" in summary
    assert "01-broken  failed" in summary
    assert "1 of 2 lessons did not pass:" in summary
    assert "01-broken: failed (In [4]: ZeroDivisionError: division by zero)" in summary
    # the executed copy of the failed lesson is kept, with the output before the error
    executed = nbformat.read(output / "01-broken.ipynb", as_version=4)
    (printing,) = [c for c in executed.cells if c.source == "print('about to fail')"]
    assert printing.outputs[0]["text"] == "about to fail\n"


@pytest.mark.slow
def test_the_terminal_shows_no_kernel_transport_warning(course_kernel, two_lessons, tmp_path):
    # The kernel writes its warnings straight to the terminal, so run the real command.
    course = Path(sys.executable).with_name("course")
    done = subprocess.run(
        [str(course), "lessons", "--fast", "--only", "00", "--lessons-dir", str(two_lessons)]
        + ["--output", str(tmp_path / "build")],
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "The lesson passed." in done.stdout
    assert "WARNING" not in done.stderr, done.stderr


def test_summary_table_lists_lesson_status_time_runs_and_output(tmp_path):
    results = [
        runner.LessonResult("00-a", "passed", 1.25, 1, tmp_path / "00-a.ipynb"),
        runner.LessonResult("01-b", "checks failed", 2.0, 0, tmp_path / "01-b.ipynb", "missing: x"),
    ]

    lines = runner.render_summary(results).splitlines()

    assert lines[0].split() == ["lesson", "status", "time", "runs", "logged", "output"]
    assert lines[2].split() == ["00-a", "passed", "1.2", "s", "1", str(tmp_path / "00-a.ipynb")]
    assert lines[-1] == "  01-b: checks failed (missing: x)"


def test_cli_names_the_lessons_when_only_matches_none(two_lessons):
    result = CliRunner().invoke(
        main, ["lessons", "--only", "07", "--lessons-dir", str(two_lessons)]
    )

    assert result.exit_code == 1
    assert "Error: no lesson matches 07; the lessons are: 00-fine, 01-broken." in result.output


def test_an_unknown_tracker_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="minitrack, mlflow"):
        runner.trackers.load("wandb")
