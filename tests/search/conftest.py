"""A real minitrack store in tmp_path, filled through MlflowClient, searched by run name.

Also the registry tables the registry search builders query, in a plain SQLite file:
the store's schema migration creates them for real (issue 13); these are the same
names and columns, so the builders are tested on exactly what they will meet.
"""

from __future__ import annotations

import sqlite3

import pytest

from minitrack import MlflowClient
from minitrack.search import build_run_search


class RunBook:
    """Runs logged by name with the public client; searches answer with run names."""

    def __init__(self, path) -> None:
        self.client = MlflowClient(tracking_uri=f"sqlite:///{path}")
        self.experiments = {
            "Default": self.client.get_experiment_by_name("Default").experiment_id,
            "other": self.client.create_experiment("other"),
        }
        # A second, plain connection to the same file: for row counts, query plans and
        # connection pragmas, which the client does not expose.
        self.conn = sqlite3.connect(path)
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
        experiment="Default",
        deleted=False,
        metrics=None,
        params=None,
        tags=None,
    ) -> str:
        client = self.client
        run = client.create_run(
            self.experiments[experiment],
            start_time=start_time,
            tags={**(tags or {}), "mlflow.user": user},
            run_name=name,
        )
        run_id = run.info.run_id
        self.ids[name], self.names[run_id] = run_id, name
        for key, value in (params or {}).items():
            client.log_param(run_id, key, value)
        for key, value in (metrics or {}).items():
            client.log_metric(run_id, key, value, timestamp=start_time, step=0)
        if status != "RUNNING":
            client.set_terminated(run_id, status, end_time)
        if deleted:
            client.delete_run(run_id)
        return run_id

    def search(
        self,
        filter_string="",
        order_by=None,
        *,
        view=1,
        experiments=("Default",),
        max_results=1000,
    ) -> list[str]:
        runs = self.client.search_runs(
            [self.experiments[e] for e in experiments],
            filter_string,
            run_view_type=view,
            max_results=max_results,
            order_by=order_by,
        )
        return [self.names[run.info.run_id] for run in runs]

    def search_sql(self, filter_string="", order_by=None, view=1) -> list[str]:
        """The same search, run as SQL from build_run_search on the plain connection."""
        sql, args = build_run_search(
            [self.experiments["Default"]], filter_string, view, order_by, None
        )
        return [self.names[row[0]] for row in self.conn.execute(sql, args)]


@pytest.fixture
def book(tmp_path):
    book = RunBook(tmp_path / "mlflow.db")
    yield book
    book.conn.close()


# A small course-like sweep: two linear models, two XGBoost trials, one empty run, one
# deleted run and one run in another experiment. Newest first: bare, xgb_b, xgb_a,
# ridge, lasso.
ZOO = [
    dict(
        name="lasso",
        start_time=100,
        end_time=150,
        user="alice",
        metrics={"rmse": 7.5, "r2": 0.3},
        params={"model": "Lasso", "alpha": "0.1"},
        tags={"model": "linear", "developer": "Alice"},
    ),
    dict(
        name="ridge",
        start_time=200,
        end_time=250,
        status="FAILED",
        user="bob",
        metrics={"rmse": 8.0},
        params={"model": "Ridge", "alpha": "1.0"},
        tags={"model": "linear"},
    ),
    dict(
        name="xgb_a",
        start_time=300,
        end_time=350,
        user="alice",
        metrics={"rmse": 6.2},
        params={"model": "XGBRegressor", "max_depth": "4"},
        tags={"model": "xgboost"},
    ),
    dict(
        name="xgb_b",
        start_time=400,
        status="RUNNING",
        user="bob",
        metrics={"rmse": float("nan")},
        params={"model": "XGBRegressor", "max_depth": "10"},
        tags={"model": "xgboost"},
    ),
    dict(name="bare", start_time=500, end_time=550),
    dict(name="gone", start_time=600, deleted=True, metrics={"rmse": 5.0}),
    dict(name="elsewhere", start_time=700, experiment="other", metrics={"rmse": 1.0}),
]


def _fill(book):
    for spec in ZOO:
        book.add(**spec)
    return book


@pytest.fixture
def zoo(book):
    return _fill(book)


@pytest.fixture(scope="module")
def book_factory(tmp_path_factory):
    """Makes fresh, empty RunBooks that live as long as the test module."""
    books = []

    def make():
        books.append(RunBook(tmp_path_factory.mktemp("store") / "mlflow.db"))
        return books[-1]

    yield make
    for book in books:
        book.conn.close()


@pytest.fixture(scope="module")
def shared_zoo(tmp_path_factory):
    """The zoo, built once per test module, for tests that only search it."""
    book = _fill(RunBook(tmp_path_factory.mktemp("zoo") / "mlflow.db"))
    yield book
    book.conn.close()


# --- registry tables --------------------------------------------------------------------

REGISTRY_SCHEMA = """
CREATE TABLE registered_models (
    name TEXT PRIMARY KEY, creation_time INTEGER, last_updated_time INTEGER, description TEXT
);
CREATE TABLE registered_model_tags (
    name TEXT, key TEXT, value TEXT, PRIMARY KEY (name, key)
);
CREATE TABLE model_versions (
    name TEXT, version INTEGER, creation_time INTEGER, last_updated_time INTEGER,
    description TEXT, user_id TEXT, current_stage TEXT, source TEXT, run_id TEXT,
    run_link TEXT, status TEXT, status_message TEXT, storage_location TEXT,
    PRIMARY KEY (name, version)
);
CREATE TABLE model_version_tags (
    name TEXT, version INTEGER, key TEXT, value TEXT, PRIMARY KEY (name, version, key)
);
"""

# A small registry: ties on times, mixed-case names, tags on some rows only.
# name -> (creation_time, last_updated_time, tags)
MODELS = {
    "taxi-regressor": (100, 900, {"team": "ml", "stage": "prod"}),
    "taxi-classifier": (200, 700, {"team": "ml-ops"}),
    "churn": (300, 900, {"team": "data"}),
    "fraud_model": (400, 600, {}),
    "Churn-v2": (500, 800, {"stage": "dev", "note": "it's 50%"}),
}
# (name, version) -> (creation_time, last_updated_time, run_id, source, tags)
VERSIONS = {
    ("taxi-regressor", 1): (10, 50, "run1", "s3://models/taxi/1", {"validated": "yes"}),
    ("taxi-regressor", 2): (20, 80, "run2", "s3://models/taxi/2", {"validated": "no"}),
    ("taxi-regressor", 3): (30, 80, "run3", "/tmp/models/taxi/3", {}),
    ("taxi-classifier", 1): (40, 60, "run4", "s3://models/clf/1", {"validated": "yes"}),
    ("churn", 1): (50, 90, "run5", "/tmp/models/churn", {"owner": "Ana"}),
    ("churn", 2): (60, 90, "run1", "s3://models/churn/2", {"owner": "ana", "validated": "yes"}),
    ("fraud_model", 1): (70, 70, "run6", "s3://models/fraud_1", {}),
}


def _make_registry(path) -> sqlite3.Connection:
    """A SQLite file at ``path`` holding MODELS and VERSIONS."""
    conn = sqlite3.connect(path)
    conn.executescript(REGISTRY_SCHEMA)
    for name, (created, updated, tags) in MODELS.items():
        conn.execute("INSERT INTO registered_models VALUES (?, ?, ?, '')", (name, created, updated))
        conn.executemany(
            "INSERT INTO registered_model_tags VALUES (?, ?, ?)",
            [(name, k, v) for k, v in tags.items()],
        )
    for (name, version), (created, updated, run_id, source, tags) in VERSIONS.items():
        conn.execute(
            "INSERT INTO model_versions (name, version, creation_time, last_updated_time, "
            "current_stage, source, run_id, status) VALUES (?, ?, ?, ?, 'None', ?, ?, 'READY')",
            (name, version, created, updated, source, run_id),
        )
        conn.executemany(
            "INSERT INTO model_version_tags VALUES (?, ?, ?, ?)",
            [(name, version, k, v) for k, v in tags.items()],
        )
    conn.commit()
    return conn


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """The small registry above in a real SQLite file: ``.conn``, ``.models``, ``.versions``."""
    from types import SimpleNamespace

    conn = _make_registry(tmp_path_factory.mktemp("registry") / "registry.db")
    yield SimpleNamespace(conn=conn, models=MODELS, versions=VERSIONS)
    conn.close()
