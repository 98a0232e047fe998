"""A small real store for the property tests, and the "unchanged" check on it.

``PreparedStore`` fills a SQLite file through ``MlflowClient``: two experiments, a
finished run with metrics, params, tags and artifacts (a file, a folder, a nested file),
a deleted run and a running one, a registered model with an alias, and a logged model.
``snapshot()`` is every row of every table plus every file under the folder with its
hash; ``call()`` runs one public call and, when it is refused, checks that the snapshot
did not move.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
from pathlib import Path

from minitrack import MinitrackException, MlflowClient
from minitrack.entities import Metric, Param, RunTag

IGNORED_FILES = {"mlflow.db", "mlflow.db-wal", "mlflow.db-shm"}


class PreparedStore:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.db = self.folder / "mlflow.db"
        self.tracking_uri = f"sqlite:///{self.db}"
        here = os.getcwd()
        os.chdir(self.folder)  # the default artifact root is ./mlruns, resolved at creation
        try:
            self._fill()
        finally:
            os.chdir(here)
        # A second connection, only for reading the file as it is on disk.
        self._conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        self._tables = [
            name
            for (name,) in self._conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]

    def _fill(self) -> None:
        self.client = c = MlflowClient(self.tracking_uri)
        self.experiment_id = c.create_experiment("hardening", tags={"team": "course"})
        self.other_experiment_id = c.create_experiment("other")
        done = c.create_run(self.experiment_id, start_time=1_000, run_name="done")
        self.run_id = done.info.run_id
        c.log_batch(
            self.run_id,
            metrics=[Metric("rmse", 6.5, 1_000, 0), Metric("rmse", 5.5, 2_000, 1)],
            params=[Param("alpha", "0.5"), Param("model", "lasso")],
            tags=[RunTag("stage", "dev")],
        )
        c.log_metric(self.run_id, "nan", float("nan"))
        c.log_text(self.run_id, "hello", "notes/hello.txt")
        c.log_dict(self.run_id, {"a": 1}, "config.json")
        c.log_text(self.run_id, "deep", "a/b/c.txt")
        c.set_terminated(self.run_id, end_time=3_000)
        self.deleted_run_id = c.create_run(self.experiment_id, run_name="gone").info.run_id
        c.delete_run(self.deleted_run_id)
        self.running_run_id = c.create_run(self.other_experiment_id, run_name="open").info.run_id
        # The registry: a model with two versions (the first deleted, so numbers have a gap),
        # an alias, tags, and a logged model.
        c.create_registered_model("taxi", tags={"team": "course"}, description="the model")
        c.create_model_version("taxi", f"runs:/{self.run_id}/notes", run_id=self.run_id)
        c.delete_model_version("taxi", 1)
        version = c.create_model_version("taxi", f"runs:/{self.run_id}/a", run_id=self.run_id)
        c.set_registered_model_alias("taxi", "champion", version.version)
        c.set_model_version_tag("taxi", version.version, "validated", "yes")
        self.model_name, self.model_version = "taxi", int(version.version)
        logged = c.create_logged_model(self.experiment_id, "model", source_run_id=self.run_id)
        self.logged_model_id = logged.model_id

    def close(self) -> None:
        self._conn.close()

    def snapshot(self) -> tuple:
        """Every row of every table (as text: NaN equals NaN) and every artifact's hash."""
        rows = []
        with contextlib.suppress(sqlite3.Error):
            self._conn.execute("BEGIN")  # one consistent read of all tables
        try:
            for table in self._tables:
                found = self._conn.execute(f'SELECT * FROM "{table}"').fetchall()
                rows.append((table, sorted(map(repr, found))))
        finally:
            self._conn.rollback()
        files = []
        top = str(self.folder)
        for here, dirs, names in os.walk(top):
            dirs.sort()
            rel_here = os.path.relpath(here, top)
            for name in sorted(names):
                rel = name if rel_here == "." else f"{rel_here}/{name}"
                if rel in IGNORED_FILES:
                    continue
                with open(os.path.join(here, name), "rb") as fh:
                    files.append((rel, hashlib.sha256(fh.read()).hexdigest()))
            files.extend((f"{rel_here}/{d}/", "") for d in dirs)
        return tuple(rows), tuple(files)

    def call(self, fn, *args, **kwargs):
        """``fn(*args, **kwargs)``; a refusal must be a MinitrackException that changed
        nothing. Returns ``(result, None)`` or ``(None, exception)``; anything else raises."""
        before = self.snapshot()
        try:
            return fn(*args, **kwargs), None
        except MinitrackException as exc:
            assert exc.message, "a refusal must say what was wrong"
            after = self.snapshot()
            assert after == before, f"refused call changed the store: {exc.message}"
            return None, exc
