"""MLflow's run-search grammar: a filter string and order_by clauses, parsed and checked.

A filter is clauses joined by ``AND``; each clause is ``<key> <comparator> <value>``,
``<key> IS [NOT] NULL`` or ``run_id [NOT] IN ('a', 'b')``. A key is an entity prefix
and a name (``metrics.rmse``, ``params.`max depth```, ``tags.mlflow.runName``) or a
bare run attribute (``status``). Parsing is strict: anything MLflow would refuse, or
would accept and then silently misread, is an error that names the part and the fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from minitrack.exceptions import INVALID_PARAMETER_VALUE, MinitrackException

METRIC, PARAM, TAG, ATTRIBUTE = "metric", "param", "tag", "attribute"

# Every spelling MLflow accepts for each entity prefix.
_PREFIXES = {
    "metric": METRIC,
    "metrics": METRIC,
    "param": PARAM,
    "params": PARAM,
    "parameter": PARAM,
    "parameters": PARAM,
    "tag": TAG,
    "tags": TAG,
    "attribute": ATTRIBUTE,
    "attributes": ATTRIBUTE,
    "attr": ATTRIBUTE,
    "run": ATTRIBUTE,
}

NUMERIC_ATTRIBUTES = frozenset({"start_time", "end_time"})
STRING_ATTRIBUTES = frozenset({"run_id", "run_name", "status", "user_id", "artifact_uri"})
_ATTRIBUTE_ALIASES = {
    "created": "start_time",
    "Created": "start_time",
    "run name": "run_name",
    "Run name": "run_name",
    "Run Name": "run_name",
}
_ATTRIBUTE_HELP = "run_id, run_name, status, user_id, artifact_uri, start_time, end_time"

_NUMBER_COMPARATORS = ("=", "!=", ">", ">=", "<", "<=")
_ALLOWED = {
    METRIC: _NUMBER_COMPARATORS,
    PARAM: ("=", "!=", "LIKE", "ILIKE", "IS NULL", "IS NOT NULL"),
    TAG: ("=", "!=", "LIKE", "ILIKE", "IS NULL", "IS NOT NULL"),
    "numeric attribute": _NUMBER_COMPARATORS,
    "string attribute": ("=", "!=", "LIKE", "ILIKE"),
    "run_id": ("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"),
}


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


def _split_identifier(ident: str) -> tuple[str, str]:
    """Turn ``metrics.`a b``` into (METRIC, "a b"); a bare name is an attribute."""
    parts = _PART_RE.findall(ident)
    if len(parts) == 1:
        return ATTRIBUTE, _attribute_key(_unquote(parts[0]), ident)
    prefix = parts[0][1:-1] if parts[0].startswith("`") else parts[0]
    entity = _PREFIXES.get(prefix)
    if prefix in ("dataset", "datasets"):
        raise _error(
            f"'{ident}': minitrack does not track datasets, so runs cannot be searched by "
            "them; log the dataset name as a param or tag and filter on that"
        )
    if entity is None:
        raise _error(
            f"unknown entity '{prefix}' in '{ident}': use metrics., params., tags. or "
            "attributes. before the name"
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
        key = _attribute_key(key, ident)
    return entity, key


def _attribute_key(key: str, ident: str) -> str:
    key = _ATTRIBUTE_ALIASES.get(key, key)
    if key in NUMERIC_ATTRIBUTES or key in STRING_ATTRIBUTES:
        return key
    hint = ""
    if "." not in ident:
        hint = f" (for a metric, param or tag write metrics.{key}, params.{key} or tags.{key})"
    if key in ("experiment_id", "lifecycle_stage"):
        hint = " (pass experiment_ids and run_view_type to search_runs instead)"
    raise _error(
        f"unknown attribute '{key}' in '{ident}': searchable run attributes are "
        f"{_ATTRIBUTE_HELP}{hint}"
    )


def _kind(entity: str, key: str) -> str:
    if entity != ATTRIBUTE:
        return entity
    if key == "run_id":
        return "run_id"
    return "numeric attribute" if key in NUMERIC_ATTRIBUTES else "string attribute"


class _FilterParser:
    """Reads a filter string left to right, one clause at a time."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

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
                f"expected a key such as metrics.rmse, params.alpha, tags.model or status at "
                f"'{_snippet(self.text, start)}'; the key goes on the left of the comparator"
            )
        entity, key = _split_identifier(ident)
        comparator = self.comparator(ident)
        kind = _kind(entity, key)
        if comparator not in _ALLOWED[kind]:
            raise _error(self.bad_comparator_message(ident, comparator, kind))
        if comparator in ("IS NULL", "IS NOT NULL"):
            return Comparison(entity, key, comparator, None)
        self.skip_ws()
        if comparator in ("IN", "NOT IN"):
            return Comparison(entity, key, comparator, self.string_list(ident))
        value = self.value(ident, entity, key)
        return Comparison(entity, key, comparator, value)

    def check_unmatched_quote(self, start: int) -> None:
        """A key quote left open (`metrics.a) or glued on (param`.a) gets its own message."""
        if self.pos < len(self.text) and self.text[self.pos] in '`"':
            raise _error(
                f"unmatched {self.text[self.pos]} in the key at '{_snippet(self.text, start)}': "
                "quote a whole prefix or name, e.g. `params`.alpha or metrics.`my metric`"
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

    @staticmethod
    def bad_comparator_message(ident: str, comparator: str, kind: str) -> str:
        allowed = ", ".join(_ALLOWED[kind])
        what = {METRIC: "metrics", PARAM: "params", TAG: "tags", "run_id": "run_id"}
        message = (
            f"'{comparator}' cannot be used on '{ident}': comparators for "
            f"{what.get(kind, kind + 's')} are {allowed}"
        )
        if comparator in ("IS NULL", "IS NOT NULL"):
            message += " (IS NULL / IS NOT NULL work on params and tags only)"
        elif comparator in ("IN", "NOT IN"):
            message += " (IN / NOT IN work on attributes.run_id only)"
        return message

    def value(self, ident: str, entity: str, key: str) -> object:
        start = self.pos
        if entity == METRIC or key in NUMERIC_ATTRIBUTES:
            number = self.take(_NUMBER)
            if number is not None:
                if entity == METRIC:
                    return float(number)
                return float(number) if re.search(r"[.eE]", number) else int(number)
            what = "metric values" if entity == METRIC else f"'{key}' values"
            got, quoted = self.bad_value_text(start)
            got += " (quoted)" if quoted else ""
            raise _error(
                f"{what} must be numbers, got {got} in the clause on '{ident}': "
                "write the number without quotes"
            )
        string = self.take(_STRING)
        if string is not None:
            return string[1:-1]
        got, _ = self.bad_value_text(start)
        what = {PARAM: "param", TAG: "tag"}.get(entity, "attribute")
        raise _error(
            f"{what} values must be quoted strings, got {got} in the clause on '{ident}': "
            "write it in 'single' or \"double\" quotes"
        )

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

    def string_list(self, ident: str) -> tuple[str, ...]:
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
                    raise _error(f"the IN list on '{ident}' is empty: give at least one run id")
                raise _error(
                    f"IN lists hold quoted strings only, got '{_snippet(self.text, self.pos)}' "
                    f"in the clause on '{ident}', e.g. {example}"
                )
            items.append(string[1:-1])
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


def parse_filter(filter_string: str | None) -> list[Comparison]:
    """Parse an MLflow search filter; an empty or blank string means no filter."""
    if filter_string is None:
        return []
    if not isinstance(filter_string, str):
        raise _error(
            f'filter_string must be a string such as "metrics.rmse < 1", '
            f"got {type(filter_string).__name__}"
        )
    if not filter_string.strip():
        return []
    return _FilterParser(filter_string).parse()


def parse_order_by(order_by: list[str] | tuple[str, ...] | None) -> list[OrderBy]:
    """Parse order_by clauses like ``["metrics.rmse ASC", "start_time DESC"]``."""
    if order_by is None:
        return []
    if isinstance(order_by, str):
        raise _error(
            f"order_by must be a list of strings, got the string '{order_by}': "
            f"write order_by=['{order_by}']"
        )
    result: list[OrderBy] = []
    seen: set[tuple[str, str]] = set()
    for clause in order_by:
        parsed = _parse_one_order_by(clause)
        if (parsed.entity, parsed.key) in seen:
            raise _error(
                f"order_by names {parsed.entity} '{parsed.key}' twice (in '{clause}'): "
                "keep one of them"
            )
        seen.add((parsed.entity, parsed.key))
        result.append(parsed)
    return result


def _parse_one_order_by(clause: object) -> OrderBy:
    if not isinstance(clause, str):
        raise _error(f"order_by entries must be strings like 'metrics.rmse ASC', got {clause!r}")
    text = clause.strip()
    ascending = True
    m = _IDENT.match(text)
    if m is None or _NUMBER.fullmatch(m.group(0)):
        raise _error(
            f"order_by clause '{clause}' does not start with a key: write e.g. "
            "'metrics.rmse ASC', 'params.alpha DESC' or 'start_time'"
        )
    rest = text[m.end() :]
    if rest.strip():
        direction = _ORDER.match(rest.strip())
        if not rest[:1].isspace() or direction is None:
            raise _error(
                f"order_by clause '{clause}' must be '<key>' optionally followed by ASC or "
                f"DESC, got '{rest.strip()}' after the key; quote names with spaces or "
                "symbols in backticks, e.g. metrics.`my metric` DESC"
            )
        ascending = direction.group(1).upper() == "ASC"
    entity, key = _split_identifier(m.group(0))
    return OrderBy(entity, key, ascending)
