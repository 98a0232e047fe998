"""Parsed search clauses turned into one parameterised SELECT over the store's tables.

One compiler for every entity, driven by its table in ``entities.py``. Only fixed
table/column names from those tables and comparator tokens from the whitelist below are
ever written into SQL text; every key and value from the user travels as a bound
parameter.

Every ``build_*_search`` returns ``(sql, args)`` for ``connection.execute``, selecting
the entity's primary key in result order (experiments: the six columns of the
experiments table). With ``with_total=True`` each row carries, as its last column,
``COUNT(*) OVER ()``: how many rows match in all, before LIMIT and OFFSET, so one
query gives a page and the total (a page past the end has no rows, hence no total).
"""

from __future__ import annotations

from collections.abc import Iterable

from minitrack.entities import ViewType
from minitrack.exceptions import INVALID_PARAMETER_VALUE, MinitrackException
from minitrack.search.entities import (
    ATTRIBUTE,
    EXPERIMENTS,
    ID,
    METRIC,
    MODEL_VERSIONS,
    REGISTERED_MODELS,
    RUNS,
    TAG,
    EntityTable,
)
from minitrack.search.grammar import Comparison, OrderBy, parse_filter, parse_order_by

ACTIVE_ONLY, DELETED_ONLY, ALL = 1, 2, 3
_PLAIN_OPERATORS = {"=": "=", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
# Filters on metrics, params and tags become inner joins (SQLite can then start from
# the tags' (key, value) index and read in order); past this many, EXISTS subqueries,
# which mean the same and keep the statement under SQLite's 64 tables per join.
_MAX_FILTER_JOINS = 24


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

    def __init__(self, table: EntityTable) -> None:
        self.table = table
        self.joins: list[str] = []
        self.join_args: list[object] = []
        self.where: list[str] = list(table.fixed_where)
        self.where_args: list[object] = []
        self.order: list[str] = []  # fixed text only: sort keys come in through joins
        self.ordered: set[str] = set()  # attributes already in the order
        self.filter_joins = 0
        # (entity, key) -> (alias, may_be_nan) of a filter join: every row it keeps has a
        # value for that key, so an order by the key can sort on that alias directly.
        self.filtered: dict[tuple[str, str], tuple[str, bool]] = {}

    def column(self, attribute: str) -> str:
        attr = self.table.attribute(attribute)
        assert attr is not None  # the grammar checked it
        return f"{self.table.table}.{attr.column}"

    def on_same_row(self, alias: str) -> str:
        """``alias`` (a keyed table) belongs to the row being searched."""
        base = self.table.table
        return " AND ".join(f"{alias}.{c} = {base}.{c}" for c in self.table.key_columns)

    def add_filter(self, clause: Comparison) -> None:
        if clause.entity == ATTRIBUTE:
            attr = self.table.attribute(clause.key)
            assert attr is not None
            if attr.filter_tag is None:
                value = clause.value
                if attr.type == ID:  # checked to be digits by the grammar
                    value = (
                        tuple(int(v) for v in value)  # type: ignore[union-attr]
                        if isinstance(value, tuple)
                        else int(value)  # type: ignore[call-overload]
                    )
                column = self.column(clause.key)
                self.where.append(_compare(column, clause.comparator, value, self.where_args))
                return
            clause = Comparison(TAG, attr.filter_tag, clause.comparator, clause.value)
        table = self.table.keyed[clause.entity].table
        if clause.comparator in ("IS NULL", "IS NOT NULL"):
            absent = "NOT EXISTS" if clause.comparator == "IS NULL" else "EXISTS"
            self.where.append(
                f"{absent} (SELECT 1 FROM {table} AS x WHERE {self.on_same_row('x')} AND x.key = ?)"
            )
            self.where_args.append(clause.key)
            return
        # An inner join on (row, key) keeps rows that have the key and whose value matches.
        # (row, key) is unique in each keyed table, so the join never repeats a row; and a
        # join lets SQLite start from the tags' (key, value) index when that is cheaper
        # (metrics and params have none: it would cost every log call a page write).
        joined = self.filter_joins < _MAX_FILTER_JOINS
        alias = f"f{len(self.joins)}" if joined else f"e{len(self.where)}"
        args: list[object] = [clause.key]
        condition = _compare(f"{alias}.value", clause.comparator, clause.value, args)
        may_be_nan = clause.entity == METRIC and clause.comparator == "!="
        if clause.entity == METRIC:
            # NaN is stored as NULL with is_nan = 1: it equals nothing, differs from everything.
            if may_be_nan:
                condition = f"({alias}.is_nan = 1 OR {condition})"
            else:
                condition = f"{alias}.is_nan = 0 AND {condition}"
        where = f"{self.on_same_row(alias)} AND {alias}.key = ? AND {condition}"
        if not joined:
            self.where.append(f"EXISTS (SELECT 1 FROM {table} AS {alias} WHERE {where})")
            self.where_args.extend(args)
            return
        self.filter_joins += 1
        self.joins.append(f"JOIN {table} AS {alias} ON {where}")
        self.join_args.extend(args)
        # Every comparison is false on a NULL value, so the join keeps only rows with a
        # non-NULL value (or, for a metric's !=, a NaN). Prefer a join that excludes NaN.
        known = self.filtered.get((clause.entity, clause.key))
        if known is None or (known[1] and not may_be_nan):
            self.filtered[(clause.entity, clause.key)] = (alias, may_be_nan)

    def add_order(self, item: OrderBy) -> None:
        direction = "" if item.ascending else " DESC"
        if item.entity == ATTRIBUTE:
            column = self.column(item.key)
            # Missing values sort last both ways, as in MLflow.
            self.order.extend([f"{column} IS NULL", f"{column}{direction}"])
            self.ordered.add(item.key)
            return
        if (item.entity, item.key) in self.filtered:
            self.order_by_filter_join(item, direction)
            return
        alias = f"o{len(self.joins)}"
        self.joins.append(
            f"LEFT JOIN {self.table.keyed[item.entity].table} AS {alias} "
            f"ON {self.on_same_row(alias)} AND {alias}.key = ?"
        )
        self.join_args.append(item.key)
        if item.entity == METRIC:
            # Real numbers first, then NaN, then rows without the metric, both ways.
            self.order.append(
                f"CASE WHEN {alias}.is_nan = 1 THEN 1 WHEN {alias}.value IS NULL THEN 2 ELSE 0 END"
            )
        else:
            self.order.append(f"{alias}.value IS NULL")
        self.order.append(f"{alias}.value{direction}")

    def order_by_filter_join(self, item: OrderBy, direction: str) -> None:
        """Sort on the filter join's own value: no row it keeps lacks the key.

        The missing-last key of ``add_order`` is constant here, and without it SQLite
        can read the rows in order from the tags' (key, value) index and stop at LIMIT
        instead of sorting every match.
        """
        alias, may_be_nan = self.filtered[(item.entity, item.key)]
        if may_be_nan:  # metrics.x != v keeps NaN, which sorts after real numbers
            self.order.append(f"{alias}.is_nan")
        self.order.append(f"{alias}.value{direction}")

    def add_plain_order(self, attribute: str, ascending: bool) -> None:
        """A default or tie-breaking order on a column that is never NULL."""
        if attribute not in self.ordered:
            self.order.append(self.column(attribute) + ("" if ascending else " DESC"))
            self.ordered.add(attribute)

    def sql(
        self, columns: Iterable[str], limit: int, offset: int, with_total: bool
    ) -> tuple[str, list[object]]:
        selected = ", ".join(f"{self.table.table}.{c}" for c in columns)
        if with_total:
            selected += ", COUNT(*) OVER ()"
        sql = "\n".join(
            [
                f"SELECT {selected} FROM {self.table.table}",
                *self.joins,
                "WHERE " + ("\n  AND ".join(self.where) or "1"),
                "ORDER BY " + ", ".join(self.order),
                "LIMIT ? OFFSET ?",
            ]
        )
        return sql, [*self.join_args, *self.where_args, limit, offset]


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
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value >= 2**63:
        raise _error(f"{name} must be a whole number >= 0, got {value!r}")
    return value


def _compile(
    table: EntityTable,
    filter_string: str | None,
    order_by: list[str] | None,
    max_results: int | None,
    offset: int,
) -> tuple[_Query, int, int]:
    """The query for ``table`` with the filter and order applied, and the checked page."""
    limit = _count("max_results", max_results, allow_none=True)
    skip = _count("offset", offset, allow_none=False)
    clauses = parse_filter(filter_string, table)
    orders = parse_order_by(order_by, table)
    query = _Query(table)
    if table.prompt_tag is not None:
        clauses = _scope_to_prompts_or_models(query, clauses, table.prompt_tag)
    for clause in clauses:
        query.add_filter(clause)
    for item in orders:
        query.add_order(item)
    if not orders:
        for attribute, ascending in table.default_order:
            query.add_plain_order(attribute, ascending)
    for attribute, ascending in table.tie_breaks:
        query.add_plain_order(attribute, ascending)
    return query, limit, skip


def _scope_to_prompts_or_models(
    query: _Query, clauses: list[Comparison], prompt_tag: str
) -> list[Comparison]:
    """MLflow's rule for the registry: a search finds models, not prompts, unless a clause
    on the prompt tag asks for prompts (``= 'true'`` or ``!= 'false'``). Models have no
    such tag, so the clause itself is not applied: it picks one side or the other."""
    on_tag = [c for c in clauses if c.entity == TAG and c.key == prompt_tag]
    first = on_tag[0] if on_tag else None
    wants_prompts = first is not None and (
        (first.comparator == "=" and str(first.value).lower() == "true")
        or (first.comparator == "!=" and str(first.value).lower() == "false")
    )
    tags = query.table.keyed[TAG].table
    query.where.append(
        f"{'' if wants_prompts else 'NOT '}EXISTS (SELECT 1 FROM {tags} AS prompt "
        f"WHERE {query.on_same_row('prompt')} AND prompt.key = ? AND prompt.value = 'true')"
    )
    query.where_args.append(prompt_tag)
    return [c for c in clauses if c not in on_tag]


def build_run_search(
    experiment_ids: Iterable[object],
    filter_string: str | None,
    run_view_type: int,
    order_by: list[str] | None,
    max_results: int | None,
    offset: int = 0,
    *,
    with_total: bool = False,
) -> tuple[str, list[object]]:
    """SQL selecting ``runs.run_uuid`` of the matching runs, in result order.

    ``run_view_type`` is 1 (active runs), 2 (deleted runs) or 3 (all). ``max_results``
    None means no limit. Ties sort newest first, then by run id, as in MLflow.
    ``with_total=True`` adds ``COUNT(*) OVER ()`` (all matches) as a second column.
    """
    if isinstance(run_view_type, bool):
        raise _error(f"run_view_type must be 1, 2 or 3, got {run_view_type!r}")
    stages = ViewType.stages(run_view_type)
    ids = _experiment_ids(experiment_ids)
    query, limit, skip = _compile(RUNS, filter_string, order_by, max_results, offset)
    # The experiment and stage conditions lead the WHERE, as the index on them does.
    scope: list[str] = []
    scope_args: list[object] = []
    if ids:
        scope.append(f"runs.experiment_id IN ({', '.join('?' for _ in ids)})")
        scope_args.extend(ids)
    else:
        scope.append("0")  # no experiments: no runs
    if len(stages) == 1:  # every stage (ViewType.ALL) needs no condition
        scope.append(f"runs.lifecycle_stage IN ({', '.join('?' for _ in stages)})")
        scope_args.extend(stages)
    query.where[:0] = scope
    query.where_args[:0] = scope_args
    return query.sql(("run_uuid",), limit, skip, with_total)


_EXPERIMENT_COLUMNS = (
    "experiment_id",
    "name",
    "artifact_location",
    "lifecycle_stage",
    "creation_time",
    "last_update_time",
)


def build_experiment_search(
    view_type: int,
    filter_string: str | None,
    order_by: list[str] | None,
    max_results: int | None,
    offset: int = 0,
    *,
    with_total: bool = False,
) -> tuple[str, list[object]]:
    """SQL selecting the matching experiments in result order.

    Each row is ``experiment_id, name, artifact_location, lifecycle_stage,
    creation_time, last_update_time``. ``view_type`` is a ``ViewType``. With no
    order_by the newest come first; ties go to the higher experiment id, as in MLflow.
    ``with_total=True`` adds ``COUNT(*) OVER ()`` as a seventh column.
    """
    stages = ViewType.stages(view_type)
    query, limit, skip = _compile(EXPERIMENTS, filter_string, order_by, max_results, offset)
    query.where.insert(0, f"experiments.lifecycle_stage IN ({', '.join('?' for _ in stages)})")
    query.where_args[:0] = stages
    return query.sql(_EXPERIMENT_COLUMNS, limit, skip, with_total)


def build_registered_model_search(
    filter_string: str | None,
    order_by: list[str] | None,
    max_results: int | None,
    offset: int = 0,
    *,
    with_total: bool = False,
) -> tuple[str, list[object]]:
    """SQL selecting ``registered_models.name`` of the matching models, in result order.

    Filters take ``name`` and ``tags.<key>``; order_by takes ``name``,
    ``creation_timestamp`` and ``last_updated_timestamp``; ties sort by name, as in
    MLflow. ``with_total=True`` adds ``COUNT(*) OVER ()`` as a second column.
    """
    query, limit, skip = _compile(REGISTERED_MODELS, filter_string, order_by, max_results, offset)
    return query.sql(REGISTERED_MODELS.key_columns, limit, skip, with_total)


def build_model_version_search(
    filter_string: str | None,
    order_by: list[str] | None,
    max_results: int | None,
    offset: int = 0,
    *,
    with_total: bool = False,
) -> tuple[str, list[object]]:
    """SQL selecting ``model_versions.name, model_versions.version``, in result order.

    Filters take ``name``, ``version_number``, ``run_id``, ``source_path`` and
    ``tags.<key>``; versions in stage ``Deleted_Internal`` are never found. With no
    order_by: last updated first, then by name, then the newest version, as in MLflow.
    ``with_total=True`` adds ``COUNT(*) OVER ()`` as a third column.
    """
    query, limit, skip = _compile(MODEL_VERSIONS, filter_string, order_by, max_results, offset)
    return query.sql(MODEL_VERSIONS.key_columns, limit, skip, with_total)
