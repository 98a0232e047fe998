"""Deleted experiments and runs stay out of the UI unless its "Show deleted" toggles ask for
them (as in MLflow's UI); then they are shown, marked deleted. JSON first, then the pages in
headless Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

import minitrack
from minitrack import MlflowClient

from .conftest import RunningServer, get_json


@pytest.fixture
def lifecycle_server(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(uri)
    taxi = client.create_experiment("taxi")
    old = client.create_experiment("old-attempt")
    runs = {}
    for name, exp in (("kept", taxi), ("binned", taxi), ("old-run", old)):
        run = client.create_run(exp, run_name=name)
        client.log_metric(run.info.run_id, "rmse", 7.0)
        client.set_terminated(run.info.run_id)
        runs[name] = run.info.run_id
    client.delete_run(runs["binned"])
    client.delete_experiment(old)
    server = RunningServer(uri, tmp_path)
    yield server, {"taxi": taxi, "old": old}, runs
    server.stop()
    minitrack.set_tracking_uri(None)


def test_api_hides_deleted_unless_asked(lifecycle_server):
    server, exps, runs = lifecycle_server
    status, body = get_json(server, "/api/experiments")
    assert status == 200
    assert [e["name"] for e in body["experiments"]] == ["Default", "taxi"]
    _, body = get_json(server, "/api/experiments", deleted=1)
    stages = {e["name"]: e["lifecycle_stage"] for e in body["experiments"]}
    assert stages == {"Default": "active", "taxi": "active", "old-attempt": "deleted"}
    _, body = get_json(server, f"/api/experiments/{exps['taxi']}/runs")
    assert [r["run_name"] for r in body["runs"]] == ["kept"] and body["total"] == 1
    _, body = get_json(server, f"/api/experiments/{exps['taxi']}/runs", deleted=1)
    shown = {r["run_name"]: r["lifecycle_stage"] for r in body["runs"]}
    assert shown == {"kept": "active", "binned": "deleted"}


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.timeout(120)
def test_show_deleted_toggles_in_the_browser(browser, lifecycle_server):
    server, exps, runs = lifecycle_server
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(server.url + "/")
        expect(page.locator(f'tr[data-experiment-id="{exps["taxi"]}"]')).to_be_visible()
        old_row = page.locator(f'tr[data-experiment-id="{exps["old"]}"]')
        expect(old_row).to_have_count(0)
        page.check("#show-deleted")
        expect(old_row).to_be_visible()
        expect(old_row).to_have_class("deleted")
        expect(old_row.locator(".deleted-badge")).to_have_text("deleted")
        assert page.url.endswith("/?deleted=1")
        page.uncheck("#show-deleted")
        expect(old_row).to_have_count(0)

        page.goto(f"{server.url}/experiments/{exps['taxi']}")
        kept = page.locator(f'tr[data-run-id="{runs["kept"]}"]')
        binned = page.locator(f'tr[data-run-id="{runs["binned"]}"]')
        expect(kept).to_be_visible()
        expect(binned).to_have_count(0)
        page.check("#show-deleted")
        expect(binned).to_be_visible()
        expect(binned).to_have_class("deleted")
        expect(binned.locator(".deleted-badge")).to_have_text("deleted")
        expect(page.locator("#page-info")).to_have_text("1-2 of 2 runs")
        page.reload()  # the choice is in the URL
        expect(page.locator("#show-deleted")).to_be_checked()
        expect(binned).to_be_visible()
        assert errors == []
    finally:
        context.close()
