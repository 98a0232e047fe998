"""``course where`` and the doctor's "where are my runs?" check.

A student whose UI shows nothing has almost always opened another store than the one their
lessons write to: the UI started in another folder, a relative ``sqlite:///mlflow.db``
resolved elsewhere, ``MLFLOW_TRACKING_URI`` set for their own code, or a real MLflow
database. This module gathers the facts (:func:`gather`): the store the lessons in this
folder use, the one ``MLFLOW_TRACKING_URI`` names, the stores lying nearby with their
counts and last activity, and the UIs listening on the usual ports with the store each
serves (minitrack's ``/api/store``); then says in one line what explains an empty UI
(:func:`reason`).
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

from course import commands, envinfo
from minitrack.store import inspect as store_inspect

LESSON_DEFAULT_URI = "sqlite:///mlflow.db"  # what every lesson's parameters cell falls back to
LESSON_URI_ENV = "COURSE_TRACKING_URI"
OWN_URI_ENV = "MLFLOW_TRACKING_URI"
USUAL_PORTS = (5000, 5001, 8080)
PASS, WARN = "pass", "warn"


@dataclass
class Store:
    path: str
    kind: str  # minitrack, mlflow, mlflow-file-store, artifacts, empty, missing, ...
    schema: str | None = None
    experiments: int = 0
    runs: int = 0
    deleted_runs: int = 0
    last_activity: float | None = None  # seconds since the epoch

    def describe(self) -> str:
        what = {
            store_inspect.MINITRACK: "minitrack store",
            store_inspect.MLFLOW: "MLflow database",
            store_inspect.MISSING: "not created yet",
            store_inspect.EMPTY: "an empty file",
            store_inspect.NOT_SQLITE: "not a SQLite file",
            store_inspect.OTHER: "another program's SQLite database",
            "mlflow-file-store": "MLflow file store (mlruns/ folder)",
            "artifacts": "artifact folder",
        }.get(self.kind, self.kind)
        if self.schema:
            what += f", {self.schema}"
        if self.kind in (store_inspect.MINITRACK, store_inspect.MLFLOW, "mlflow-file-store"):
            what += f": {_count(self.experiments, 'experiment')}, {_count(self.runs, 'run')}"
            if self.deleted_runs:
                what += f" (+{self.deleted_runs} deleted)"
        elif self.kind == "artifacts":
            what += f" of {_count(self.runs, 'run')}, no run records"
        if self.last_activity:
            what += f", last activity {ago(self.last_activity)}"
        return what

    @property
    def has_runs(self) -> bool:
        return self.kind in (
            store_inspect.MINITRACK,
            store_inspect.MLFLOW,
            "mlflow-file-store",
        ) and (self.runs > 0)


@dataclass
class Server:
    port: int
    url: str
    kind: str  # minitrack, mlflow (an MLflow-compatible server that does not name its store), other
    store_path: str | None = None
    backend_store_uri: str | None = None


@dataclass
class Where:
    cwd: str
    lesson_folder: str
    lesson_uri: str
    lesson_uri_from: str  # COURSE_TRACKING_URI, or "the lesson default"
    lesson_store: Store | None  # None for a tracking server URI
    own_uri: str | None  # MLFLOW_TRACKING_URI, if set
    own_store: Store | None
    nearby: list[Store] = field(default_factory=list)
    servers: list[Server] = field(default_factory=list)
    status: str = PASS
    reason: str = ""
    fix: str | None = None


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def ago(seconds: float, now: float | None = None) -> str:
    delta = max(0.0, (now or time.time()) - seconds)
    if delta < 90:
        return "just now"
    if delta < 90 * 60:
        return f"{delta / 60:.0f} min ago"
    if delta < 36 * 3600:
        return f"{delta / 3600:.0f} h ago"
    return f"{delta / 86400:.0f} days ago"


# -- the facts -------------------------------------------------------------------------------
def describe_db(path: str | os.PathLike) -> Store:
    facts = store_inspect.describe_sqlite_file(path)
    last = facts["last_activity"]
    return Store(
        str(Path(path)),
        facts["kind"],
        facts["schema"],
        facts["experiments"],
        facts["runs"],
        facts["deleted_runs"],
        last / 1000 if last else None,
    )


def describe_mlruns(folder: Path) -> Store:
    """An ``mlruns/`` folder: MLflow's file store (``<experiment>/meta.yaml``) or only
    artifacts (``<experiment>/<run>/artifacts``), as minitrack keeps them beside its file."""
    experiments = [d for d in _dirs(folder) if (d / "meta.yaml").is_file()]
    if experiments:
        runs = [r for e in experiments for r in _dirs(e) if (r / "meta.yaml").is_file()]
        stamps = [p.stat().st_mtime for p in [*experiments, *runs]]
        return Store(
            str(folder),
            "mlflow-file-store",
            None,
            len(experiments),
            len(runs),
            0,
            max(stamps) if stamps else None,
        )
    runs = [r for e in _dirs(folder) for r in _dirs(e)]
    stamps = [r.stat().st_mtime for r in runs]
    return Store(str(folder), "artifacts", None, 0, len(runs), 0, max(stamps) if stamps else None)


def _dirs(folder: Path) -> list[Path]:
    try:
        return [d for d in folder.iterdir() if d.is_dir() and not d.name.startswith(".")]
    except OSError:
        return []


def lesson_folder(cwd: Path) -> Path:
    """Where the lessons run from here: this folder if it holds lesson notebooks, else the
    workspace (``course start``) or ``lessons/`` below it, else this folder."""
    for folder in (cwd, cwd / "workspace", cwd / "lessons"):
        if any(folder.glob("[0-9][0-9]-*.ipynb")):
            return folder
    return cwd


def _resolve(uri: str, cwd: Path) -> Store | None:
    from minitrack import uris

    if uri.startswith(("http://", "https://")):
        return None
    try:
        path = uris.db_path_from_uri(uri, str(cwd))
    except Exception:  # noqa: BLE001 - a malformed URI is reported as such
        return Store(uri, "not a SQLite tracking URI")
    return describe_db(path)


def _nearby(cwd: Path, known: set[str]) -> list[Store]:
    folders = []
    for folder in (cwd, cwd / "lessons", cwd / "workspace", Path.home()):
        if folder.is_dir() and folder.resolve() not in folders:
            folders.append(folder.resolve())
    found = []
    for folder in folders:
        for path in sorted(folder.glob("*.db")):
            store = describe_db(path)
            if str(path) not in known and store.kind in (
                store_inspect.MINITRACK,
                store_inspect.MLFLOW,
            ):
                found.append(store)
        mlruns = folder / "mlruns"
        if mlruns.is_dir() and str(mlruns) not in known:
            found.append(describe_mlruns(mlruns))
    return found


def probe_server(port: int, timeout: float = 2.0) -> Server | None:
    """What listens on 127.0.0.1:``port``: a minitrack UI (which names its store), another
    MLflow-compatible server, something else, or nothing (None)."""
    if not envinfo.port_in_use(port):
        return None
    url = f"http://127.0.0.1:{port}"
    answer = _get_json(f"{url}/api/store", timeout)
    if isinstance(answer, dict) and answer.get("server") == "minitrack":
        return Server(port, url, "minitrack", answer.get("path"), answer.get("backend_store_uri"))
    answer = _get_json(f"{url}/api/2.0/mlflow/experiments/search?max_results=1", timeout)
    if isinstance(answer, dict):
        return Server(port, url, "mlflow")
    return Server(port, url, "other")


def _get_json(url: str, timeout: float):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback
            return json.loads(response.read(1_000_000))
    except (OSError, ValueError, urllib.error.URLError):
        return None


def gather(cwd: str | os.PathLike | None = None, ports=USUAL_PORTS, env=None) -> Where:
    env = os.environ if env is None else env
    cwd = Path(cwd or os.getcwd()).resolve()
    folder = lesson_folder(cwd)
    lesson_uri = env.get(LESSON_URI_ENV) or LESSON_DEFAULT_URI
    lesson_from = LESSON_URI_ENV if env.get(LESSON_URI_ENV) else "the lesson default"
    lesson_store = _resolve(lesson_uri, folder)
    own_uri = env.get(OWN_URI_ENV)
    own_store = _resolve(own_uri, cwd) if own_uri else None
    known = {s.path for s in (lesson_store, own_store) if s is not None}
    where = Where(
        str(cwd),
        str(folder),
        lesson_uri,
        lesson_from,
        lesson_store,
        own_uri,
        own_store,
        _nearby(cwd, known),
        [s for s in (probe_server(port) for port in dict.fromkeys(ports)) if s is not None],
    )
    where.status, where.reason, where.fix = reason(where)
    return where


# -- the one line ----------------------------------------------------------------------------
def _same(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


def reason(where: Where) -> tuple[str, str, str | None]:
    """(status, the one-line reason, the fix) for what a student sees in their UI."""
    lesson = where.lesson_store
    if lesson is None:
        return PASS, f"The lessons here log to the tracking server {where.lesson_uri}.", None
    shown = f"{lesson.path} ({lesson.describe()})"
    if lesson.kind == store_inspect.MLFLOW:
        return (
            WARN,
            f"The lessons' store {lesson.path} is a real MLflow database ({lesson.schema}): "
            "minitrack keeps its own schema and cannot open it.",
            f"Set {LESSON_URI_ENV}=sqlite:///minitrack.db for minitrack, or open this file "
            f"with `mlflow ui --backend-store-uri sqlite:///{Path(lesson.path).as_posix()}`.",
        )
    if lesson.kind in (store_inspect.NOT_SQLITE, store_inspect.OTHER, "not a SQLite tracking URI"):
        return (
            WARN,
            f"The lessons' store {lesson.path} is {lesson.describe()}: no tracker can use it.",
            f"Move it aside or point {LESSON_URI_ENV} at another file.",
        )
    open_it = commands.ui_command(lesson.path, relative_to=where.cwd)
    for server in where.servers:
        if server.kind == "minitrack" and not _same(server.store_path, lesson.path):
            other = describe_db(server.store_path) if server.store_path else None
            has = f" ({_count(other.runs, 'run')})" if other else ""
            return (
                WARN,
                f"The UI on port {server.port} shows {server.store_path}{has}, not the store "
                f"the lessons here log to: {shown}.",
                f"Stop that UI and run: {open_it}",
            )
    for server in where.servers:
        if server.kind == "minitrack":
            return PASS, f"The UI on port {server.port} shows the lessons' store {shown}.", None
    elsewhere = [s for s in where.nearby if s.has_runs]
    if where.own_store is not None and where.own_store.has_runs:
        elsewhere.insert(0, where.own_store)
    if not lesson.has_runs and elsewhere:
        best = max(elsewhere, key=lambda s: s.last_activity or 0)
        fix = (
            commands.ui_command(best.path, relative_to=where.cwd)
            if best.kind in (store_inspect.MINITRACK,)
            else f"open it with `mlflow ui --backend-store-uri {_uri_for(best)}`"
        )
        return (
            WARN,
            f"The lessons here log to {shown}; the runs you may be looking for are in "
            f"{best.path} ({best.describe()}).",
            f"Look at them with: {fix}",
        )
    if (
        where.own_uri
        and where.own_store is not None
        and not _same(where.own_store.path, lesson.path)
    ):
        return (
            PASS,
            f"The lessons here log to {shown}; your own code ({OWN_URI_ENV}) logs to "
            f"{where.own_store.path}: two different stores.",
            None,
        )
    if not lesson.has_runs:
        return PASS, f"No runs yet: the lessons here will log to {shown}.", None
    return PASS, f"The lessons here log to {shown}; open it with: {open_it}", None


def _uri_for(store: Store) -> str:
    path = Path(store.path).as_posix()
    return path if store.kind == "mlflow-file-store" else f"sqlite:///{path}"


# -- output ----------------------------------------------------------------------------------
def render(where: Where) -> str:
    lines = [where.reason]
    if where.fix:
        lines.append(f"  fix: {where.fix}")
    lines.append("")
    lesson = where.lesson_store
    lines.append(
        f"Lessons in {where.lesson_folder} use {where.lesson_uri} ({where.lesson_uri_from})"
    )
    lines.append(f"  -> {lesson.path}: {lesson.describe()}" if lesson else "  -> a tracking server")
    if where.own_uri:
        own = where.own_store
        lines.append(f"{OWN_URI_ENV}={where.own_uri} (your own code)")
        lines.append(f"  -> {own.path}: {own.describe()}" if own else "  -> a tracking server")
    else:
        lines.append(f"{OWN_URI_ENV} is not set: your own code logs to ./mlflow.db where it runs")
    lines.append("Other stores nearby:" if where.nearby else "No other stores nearby.")
    lines.extend(f"  {store.path}: {store.describe()}" for store in where.nearby)
    if not where.servers:
        lines.append("No UI or server is running on the usual ports.")
    for server in where.servers:
        if server.kind == "minitrack":
            lines.append(f"UI on port {server.port} (minitrack) shows {server.store_path}")
        elif server.kind == "mlflow":
            lines.append(f"Server on port {server.port}: MLflow-compatible, does not say its store")
        else:
            lines.append(f"Port {server.port} is taken by something that is not a tracking UI")
    return "\n".join(lines)


def to_json(where: Where) -> str:
    return json.dumps(asdict(where), indent=2)
