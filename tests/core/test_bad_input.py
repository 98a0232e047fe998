"""Bad input: each mistake gets an error that names it, and the store is left unchanged."""

from __future__ import annotations

import sqlite3
import uuid

import pytest

import minitrack as mlflow
from minitrack.entities import Metric, Param


@pytest.fixture
def populated(tracking_uri, tmp_path):
    """A store with one finished run and one active run, as a student's would look."""
    mlflow.set_experiment("lesson")
    with mlflow.start_run(run_name="done") as done:
        mlflow.log_param("alpha", "0.5")
        mlflow.log_metric("rmse", 6.0)
    active = mlflow.start_run(run_name="active")
    mlflow.log_param("depth", "3")
    yield {"done": done.info.run_id, "active": active.info.run_id, "db": tmp_path / "mlflow.db"}
    mlflow.end_run()


def _dump(db) -> list[str]:
    with sqlite3.connect(db) as conn:
        return list(conn.iterdump())


C = mlflow.MlflowClient
LONG_KEY = "k" * 251
UNKNOWN_RUN = uuid.uuid4().hex

# (id, call, words the message must contain). `ids` is the populated fixture.
CASES = [
    (
        "filter-semicolon",
        lambda ids: mlflow.search_runs(filter_string="metric.acc >= 0.94; metrics.rmse < 1"),
        "';' is not allowed",
    ),
    (
        "filter-bad-entity",
        lambda ids: mlflow.search_runs(filter_string="m.acc >= 0.94"),
        "unknown entity 'm'",
    ),
    (
        "filter-bare-name",
        lambda ids: mlflow.search_runs(filter_string="acc >= 0.94"),
        "unknown attribute 'acc'",
    ),
    (
        "filter-or",
        lambda ids: mlflow.search_runs(filter_string="metrics.A > 0.1 OR params.B = 'LR'"),
        "OR is not supported",
    ),
    (
        "filter-quoted-metric",
        lambda ids: mlflow.search_runs(filter_string="metric.model = '5'"),
        "metric values must be numbers",
    ),
    (
        "filter-unquoted-param",
        lambda ids: mlflow.search_runs(filter_string="params.acc = 5"),
        "param values must be quoted",
    ),
    (
        "filter-typo-and",
        lambda ids: mlflow.search_runs(filter_string="metrics.rmse < 1 andd params.x = 'a'"),
        "andd",
    ),
    (
        "order-by-direction",
        lambda ids: mlflow.search_runs(order_by=["metrics.rmse SIDEWAYS"]),
        "SIDEWAYS",
    ),
    ("metric-bool", lambda ids: mlflow.log_metric("acc", True), "got bool"),
    ("metric-str", lambda ids: mlflow.log_metric("acc", "0.9"), "got str"),
    ("metric-none", lambda ids: mlflow.log_metric("acc", None), "not None"),
    ("metric-object", lambda ids: mlflow.log_metric("acc", object()), "got object"),
    ("step-float", lambda ids: mlflow.log_metric("acc", 0.9, step=1.5), "must be an integer"),
    ("step-nan", lambda ids: mlflow.log_metric("acc", 0.9, step=float("nan")), "whole number"),
    ("step-str", lambda ids: mlflow.log_metric("acc", 0.9, step="3"), "got str"),
    (
        "timestamp-inf",
        lambda ids: mlflow.log_metric("acc", 0.9, timestamp=float("inf")),
        "timestamp of metric 'acc'",
    ),
    (
        "timestamp-negative",
        lambda ids: mlflow.log_metric("acc", 0.9, timestamp=-5),
        "milliseconds since the epoch",
    ),
    ("key-too-long", lambda ids: mlflow.log_metric(LONG_KEY, 1.0), "the maximum is 250"),
    ("key-bad-char", lambda ids: mlflow.log_param("a*b", 1), "Names may only contain"),
    ("key-dotdot", lambda ids: mlflow.set_tag("../escape", 1), "would resolve to"),
    ("key-none", lambda ids: mlflow.log_metric(None, 1.0), "key must be provided"),
    (
        "param-changed",
        lambda ids: mlflow.log_param("depth", "4"),
        "Changing param values is not allowed",
    ),
    (
        "batch-changed-param",
        lambda ids: C().log_batch(
            ids["done"], metrics=[Metric("new", 1.0, 0, 0)], params=[Param("alpha", "0.7")]
        ),
        "key='alpha' was already logged with value='0.5'",
    ),
    (
        "unknown-run",
        lambda ids: C().log_metric(UNKNOWN_RUN, "m", 1.0),
        f"Run with id={UNKNOWN_RUN} not found",
    ),
    ("malformed-run-id", lambda ids: C().get_run("not a run id!"), "a run id is a string"),
    ("resume-unknown-run", lambda ids: C().set_terminated(UNKNOWN_RUN), "not found"),
    ("experiment-empty-name", lambda ids: mlflow.create_experiment(""), "non-empty string"),
    ("experiment-long-name", lambda ids: mlflow.create_experiment("e" * 501), "maximum is 500"),
    ("experiment-bad-id", lambda ids: mlflow.get_experiment("abc"), "must be a valid integer"),
    (
        "experiment-missing-id",
        lambda ids: mlflow.set_experiment(experiment_id="99"),
        "No Experiment with id=99",
    ),
    ("experiment-duplicate", lambda ids: mlflow.create_experiment("lesson"), "already exists"),
    (
        "batch-wrong-type",
        lambda ids: C().log_batch(ids["done"], metrics=[("m", 1.0)]),
        "log_batch takes minitrack.entities.Metric",
    ),
    ("log-text-not-str", lambda ids: mlflow.log_text({"a": 1}, "a.txt"), "use log_dict"),
    ("max-results-zero", lambda ids: mlflow.search_runs(max_results=0), "positive integer"),
    ("view-type", lambda ids: mlflow.search_runs(run_view_type=7), "run_view_type"),
    (
        "end-run-status",
        lambda ids: C().set_terminated(ids["done"], "DONE"),
        "Invalid run status 'DONE'",
    ),
    (
        "artifact-escape",
        lambda ids: mlflow.log_text("x", "../../x.txt"),
        "which would leave the run's artifact folder",
    ),
    ("nested-without-flag", lambda ids: mlflow.start_run(), "is already active"),
]


@pytest.mark.parametrize(("call", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_explained_and_changes_nothing(populated, call, words):
    before = _dump(populated["db"])
    with pytest.raises(mlflow.MinitrackException) as err:
        call(populated)
    assert words in str(err.value)
    assert _dump(populated["db"]) == before


def test_there_are_at_least_25_cases():
    assert len(CASES) >= 25
