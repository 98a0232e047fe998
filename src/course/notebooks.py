"""Lesson notebooks from readable sources, and the hygiene rules the committed notebooks obey.

The lessons are written as ``py:percent`` scripts in ``lessons/source/`` (the format jupytext
reads: ``# %%`` starts a code cell, ``# %% [markdown]`` a markdown cell whose lines start with
``# ``, ``# %% tags=["parameters"]`` tags a cell). ``python -m course.notebooks`` turns each
into ``lessons/NN-name.ipynb``: no outputs, no execution counts, the course kernel.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

KERNELSPEC = {"name": "exp-tracking", "display_name": "Python (exp-tracking)", "language": "python"}
_HEADER = re.compile(r"^# %%(?P<rest>.*)$")


def parse_percent(text: str) -> list[dict]:
    """The cells of a py:percent script, as ``{"type", "source", "tags"}`` dicts."""
    cells: list[dict] = []
    for line in text.splitlines():
        header = _HEADER.match(line)
        if header:
            rest = header.group("rest").strip()
            tags = re.search(r"tags=(\[.*?\])", rest)
            cells.append(
                {
                    "type": "markdown" if rest.startswith("[markdown]") else "code",
                    "tags": json.loads(tags.group(1)) if tags else [],
                    "lines": [],
                }
            )
        elif cells:
            cells[-1]["lines"].append(line)
    for cell in cells:
        lines = cell.pop("lines")
        if cell["type"] == "markdown":
            lines = [line[2:] if line.startswith("# ") else line.lstrip("#") for line in lines]
        cell["source"] = "\n".join(lines).strip("\n")
    return [cell for cell in cells if cell["source"]]


def build(source: str | Path):
    """The notebook (an ``nbformat`` node) for one py:percent source file."""
    import nbformat

    notebook = nbformat.v4.new_notebook()
    for cell in parse_percent(Path(source).read_text(encoding="utf-8")):
        if cell["type"] == "markdown":
            node = nbformat.v4.new_markdown_cell(cell["source"])
        else:
            node = nbformat.v4.new_code_cell(cell["source"])
        if cell["tags"]:
            node.metadata["tags"] = cell["tags"]
        node.pop("id", None)  # ids change on every build; without them rebuilds are stable
        notebook.cells.append(node)
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    notebook.metadata["language_info"] = {"name": "python"}
    notebook.nbformat_minor = 4  # the last minor without mandatory cell ids
    return notebook


def render(source: str | Path) -> str:
    """The ``.ipynb`` text for one source, exactly as it is committed."""
    import nbformat

    return nbformat.writes(build(source)) + "\n"


def problems(path: str | Path) -> list[str]:
    """What is wrong with a committed notebook: outputs, execution counts, the wrong kernel."""
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    found = []
    kernelspec = notebook.get("metadata", {}).get("kernelspec")
    if kernelspec != KERNELSPEC:
        found.append(f"kernelspec is {kernelspec}, expected {KERNELSPEC}")
    for number, cell in enumerate(notebook.get("cells", []), start=1):
        if cell.get("outputs"):
            found.append(f"cell {number} has outputs")
        if cell.get("execution_count") is not None:
            found.append(f"cell {number} has an execution count")
    return found


def sources(lessons_dir: str | Path) -> list[Path]:
    return sorted(Path(lessons_dir, "source").glob("[0-9][0-9]-*.py"))


TABLE_START = (
    "<!-- lesson table: written by `python -m course.notebooks` from course/lessons.py -->"
)
TABLE_END = "<!-- end of lesson table -->"


def lesson_table() -> str:
    """The table of lessons in ``lessons/README.md``, from the manifest."""
    from course.lessons import LESSONS, by_number

    rows = [
        "| Notebook | What it teaches | Full settings | `--fast` | Reads the runs of |",
        "|---|---|---|---|---|",
    ]
    for lesson in LESSONS:
        needs = ", ".join(f"`{by_number(n).name}`" for n in lesson.needs) or "-"
        rows.append(
            f"| `{lesson.name}` | {lesson.teaches} | {lesson.expected(False) or '?'} "
            f"| {lesson.expected(True) or '?'} | {needs} |"
        )
    return "\n".join([TABLE_START, *rows, TABLE_END])


def render_readme(text: str) -> str:
    """``lessons/README.md`` with its lesson table brought up to date."""
    start, end = text.index(TABLE_START), text.index(TABLE_END) + len(TABLE_END)
    return text[:start] + lesson_table() + text[end:]


def build_all(lessons_dir: str | Path = "lessons") -> list[Path]:
    """Write ``lessons/NN-name.ipynb`` for every source and the table in ``lessons/README.md``;
    return the paths written."""
    written = []
    for source in sources(lessons_dir):
        target = Path(lessons_dir) / f"{source.stem}.ipynb"
        target.write_text(render(source), encoding="utf-8")
        written.append(target)
    readme = Path(lessons_dir) / "README.md"
    if readme.exists():
        readme.write_text(render_readme(readme.read_text(encoding="utf-8")), encoding="utf-8")
        written.append(readme)
    return written


if __name__ == "__main__":
    for path in build_all(sys.argv[1] if len(sys.argv) > 1 else "lessons"):
        print(f"wrote {path}")
