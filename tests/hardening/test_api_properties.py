"""Every route of the JSON API (server/api.py), driven with generated path segments and
query parameters, against one real `minitrack ui` on a prepared store.

The invariant (issue 11): an answer is 2xx, a JSON 4xx in MLflow's error shape, or a
JSON 503 (with Retry-After) when the store is locked; never a 500 or a text error. The
UI only reads, so the store is unchanged after every request.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minitrack.server import api

from . import strategies as s
from .answers import api_get

pytestmark = pytest.mark.timeout(600)

# Text as it can travel in a URL: any code point (a lone surrogate goes as the bytes
# Python would write for it, which are not UTF-8), or raw percent-escapes.
url_text = st.one_of(
    s.any_text.map(lambda t: quote(t, safe="", errors="surrogatepass")),
    st.sampled_from(["%FF", "%C3%28", "%00", "%", "%zz", "..", "%2e%2e", "a%2Fb", "+", ""]),
    s.tricky_ints.map(str),
)


def _value(text_or_raw):
    return text_or_raw if isinstance(text_or_raw, str) else str(text_or_raw)


def query(*pairs) -> str:
    """A query string from (name, already-encoded value) pairs."""
    parts = [f"{name}={value}" for name, value in pairs if value is not None]
    return "?" + "&".join(parts) if parts else ""


def encoded(strategy):
    """Values of ``strategy`` percent-encoded (surrogates as their raw bytes)."""
    return strategy.map(lambda v: quote(_value(v), safe="", errors="surrogatepass"))


def experiment_segments(prepared):
    return st.one_of(encoded(s.experiment_ids(prepared.experiment_id, "0")), url_text)


def run_segments(prepared):
    known = (prepared.run_id, prepared.deleted_run_id, prepared.running_run_id)
    return st.one_of(encoded(s.run_ids(*known)), url_text)


def check(served, target: str) -> int:
    prepared, server = served
    before = prepared.snapshot()
    status, _, _ = api_get(server, target)
    assert prepared.snapshot() == before, f"{target} changed the store"
    return status


def test_every_route_has_a_property_test():
    tested = {name.removeprefix("test_") for name in globals() if name.startswith("test_")}
    for route in api.routes:
        assert route.endpoint.__name__ in tested, f"untested route {route.path}"


@given(junk=st.one_of(st.none(), url_text))
def test_list_experiments(served, junk):
    assert check(served, "/api/experiments" + query(("view", junk))) == 200


@given(data=st.data())
def test_get_experiment(served, data):
    segment = data.draw(experiment_segments(served[0]))
    check(served, f"/api/experiments/{segment}")


@given(data=st.data())
def test_experiment_columns(served, data):
    segment = data.draw(experiment_segments(served[0]))
    check(served, f"/api/experiments/{segment}/columns")


_ints = st.one_of(st.none(), encoded(s.tricky_ints), url_text)


@given(
    data=st.data(),
    filter_string=st.one_of(st.none(), encoded(s.filters().filter(lambda f: f is not None))),
    order_by=st.lists(encoded(s.order_bys().filter(lambda o: o is not None)), max_size=3),
    limit=_ints,
    offset=_ints,
    keys=st.lists(st.tuples(st.sampled_from(["metric", "param", "tag"]), url_text), max_size=3),
)
def test_search_runs(served, data, filter_string, order_by, limit, offset, keys):
    segment = data.draw(experiment_segments(served[0]))
    target = f"/api/experiments/{segment}/runs" + query(
        ("filter", filter_string),
        *(("order_by", o) for o in order_by),
        ("limit", limit),
        ("offset", offset),
        *keys,
    )
    check(served, target)


@given(data=st.data())
def test_get_run(served, data):
    check(served, f"/api/runs/{data.draw(run_segments(served[0]))}")


_paths = st.one_of(st.none(), encoded(s.paths), url_text)


@given(data=st.data(), path=_paths)
def test_list_artifacts(served, data, path):
    segment = data.draw(run_segments(served[0]))
    check(served, f"/api/runs/{segment}/artifacts" + query(("path", path)))


@given(data=st.data(), path=_paths)
def test_preview_artifact(served, data, path):
    segment = data.draw(run_segments(served[0]))
    check(served, f"/api/runs/{segment}/artifacts/preview" + query(("path", path)))


@given(data=st.data(), path=_paths, download=st.one_of(st.none(), url_text, st.just("1")))
def test_get_artifact(served, data, path, download):
    segment = data.draw(run_segments(served[0]))
    target = f"/api/runs/{segment}/artifacts/file" + query(("path", path), ("download", download))
    check(served, target)


@given(data=st.data(), count=st.integers(0, 4), many=st.booleans())
def test_compare_runs(served, data, count, many):
    ids = [data.draw(run_segments(served[0])) for _ in range(count)]
    if many:
        ids += [f"{i:032x}" for i in range(101)]
    check(served, "/api/compare" + query(*(("run_id", r) for r in ids)))


@given(
    data=st.data(),
    count=st.integers(0, 3),
    key=st.one_of(st.none(), st.just("rmse"), encoded(s.keys), url_text),
)
def test_metric_history(served, data, count, key):
    ids = [data.draw(run_segments(served[0])) for _ in range(count)]
    check(served, "/api/metric-history" + query(("key", key), *(("run_id", r) for r in ids)))


@given(
    parts=st.lists(st.one_of(url_text, st.sampled_from(["runs", "experiments", "artifacts"])),
                   min_size=0, max_size=4),
    trailing=st.booleans(),
)  # fmt: skip
def test_api_not_found(served, parts, trailing):
    target = "/api/" + "/".join(parts) + ("/" if trailing else "")
    check(served, target)


_model_names = st.one_of(
    st.sampled_from(["taxi", "TAXI", "nope", "%2F", "a%2Fb"]), encoded(s.any_text), url_text
)
_registry_filters = st.one_of(
    st.none(), encoded(s.filters(("tags.", "tag.", "attribute.", "")).filter(lambda f: f))
)


@given(
    filter_string=_registry_filters,
    order_by=st.lists(encoded(s.order_bys(("attribute.", "")).filter(lambda o: o)), max_size=2),
    limit=_ints,
    page_token=st.one_of(st.none(), encoded(s.page_tokens.filter(lambda t: t))),
)
def test_list_models(served, filter_string, order_by, limit, page_token):
    target = "/api/models" + query(
        ("filter", filter_string),
        *(("order_by", o) for o in order_by),
        ("limit", limit),
        ("page_token", page_token),
    )
    check(served, target)


@given(name=_model_names)
def test_get_model(served, name):
    check(served, f"/api/models/{name}")


@given(
    name=_model_names,
    version=st.one_of(
        st.sampled_from(["1", "2", "3", "0", "v2"]), encoded(s.tricky_ints), url_text
    ),
)
def test_version_mlmodel(served, name, version):
    check(served, f"/api/models/{name}/versions/{version}/mlmodel")


@given(junk=st.one_of(st.none(), url_text))
def test_store_info(served, junk):
    assert check(served, "/api/store" + query(("x", junk))) == 200
