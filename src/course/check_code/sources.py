"""The code ``course check-code`` reads: Python files, notebooks, folders of both.

A file becomes a :class:`Source` made of :class:`Unit` s: one for a ``.py`` file, one per
cell for a notebook (markdown cells too, so that ``#cell-N`` counts every cell from 1, as
JupyterLab shows them). IPython syntax (``%magic``, ``!shell``, ``x = !cmd``, ``obj?``,
``%%cell`` magics) is masked with ``pass`` line for line before parsing, so line numbers
and columns of the Python around it stay the source's own.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

# Folders a student's project holds that are nobody's code to check.
SKIPPED_DIRS = {".git", ".ipynb_checkpoints", "__pycache__", ".venv", "venv", "node_modules"}
SUFFIXES = (".py", ".ipynb")
# Cell magics whose body is still Python: only their first line is masked.
PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "memit", "debug"}
_SHELL_ASSIGN = re.compile(r"^\s*[\w.,\s]+=\s*[!%]")


@dataclass
class Unit:
    """One piece of code parsed on its own: a whole ``.py`` file or one notebook cell."""

    text: str
    cell: int | None = None  # 1-based cell number in a notebook, counting every cell
    is_code: bool = True

    def masked(self) -> str:
        return mask_ipython(self.text) if self.cell is not None else self.text


@dataclass
class Source:
    path: Path
    shown: str  # the path as reports show it
    units: list[Unit] = field(default_factory=list)
    notebook: object | None = None  # the nbformat node, to write fixes back
    error: str | None = None  # why it could not be read

    def write(self, texts: dict[int, str]) -> None:
        """Write back the units whose index is in ``texts`` with their new text."""
        if self.notebook is None:
            with open(self.path, "w", encoding="utf-8", newline="") as handle:
                handle.write(texts[0])
            return
        import nbformat

        for index, text in texts.items():
            self.notebook.cells[index].source = text
        nbformat.write(self.notebook, str(self.path))


def mask_ipython(text: str) -> str:
    lines = text.split("\n")
    first = lines[0].lstrip() if lines else ""
    if first.startswith("%%"):
        magic = first[2:].split()[0] if first[2:].split() else ""
        if magic not in PYTHON_CELL_MAGICS:  # %%bash, %%writefile...: not Python at all
            return "\n".join("" for _ in lines)
        lines[0] = ""
    out = []
    for line in lines:
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        if (
            stripped.startswith(("%", "!"))
            or _SHELL_ASSIGN.match(line)
            or (stripped.endswith("?") and not stripped.startswith("#"))
        ):
            out.append(indent + "pass")
        else:
            out.append(line)
    return "\n".join(out)


def _shown(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def load(path: Path) -> Source:
    source = Source(path, _shown(path))
    if path.suffix == ".ipynb":
        import nbformat

        try:
            notebook = nbformat.read(str(path), as_version=4)
        except Exception as error:  # noqa: BLE001 - any unreadable notebook is reported
            source.error = f"is not a readable notebook ({type(error).__name__}: {error})"
            return source
        source.notebook = notebook
        for number, cell in enumerate(notebook.cells, start=1):
            source.units.append(Unit(cell.source, number, cell.cell_type == "code"))
        return source
    try:
        # newline="": a CRLF file keeps its line endings through --fix; a BOM is no code
        with open(path, encoding="utf-8-sig", newline="") as handle:
            source.units.append(Unit(handle.read()))
    except (OSError, UnicodeDecodeError) as error:
        source.error = f"could not be read ({error})"
    return source


def discover(paths: list[str | os.PathLike]) -> list[Path]:
    """The files to check, in a stable order: each file named, and the ``.py`` and
    ``.ipynb`` files under each folder named (skipping checkpoints, caches and venvs)."""
    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
                found.extend(Path(root, name) for name in sorted(files) if name.endswith(SUFFIXES))
        else:
            found.append(path)
    unique = []
    for path in found:
        if path not in unique:
            unique.append(path)
    return unique
