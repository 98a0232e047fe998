"""MLflow's search grammar: a filter string and order_by clauses, parsed and checked.

One parser for every entity; what differs (prefixes, attributes, comparators) comes
from the entity's table in ``entities.py``. A filter is clauses joined by ``AND``; each
clause is ``<key> <comparator> <value>``, ``<key> IS [NOT] NULL`` or
``run_id [NOT] IN ('a', 'b')``. A key is an entity prefix and a name (``metrics.rmse``,
``params.`max depth```, ``tags.mlflow.runName``) or a bare attribute (``status``).
Parsing is strict: anything MLflow would refuse, or would accept and then silently
misread, is an error that names the part and the fix; every error has the same wording
whatever the entity.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from minitrack.exceptions import INVALID_PARAMETER_VALUE, MinitrackException
from minitrack.search.entities import (
    ATTRIBUTE,
    ID,
    INTEGER,
    LIST_COMPARATORS,
    METRIC,
    NULL_COMPARATORS,
    NUMBER_COMPARATORS,
    PARAM,
    RUNS,
    STRING_COMPARATORS,
    TAG,
    Attribute,
    EntityTable,
)

# Bounds that keep a filter within what one SQLite statement can hold (at most 64
# tables in a join, 999..32766 bound values, an expression depth of 1000).
MAX_CLAUSES = 100
MAX_LIST_VALUES = 1000
MAX_ORDER_BY = 16
# SQLite integers are signed 64-bit.
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1


@dataclass(frozen=True)
class Comparison:
    """One clause of a filter: ``entity`` is metric, param, tag or attribute.

    ``value`` is a float for metrics, an int or float for numeric attributes, a str
    for params, tags and string attributes, a tuple of str for ``IN``/``NOT IN``, and
    None for ``IS NULL``/``IS NOT NULL``. ``comparator`` is upper case.
    """

    entity: str
    key: str
    comparator: str
    value: object


@dataclass(frozen=True)
class OrderBy:
    """One order_by clause: sort runs by ``entity``/``key``, ascending or not."""

    entity: str
    key: str
    ascending: bool = True


def _error(message: str) -> MinitrackException:
    return MinitrackException(message, error_code=INVALID_PARAMETER_VALUE)


# --- lexical pieces -------------------------------------------------------------
# Quoted strings end at the first lone quote; a doubled quote or a backslash-escaped
# quote stays inside, and the text between the outer quotes is kept verbatim (MLflow
# does not unescape either).
_SQ = r"'(?:''|\\\\|\\'|[^'])*'"
_DQ = r'"(?:""|\\\\|\\"|[^"])*"'
_BQ = r"`(?:``|[^`])*`"
_WORD = r"\w[\w$#]*"
_PART = rf"(?:{_WORD}|{_DQ}|{_BQ})"
_IDENT = re.compile(rf"{_PART}(?:\.{_PART})*")
_PART_RE = re.compile(_PART)
_WS = re.compile(r"\s*")
_NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?(?![\w.])")
_STRING = re.compile(rf"{_SQ}|{_DQ}")
_COMPARATOR = re.compile(
    r"IS\s+NOT\s+NULL\b|IS\s+NULL\b|NOT\s+IN\b|IN\b|ILIKE\b|LIKE\b|>=|<=|!=|<>|==|=|<|>",
    re.IGNORECASE,
)
_AND = re.compile(r"AND\b", re.IGNORECASE)
_OR = re.compile(r"OR\b", re.IGNORECASE)
_ORDER = re.compile(r"(ASC|DESC)\s*$", re.IGNORECASE)
_NEXT_WORD = re.compile(r"\S+")


def _unquote(part: str) -> str:
    if len(part) >= 2 and part[0] == part[-1] and part[0] in "`\"'":
        return part[1:-1]
    return part


def _snippet(text: str, pos: int) -> str:
    rest = text[pos:].strip()
    return rest if len(rest) <= 40 else rest[:37] + "..."


def _split_identifier(ident: str, table: EntityTable, *, ordering: bool) -> tuple[str, str]:
    """Turn ``metrics.`a b``` into (METRIC, "a b"); a bare name is an attribute."""
    parts = _PART_RE.findall(ident)
    if len(parts) == 1:
        return ATTRIBUTE, _attribute_key(_unquote(parts[0]), ident, table, ordering=ordering)
    prefix = parts[0][1:-1] if parts[0].startswith("`") else parts[0]
    entity = table.prefixes.get(prefix)
    if prefix in table.refused_prefixes:
        raise _error(f"'{ident}': {table.refused_prefixes[prefix]}")
    if entity is None:
        raise _error(
            f"unknown entity '{prefix}' in '{ident}': use {table.prefix_help} before the name"
        )
    rest = parts[1:]
    if len(rest) == 1:
        key = _unquote(rest[0])
    elif any(p[0] in '`"' for p in rest):
        raise _error(
            f"key '{ident}' mixes quoted and unquoted pieces: quote the whole name after "
            f"the prefix, e.g. {prefix}.`{'.'.join(_unquote(p) for p in rest)}`"
        )
    else:
        key = ".".join(rest)  # tags.mlflow.runName: the dots belong to the name
    if not key:
        raise _error(f"empty key in '{ident}': give a name after '{prefix}.'")
    if entity == ATTRIBUTE:
        key = _attribute_key(key, ident, table, ordering=ordering)
    return entity, key


def _attribute_key(key: str, ident: str, table: EntityTable, *, ordering: bool) -> str:
    attr = table.attribute(key)
    if attr is not None and (attr.orderable if ordering else attr.searchable):
        return attr.name
    if attr is not None:
        use = "order_by" if attr.searchable else "filters"
        raise _error(
            f"{table.name} cannot be {'ordered by' if ordering else 'filtered on'} "
            f"'{attr.name}' (in '{ident}'); it works in {use} only. "
            f"{'Orderable' if ordering else 'Searchable'} {table.noun} attributes are "
            f"{table.listed(orderable=ordering)}"
        )
    hint = ""
    if "." not in ident and len(table.keyed) > 0:
        kinds = [k for k in (METRIC, PARAM, TAG) if k in table.keyed]
        prefixes = {METRIC: "metrics", PARAM: "params", TAG: "tags"}
        hint = f" (for a {_or(kinds)} write {_or([f'{prefixes[k]}.{key}' for k in kinds])})"
    if key in table.hints:
        hint = f" ({table.hints[key]})"
    raise _error(
        f"unknown attribute '{key}' in '{ident}': "
        f"{'orderable' if ordering else 'searchable'} {table.noun} attributes are "
        f"{table.listed(orderable=ordering)}{hint}"
    )


def _quote_examples(table: EntityTable) -> str:
    if PARAM in table.keyed:
        return "`params`.alpha or metrics.`my metric`"
    return "`tags`.team or tags.`my tag`"


def _or(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _allowed(table: EntityTable, entity: str, key: str) -> tuple[str, ...]:
    if entity == ATTRIBUTE:
        return table.attribute(key).comparators  # type: ignore[union-attr]
    return table.keyed[entity].comparators


def _comparator_subject(table: EntityTable, entity: str, key: str) -> str:
    """What a comparator message says it lists the comparators of: 'metrics', 'run_id'."""
    if entity != ATTRIBUTE:
        return {METRIC: "metrics", PARAM: "params", TAG: "tags"}[entity]
    attr = table.attribute(key)
    assert attr is not None
    if attr.numeric and attr.comparators == NUMBER_COMPARATORS:
        return "numeric attributes"
    if attr.comparators == STRING_COMPARATORS:
        return "string attributes"
    return attr.name


class _FilterParser:
    """Reads a filter string left to right, one clause at a time."""

    def __init__(self, text: str, table: EntityTable) -> None:
        self.text = text
        self.table = table
        self.pos = 0
        self.list_values = 0

    def skip_ws(self) -> None:
        self.pos = _WS.match(self.text, self.pos).end()

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def take(self, pattern: re.Pattern[str]) -> str | None:
        m = pattern.match(self.text, self.pos)
        if m is None:
            return None
        self.pos = m.end()
        return m.group(0)

    def parse(self) -> list[Comparison]:
        clauses = [self.clause()]
        while True:
            self.skip_ws()
            if self.at_end():
                return clauses
            if self.take(_AND) is None:
                self.fail_between_clauses(clauses[-1])
            self.skip_ws()
            if self.at_end():
                raise _error(
                    f"the filter '{self.text}' ends with AND: add a clause after it or remove it"
                )
            if len(clauses) == MAX_CLAUSES:
                raise _error(
                    f"the filter has more than {MAX_CLAUSES} clauses: search with fewer "
                    f"clauses (join values of one key with IN where it is allowed)"
                )
            clauses.append(self.clause())

    def fail_between_clauses(self, previous: Comparison) -> None:
        rest = _snippet(self.text, self.pos)
        if _OR.match(self.text, self.pos):
            raise _error(
                f"OR is not supported (in '{rest}'): join clauses with AND, or run one "
                "search per alternative"
            )
        if rest.startswith(";"):
            raise _error(
                f"';' is not allowed in a filter (at '{rest}'): join clauses with AND in one string"
            )
        if rest[:1] in "()":
            raise _error(
                f"parentheses are not supported (at '{rest}'): write clauses joined by AND"
            )
        raise _error(
            f"unexpected '{rest}' after the clause on '{previous.key}': join clauses with "
            "AND, and quote string values ('like this')"
        )

    def clause(self) -> Comparison:
        self.skip_ws()
        start = self.pos
        if self.text.startswith("(", start):
            raise _error(
                f"parentheses are not supported (at '{_snippet(self.text, start)}'): "
                "write clauses joined by AND"
            )
        if _AND.match(self.text, start):
            raise _error(f"AND at '{_snippet(self.text, start)}' has no clause before it")
        ident = self.take(_IDENT)
        self.check_unmatched_quote(start)
        if ident is None or _NUMBER.fullmatch(ident):
            raise _error(
                f"expected a key such as {self.table.key_example} at "
                f"'{_snippet(self.text, start)}'; the key goes on the left of the comparator"
            )
        entity, key = _split_identifier(ident, self.table, ordering=False)
        comparator = self.comparator(ident)
        if comparator not in _allowed(self.table, entity, key):
            raise _error(self.bad_comparator_message(ident, comparator, entity, key))
        if comparator in ("IS NULL", "IS NOT NULL"):
            return Comparison(entity, key, comparator, None)
        self.skip_ws()
        if comparator in ("IN", "NOT IN"):
            return Comparison(entity, key, comparator, self.string_list(ident, key))
        value = self.value(ident, entity, key)
        return Comparison(entity, key, comparator, value)

    def check_unmatched_quote(self, start: int) -> None:
        """A key quote left open (`metrics.a) or glued on (param`.a) gets its own message."""
        if self.pos < len(self.text) and self.text[self.pos] in '`"':
            raise _error(
                f"unmatched {self.text[self.pos]} in the key at '{_snippet(self.text, start)}': "
                f"quote a whole prefix or name, e.g. {_quote_examples(self.table)}"
            )

    def comparator(self, ident: str) -> str:
        glued = self.pos < len(self.text) and not self.text[self.pos].isspace()
        self.skip_ws()
        found = self.take(_COMPARATOR)
        if found is None:
            rest = _snippet(self.text, self.pos)
            if not rest:
                raise _error(f"the clause on '{ident}' has no comparator and value")
            hint = ""
            if glued:
                hint = (
                    "; a name with characters other than letters, digits and _ must be "
                    'quoted, e.g. params.`my-param` or metrics."a/b"'
                )
            raise _error(
                f"expected a comparator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, IS NULL) "
                f"after '{ident}', got '{rest}'{hint}"
            )
        comparator = " ".join(found.upper().split())
        if comparator == "==":
            raise _error(f"'==' in the clause on '{ident}' is not a comparator: use '='")
        if comparator == "<>":
            raise _error(f"'<>' in the clause on '{ident}' is not a comparator: use '!='")
        return comparator

    def bad_comparator_message(self, ident: str, comparator: str, entity: str, key: str) -> str:
        table = self.table
        allowed = ", ".join(_allowed(table, entity, key))
        message = (
            f"'{comparator}' cannot be used on '{ident}': comparators for "
            f"{_comparator_subject(table, entity, key)} are {allowed}"
        )
        if comparator in NULL_COMPARATORS:
            kinds = [k for k, keyed in table.keyed.items() if "IS NULL" in keyed.comparators]
            plural = {METRIC: "metrics", PARAM: "params", TAG: "tags"}
            where = _and([plural[k] for k in kinds]) if kinds else None
            message += (
                f" (IS NULL / IS NOT NULL work on {where} only)"
                if where
                else f" ({table.name} take no IS NULL / IS NOT NULL)"
            )
        elif comparator in LIST_COMPARATORS:
            names = [
                f"{table.attribute_prefix}{a.name}"
                for a in table.attributes
                if a.searchable and "IN" in a.comparators
            ]
            message += f" (IN / NOT IN work on {_and(names)} only)"
        return message

    def value(self, ident: str, entity: str, key: str) -> object:
        start = self.pos
        attr = self.table.attribute(key) if entity == ATTRIBUTE else None
        if entity == METRIC or (attr is not None and attr.numeric):
            number = self.take(_NUMBER)
            if number is not None:
                return self.number(number, ident, entity, attr)
            what = "metric values" if entity == METRIC else f"'{key}' values"
            got, quoted = self.bad_value_text(start)
            got += " (quoted)" if quoted else ""
            raise _error(
                f"{what} must be numbers, got {got} in the clause on '{ident}': "
                "write the number without quotes"
            )
        string = self.take(_STRING)
        if string is not None:
            value = string[1:-1]
            if attr is not None and attr.type == ID:
                _whole_id(value, ident)
            return value
        got, _ = self.bad_value_text(start)
        what = {PARAM: "param", TAG: "tag"}.get(entity, "attribute")
        raise _error(
            f"{what} values must be quoted strings, got {got} in the clause on '{ident}': "
            "write it in 'single' or \"double\" quotes"
        )

    @staticmethod
    def number(text: str, ident: str, entity: str, attr: Attribute | None) -> float | int:
        is_float = re.search(r"[.eE]", text) is not None
        if attr is not None and attr.type == INTEGER and is_float:
            raise _error(
                f"'{attr.name}' values must be whole numbers, got '{text}' in the clause on "
                f"'{ident}': write it without a decimal point or exponent"
            )
        if entity == METRIC or is_float:
            value = float(text)
            if math.isinf(value):
                raise _error(
                    f"the number '{text}' in the clause on '{ident}' is too large: numbers "
                    "must be finite (at most about 1.8e308)"
                )
            return value
        value = int(text)
        if not _INT_MIN <= value <= _INT_MAX:
            raise _error(
                f"the number '{text}' in the clause on '{ident}' is out of range: whole "
                f"numbers must lie between {_INT_MIN} and {_INT_MAX}"
            )
        return value

    def bad_value_text(self, start: int) -> tuple[str, bool]:
        """The unusable value at ``start`` for an error message, and whether it was quoted."""
        text = self.text[start:]
        if not text.strip():
            return "nothing", False
        if text[0] in "'\"":
            m = _STRING.match(text)
            if m is None:
                raise _error(
                    f"the string starting at '{_snippet(self.text, start)}' has no closing "
                    f"{text[0]}: close the quote"
                )
            return f"'{m.group(0)[1:-1]}'", True
        return f"'{_NEXT_WORD.match(text).group(0)}'", False

    def string_list(self, ident: str, key: str) -> tuple[str, ...]:
        start = self.pos
        example = f"{ident} IN ('id1', 'id2')"
        if not self.text.startswith("(", self.pos):
            raise _error(
                f"IN needs a parenthesised list of quoted strings at "
                f"'{_snippet(self.text, start)}', e.g. {example}"
            )
        self.pos += 1
        items: list[str] = []
        while True:
            self.skip_ws()
            string = self.take(_STRING)
            if string is None:
                if self.text.startswith(")", self.pos) and not items:
                    raise _error(f"the IN list on '{ident}' is empty: give at least one value")
                raise _error(
                    f"IN lists hold quoted strings only, got '{_snippet(self.text, self.pos)}' "
                    f"in the clause on '{ident}', e.g. {example}"
                )
            items.append(string[1:-1])
            attr = self.table.attribute(key)
            if attr is not None and attr.type == ID:
                _whole_id(items[-1], ident)
            self.list_values += 1
            if self.list_values > MAX_LIST_VALUES:
                raise _error(
                    f"the filter's IN lists hold more than {MAX_LIST_VALUES} values: "
                    "search in smaller batches"
                )
            self.skip_ws()
            if self.text.startswith(",", self.pos):
                self.pos += 1
                continue
            if self.text.startswith(")", self.pos):
                self.pos += 1
                return tuple(items)
            raise _error(
                f"expected ',' or ')' in the IN list on '{ident}' at "
                f"'{_snippet(self.text, self.pos)}', e.g. {example}"
            )


def _whole_id(value: str, ident: str) -> None:
    if not re.fullmatch(r"[0-9]{1,18}", value):
        raise _error(
            f"'{value}' in the clause on '{ident}' is not an id: ids are whole numbers in "
            "quotes, e.g. experiment_id = '1'"
        )


def parse_filter(filter_string: str | None, table: EntityTable = RUNS) -> list[Comparison]:
    """Parse an MLflow search filter for ``table``'s entity (runs unless told).

    An empty or blank string means no filter.
    """
    if filter_string is None:
        return []
    if not isinstance(filter_string, str):
        raise _error(
            f'filter_string must be a string such as "metrics.rmse < 1", '
            f"got {type(filter_string).__name__}"
        )
    if not filter_string.strip():
        return []
    return _FilterParser(filter_string, table).parse()


def parse_order_by(
    order_by: list[str] | tuple[str, ...] | None, table: EntityTable = RUNS
) -> list[OrderBy]:
    """Parse order_by clauses like ``["metrics.rmse ASC", "start_time DESC"]``."""
    if order_by is None:
        return []
    if isinstance(order_by, str):
        raise _error(
            f"order_by must be a list of strings, got the string '{order_by}': "
            f"write order_by=['{order_by}']"
        )
    if not isinstance(order_by, (list, tuple)):
        raise _error(
            f"order_by must be a list of strings such as [{table.order_example.split(',')[0]}], "
            f"got {type(order_by).__name__}"
        )
    if len(order_by) > MAX_ORDER_BY:
        raise _error(f"order_by has {len(order_by)} clauses; at most {MAX_ORDER_BY} are allowed")
    result: list[OrderBy] = []
    seen: set[tuple[str, str]] = set()
    for clause in order_by:
        parsed = _parse_one_order_by(clause, table)
        if (parsed.entity, parsed.key) in seen:
            raise _error(
                f"order_by names {parsed.entity} '{parsed.key}' twice (in '{clause}'): "
                "keep one of them"
            )
        seen.add((parsed.entity, parsed.key))
        result.append(parsed)
    return result


def _parse_one_order_by(clause: object, table: EntityTable) -> OrderBy:
    if not isinstance(clause, str):
        raise _error(f"order_by entries must be strings like 'metrics.rmse ASC', got {clause!r}")
    text = clause.strip()
    ascending = True
    m = _IDENT.match(text)
    if m is None or _NUMBER.fullmatch(m.group(0)):
        raise _error(
            f"order_by clause '{clause}' does not start with a key: write e.g. "
            f"{table.order_example}"
        )
    rest = text[m.end() :]
    if rest.strip():
        direction = _ORDER.match(rest.strip())
        if not rest[:1].isspace() or direction is None:
            example = "metrics.`my metric`" if METRIC in table.keyed else "`name`"
            raise _error(
                f"order_by clause '{clause}' must be '<key>' optionally followed by ASC or "
                f"DESC, got '{rest.strip()}' after the key; quote names with spaces or "
                f"symbols in backticks, e.g. {example} DESC"
            )
        ascending = direction.group(1).upper() == "ASC"
    entity, key = _split_identifier(m.group(0), table, ordering=True)
    if entity not in table.orderable_kinds:
        raise _error(
            f"order_by clause '{clause}': {table.name} can be ordered by their attributes "
            f"only ({table.listed(orderable=True)})"
        )
    return OrderBy(entity, key, ascending)
