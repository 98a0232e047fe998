"""Searches on large stores: right answers, and plans that never read a table in full.

Metrics and params have no (key, value) index: each would cost every log_metric or
log_param one more page write (schema migration 4). A filter or sort on them probes each
run's row by primary key instead, in time linear in the experiment's runs: about 7 ms at
10k runs and 100 ms at 100k on a 2-core machine, filtered or not. Tags keep their index, so
a tag filter sorted on that tag reads the matches in order and stops after ``max_results``.

The 10,000-run store runs in CI (it takes about two seconds to fill); the 100,000-run
store runs only with ``MINITRACK_LARGE_TESTS=1``.
"""

from __future__ import annotations

import math
import os
import sqlite3

import pytest

from minitrack import MlflowClient
from minitrack.entities import Metric, Param, RunTag
from minitrack.search import build_run_search

LARGE = pytest.param(
    100_000,
    marks=[
        pytest.mark.slow,
        pytest.mark.skipif(
            os.environ.get("MINITRACK_LARGE_TESTS") != "1",
            reason="fills 100,000 runs: set MINITRACK_LARGE_TESTS=1 to run it",
        ),
    ],
)


class Sweep:
    """A store of ``size`` runs logged through the client, and what each run holds."""

    def __init__(self, path, size: int) -> None:
        client = MlflowClient(tracking_uri=f"sqlite:///{path}")
        self.experiment_id = client.create_experiment("sweep")
        self.runs: list[dict] = []
        for i in range(size):
            # Three runs per start time and 400 distinct rmse values: plenty of ties.
            rmse = round(5 + (i * 37 % 400) / 100, 2)
            if i % 50 == 0:
                rmse = math.nan
            elif i % 70 == 0:
                rmse = None  # this run never logged rmse
            alpha = str((i % 10) / 10) if i % 3 == 0 else None
            run = client.create_run(self.experiment_id, start_time=i // 3, run_name=f"t{i}")
            client.log_batch(
                run.info.run_id,
                metrics=[Metric("training_time", i % 97, 0, 0)]
                + ([Metric("rmse", rmse, 0, 0)] if rmse is not None else []),
                params=[Param("alpha", alpha)] if alpha is not None else [],
                tags=[RunTag("model", "linear" if i % 5 == 0 else "xgboost")],
            )
            self.runs.append({"id": run.info.run_id, "start": i // 3, "rmse": rmse, "alpha": alpha})
        self.client = client
        self.conn = sqlite3.connect(path)

    def search(self, filter_string: str, order_by: list[str], max_results: int = 100):
        runs = self.client.search_runs(
            [self.experiment_id], filter_string, order_by=order_by, max_results=max_results
        )
        return [run.info.run_id for run in runs]

    def search_all(self, filter_string: str, order_by: list[str]) -> list[str]:
        """Every match, in order (search_runs caps max_results at 50,000, as MLflow does)."""
        sql, args = build_run_search([self.experiment_id], filter_string, 1, order_by, None)
        return [row[0] for row in self.conn.execute(sql, args)]

    def work(self, filter_string: str, order_by: list[str]) -> int:
        """SQLite virtual-machine steps (in thousands) to find the first 100 runs.

        A count of the work done, not a time: it does not depend on how busy the machine is.
        """
        sql, args = build_run_search([self.experiment_id], filter_string, 1, order_by, 100)
        steps = 0

        def count() -> int:
            nonlocal steps
            steps += 1
            return 0

        self.conn.set_progress_handler(count, 1000)
        try:
            self.conn.execute(sql, args).fetchall()
        finally:
            self.conn.set_progress_handler(None, 0)
        return steps

    def plan(self, filter_string: str, order_by: list[str]) -> list[str]:
        sql, args = build_run_search([self.experiment_id], filter_string, 1, order_by, 100)
        return [row[3] for row in self.conn.execute("EXPLAIN QUERY PLAN " + sql, args)]


@pytest.fixture(scope="module", params=[10_000, LARGE], ids=["10k", "100k"])
def sweep(request, tmp_path_factory):
    sweep = Sweep(tmp_path_factory.mktemp("sweep") / "mlflow.db", request.param)
    yield sweep
    sweep.conn.close()


def by_rmse(runs, descending=False):
    """MLflow's order: real numbers by value, then NaN, then missing; ties newest first."""

    def key(run):
        value = run["rmse"]
        if value is None:
            return (2, 0, -run["start"], run["id"])
        if math.isnan(value):
            return (1, 0, -run["start"], run["id"])
        return (0, -value if descending else value, -run["start"], run["id"])

    return [run["id"] for run in sorted(runs, key=key)]


@pytest.mark.parametrize("descending", [False, True], ids=["ASC", "DESC"])
def test_metric_filtered_and_sorted_on_gives_the_full_sort_order(sweep, descending):
    order = ["metrics.rmse DESC" if descending else "metrics.rmse"]
    kept = [r for r in sweep.runs if r["rmse"] is not None and r["rmse"] < 6]
    assert sweep.search("metrics.rmse < 6", order) == by_rmse(kept, descending)[:100]


def test_not_equal_keeps_nan_runs_and_sorts_them_after_numbers(sweep):
    kept = [r for r in sweep.runs if r["rmse"] is not None and r["rmse"] != 5.0]
    found = sweep.search_all("metrics.rmse != 5.0", ["metrics.rmse DESC"])
    assert found == by_rmse(kept, descending=True)
    assert any(math.isnan(r["rmse"]) for r in kept)


def test_param_filtered_and_sorted_on_gives_the_full_sort_order(sweep):
    kept = [r for r in sweep.runs if r["alpha"] is not None and r["alpha"].startswith("0.")]
    expected = sorted(kept, key=lambda r: (r["alpha"], -r["start"], r["id"]))
    found = sweep.search("params.alpha LIKE '0.%'", ["params.alpha"])
    assert found == [r["id"] for r in expected][:100]


def test_a_tag_filter_sorted_on_its_tag_reads_the_tag_index_in_order(sweep):
    plan = sweep.plan("tags.model = 'xgboost'", ["tags.model", "start_time"])
    # Only ties on the value are sorted (the "right part"), never the whole match set.
    assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan
    assert "idx_tags_key_value" in plan[0], plan


@pytest.mark.parametrize(
    ("filter_string", "order_by"),
    [
        ("metrics.rmse < 6", ["metrics.rmse"]),
        ("metrics.rmse >= 6", ["metrics.training_time DESC"]),
        ("params.alpha LIKE '0.%'", ["params.alpha DESC"]),
    ],
)
def test_metric_and_param_filters_look_each_run_up_by_primary_key(sweep, filter_string, order_by):
    plan = sweep.plan(filter_string, order_by)
    assert any("USING PRIMARY KEY (run_uuid=? AND key=?)" in step for step in plan), plan
    assert not any(step.startswith("SCAN") for step in plan), plan


def test_a_long_metric_history_does_not_slow_the_search(sweep):
    # Search reads each run's latest value, never the history: 2,000 more steps of rmse
    # in one run leave the work of a sorted search where it was.
    before = sweep.work("metrics.rmse < 6", ["metrics.rmse"])
    run_id = sweep.runs[1]["id"]
    sweep.client.log_batch(
        run_id, metrics=[Metric("rmse", 9.0 + step / 1000, 0, step) for step in range(1, 1001)]
    )
    sweep.client.log_batch(
        run_id, metrics=[Metric("rmse", 8.0 + step / 1000, 0, step) for step in range(1001, 2001)]
    )
    sweep.runs[1]["rmse"] = 10.0  # the store is shared: keep its record of latest values true
    after = sweep.work("metrics.rmse < 6", ["metrics.rmse"])
    assert after <= before * 1.05 + 1, (before, after)
