"""`course start`: the student's git-ignored copies of the lessons, never overwritten."""

from __future__ import annotations

import subprocess

from click.testing import CliRunner

from course import runner, workspace
from course.cli import main


def lessons_folder(tmp_path, text="v1"):
    folder = tmp_path / "lessons"
    folder.mkdir(exist_ok=True)
    (folder / "01-a.ipynb").write_text(text)
    return folder


def test_the_first_start_copies_every_lesson(tmp_path):
    lessons = lessons_folder(tmp_path)

    actions = workspace.sync(lessons, tmp_path / "workspace")

    assert [(a.lesson, a.what) for a in actions] == [("01-a", "copied")]
    assert (tmp_path / "workspace" / "01-a.ipynb").read_text() == "v1"


def test_a_new_version_replaces_an_untouched_copy(tmp_path):
    lessons = lessons_folder(tmp_path)
    workspace.sync(lessons, tmp_path / "workspace")
    (lessons / "01-a.ipynb").write_text("v2")

    (action,) = workspace.sync(lessons, tmp_path / "workspace")

    assert action.what == "updated"
    assert (tmp_path / "workspace" / "01-a.ipynb").read_text() == "v2"


def test_a_new_version_is_offered_beside_a_copy_the_student_changed(tmp_path):
    lessons = lessons_folder(tmp_path)
    copy = tmp_path / "workspace" / "01-a.ipynb"
    workspace.sync(lessons, tmp_path / "workspace")
    copy.write_text("v1 with my outputs")
    (lessons / "01-a.ipynb").write_text("v2")

    (action,) = workspace.sync(lessons, tmp_path / "workspace")
    (again,) = workspace.sync(lessons, tmp_path / "workspace")

    assert copy.read_text() == "v1 with my outputs"
    assert (tmp_path / "workspace" / "01-a.new.ipynb").read_text() == "v2"
    assert action.what == again.what == "offered"
    assert "your copy 01-a.ipynb keeps your work" in action.describe()


def test_a_changed_copy_of_a_current_lesson_is_kept(tmp_path):
    lessons = lessons_folder(tmp_path)
    workspace.sync(lessons, tmp_path / "workspace")
    (tmp_path / "workspace" / "01-a.ipynb").write_text("mine")

    (action,) = workspace.sync(lessons, tmp_path / "workspace")

    assert action.what == "kept"
    assert (tmp_path / "workspace" / "01-a.ipynb").read_text() == "mine"


def test_course_start_no_lab_copies_into_a_folder_git_ignores(tmp_path):
    repo = tmp_path / "course"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    lessons = lessons_folder(repo)
    gitignore = workspace.default_workspace(lessons).parent / ".gitignore"
    gitignore.write_text((runner.default_lessons_dir().parent / ".gitignore").read_text())

    result = CliRunner().invoke(main, ["start", "--no-lab", "--lessons-dir", str(lessons)])

    assert result.exit_code == 0, result.output
    assert f"01-a: copied to {repo / 'workspace' / '01-a.ipynb'}" in result.output
    ignored = subprocess.run(
        ["git", "check-ignore", "workspace/01-a.ipynb", "workspace/mlflow.db"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert ignored.stdout.split() == ["workspace/01-a.ipynb", "workspace/mlflow.db"]
