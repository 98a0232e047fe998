"""Parsed search clauses turned into one parameterised SELECT over the store's tables.

Only fixed table/column names and comparator tokens from the tables below are ever
written into SQL text; every key and value from the user travels as a bound parameter.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from minitrack.exceptions import INVALID_PARAMETER_VALUE, MinitrackException
from minitrack.search.grammar import (
    ATTRIBUTE,
    METRIC,
    PARAM,
    TAG,
    Comparison,
    OrderBy,
    parse_filter,
    parse_order_by,
)

ACTIVE_ONLY, DELETED_ONLY, ALL = 1, 2, 3
_STAGES = {ACTIVE_ONLY: ("active",), DELETED_ONLY: ("deleted",), ALL: ()}

# MLflow takes the run name from the mlflow.runName tag and falls back on the column.
_RUN_NAME_TAG = "mlflow.runName"
_RUN_NAME_SQL = (
    "COALESCE((SELECT t.value FROM tags AS t WHERE t.run_uuid = runs.run_uuid "
    "AND t.key = ?), runs.name)"
)
# Attribute -> SQL expression on the runs table.
_ATTRIBUTE_SQL = {
    "run_id": "runs.run_uuid",
    "status": "runs.status",
    "user_id": "runs.user_id",
    "artifact_uri": "runs.artifact_uri",
    "start_time": "runs.start_time",
    "end_time": "runs.end_time",
    "run_name": _RUN_NAME_SQL,
}
_TABLE = {METRIC: "latest_metrics", PARAM: "params", TAG: "tags"}
_PLAIN_OPERATORS = {"=": "=", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def _error(message: str) -> MinitrackException:
    return MinitrackException(message, error_code=INVALID_PARAMETER_VALUE)


def like_to_glob(pattern: str) -> str:
    """Rewrite a SQL LIKE pattern as a GLOB pattern.

    GLOB is case-sensitive whatever ``PRAGMA case_sensitive_like`` says, which makes
    LIKE behave as MLflow documents it on every connection. ``%`` and ``_`` become
    ``*`` and ``?``; GLOB's own wildcards in the pattern are made literal.
    """
    out = []
    for ch in pattern:
        if ch == "%":
            out.append("*")
        elif ch == "_":
            out.append("?")
        elif ch in "*?[":
            out.append(f"[{ch}]")
        else:
            out.append(ch)
    return "".join(out)


def _compare(column: str, comparator: str, value: object, args: list[object]) -> str:
    """SQL for ``column <comparator> value``, appending the bound values to ``args``."""
    if comparator == "LIKE":
        args.append(like_to_glob(str(value)))
        return f"{column} GLOB ?"
    if comparator == "ILIKE":
        # lower() on both sides: SQLite folds ASCII letters only, the same for both.
        args.append(like_to_glob(str(value)))
        return f"lower({column}) GLOB lower(?)"
    if comparator in ("IN", "NOT IN"):
        values = list(value)  # type: ignore[arg-type]
        args.extend(values)
        marks = ", ".join("?" for _ in values)
        return f"{column} {comparator} ({marks})"
    operator = _PLAIN_OPERATORS.get(comparator)
    if operator is None:  # the grammar never lets one through; keep SQL text whitelisted
        raise _error(f"unsupported comparator '{comparator}'")
    args.append(value)
    return f"{column} {operator} ?"


def _filter_sql(clause: Comparison, args: list[object]) -> str:
    if clause.entity == ATTRIBUTE:
        if clause.key == "run_name":
            args.append(_RUN_NAME_TAG)
        return _compare(_ATTRIBUTE_SQL[clause.key], clause.comparator, clause.value, args)

    table = _TABLE[clause.entity]
    args.append(clause.key)
    exists = f"SELECT 1 FROM {table} AS f WHERE f.run_uuid = runs.run_uuid AND f.key = ?"
    if clause.comparator == "IS NULL":
        return f"NOT EXISTS ({exists})"
    if clause.comparator == "IS NOT NULL":
        return f"EXISTS ({exists})"
    condition = _compare("f.value", clause.comparator, clause.value, args)
    if clause.entity == METRIC:
        # NaN is stored as NULL with is_nan = 1: it equals nothing, differs from everything.
        if clause.comparator == "!=":
            condition = f"(f.is_nan = 1 OR {condition})"
        else:
            condition = f"f.is_nan = 0 AND {condition}"
    return f"EXISTS ({exists} AND {condition})"


def _order_sql(
    order_by: Sequence[OrderBy], join_args: list[object], order_args: list[object]
) -> tuple[list[str], list[str]]:
    """LEFT JOINs that bring each sort key next to its run, and the ORDER BY terms."""
    joins: list[str] = []
    terms: list[str] = []
    for n, item in enumerate(order_by):
        direction = "" if item.ascending else " DESC"
        if item.entity == ATTRIBUTE:
            column = _ATTRIBUTE_SQL[item.key]
            if item.key == "run_name":
                order_args.extend([_RUN_NAME_TAG, _RUN_NAME_TAG])
            # Missing values sort last both ways, as in MLflow.
            terms.append(f"{column} IS NULL")
            terms.append(f"{column}{direction}")
            continue
        alias = f"o{n}"
        joins.append(
            f"LEFT JOIN {_TABLE[item.entity]} AS {alias} "
            f"ON {alias}.run_uuid = runs.run_uuid AND {alias}.key = ?"
        )
        join_args.append(item.key)
        if item.entity == METRIC:
            # Real numbers first, then NaN, then runs without the metric, both ways.
            terms.append(
                f"CASE WHEN {alias}.is_nan = 1 THEN 1 WHEN {alias}.value IS NULL THEN 2 ELSE 0 END"
            )
        else:
            terms.append(f"{alias}.value IS NULL")
        terms.append(f"{alias}.value{direction}")
    if not any(o.entity == ATTRIBUTE and o.key == "start_time" for o in order_by):
        terms.append("runs.start_time DESC")
    terms.append("runs.run_uuid")
    return joins, terms


def _experiment_ids(experiment_ids: Iterable[object]) -> list[int]:
    if isinstance(experiment_ids, (str, int)):
        experiment_ids = [experiment_ids]
    ids = []
    for eid in experiment_ids:
        try:
            if isinstance(eid, bool):
                raise ValueError
            ids.append(int(eid))  # type: ignore[call-overload]
        except (TypeError, ValueError):
            raise _error(
                f"experiment id {eid!r} is not an experiment id: pass ids such as '0' or '1' "
                "(get them from get_experiment_by_name(name).experiment_id)"
            ) from None
    return ids


def _count(name: str, value: object, allow_none: bool) -> int:
    if value is None and allow_none:
        return -1  # SQLite: LIMIT -1 means no limit
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _error(f"{name} must be a whole number >= 0, got {value!r}")
    return value


def build_run_search(
    experiment_ids: Iterable[object],
    filter_string: str | None,
    run_view_type: int,
    order_by: list[str] | None,
    max_results: int | None,
    offset: int = 0,
) -> tuple[str, list[object]]:
    """SQL selecting ``runs.run_uuid`` of the matching runs, in result order.

    ``run_view_type`` is 1 (active runs), 2 (deleted runs) or 3 (all). ``max_results``
    None means no limit. Returns ``(sql, args)`` for ``connection.execute``.
    """
    if run_view_type not in _STAGES or isinstance(run_view_type, bool):
        raise _error(
            f"run_view_type must be 1 (ACTIVE_ONLY), 2 (DELETED_ONLY) or 3 (ALL), "
            f"got {run_view_type!r}"
        )
    ids = _experiment_ids(experiment_ids)
    limit = _count("max_results", max_results, allow_none=True)
    skip = _count("offset", offset, allow_none=False)
    clauses = parse_filter(filter_string)
    orders = parse_order_by(order_by)

    join_args: list[object] = []
    where_args: list[object] = []
    order_args: list[object] = []
    joins, terms = _order_sql(orders, join_args, order_args)

    where = []
    if ids:
        where.append(f"runs.experiment_id IN ({', '.join('?' for _ in ids)})")
        where_args.extend(ids)
    else:
        where.append("0")  # no experiments: no runs
    stages = _STAGES[run_view_type]
    if stages:
        where.append(f"runs.lifecycle_stage IN ({', '.join('?' for _ in stages)})")
        where_args.extend(stages)
    where.extend(_filter_sql(c, where_args) for c in clauses)

    sql = "\n".join(
        [
            "SELECT runs.run_uuid FROM runs",
            *joins,
            "WHERE " + "\n  AND ".join(where),
            "ORDER BY " + ", ".join(terms),
            "LIMIT ? OFFSET ?",
        ]
    )
    return sql, [*join_args, *where_args, *order_args, limit, skip]
