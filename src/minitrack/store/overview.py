"""Read-only queries the web UI needs beyond the client's public methods.

The UI never writes: every connection here is opened with SQLite's ``mode=ro``
and ``PRAGMA query_only``. Filtering and ordering go through
``minitrack.search.build_run_search`` so the runs table accepts exactly the
grammar (and gives exactly the errors) of ``search_runs``.

Everything returns plain dicts and lists, ready to be sent as JSON.
"""

from __future__ import annotations

import math
import os
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from minitrack.exceptions import RESOURCE_DOES_NOT_EXIST, MinitrackException

# SQLite refuses more host parameters than this in one statement on old builds.
_CHUNK = 500
# System tags shown as the runs table's fixed columns.
USER_TAG = "mlflow.user"
SOURCE_TAG = "mlflow.source.name"
SOURCE_TYPE_TAG = "mlflow.source.type"
COMMIT_TAG = "mlflow.source.git.commit"
RUN_NAME_TAG = "mlflow.runName"
NOTE_TAG = "mlflow.note.content"
MODEL_HISTORY_TAG = "mlflow.log-model.history"
PARENT_TAG = "mlflow.parentRunId"


def _metric_value(value: float | None, is_nan: int) -> float | None:
    # JSON has no NaN; the UI shows None as an empty cell and "NaN" via is_nan.
    if is_nan or value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


class StoreReader:
    """Read-only access to one minitrack SQLite file, one connection per thread.

    A missing file is not an error: the UI shows an empty store until the
    first run is logged, then picks the file up without a restart.
    """

    def __init__(self, db_path: str) -> None:
        self.db_path = db_path
        self._local = threading.local()

    # -- connections ---------------------------------------------------------

    def exists(self) -> bool:
        return self.db_path == ":memory:" or os.path.isfile(self.db_path)

    def _conn(self) -> sqlite3.Connection | None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        if not self.exists():
            return None
        uri = "file:" + quote(os.path.abspath(self.db_path)) + "?mode=ro"
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=5.0)
        conn.execute("PRAGMA query_only = 1")
        conn.execute("PRAGMA busy_timeout = 5000")
        self._local.conn = conn
        return conn

    def _rows(self, sql: str, args: Sequence = ()) -> list[tuple]:
        conn = self._conn()
        if conn is None:
            return []
        try:
            return conn.execute(sql, tuple(args)).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []  # the writer has created the file but not the schema yet
            raise

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- experiments ---------------------------------------------------------

    def experiments(self, include_deleted: bool = False) -> list[dict]:
        """Every experiment with its number of active runs and last activity (ms)."""
        stage = "" if include_deleted else "WHERE e.lifecycle_stage = 'active'"
        rows = self._rows(
            f"""
            SELECT e.experiment_id, e.name, e.artifact_location, e.lifecycle_stage,
                   e.creation_time, e.last_update_time,
                   COUNT(r.run_uuid),
                   MAX(COALESCE(r.end_time, r.start_time))
            FROM experiments e
            LEFT JOIN runs r
              ON r.experiment_id = e.experiment_id AND r.lifecycle_stage = 'active'
            {stage}
            GROUP BY e.experiment_id
            ORDER BY e.experiment_id
            """
        )
        out = []
        for exp_id, name, location, stage_, created, updated, count, last_run in rows:
            times = [t for t in (created, updated, last_run) if t is not None]
            out.append(
                {
                    "experiment_id": str(exp_id),
                    "name": name,
                    "artifact_location": location,
                    "lifecycle_stage": stage_,
                    "creation_time": created,
                    "run_count": count,
                    "last_activity": max(times) if times else None,
                }
            )
        return out

    def experiment(self, experiment_id: str) -> dict:
        exp_id = _int_id(experiment_id, "experiment")
        for exp in self.experiments(include_deleted=True):
            if exp["experiment_id"] == str(exp_id):
                exp["tags"] = dict(
                    self._rows(
                        "SELECT key, value FROM experiment_tags WHERE experiment_id = ?", (exp_id,)
                    )
                )
                return exp
        raise MinitrackException(
            f"No experiment with id {experiment_id!r}.", error_code=RESOURCE_DOES_NOT_EXIST
        )

    def column_keys(self, experiment_id: str) -> dict[str, list[str]]:
        """The metric, param and tag keys logged by the experiment's active runs."""
        exp_id = _int_id(experiment_id, "experiment")
        out = {}
        for kind, table in (("metrics", "latest_metrics"), ("params", "params"), ("tags", "tags")):
            # Walk the distinct keys with one index seek each (a loose index scan),
            # then keep those some active run of the experiment has: microseconds at
            # 10,000 runs, where DISTINCT over a join reads every row.
            rows = self._rows(
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
                    WHERE t.key = k.key AND r.experiment_id = ? AND r.lifecycle_stage = 'active'
                )
                """,
                (exp_id,),
            )
            out[kind] = [key for (key,) in rows]
        return out

    # -- the runs table ------------------------------------------------------

    def runs_page(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        order_by: Sequence[str] | None = None,
        offset: int = 0,
        limit: int = 50,
        metric_keys: Iterable[str] = (),
        param_keys: Iterable[str] = (),
        tag_keys: Iterable[str] = (),
        run_view_type: int = 1,
    ) -> dict:
        """One page of runs, filtered and sorted in SQL, with the chosen columns.

        Returns ``{"total": n, "runs": [row, ...]}``; each row holds the fixed
        columns and ``metrics``/``params``/``tags`` restricted to the chosen keys.
        """
        from minitrack.search import build_run_search

        ids = [str(_int_id(e, "experiment")) for e in experiment_ids]
        if self._conn() is None:
            return {"total": 0, "runs": []}
        page = (ids, filter_string or "", run_view_type, list(order_by or []), limit, offset)
        try:  # the total comes in the same pass, as a second column
            rows = self._rows(*build_run_search(*page, with_total=True))
        except sqlite3.OperationalError:  # an SQLite without window functions
            rows = [(*row, None) for row in self._rows(*build_run_search(*page))]
        run_ids = [row[0] for row in rows]
        total = rows[0][1] if rows else None
        if total is None:  # past the last page, or an SQLite without window functions
            total = self._count(ids, filter_string, run_view_type)
        rows = self.runs(
            run_ids,
            metric_keys=metric_keys,
            param_keys=param_keys,
            tag_keys=[*tag_keys, USER_TAG, SOURCE_TAG, COMMIT_TAG, MODEL_HISTORY_TAG, PARENT_TAG],
        )
        return {"total": total, "runs": rows}

    def _count(self, experiment_ids: list[str], filter_string: str, run_view_type: int) -> int:
        if not (filter_string or "").strip():
            stages = {1: ("active",), 2: ("deleted",), 3: ("active", "deleted")}[run_view_type]
            marks = ",".join("?" * len(experiment_ids))
            smarks = ",".join("?" * len(stages))
            (count,) = self._rows(
                f"SELECT COUNT(*) FROM runs WHERE experiment_id IN ({marks})"
                f" AND lifecycle_stage IN ({smarks})",
                [*experiment_ids, *stages],
            )[0]
            return count
        from minitrack.search import build_run_search

        # No ORDER BY is needed to count, and no limit.
        sql, args = build_run_search(experiment_ids, filter_string, run_view_type, [], None, 0)
        return self._rows(f"SELECT COUNT(*) FROM ({sql})", args)[0][0]

    def runs(
        self,
        run_ids: Sequence[str],
        metric_keys: Iterable[str] | None = None,
        param_keys: Iterable[str] | None = None,
        tag_keys: Iterable[str] | None = None,
    ) -> list[dict]:
        """Runs by id, in the given order; ``None`` keys mean every key."""
        if not run_ids:
            return []
        base = {}
        for chunk in _chunks(run_ids):
            marks = ",".join("?" * len(chunk))
            for row in self._rows(
                f"""
                SELECT r.run_uuid, r.name, r.experiment_id, r.user_id, r.status, r.start_time,
                       r.end_time, r.lifecycle_stage, r.artifact_uri
                FROM runs r WHERE r.run_uuid IN ({marks})
                """,
                chunk,
            ):
                run_id, name, exp_id, user, status, start, end, stage, uri = row
                base[run_id] = {
                    "run_id": run_id,
                    "run_name": name,
                    "experiment_id": str(exp_id),
                    "user_id": user,
                    "status": status,
                    "start_time": start,
                    "end_time": end,
                    "lifecycle_stage": stage,
                    "artifact_uri": uri,
                    "metrics": {},
                    "params": {},
                    "tags": {},
                }
        found = [r for r in run_ids if r in base]
        self._attach(base, found, "metrics", metric_keys)
        self._attach(base, found, "params", param_keys)
        self._attach(base, found, "tags", tag_keys)
        for run in base.values():
            # runs.name is the source of truth; the tag mirrors it as in MLflow.
            if not run["run_name"]:
                run["run_name"] = run["tags"].get(RUN_NAME_TAG)
        return [base[r] for r in found]

    def _attach(
        self, base: dict, run_ids: list[str], kind: str, keys: Iterable[str] | None
    ) -> None:
        key_list = None if keys is None else list(dict.fromkeys(keys))
        if key_list is not None and not key_list:
            return
        select = {
            "metrics": "SELECT run_uuid, key, value, is_nan FROM latest_metrics",
            "params": "SELECT run_uuid, key, value, 0 FROM params",
            "tags": "SELECT run_uuid, key, value, 0 FROM tags",
        }[kind]
        for chunk in _chunks(run_ids):
            marks = ",".join("?" * len(chunk))
            sql = f"{select} WHERE run_uuid IN ({marks})"
            args: list = list(chunk)
            if key_list is not None:
                sql += f" AND key IN ({','.join('?' * len(key_list))})"
                args += key_list
            for run_id, key, value, is_nan in self._rows(sql, args):
                if kind == "metrics":
                    value = _metric_value(value, is_nan)
                    if is_nan:
                        base[run_id].setdefault("nan_metrics", []).append(key)
                base[run_id][kind][key] = value

    # -- one run -------------------------------------------------------------

    def run(self, run_id: str) -> dict:
        runs = self.runs([run_id])
        if not runs:
            raise MinitrackException(
                f"No run with id {run_id!r}.", error_code=RESOURCE_DOES_NOT_EXIST
            )
        run = runs[0]
        run["description"] = run["tags"].get(NOTE_TAG, "")
        exp = self._rows(
            "SELECT name FROM experiments WHERE experiment_id = ?", (int(run["experiment_id"]),)
        )
        run["experiment_name"] = exp[0][0] if exp else None
        return run

    def artifact_uri(self, run_id: str) -> str:
        rows = self._rows("SELECT artifact_uri FROM runs WHERE run_uuid = ?", (run_id,))
        if not rows:
            raise MinitrackException(
                f"No run with id {run_id!r}.", error_code=RESOURCE_DOES_NOT_EXIST
            )
        return rows[0][0] or ""

    def metric_history(self, run_ids: Sequence[str], key: str) -> dict[str, list[dict]]:
        """``{run_id: [{step, timestamp, value}, ...]}`` ordered by step then time."""
        out: dict[str, list[dict]] = {r: [] for r in run_ids}
        for chunk in _chunks(list(run_ids)):
            marks = ",".join("?" * len(chunk))
            for run_id, value, timestamp, step, is_nan in self._rows(
                f"""
                SELECT run_uuid, value, timestamp, step, is_nan FROM metrics
                WHERE key = ? AND run_uuid IN ({marks})
                ORDER BY run_uuid, step, timestamp
                """,
                [key, *chunk],
            ):
                out[run_id].append(
                    {"step": step, "timestamp": timestamp, "value": _metric_value(value, is_nan)}
                )
        return out


def _chunks(items: Sequence[str]) -> Iterable[list[str]]:
    items = list(items)
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def _int_id(value: str, what: str) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise MinitrackException(
            f"Invalid {what} id {value!r}: {what} ids are whole numbers such as '0' or '12'.",
            error_code=RESOURCE_DOES_NOT_EXIST,
        ) from None
