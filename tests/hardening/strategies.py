"""What the property tests feed the public API: keys, values, ids, filters, paths, tokens.

Each strategy mixes values a student would plausibly pass (valid keys, real ids, filters
in MLflow's grammar) with the ones that broke minitrack before: huge integers, lone
surrogates, NUL, '..' segments, wrong types, malformed tokens.
"""

from __future__ import annotations

import base64
import json
import math
import uuid

from hypothesis import strategies as st

INT64 = 2**63
# Text with every code point, lone surrogates included (st.text() leaves those out).
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=30)
tricky_ints = st.one_of(
    st.integers(-(2**70), 2**70),
    st.sampled_from([0, -1, 1, INT64 - 1, INT64, -INT64, -INT64 - 1, 10**400]),
)
tricky_floats = st.floats(allow_nan=True, allow_infinity=True)
hashable_odd = st.sampled_from([None, True, False, b"bytes", (1, 2), object(), 1 + 2j, 1.5])
odd_objects = st.one_of(hashable_odd, st.sampled_from([[], ["a"], {}, {"a": 1}]))


def long_text(limit: int):
    """Text around a length limit (Hypothesis draws no text this long by itself)."""
    return st.tuples(st.integers(limit - 2, limit + 2), st.sampled_from("aé\u20ac")).map(
        lambda nc: nc[1] * nc[0]
    )


# -- keys and values -----------------------------------------------------------------------
valid_key = st.from_regex(r"\A[a-zA-Z0-9_][\w.\- /:]{0,20}[\w]\Z|\A\w\Z", fullmatch=True)
keys = st.one_of(
    valid_key,
    st.sampled_from(["", ".", "..", "a/../b", "/abs", "a//b", "k" * 251, "k" * 250, "a\x00b"]),
    any_text,
    hashable_odd,
    tricky_ints,
)
values = st.one_of(any_text, tricky_ints, tricky_floats, odd_objects, long_text(6000))
metric_values = st.one_of(tricky_floats, tricky_ints, any_text, odd_objects)
timestamps = st.one_of(st.none(), tricky_ints, tricky_floats, any_text, odd_objects)


# -- ids ---------------------------------------------------------------------------------
def experiment_ids(*known: str):
    return st.one_of(
        st.sampled_from([*known, "0", "999999", str(INT64 - 1), str(INT64), "9" * 40]),
        tricky_ints.map(str),
        tricky_ints,
        any_text,
        odd_objects,
        tricky_floats,
    )


def run_ids(*known: str):
    return st.one_of(
        st.sampled_from([*known, uuid.uuid4().hex, "a" * 256, "a" * 257]),
        st.from_regex(r"\A[a-zA-Z0-9][\w\-]{0,40}\Z", fullmatch=True),
        any_text,
        odd_objects,
        tricky_ints,
    )


# -- filters and order_by ----------------------------------------------------------------
_names = st.one_of(
    st.sampled_from(["rmse", "alpha", "stage", "mlflow.runName", "nan", "model", "x y"]),
    st.from_regex(r"\A\w{1,8}\Z", fullmatch=True),
    any_text,
)


def _ident(prefixes):
    bare = st.sampled_from(
        [
            "status", "run_id", "run_name", "start_time", "end_time", "artifact_uri",
            "user_id", "lifecycle_stage", "name", "creation_time", "last_update_time",
            "experiment_id", "datasets.name",
        ]
    )  # fmt: skip

    def prefixed(parts):
        prefix, name, quote = parts
        if quote == "`":
            name = "`" + name.replace("`", "``") + "`"
        elif quote == '"':
            name = '"' + name.replace('"', '""') + '"'
        return f"{prefix}.{name}"

    quotes = st.sampled_from(["", "`", '"'])
    return st.one_of(bare, st.tuples(st.sampled_from(prefixes), _names, quotes).map(prefixed))


_comparators = st.sampled_from(
    ["=", "!=", "<", ">", "<=", ">=", "LIKE", "ILIKE", "IN", "NOT IN", "IS NULL",
     "IS NOT NULL", "==", "<>", "~", ""]
)  # fmt: skip


def _literal():
    quoted = any_text.map(lambda s: "'" + s.replace("'", "''") + "'")
    numbers = st.one_of(
        tricky_ints.map(str),
        tricky_floats.map(repr),
        st.sampled_from(["1e999", "-1e999", "1e-999", "9" * 400, ".5", "5.", "0x10", "1_0"]),
    )
    lists = st.lists(quoted, max_size=4).map(lambda xs: "(" + ", ".join(xs) + ")")
    return st.one_of(quoted, numbers, lists, any_text)


def _clause(prefixes):
    def join(parts):
        ident, op, value = parts
        return f"{ident} {op}" if op.startswith("IS") else f"{ident} {op} {value}"

    return st.tuples(_ident(prefixes), _comparators, _literal()).map(join)


RUN_PREFIXES = ["metrics", "metric", "params", "param", "tags", "tag", "attributes", "attr",
                "run", "dataset", "datasets", "m", "x"]  # fmt: skip
EXPERIMENT_PREFIXES = ["tags", "tag", "attribute", "attributes", "attr", "params", "x"]


def filters(prefixes=RUN_PREFIXES):
    joined = st.lists(_clause(prefixes), min_size=1, max_size=4).flatmap(
        lambda cs: st.sampled_from([" AND ", " and ", " OR ", " ; ", " "]).map(lambda j: j.join(cs))
    )
    many = st.integers(60, 120).map(lambda n: " AND ".join(f"metrics.m{i} > {i}" for i in range(n)))
    return st.one_of(st.none(), st.just(""), joined, many, any_text, odd_objects, tricky_ints)


def order_bys(prefixes=RUN_PREFIXES):
    one = st.one_of(
        st.tuples(_ident(prefixes), st.sampled_from(["", " ASC", " DESC", " asc", " UP"])).map(
            "".join
        ),
        any_text,
        odd_objects,
    )
    return st.one_of(
        st.none(),
        st.lists(one, max_size=4),
        st.lists(st.just("metrics.rmse"), min_size=17, max_size=20),
        any_text,
        odd_objects,
    )


def _token(payload) -> str:
    return base64.b64encode(json.dumps(payload).encode()).decode()


page_tokens = st.one_of(
    st.none(),
    st.just(""),
    st.integers(0, 5).map(lambda n: _token({"offset": n})),
    st.one_of(tricky_ints, tricky_floats.filter(math.isfinite), any_text, st.none()).map(
        lambda v: _token({"offset": v})
    ),
    st.sampled_from([_token([1]), _token("x"), _token({}), "!!!", "e30=", "a" * 5]),
    any_text,
    odd_objects,
)
max_results = st.one_of(st.none(), tricky_ints, st.integers(1, 5), odd_objects, tricky_floats)
view_types = st.one_of(st.sampled_from([1, 2, 3]), tricky_ints, any_text, odd_objects)
statuses = st.one_of(
    st.sampled_from(["FINISHED", "FAILED", "KILLED", "RUNNING", "SCHEDULED", "finished", 1, 3]),
    any_text,
    tricky_ints,
    odd_objects,
)

# -- artifact paths ----------------------------------------------------------------------
_segment = st.one_of(
    st.sampled_from(["", ".", "..", "a", "b.txt", "notes", "hello.txt", "a:b", "~x", "\\", "\x00"]),
    st.from_regex(r"\A[\w.\-]{1,8}\Z", fullmatch=True),
    any_text.filter(lambda s: "/" not in s),
)
_joined = st.lists(_segment, min_size=1, max_size=4).map("/".join)
paths = st.one_of(
    st.sampled_from(["notes/hello.txt", "config.json", "a/b/c.txt", "a", "notes"]),
    _joined,
    _joined.map(lambda p: "/" + p),
    st.just("/etc/passwd"),
    odd_objects,
    tricky_ints,
)
optional_paths = st.one_of(st.none(), paths)
