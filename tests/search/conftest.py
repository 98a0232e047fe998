"""A real SQLite store in tmp_path, filled with named runs, searched by run name."""

from __future__ import annotations

import math
import sqlite3

import pytest

from minitrack.search import build_run_search
from minitrack.store.schema import MIGRATIONS


class RunBook:
    """Runs created by name; ``search`` answers with names, in result order."""

    def __init__(self, path) -> None:
        self.path = path
        self.conn = sqlite3.connect(path)
        self.conn.executescript(MIGRATIONS[0])
        self.conn.executemany(
            "INSERT INTO experiments (experiment_id, name, artifact_location) VALUES (?, ?, ?)",
            [(0, "Default", "/tmp/a/0"), (1, "other", "/tmp/a/1")],
        )
        self.ids: dict[str, str] = {}
        self.names: dict[str, str] = {}

    def add(
        self,
        name,
        *,
        start_time=0,
        end_time=None,
        status="FINISHED",
        user="student",
        experiment_id="0",
        deleted=False,
        metrics=None,
        params=None,
        tags=None,
    ) -> str:
        run_id = f"{len(self.ids):04d}{name}"
        self.ids[name], self.names[run_id] = run_id, name
        self.conn.execute(
            "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            (
                run_id,
                name,
                int(experiment_id),
                user,
                status,
                start_time,
                end_time,
                "deleted" if deleted else "active",
                f"/tmp/a/{experiment_id}/{run_id}/artifacts",
            ),
        )
        for key, value in (tags or {}).items():
            self.conn.execute("INSERT INTO tags VALUES (?, ?, ?)", (run_id, key, value))
        self.conn.execute("INSERT INTO tags VALUES (?, 'mlflow.runName', ?)", (run_id, name))
        for key, value in (params or {}).items():
            self.conn.execute("INSERT INTO params VALUES (?, ?, ?)", (run_id, key, value))
        for key, value in (metrics or {}).items():
            is_nan = isinstance(value, float) and math.isnan(value)
            row = (run_id, key, None if is_nan else value, 0, 0, int(is_nan))
            self.conn.execute("INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?)", row)
            self.conn.execute("INSERT INTO latest_metrics VALUES (?, ?, ?, ?, ?, ?)", row)
        self.conn.commit()
        return run_id

    def search(
        self,
        filter_string="",
        order_by=None,
        *,
        view=1,
        experiment_ids=("0",),
        max_results=None,
        offset=0,
    ) -> list[str]:
        sql, args = build_run_search(
            list(experiment_ids), filter_string, view, order_by, max_results, offset
        )
        return [self.names[row[0]] for row in self.conn.execute(sql, args)]


@pytest.fixture
def book(tmp_path):
    book = RunBook(tmp_path / "mlflow.db")
    yield book
    book.conn.close()
