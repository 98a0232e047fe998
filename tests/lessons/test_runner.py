"""`course lessons`: choosing lessons, a missing kernel, a failing lesson, the summary."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

import minitrack
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
def test_tracking_uri_sends_the_runs_there_and_the_summary_says_where(course_kernel, tmp_path):
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    logs_one_run = (
        "import minitrack\n"
        "minitrack.set_tracking_uri(TRACKING_URI)\n"
        "with minitrack.start_run():\n"
        "    minitrack.log_metric('rmse', 1.0)"
    )
    write_lesson(lessons, "00-logs", logs_one_run, REPORT_OK.format(name="00-logs"))
    class_store = f"sqlite:///{tmp_path / 'class.db'}"

    result = CliRunner().invoke(
        main,
        ["lessons", "--lessons-dir", str(lessons), "--output", str(tmp_path / "build")]
        + ["--tracking-uri", class_store],
    )

    assert result.exit_code == 0, result.output
    assert f"the runs go to {class_store}" in result.output
    assert f"The runs are in {class_store}." in result.output
    (run,) = minitrack.MlflowClient(class_store).search_runs(["0"])
    assert run.data.metrics == {"rmse": 1.0}
    assert not (tmp_path / "build" / "mlflow.db").exists()


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
    assert "  01-b: checks failed (missing: x)" in lines
    # it ends with the command that opens the UI on this invocation's store
    assert lines[-2] == "Browse these runs in the web UI (minitrack, on http://127.0.0.1:5000):"
    assert lines[-1].endswith(f" ui --backend-store-uri sqlite:///{tmp_path / 'mlflow.db'}")


def test_cli_names_the_lessons_when_only_matches_none(two_lessons):
    result = CliRunner().invoke(
        main, ["lessons", "--only", "07", "--lessons-dir", str(two_lessons)]
    )

    assert result.exit_code == 1
    assert "Error: no lesson matches 07; the lessons are: 00-fine, 01-broken." in result.output


def test_an_unknown_tracker_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="minitrack, mlflow"):
        runner.trackers.load("wandb")


def test_an_output_folder_with_an_earlier_run_is_refused(two_lessons, tmp_path, course_kernel):
    used = tmp_path / "used"
    used.mkdir()
    (used / "mlflow.db").write_text("")

    with pytest.raises(runner.RunnerError, match="is not empty: it holds an earlier run"):
        runner.run_lessons(two_lessons, used, fast=True, kernel_name=course_kernel)


def test_each_invocation_gets_a_new_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = runner.fresh_output_dir(None, fast=True)
    first.mkdir(parents=True)
    second = runner.fresh_output_dir(None, fast=True)

    assert first.parent == second.parent == Path("build/lessons")
    assert first != second
    assert first.name.endswith("-fast") and second.name.startswith(first.name)


def test_only_03_runs_the_lesson_whose_runs_it_reads_first(lessons_dir):
    notebooks, notes = runner.plan(lessons_dir, ["03"])

    assert [path.stem for path in notebooks] == ["02-hyperopt-sweep", "03-model-selection"]
    assert notes == [
        "03-model-selection reads the runs of 02-hyperopt-sweep; this run starts from a fresh "
        "store, so it runs them first."
    ]
    assert [path.stem for path in runner.plan(lessons_dir, ["02"])[0]] == ["02-hyperopt-sweep"]


def test_a_parameter_no_lesson_declares_is_refused(two_lessons, course_kernel, tmp_path):
    result = CliRunner().invoke(
        main,
        ["lessons", "--lessons-dir", str(two_lessons), "--output", str(tmp_path / "o")]
        + ["-p", "NUM_TRIALS=2"],
    )

    assert result.exit_code == 1
    assert "no lesson to run has a parameter NUM_TRIALS" in result.output


def test_progress_shows_cells_lesson_lines_and_a_heartbeat_when_quiet(course_kernel, tmp_path):
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    write_lesson(
        lessons,
        "00-quiet",
        "import time\nprint('trial 1/1: rmse 5.000, best so far 5.000')\nprint('noise')",
        "time.sleep(2.5)",
        REPORT_OK.format(name="00-quiet"),
    )
    said = []

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runner, "HEARTBEAT_SECONDS", 1.0)
        (result,) = runner.run_lessons(
            lessons, tmp_path / "out", kernel_name=course_kernel, echo=said.append
        )

    assert result.ok, result.message
    assert "    cell 3/5  import time" in said
    assert "      trial 1/1: rmse 5.000, best so far 5.000" in said
    assert not any("noise" in line for line in said)
    beats = [line for line in said if line.startswith("      ... still in cell 4/5")]
    assert beats, said


SLOW_KERNEL_INFO = """import inspect, time
kernel = get_ipython().kernel
answer = kernel.shell_handlers["kernel_info_request"]

async def answer_then_linger(*args):
    # reply at once, then stay inside the handler a while: where ipykernel lets SIGINT raise
    result = answer(*args)
    if inspect.isawaitable(result):
        await result
    time.sleep(3)

kernel.shell_handlers["kernel_info_request"] = answer_then_linger"""


@pytest.mark.slow
def test_a_finished_lesson_is_shut_down_without_an_interrupt(course_kernel, tmp_path):
    """papermill asks for kernel_info after the last cell, then shuts the kernel down; the
    interrupt jupyter_client sends first used to land in that handler ("KeyboardInterrupt
    caught in kernel", seen after lessons 03 and 04 on a busy machine)."""
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    write_lesson(lessons, "00-lingers", REPORT_OK.format(name="00-lingers"), SLOW_KERNEL_INFO)
    course = Path(sys.executable).with_name("course")

    done = subprocess.run(
        [str(course), "lessons", "--lessons-dir", str(lessons), "--output", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "KeyboardInterrupt" not in done.stdout + done.stderr
