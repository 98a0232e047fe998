"""MLflow's ``search_experiments`` filter and order_by, as parameterised SQL.

Filters: ``name``/``experiment_id`` (``= != LIKE ILIKE``, ``IN`` for ids),
``creation_time``/``last_update_time`` (numeric comparisons) and ``tags.<key>``
(``= != LIKE ILIKE IS NULL IS NOT NULL``), joined by ``AND``. A filter value is
always a bound parameter, never SQL text.
"""

from __future__ import annotations

import re

from minitrack.entities import ViewType
from minitrack.exceptions import MinitrackException
from minitrack.search.sql import like_to_glob

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>'(?:[^']|'')*'|"(?:[^"]|"")*")
      | (?P<tick>`[^`]*`)
      | (?P<op>!=|>=|<=|=|<|>)
      | (?P<paren>\([^)]*\))
      | (?P<word>[^\s=!<>'"`()]+)
    )""",
    re.X,
)
_STRING_COLUMNS = {"name": "e.name", "experiment_id": "e.experiment_id"}
_NUMERIC_COLUMNS = {"creation_time": "e.creation_time", "last_update_time": "e.last_update_time"}
_ORDER_COLUMNS = {**_STRING_COLUMNS, **_NUMERIC_COLUMNS}


def _bad(message: str) -> MinitrackException:
    return MinitrackException(f"Invalid experiment filter: {message}")


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise _bad(f"cannot read {text[pos:]!r}.")
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _unquote(token: str) -> str:
    quote = token[0]
    return token[1:-1].replace(quote * 2, quote)


def _clauses(tokens):
    clause = []
    for kind, value in tokens:
        if kind == "word" and value.upper() == "AND":
            if not clause:
                raise _bad("'AND' needs a condition on each side.")
            yield clause
            clause = []
        elif kind == "word" and value.upper() == "OR":
            raise _bad("'OR' is not supported; join conditions with AND.")
        else:
            clause.append((kind, value))
    if clause:
        yield clause
    elif tokens:
        raise _bad("'AND' needs a condition on each side.")


def _identifier(kind: str, text: str) -> tuple[str, str]:
    if kind == "tick":
        return "attribute", text[1:-1]
    prefix, dot, rest = text.partition(".")
    if dot and prefix.lower() in ("tag", "tags"):
        if len(rest) >= 2 and rest[0] == rest[-1] and rest[0] in "`\"'":
            rest = rest[1:-1]
        return "tag", rest
    if dot and prefix.lower() in ("attribute", "attributes", "attr"):
        return "attribute", rest
    return "attribute", text


def _condition(clause, args: list) -> str:
    if not clause:
        raise _bad("empty condition.")
    kind, text = clause[0]
    # Allow `tags`.`key` style pieces glued by the tokenizer.
    if kind not in ("word", "tick"):
        raise _bad(f"expected a name such as name, tags.<key> or creation_time, got {text!r}.")
    entity, key = _identifier(kind, text)
    rest = clause[1:]
    words = [v.upper() for k, v in rest if k == "word"]
    if (
        entity == "tag"
        and words in (["IS", "NULL"], ["IS", "NOT", "NULL"])
        and len(rest) == len(words)
    ):
        args.append(key)
        neg = "" if "NOT" in words else "NOT "  # IS NULL: the tag is absent
        return (
            f"{neg}EXISTS (SELECT 1 FROM experiment_tags t WHERE t.experiment_id = "
            "e.experiment_id AND t.key = ?)"
        )
    if len(rest) != 2:
        raise _bad(f"expected '<name> <comparator> <value>' in {' '.join(v for _, v in clause)!r}.")
    (op_kind, op), (val_kind, value) = rest
    op = op.upper()
    if entity == "tag":
        if op not in ("=", "!=", "LIKE", "ILIKE") or val_kind != "str":
            raise _bad(f"tags take = != LIKE ILIKE against a quoted string, got {op} {value}.")
        args.extend([key, _unquote(value)])
        return _compare("t.value", op, inner_tag=True)
    if key in _NUMERIC_COLUMNS:
        if op not in ("=", "!=", "<", "<=", ">", ">=") or val_kind != "word":
            raise _bad(f"{key} takes = != < <= > >= against a number, got {op} {value}.")
        try:
            args.append(int(value))
        except ValueError:
            raise _bad(f"{key} must be compared with a whole number (ms), got {value}.") from None
        return f"{_NUMERIC_COLUMNS[key]} {op} ?"
    if key in _STRING_COLUMNS:
        column = _STRING_COLUMNS[key]
        if key == "experiment_id" and op in ("IN", "NOT") and val_kind == "paren":
            ids = [_unquote(v) for k, v in _tokens(value[1:-1]) if k == "str"]
            args.extend(ids)
            return f"CAST({column} AS TEXT) IN ({', '.join('?' for _ in ids)})"
        if op not in ("=", "!=", "LIKE", "ILIKE") or val_kind != "str":
            raise _bad(f"{key} takes = != LIKE ILIKE against a quoted string, got {op} {value}.")
        args.append(_unquote(value))
        if key == "experiment_id":
            column = f"CAST({column} AS TEXT)"
        return _compare(column, op)
    raise _bad(
        f"unknown attribute {key!r}; use name, experiment_id, creation_time, "
        "last_update_time or tags.<key>."
    )


def _compare(column: str, op: str, inner_tag: bool = False) -> str:
    if op == "LIKE":
        expr = f"{column} GLOB ?"  # case-sensitive; pattern converted below
    elif op == "ILIKE":
        expr = f"LOWER({column}) LIKE LOWER(?) ESCAPE '\\'"
    else:
        expr = f"{column} {op} ?"
    if inner_tag:
        return (
            "EXISTS (SELECT 1 FROM experiment_tags t WHERE t.experiment_id = e.experiment_id "
            f"AND t.key = ? AND {expr})"
        )
    return expr


def build_experiment_search(
    view_type: int,
    filter_string: str | None,
    order_by: list[str] | None,
    max_results: int | None,
    offset: int,
) -> tuple[str, list]:
    stages = ViewType.stages(view_type)
    args: list = list(stages)
    where = [f"e.lifecycle_stage IN ({', '.join('?' for _ in stages)})"]
    if filter_string and filter_string.strip():
        for clause in _clauses(_tokens(filter_string)):
            sql = _condition(clause, args)
            if " GLOB ?" in sql:  # LIKE is case-sensitive in MLflow: use GLOB
                args[-1] = like_to_glob(args[-1])
            where.append(sql)
    order_sql = []
    for item in order_by or ["creation_time DESC", "experiment_id ASC"]:
        parts = item.split()
        if not parts or len(parts) > 2 or parts[0] not in _ORDER_COLUMNS:
            raise MinitrackException(
                f"Invalid order_by clause {item!r}: use '<name|experiment_id|creation_time|"
                "last_update_time> [ASC|DESC]'."
            )
        direction = parts[1].upper() if len(parts) == 2 else "ASC"
        if direction not in ("ASC", "DESC"):
            raise MinitrackException(f"Invalid order_by direction in {item!r}: use ASC or DESC.")
        order_sql.append(f"{_ORDER_COLUMNS[parts[0]]} {direction}")
    if not any(s.startswith("e.experiment_id") for s in order_sql):
        order_sql.append("e.experiment_id DESC")
    sql = (
        "SELECT e.experiment_id, e.name, e.artifact_location, e.lifecycle_stage, "
        f"e.creation_time, e.last_update_time FROM experiments e WHERE {' AND '.join(where)} "
        f"ORDER BY {', '.join(order_sql)} LIMIT ? OFFSET ?"
    )
    args.extend([-1 if max_results is None else max_results, offset])
    return sql, args
