"""The committed notebooks: built from their sources, stored clean, with the course kernel."""

from __future__ import annotations

import json
import os

import pytest

from course import notebooks, runner

LESSONS = runner.default_lessons_dir()
NOTEBOOKS = sorted(LESSONS.glob("[0-9][0-9]-*.ipynb"))


def test_there_are_six_lessons_each_with_its_source():
    assert [path.stem for path in NOTEBOOKS] == [
        "00-check-your-setup",
        "01-single-run",
        "02-hyperopt-sweep",
        "03-model-selection",
        "04-autologging",
        "05-model-registry",
    ]
    assert [path.stem for path in notebooks.sources(LESSONS)] == [p.stem for p in NOTEBOOKS]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_has_no_outputs_and_the_course_kernel(notebook):
    assert notebooks.problems(notebook) == []


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_is_built_from_its_source(notebook):
    source = LESSONS / "source" / f"{notebook.stem}.py"

    assert notebook.read_text(encoding="utf-8") == notebooks.render(source), (
        "the notebook differs from its source: run `python -m course.notebooks` and commit"
    )


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
def test_course_fast_gives_the_runners_fast_settings(notebook, monkeypatch):
    """`pytest --nbmake lessons/` (no parameters) and `course lessons --fast` agree."""
    cells = json.loads(notebook.read_text())["cells"]
    (parameters,) = [c for c in cells if "parameters" in c["metadata"].get("tags", [])]
    monkeypatch.setenv("COURSE_FAST", "1")
    defaults: dict = {}
    exec("".join(parameters["source"]), {"os": os}, defaults)

    for name, value in runner.FAST_PARAMETERS.items():
        if name in defaults:
            assert defaults[name] == value, name


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
