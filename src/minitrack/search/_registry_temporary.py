"""TEMPORARY: a minimal registry filter grammar until branch h-search lands in main.

Branch h-search builds MLflow's registry grammar into minitrack.search (one grammar for
runs, experiments, registered models and model versions) with these two builders. Until
it is merged, the registry store falls back to this file. DELETE THIS FILE (and the
fallback import in store/sqlite_registry.py) once ``from minitrack.search import
build_registered_model_search, build_model_version_search`` works on main.

Supports what the registry tests use: clauses joined by AND; ``name``, ``run_id``,
``source_path`` with =, !=, LIKE, ILIKE (and IN / NOT IN for name and run_id on versions);
``version_number`` with numeric comparisons; ``tags.<key>`` with =, !=, LIKE, ILIKE.
Every value is bound; only fixed column names become SQL text.
"""

from __future__ import annotations

import re

from minitrack.exceptions import MinitrackException
from minitrack.search.sql import like_to_glob

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\")|(?P<op>!=|>=|<=|=|<|>)|"
    r"(?P<lp>\()|(?P<rp>\))|(?P<comma>,)|(?P<num>-?\d+(?:\.\d+)?(?![\w.]))|"
    r"(?P<word>`[^`]*`|[\w.]+(?:\.`[^`]*`)?))"
)
_STRING_OPS = ("=", "!=", "LIKE", "ILIKE")
_NUMBER_OPS = ("=", "!=", "<", "<=", ">", ">=")


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        if not text[pos:].strip():
            break
        m = _TOKEN.match(text, pos)
        if not m:
            raise MinitrackException(f"Invalid filter '{text}': cannot parse at '{text[pos:]}'.")
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _unquote(s: str) -> str:
    q = s[0]
    return s[1:-1].replace(q + q, q)


def _parse(text: str | None, attributes: dict[str, tuple[str, tuple[str, ...]]]):
    """[(column-or-('tag', key), op, value)] from a filter string."""
    toks = _tokens(text or "")
    clauses, i = [], 0
    while i < len(toks):
        kind, key = toks[i]
        if kind != "word":
            raise MinitrackException(f"Invalid filter '{text}': expected a key, got {key!r}.")
        i += 1
        if i < len(toks) and toks[i][0] == "word" and toks[i][1].upper() in ("LIKE", "ILIKE"):
            op = toks[i][1].upper()
        elif i < len(toks) and toks[i][0] == "word" and toks[i][1].upper() == "IN":
            op = "IN"
        elif i + 1 < len(toks) and toks[i][1].upper() == "NOT" and toks[i + 1][1].upper() == "IN":
            op, i = "NOT IN", i + 1
        elif i < len(toks) and toks[i][0] == "op":
            op = toks[i][1]
        else:
            raise MinitrackException(f"Invalid filter '{text}': '{key}' needs a comparator.")
        i += 1
        lower = key.lower()
        if lower.startswith(("tags.", "tag.")):
            target, allowed = (
                ("tag", _unquote(key.split(".", 1)[1]) if "`" in key else key.split(".", 1)[1]),
                _STRING_OPS,
            )
        elif lower in attributes:
            target, allowed = attributes[lower]
        else:
            raise MinitrackException(
                f"Invalid attribute key '{key}' specified. Valid keys are "
                f"{sorted(attributes)} and tags.<key>."
            )
        if op not in allowed:
            raise MinitrackException(
                f"Invalid comparator '{op}' for '{key}': use one of {', '.join(allowed)}."
            )
        if op in ("IN", "NOT IN"):
            if i >= len(toks) or toks[i][0] != "lp":
                raise MinitrackException(f"Invalid filter '{text}': {op} needs ('a', 'b').")
            values, i = [], i + 1
            while i < len(toks) and toks[i][0] != "rp":
                if toks[i][0] == "str":
                    values.append(_unquote(toks[i][1]))
                elif toks[i][0] != "comma":
                    raise MinitrackException(f"Invalid filter '{text}': bad list.")
                i += 1
            i += 1
            value = tuple(values)
        else:
            if i >= len(toks) or toks[i][0] not in ("str", "num"):
                raise MinitrackException(f"Invalid filter '{text}': '{key}' needs a value.")
            kind, raw = toks[i]
            if allowed is _NUMBER_OPS:
                if kind != "num":
                    raise MinitrackException(f"Invalid filter '{text}': '{key}' needs a number.")
                value = float(raw) if "." in raw else int(raw)
            else:
                if kind != "str":
                    raise MinitrackException(
                        f"Invalid filter '{text}': '{key}' needs a quoted string."
                    )
                value = _unquote(raw)
            i += 1
        clauses.append((target, op, value))
        if i < len(toks):
            if toks[i][1].upper() != "AND":
                raise MinitrackException(
                    f"Invalid filter '{text}': join clauses with AND (OR is not supported)."
                )
            i += 1
    return clauses


def _condition(column: str, op: str, value, args: list) -> str:
    if op == "LIKE":
        args.append(like_to_glob(value))
        return f"{column} GLOB ?"
    if op == "ILIKE":
        args.append(like_to_glob(value))
        return f"lower({column}) GLOB lower(?)"
    if op in ("IN", "NOT IN"):
        args.extend(value)
        return f"{column} {op} ({', '.join('?' for _ in value)})"
    args.append(value)
    return f"{column} {op} ?"


def _order(order_by, columns: dict[str, str], default: list[tuple[str, bool]], tiebreak):
    clauses, seen = [], set()
    for item in order_by or []:
        parts = str(item).split()
        key = parts[0].lower() if parts else ""
        direction = parts[1].upper() if len(parts) > 1 else "ASC"
        if key not in columns or direction not in ("ASC", "DESC") or len(parts) > 2:
            raise MinitrackException(
                f"Invalid order by key '{item}' specified. Valid keys are {sorted(columns)}, "
                "each with an optional ASC or DESC."
            )
        if columns[key] in seen:
            raise MinitrackException(f"`order_by` contains duplicate fields: {order_by}")
        seen.add(columns[key])
        clauses.append(f"{columns[key]} {direction}")
    if not order_by:
        for key, asc in default:
            seen.add(columns[key])
            clauses.append(f"{columns[key]} {'ASC' if asc else 'DESC'}")
    for column, direction in tiebreak:
        if column not in seen:
            clauses.append(f"{column} {direction}")
    return ", ".join(clauses)


def _page(sql: str, args: list, max_results, offset) -> tuple[str, list]:
    if max_results is not None:
        sql += " LIMIT ? OFFSET ?"
        args += [int(max_results), int(offset or 0)]
    return sql, args


def build_registered_model_search(filter_string, order_by, max_results, offset):
    """(sql, args) selecting registered_models.name in result order."""
    attributes = {"name": ("rm.name", _STRING_OPS)}
    where, args = [], []
    for target, op, value in _parse(filter_string, attributes):
        if isinstance(target, tuple):
            args.append(target[1])
            cond = _condition("t.value", op, value, args)
            where.append(
                "EXISTS (SELECT 1 FROM registered_model_tags AS t "
                f"WHERE t.name = rm.name AND t.key = ? AND {cond})"
            )
        else:
            where.append(_condition(target, op, value, args))
    columns = {
        "name": "rm.name",
        "creation_timestamp": "rm.creation_time",
        "last_updated_timestamp": "rm.last_updated_time",
        "timestamp": "rm.last_updated_time",
    }
    order = _order(order_by, columns, [("name", True)], [("rm.name", "ASC")])
    sql = "SELECT rm.name FROM registered_models AS rm"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return _page(sql + f" ORDER BY {order}", args, max_results, offset)


def build_model_version_search(filter_string, order_by, max_results, offset):
    """(sql, args) selecting model_versions (name, version) in result order."""
    attributes = {
        "name": ("mv.name", (*_STRING_OPS, "IN", "NOT IN")),
        "run_id": ("mv.run_id", (*_STRING_OPS, "IN", "NOT IN")),
        "source_path": ("mv.source", _STRING_OPS),
        "version_number": ("mv.version", _NUMBER_OPS),
    }
    where, args = [], []
    for target, op, value in _parse(filter_string, attributes):
        if isinstance(target, tuple):
            args.append(target[1])
            cond = _condition("t.value", op, value, args)
            where.append(
                "EXISTS (SELECT 1 FROM model_version_tags AS t WHERE t.name = mv.name "
                f"AND t.version = mv.version AND t.key = ? AND {cond})"
            )
        else:
            where.append(_condition(target, op, value, args))
    columns = {
        "name": "mv.name",
        "version_number": "mv.version",
        "creation_timestamp": "mv.creation_time",
        "last_updated_timestamp": "mv.last_updated_time",
    }
    order = _order(
        order_by,
        columns,
        [("last_updated_timestamp", False), ("name", True), ("version_number", False)],
        [("mv.name", "ASC"), ("mv.version", "DESC")],
    )
    sql = "SELECT mv.name, mv.version FROM model_versions AS mv"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return _page(sql + f" ORDER BY {order}", args, max_results, offset)
