"""Searches stay fast at 100k runs because every clause is answered from an index.

SQLite's EXPLAIN QUERY PLAN says "SCAN <table>" when it would read a whole table; a
search must never do that, whatever the clauses.
"""

from __future__ import annotations

import pytest

from minitrack.search import build_run_search


@pytest.mark.parametrize(
    ("filter_string", "order_by"),
    [
        ("", None),
        ("metrics.rmse < 7", None),
        ("metrics.rmse != 7", None),
        ("params.model = 'Lasso'", None),
        ("params.model != 'Lasso'", None),
        ("tags.model LIKE 'xgb%'", None),
        ("tags.model ILIKE 'XGB%'", None),
        ("params.alpha IS NULL", None),
        ("tags.model IS NOT NULL", None),
        ("run_name = 'happy-cat-042'", None),
        ("run_id IN ('a', 'b')", None),
        ("status = 'FINISHED' AND start_time > 5", None),
        ("tags.model = 'xgboost' AND metrics.rmse < 7", ["metrics.rmse"]),
        ("", ["params.alpha DESC", "tags.model", "run_name"]),
    ],
)
def test_search_reads_no_table_in_full(shared_zoo, filter_string, order_by):
    sql, args = build_run_search(["0", "1"], filter_string, 3, order_by, 100)
    plan = [row[3] for row in shared_zoo.conn.execute("EXPLAIN QUERY PLAN " + sql, args)]
    assert not [step for step in plan if step.startswith("SCAN")], plan
