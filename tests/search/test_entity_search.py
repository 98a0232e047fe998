"""One grammar for every entity: registry SQL on real tables, bounds, totals, wording."""

from __future__ import annotations

import pytest

from minitrack.exceptions import INVALID_PARAMETER_VALUE, MinitrackException
from minitrack.search import (
    EXPERIMENTS,
    MAX_CLAUSES,
    MAX_LIST_VALUES,
    MAX_ORDER_BY,
    MODEL_VERSIONS,
    REGISTERED_MODELS,
    RUNS,
    build_model_version_search,
    build_registered_model_search,
    build_run_search,
    parse_filter,
)


def _rows(conn, built):
    sql, args = built
    return [tuple(row) if len(row) > 1 else row[0] for row in conn.execute(sql, args)]


# --- registry builders on real tables ---------------------------------------------------


def test_registered_models_sort_by_name_unless_told(registry):
    found = _rows(registry.conn, build_registered_model_search("", None, None))
    assert found == sorted(registry.models)  # byte order: 'Churn-v2' before 'churn'


def test_registered_models_filter_on_tags_and_sort_ties_by_name(registry):
    built = build_registered_model_search(
        "tags.team LIKE 'ml%'", ["last_updated_timestamp DESC"], 10
    )
    assert _rows(registry.conn, built) == ["taxi-regressor", "taxi-classifier"]
    built = build_registered_model_search("", ["last_updated_timestamp DESC"], 10)
    assert _rows(registry.conn, built) == [
        "churn",
        "taxi-regressor",
        "Churn-v2",
        "taxi-classifier",
        "fraud_model",
    ]


def test_model_versions_default_order_is_last_updated_then_name_then_newest(registry):
    found = _rows(registry.conn, build_model_version_search(None, None, None))
    expected = sorted(
        registry.versions,
        key=lambda nv: (-registry.versions[nv][1], nv[0], -nv[1]),
    )
    assert found == expected


def test_model_versions_filter_on_numbers_lists_and_tags(registry):
    built = build_model_version_search(
        "version_number >= 2 AND run_id IN ('run1', 'run2') AND tags.validated != 'maybe'",
        ["version_number"],
        None,
    )
    # Both are version 2: ties go to the name.
    assert _rows(registry.conn, built) == [("churn", 2), ("taxi-regressor", 2)]


def test_model_versions_pages_carry_the_total(registry):
    built = build_model_version_search("", ["name", "version_number"], 2, 1, with_total=True)
    assert _rows(registry.conn, built) == [
        ("churn", 2, len(registry.versions)),
        ("fraud_model", 1, len(registry.versions)),
    ]


def test_deleted_internal_versions_are_never_found(registry):
    conn = registry.conn
    conn.execute(
        "INSERT INTO model_versions (name, version, creation_time, last_updated_time, "
        "current_stage) VALUES ('churn', 3, 1, 1, 'Deleted_Internal')"
    )
    try:
        found = _rows(conn, build_model_version_search("name = 'churn'", None, None))
        assert ("churn", 3) not in found and len(found) == 2
    finally:
        conn.execute("DELETE FROM model_versions WHERE name = 'churn' AND version = 3")


def test_registry_filter_values_never_reach_the_sql():
    marker = "Zq9marker"
    for build in (build_registered_model_search, build_model_version_search):
        sql, args = build(
            f"name = '{marker}' AND tags.`{marker}` LIKE '%{marker}'", ["name DESC"], 5
        )
        assert marker not in sql
        assert sum(marker in str(a) for a in args) == 3


# --- bounds: every bad or huge filter is a clear INVALID_PARAMETER_VALUE ------------------


@pytest.mark.parametrize(
    ("filter_string", "words"),
    [
        ("metrics.x > 1e999", ["'1e999'", "too large"]),
        ("metrics.x > -1e999", ["too large"]),
        ("attribute.start_time > 99999999999999999999999", ["out of range", "start_time"]),
        ("attribute.end_time < 1e400", ["too large"]),
    ],
)
def test_huge_numbers_are_refused_with_the_number_named(filter_string, words):
    with pytest.raises(MinitrackException) as caught:
        build_run_search(["0"], filter_string, 1, None, 10)
    assert caught.value.error_code == INVALID_PARAMETER_VALUE
    for word in words:
        assert word in caught.value.message


def test_a_very_large_number_that_fits_still_works(zoo):
    assert zoo.search("metrics.rmse < 1e300 AND start_time < 9223372036854775807") == [
        "xgb_a",
        "ridge",
        "lasso",
    ]


def test_a_seventy_clause_filter_works(zoo):
    clauses = [f"params.model != 'm{i}'" for i in range(35)]
    clauses += [f"tags.model != 't{i}'" for i in range(34)] + ["metrics.rmse < 8"]
    assert len(clauses) == 70
    assert zoo.search(" AND ".join(clauses)) == ["xgb_a", "lasso"]


def test_a_filter_past_the_clause_bound_is_refused_with_the_bound(zoo):
    filter_string = " AND ".join(f"params.a{i} = 'x'" for i in range(MAX_CLAUSES + 1))
    with pytest.raises(MinitrackException, match=f"more than {MAX_CLAUSES} clauses"):
        zoo.search(filter_string)


def test_in_lists_past_the_value_bound_are_refused(zoo):
    ids = ", ".join(f"'id{i}'" for i in range(MAX_LIST_VALUES + 1))
    with pytest.raises(MinitrackException, match=f"more than {MAX_LIST_VALUES} values"):
        zoo.search(f"run_id IN ({ids})")


def test_long_order_by_lists_are_refused_with_the_bound(zoo):
    with pytest.raises(MinitrackException, match=f"at most {MAX_ORDER_BY}"):
        zoo.search(order_by=[f"params.p{i}" for i in range(MAX_ORDER_BY + 1)])
    assert zoo.search(order_by=[f"params.p{i}" for i in range(MAX_ORDER_BY)])


def test_whole_number_attributes_refuse_fractions():
    for build, filter_string in (
        (build_model_version_search, "version_number > 1.5"),
        (build_model_version_search, "version_number > 1e3"),
    ):
        with pytest.raises(MinitrackException, match="must be whole numbers"):
            build(filter_string, None, 10)


def test_run_pages_carry_the_total(zoo):
    sql, args = build_run_search([zoo.experiments["Default"]], "", 1, None, 2, 1, with_total=True)
    rows = zoo.conn.execute(sql, args).fetchall()
    assert [zoo.names[r[0]] for r in rows] == ["xgb_b", "xgb_a"]
    assert {r[1] for r in rows} == {5}


# --- the same wording for every entity ---------------------------------------------------

_TABLES = [RUNS, EXPERIMENTS, REGISTERED_MODELS, MODEL_VERSIONS]


def _message(filter_string, table):
    with pytest.raises(MinitrackException) as caught:
        parse_filter(filter_string, table)
    assert caught.value.error_code == INVALID_PARAMETER_VALUE
    return caught.value.message


@pytest.mark.parametrize(
    ("filter_string", "template"),
    [
        ("name = 'a' OR name = 'b'", "OR is not supported (in 'OR name = 'b''): join clauses"),
        ("name = 'a' AND", "the filter 'name = 'a' AND' ends with AND"),
        ("name = a", "attribute values must be quoted strings, got 'a' in the clause on 'name'"),
        ("name == 'a'", "'==' in the clause on 'name' is not a comparator: use '='"),
        ("tags.k = 'a", "has no closing '"),
        ("tags.k = 1", "tag values must be quoted strings, got '1' in the clause on 'tags.k'"),
        ("tags.k > 'a'", "'>' cannot be used on 'tags.k': comparators for tags are"),
        ("(tags.k = 'a')", "parentheses are not supported"),
        ("tags.k = 'a'; DROP", "';' is not allowed in a filter"),
        ("owner = 'x'", "unknown attribute 'owner' in 'owner':"),
        ("foo.k = 'x'", "unknown entity 'foo' in 'foo.k': use"),
    ],
)
def test_errors_read_the_same_for_every_entity(filter_string, template):
    if filter_string.startswith("name") and "== " not in filter_string:
        tables = [t for t in _TABLES if t.attribute("name") and t.attribute("name").searchable]
    else:
        tables = [t for t in _TABLES if t is not RUNS or not filter_string.startswith("name")]
    for table in tables:
        assert template in _message(filter_string, table), table.name


@pytest.mark.parametrize("table", _TABLES, ids=lambda t: t.table)
def test_like_and_ilike_compile_the_same_for_every_entity(table):
    from minitrack.search.sql import _Query

    query = _Query(table)
    (clause,) = parse_filter("tags.k LIKE 'a_b%' AND tags.k ILIKE 'X*'", table)[:1]
    query.add_filter(clause)
    assert query.join_args == ["k", "a?b*"]
    assert query.joins[0].endswith("f0.value GLOB ?")


def test_prompts_are_hidden_unless_the_filter_asks_for_them(registry):
    # MLflow 3's client sends ``tags.`mlflow.prompt.is_prompt` != 'true'`` with every
    # search_registered_models: models lack the tag and must still be found.
    registry.conn.execute(
        "INSERT INTO registered_model_tags (name, key, value) "
        "VALUES ('churn', 'mlflow.prompt.is_prompt', 'true')"
    )
    models = sorted(set(registry.models) - {"churn"})
    default = build_registered_model_search("", None, None)
    client_filter = "tags.`mlflow.prompt.is_prompt` != 'true'"
    assert _rows(registry.conn, default) == models
    assert _rows(registry.conn, build_registered_model_search(client_filter, None, None)) == models
    prompts = build_registered_model_search("tags.`mlflow.prompt.is_prompt` = 'true'", None, None)
    assert _rows(registry.conn, prompts) == ["churn"]
    both = build_registered_model_search(f"{client_filter} AND name LIKE 'taxi%'", None, None)
    assert _rows(registry.conn, both) == [m for m in models if m.startswith("taxi")]
