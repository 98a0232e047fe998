"""What a SQLite file on disk is, read without changing it: a minitrack store (and its
schema version), a real MLflow database (and its alembic revision), another program's
database, or no database at all; with its experiment and run counts and last activity.

``course where`` uses it to tell a student which store holds their runs. The file is opened
read-only (``mode=ro``) and never migrated, so looking at an MLflow database or a store of a
newer minitrack harms nothing.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from minitrack.store.schema import SCHEMA_VERSION

MINITRACK, MLFLOW, EMPTY, OTHER, NOT_SQLITE, MISSING = (
    "minitrack",
    "mlflow",
    "empty",
    "other-sqlite",
    "not-sqlite",
    "missing",
)
_HEADER = b"SQLite format 3\x00"


def describe_sqlite_file(path: str | os.PathLike) -> dict:
    path = Path(path)
    facts = {
        "path": str(path),
        "kind": MISSING,
        "schema": None,
        "experiments": 0,
        "deleted_experiments": 0,
        "runs": 0,
        "deleted_runs": 0,
        "last_activity": None,  # milliseconds since the epoch
        "error": None,
    }
    if not path.is_file():
        return facts
    with open(path, "rb") as handle:
        header = handle.read(16)
    if header == b"":
        facts["kind"] = EMPTY
        return facts
    if header != _HEADER:
        facts["kind"] = NOT_SQLITE
        return facts
    try:
        conn = sqlite3.connect(f"file:{quote(path.resolve().as_posix())}?mode=ro", uri=True)
    except sqlite3.Error as error:
        facts["kind"], facts["error"] = OTHER, str(error)
        return facts
    try:
        _describe(conn, facts)
    except sqlite3.Error as error:
        facts["error"] = f"{type(error).__name__}: {error}"
    finally:
        conn.close()
    return facts


def _describe(conn: sqlite3.Connection, facts: dict) -> None:
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if "alembic_version" in names:
        facts["kind"] = MLFLOW
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        facts["schema"] = f"alembic revision {row[0]}" if row else "alembic (no revision)"
    elif "experiments" in names and "runs" in names and version > 0:
        facts["kind"] = MINITRACK
        state = (
            "current"
            if version == SCHEMA_VERSION
            else "newer than this minitrack"
            if version > SCHEMA_VERSION
            else f"upgraded to {SCHEMA_VERSION} when minitrack next opens it"
        )
        facts["schema"] = f"schema {version} ({state})"
    elif not names:
        facts["kind"] = EMPTY
        return
    else:
        facts["kind"] = OTHER
        return
    # Both schemas name these tables and columns as MLflow's SQL store does.
    for table, key in (("experiments", "experiments"), ("runs", "runs")):
        for stage, count in conn.execute(
            f"SELECT lifecycle_stage, COUNT(*) FROM {table} GROUP BY lifecycle_stage"
        ):
            if stage == "deleted":
                facts[f"deleted_{key}"] += count
            else:
                facts[key] += count
    (runs_last,) = conn.execute(
        "SELECT MAX(MAX(COALESCE(start_time, 0), COALESCE(end_time, 0))) FROM runs"
    ).fetchone()
    (experiments_last,) = conn.execute(
        "SELECT MAX(MAX(COALESCE(creation_time, 0), COALESCE(last_update_time, 0)))"
        " FROM experiments"
    ).fetchone()
    last = max(runs_last or 0, experiments_last or 0)
    facts["last_activity"] = last or None
