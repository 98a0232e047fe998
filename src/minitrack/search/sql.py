"""Parsed search clauses turned into one parameterised SELECT over the store's tables.

Only fixed table/column names and comparator tokens from the tables below are ever
written into SQL text; every key and value from the user travels as a bound parameter.
"""

from __future__ import annotations

from collections.abc import Iterable

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

# MLflow filters on the run name through the mlflow.runName tag (the tags index serves
# it) and sorts on the runs.name column; the store keeps the two equal.
_RUN_NAME_TAG = "mlflow.runName"
# Attribute -> column of the runs table.
_ATTRIBUTE_SQL = {
    "run_id": "runs.run_uuid",
    "run_name": "runs.name",
    "status": "runs.status",
    "user_id": "runs.user_id",
    "artifact_uri": "runs.artifact_uri",
    "start_time": "runs.start_time",
    "end_time": "runs.end_time",
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
        # lower() on both sides. SQLite folds ASCII letters only, so 'É' ILIKE 'é' is
        # false; MLflow on SQLite has the same limit (it also uses lower()).
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


class _Query:
    """The pieces of the SELECT, each with its bound values in SQL-text order."""

    def __init__(self) -> None:
        self.joins: list[str] = []
        self.join_args: list[object] = []
        self.where: list[str] = []
        self.where_args: list[object] = []
        self.order: list[str] = []  # fixed text only: sort keys come in through joins
        # (entity, key) -> (alias, may_be_nan) of a filter join: every run it keeps has a
        # value for that key, so an order by the key can sort on that alias directly.
        self.filtered: dict[tuple[str, str], tuple[str, bool]] = {}

    def add_filter(self, clause: Comparison) -> None:
        if clause.entity == ATTRIBUTE and clause.key != "run_name":
            column = _ATTRIBUTE_SQL[clause.key]
            self.where.append(_compare(column, clause.comparator, clause.value, self.where_args))
            return
        if clause.entity == ATTRIBUTE:  # run_name: a clause on the mlflow.runName tag
            clause = Comparison(TAG, _RUN_NAME_TAG, clause.comparator, clause.value)
        table = _TABLE[clause.entity]
        if clause.comparator in ("IS NULL", "IS NOT NULL"):
            absent = "NOT EXISTS" if clause.comparator == "IS NULL" else "EXISTS"
            self.where.append(
                f"{absent} (SELECT 1 FROM {table} AS x "
                "WHERE x.run_uuid = runs.run_uuid AND x.key = ?)"
            )
            self.where_args.append(clause.key)
            return
        # An inner join on (run, key) keeps runs that have the key and whose value matches.
        # (run_uuid, key) is unique in each table, so the join never repeats a run; and a
        # join lets SQLite start from the tags' (key, value) index when that is cheaper
        # (metrics and params have none: it would cost every log call a page write).
        alias = f"f{len(self.joins)}"
        self.join_args.append(clause.key)
        condition = _compare(f"{alias}.value", clause.comparator, clause.value, self.join_args)
        may_be_nan = clause.entity == METRIC and clause.comparator == "!="
        if clause.entity == METRIC:
            # NaN is stored as NULL with is_nan = 1: it equals nothing, differs from everything.
            if may_be_nan:
                condition = f"({alias}.is_nan = 1 OR {condition})"
            else:
                condition = f"{alias}.is_nan = 0 AND {condition}"
        self.joins.append(
            f"JOIN {table} AS {alias} "
            f"ON {alias}.run_uuid = runs.run_uuid AND {alias}.key = ? AND {condition}"
        )
        # Every comparison is false on a NULL value, so the join keeps only runs with a
        # non-NULL value (or, for a metric's !=, a NaN). Prefer a join that excludes NaN.
        known = self.filtered.get((clause.entity, clause.key))
        if known is None or (known[1] and not may_be_nan):
            self.filtered[(clause.entity, clause.key)] = (alias, may_be_nan)

    def add_order(self, item: OrderBy) -> None:
        direction = "" if item.ascending else " DESC"
        if item.entity == ATTRIBUTE:
            column = _ATTRIBUTE_SQL[item.key]
            # Missing values sort last both ways, as in MLflow.
            self.order.extend([f"{column} IS NULL", f"{column}{direction}"])
            return
        if (item.entity, item.key) in self.filtered:
            self.order_by_filter_join(item, direction)
            return
        alias = f"o{len(self.joins)}"
        self.joins.append(
            f"LEFT JOIN {_TABLE[item.entity]} AS {alias} "
            f"ON {alias}.run_uuid = runs.run_uuid AND {alias}.key = ?"
        )
        self.join_args.append(item.key)
        if item.entity == METRIC:
            # Real numbers first, then NaN, then runs without the metric, both ways.
            self.order.append(
                f"CASE WHEN {alias}.is_nan = 1 THEN 1 WHEN {alias}.value IS NULL THEN 2 ELSE 0 END"
            )
        else:
            self.order.append(f"{alias}.value IS NULL")
        self.order.append(f"{alias}.value{direction}")

    def order_by_filter_join(self, item: OrderBy, direction: str) -> None:
        """Sort on the filter join's own value: no run it keeps lacks the key.

        The missing-last key of ``add_order`` is constant here, and without it SQLite
        can read the rows in order from the tags' (key, value) index and stop at LIMIT
        instead of sorting every match.
        """
        alias, may_be_nan = self.filtered[(item.entity, item.key)]
        if may_be_nan:  # metrics.x != v keeps NaN, which sorts after real numbers
            self.order.append(f"{alias}.is_nan")
        self.order.append(f"{alias}.value{direction}")


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
    if isinstance(run_view_type, bool) or run_view_type not in _STAGES:
        raise _error(
            f"run_view_type must be 1 (ACTIVE_ONLY), 2 (DELETED_ONLY) or 3 (ALL), "
            f"got {run_view_type!r}"
        )
    ids = _experiment_ids(experiment_ids)
    limit = _count("max_results", max_results, allow_none=True)
    skip = _count("offset", offset, allow_none=False)
    clauses = parse_filter(filter_string)
    orders = parse_order_by(order_by)

    query = _Query()
    if ids:
        query.where.append(f"runs.experiment_id IN ({', '.join('?' for _ in ids)})")
        query.where_args.extend(ids)
    else:
        query.where.append("0")  # no experiments: no runs
    stages = _STAGES[run_view_type]
    if stages:
        query.where.append(f"runs.lifecycle_stage IN ({', '.join('?' for _ in stages)})")
        query.where_args.extend(stages)
    for clause in clauses:
        query.add_filter(clause)
    for item in orders:
        query.add_order(item)
    if not any(o.entity == ATTRIBUTE and o.key == "start_time" for o in orders):
        query.order.append("runs.start_time DESC")
    query.order.append("runs.run_uuid")  # ties: a stable, MLflow-like order

    sql = "\n".join(
        [
            "SELECT runs.run_uuid FROM runs",
            *query.joins,
            "WHERE " + "\n  AND ".join(query.where),
            "ORDER BY " + ", ".join(query.order),
            "LIMIT ? OFFSET ?",
        ]
    )
    return sql, [*query.join_args, *query.where_args, limit, skip]
