"""Brushing the compare page's parallel coordinates, in real headless Chromium.

As with plotly's parcoords: drag along an axis to select a range, and the runs
outside it are dimmed. Six trials with known values, so each brush has a known answer:

    run      learning_rate  max_depth  optimizer  rmse
    trial-1  0.1            3          adam       6
    trial-2  0.2            5          sgd        5
    trial-3  0.3            7          adam       4
    trial-4  0.4            3          sgd        3
    trial-5  0.5            5          adam       2
    trial-6  0.6            7          sgd        1
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import RunningServer

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(90)]

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "ui"
TRIALS = {
    f"trial-{i}": {
        "learning_rate": i / 10,
        "max_depth": [3, 5, 7][(i - 1) % 3],
        "optimizer": "adam" if i % 2 else "sgd",
        "rmse": 7 - i,
    }
    for i in range(1, 7)
}
RANGES = {"metrics.rmse": (1, 6), "params.max_depth": (3, 7), "params.learning_rate": (0.1, 0.6)}

FILL = """
import json, sys, minitrack as mlflow
mlflow.set_tracking_uri(sys.argv[1])
mlflow.set_experiment("brush-sweep")
ids = {}
for name, v in json.loads(sys.argv[2]).items():
    with mlflow.start_run(run_name=name) as run:
        mlflow.log_metric("rmse", v.pop("rmse"))
        mlflow.log_params(v)
        ids[name] = run.info.run_id
print(json.dumps(ids))
"""


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """A server on a store holding the six trials; yields (server, run ids by name)."""
    folder = tmp_path_factory.mktemp("brush-store")
    tracking_uri = f"sqlite:///{folder / 'mlflow.db'}"
    filled = subprocess.run(
        [sys.executable, "-c", FILL, tracking_uri, json.dumps(TRIALS)],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    )
    ids = json.loads(filled.stdout.strip().splitlines()[-1])
    server = RunningServer(tracking_uri, folder)
    yield server, ids
    server.stop()


def open_compare(browser, sweep, **context_options):
    """A fresh tab on the compare page of all six trials, once the chart is drawn."""
    server, ids = sweep
    context = browser.new_context(viewport={"width": 1300, "height": 900}, **context_options)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    query = "&".join(f"run_id={ids[name]}" for name in TRIALS)
    page.goto(f"{server.url}/compare?{query}")
    page.wait_for_selector('#parcoords .pc-axis[data-axis="metrics.rmse"] .pc-hit')
    return context, page


@pytest.fixture
def compare(browser, sweep):
    context, page = open_compare(browser, sweep)
    yield page
    assert page.errors == []
    context.close()


def axis_point(page, axis: str, value: float) -> tuple[float, float]:
    """Where on the screen `value` sits on the axis (the strip spans the axis' min..max)."""
    box = page.locator(f'#parcoords .pc-axis[data-axis="{axis}"] .pc-hit').bounding_box()
    lo, hi = RANGES[axis]
    return box["x"] + box["width"] / 2, box["y"] + (1 - (value - lo) / (hi - lo)) * box["height"]


def drag(page, axis: str, start: float, end: float) -> None:
    """Press at value `start` on the axis, drag to value `end`, release: as a user would."""
    page.mouse.move(*axis_point(page, axis, start))
    page.mouse.down()
    page.mouse.move(*axis_point(page, axis, end), steps=6)
    page.mouse.up()


def click(page, axis: str, value: float) -> None:
    page.mouse.click(*axis_point(page, axis, value))


def selected(page) -> list[str]:
    """The runs whose line is drawn in colour, not dimmed."""
    lines = page.locator('#parcoords .trace[data-selected="true"]')
    return sorted(lines.evaluate_all("ls => ls.map(l => l.dataset.runName)"))


def listed(page) -> list[str]:
    return sorted(page.locator("#parcoords-selected a").all_inner_texts())


def count_text(page) -> str:
    return page.inner_text("#parcoords-count")


def test_brushing_axes_dims_the_runs_outside_and_reset_restores_them(compare):
    page = compare
    reset = page.get_by_role("button", name="Reset selection")
    # Nothing brushed: every run is selected and the hint says what to do.
    assert count_text(page) == "6 of 6 runs in the selection. Drag along an axis to select a range."
    assert selected(page) == sorted(TRIALS)
    expect(reset).to_be_disabled()

    # Brush rmse between 1.5 and 4.5: trials 3, 4 and 5 stay coloured.
    drag(page, "metrics.rmse", 4.5, 1.5)
    assert selected(page) == ["trial-3", "trial-4", "trial-5"]
    assert count_text(page) == "3 of 6 runs in the selection:"
    assert listed(page) == ["trial-3", "trial-4", "trial-5"]
    expect(page.locator('#parcoords .pc-axis[data-axis="metrics.rmse"] .pc-band')).to_be_visible()
    # The others really look dimmed: faded and grey.
    dimmed = page.locator('#parcoords .trace[data-run-name="trial-1"]')
    assert dimmed.get_attribute("data-selected") == "false"
    assert float(dimmed.evaluate("n => getComputedStyle(n).opacity")) < 0.5
    line = dimmed.locator("path.js-line")
    assert line.evaluate("n => getComputedStyle(n).stroke") == "rgb(195, 200, 206)"
    kept = page.locator('#parcoords .trace[data-run-name="trial-3"]')
    assert float(kept.evaluate("n => getComputedStyle(n).opacity")) == 1.0

    # A second brush narrows further (AND): max_depth from 4 up past the top.
    drag(page, "params.max_depth", 4, 8)
    assert selected(page) == ["trial-3", "trial-5"]
    assert count_text(page) == "2 of 6 runs in the selection:"
    assert listed(page) == ["trial-3", "trial-5"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#parcoords-section").screenshot(path=str(SHOTS / "compare-brushed.png"))

    # Dragging the rmse band up by one moves it to 2.5..5.5 (same width).
    drag(page, "metrics.rmse", 3, 4)
    assert selected(page) == ["trial-2", "trial-3"]

    # A click on the rmse axis outside its band clears that brush only.
    click(page, "metrics.rmse", 1.5)
    expect(page.locator('#parcoords .pc-axis[data-axis="metrics.rmse"] .pc-band')).to_be_hidden()
    assert selected(page) == ["trial-2", "trial-3", "trial-5", "trial-6"]
    assert count_text(page) == "4 of 6 runs in the selection:"

    # Reset clears every brush: all six runs are coloured again.
    reset.click()
    assert selected(page) == sorted(TRIALS)
    assert count_text(page).startswith("6 of 6 runs in the selection.")
    assert listed(page) == []
    expect(reset).to_be_disabled()
    expect(page.locator("#parcoords .pc-band:visible")).to_have_count(0)


def test_the_cross_or_a_double_click_clears_a_brush_and_categorical_axes_say_they_cannot_be_brushed(
    compare,
):
    page = compare
    drag(page, "params.learning_rate", 0.12, 0.25)
    assert selected(page) == ["trial-2"]
    page.locator('#parcoords .pc-clear[data-axis="params.learning_rate"]').click()
    assert selected(page) == sorted(TRIALS)
    assert count_text(page).startswith("6 of 6")
    # So does a double-click on the band.
    drag(page, "params.learning_rate", 0.12, 0.25)
    page.locator('#parcoords .pc-axis[data-axis="params.learning_rate"] .pc-band').dblclick()
    assert selected(page) == sorted(TRIALS)

    optimizer = page.locator('#parcoords .pc-axis[data-axis="params.optimizer"]')
    assert "categorical" in optimizer.locator("title").text_content()
    assert "cannot be brushed" in optimizer.locator("title").text_content()
    box = optimizer.locator(".pc-hit").bounding_box()
    x = box["x"] + box["width"] / 2
    page.mouse.move(x, box["y"] + 5)
    page.mouse.down()
    page.mouse.move(x, box["y"] + box["height"] / 2, steps=4)
    page.mouse.up()
    assert selected(page) == sorted(TRIALS)
    assert optimizer.locator(".pc-band").count() == 0


def test_the_band_follows_its_axis_when_the_chart_is_resized(compare):
    page = compare
    drag(page, "metrics.rmse", 4.5, 1.5)
    page.set_viewport_size({"width": 800, "height": 900})
    rmse_axis = page.locator("#parcoords .shapelayer path").last  # one line per axis
    band = page.locator('#parcoords .pc-axis[data-axis="metrics.rmse"] .pc-band')

    def centre(locator) -> float:
        box = locator.bounding_box()
        return box["x"] + box["width"] / 2

    expect(band).to_be_visible()
    page.wait_for_function(
        "() => document.querySelector('#parcoords .main-svg').getAttribute('width') < 800"
    )
    assert abs(centre(band) - centre(rmse_axis)) < 1
    assert selected(page) == ["trial-3", "trial-4", "trial-5"]


def test_a_touch_drag_brushes_an_axis(browser, sweep):
    context, page = open_compare(browser, sweep, has_touch=True)
    try:
        page.locator("#parcoords").scroll_into_view_if_needed()
        scrolled = page.evaluate("window.scrollY")
        (x, top), (_, bottom) = (axis_point(page, "metrics.rmse", v) for v in (4.5, 2.5))
        # A finger pressed on the axis and dragged down, sent as real touch events.
        touch = context.new_cdp_session(page)
        steps = [top + (bottom - top) * k / 6 for k in range(7)]
        touch.send(
            "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": top}]}
        )
        for y in steps[1:]:
            touch.send(
                "Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]}
            )
        touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        # The drag drew a brush instead of scrolling the page.
        expect(page.locator("#parcoords-count")).to_have_text("2 of 6 runs in the selection:")
        assert selected(page) == ["trial-3", "trial-4"]
        assert page.evaluate("window.scrollY") == scrolled
        assert page.errors == []
    finally:
        context.close()
