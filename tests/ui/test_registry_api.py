"""The registry's JSON under /api/models, against `minitrack ui` on the filled store
(tests/ui/fill_store.py registers the models). These are the answers docs/ui-api.md shows."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from .conftest import get_json
from .fill_store import MODEL, QUOTED_MODEL, XSS_NAME, XSS_PARAM, XSS_TAG

pytestmark = pytest.mark.timeout(60)


def models(server, **params) -> list[dict]:
    status, body = get_json(server, "/api/models", **params)
    assert status == 200, body
    return body["models"]


def model(server, name: str) -> dict:
    status, body = get_json(server, f"/api/models/{quote(name, safe='')}")
    assert status == 200, body
    return body


def test_models_list_latest_version_aliases_tags_and_last_update(ui_server):
    found = {m["name"]: m for m in models(ui_server)}

    assert set(found) == {MODEL, XSS_NAME, QUOTED_MODEL}
    taxi = found[MODEL]
    assert taxi["latest_version"] == 3
    assert taxi["aliases"] == {"challenger": 1, "champion": 2}
    assert taxi["tags"] == {"team": "taxi"}
    assert taxi["description"] == "Predicts trip duration in minutes."
    assert taxi["last_updated_timestamp"] >= taxi["creation_timestamp"]


def test_the_search_box_takes_the_registry_grammar(ui_server):
    assert [m["name"] for m in models(ui_server, filter="name LIKE 'nyc-%'")] == [MODEL]
    assert [m["name"] for m in models(ui_server, filter="tags.team = 'taxi'")] == [MODEL]
    assert models(ui_server, filter="tags.team = 'nobody'") == []
    names = [m["name"] for m in models(ui_server, order_by="name DESC")]
    assert names == sorted(names, reverse=True)


def test_a_filter_the_registry_does_not_take_is_a_400_naming_the_problem(ui_server):
    # Run attributes and version_number are not registered-model attributes (as in MLflow).
    for bad in ("metrics.rmse < 5", "version_number = 1", "name = 'a' OR name = 'b'"):
        status, body = get_json(ui_server, "/api/models", filter=bad)
        assert status == 400, bad
        assert body["error_code"] == "INVALID_PARAMETER_VALUE"
        assert body["message"]


def test_a_model_page_lists_every_version_newest_first_with_aliases(ui_server, ui_store):
    body = model(ui_server, MODEL)
    versions = body["versions"]

    assert body["model"]["name"] == MODEL
    assert [v["version"] for v in versions] == [3, 2, 1]
    assert {v["version"]: v["aliases"] for v in versions} == {
        3: [],
        2: ["champion"],
        1: ["challenger"],
    }
    assert versions[1]["tags"] == {"validated": "yes"}
    assert versions[1]["description"] == "Deeper trees."
    assert versions[1]["current_stage"] == "None"
    best = ui_store.run_ids["best-xgb"]
    assert [(v["run_id"], v["run_name"]) for v in versions[1:]] == [(best, "best-xgb")] * 2
    assert versions[0]["run_id"] is None  # registered from a saved folder
    assert versions[0]["source"].endswith("saved-model")


def test_a_name_with_both_quote_marks_still_lists_its_versions(ui_server):
    assert [v["version"] for v in model(ui_server, QUOTED_MODEL)["versions"]] == [2, 1]


def test_the_mlmodel_of_a_version_comes_from_its_runs_artifacts(ui_server):
    status, body = get_json(ui_server, f"/api/models/{MODEL}/versions/2/mlmodel")

    assert status == 200, body
    assert body["path"] == "model/MLmodel"
    assert body["kind"] == "yaml"
    assert "flavors:" in body["text"] and "sklearn" in body["text"]
    assert body["model_uri"] == f"models:/{MODEL}/2"


def test_a_version_whose_files_lie_outside_every_run_is_not_read(ui_server):
    status, body = get_json(ui_server, f"/api/models/{MODEL}/versions/3/mlmodel")

    assert status == 404
    assert "not in a run's artifacts" in body["message"]
    assert f"load_model('models:/{MODEL}/3')" in body["message"]


@pytest.mark.parametrize(
    "endpoint",
    [
        "/api/models/no-such-model",
        f"/api/models/{MODEL}/versions/9/mlmodel",
        f"/api/models/{MODEL}/versions/latest/mlmodel",
        "/api/models/no-such-model/versions/1/mlmodel",
    ],
)
def test_what_does_not_exist_is_a_404(ui_server, endpoint):
    status, body = get_json(ui_server, endpoint)
    assert status == 404
    assert body["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_the_run_page_json_names_the_versions_registered_from_it(ui_server, ui_store):
    _, body = get_json(ui_server, f"/api/runs/{ui_store.run_ids['best-xgb']}")
    registered = body["run"]["registered_versions"]

    assert {"name": MODEL, "version": 2, "aliases": ["champion"]} in registered
    assert {"name": MODEL, "version": 1, "aliases": ["challenger"]} in registered
    assert {"name": XSS_NAME, "version": 1, "aliases": ["prod"]} in registered
    _, other = get_json(ui_server, f"/api/runs/{ui_store.run_ids['xgb-00']}")
    assert other["run"]["registered_versions"] == []


def test_logged_text_in_the_registry_comes_back_as_written(ui_server):
    body = model(ui_server, XSS_NAME)
    assert body["model"]["description"] == XSS_PARAM
    assert body["versions"][0]["tags"] == {"note": XSS_TAG}
