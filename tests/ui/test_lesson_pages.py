"""Run and compare pages of stores shaped like each lesson's output, in headless Chromium.

A history chart only for a metric logged more than once (per step or round); a
single value is a value in the table, not a one-dot chart. Logged text in charts
(run names, param values) shows as written, never as plotly's pseudo-HTML.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import HERE, RunningServer
from .fill_lessons import BOLD, LESSON_01_METRICS, LINK_NAME, ROUNDS, XGB_ROUNDS

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(180)]


@pytest.fixture(scope="module")
def lessons(tmp_path_factory):
    """A server on the lesson-shaped store; yields (server, run ids by name, tracking URI)."""
    folder = tmp_path_factory.mktemp("lesson-store")
    tracking_uri = f"sqlite:///{folder / 'mlflow.db'}"
    filled = subprocess.run(
        [sys.executable, str(HERE / "fill_lessons.py"), tracking_uri],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=170,
    )
    assert filled.returncode == 0, filled.stderr
    ids = json.loads(filled.stdout.strip().splitlines()[-1])
    server = RunningServer(tracking_uri, folder)
    yield server, ids, tracking_uri
    server.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    yield page
    assert page.errors == []
    context.close()


def open_run(page, lessons, name: str) -> None:
    server, ids, _ = lessons
    page.goto(f"{server.url}/runs/{ids[name]}")
    page.wait_for_selector('#metric-charts[data-loaded="true"]', state="attached")


def charts(page) -> dict[str, int]:
    """The history charts drawn: metric -> number of points."""
    page.wait_for_function(
        "[...document.querySelectorAll('.metric-history')]"
        ".every((h) => h.querySelector('svg.main-svg'))"
    )
    found = {}
    for holder in page.locator(".metric-history").all():
        key = holder.get_attribute("data-metric")
        found[key] = holder.locator(".scatterlayer .point").count()
    return found


def metric_values(page) -> dict[str, float]:
    rows = page.locator("#metrics-table tbody tr").all()
    return {r.get_attribute("data-key"): float(r.locator("td").nth(1).inner_text()) for r in rows}


def stored_metrics(lessons, name: str) -> dict[str, float]:
    import minitrack

    _, ids, tracking_uri = lessons
    client = minitrack.MlflowClient(tracking_uri)
    return client.get_run(ids[name]).data.metrics


def test_lesson_01_run_shows_its_three_values_and_no_chart(page, lessons):
    open_run(page, lessons, "lesson-01")
    assert metric_values(page) == LESSON_01_METRICS
    assert page.locator("#metrics-section svg.main-svg").count() == 0
    assert charts(page) == {}


@pytest.mark.parametrize("trial", ["trial-0", "trial-2"])
def test_a_sweep_run_charts_only_its_per_round_history(page, lessons, trial):
    open_run(page, lessons, trial)
    assert charts(page) == {"validation-rmse": ROUNDS}
    assert set(metric_values(page)) == {
        "validation-rmse",
        "rmse",
        "training_time_s",
        "model_size_bytes",
    }
    assert metric_values(page) == pytest.approx(stored_metrics(lessons, trial), rel=1e-5)
    # The chart is a line over the rounds, on a step axis.
    xtitle = page.locator('.metric-history[data-metric="validation-rmse"] .xtitle')
    assert xtitle.text_content() == "step"


def test_an_xgboost_autologged_run_charts_the_rounds_and_lists_its_model(page, lessons):
    open_run(page, lessons, "xgboost-autolog")
    assert charts(page) == {"validation-rmse": XGB_ROUNDS}
    assert metric_values(page) == pytest.approx(stored_metrics(lessons, "xgboost-autolog"), 1e-5)
    page.locator('#artifact-tree li.dir[data-path="model"]').wait_for()


def test_a_sklearn_autologged_run_shows_training_values_and_no_chart(page, lessons):
    open_run(page, lessons, "lasso-autolog")
    shown = metric_values(page)
    assert {k for k in shown if k.startswith("training_")} >= {
        "training_score",
        "training_r2_score",
        "training_mean_squared_error",
    }
    assert shown == pytest.approx(stored_metrics(lessons, "lasso-autolog"), rel=1e-5)
    assert charts(page) == {}
    assert page.locator("#metrics-section svg.main-svg").count() == 0
    page.locator('#artifact-tree li.dir[data-path="model"]').wait_for()


def test_names_and_values_in_charts_show_as_written_not_as_plotly_html(page, lessons):
    server, ids, _ = lessons
    page.goto(f"{server.url}/compare?run_id={ids[LINK_NAME]}&run_id={ids['plain-run']}")
    for chart in ("parcoords", "scatter", "contour", "history"):
        page.wait_for_selector(f"#{chart} svg.main-svg")
    page.wait_for_selector("#history .legendtext")
    # Plotly turns <a href> into an SVG link and <b> into a bold tspan: neither may appear.
    assert page.locator("#app svg a").count() == 0
    assert page.locator("#app svg [style*='bold']").count() == 0
    # The run name, literally, as the scatter's point label and in the histories' legend.
    assert LINK_NAME in page.locator("#scatter .textpoint").all_text_contents()
    assert LINK_NAME in page.locator("#history .legendtext").all_text_contents()
    # The param value, literally, as the label of the optimizer axis.
    assert BOLD in page.locator("#parcoords .annotation-text").all_text_contents()
    # And in the hover over the run's point.
    page.locator("#scatter").scroll_into_view_if_needed()
    box = page.locator("#scatter .scatterlayer .point").nth(0).bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=3)
    hover = page.locator("#scatter .hoverlayer .hovertext")
    hover.wait_for(state="attached")
    assert LINK_NAME in hover.text_content()
    assert page.locator("#scatter .hoverlayer a").count() == 0
    # The run page's chart of the same run: the same plain text.
    page.goto(f"{server.url}/runs/{ids[LINK_NAME]}")
    page.wait_for_selector('#metric-charts[data-loaded="true"]', state="attached")
    assert charts(page) == {"loss": 3}
    assert page.locator("#app svg a").count() == 0
