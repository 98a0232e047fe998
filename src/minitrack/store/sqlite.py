"""The SQLite tracking store: every SQL statement minitrack runs against its file.

One connection per store per process (re-opened after ``fork``), WAL journal,
``synchronous=NORMAL`` (a commit survives a killed process) and ``BEGIN IMMEDIATE``
for every write so two writers never deadlock upgrading a read lock. Each public
write is one transaction, committed before it returns.

A file locked by another process is waited for in short slices, so Ctrl-C acts at
once: after ``LOCK_NOTICE_S`` a line on stderr names the file, and after
``lock_wait_s()`` the call fails with a MinitrackException (TEMPORARILY_UNAVAILABLE)
that says what to do. Nothing is written by a call that failed.

``read_only=True`` is the web UI's mode: ``mode=ro`` and ``query_only``, never a
migration or a journal switch, and the file is checked on every read, so a deleted,
replaced or swapped database is noticed at the next request. A missing file reads
as an empty store.
"""

from __future__ import annotations

import json
import math
import os
import re
import sqlite3
import stat
import sys
import threading
import time

from minitrack.context import MLFLOW_RUN_NAME, MLFLOW_USER
from minitrack.entities import (
    Experiment,
    LifecycleStage,
    Metric,
    Param,
    Run,
    RunData,
    RunInfo,
    RunTag,
    ViewType,
)
from minitrack.exceptions import (
    INTERNAL_ERROR,
    INVALID_STATE,
    RESOURCE_ALREADY_EXISTS,
    RESOURCE_DOES_NOT_EXIST,
    TEMPORARILY_UNAVAILABLE,
    MinitrackException,
)
from minitrack.store.base import AbstractStore, DeletedRun, ExperimentActivity, RunColumns, new_id
from minitrack.store.schema import MIGRATIONS, SCHEMA_VERSION
from minitrack.store.sqlite_registry import SqliteRegistryStore
from minitrack.uris import DEFAULT_ARTIFACT_ROOT, append_path, resolve_artifact_location

DEFAULT_EXPERIMENT_ID = "0"
DEFAULT_EXPERIMENT_NAME = "Default"

# How long a call waits for another process's lock in all (MLflow gives up after 20 s),
# and when it starts saying so. MINITRACK_LOCK_TIMEOUT (seconds) changes the first.
LOCK_WAIT_S = 20.0
LOCK_NOTICE_S = 3.0
# SQLite's own busy wait per attempt: short, so the Python loop around it (and Ctrl-C)
# gets control back many times a second.
_BUSY_SLICE_MS = 100
# A writer checks at most this often that its file is still the one it opened.
_FILE_CHECK_INTERVAL_S = 0.25
# SQLite refuses more host parameters than this in one statement on old builds.
_CHUNK = 500


def lock_wait_s() -> float:
    raw = os.environ.get("MINITRACK_LOCK_TIMEOUT", "")
    try:
        return max(0.0, float(raw)) if raw else LOCK_WAIT_S
    except ValueError:
        return LOCK_WAIT_S


class _Process:
    """This process's id, kept current across fork without a getpid call per query."""

    pid = os.getpid()

    @classmethod
    def forked(cls) -> None:
        cls.pid = os.getpid()


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(after_in_child=_Process.forked)
_CREATE_RE = re.compile(r"\bCREATE\s+(TABLE|INDEX|UNIQUE\s+INDEX)\s+(?!IF\s+NOT\s+EXISTS)", re.I)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _is_busy(error: sqlite3.Error) -> bool:
    text = str(error).lower()
    return isinstance(error, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def _is_read_only_error(error: sqlite3.Error) -> bool:
    text = str(error).lower()
    return "readonly" in text or "read-only" in text or "unable to open" in text


def _split_sql(script: str) -> list[str]:
    """Split a migration script into statements (executescript would commit mid-way)."""
    statements, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                statements.append(buf.strip())
            buf = ""
    if buf.strip() and not all(
        ln.strip().startswith("--") or not ln.strip() for ln in buf.splitlines()
    ):
        statements.append(buf.strip())
    return statements


def metric_value(value: float | None, is_nan: int) -> float:
    """A stored metric value: SQLite has no NaN, so NaN is kept as is_nan = 1."""
    return math.nan if is_nan else value


def _chunks(items: list[str]):
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def _no_experiment(exp_id) -> MinitrackException:
    return MinitrackException(f"No Experiment with id={exp_id} exists.", RESOURCE_DOES_NOT_EXIST)


def _no_run(run_id: str) -> MinitrackException:
    return MinitrackException(f"Run with id={run_id} not found", RESOURCE_DOES_NOT_EXIST)


def _marks(items) -> str:
    return ",".join("?" * len(items))


def _file_identity(path: str, read_only: bool):
    """What must stay the same for an open connection to still show this file.

    A writer compares device and inode: its own checkpoints change the rest. A reader
    (the UI) also compares size and modification time, so a file copied over the old
    one in place is noticed too; reopening after the writer's checkpoint costs little.
    """
    try:
        st = os.stat(path)
    except OSError:
        return None
    if read_only:
        return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    return (st.st_dev, st.st_ino)


class _Locked(Exception):
    """Another process held the lock longer than the wait allows."""


class SqliteStore(SqliteRegistryStore, AbstractStore):
    """A tracking store in one SQLite file, with artifacts under ``artifact_root``."""

    def __init__(
        self, db_path: str, default_artifact_root: str | None = None, *, read_only: bool = False
    ) -> None:
        self.db_path = db_path
        self.read_only = read_only
        self.artifact_root = resolve_artifact_location(
            default_artifact_root or DEFAULT_ARTIFACT_ROOT
        )
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._pid = None
        self._identity = None
        self._next_check = 0.0
        self._abandoned: list[sqlite3.Connection] = []
        self._connection()

    def describe(self) -> str:
        return self.db_path

    # -- connection and transactions -------------------------------------------------------

    def _connection(self, hot: bool = False) -> sqlite3.Connection:
        """The open connection, checked to still show the file at ``db_path``.

        The check is a stat; the per-value logging calls (``hot``) make it at most every
        _FILE_CHECK_INTERVAL_S, since a training loop makes thousands of them.
        """
        conn = self._conn
        if conn is not None and self._pid == _Process.pid:
            if self.db_path == ":memory:":
                return conn
            now = time.monotonic()
            if hot and now < self._next_check:
                return conn
            if not self.read_only:
                self._next_check = now + _FILE_CHECK_INTERVAL_S
            if _file_identity(self.db_path, self.read_only) == self._identity:
                return conn
            # Deleted or replaced (a student starting afresh, a restored backup): never
            # keep reading or writing the old file through the old connection.
            self._close_current()
        elif conn is not None:
            # Inherited through fork: never use (or close) the parent's connection here.
            self._abandoned.append(conn)
            self._lock = threading.RLock()
            self._conn = None
        self._conn = self._open_read_only() if self.read_only else self._open()
        self._pid = _Process.pid
        return self._conn

    def _close_current(self) -> None:
        if self._conn is not None and self._pid == _Process.pid:
            self._conn.close()
        self._conn = None

    def _check_location(self) -> None:
        path = self.db_path
        folder = os.path.dirname(path)
        if folder and not os.path.isdir(folder):
            what = "is not a folder" if os.path.exists(folder) else "does not exist"
            raise MinitrackException(
                f"Cannot open the tracking database {path}: {folder} {what}. "
                "Create the folder or choose another tracking URI, e.g. sqlite:///mlflow.db."
            )
        if os.path.isdir(path):
            raise MinitrackException(
                f"Cannot open the tracking database {path}: it is a folder. Point the "
                "tracking URI at a file, e.g. sqlite:///mlflow.db."
            )
        if os.path.exists(path) and not stat.S_ISREG(os.stat(path).st_mode):
            raise MinitrackException(
                f"Cannot open the tracking database {path}: it is not a regular file (a "
                "device, pipe or socket). Point the tracking URI at a file, e.g. "
                "sqlite:///mlflow.db."
            )
        if not self.read_only:
            target = path if os.path.exists(path) else folder or "."
            if not os.access(target, os.W_OK) or not os.access(folder or ".", os.W_OK):
                raise MinitrackException(
                    f"Cannot write the tracking database {path}: "
                    + (
                        f"the folder {folder or '.'} is read-only"
                        if not os.access(folder or ".", os.W_OK)
                        else "the file is read-only"
                    )
                    + " (SQLite also writes its journal beside the file). Choose a folder "
                    "you can write to, or fix its permissions."
                )

    def _connect(self, target: str, *, uri: bool = False) -> sqlite3.Connection:
        try:
            return sqlite3.connect(
                target,
                uri=uri,
                timeout=_BUSY_SLICE_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
                cached_statements=256,
            )
        except sqlite3.Error as e:
            raise self._open_error(e) from e

    def _open(self) -> sqlite3.Connection:
        path = self.db_path
        if path != ":memory:":
            self._check_location()
        conn = self._connect(path)
        try:
            # Look before writing anything: a file we refuse must stay exactly as it was.
            version, names = self._retry_busy(lambda: self._inspect(conn))
            self._refuse_foreign(version, names)
            if path != ":memory:":
                mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
                if mode.lower() != "wal":
                    self._retry_busy(lambda: conn.execute("PRAGMA journal_mode=WAL"))
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA cache_size=-32768")  # 32 MiB: search reads many pages
            conn.execute(f"PRAGMA busy_timeout={_BUSY_SLICE_MS}")
            if version < SCHEMA_VERSION:
                self._migrate(conn, seed_default=True)
            self._identity = _file_identity(path, False)
        except BaseException as e:
            conn.close()
            raise self._open_error(e) from e
        return conn

    def _open_read_only(self) -> sqlite3.Connection:
        """The UI's connection: the file as it is now, or an empty store when there is none."""
        path = self.db_path
        self._identity = _file_identity(path, True)
        if path == ":memory:" or self._identity is None:
            return self._empty_store()
        self._check_location()
        from urllib.parse import quote  # the UI's mode only: kept out of `import minitrack`

        conn = self._connect("file:" + quote(os.path.abspath(path)) + "?mode=ro", uri=True)
        try:
            conn.execute("PRAGMA query_only = 1")
            conn.execute(f"PRAGMA busy_timeout={_BUSY_SLICE_MS}")
            version, names = self._retry_busy(lambda: self._inspect(conn))
            self._refuse_foreign(version, names)
            if version == 0 and not names:  # created, but its schema is not written yet
                conn.close()
                return self._empty_store()
            if version < SCHEMA_VERSION:
                raise MinitrackException(
                    f"The tracking database {path} has schema version {version}; this "
                    f"minitrack reads version {SCHEMA_VERSION}. Open it once with minitrack "
                    f"to upgrade it in place (e.g. `minitrack experiments --tracking-uri "
                    f"sqlite:///{path}`), then reload this page."
                )
        except BaseException as e:
            conn.close()
            raise self._open_error(e) from e
        return conn

    def _empty_store(self) -> sqlite3.Connection:
        conn = self._connect(":memory:")
        self._migrate(conn, seed_default=False)
        conn.execute("PRAGMA query_only = 1")
        return conn

    @staticmethod
    def _inspect(conn: sqlite3.Connection) -> tuple[int, set[str]]:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        return version, names

    def _refuse_foreign(self, version: int, names: set[str]) -> None:
        # MLflow never sets user_version. A minitrack store that `mlflow ui` was pointed at
        # gains MLflow's alembic_version table before MLflow's migration fails: still ours.
        if "alembic_version" in names and version == 0:
            raise MinitrackException(
                f"The file {self.db_path} is an MLflow database; minitrack keeps its own "
                "schema. Use a separate file for minitrack, e.g. sqlite:///minitrack.db "
                "(or open this one with `mlflow ui`)."
            )
        if version > SCHEMA_VERSION:
            raise MinitrackException(
                f"The tracking database {self.db_path} has schema version {version}, written "
                f"by a newer minitrack; this minitrack knows versions up to {SCHEMA_VERSION}. "
                "Upgrade minitrack (pip install -U exp-tracking-course) to open it."
            )
        if version == 0 and names and "experiments" not in names:
            raise MinitrackException(
                f"The file {self.db_path} is an SQLite database of another program (it has "
                f"tables {', '.join(sorted(names)[:5])}). Point the tracking URI at another "
                "file, e.g. sqlite:///mlflow.db."
            )

    def _open_error(self, e: BaseException) -> BaseException:
        if isinstance(e, MinitrackException) or not isinstance(e, Exception):
            return e
        if isinstance(e, _Locked):
            return self._locked_error()
        if isinstance(e, sqlite3.OperationalError) and _is_read_only_error(e):
            return MinitrackException(
                f"Cannot write the tracking database {self.db_path}: the file or its folder "
                f"is read-only ({e}; SQLite also writes its journal beside the file). Choose a "
                "folder you can write to, or fix its permissions."
            )
        if isinstance(e, sqlite3.DatabaseError):
            return MinitrackException(
                f"The file {self.db_path} is not a minitrack tracking database ({e}). Point "
                "the tracking URI at another file, or move this one away.",
                INTERNAL_ERROR,
            )
        return e

    def _retry_busy(self, attempt):
        """``attempt()`` until it is not refused for another process's lock.

        The one busy loop: each try waits at most _BUSY_SLICE_MS inside SQLite, the loop
        sleeps briefly between tries, says once on stderr that it is waiting, and gives
        up with _Locked after lock_wait_s().
        """
        started = time.monotonic()
        delay = 0.002
        told = False
        while True:
            try:
                return attempt()
            except sqlite3.OperationalError as e:
                if not _is_busy(e):
                    raise
            waited = time.monotonic() - started
            if waited >= lock_wait_s():
                raise _Locked()
            if not told and waited >= min(LOCK_NOTICE_S, lock_wait_s() / 2):
                told = True
                print(
                    f"minitrack: the tracking database {self.db_path} is locked by another "
                    f"process; waiting up to {lock_wait_s():.0f} s (Ctrl-C stops).",
                    file=sys.stderr,
                    flush=True,
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.05)

    def _locked_error(self) -> MinitrackException:
        return MinitrackException(
            f"The tracking database {self.db_path} stayed locked by another process for "
            f"{lock_wait_s():.0f} s, so nothing was written. Another notebook, script or "
            "`sqlite3` shell is writing to this file: let it finish or stop it, then try "
            "again (or use a separate tracking URI per process).",
            TEMPORARILY_UNAVAILABLE,
        )

    def _migrate(self, conn: sqlite3.Connection, *, seed_default: bool) -> None:
        self._retry_busy(lambda: conn.execute("BEGIN IMMEDIATE"))
        try:
            version, names = self._inspect(conn)  # another process may have migrated it
            self._refuse_foreign(version, names)
            for step in range(version, SCHEMA_VERSION):
                for statement in _split_sql(MIGRATIONS[step]):
                    # Idempotent creates let a half-initialised file be finished off.
                    conn.execute(_CREATE_RE.sub(lambda m: m.group(0) + "IF NOT EXISTS ", statement))
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            if seed_default:
                now = _now_ms()
                conn.execute(
                    f"INSERT OR IGNORE INTO experiments ({self._EXP_COLS}) "
                    "VALUES (0, ?, ?, 'active', ?, ?)",
                    (
                        DEFAULT_EXPERIMENT_NAME,
                        append_path(self.artifact_root, DEFAULT_EXPERIMENT_ID),
                        now,
                        now,
                    ),
                )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _read_only_error(self) -> MinitrackException:
        return MinitrackException(
            f"This store ({self.describe()}) is open read-only: the web UI never writes."
        )

    def _write(self, work, *args, hot: bool = False):
        """Run ``work(conn, *args)`` in one BEGIN IMMEDIATE transaction, committed."""
        if self.read_only:
            raise self._read_only_error()
        with self._lock:
            conn = self._connection(hot)

            def attempt():
                conn.execute("BEGIN IMMEDIATE")
                try:
                    result = work(conn, *args)
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                return result

            return self._run(attempt)

    def _write_statement(self, sql: str, args: tuple) -> int:
        """Run one statement on its own (SQLite commits it atomically) and return its rowcount.

        The per-value logging calls use it when one statement is the whole write: it saves
        the BEGIN and COMMIT round trips of ``_write``.
        """
        if self.read_only:
            raise self._read_only_error()
        with self._lock:
            conn = self._connection(hot=True)
            return self._run(lambda: conn.execute(sql, args).rowcount)

    def _read(self, work, *args):
        """Run ``work(conn, *args)`` on one consistent snapshot."""
        with self._lock:
            conn = self._connection()

            def attempt():
                conn.execute("BEGIN")
                try:
                    return work(conn, *args)
                finally:
                    if conn.in_transaction:
                        conn.execute("COMMIT")

            return self._run(attempt)

    def _run(self, attempt):
        try:
            return self._retry_busy(attempt)
        except _Locked:
            raise self._locked_error() from None
        except sqlite3.Error as e:
            raise MinitrackException(
                f"The tracking database {self.db_path} failed: {e}. If the file was damaged "
                "(a copy cut short, a disk full), restore it from a backup or start a new "
                "file; `course doctor` checks it.",
                INTERNAL_ERROR,
            ) from e

    def file_exists(self) -> bool:
        return self.db_path == ":memory:" or os.path.exists(self.db_path)

    def close(self) -> None:
        with self._lock:
            self._close_current()

    # -- experiments ----------------------------------------------------------------------

    _EXP_COLS = (
        "experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time"
    )

    @staticmethod
    def _experiment(conn, row) -> Experiment:
        tags = dict(
            conn.execute(
                "SELECT key, value FROM experiment_tags WHERE experiment_id = ?", (row[0],)
            )
        )
        return Experiment(
            experiment_id=str(row[0]),
            name=row[1],
            artifact_location=row[2],
            lifecycle_stage=row[3],
            tags=tags,
            creation_time=row[4],
            last_update_time=row[5],
        )

    def create_experiment(
        self, name: str, artifact_location: str | None, tags: list[tuple[str, str]]
    ) -> str:
        location = resolve_artifact_location(artifact_location) if artifact_location else None
        tag_items = list(tags)

        def work(conn):
            row = conn.execute(
                "SELECT experiment_id, lifecycle_stage FROM experiments WHERE name = ?", (name,)
            ).fetchone()
            if row is not None:
                raise self._already_exists(name, row[1])
            exp_id = conn.execute(
                "SELECT COALESCE(MAX(experiment_id), -1) + 1 FROM experiments"
            ).fetchone()[0]
            now = _now_ms()
            conn.execute(
                f"INSERT INTO experiments ({self._EXP_COLS}) VALUES (?, ?, ?, 'active', ?, ?)",
                (
                    exp_id,
                    name,
                    location or append_path(self.artifact_root, str(exp_id)),
                    now,
                    now,
                ),
            )
            conn.executemany(
                "INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?)",
                [(exp_id, k, v) for k, v in tag_items],
            )
            return str(exp_id)

        return self._write(work)

    @staticmethod
    def _already_exists(name: str, stage: str) -> MinitrackException:
        if stage == LifecycleStage.DELETED:
            return MinitrackException(
                f"Experiment '{name}' already exists in deleted state. Restore it with "
                "MlflowClient().restore_experiment(...) or choose another name.",
                RESOURCE_ALREADY_EXISTS,
            )
        return MinitrackException(
            f"Experiment(name={name}) already exists. Use set_experiment({name!r}) to use it, "
            "or choose another name.",
            RESOURCE_ALREADY_EXISTS,
        )

    def get_or_create_experiment(self, name: str) -> tuple[Experiment, bool]:
        """The active experiment called ``name``, created if missing (race-safe)."""
        exp = self.get_experiment_by_name(name)
        if exp is not None:
            return exp, False
        try:
            exp_id = self.create_experiment(name)
        except MinitrackException as e:
            if e.error_code != RESOURCE_ALREADY_EXISTS:
                raise
            exp = self.get_experiment_by_name(name)  # another process won the race
            return exp, False
        return self.get_experiment(exp_id), True

    def get_experiment(self, experiment_id) -> Experiment:
        exp_id = experiment_id

        def work(conn):
            row = conn.execute(
                f"SELECT {self._EXP_COLS} FROM experiments WHERE experiment_id = ?", (int(exp_id),)
            ).fetchone()
            if row is None:
                raise _no_experiment(exp_id)
            return self._experiment(conn, row)

        return self._read(work)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        def work(conn):
            row = conn.execute(
                f"SELECT {self._EXP_COLS} FROM experiments WHERE name = ?", (name,)
            ).fetchone()
            return None if row is None else self._experiment(conn, row)

        return self._read(work)

    def search_experiments(
        self,
        view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int | None = None,
        filter_string: str | None = None,
        order_by: list[str] | None = None,
        offset: int = 0,
    ) -> list[Experiment]:
        from minitrack.search import build_experiment_search

        sql, args = build_experiment_search(view_type, filter_string, order_by, max_results, offset)

        def work(conn):
            rows = conn.execute(sql, args).fetchall()
            return [self._experiment(conn, row) for row in rows]

        return self._read(work)

    def _set_experiment_stage(self, experiment_id, stage: str) -> None:
        exp_id = int(experiment_id)
        if stage == LifecycleStage.DELETED and exp_id == 0:
            raise MinitrackException(
                "Cannot delete the default experiment '0'. It is reserved; delete its runs "
                "instead if you want them gone.",
                INVALID_STATE,
            )

        def work(conn):
            row = conn.execute(
                "SELECT lifecycle_stage, last_update_time FROM experiments WHERE experiment_id = ?",
                (exp_id,),
            ).fetchone()
            if row is None:
                raise _no_experiment(exp_id)
            if row[0] == stage:
                raise MinitrackException(
                    f"Cannot {'delete' if stage == 'deleted' else 'restore'} experiment {exp_id}: "
                    f"it is already {stage}.",
                    INVALID_STATE,
                )
            now = _now_ms()
            conn.execute(
                "UPDATE experiments SET lifecycle_stage = ?, last_update_time = ? "
                "WHERE experiment_id = ?",
                (stage, now, exp_id),
            )
            if stage == LifecycleStage.DELETED:
                conn.execute(
                    "UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = ? "
                    "WHERE experiment_id = ? AND lifecycle_stage = 'active'",
                    (now, exp_id),
                )
            else:  # bring back the runs deleted together with the experiment
                conn.execute(
                    "UPDATE runs SET lifecycle_stage = 'active', deleted_time = NULL "
                    "WHERE experiment_id = ? AND lifecycle_stage = 'deleted' "
                    "AND deleted_time >= ?",
                    (exp_id, row[1]),
                )

        self._write(work)

    def delete_experiment(self, experiment_id) -> None:
        self._set_experiment_stage(experiment_id, LifecycleStage.DELETED)

    def restore_experiment(self, experiment_id) -> None:
        self._set_experiment_stage(experiment_id, LifecycleStage.ACTIVE)

    def rename_experiment(self, experiment_id, new_name: str) -> None:
        exp_id = int(experiment_id)

        def work(conn):
            row = conn.execute(
                "SELECT lifecycle_stage FROM experiments WHERE experiment_id = ?", (exp_id,)
            ).fetchone()
            if row is None:
                raise _no_experiment(exp_id)
            if row[0] != LifecycleStage.ACTIVE:
                raise MinitrackException(
                    f"Cannot rename experiment {exp_id}: it is deleted. Restore it first.",
                    INVALID_STATE,
                )
            other = conn.execute(
                "SELECT lifecycle_stage FROM experiments WHERE name = ? AND experiment_id != ?",
                (new_name, exp_id),
            ).fetchone()
            if other is not None:
                raise self._already_exists(new_name, other[0])
            conn.execute(
                "UPDATE experiments SET name = ?, last_update_time = ? WHERE experiment_id = ?",
                (new_name, _now_ms(), exp_id),
            )

        self._write(work)

    def set_experiment_tag(self, experiment_id, key: str, value) -> None:
        exp_id = int(experiment_id)

        def work(conn):
            self._require_active_experiment(conn, exp_id, "set a tag on")
            conn.execute(
                "INSERT OR REPLACE INTO experiment_tags (experiment_id, key, value) "
                "VALUES (?, ?, ?)",
                (exp_id, key, value),
            )

        self._write(work)

    def delete_experiment_tag(self, experiment_id, key: str) -> None:
        exp_id = int(experiment_id)

        def work(conn):
            self._require_active_experiment(conn, exp_id, "delete a tag of")
            cur = conn.execute(
                "DELETE FROM experiment_tags WHERE experiment_id = ? AND key = ?", (exp_id, key)
            )
            if cur.rowcount == 0:
                raise MinitrackException(
                    f"No tag with name: {key} in experiment with id {exp_id}",
                    RESOURCE_DOES_NOT_EXIST,
                )

        self._write(work)

    @staticmethod
    def _require_active_experiment(conn, exp_id: int, doing: str) -> tuple:
        row = conn.execute(
            "SELECT lifecycle_stage, artifact_location FROM experiments WHERE experiment_id = ?",
            (exp_id,),
        ).fetchone()
        if row is None:
            raise _no_experiment(exp_id)
        if row[0] != LifecycleStage.ACTIVE:
            raise MinitrackException(
                f"Cannot {doing} experiment {exp_id}: it is deleted "
                "(restore it with MlflowClient().restore_experiment).",
                INVALID_STATE,
            )
        return row

    # -- runs -----------------------------------------------------------------------------

    def create_run(
        self,
        experiment_id,
        user_id: str | None = None,
        start_time: int | None = None,
        tags: dict[str, str] | None = None,
        run_name: str | None = None,
    ) -> Run:
        """Create a RUNNING run; ``tags`` must already be validated strings."""
        exp_id = int(experiment_id)
        tags = dict(tags or {})
        tag_name = tags.get(MLFLOW_RUN_NAME)
        if not run_name:
            if tag_name:
                run_name = tag_name
            else:
                from minitrack.names import generate_run_name

                run_name = generate_run_name()
        tags[MLFLOW_RUN_NAME] = run_name
        user_id = user_id if user_id is not None else tags.get(MLFLOW_USER, "")
        start_time = _now_ms() if start_time is None else start_time
        run_id = new_id()

        def work(conn):
            row = self._require_active_experiment(conn, exp_id, "create a run in")
            artifact_uri = append_path(row[1], run_id, "artifacts")
            conn.execute(
                "INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time, "
                "end_time, lifecycle_stage, artifact_uri) "
                "VALUES (?, ?, ?, ?, 'RUNNING', ?, NULL, 'active', ?)",
                (run_id, run_name, exp_id, user_id, start_time, artifact_uri),
            )
            conn.executemany(
                "INSERT INTO tags (run_uuid, key, value) VALUES (?, ?, ?)",
                [(run_id, k, v) for k, v in tags.items()],
            )
            return artifact_uri

        artifact_uri = self._write(work)
        info = RunInfo(
            run_id=run_id,
            experiment_id=str(exp_id),
            user_id=user_id,
            status="RUNNING",
            start_time=start_time,
            end_time=None,
            lifecycle_stage=LifecycleStage.ACTIVE,
            artifact_uri=artifact_uri,
            run_name=run_name,
        )
        return Run(info, RunData(tags=[RunTag(k, v) for k, v in tags.items()]))

    @staticmethod
    def _require_active_run(conn, run_id: str) -> None:
        row = conn.execute(
            "SELECT lifecycle_stage FROM runs WHERE run_uuid = ?", (run_id,)
        ).fetchone()
        if row is None:
            raise _no_run(run_id)
        if row[0] != LifecycleStage.ACTIVE:
            raise MinitrackException(
                f"The run {run_id} must be in the 'active' state. Current state is {row[0]}. "
                "Restore it with MlflowClient().restore_run(run_id) to log to it.",
                INVALID_STATE,
            )

    _RUN_COLS = (
        "run_uuid, experiment_id, user_id, status, start_time, end_time, lifecycle_stage, "
        "artifact_uri, name"
    )

    @staticmethod
    def _run_info(row) -> RunInfo:
        return RunInfo(
            run_id=row[0],
            experiment_id=str(row[1]),
            user_id=row[2],
            status=row[3],
            start_time=row[4],
            end_time=row[5],
            lifecycle_stage=row[6],
            artifact_uri=row[7],
            run_name=row[8],
        )

    def get_run(self, run_id: str) -> Run:
        def work(conn):
            row = conn.execute(
                f"SELECT {self._RUN_COLS} FROM runs WHERE run_uuid = ?", (run_id,)
            ).fetchone()
            if row is None:
                raise _no_run(run_id)
            metrics = [
                Metric(k, metric_value(v, n), ts, st, run_id)
                for k, v, ts, st, n in conn.execute(
                    "SELECT key, value, timestamp, step, is_nan FROM latest_metrics "
                    "WHERE run_uuid = ? ORDER BY key",
                    (run_id,),
                )
            ]
            params = [
                Param(k, v)
                for k, v in conn.execute(
                    "SELECT key, value FROM params WHERE run_uuid = ? ORDER BY key", (run_id,)
                )
            ]
            tags = [
                RunTag(k, v)
                for k, v in conn.execute(
                    "SELECT key, value FROM tags WHERE run_uuid = ? ORDER BY key", (run_id,)
                )
            ]
            return Run(self._run_info(row), RunData(metrics, params, tags))

        return self._read(work)

    def update_run_info(
        self, run_id: str, status: str, end_time: int | None, run_name: str | None = None
    ) -> RunInfo:
        def work(conn):
            self._require_active_run(conn, run_id)
            conn.execute(
                "UPDATE runs SET status = ?, end_time = ? WHERE run_uuid = ?",
                (status, end_time, run_id),
            )
            if run_name:
                conn.execute("UPDATE runs SET name = ? WHERE run_uuid = ?", (run_name, run_id))
                conn.execute(
                    "INSERT OR REPLACE INTO tags (run_uuid, key, value) VALUES (?, ?, ?)",
                    (run_id, MLFLOW_RUN_NAME, run_name),
                )
            row = conn.execute(
                f"SELECT {self._RUN_COLS} FROM runs WHERE run_uuid = ?", (run_id,)
            ).fetchone()
            return self._run_info(row)

        return self._write(work)

    def _set_run_stage(self, run_id: str, stage: str) -> None:
        def work(conn):
            cur = conn.execute(
                "UPDATE runs SET lifecycle_stage = ?, deleted_time = ? WHERE run_uuid = ?",
                (stage, _now_ms() if stage == LifecycleStage.DELETED else None, run_id),
            )
            if cur.rowcount == 0:
                raise _no_run(run_id)

        self._write(work)

    def delete_run(self, run_id: str) -> None:
        self._set_run_stage(run_id, LifecycleStage.DELETED)

    def restore_run(self, run_id: str) -> None:
        self._set_run_stage(run_id, LifecycleStage.ACTIVE)

    # -- permanent deletion (gc) ------------------------------------------------------------

    @staticmethod
    def _deleted_filter(column: str, deleted_before, experiment_ids) -> tuple[str, list]:
        sql, args = "", []
        if deleted_before is not None:
            sql += f" AND {column} <= ?"
            args.append(int(deleted_before))
        if experiment_ids is not None:
            ids = [int(e) for e in experiment_ids]
            sql += f" AND experiment_id IN ({_marks(ids)})"
            args.extend(ids)
        return sql, args

    def deleted_runs(self, deleted_before=None, experiment_ids=None) -> list[DeletedRun]:
        where, args = self._deleted_filter("deleted_time", deleted_before, experiment_ids)

        def work(conn):
            rows = conn.execute(
                "SELECT run_uuid, experiment_id, artifact_uri, deleted_time FROM runs "
                f"WHERE lifecycle_stage = 'deleted'{where} ORDER BY deleted_time, run_uuid",
                args,
            ).fetchall()
            return [DeletedRun(r[0], str(r[1]), r[2], r[3]) for r in rows]

        return self._read(work)

    def deleted_experiments(self, deleted_before=None, experiment_ids=None) -> list[Experiment]:
        where, args = self._deleted_filter("last_update_time", deleted_before, experiment_ids)

        def work(conn):
            rows = conn.execute(
                f"SELECT {self._EXP_COLS} FROM experiments "
                f"WHERE lifecycle_stage = 'deleted'{where} "
                "ORDER BY last_update_time, experiment_id",
                args,
            ).fetchall()
            return [self._experiment(conn, row) for row in rows]

        return self._read(work)

    @staticmethod
    def _purge_run_rows(conn, run_ids: list[str]) -> None:
        marks = _marks(run_ids)
        for table in ("metrics", "latest_metrics", "params", "tags"):
            conn.execute(f"DELETE FROM {table} WHERE run_uuid IN ({marks})", run_ids)
        # a logged model outlives the run that logged it (its files are the experiment's)
        conn.execute(
            f"UPDATE logged_models SET source_run_id = NULL WHERE source_run_id IN ({marks})",
            run_ids,
        )
        conn.execute(f"DELETE FROM runs WHERE run_uuid IN ({marks})", run_ids)

    def purge_run(self, run_id: str) -> None:
        def work(conn):
            row = conn.execute(
                "SELECT lifecycle_stage FROM runs WHERE run_uuid = ?", (run_id,)
            ).fetchone()
            if row is None:
                raise _no_run(run_id)
            if row[0] != LifecycleStage.DELETED:
                raise MinitrackException(
                    f"Cannot permanently delete run {run_id}: it is active. Delete it first "
                    f"(minitrack runs delete {run_id}).",
                    INVALID_STATE,
                )
            self._purge_run_rows(conn, [run_id])

        self._write(work)

    def purge_experiment(self, experiment_id) -> None:
        exp_id = int(experiment_id)

        def work(conn):
            row = conn.execute(
                "SELECT lifecycle_stage, name FROM experiments WHERE experiment_id = ?", (exp_id,)
            ).fetchone()
            if row is None:
                raise _no_experiment(exp_id)
            if row[0] != LifecycleStage.DELETED:
                raise MinitrackException(
                    f"Cannot permanently delete experiment {exp_id} ({row[1]!r}): it is active. "
                    "Delete it first.",
                    INVALID_STATE,
                )
            if exp_id == int(DEFAULT_EXPERIMENT_ID):
                raise MinitrackException(
                    "The Default experiment (0) cannot be deleted permanently: every store "
                    "keeps it. Restore it with `minitrack experiments restore 0`.",
                    INVALID_STATE,
                )
            runs = conn.execute(
                "SELECT run_uuid, lifecycle_stage FROM runs WHERE experiment_id = ?", (exp_id,)
            ).fetchall()
            active = [r[0] for r in runs if r[1] != LifecycleStage.DELETED]
            if active:
                raise MinitrackException(
                    f"Cannot permanently delete experiment {exp_id}: its run {active[0]} is "
                    "active (restored after the experiment was deleted). Delete that run first.",
                    INVALID_STATE,
                )
            if runs:
                self._purge_run_rows(conn, [r[0] for r in runs])
            models = [
                r[0]
                for r in conn.execute(
                    "SELECT model_id FROM logged_models WHERE experiment_id = ?", (exp_id,)
                )
            ]
            if models:
                marks = _marks(models)
                for table in ("logged_model_tags", "logged_model_params", "logged_model_metrics"):
                    conn.execute(f"DELETE FROM {table} WHERE model_id IN ({marks})", models)
                conn.execute(f"DELETE FROM logged_models WHERE model_id IN ({marks})", models)
            conn.execute("DELETE FROM experiment_tags WHERE experiment_id = ?", (exp_id,))
            conn.execute("DELETE FROM experiments WHERE experiment_id = ?", (exp_id,))

        self._write(work)

    # -- logging --------------------------------------------------------------------------

    # An entry logged twice (same step, timestamp and value) is kept once, as in MLflow.
    _INSERT_METRIC = (
        "INSERT OR IGNORE INTO metrics (run_uuid, key, value, timestamp, step, is_nan) "
        "VALUES (?, ?, COALESCE(?, 0), ?, ?, ?)"  # NaN arrives as NULL; stored as 0, is_nan
    )
    # Keep the entry with the highest (step, timestamp, value): MLflow's "latest".
    _UPSERT_LATEST = (
        "INSERT INTO latest_metrics (run_uuid, key, value, timestamp, step, is_nan) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (run_uuid, key) DO UPDATE SET "
        "value = excluded.value, timestamp = excluded.timestamp, step = excluded.step, "
        "is_nan = excluded.is_nan "
        "WHERE (excluded.step, excluded.timestamp, excluded.is_nan = 0, "
        "COALESCE(excluded.value, 0)) >= (latest_metrics.step, latest_metrics.timestamp, "
        "latest_metrics.is_nan = 0, COALESCE(latest_metrics.value, 0))"
    )

    # The single-value calls check that the run is active inside their INSERT: one
    # statement fewer on the hot path of a training loop. Nothing inserted means the run
    # is not active (the check below then raises) or the row was already there.
    _ACTIVE_RUN = "WHERE EXISTS (SELECT 1 FROM runs WHERE run_uuid = ? AND lifecycle_stage = ?)"
    _INSERT_METRIC_IF_ACTIVE = (
        "INSERT OR IGNORE INTO metrics (run_uuid, key, value, timestamp, step, is_nan) "
        f"SELECT ?, ?, COALESCE(?, 0), ?, ?, ? {_ACTIVE_RUN}"
    )
    _INSERT_PARAM_IF_ACTIVE = (
        f"INSERT OR IGNORE INTO params (run_uuid, key, value) SELECT ?, ?, ? {_ACTIVE_RUN}"
    )

    def log_metric(self, run_id: str, key: str, value: float, timestamp: int, step: int) -> None:
        """Log one validated metric value (``value`` a float, may be NaN or inf)."""
        is_nan = value != value
        row = (run_id, key, None if is_nan else value, timestamp, step, is_nan)
        active = (run_id, LifecycleStage.ACTIVE)

        def work(conn):
            if conn.execute(self._INSERT_METRIC_IF_ACTIVE, row + active).rowcount == 0:
                self._require_active_run(conn, run_id)
            conn.execute(self._UPSERT_LATEST, row)

        self._write(work, hot=True)

    def log_param(self, run_id: str, key: str, value: str) -> None:
        args = (run_id, key, value, run_id, LifecycleStage.ACTIVE)
        if self._write_statement(self._INSERT_PARAM_IF_ACTIVE, args):
            return  # a new key of an active run: the common case, one statement

        def check(conn):
            self._require_active_run(conn, run_id)
            self._insert_params(conn, run_id, [(key, value)])  # same value, or an error

        self._write(check)

    @staticmethod
    def _insert_params(conn, run_id: str, items: list[tuple[str, str]]) -> None:
        # Insert first and look only at the keys that were already there: a new key (the
        # common case) costs one statement. An error rolls the whole transaction back.
        changed = []
        for key, value in items:
            cur = conn.execute(
                "INSERT OR IGNORE INTO params (run_uuid, key, value) VALUES (?, ?, ?)",
                (run_id, key, value),
            )
            if cur.rowcount == 0:
                (old,) = conn.execute(
                    "SELECT value FROM params WHERE run_uuid = ? AND key = ?", (run_id, key)
                ).fetchone()
                if old != value:
                    changed.append((key, old, value))
        if changed:
            detail = "; ".join(
                f"key='{k}' was already logged with value='{old}', attempted new value '{new}'"
                for k, old, new in changed
            )
            raise MinitrackException(
                f"Changing param values is not allowed. For run ID='{run_id}': {detail}. "
                "Log the new value in a new run (or a nested run) instead."
            )

    def set_tag(self, run_id: str, key: str, value: str) -> None:
        def work(conn):
            self._require_active_run(conn, run_id)
            self._set_tags(conn, run_id, [(key, value)])

        self._write(work, hot=True)

    @staticmethod
    def _set_tags(conn, run_id: str, items: list[tuple[str, str]]) -> None:
        conn.executemany(
            "INSERT OR REPLACE INTO tags (run_uuid, key, value) VALUES (?, ?, ?)",
            [(run_id, k, v) for k, v in items],
        )
        for k, v in items:
            if k == MLFLOW_RUN_NAME:  # the run name lives in both places, as in MLflow
                conn.execute("UPDATE runs SET name = ? WHERE run_uuid = ?", (v, run_id))

    def delete_tag(self, run_id: str, key: str) -> None:
        def work(conn):
            self._require_active_run(conn, run_id)
            cur = conn.execute("DELETE FROM tags WHERE run_uuid = ? AND key = ?", (run_id, key))
            if cur.rowcount == 0:
                raise MinitrackException(
                    f"No tag with name: {key} in run with id {run_id}", RESOURCE_DOES_NOT_EXIST
                )

        self._write(work)

    def log_batch(
        self,
        run_id: str,
        metrics: list[tuple[str, float, int, int]],
        params: list[tuple[str, str]],
        tags: list[tuple[str, str]],
    ) -> None:
        """Log validated ``(key, value, timestamp, step)`` metrics, params and tags at once."""
        seen: dict[str, str] = {}
        for k, v in params:
            if k in seen and seen[k] != v:
                raise MinitrackException(
                    f"Duplicate parameter keys have been submitted: ['{k}']. Please ensure "
                    "the request contains only one param value per param key."
                )
            seen[k] = v
        params = list(seen.items())
        rows = [(run_id, k, None if v != v else v, ts, st, v != v) for k, v, ts, st in metrics]

        def work(conn):
            self._require_active_run(conn, run_id)
            if params:
                self._insert_params(conn, run_id, params)
            if rows:
                conn.executemany(self._INSERT_METRIC, rows)
                conn.executemany(self._UPSERT_LATEST, rows)
            if tags:
                self._set_tags(conn, run_id, tags)

        self._write(work, hot=True)

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        def work(conn):
            if conn.execute("SELECT 1 FROM runs WHERE run_uuid = ?", (run_id,)).fetchone() is None:
                raise _no_run(run_id)
            return [
                Metric(key, metric_value(v, n), ts, st, run_id)
                for v, ts, st, n in conn.execute(
                    "SELECT value, timestamp, step, is_nan FROM metrics "
                    "WHERE run_uuid = ? AND key = ? ORDER BY step, timestamp, value, is_nan",
                    (run_id, key),
                )
            ]

        return self._read(work)

    # -- search ---------------------------------------------------------------------------

    def search_run_ids(
        self,
        experiment_ids: list[str],
        filter_string: str,
        run_view_type: int,
        max_results: int,
        order_by: list[str] | None,
        offset: int = 0,
    ) -> list[str]:
        """Run ids matching a filter, in result order (the SQL comes from minitrack.search)."""
        sql, args = _build_run_search(
            experiment_ids, filter_string or "", run_view_type, order_by, max_results, offset
        )

        def work(conn):
            return [r[0] for r in conn.execute(sql, args)]

        return self._read(work)

    def load_runs(self, run_ids: list[str]) -> list[Run]:
        """Full Run objects for ``run_ids``, in that order, with a few set-based queries."""
        if not run_ids:
            return []
        ids = json.dumps(run_ids)

        def work(conn):
            infos = {
                row[0]: self._run_info(row)
                for row in conn.execute(
                    f"SELECT {self._RUN_COLS} FROM runs "
                    "WHERE run_uuid IN (SELECT value FROM json_each(?))",
                    (ids,),
                )
            }
            metrics: dict[str, list] = {}
            for rid, k, v, ts, st, n in conn.execute(
                "SELECT run_uuid, key, value, timestamp, step, is_nan FROM latest_metrics "
                "WHERE run_uuid IN (SELECT value FROM json_each(?)) ORDER BY run_uuid, key",
                (ids,),
            ):
                metrics.setdefault(rid, []).append(Metric(k, metric_value(v, n), ts, st, rid))
            params: dict[str, list] = {}
            for rid, k, v in conn.execute(
                "SELECT run_uuid, key, value FROM params "
                "WHERE run_uuid IN (SELECT value FROM json_each(?)) ORDER BY run_uuid, key",
                (ids,),
            ):
                params.setdefault(rid, []).append(Param(k, v))
            tags: dict[str, list] = {}
            for rid, k, v in conn.execute(
                "SELECT run_uuid, key, value FROM tags "
                "WHERE run_uuid IN (SELECT value FROM json_each(?)) ORDER BY run_uuid, key",
                (ids,),
            ):
                tags.setdefault(rid, []).append(RunTag(k, v))
            return [
                Run(
                    infos[rid],
                    RunData(metrics.get(rid), params.get(rid), tags.get(rid)),
                )
                for rid in run_ids
                if rid in infos
            ]

        return self._read(work)

    def run_columns(self, run_ids: list[str]) -> RunColumns:
        """search_runs' DataFrame columns, aggregated inside SQLite.

        Python touches one row per column key, not one per value: each key comes back as
        two JSON arrays, the runs' positions in ``run_ids`` and their values. Metric values
        travel as ``%!.17g`` text, which round-trips every double exactly (SQLite's JSON
        numbers keep only 15 digits).
        """
        ids = json.dumps(run_ids)

        def work(conn):
            row = conn.execute(
                "SELECT json_group_array(j.key), json_group_array(r.experiment_id), "
                "json_group_array(r.status), json_group_array(r.artifact_uri), "
                "json_group_array(r.start_time), json_group_array(r.end_time) "
                "FROM json_each(?) AS j JOIN runs AS r ON r.run_uuid = j.value",
                (ids,),
            ).fetchone()
            positions = json.loads(row[0])
            columns = RunColumns(run_ids)
            for i, name in enumerate(RunColumns.BASE_COLUMNS):
                values = json.loads(row[i + 1])
                if name == "experiment_id":
                    values = [None if v is None else str(v) for v in values]
                columns.base[name] = (positions, values)  # None where a run has no value
            for kind, table, value in (
                (
                    "metrics",
                    "latest_metrics",
                    "CASE WHEN t.is_nan THEN 'nan' ELSE printf('%!.17g', t.value) END",
                ),
                ("params", "params", "t.value"),
                ("tags", "tags", "t.value"),
            ):
                found = getattr(columns, kind)
                for key, where, values in conn.execute(
                    f"SELECT t.key, json_group_array(j.key), json_group_array({value}) "
                    f"FROM json_each(?) AS j JOIN {table} AS t ON t.run_uuid = j.value "
                    "GROUP BY t.key",
                    (ids,),
                ):
                    values = json.loads(values)
                    if kind == "metrics":
                        values = [float(v) for v in values]
                    found[key] = (json.loads(where), values)
            return columns

        return self._read(work)

    # -- what the web UI reads ------------------------------------------------------------

    def experiment_activity(self, experiment_ids: list[str]) -> dict[str, ExperimentActivity]:
        """Active runs per experiment and the latest start, end or update time (ms)."""
        ids = [int(e) for e in experiment_ids]

        def work(conn):
            out = {}
            for chunk in _chunks(ids):
                for exp_id, created, updated, count, last_run in conn.execute(
                    "SELECT e.experiment_id, e.creation_time, e.last_update_time, "
                    "COUNT(r.run_uuid), MAX(COALESCE(r.end_time, r.start_time)) "
                    "FROM experiments e LEFT JOIN runs r ON r.experiment_id = e.experiment_id "
                    "AND r.lifecycle_stage = 'active' "
                    f"WHERE e.experiment_id IN ({_marks(chunk)}) GROUP BY e.experiment_id",
                    chunk,
                ):
                    times = [t for t in (created, updated, last_run) if t is not None]
                    out[str(exp_id)] = ExperimentActivity(count, max(times) if times else None)
            return out

        return self._read(work)

    def run_keys(self, experiment_id: str) -> dict[str, list[str]]:
        """The metric, param and tag keys logged by the experiment's active runs."""
        exp_id = int(experiment_id)

        def work(conn):
            out = {}
            for kind, table in (
                ("metrics", "latest_metrics"),
                ("params", "params"),
                ("tags", "tags"),
            ):
                # Walk the distinct keys with one index seek each (a loose index scan),
                # then keep those some active run of the experiment has: microseconds at
                # 10,000 runs, where DISTINCT over a join reads every row.
                rows = conn.execute(
                    f"""
                    WITH RECURSIVE k(key) AS (
                        SELECT MIN(key) FROM {table}
                        UNION ALL
                        SELECT (SELECT MIN(key) FROM {table} WHERE key > k.key)
                        FROM k WHERE k.key IS NOT NULL
                    )
                    SELECT k.key FROM k
                    WHERE k.key IS NOT NULL AND EXISTS (
                        SELECT 1 FROM {table} t JOIN runs r ON r.run_uuid = t.run_uuid
                        WHERE t.key = k.key AND r.experiment_id = ?
                          AND r.lifecycle_stage = 'active'
                    )
                    """,
                    (exp_id,),
                )
                out[kind] = [key for (key,) in rows]
            return out

        return self._read(work)

    def search_run_page(
        self,
        experiment_ids: list[str],
        filter_string: str,
        run_view_type: int,
        order_by: list[str] | None,
        limit: int,
        offset: int,
    ) -> tuple[list[Run], int]:
        """One page of runs and how many runs match in all, counted in the page's query.

        ``with_total`` adds ``COUNT(*) OVER ()``, evaluated over every match before LIMIT,
        so the total costs no second query; past the last page it falls back to a count.
        """
        from minitrack.search import build_run_search

        sql, args = build_run_search(
            experiment_ids, filter_string, run_view_type, order_by, limit, offset, with_total=True
        )

        def work(conn):
            rows = conn.execute(sql, args).fetchall()
            if rows:
                return [row[0] for row in rows], rows[0][1]
            count_sql, count_args = build_run_search(
                experiment_ids, filter_string, run_view_type, [], None, 0
            )
            (total,) = conn.execute(f"SELECT COUNT(*) FROM ({count_sql})", count_args).fetchone()
            return [], total

        run_ids, total = self._read(work)
        return self.load_runs(run_ids), total

    def metric_histories(self, run_ids: list[str], key: str) -> dict[str, list[Metric]]:
        """Every value of ``key`` for each run, ordered by step, timestamp and value."""

        def work(conn):
            out: dict[str, list[Metric]] = {}
            for chunk in _chunks(run_ids):
                for (rid,) in conn.execute(
                    f"SELECT run_uuid FROM runs WHERE run_uuid IN ({_marks(chunk)})", chunk
                ):
                    out[rid] = []
                for rid, v, ts, st, n in conn.execute(
                    "SELECT run_uuid, value, timestamp, step, is_nan FROM metrics "
                    f"WHERE key = ? AND run_uuid IN ({_marks(chunk)}) "
                    "ORDER BY run_uuid, step, timestamp, value, is_nan",
                    [key, *chunk],
                ):
                    out[rid].append(Metric(key, metric_value(v, n), ts, st, rid))
            missing = [r for r in run_ids if r not in out]
            if missing:
                raise _no_run(missing[0])
            return {r: out[r] for r in run_ids}

        return self._read(work)


def _build_run_search(experiment_ids, filter_string, run_view_type, order_by, max_results, offset):
    # minitrack.search owns the filter grammar; imported on first search, not at import time.
    from minitrack.search import build_run_search

    return build_run_search(
        experiment_ids, filter_string, run_view_type, order_by, max_results, offset
    )
