"""The SQLite schema of a minitrack store, and its forward migrations.

Table and column names follow MLflow's SQL store so that anyone who has read
MLflow's schema finds their way here. The schema version lives in
``PRAGMA user_version``; ``MIGRATIONS[n]`` upgrades a version-``n`` file to ``n + 1``.
"""

from __future__ import annotations

# Each entry upgrades the schema by one version. Never edit a released entry:
# append a new one, so that every existing database can walk forward.
MIGRATIONS: list[str] = [
    # 0 -> 1: the initial schema.
    """
    CREATE TABLE experiments (
        experiment_id     INTEGER PRIMARY KEY,
        name              TEXT NOT NULL UNIQUE,
        artifact_location TEXT NOT NULL,
        lifecycle_stage   TEXT NOT NULL DEFAULT 'active',
        creation_time     INTEGER,
        last_update_time  INTEGER
    );
    CREATE TABLE experiment_tags (
        experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id),
        key           TEXT NOT NULL,
        value         TEXT,
        PRIMARY KEY (experiment_id, key)
    );
    CREATE TABLE runs (
        run_uuid        TEXT PRIMARY KEY,
        name            TEXT,
        experiment_id   INTEGER NOT NULL REFERENCES experiments(experiment_id),
        user_id         TEXT,
        status          TEXT NOT NULL,
        start_time      INTEGER,
        end_time        INTEGER,
        lifecycle_stage TEXT NOT NULL DEFAULT 'active',
        artifact_uri    TEXT,
        deleted_time    INTEGER
    );
    CREATE INDEX idx_runs_experiment_start ON runs (experiment_id, start_time DESC);
    CREATE TABLE params (
        run_uuid TEXT NOT NULL REFERENCES runs(run_uuid),
        key      TEXT NOT NULL,
        value    TEXT NOT NULL,
        PRIMARY KEY (run_uuid, key)
    );
    CREATE INDEX idx_params_key_value ON params (key, value);
    CREATE TABLE tags (
        run_uuid TEXT NOT NULL REFERENCES runs(run_uuid),
        key      TEXT NOT NULL,
        value    TEXT,
        PRIMARY KEY (run_uuid, key)
    );
    CREATE INDEX idx_tags_key_value ON tags (key, value);
    -- Every logged value, the whole history. SQLite stores NaN as NULL, so NaN
    -- is kept as value NULL with is_nan = 1.
    CREATE TABLE metrics (
        run_uuid  TEXT NOT NULL REFERENCES runs(run_uuid),
        key       TEXT NOT NULL,
        value     REAL,
        timestamp INTEGER NOT NULL,
        step      INTEGER NOT NULL DEFAULT 0,
        is_nan    INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX idx_metrics_run_key ON metrics (run_uuid, key, step, timestamp);
    -- The value search and the runs table use: per run and key, the entry with
    -- the highest (step, timestamp, value), as MLflow defines "latest".
    CREATE TABLE latest_metrics (
        run_uuid  TEXT NOT NULL REFERENCES runs(run_uuid),
        key       TEXT NOT NULL,
        value     REAL,
        timestamp INTEGER NOT NULL,
        step      INTEGER NOT NULL DEFAULT 0,
        is_nan    INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (run_uuid, key)
    );
    CREATE INDEX idx_latest_metrics_key_value ON latest_metrics (key, value);
    """,
    # 1 -> 2: params, tags and latest_metrics become WITHOUT ROWID tables clustered on
    # (run_uuid, key), so loading the values of many runs reads neighbouring pages
    # instead of one index probe plus one table probe per value.
    """
    CREATE TABLE params_v2 (
        run_uuid TEXT NOT NULL REFERENCES runs(run_uuid),
        key      TEXT NOT NULL,
        value    TEXT NOT NULL,
        PRIMARY KEY (run_uuid, key)
    ) WITHOUT ROWID;
    INSERT INTO params_v2 (run_uuid, key, value) SELECT run_uuid, key, value FROM params;
    DROP TABLE params;
    ALTER TABLE params_v2 RENAME TO params;
    CREATE INDEX idx_params_key_value ON params (key, value);
    CREATE TABLE tags_v2 (
        run_uuid TEXT NOT NULL REFERENCES runs(run_uuid),
        key      TEXT NOT NULL,
        value    TEXT,
        PRIMARY KEY (run_uuid, key)
    ) WITHOUT ROWID;
    INSERT INTO tags_v2 (run_uuid, key, value) SELECT run_uuid, key, value FROM tags;
    DROP TABLE tags;
    ALTER TABLE tags_v2 RENAME TO tags;
    CREATE INDEX idx_tags_key_value ON tags (key, value);
    CREATE TABLE latest_metrics_v2 (
        run_uuid  TEXT NOT NULL REFERENCES runs(run_uuid),
        key       TEXT NOT NULL,
        value     REAL,
        timestamp INTEGER NOT NULL,
        step      INTEGER NOT NULL DEFAULT 0,
        is_nan    INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (run_uuid, key)
    ) WITHOUT ROWID;
    INSERT INTO latest_metrics_v2 SELECT run_uuid, key, value, timestamp, step, is_nan
        FROM latest_metrics;
    DROP TABLE latest_metrics;
    ALTER TABLE latest_metrics_v2 RENAME TO latest_metrics;
    CREATE INDEX idx_latest_metrics_key_value ON latest_metrics (key, value);
    """,
    # 2 -> 3: the metric index also holds is_nan, so a metric filter (which skips NaN)
    # and an order by that metric are answered from the index alone.
    """
    DROP INDEX IF EXISTS idx_latest_metrics_key_value;
    CREATE INDEX idx_latest_metrics_key_value ON latest_metrics (key, value, is_nan);
    """,
    # 3 -> 4: cheaper commits. Every log_metric and log_param is its own transaction, and
    # SQLite writes each page it touches to the write-ahead log, so each table or index a
    # call touches costs a page write (about 8 us on disk).
    # - The metric history becomes a WITHOUT ROWID table clustered on its natural key,
    #   instead of a table plus an index on nearly the same columns. Like MLflow's primary
    #   key, it keeps one copy of an entry logged twice with the same step, timestamp and
    #   value, and stores NaN as value 0 with is_nan = 1.
    # - The (key, value) indexes on params and on latest metric values go (a training loop
    #   moved the metric's index entry at every step). A search then probes each run's row
    #   by primary key: about 7 ms at 10k runs and 100 ms at 100k, filtered or not. Only a
    #   filter sorted on its own key had read an index in order (2 ms at 100k); sorting on
    #   any other metric already cost the 100 ms.
    """
    CREATE TABLE metrics_v4 (
        run_uuid  TEXT NOT NULL REFERENCES runs(run_uuid),
        key       TEXT NOT NULL,
        value     REAL NOT NULL,
        timestamp INTEGER NOT NULL,
        step      INTEGER NOT NULL DEFAULT 0,
        is_nan    INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (run_uuid, key, step, timestamp, value, is_nan)
    ) WITHOUT ROWID;
    INSERT OR IGNORE INTO metrics_v4 (run_uuid, key, value, timestamp, step, is_nan)
        SELECT run_uuid, key, COALESCE(value, 0), timestamp, step, is_nan FROM metrics;
    DROP TABLE metrics;
    ALTER TABLE metrics_v4 RENAME TO metrics;
    DROP INDEX IF EXISTS idx_params_key_value;
    DROP INDEX IF EXISTS idx_latest_metrics_key_value;
    """,
    # 4 -> 5: the model registry and MLflow 3's logged models, and the store's own id.
    # - Registered models keep next_version, so a deleted version's number is never given
    #   again; a deleted version's row (and its tags and aliases) goes, so every query over
    #   model_versions sees live versions only. Deleting the registered model drops it all,
    #   and a model registered again under that name starts at 1, as in MLflow.
    # - A logged model (id 'm-<32 hex>') points at the folder its log_model wrote, inside
    #   the run's artifacts; its metrics are the full rows MLflow's logged-models API sends.
    # - store_meta holds one row: a random id made here, kept by copies of the file.
    # Cost: empty tables and a few indexes; nothing existing is rewritten.
    """
    CREATE TABLE registered_models (
        name              TEXT PRIMARY KEY,
        creation_time     INTEGER,
        last_updated_time INTEGER,
        description       TEXT,
        next_version      INTEGER NOT NULL DEFAULT 1
    );
    CREATE TABLE registered_model_tags (
        name  TEXT NOT NULL REFERENCES registered_models(name),
        key   TEXT NOT NULL,
        value TEXT,
        PRIMARY KEY (name, key)
    ) WITHOUT ROWID;
    CREATE TABLE registered_model_aliases (
        name    TEXT NOT NULL REFERENCES registered_models(name),
        alias   TEXT NOT NULL,
        version INTEGER NOT NULL,
        PRIMARY KEY (name, alias)
    ) WITHOUT ROWID;
    CREATE TABLE model_versions (
        name              TEXT NOT NULL REFERENCES registered_models(name),
        version           INTEGER NOT NULL,
        creation_time     INTEGER,
        last_updated_time INTEGER,
        description       TEXT,
        user_id           TEXT,
        current_stage     TEXT NOT NULL DEFAULT 'None',
        source            TEXT,
        run_id            TEXT,
        run_link          TEXT,
        status            TEXT NOT NULL DEFAULT 'READY',
        status_message    TEXT,
        storage_location  TEXT,
        model_id          TEXT,
        PRIMARY KEY (name, version)
    );
    CREATE INDEX idx_model_versions_run ON model_versions (run_id);
    CREATE TABLE model_version_tags (
        name    TEXT NOT NULL,
        version INTEGER NOT NULL,
        key     TEXT NOT NULL,
        value   TEXT,
        PRIMARY KEY (name, version, key)
    ) WITHOUT ROWID;
    CREATE TABLE logged_models (
        model_id          TEXT PRIMARY KEY,
        experiment_id     INTEGER NOT NULL REFERENCES experiments(experiment_id),
        name              TEXT NOT NULL,
        source_run_id     TEXT REFERENCES runs(run_uuid),
        status            TEXT NOT NULL DEFAULT 'READY',
        status_message    TEXT,
        artifact_location TEXT NOT NULL,
        creation_time     INTEGER,
        last_updated_time INTEGER,
        model_type        TEXT,
        lifecycle_stage   TEXT NOT NULL DEFAULT 'active'
    );
    CREATE INDEX idx_logged_models_run ON logged_models (source_run_id, name);
    CREATE INDEX idx_logged_models_experiment ON logged_models (experiment_id, creation_time);
    CREATE TABLE logged_model_tags (
        model_id TEXT NOT NULL REFERENCES logged_models(model_id),
        key      TEXT NOT NULL,
        value    TEXT,
        PRIMARY KEY (model_id, key)
    ) WITHOUT ROWID;
    CREATE TABLE logged_model_params (
        model_id TEXT NOT NULL REFERENCES logged_models(model_id),
        key      TEXT NOT NULL,
        value    TEXT NOT NULL,
        PRIMARY KEY (model_id, key)
    ) WITHOUT ROWID;
    CREATE TABLE logged_model_metrics (
        model_id       TEXT NOT NULL REFERENCES logged_models(model_id),
        key            TEXT NOT NULL,
        value          REAL NOT NULL,
        timestamp      INTEGER NOT NULL,
        step           INTEGER NOT NULL DEFAULT 0,
        run_id         TEXT,
        dataset_name   TEXT,
        dataset_digest TEXT,
        PRIMARY KEY (model_id, key, step, timestamp, run_id, dataset_name, dataset_digest)
    );
    CREATE TABLE store_meta (
        id       INTEGER PRIMARY KEY CHECK (id = 1),
        store_id TEXT NOT NULL
    );
    INSERT OR IGNORE INTO store_meta (id, store_id) VALUES (1, lower(hex(randomblob(16))));
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)
