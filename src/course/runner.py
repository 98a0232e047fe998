"""``course lessons``: execute every lesson with papermill and summarise what happened.

Each lesson runs in ``build/lessons/`` (its working folder: the tracking store ``mlflow.db``,
``mlruns/`` and the check results land there, so lesson 03 sees lesson 02's runs), and its
executed copy is saved beside them. ``fast=True`` passes :data:`FAST_PARAMETERS`, the small
settings CI uses; otherwise the lessons run with their defaults, the full settings students get.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from course import checks
from course import tracker as trackers

# The small settings: a few thousand synthetic trips, 4 trials of 20 rounds, one thread.
# The lessons' parameter cells switch to the same values when COURSE_FAST=1 (for nbmake).
FAST_PARAMETERS = {
    "FAST": True,
    "DATA_SOURCE": "synthetic",
    "DATA_SIZE": 3_000,
    "NUM_TRIALS": 4,
    "NUM_BOOST_ROUND": 20,
    "EARLY_STOPPING_ROUNDS": 5,
    "NTHREAD": 1,
}
KERNEL_NAME = "exp-tracking"


class RunnerError(Exception):
    """The lessons cannot be run as asked; the message says what to do."""


@dataclass
class LessonResult:
    lesson: str
    status: str  # "passed", "failed" (a cell raised) or "checks failed"
    seconds: float
    runs_logged: int | None
    output: Path
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "passed"


def default_lessons_dir() -> Path:
    """``./lessons`` when it exists, else the lessons folder of this source checkout."""
    here = Path.cwd() / "lessons"
    if here.is_dir():
        return here
    return Path(__file__).resolve().parents[2] / "lessons"


def find_lessons(lessons_dir: str | os.PathLike, only: list[str] | tuple[str, ...] = ()):
    """The lesson notebooks in order; ``only=["02"]`` keeps those whose name starts so."""
    lessons = sorted(Path(lessons_dir).glob("[0-9][0-9]-*.ipynb"))
    if not lessons:
        raise RunnerError(f"no lessons (NN-name.ipynb) in {lessons_dir}; pass --lessons-dir.")
    if not only:
        return lessons
    chosen = [path for path in lessons if any(path.stem.startswith(key) for key in only)]
    unknown = [key for key in only if not any(p.stem.startswith(key) for p in lessons)]
    if unknown:
        names = ", ".join(path.stem for path in lessons)
        raise RunnerError(f"no lesson matches {', '.join(unknown)}; the lessons are: {names}.")
    return chosen


def check_kernel(kernel_name: str) -> None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:
        raise RunnerError(
            f"Jupyter has no kernel named {kernel_name!r}. Register this environment's Python "
            f"with `python -m ipykernel install --user --name {kernel_name} "
            '--display-name "Python (exp-tracking)"` (the setup script does this), '
            "or pass --kernel with a kernel from `jupyter kernelspec list`."
        ) from None


def store_uri(folder: Path) -> str:
    return "sqlite:///" + (folder.resolve() / "mlflow.db").as_posix()


def parameters_for(notebook: Path, tracker: str, tracking_uri: str, fast: bool) -> dict:
    """The parameters to inject: only those the notebook's parameters cell declares."""
    import papermill

    declared = set(papermill.inspect_notebook(str(notebook)))
    wanted = {"TRACKER": tracker, "TRACKING_URI": tracking_uri}
    if fast:
        wanted |= FAST_PARAMETERS
    return {name: value for name, value in wanted.items() if name in declared}


def _kernel_config():
    """Encrypt the kernel's local TCP traffic when its kernelspec supports it.

    ipykernel 7 declares CurveZMQ support in the kernelspec ``python -m ipykernel install``
    writes, and warns on every start when the manager does not provision keys ("Kernel is
    running over TCP without encryption"). "auto" provisions them only for such kernels.
    """
    from jupyter_client import KernelManager
    from traitlets.config import Config

    config = Config()
    if KernelManager.class_traits().get("transport_encryption"):  # recent jupyter_client only
        config.KernelManager.transport_encryption = "auto"
    return config


def run_lesson(
    notebook: Path,
    output_dir: Path,
    *,
    tracker: str = "minitrack",
    fast: bool = False,
    kernel_name: str = KERNEL_NAME,
    progress: bool = True,
    timeout: float | None = None,
) -> LessonResult:
    """Execute one lesson into ``output_dir`` and report how it went."""
    import papermill

    output_dir.mkdir(parents=True, exist_ok=True)
    uri = store_uri(output_dir)
    output = output_dir / notebook.name
    before = trackers.count_runs(tracker, uri)
    started = time.perf_counter()
    status, message = "passed", ""
    try:
        papermill.execute_notebook(
            str(notebook),
            str(output),
            parameters=parameters_for(notebook, tracker, uri, fast),
            kernel_name=kernel_name,
            cwd=str(output_dir),
            progress_bar=progress,
            execution_timeout=timeout,
            config=_kernel_config(),
        )
    except papermill.PapermillExecutionError as exc:
        status = "failed"
        message = f"In [{exc.exec_count}]: {exc.ename}: {exc.evalue}".strip()
    seconds = time.perf_counter() - started
    runs = trackers.count_runs(tracker, uri) - before
    if status == "passed":
        verdicts = checks.load_report(notebook.stem, output_dir / checks.RESULTS_DIR)
        if verdicts is None:
            status, message = "checks failed", "the check-your-work cell did not report"
        elif not verdicts["passed"]:
            missing = [v["item"] for v in verdicts["verdicts"] if not v["ok"]]
            status, message = "checks failed", "missing: " + ", ".join(missing)
    return LessonResult(notebook.stem, status, seconds, runs, output, message)


def run_lessons(
    lessons_dir: str | os.PathLike | None = None,
    output_dir: str | os.PathLike = "build/lessons",
    *,
    only: list[str] | tuple[str, ...] = (),
    tracker: str = "minitrack",
    fast: bool = False,
    kernel_name: str = KERNEL_NAME,
    progress: bool = True,
    timeout: float | None = None,
    echo=print,
) -> list[LessonResult]:
    """Execute the lessons in order; a failed lesson does not stop the ones after it."""
    trackers.load(tracker)
    lessons = find_lessons(lessons_dir or default_lessons_dir(), only)
    check_kernel(kernel_name)
    output_dir = Path(output_dir)
    results = []
    for number, notebook in enumerate(lessons, start=1):
        echo(f"[{number}/{len(lessons)}] {notebook.stem}")
        result = run_lesson(
            notebook,
            output_dir,
            tracker=tracker,
            fast=fast,
            kernel_name=kernel_name,
            progress=progress,
            timeout=timeout,
        )
        echo(f"    {result.status} in {result.seconds:.1f} s" + _suffix(result.message))
        results.append(result)
    return results


def _suffix(message: str) -> str:
    return f" ({message})" if message else ""


def render_summary(results: list[LessonResult]) -> str:
    """A plain-text table: lesson, status, time, runs logged, where the executed copy is."""
    rows = [("lesson", "status", "time", "runs logged", "output")]
    for r in results:
        runs = "?" if r.runs_logged is None else str(r.runs_logged)
        rows.append((r.lesson, r.status, f"{r.seconds:.1f} s", runs, str(r.output)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    failed = [r for r in results if not r.ok]
    lines.append("")
    if failed:
        lines.append(f"{len(failed)} of {len(results)} lessons did not pass:")
        lines += [f"  {r.lesson}: {r.status}{_suffix(r.message)}" for r in failed]
    else:
        lines.append(
            "The lesson passed." if len(results) == 1 else f"All {len(results)} lessons passed."
        )
    return "\n".join(line.rstrip() for line in lines)
