"""The committed notebooks: built from their sources, stored clean, with the course kernel,
each one listed in the lesson manifest (``course.lessons``) and the manifest's table current."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from course import lessons, notebooks, runner

LESSONS = runner.default_lessons_dir()
NOTEBOOKS = sorted(LESSONS.glob("[0-9][0-9]-*.ipynb"))
BY_NAME = {lesson.name: lesson for lesson in lessons.LESSONS}


def restore_hint(notebook) -> str:
    """How to get the committed notebook back, for a notebook someone ran or saved in place."""
    relative = notebook.relative_to(LESSONS.parent).as_posix()
    return (
        f"{relative} was changed in place (run or saved in JupyterLab?). Restore it with "
        f"`git checkout -- {relative}`, and work on your copy in workspace/ (`course start`)."
    )


def committed(notebook) -> str | None:
    """The notebook as the last commit has it, or None outside a git checkout."""
    relative = notebook.relative_to(LESSONS.parent).as_posix()
    done = subprocess.run(
        ["git", "show", f"HEAD:{relative}"], cwd=LESSONS.parent, capture_output=True, text=True
    )
    return done.stdout if done.returncode == 0 else None


def test_every_notebook_has_its_source_and_a_manifest_entry():
    assert [path.stem for path in NOTEBOOKS] == [lesson.name for lesson in lessons.LESSONS]
    assert [path.stem for path in notebooks.sources(LESSONS)] == [p.stem for p in NOTEBOOKS]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_has_no_outputs_and_the_course_kernel(notebook):
    assert notebooks.problems(notebook) == [], restore_hint(notebook)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_is_built_from_its_source(notebook):
    source = LESSONS / "source" / f"{notebook.stem}.py"
    built = notebooks.render(source)

    if notebook.read_text(encoding="utf-8") != built:
        # Two ways to get here, with different fixes: the notebook was run or saved in
        # place (its commit still matches the source), or the source was edited.
        if committed(notebook) == built:
            pytest.fail(restore_hint(notebook))
        pytest.fail(
            f"{notebook.name} differs from {source.name}: run "
            "`.venv/bin/python -m course.notebooks` in the course folder and commit both"
        )


def test_nothing_a_student_or_a_run_writes_is_committed():
    tracked = subprocess.run(
        ["git", "ls-files", "workspace", "build", "lessons"],
        cwd=LESSONS.parent,
        capture_output=True,
        text=True,
    )
    if tracked.returncode != 0:
        pytest.skip("not a git checkout")
    files = tracked.stdout.split()

    assert [f for f in files if f.startswith(("workspace/", "build/"))] == []
    assert [f for f in files if f.endswith((".db", ".json", ".b", ".bin"))] == []
    assert [f for f in files if ".ipynb_checkpoints" in f] == []


def test_the_lesson_table_in_the_lessons_readme_is_current():
    readme = (LESSONS / "README.md").read_text(encoding="utf-8")

    assert notebooks.lesson_table() in readme, (
        "lessons/README.md's table differs from course/lessons.py: run "
        "`.venv/bin/python -m course.notebooks`"
    )
    for lesson in lessons.LESSONS:
        assert lesson.seconds is not None and lesson.fast_seconds is not None, (
            f"{lesson.name}: measure it with `course lessons` and `course lessons --fast`"
        )


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_calls_the_manifest_check_and_reports_under_its_name(notebook):
    lesson = BY_NAME[notebook.stem]
    text = "\n".join("".join(c["source"]) for c in json.loads(notebook.read_text())["cells"])

    assert f"checks.{lesson.check.__name__}(" in text
    assert f'lesson="{lesson.name}"' in text
    assert text.startswith(f"# {lesson.number} · {lesson.title}\n")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_has_goals_time_parameters_checks_and_recap(notebook):
    cells = json.loads(notebook.read_text())["cells"]
    text = "\n".join("".join(cell["source"]) for cell in cells)
    tagged = [cell for cell in cells if "parameters" in cell["metadata"].get("tags", [])]

    assert "**You will learn**" in text
    assert "**Time:**" in text
    assert "## Recap" in text
    assert "checks.report(" in text
    assert len(tagged) == 1
    assert "TRACKER = " in "".join(tagged[0]["source"])
    assert "TRACKING_URI = " in "".join(tagged[0]["source"])
    assert cells[0]["cell_type"] == "markdown"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.stem)
def test_course_fast_gives_the_manifests_fast_settings(notebook, monkeypatch):
    """`pytest --nbmake lessons/` (no parameters) and `course lessons --fast` agree, and the
    manifest's run counts are what the defaults log."""
    lesson = BY_NAME[notebook.stem]
    cells = json.loads(notebook.read_text())["cells"]
    (parameters,) = [c for c in cells if "parameters" in c["metadata"].get("tags", [])]

    def defaults(fast: bool) -> dict:
        if fast:
            monkeypatch.setenv("COURSE_FAST", "1")
        else:
            monkeypatch.delenv("COURSE_FAST", raising=False)
        found: dict = {}
        exec("".join(parameters["source"]), {"os": os}, found)
        return found

    fast = defaults(True)
    assert set(lesson.fast) <= set(fast), "the manifest names a parameter the lesson lacks"
    for name, value in lesson.fast.items():
        assert fast[name] == value, name
    if lesson.runs_from:
        assert fast[lesson.runs_from] == lesson.fast_runs
        assert defaults(False)[lesson.runs_from] == lesson.runs


def test_problems_names_outputs_counts_and_a_wrong_kernel(tmp_path):
    import nbformat

    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("1 + 1")
    cell.execution_count = 1
    cell.outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"})]
    notebook.cells.append(cell)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    path = tmp_path / "dirty.ipynb"
    nbformat.write(notebook, path)

    found = notebooks.problems(path)

    assert any("kernelspec" in problem for problem in found)
    assert "cell 1 has outputs" in found
    assert "cell 1 has an execution count" in found


def test_percent_source_becomes_markdown_code_and_tagged_cells(tmp_path):
    source = tmp_path / "99-demo.py"
    source.write_text(
        '# %% [markdown]\n# # Title\n#\n# Some *text*.\n\n# %% tags=["parameters"]\nX = 1\n\n'
        "# %%\nprint(X)\n"
    )

    notebook = notebooks.build(source)

    assert [c.cell_type for c in notebook.cells] == ["markdown", "code", "code"]
    assert notebook.cells[0].source == "# Title\n\nSome *text*."
    assert notebook.cells[1].metadata["tags"] == ["parameters"]
    assert notebook.cells[2].source == "print(X)"
    assert notebook.metadata["kernelspec"]["name"] == "exp-tracking"
