"""Filter values and keys are data, never SQL: hostile strings find nothing and break nothing."""

from __future__ import annotations

import pytest

from minitrack.exceptions import MinitrackException
from minitrack.search import build_run_search

HOSTILE = [
    "params.model = '; DROP TABLE runs; --'",
    "params.model = 'x'' OR ''1''=''1'",
    'tags.model = "x"" OR 1=1 --"',
    "params.`x'; DROP TABLE runs; --` = 'a'",
    'metrics."rmse\') OR 1=1 --" > 0',
    "tags.`model` LIKE '%'' OR 1=1 --'",
    "run_id IN ('a''); DROP TABLE runs; --', 'b')",
    "run_name ILIKE '%\"; DELETE FROM params; --'",
]


def _row_counts(conn):
    return {
        table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in ("runs", "params", "tags", "metrics", "latest_metrics")
    }


@pytest.fixture
def small(book):
    book.add("lasso", start_time=1, params={"model": "Lasso"}, metrics={"rmse": 7.5})
    book.add("ridge", start_time=2, params={"model": "Ridge"}, tags={"model": "linear"})
    return book


@pytest.mark.parametrize("filter_string", HOSTILE)
def test_hostile_filters_match_nothing_and_leave_the_store_intact(small, filter_string):
    before = _row_counts(small.conn)
    assert small.search(filter_string) == []
    assert _row_counts(small.conn) == before
    assert small.search() == ["ridge", "lasso"]


@pytest.mark.parametrize(
    "order_by",
    [
        ["params.`model; DROP TABLE runs` DESC"],
        ['tags."x\'); DELETE FROM tags; --"'],
    ],
)
def test_hostile_order_by_keys_are_just_missing_keys(small, order_by):
    before = _row_counts(small.conn)
    assert small.search(order_by=order_by) == ["ridge", "lasso"]
    assert _row_counts(small.conn) == before


@pytest.mark.parametrize(
    "filter_string",
    [
        "params.model = 'x'; DROP TABLE runs",
        "params.model = 'x' OR 1=1",
        "1=1",
        "params.model = 'x' UNION SELECT run_uuid FROM runs",
    ],
)
def test_sql_outside_quotes_is_a_clear_error(small, filter_string):
    with pytest.raises(MinitrackException):
        small.search(filter_string)
    assert small.search() == ["ridge", "lasso"]


def test_no_filter_text_reaches_the_sql(small):
    marker = "Zq9_marker"
    sql, args = build_run_search(
        ["0"],
        f"params.`{marker}k` = '{marker}v' AND tags.{marker}t LIKE '{marker}%'"
        f" AND run_id IN ('{marker}i')",
        1,
        [f"metrics.`{marker}o` DESC"],
        10,
    )
    assert marker not in sql
    assert sum(marker in str(a) for a in args) == 5
