"""Which runs a search returns, and in which order, on a real SQLite store."""

from __future__ import annotations

import pytest

NAN = float("nan")
INF = float("inf")

# The zoo fixture (conftest.py) is listed newest first here.
NEWEST_FIRST = ["bare", "xgb_b", "xgb_a", "ridge", "lasso"]


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("", NEWEST_FIRST),
        # metrics compare the latest value; NaN matches only !=
        ("metrics.rmse < 7.5", ["xgb_a"]),
        ("metrics.rmse <= 7.5", ["xgb_a", "lasso"]),
        ("metrics.rmse > 0", ["xgb_a", "ridge", "lasso"]),
        ("metrics.rmse = 6.2", ["xgb_a"]),
        ("metrics.rmse != 6.2", ["xgb_b", "ridge", "lasso"]),
        ("metrics.rmse >= -1e9", ["xgb_a", "ridge", "lasso"]),
        ("metrics.r2 > 0", ["lasso"]),
        ("metrics.missing > 0", []),
        # params: exact, != skips runs without the key, LIKE case-sensitive, ILIKE not
        ("params.model = 'Lasso'", ["lasso"]),
        ("params.model = 'lasso'", []),
        ("params.model != 'Lasso'", ["xgb_b", "xgb_a", "ridge"]),
        ("params.model LIKE 'XGB%'", ["xgb_b", "xgb_a"]),
        ("params.model LIKE 'xgb%'", []),
        ("params.model ILIKE 'xgb%'", ["xgb_b", "xgb_a"]),
        ("params.model LIKE '_idge'", ["ridge"]),
        ("params.model LIKE '%e%'", ["xgb_b", "xgb_a", "ridge"]),
        ("params.model LIKE '%'", ["xgb_b", "xgb_a", "ridge", "lasso"]),
        ('params.alpha = "0.1"', ["lasso"]),
        ("params.max_depth IS NOT NULL", ["xgb_b", "xgb_a"]),
        ("params.max_depth IS NULL", ["bare", "ridge", "lasso"]),
        # tags, including the run-name system tag
        ("tags.model = 'xgboost'", ["xgb_b", "xgb_a"]),
        ("tags.model != 'xgboost'", ["ridge", "lasso"]),
        ("tags.model IS NULL", ["bare"]),
        ("tags.developer ILIKE 'alice'", ["lasso"]),
        ("tags.developer LIKE 'alice'", []),
        ("tags.mlflow.runName = 'ridge'", ["ridge"]),
        # string attributes
        ("status = 'FINISHED'", ["bare", "xgb_a", "lasso"]),
        ("attributes.status != 'FINISHED'", ["xgb_b", "ridge"]),
        ("run.status LIKE 'F%'", ["bare", "xgb_a", "ridge", "lasso"]),
        ("status ILIKE 'running'", ["xgb_b"]),
        ("user_id = 'alice'", ["xgb_a", "lasso"]),
        ("run_name = 'ridge'", ["ridge"]),
        ("run_name LIKE 'xgb%'", ["xgb_b", "xgb_a"]),
        ("`Run Name` = 'lasso'", ["lasso"]),
        ("run_name != 'bare'", ["xgb_b", "xgb_a", "ridge", "lasso"]),
        ("artifact_uri LIKE '%/artifacts'", NEWEST_FIRST),
        # numeric attributes; a run without end_time matches no end_time comparison
        ("start_time >= 300", ["bare", "xgb_b", "xgb_a"]),
        ("created < 300", ["ridge", "lasso"]),
        ("attributes.end_time != 350", ["bare", "ridge", "lasso"]),
        ("end_time > 0", ["bare", "xgb_a", "ridge", "lasso"]),
        # clauses combine with AND
        ("tags.model = 'xgboost' AND metrics.rmse < 7", ["xgb_a"]),
        ("params.model = 'XGBRegressor' and params.max_depth = '10'", ["xgb_b"]),
        ("metrics.rmse > 6 AND metrics.rmse < 8", ["xgb_a", "lasso"]),
        ("status = 'FINISHED' AND tags.model IS NULL", ["bare"]),
    ],
)
def test_filter_returns_the_matching_runs(shared_zoo, filter_string, expected):
    assert shared_zoo.search(filter_string) == expected


def test_run_id_in_and_not_in(zoo):
    a, b = zoo.ids["lasso"], zoo.ids["xgb_a"]
    assert zoo.search(f"run_id IN ('{a}', '{b}')") == ["xgb_a", "lasso"]
    assert zoo.search(f"attributes.run_id NOT IN ('{a}', '{b}')") == ["bare", "xgb_b", "ridge"]
    assert zoo.search(f"run_id = '{a}'") == ["lasso"]
    assert zoo.search("run_id IN ('no-such-run')") == []


def test_view_type_and_experiments_choose_the_runs_searched(zoo):
    assert zoo.search(view=2) == ["gone"]
    assert zoo.search(view=3) == ["gone", *NEWEST_FIRST]
    assert zoo.search("metrics.rmse < 6", view=3) == ["gone"]
    assert zoo.search(experiments=("Default", "other")) == ["elsewhere", *NEWEST_FIRST]
    assert zoo.search(experiments=("other",)) == ["elsewhere"]
    assert zoo.search(experiments=()) == []


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        (None, NEWEST_FIRST),
        ([], NEWEST_FIRST),
        # numbers first, then NaN, then runs without the metric, in both directions
        (["metrics.rmse"], ["xgb_a", "lasso", "ridge", "xgb_b", "bare"]),
        (["metrics.rmse ASC"], ["xgb_a", "lasso", "ridge", "xgb_b", "bare"]),
        (["metrics.rmse DESC"], ["ridge", "lasso", "xgb_a", "xgb_b", "bare"]),
        # equal values keep the default order (newest first)
        (["params.model"], ["lasso", "ridge", "xgb_b", "xgb_a", "bare"]),
        (["params.model DESC"], ["xgb_b", "xgb_a", "ridge", "lasso", "bare"]),
        (["tags.model DESC"], ["xgb_b", "xgb_a", "ridge", "lasso", "bare"]),
        (["tags.model", "metrics.rmse"], ["lasso", "ridge", "xgb_a", "xgb_b", "bare"]),
        (["tags.noSuchTag"], NEWEST_FIRST),
        (["start_time"], ["lasso", "ridge", "xgb_a", "xgb_b", "bare"]),
        (["created ASC"], ["lasso", "ridge", "xgb_a", "xgb_b", "bare"]),
        (["end_time DESC"], ["bare", "xgb_a", "ridge", "lasso", "xgb_b"]),
        (["end_time"], ["lasso", "ridge", "xgb_a", "bare", "xgb_b"]),
        (["attributes.status"], ["ridge", "bare", "xgb_a", "lasso", "xgb_b"]),
        (["status DESC", "user_id"], ["xgb_b", "xgb_a", "lasso", "bare", "ridge"]),
        (["run_name"], ["bare", "lasso", "ridge", "xgb_a", "xgb_b"]),
        (["`Run Name` DESC"], ["xgb_b", "xgb_a", "ridge", "lasso", "bare"]),
    ],
)
def test_order_by_sorts_the_runs(shared_zoo, order_by, expected):
    assert shared_zoo.search(order_by=order_by) == expected


def test_filter_and_order_by_together(zoo):
    assert zoo.search("tags.model != 'nothing'", ["metrics.rmse DESC"]) == [
        "ridge",
        "lasso",
        "xgb_a",
        "xgb_b",
    ]


def test_metric_order_with_nan_infinities_and_missing(book):
    # MLflow's own sort case: real numbers (and infinities) first, then NaN, then missing.
    for n, value in enumerate([NAN, INF, -INF, -1000.0, 0.0, 1000.0, None]):
        book.add(str(value), start_time=n, metrics={} if value is None else {"x": value})
    assert book.search(order_by=["metrics.x asc"]) == [
        "-inf",
        "-1000.0",
        "0.0",
        "1000.0",
        "inf",
        "nan",
        "None",
    ]
    assert book.search(order_by=["metrics.x desc"]) == [
        "inf",
        "1000.0",
        "0.0",
        "-1000.0",
        "-inf",
        "nan",
        "None",
    ]
    assert book.search("metrics.x > 999") == ["1000.0", "inf"]
    assert book.search("metrics.x != 0") == ["1000.0", "-1000.0", "-inf", "inf", "nan"]


def test_ties_are_broken_by_run_id(book):
    for name in ["c", "a", "b"]:
        book.add(name, start_time=5, params={"p": "same"})
    by_id = sorted(["c", "a", "b"], key=lambda n: book.ids[n])
    assert book.search() == by_id
    assert book.search(order_by=["params.p DESC"]) == by_id
    assert book.search(order_by=["start_time DESC"]) == by_id


def test_pages_follow_the_result_order(zoo):
    client, default = zoo.client, zoo.experiments["Default"]
    pages, token = [], None
    while True:
        page = client.search_runs([default], max_results=2, page_token=token)
        pages.append([zoo.names[run.info.run_id] for run in page])
        token = page.token
        if token is None:
            break
    assert pages == [["bare", "xgb_b"], ["xgb_a", "ridge"], ["lasso"]]
    second = client.search_runs(
        [default], "metrics.rmse > 0", order_by=["metrics.rmse"], max_results=1
    )
    third = client.search_runs(
        [default], "metrics.rmse > 0", order_by=["metrics.rmse"], page_token=second.token
    )
    assert [zoo.names[r.info.run_id] for r in third] == ["lasso", "ridge"]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("a*b", ["star"]),
        ("a?b", ["question"]),
        ("[x]", ["brackets"]),
        ("a_b", ["plain", "question", "star"]),
        ("%]", ["brackets"]),
        ("A%", []),
    ],
)
def test_like_treats_only_percent_and_underscore_as_wildcards(book, pattern, expected):
    for start, (name, value) in enumerate(
        [("star", "a*b"), ("question", "a?b"), ("brackets", "[x]"), ("plain", "axb")]
    ):
        book.add(name, start_time=start, params={"p": value})
    assert sorted(book.search(f"params.p LIKE '{pattern}'")) == expected


def test_like_is_case_sensitive_whatever_the_connection_pragma_says(zoo):
    for pragma in ("ON", "OFF"):
        zoo.conn.execute(f"PRAGMA case_sensitive_like = {pragma}")
        assert zoo.search_sql("params.model LIKE 'ridge'") == []
        assert zoo.search_sql("params.model LIKE 'Ridge'") == ["ridge"]
        assert zoo.search_sql("params.model ILIKE 'RIDGE'") == ["ridge"]
