"""``course lessons``: execute the lessons with papermill, show their progress, summarise.

Every invocation works in a fresh folder of its own (``build/lessons/<time>[-fast]/`` unless
``--output`` names a new or empty one): the tracking store ``mlflow.db``, ``mlruns/``, the
check results and the executed copies land there, and the lessons of that invocation share
the store (lesson 03 ranks the runs lesson 02 logged a minute before, never older ones).
Lessons come from the manifest (:mod:`course.lessons`); ``fast=True`` passes each lesson's
small settings, otherwise they run with their defaults, the full settings students get.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from course import checks, commands
from course import lessons as manifest
from course import tracker as trackers

KERNEL_NAME = "exp-tracking"
DEFAULT_ROOT = Path("build") / "lessons"
HEARTBEAT_SECONDS = 15.0
# The lines of a lesson's output worth showing in the terminal while it runs.
PROGRESS_PREFIXES = ("trial ", "Data source:", "WARNING:")


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


def lesson_for(notebook: Path) -> manifest.Lesson:
    return manifest.by_name(notebook.stem) or manifest.unlisted(notebook.stem)


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


def plan(lessons_dir: str | os.PathLike, only: list[str] | tuple[str, ...] = ()):
    """The notebooks to run (with the lessons ``only`` needs in front) and the notes to show:
    a fresh store holds no runs, so a lesson that reads an earlier lesson's runs gets it first."""
    notebooks = find_lessons(lessons_dir, only)
    if not only:
        return notebooks, []
    chosen = [lesson_for(path) for path in notebooks]
    everything, added = manifest.with_prerequisites(chosen)
    folder = Path(lessons_dir)
    missing = [lesson.name for lesson in added if not (folder / f"{lesson.name}.ipynb").exists()]
    if missing:
        raise RunnerError(f"{', '.join(missing)} is needed first but not in {folder}.")
    notes = []
    for lesson in chosen:
        if lesson.needs:
            needed = [manifest.by_number(n).name for n in lesson.needs]
            notes.append(
                f"{lesson.name} reads the runs of {', '.join(needed)}; this run starts from a "
                "fresh store, so it runs them first."
            )
    return [folder / f"{lesson.name}.ipynb" for lesson in everything], notes


def check_kernel(kernel_name: str) -> None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:
        python = commands.script("python", Path.cwd())
        raise RunnerError(
            f"Jupyter has no kernel named {kernel_name!r}. Register this environment's Python "
            f"with `{python} -m ipykernel install --user --name {kernel_name} "
            '--display-name "Python (exp-tracking)"` (the setup script does this), '
            "or pass --kernel with a kernel from `jupyter kernelspec list`."
        ) from None


def store_path(folder: Path) -> Path:
    return Path(folder) / "mlflow.db"


def store_uri(folder: Path) -> str:
    return "sqlite:///" + (Path(folder).resolve() / "mlflow.db").as_posix()


def fresh_output_dir(output: str | os.PathLike | None, fast: bool) -> Path:
    """The folder this invocation works in: new, or empty, never an earlier run's."""
    if output is None:
        base = DEFAULT_ROOT / (time.strftime("%Y%m%d-%H%M%S") + ("-fast" if fast else ""))
        folder, n = base, 2
        while folder.exists():
            folder, n = base.with_name(f"{base.name}-{n}"), n + 1
        return folder
    folder = Path(output)
    if folder.exists() and any(folder.iterdir()):
        raise RunnerError(
            f"{folder} is not empty: it holds an earlier run. Every `course lessons` starts "
            "from a fresh store; leave out --output (each run gets a new folder under "
            f"{DEFAULT_ROOT.as_posix()}/) or name a new folder."
        )
    return folder


def parameters_for(
    notebook: Path, tracker: str, tracking_uri: str, fast: bool, extra: dict | None = None
) -> dict:
    """The parameters to inject: only those the notebook's parameters cell declares."""
    import papermill

    declared = set(papermill.inspect_notebook(str(notebook)))
    wanted = {"TRACKER": tracker, "TRACKING_URI": tracking_uri}
    if fast:
        wanted |= lesson_for(notebook).fast
    wanted |= extra or {}
    unknown = sorted(set(extra or {}) - declared)
    if unknown:
        raise RunnerError(
            f"{notebook.stem} has no parameter {', '.join(unknown)}; "
            f"its parameters are: {', '.join(sorted(declared))}."
        )
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


def _kernel_manager_class():
    """The kernel manager papermill starts, minus the interrupt on a clean shutdown.

    jupyter_client's ``shutdown_kernel`` sends SIGINT before the shutdown request. When the
    last cell has finished, the kernel may still be inside the handler of papermill's final
    ``kernel_info`` request, where ipykernel lets SIGINT raise: it then prints "KeyboardInterrupt
    caught in kernel" although nothing was interrupted. There is nothing to interrupt when
    papermill shuts down (a cell that times out is interrupted separately by nbclient), and a
    kernel that ignores the shutdown request is still terminated, then killed.
    """
    from jupyter_client import AsyncKernelManager

    class FinishedKernelManager(AsyncKernelManager):
        async def _async_interrupt_kernel(self) -> None:
            if self.shutting_down:
                return
            await super()._async_interrupt_kernel()

        interrupt_kernel = _async_interrupt_kernel

    return FinishedKernelManager


class Progress:
    """What the terminal shows while a lesson runs: the cell out of the total, the progress
    lines the lesson prints (trials, data source), and a heartbeat when nothing else was said
    for :data:`HEARTBEAT_SECONDS`."""

    def __init__(self, echo, total_cells: int, heartbeat: float | None = None):
        self.echo, self.total = echo, total_cells
        self.heartbeat = HEARTBEAT_SECONDS if heartbeat is None else heartbeat
        self.cell = 0
        self.started = self.last = time.monotonic()
        self.cell_started = self.started
        self._lock = threading.Lock()
        self._partial = ""
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._done.set()
        self._thread.join()

    def say(self, text: str) -> None:
        with self._lock:
            self.echo(text)
            self.last = time.monotonic()

    def on_cell_start(self, cell, cell_index: int) -> None:
        if cell.cell_type != "code" or not cell.source.strip():
            return
        self.cell += 1
        self.cell_started = time.monotonic()
        first = cell.source.strip().splitlines()[0]
        if "injected-parameters" in cell.metadata.get("tags", []):
            first = "# parameters of this run"
        self.say(f"    cell {self.cell}/{self.total}  {first[:60]}")

    # papermill writes the kernel's stdout here as it arrives (stdout_file)
    def write(self, text: str) -> None:
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        for line in lines:
            if line.strip().startswith(PROGRESS_PREFIXES):
                self.say(f"      {line.strip()}")

    def flush(self) -> None:
        pass

    def _beat(self) -> None:
        while not self._done.wait(0.5):
            now = time.monotonic()
            if now - self.last >= self.heartbeat:
                where = f"in cell {self.cell}/{self.total}" if self.cell else "starting the kernel"
                self.say(
                    f"      ... still {where} "
                    f"({_clock(now - self.cell_started)} in this cell, "
                    f"{_clock(now - self.started)} into the lesson)"
                )


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


def _code_cells(notebook: Path) -> int:
    import nbformat

    cells = nbformat.read(str(notebook), as_version=4).cells
    # papermill adds one cell for the injected parameters
    return sum(c.cell_type == "code" and bool(c.source.strip()) for c in cells) + 1


def run_lesson(
    notebook: Path,
    output_dir: Path,
    *,
    tracker: str = "minitrack",
    fast: bool = False,
    kernel_name: str = KERNEL_NAME,
    progress: bool = True,
    timeout: float | None = None,
    parameters: dict | None = None,
    tracking_uri: str | None = None,
    echo=print,
) -> LessonResult:
    """Execute one lesson into ``output_dir`` and report how it went. It logs to
    ``tracking_uri`` when given (a class's server, say), else to a SQLite file there."""
    import papermill

    lesson = lesson_for(notebook)
    output_dir.mkdir(parents=True, exist_ok=True)
    output = output_dir / notebook.name
    target = tracking_uri or store_uri(output_dir)
    injected = parameters_for(notebook, tracker, target, fast, parameters)
    # the runs are counted where the lesson logs them, `-p TRACKING_URI=...` included
    uri = injected.get("TRACKING_URI", target)
    before = trackers.count_runs(tracker, uri)
    started = time.perf_counter()
    status, message = "passed", ""
    watcher = Progress(echo if progress else (lambda text: None), _code_cells(notebook))
    try:
        with watcher:
            papermill.execute_notebook(
                str(notebook),
                str(output),
                parameters=injected,
                kernel_name=kernel_name,
                cwd=str(output_dir),
                progress_bar=False,
                execution_timeout=timeout,
                config=_kernel_config(),
                kernel_manager_class=_kernel_manager_class(),
                stdout_file=watcher,
                on_cell_start=watcher.on_cell_start,
            )
    except papermill.PapermillExecutionError as exc:
        status = "failed"
        message = f"In [{exc.exec_count}]: {exc.ename}: {exc.evalue}".strip()
    seconds = time.perf_counter() - started
    runs = trackers.count_runs(tracker, uri) - before
    if status == "passed":
        verdicts = checks.load_report(notebook.stem, output_dir / checks.RESULTS_DIR)
        expected = lesson.expected_runs(injected, fast)
        if verdicts is None:
            status, message = "checks failed", "the check-your-work cell did not report"
        elif not verdicts["passed"]:
            missing = [v["item"] for v in verdicts["verdicts"] if not v["ok"]]
            status, message = "checks failed", "missing: " + ", ".join(missing)
        elif expected >= 0 and runs != expected:
            status, message = "checks failed", f"logged {runs} runs, expected {expected}"
    return LessonResult(notebook.stem, status, seconds, runs, output, message)


def run_lessons(
    lessons_dir: str | os.PathLike | None = None,
    output_dir: str | os.PathLike | None = None,
    *,
    only: list[str] | tuple[str, ...] = (),
    tracker: str = "minitrack",
    fast: bool = False,
    kernel_name: str = KERNEL_NAME,
    progress: bool = True,
    timeout: float | None = None,
    parameters: dict | None = None,
    tracking_uri: str | None = None,
    echo=print,
) -> list[LessonResult]:
    """Execute the lessons in order in a fresh folder; a failed lesson does not stop the
    ones after it. ``parameters`` go to every lesson that declares them. They log to
    ``tracking_uri`` when given, else to a fresh SQLite file in that folder."""
    trackers.load(tracker)
    notebooks, notes = plan(lessons_dir or default_lessons_dir(), only)
    check_kernel(kernel_name)
    declared = _declared(notebooks)
    unknown = sorted(set(parameters or {}) - set().union(*declared.values()))
    if unknown:
        raise RunnerError(
            f"no lesson to run has a parameter {', '.join(unknown)}; "
            "see the cell tagged `parameters` at the top of each lesson."
        )
    folder = fresh_output_dir(output_dir, fast)
    for note in notes:
        echo(note)
    if tracking_uri:
        echo(f"Working folder: {folder}; the runs go to {tracking_uri}")
    else:
        echo(f"Working folder (a fresh tracking store): {folder}")
    results = []
    for number, notebook in enumerate(notebooks, start=1):
        expected = lesson_for(notebook).expected(fast)
        echo(
            f"[{number}/{len(notebooks)}] {notebook.stem}"
            + _suffix(expected and expected + " here")
        )
        extra = {k: v for k, v in (parameters or {}).items() if k in declared[notebook]}
        result = run_lesson(
            notebook,
            folder,
            tracker=tracker,
            fast=fast,
            kernel_name=kernel_name,
            progress=progress,
            timeout=timeout,
            parameters=extra,
            tracking_uri=tracking_uri,
            echo=echo,
        )
        echo(f"    {result.status} in {result.seconds:.1f} s" + _suffix(result.message))
        results.append(result)
    return results


def _declared(notebooks: list[Path]) -> dict[Path, set[str]]:
    import papermill

    return {path: set(papermill.inspect_notebook(str(path))) for path in notebooks}


def _suffix(message: str) -> str:
    return f" ({message})" if message else ""


def render_summary(
    results: list[LessonResult], tracker: str = "minitrack", tracking_uri: str | None = None
) -> str:
    """A plain-text table (lesson, status, time, runs logged, where the executed copy is),
    the verdict, and where to browse the runs: the server's page, or the command that opens
    the web UI on the store."""
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
    if results and tracking_uri:
        from minitrack.uris import is_server_uri

        lines.append("")
        if is_server_uri(tracking_uri):
            lines.append(f"Browse these runs on the server: {tracking_uri}")
        else:
            lines.append(f"The runs are in {tracking_uri}.")
    elif results:
        store = store_path(results[0].output.parent)
        lines.append("")
        lines.append(f"Browse these runs in the web UI ({tracker}, on http://127.0.0.1:5000):")
        lines.append("  " + commands.ui_command(store, tracker, relative_to=Path.cwd()))
    return "\n".join(line.rstrip() for line in lines)
