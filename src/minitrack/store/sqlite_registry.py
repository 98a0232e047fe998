"""The model registry and MLflow 3's logged models in the SQLite store: every SQL statement.

``SqliteRegistryStore`` is a mixin of ``SqliteStore``: it runs its statements through the
store's ``_read``/``_write`` transactions. Arguments arrive validated by the client; this
module checks what needs the database (does the model, version, alias exist?) inside the
same transaction as the change, so a refused call changes nothing.

Deleted versions leave no row behind (registered_models.next_version keeps their numbers
from being given again), so every query over model_versions sees live versions only.
"""

from __future__ import annotations

import time

from minitrack.entities import (
    LoggedModel,
    LoggedModelStatus,
    Metric,
    ModelVersion,
    ModelVersionStages,
    RegisteredModel,
)
from minitrack.exceptions import (
    INVALID_PARAMETER_VALUE,
    RESOURCE_ALREADY_EXISTS,
    RESOURCE_DOES_NOT_EXIST,
    MinitrackException,
)
from minitrack.store.base import new_id

_MV_COLS = (
    "name, version, creation_time, last_updated_time, description, user_id, current_stage, "
    "source, run_id, run_link, status, status_message, storage_location, model_id"
)
_RM_COLS = "name, creation_time, last_updated_time, description"
_LM_COLS = (
    "model_id, experiment_id, name, artifact_location, creation_time, last_updated_time, "
    "model_type, source_run_id, status, status_message"
)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def no_model_error(name: str) -> MinitrackException:
    return MinitrackException(
        f"Registered Model with name={name} not found. See the registered models with "
        "MlflowClient().search_registered_models(), or register one with "
        "minitrack.register_model(model_uri, name).",
        RESOURCE_DOES_NOT_EXIST,
    )


class SqliteRegistryStore:
    """Registered models, model versions, aliases, logged models and the store's id."""

    # -- helpers (run inside a transaction) ---------------------------------------------------

    @staticmethod
    def _require_model(conn, name: str) -> tuple:
        row = conn.execute(
            f"SELECT {_RM_COLS}, next_version FROM registered_models WHERE name = ?", (name,)
        ).fetchone()
        if row is None:
            raise no_model_error(name)
        return row

    @staticmethod
    def _version_numbers(conn, name: str) -> list[int]:
        return [
            r[0]
            for r in conn.execute(
                "SELECT version FROM model_versions WHERE name = ? ORDER BY version", (name,)
            )
        ]

    def _require_version(self, conn, name: str, version: int) -> tuple:
        row = conn.execute(
            f"SELECT {_MV_COLS} FROM model_versions WHERE name = ? AND version = ?",
            (name, version),
        ).fetchone()
        if row is None:
            self._require_model(conn, name)
            have = ", ".join(map(str, self._version_numbers(conn, name))) or "none"
            raise MinitrackException(
                f"Model Version (name={name}, version={version}) not found; "
                f"model '{name}' has versions: {have}.",
                RESOURCE_DOES_NOT_EXIST,
            )
        return row

    @staticmethod
    def _model_version(conn, row, with_aliases: bool = True) -> ModelVersion:
        name, version = row[0], row[1]
        tags = dict(
            conn.execute(
                "SELECT key, value FROM model_version_tags WHERE name = ? AND version = ? "
                "ORDER BY key",
                (name, version),
            )
        )
        aliases = (
            [
                r[0]
                for r in conn.execute(
                    "SELECT alias FROM registered_model_aliases WHERE name = ? AND version = ? "
                    "ORDER BY alias",
                    (name, version),
                )
            ]
            if with_aliases
            else []
        )
        return ModelVersion(
            name=name,
            version=version,
            creation_timestamp=row[2],
            last_updated_timestamp=row[3],
            description=row[4],
            user_id=row[5],
            current_stage=row[6],
            source=row[7],
            run_id=row[8],
            run_link=row[9],
            status=row[10],
            status_message=row[11],
            tags=tags,
            aliases=aliases,
            storage_location=row[12],
            model_id=row[13],
        )

    def _latest_versions(self, conn, name: str) -> list[ModelVersion]:
        # The newest version in each stage, stages in the order MLflow's store lists them
        # (first seen walking versions upwards). These entries carry no aliases in MLflow.
        latest: dict[str, tuple] = {}
        for row in conn.execute(
            f"SELECT {_MV_COLS} FROM model_versions WHERE name = ? ORDER BY version", (name,)
        ):
            latest[row[6]] = row
        return [self._model_version(conn, row, with_aliases=False) for row in latest.values()]

    def _registered_model(self, conn, row) -> RegisteredModel:
        name = row[0]
        tags = dict(
            conn.execute(
                "SELECT key, value FROM registered_model_tags WHERE name = ? ORDER BY key",
                (name,),
            )
        )
        aliases = dict(
            conn.execute(
                "SELECT alias, version FROM registered_model_aliases WHERE name = ? ORDER BY alias",
                (name,),
            )
        )
        return RegisteredModel(
            name=name,
            creation_timestamp=row[1],
            last_updated_timestamp=row[2],
            description=row[3],
            latest_versions=self._latest_versions(conn, name),
            tags=tags,
            aliases=aliases,
        )

    def _get_registered_model_in(self, conn, name: str) -> RegisteredModel:
        return self._registered_model(conn, self._require_model(conn, name))

    @staticmethod
    def _touch_model(conn, name: str, now: int) -> None:
        conn.execute(
            "UPDATE registered_models SET last_updated_time = ? WHERE name = ?", (now, name)
        )

    # -- registered models ----------------------------------------------------------------

    def create_registered_model(
        self, name: str, tags: list[tuple[str, str]] | None = None, description: str | None = None
    ) -> RegisteredModel:
        def work(conn):
            if conn.execute("SELECT 1 FROM registered_models WHERE name = ?", (name,)).fetchone():
                raise MinitrackException(
                    f"Registered Model (name={name}) already exists. Add a version to it with "
                    "register_model(model_uri, name) or create_model_version, or choose "
                    "another name.",
                    RESOURCE_ALREADY_EXISTS,
                )
            now = _now_ms()
            conn.execute(
                "INSERT INTO registered_models (name, creation_time, last_updated_time, "
                "description, next_version) VALUES (?, ?, ?, ?, 1)",
                (name, now, now, description),
            )
            conn.executemany(
                "INSERT OR REPLACE INTO registered_model_tags (name, key, value) VALUES (?, ?, ?)",
                [(name, k, v) for k, v in tags or []],
            )
            return self._get_registered_model_in(conn, name)

        return self._write(work)

    def get_registered_model(self, name: str) -> RegisteredModel:
        return self._read(self._get_registered_model_in, name)

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        def work(conn):
            self._require_model(conn, name)
            if (
                new_name != name
                and conn.execute(
                    "SELECT 1 FROM registered_models WHERE name = ?", (new_name,)
                ).fetchone()
            ):
                raise MinitrackException(
                    f"Registered Model (name={new_name}) already exists; cannot rename "
                    f"'{name}' to it. Choose another name.",
                    RESOURCE_ALREADY_EXISTS,
                )
            now = _now_ms()
            conn.execute(
                "UPDATE registered_models SET name = ?, last_updated_time = ? WHERE name = ?",
                (new_name, now, name),
            )
            conn.execute(
                "UPDATE model_versions SET name = ?, last_updated_time = ? WHERE name = ?",
                (new_name, now, name),
            )
            for table in (
                "registered_model_tags",
                "registered_model_aliases",
                "model_version_tags",
            ):
                conn.execute(f"UPDATE {table} SET name = ? WHERE name = ?", (new_name, name))
            return self._get_registered_model_in(conn, new_name)

        return self._write(work)

    def update_registered_model(self, name: str, description: str | None) -> RegisteredModel:
        def work(conn):
            self._require_model(conn, name)
            conn.execute(
                "UPDATE registered_models SET description = ?, last_updated_time = ? "
                "WHERE name = ?",
                (description, _now_ms(), name),
            )
            return self._get_registered_model_in(conn, name)

        return self._write(work)

    def delete_registered_model(self, name: str) -> None:
        def work(conn):
            self._require_model(conn, name)
            for table in (
                "model_version_tags",
                "model_versions",
                "registered_model_aliases",
                "registered_model_tags",
                "registered_models",
            ):
                conn.execute(f"DELETE FROM {table} WHERE name = ?", (name,))

        self._write(work)

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: list[str] | None = None,
        offset: int = 0,
    ) -> list[RegisteredModel]:
        from minitrack.search import build_registered_model_search

        sql, args = build_registered_model_search(filter_string, order_by, max_results, offset)

        def work(conn):
            names = [r[0] for r in conn.execute(sql, args)]
            return [self._get_registered_model_in(conn, n) for n in names]

        return self._read(work)

    def set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        def work(conn):
            self._require_model(conn, name)
            conn.execute(
                "INSERT OR REPLACE INTO registered_model_tags (name, key, value) VALUES (?, ?, ?)",
                (name, key, value),
            )

        self._write(work)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        # MLflow ignores a key that is not there; so does minitrack.
        def work(conn):
            self._require_model(conn, name)
            conn.execute(
                "DELETE FROM registered_model_tags WHERE name = ? AND key = ?", (name, key)
            )

        self._write(work)

    def get_latest_versions(self, name: str, stages: list[str] | None = None) -> list[ModelVersion]:
        wanted = set(stages) if stages else set(ModelVersionStages.ALL)

        def work(conn):
            self._require_model(conn, name)
            out = []
            for mv in self._latest_versions(conn, name):
                if mv.current_stage in wanted:
                    row = self._require_version(conn, name, mv.version)
                    out.append(self._model_version(conn, row))
            return out

        return self._read(work)

    # -- model versions ---------------------------------------------------------------------

    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: list[tuple[str, str]] | None = None,
        run_link: str | None = None,
        description: str | None = None,
        storage_location: str | None = None,
        model_id: str | None = None,
        user_id: str | None = None,
    ) -> ModelVersion:
        def work(conn):
            row = self._require_model(conn, name)
            version = row[4]
            now = _now_ms()
            conn.execute(
                f"INSERT INTO model_versions ({_MV_COLS}) "
                "VALUES (?, ?, ?, ?, ?, ?, 'None', ?, ?, ?, 'READY', NULL, ?, ?)",
                (
                    name,
                    version,
                    now,
                    now,
                    description,
                    user_id,
                    source,
                    run_id,
                    run_link,
                    storage_location or source,
                    model_id,
                ),
            )
            conn.execute(
                "UPDATE registered_models SET next_version = ?, last_updated_time = ? "
                "WHERE name = ?",
                (version + 1, now, name),
            )
            conn.executemany(
                "INSERT OR REPLACE INTO model_version_tags (name, version, key, value) "
                "VALUES (?, ?, ?, ?)",
                [(name, version, k, v) for k, v in tags or []],
            )
            return self._model_version(conn, self._require_version(conn, name, version))

        return self._write(work)

    def get_model_version(self, name: str, version: int) -> ModelVersion:
        def work(conn):
            return self._model_version(conn, self._require_version(conn, name, version))

        return self._read(work)

    def get_model_version_download_uri(self, name: str, version: int) -> str:
        def work(conn):
            row = self._require_version(conn, name, version)
            return row[12] or row[7]

        return self._read(work)

    def update_model_version(self, name: str, version: int, description: str | None):
        def work(conn):
            self._require_version(conn, name, version)
            conn.execute(
                "UPDATE model_versions SET description = ?, last_updated_time = ? "
                "WHERE name = ? AND version = ?",
                (description, _now_ms(), name, version),
            )
            return self._model_version(conn, self._require_version(conn, name, version))

        return self._write(work)

    def transition_model_version_stage(
        self, name: str, version: int, stage: str, archive_existing_versions: bool = False
    ) -> ModelVersion:
        if archive_existing_versions and stage not in ModelVersionStages.ACTIVE:
            raise MinitrackException(
                "Model version transition cannot archive existing model versions because "
                f"'{stage}' is not an Active stage. Valid stages are "
                f"{list(ModelVersionStages.ACTIVE)}; or pass archive_existing_versions=False.",
                INVALID_PARAMETER_VALUE,
            )

        def work(conn):
            self._require_version(conn, name, version)
            now = _now_ms()
            if archive_existing_versions:
                conn.execute(
                    "UPDATE model_versions SET current_stage = ?, last_updated_time = ? "
                    "WHERE name = ? AND version != ? AND current_stage = ?",
                    (ModelVersionStages.ARCHIVED, now, name, version, stage),
                )
            conn.execute(
                "UPDATE model_versions SET current_stage = ?, last_updated_time = ? "
                "WHERE name = ? AND version = ?",
                (stage, now, name, version),
            )
            self._touch_model(conn, name, now)
            return self._model_version(conn, self._require_version(conn, name, version))

        return self._write(work)

    def delete_model_version(self, name: str, version: int) -> None:
        def work(conn):
            self._require_version(conn, name, version)
            for table in ("registered_model_aliases", "model_version_tags", "model_versions"):
                conn.execute(f"DELETE FROM {table} WHERE name = ? AND version = ?", (name, version))
            self._touch_model(conn, name, _now_ms())

        self._write(work)

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: list[str] | None = None,
        offset: int = 0,
    ) -> list[ModelVersion]:
        from minitrack.search import build_model_version_search

        sql, args = build_model_version_search(filter_string, order_by, max_results, offset)

        def work(conn):
            keys = [(r[0], r[1]) for r in conn.execute(sql, args)]
            # Search results carry no aliases, as MLflow's do.
            return [
                self._model_version(conn, self._require_version(conn, n, v), with_aliases=False)
                for n, v in keys
            ]

        return self._read(work)

    def set_model_version_tag(self, name: str, version: int, key: str, value: str) -> None:
        def work(conn):
            self._require_version(conn, name, version)
            conn.execute(
                "INSERT OR REPLACE INTO model_version_tags (name, version, key, value) "
                "VALUES (?, ?, ?, ?)",
                (name, version, key, value),
            )

        self._write(work)

    def delete_model_version_tag(self, name: str, version: int, key: str) -> None:
        def work(conn):
            self._require_version(conn, name, version)
            conn.execute(
                "DELETE FROM model_version_tags WHERE name = ? AND version = ? AND key = ?",
                (name, version, key),
            )

        self._write(work)

    # -- aliases ------------------------------------------------------------------------------

    def set_registered_model_alias(self, name: str, alias: str, version: int) -> None:
        def work(conn):
            self._require_version(conn, name, version)
            conn.execute(
                "INSERT OR REPLACE INTO registered_model_aliases (name, alias, version) "
                "VALUES (?, ?, ?)",
                (name, alias, version),
            )

        self._write(work)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        # Like MLflow, deleting an alias that is not there is not an error.
        def work(conn):
            self._require_model(conn, name)
            conn.execute(
                "DELETE FROM registered_model_aliases WHERE name = ? AND alias = ?", (name, alias)
            )

        self._write(work)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        def work(conn):
            self._require_model(conn, name)
            row = conn.execute(
                "SELECT version FROM registered_model_aliases WHERE name = ? AND alias = ?",
                (name, alias),
            ).fetchone()
            if row is None:
                have = [
                    r[0]
                    for r in conn.execute(
                        "SELECT alias FROM registered_model_aliases WHERE name = ? ORDER BY alias",
                        (name,),
                    )
                ]
                raise MinitrackException(
                    f"Registered model alias {alias} not found: model '{name}' has no alias "
                    f"'{alias}'; aliases: {', '.join(have) or 'none'}. Set one with "
                    "MlflowClient().set_registered_model_alias(name, alias, version).",
                    INVALID_PARAMETER_VALUE,
                )
            return self._model_version(conn, self._require_version(conn, name, row[0]))

        return self._read(work)

    # -- logged models (MLflow 3) ---------------------------------------------------------

    @staticmethod
    def _logged_model(conn, row) -> LoggedModel:
        model_id = row[0]
        tags = dict(
            conn.execute(
                "SELECT key, value FROM logged_model_tags WHERE model_id = ? ORDER BY key",
                (model_id,),
            )
        )
        params = dict(
            conn.execute(
                "SELECT key, value FROM logged_model_params WHERE model_id = ? ORDER BY key",
                (model_id,),
            )
        )
        metrics = [
            Metric(k, v, ts, st, rid)
            for k, v, ts, st, rid in conn.execute(
                "SELECT key, value, timestamp, step, run_id FROM logged_model_metrics "
                "WHERE model_id = ? ORDER BY key, step, timestamp",
                (model_id,),
            )
        ]
        return LoggedModel(
            model_id=model_id,
            experiment_id=str(row[1]),
            name=row[2],
            artifact_location=row[3],
            creation_timestamp=row[4],
            last_updated_timestamp=row[5],
            model_type=row[6],
            source_run_id=row[7],
            status=row[8],
            status_message=row[9],
            tags=tags,
            params=params,
            metrics=metrics,
        )

    def _require_logged_model(self, conn, model_id: str) -> tuple:
        row = conn.execute(
            f"SELECT {_LM_COLS} FROM logged_models WHERE model_id = ? "
            "AND lifecycle_stage = 'active'",
            (model_id,),
        ).fetchone()
        if row is None:
            raise MinitrackException(
                f"Logged model with ID '{model_id}' not found. A logged model's id is "
                "model_info.model_id from log_model (models:/m-<32 hex characters>).",
                RESOURCE_DOES_NOT_EXIST,
            )
        return row

    def create_logged_model(
        self,
        experiment_id: str,
        name: str,
        artifact_location: str,
        source_run_id: str | None = None,
        model_type: str | None = None,
        tags: list[tuple[str, str]] | None = None,
        params: list[tuple[str, str]] | None = None,
        status: str = LoggedModelStatus.READY,
        model_id: str | None = None,
    ) -> LoggedModel:
        """A new logged model. ``artifact_location`` is where its files are (or will be)."""
        model_id = model_id or f"m-{new_id()}"

        def work(conn):
            now = _now_ms()
            conn.execute(
                f"INSERT INTO logged_models ({_LM_COLS}, lifecycle_stage) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 'active')",
                (
                    model_id,
                    int(experiment_id),
                    name,
                    artifact_location,
                    now,
                    now,
                    model_type,
                    source_run_id,
                    status,
                ),
            )
            conn.executemany(
                "INSERT OR REPLACE INTO logged_model_tags (model_id, key, value) VALUES (?, ?, ?)",
                [(model_id, k, v) for k, v in tags or []],
            )
            conn.executemany(
                "INSERT OR REPLACE INTO logged_model_params (model_id, key, value) "
                "VALUES (?, ?, ?)",
                [(model_id, k, v) for k, v in params or []],
            )
            return self._logged_model(conn, self._require_logged_model(conn, model_id))

        return self._write(work)

    def get_logged_model(self, model_id: str) -> LoggedModel:
        def work(conn):
            return self._logged_model(conn, self._require_logged_model(conn, model_id))

        return self._read(work)

    def finalize_logged_model(self, model_id: str, status: str) -> LoggedModel:
        def work(conn):
            self._require_logged_model(conn, model_id)
            conn.execute(
                "UPDATE logged_models SET status = ?, last_updated_time = ? WHERE model_id = ?",
                (status, _now_ms(), model_id),
            )
            return self._logged_model(conn, self._require_logged_model(conn, model_id))

        return self._write(work)

    def set_logged_model_tags(self, model_id: str, tags: list[tuple[str, str]]) -> None:
        def work(conn):
            self._require_logged_model(conn, model_id)
            conn.executemany(
                "INSERT OR REPLACE INTO logged_model_tags (model_id, key, value) VALUES (?, ?, ?)",
                [(model_id, k, v) for k, v in tags],
            )

        self._write(work)

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        def work(conn):
            self._require_logged_model(conn, model_id)
            cur = conn.execute(
                "DELETE FROM logged_model_tags WHERE model_id = ? AND key = ?", (model_id, key)
            )
            if cur.rowcount == 0:
                raise MinitrackException(
                    f"No tag with key {key!r} on logged model {model_id}.",
                    RESOURCE_DOES_NOT_EXIST,
                )

        self._write(work)

    def log_logged_model_metrics(
        self, model_id: str, metrics: list[tuple[str, float, int, int, str | None]]
    ) -> None:
        """Rows ``(key, value, timestamp, step, run_id)``, as MLflow's log_metric(model_id=)."""

        def work(conn):
            self._require_logged_model(conn, model_id)
            conn.executemany(
                "INSERT OR IGNORE INTO logged_model_metrics "
                "(model_id, key, value, timestamp, step, run_id) VALUES (?, ?, ?, ?, ?, ?)",
                [(model_id, *m) for m in metrics],
            )

        self._write(work)

    def delete_logged_model(self, model_id: str) -> None:
        def work(conn):
            self._require_logged_model(conn, model_id)
            conn.execute(
                "UPDATE logged_models SET lifecycle_stage = 'deleted', last_updated_time = ? "
                "WHERE model_id = ?",
                (_now_ms(), model_id),
            )

        self._write(work)

    def find_logged_models(self, source_run_id: str, name: str | None = None) -> list[LoggedModel]:
        """The active logged models a run wrote (with that name), newest first."""

        def work(conn):
            sql = (
                f"SELECT {_LM_COLS} FROM logged_models WHERE source_run_id = ? "
                "AND lifecycle_stage = 'active'"
            )
            args: list = [source_run_id]
            if name is not None:
                sql += " AND name = ?"
                args.append(name)
            rows = conn.execute(sql + " ORDER BY creation_time DESC, rowid DESC", args)
            return [self._logged_model(conn, row) for row in rows.fetchall()]

        return self._read(work)

    def search_logged_models(
        self, experiment_ids: list[str], max_results: int | None = None, offset: int = 0
    ) -> list[LoggedModel]:
        """Active logged models of the experiments, newest first (MLflow's default order)."""
        ids = [int(e) for e in experiment_ids]

        def work(conn):
            marks = ", ".join("?" for _ in ids) or "NULL"
            sql = (
                f"SELECT {_LM_COLS} FROM logged_models WHERE experiment_id IN ({marks}) "
                "AND lifecycle_stage = 'active' ORDER BY creation_time DESC, model_id"
            )
            args: list = list(ids)
            if max_results is not None:
                sql += " LIMIT ? OFFSET ?"
                args += [max_results, offset]
            return [self._logged_model(conn, row) for row in conn.execute(sql, args).fetchall()]

        return self._read(work)

    # -- the store's identity ---------------------------------------------------------------

    def get_store_id(self) -> str:
        """A random id made when the registry schema was created; stable for this file."""
        return self._read(
            lambda conn: conn.execute("SELECT store_id FROM store_meta WHERE id = 1").fetchone()[0]
        )
