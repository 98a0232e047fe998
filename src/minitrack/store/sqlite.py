"""The SQLite tracking store: every SQL statement minitrack runs against its file.

One connection per store per process (re-opened after ``fork``), WAL journal,
``synchronous=NORMAL`` (a commit survives a killed process), a busy timeout plus
a retry loop so "database is locked" never reaches the user, and
``BEGIN IMMEDIATE`` for every write so two writers never deadlock upgrading a
read lock. Each public write is one transaction, committed before it returns.
"""

from __future__ import annotations

import json
import math
import os
import re
import sqlite3
import threading
import time
import uuid

from minitrack import validation
from minitrack.entities import (
    Experiment,
    LifecycleStage,
    Metric,
    Param,
    Run,
    RunData,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from minitrack.exceptions import (
    INVALID_STATE,
    RESOURCE_ALREADY_EXISTS,
    RESOURCE_DOES_NOT_EXIST,
    MinitrackException,
)
from minitrack.store.schema import MIGRATIONS, SCHEMA_VERSION
from minitrack.uris import DEFAULT_ARTIFACT_ROOT, append_path, resolve_artifact_location

DEFAULT_EXPERIMENT_ID = "0"
DEFAULT_EXPERIMENT_NAME = "Default"
RUN_NAME_TAG = "mlflow.runName"
USER_TAG = "mlflow.user"

BUSY_TIMEOUT_S = 30.0
_LOCK_RETRIES = 20


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
    return "locked" in text or "busy" in text


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


def _metric_value(value, is_nan) -> float:
    return math.nan if is_nan else value


class SqliteStore:
    """A tracking store in one SQLite file, with artifacts under ``artifact_root``."""

    def __init__(self, db_path: str, default_artifact_root: str | None = None) -> None:
        self.db_path = db_path
        self.artifact_root = resolve_artifact_location(
            default_artifact_root or DEFAULT_ARTIFACT_ROOT
        )
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._pid = None
        self._abandoned: list[sqlite3.Connection] = []
        self._connection()

    # -- connection and transactions -------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._conn is not None and self._pid == _Process.pid:
            return self._conn
        if self._conn is not None:
            # Inherited through fork: never use (or close) the parent's connection here.
            self._abandoned.append(self._conn)
            self._lock = threading.RLock()
        self._conn = self._open()
        self._pid = _Process.pid
        return self._conn

    def _open(self) -> sqlite3.Connection:
        path = self.db_path
        if path != ":memory:":
            folder = os.path.dirname(path)
            if folder and not os.path.isdir(folder):
                raise MinitrackException(
                    f"Cannot open the tracking database {path}: the folder {folder} does not "
                    "exist. Create it or choose another tracking URI."
                )
            if os.path.isdir(path):
                raise MinitrackException(
                    f"Cannot open the tracking database {path}: it is a folder. Point the "
                    "tracking URI at a file, e.g. sqlite:///mlflow.db."
                )
        try:
            conn = sqlite3.connect(
                path,
                timeout=BUSY_TIMEOUT_S,
                isolation_level=None,
                check_same_thread=False,
                cached_statements=256,
            )
        except sqlite3.Error as e:
            raise MinitrackException(f"Cannot open the tracking database {path}: {e}.") from e
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise MinitrackException(
                    f"The tracking database {path} has schema version {version}, written by a "
                    f"newer minitrack; this minitrack knows versions up to {SCHEMA_VERSION}. "
                    "Upgrade minitrack (pip install -U exp-tracking-course) to open it."
                )
            if path != ":memory:":
                mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
                if mode.lower() != "wal":
                    self._retry_busy(lambda: conn.execute("PRAGMA journal_mode=WAL"))
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA cache_size=-32768")  # 32 MiB: search reads many pages
            conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
            if version < SCHEMA_VERSION:
                self._migrate(conn)
        except sqlite3.DatabaseError as e:
            conn.close()
            if isinstance(e, sqlite3.OperationalError) and _is_busy(e):
                raise MinitrackException(
                    f"The tracking database {path} stayed locked by another process for "
                    f"{BUSY_TIMEOUT_S:.0f} s; try again when it finishes."
                ) from e
            raise MinitrackException(
                f"The file {path} is not a minitrack tracking database ({e}). Point the "
                "tracking URI at another file, or move this one away."
            ) from e
        except BaseException:
            conn.close()
            raise
        return conn

    @staticmethod
    def _retry_busy(fn):
        delay = 0.002
        for attempt in range(_LOCK_RETRIES):
            try:
                return fn()
            except sqlite3.OperationalError as e:
                if not _is_busy(e) or attempt == _LOCK_RETRIES - 1:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.25)
        return None

    def _migrate(self, conn: sqlite3.Connection) -> None:
        self._retry_busy(lambda: conn.execute("BEGIN IMMEDIATE"))
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise MinitrackException(
                    f"The tracking database {self.db_path} has schema version {version}, newer "
                    f"than this minitrack ({SCHEMA_VERSION}). Upgrade minitrack to open it."
                )
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if "alembic_version" in names:
                raise MinitrackException(
                    f"The file {self.db_path} is an MLflow database; minitrack keeps its own "
                    "schema. Use a separate file for minitrack, e.g. sqlite:///minitrack.db."
                )
            for step in range(version, SCHEMA_VERSION):
                for statement in _split_sql(MIGRATIONS[step]):
                    # Idempotent creates let a half-initialised file be finished off.
                    conn.execute(_CREATE_RE.sub(lambda m: m.group(0) + "IF NOT EXISTS ", statement))
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
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

    def _write(self, work, *args):
        """Run ``work(conn, *args)`` in one BEGIN IMMEDIATE transaction, retrying on lock."""
        with self._lock:
            conn = self._connection()
            delay = 0.002
            for attempt in range(_LOCK_RETRIES):
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    result = work(conn, *args)
                    conn.execute("COMMIT")
                    return result
                except sqlite3.OperationalError as e:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    if not _is_busy(e) or attempt == _LOCK_RETRIES - 1:
                        raise self._error(e) from e
                    time.sleep(delay)
                    delay = min(delay * 2, 0.25)
                except BaseException as e:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    if isinstance(e, sqlite3.Error):
                        raise self._error(e) from e
                    raise
        raise AssertionError("unreachable")

    def _read(self, work, *args):
        """Run ``work(conn, *args)`` on one consistent snapshot."""
        with self._lock:
            conn = self._connection()
            delay = 0.002
            for attempt in range(_LOCK_RETRIES):
                try:
                    conn.execute("BEGIN")
                    try:
                        return work(conn, *args)
                    finally:
                        if conn.in_transaction:
                            conn.execute("COMMIT")
                except sqlite3.OperationalError as e:
                    if not _is_busy(e) or attempt == _LOCK_RETRIES - 1:
                        raise self._error(e) from e
                    time.sleep(delay)
                    delay = min(delay * 2, 0.25)
                except sqlite3.Error as e:
                    raise self._error(e) from e
        raise AssertionError("unreachable")

    def _error(self, e: sqlite3.Error) -> MinitrackException:
        if _is_busy(e):
            return MinitrackException(
                f"The tracking database {self.db_path} stayed locked by other writers; "
                "nothing was written. Try again."
            )
        return MinitrackException(f"Tracking database {self.db_path} failed: {e}.")

    def file_exists(self) -> bool:
        return self.db_path == ":memory:" or os.path.exists(self.db_path)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == _Process.pid:
                self._conn.close()
            self._conn = None

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
        self, name: str, artifact_location: str | None = None, tags: dict | None = None
    ) -> str:
        name = validation.experiment_name(name)
        location = resolve_artifact_location(artifact_location) if artifact_location else None
        tag_items = [validation.experiment_tag(k, v) for k, v in (tags or {}).items()]

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
        name = validation.experiment_name(name)
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
        exp_id = validation.experiment_id(experiment_id)

        def work(conn):
            row = conn.execute(
                f"SELECT {self._EXP_COLS} FROM experiments WHERE experiment_id = ?", (int(exp_id),)
            ).fetchone()
            if row is None:
                raise MinitrackException(
                    f"No Experiment with id={exp_id} exists.", RESOURCE_DOES_NOT_EXIST
                )
            return self._experiment(conn, row)

        return self._read(work)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        name = validation.experiment_name(name)

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
        exp_id = int(validation.experiment_id(experiment_id))
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
                raise MinitrackException(
                    f"No Experiment with id={exp_id} exists.", RESOURCE_DOES_NOT_EXIST
                )
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
        exp_id = int(validation.experiment_id(experiment_id))
        new_name = validation.experiment_name(new_name)

        def work(conn):
            row = conn.execute(
                "SELECT lifecycle_stage FROM experiments WHERE experiment_id = ?", (exp_id,)
            ).fetchone()
            if row is None:
                raise MinitrackException(
                    f"No Experiment with id={exp_id} exists.", RESOURCE_DOES_NOT_EXIST
                )
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
        exp_id = int(validation.experiment_id(experiment_id))
        key, value = validation.experiment_tag(key, value)

        def work(conn):
            self._require_active_experiment(conn, exp_id, "set a tag on")
            conn.execute(
                "INSERT OR REPLACE INTO experiment_tags (experiment_id, key, value) "
                "VALUES (?, ?, ?)",
                (exp_id, key, value),
            )

        self._write(work)

    def delete_experiment_tag(self, experiment_id, key: str) -> None:
        exp_id = int(validation.experiment_id(experiment_id))

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
            raise MinitrackException(
                f"No Experiment with id={exp_id} exists.", RESOURCE_DOES_NOT_EXIST
            )
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
        exp_id = int(validation.experiment_id(experiment_id))
        tags = dict(tags or {})
        tag_name = tags.get(RUN_NAME_TAG)
        if run_name and tag_name and run_name != tag_name:
            raise MinitrackException(
                "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with "
                f"different values (run_name='{run_name}', mlflow.runName='{tag_name}'). "
                "Pass only one of them."
            )
        if not run_name:
            if tag_name:
                run_name = tag_name
            else:
                from minitrack.names import generate_run_name

                run_name = generate_run_name()
        tags[RUN_NAME_TAG] = run_name
        user_id = user_id if user_id is not None else tags.get(USER_TAG, "")
        start_time = _now_ms() if start_time is None else start_time
        run_id = uuid.uuid4().hex

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
            raise MinitrackException(f"Run with id={run_id} not found", RESOURCE_DOES_NOT_EXIST)
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
        validation.run_id(run_id)

        def work(conn):
            row = conn.execute(
                f"SELECT {self._RUN_COLS} FROM runs WHERE run_uuid = ?", (run_id,)
            ).fetchone()
            if row is None:
                raise MinitrackException(f"Run with id={run_id} not found", RESOURCE_DOES_NOT_EXIST)
            metrics = [
                Metric(k, _metric_value(v, n), ts, st, run_id)
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
        self,
        run_id: str,
        run_status: int | str,
        end_time: int | None,
        run_name: str | None = None,
    ) -> RunInfo:
        status = run_status if isinstance(run_status, str) else RunStatus.to_string(run_status)
        RunStatus.from_string(status)

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
                    (run_id, RUN_NAME_TAG, run_name),
                )
            row = conn.execute(
                f"SELECT {self._RUN_COLS} FROM runs WHERE run_uuid = ?", (run_id,)
            ).fetchone()
            return self._run_info(row)

        return self._write(work)

    def _set_run_stage(self, run_id: str, stage: str) -> None:
        validation.run_id(run_id)

        def work(conn):
            cur = conn.execute(
                "UPDATE runs SET lifecycle_stage = ?, deleted_time = ? WHERE run_uuid = ?",
                (stage, _now_ms() if stage == LifecycleStage.DELETED else None, run_id),
            )
            if cur.rowcount == 0:
                raise MinitrackException(f"Run with id={run_id} not found", RESOURCE_DOES_NOT_EXIST)

        self._write(work)

    def delete_run(self, run_id: str) -> None:
        self._set_run_stage(run_id, LifecycleStage.DELETED)

    def restore_run(self, run_id: str) -> None:
        self._set_run_stage(run_id, LifecycleStage.ACTIVE)

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

        self._write(work)

    def log_param(self, run_id: str, key: str, value: str) -> None:
        args = (run_id, key, value, run_id, LifecycleStage.ACTIVE)

        def work(conn):
            if conn.execute(self._INSERT_PARAM_IF_ACTIVE, args).rowcount == 0:
                self._require_active_run(conn, run_id)
                self._insert_params(conn, run_id, [(key, value)])  # same value, or an error

        self._write(work)

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

        self._write(work)

    @staticmethod
    def _set_tags(conn, run_id: str, items: list[tuple[str, str]]) -> None:
        conn.executemany(
            "INSERT OR REPLACE INTO tags (run_uuid, key, value) VALUES (?, ?, ?)",
            [(run_id, k, v) for k, v in items],
        )
        for k, v in items:
            if k == RUN_NAME_TAG:  # the run name lives in both places, as in MLflow
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

        self._write(work)

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        validation.run_id(run_id)

        def work(conn):
            if conn.execute("SELECT 1 FROM runs WHERE run_uuid = ?", (run_id,)).fetchone() is None:
                raise MinitrackException(f"Run with id={run_id} not found", RESOURCE_DOES_NOT_EXIST)
            return [
                Metric(key, _metric_value(v, n), ts, st, run_id)
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
        ViewType.stages(run_view_type)  # validates
        exp_ids = [validation.experiment_id(e) for e in experiment_ids]
        sql, args = _build_run_search(
            exp_ids, filter_string or "", run_view_type, order_by, max_results, offset
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
                metrics.setdefault(rid, []).append(Metric(k, _metric_value(v, n), ts, st, rid))
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

    def load_run_columns(self, run_ids: list[str]) -> dict:
        """Column data for a search_runs DataFrame, aggregated inside SQLite.

        Python touches one row per column key, not one per value: each key comes back
        as two JSON arrays, the runs' positions in ``run_ids`` and their values.
        Metric values travel as ``%!.17g`` text, which round-trips every double exactly
        (SQLite's JSON numbers keep only 15 digits). Returns ``{"base": {col: (pos, vals)},
        "metrics"|"params"|"tags": {key: (pos, vals)}}`` with JSON strings.
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
            names = ("experiment_id", "status", "artifact_uri", "start_time", "end_time")
            out = {
                "base": {name: (row[0], row[i + 1]) for i, name in enumerate(names)},
                "metrics": {},
                "params": {},
                "tags": {},
            }
            for kind, table, value in (
                (
                    "metrics",
                    "latest_metrics",
                    "CASE WHEN t.is_nan THEN 'nan' ELSE printf('%!.17g', t.value) END",
                ),
                ("params", "params", "t.value"),
                ("tags", "tags", "t.value"),
            ):
                out[kind] = {
                    key: (positions, values)
                    for key, positions, values in conn.execute(
                        f"SELECT t.key, json_group_array(j.key), json_group_array({value}) "
                        f"FROM json_each(?) AS j JOIN {table} AS t ON t.run_uuid = j.value "
                        "GROUP BY t.key",
                        (ids,),
                    )
                }
            return out

        return self._read(work)

    def run_counts(self, experiment_ids: list[str]) -> dict[str, int]:
        """Active runs per experiment id."""

        def work(conn):
            return {
                str(e): n
                for e, n in conn.execute(
                    "SELECT experiment_id, COUNT(*) FROM runs WHERE lifecycle_stage = 'active' "
                    "GROUP BY experiment_id"
                )
                if str(e) in set(experiment_ids)
            }

        return self._read(work)


def _build_run_search(experiment_ids, filter_string, run_view_type, order_by, max_results, offset):
    # minitrack.search owns the filter grammar; imported on first search, not at import time.
    from minitrack.search import build_run_search

    return build_run_search(
        experiment_ids, filter_string, run_view_type, order_by, max_results, offset
    )
