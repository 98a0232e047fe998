"""Issue 11 item 6, case by case: each escape it lists is now a MinitrackException that
names the bad value (a JSON 400 or 404 over HTTP), and the store is left unchanged."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

import pytest

from minitrack.entities import Metric
from minitrack.server import views

from .answers import api_json

pytestmark = pytest.mark.timeout(120)

HUGE = "9" * 40


def refused(store, fn, *args, **kwargs):
    result, exc = store.call(fn, *args, **kwargs)
    assert exc is not None, f"accepted, returned {result!r}"
    return exc.message


@pytest.mark.parametrize(
    "filter_string, named",
    [
        # A metric compares as a 64-bit float: 40 digits fit, 400 do not.
        ("metrics.rmse > " + "9" * 400, "9" * 40),
        (f"attributes.start_time > {HUGE}", HUGE),
        (f"attributes.end_time <= -{HUGE}", HUGE),
        ("metrics.rmse < 1e999", "1e999"),
    ],
)
def test_huge_number_in_a_run_filter_is_refused(store, filter_string, named):
    message = refused(store, store.client.search_runs, [store.experiment_id], filter_string)
    assert named in message
    assert "range" in message or "too large" in message


def test_huge_number_in_an_experiment_filter_is_refused(store):
    message = refused(
        store, store.client.search_experiments, filter_string=f"creation_time > {HUGE}"
    )
    assert HUGE in message


@pytest.mark.parametrize("start_time", [10**30, 2**63, -1])
def test_start_time_out_of_range_is_refused(store, start_time):
    message = refused(store, store.client.create_run, store.experiment_id, start_time=start_time)
    assert "start_time" in message and str(start_time) in message


def test_end_time_out_of_range_is_refused(store):
    message = refused(store, store.client.set_terminated, store.running_run_id, end_time=2**64)
    assert "end_time" in message


# Found by the 5,000-example run: a hand-made token past SQLite's 64-bit OFFSET.
@pytest.mark.parametrize("offset", [2**63, 10**30])
@pytest.mark.parametrize(
    "search",
    [
        "search_runs",
        "search_experiments",
        "search_registered_models",
        "search_model_versions",
        "search_logged_models",
    ],
)
def test_page_token_past_any_offset_is_refused(store, search, offset):
    token = base64.b64encode(json.dumps({"offset": offset}).encode()).decode()
    kwargs = {"experiment_ids": [store.experiment_id]} if search == "search_runs" else {}
    message = refused(
        store, getattr(store.client, search), max_results=1, page_token=token, **kwargs
    )
    assert "page_token" in message


@pytest.mark.parametrize("where", ["key", "value"])
def test_lone_surrogate_in_a_tag_is_refused(store, where):
    key, value = ("k\ud800", "v") if where == "key" else ("k", "v\udcff")
    message = refused(store, store.client.set_tag, store.run_id, key, value)
    assert "k" in message
    if where == "value":
        assert "surrogate" in message
    message = refused(store, store.client.create_run, store.experiment_id, tags={key: value})
    assert "k" in message


def test_lone_surrogate_in_a_param_metric_key_and_experiment_name_is_refused(store):
    c = store.client
    assert "surrogate" in refused(store, c.log_param, store.run_id, "p", "\ud800")
    refused(store, c.log_metric, store.run_id, "m\ud800", 1.0)
    assert "surrogate" in refused(store, c.create_experiment, "exp\ud800")
    assert "surrogate" in refused(store, c.set_experiment_tag, store.experiment_id, "t", "\ud800")
    refused(store, c.log_batch, store.run_id, metrics=[Metric("m\udc80", 1.0, 0, 0)])


def test_set_terminated_with_a_text_end_time_is_refused(store):
    message = refused(store, store.client.set_terminated, store.running_run_id, end_time="abc")
    assert "end_time" in message and "abc" in message


def test_create_run_with_a_text_start_time_is_refused(store):
    message = refused(store, store.client.create_run, store.experiment_id, start_time="yesterday")
    assert "start_time" in message and "yesterday" in message


def test_seventy_clause_filter_is_answered(store):
    c = store.client
    for entity, clause in [
        ("metrics", "metrics.m{} > 0"),
        ("params", "params.p{} = 'x'"),
        ("tags", "tags.t{} != 'x'"),
    ]:
        filter_string = " AND ".join(clause.format(i) for i in range(70))
        assert list(c.search_runs([store.experiment_id], filter_string)) == [], entity
    # Over the bound on clauses: a clear refusal, never SQLite's "64 tables in a join".
    too_many = " AND ".join(f"metrics.m{i} > 0" for i in range(101))
    message = refused(store, c.search_runs, [store.experiment_id], too_many)
    assert "64 tables" not in message and "clauses" in message


# -- the same cases over HTTP, against one real `minitrack ui` --------------------------


def test_api_huge_experiment_id_is_a_json_404(served):
    _, server = served
    for route in ("", "/runs", "/columns"):
        status, body = api_json(server, f"/api/experiments/{HUGE}{route}")
        assert status == 404, (route, body)
        assert HUGE[:30] in body["message"]


def test_api_overflowing_filter_is_a_json_400(served):
    prepared, server = served
    query = urlencode({"filter": f"attributes.start_time > {HUGE}"})
    status, body = api_json(server, f"/api/experiments/{prepared.experiment_id}/runs?{query}")
    assert status == 400 and HUGE in body["message"]


def test_api_seventy_clause_filter_is_answered(served):
    prepared, server = served
    query = urlencode({"filter": " AND ".join(f"metrics.m{i} > 0" for i in range(70))})
    status, body = api_json(server, f"/api/experiments/{prepared.experiment_id}/runs?{query}")
    assert status == 200 and body["total"] == 0


def test_api_metric_history_of_an_unknown_run_is_a_json_404(served):
    prepared, server = served
    unknown = "0" * 32
    query = urlencode({"key": "rmse", "run_id": [prepared.run_id, unknown]}, doseq=True)
    status, body = api_json(server, f"/api/metric-history?{query}")
    assert status == 404 and unknown in body["message"]


def test_experiments_page_reads_after_refused_times(served):
    """The refused times of item 6 never reach the store, so the page's data still loads."""
    prepared, server = served
    status, body = api_json(server, "/api/experiments")
    assert status == 200
    assert {e["name"] for e in body["experiments"]} >= {"hardening", "other"}
    assert views.json_number(float("nan")) is None
