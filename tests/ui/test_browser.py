"""The UI in real headless Chromium, against `minitrack ui` on a store filled through minitrack.

What a student does in the model-selection lesson: open the experiment, filter the
XGBoost runs, sort by RMSE, open the best run and its model, pick three runs and
compare them. Screenshots of each page land in test-artifacts/ui/.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import RunningServer
from .fill_store import N_XGBOOST, XSS_NAME, XSS_PARAM

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(120)]

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "ui"
POLL_WAIT_MS = 15_000  # the pages poll every 3 s


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    # The intentional bad filter answers 400: the browser logs that, it is not a bug.
    page.on(
        "console",
        lambda msg: (
            page.errors.append(msg.text)
            if msg.type == "error" and "status of 400" not in msg.text
            else None
        ),
    )
    yield page
    context.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def column(page, name: str) -> list[str]:
    return page.locator(f'#runs tbody td[data-col="{name}"]').all_inner_texts()


def test_select_the_best_xgboost_run_and_compare(page, ui_server, ui_store):
    # The experiments page lists the experiment with its run count.
    page.goto(ui_server.url)
    row = page.locator("#experiments tr", has_text="taxi-duration")
    assert row.locator("td.num").inner_text() == "25"
    shot(page, "experiments")
    row.get_by_role("link", name="taxi-duration").click()

    # Filter with MLflow's grammar: only the XGBoost runs are left.
    page.wait_for_selector("#runs tbody tr")
    page.fill("#search", 'tags.model = "xgboost"')
    page.press("#search", "Enter")
    expect(page.locator("#runs tbody tr")).to_have_count(N_XGBOOST)
    names = column(page, "Run Name")
    assert all(n.startswith(("xgb-", "best-xgb")) for n in names), names
    assert page.inner_text("#page-info") == f"1-{N_XGBOOST} of {N_XGBOOST} runs"

    # A filter that does not parse says why, right under the box.
    page.fill("#search", "tags.model = xgboost")
    page.press("#search", "Enter")
    error = page.locator("#search-error")
    error.wait_for(state="visible")
    assert "quoted" in error.inner_text()
    page.fill("#search", 'tags.model = "xgboost"')
    page.press("#search", "Enter")
    error.wait_for(state="hidden")

    # Sort by rmse: first click descending, second ascending.
    header = page.locator('#runs th[data-sort="metrics.`rmse`"]')
    header.click()
    expect(header).to_have_text(re.compile("\u25bc$"))
    rmse = [float(v) for v in column(page, "metrics.rmse")]
    assert rmse == sorted(rmse, reverse=True)
    header.click()
    expect(header).to_have_text(re.compile("\u25b2$"))
    rmse = [float(v) for v in column(page, "metrics.rmse")]
    assert rmse == sorted(rmse)
    assert column(page, "Run Name")[0] == "best-xgb"
    assert column(page, "Models")[0] == "model"
    shot(page, "runs")
    runs_url = page.url

    # The best run: params, a history chart per metric, the model and a plot.
    page.get_by_role("link", name="best-xgb", exact=True).click()
    page.wait_for_selector("#params-table")
    assert page.locator('#params-table tr[data-key="max_depth"] td').nth(1).inner_text() == "25"
    page.wait_for_selector('.metric-history[data-metric="rmse"] svg.main-svg')
    assert page.locator('.metric-history[data-metric="rmse"] .scatterlayer .point').count() == 5
    page.get_by_role("button", name="model/").click()
    page.get_by_role("button", name="MLmodel").click()
    preview = page.locator("#artifact-preview")
    preview.locator("pre").wait_for()
    assert "flavors:" in preview.inner_text() and "sklearn" in preview.inner_text()
    assert "mlflow.pyfunc.load_model" in preview.inner_text()
    page.get_by_role("button", name="plots/").click()
    page.get_by_role("button", name="residuals.png").click()
    expect(page.locator("#artifact-preview img")).to_have_js_property("naturalWidth", 8)
    shot(page, "run")
    page.get_by_role("button", name="best_params.json").click()
    expect(page.locator("#artifact-preview pre")).to_contain_text('"max_depth": 10')

    # Pick the three lowest-rmse runs and compare them.
    page.goto(runs_url)
    page.wait_for_selector("#runs tbody tr")
    for i in range(3):
        page.locator("#runs tbody tr").nth(i).locator("input[type=checkbox]").check()
    assert page.inner_text("#compare") == "Compare (3)"
    page.click("#compare")
    for chart in ("parcoords", "scatter", "contour", "history"):
        page.wait_for_selector(f"#{chart} svg.main-svg")
    # Each plot really drew: one line per run, one marker per run, a filled contour.
    assert page.locator("#parcoords .scatterlayer .trace").count() >= 3
    assert page.locator("#scatter .scatterlayer .point").count() == 3
    assert page.locator("#contour .contourlayer path").count() > 0
    assert page.locator("#history .scatterlayer .trace").count() == 3
    # Switching the scatter's y axis redraws it.
    page.select_option("#scatter-y", "metrics.training_time")
    page.wait_for_selector("#scatter .ytitle >> text=metrics.training_time")
    # "Show differences only" hides what the three runs share.
    all_rows = page.locator("#compare-table tbody tr:visible").count()
    assert page.locator('#compare-table tr[data-key="params.objective"]').is_visible()
    page.check("#diff-only")
    assert page.locator("#compare-table tbody tr:visible").count() == all_rows - 1
    assert page.locator('#compare-table tr[data-key="params.objective"]').is_hidden()
    assert page.locator("#compare-table tbody tr.same:visible").count() == 0
    shot(page, "compare")
    assert page.errors == []


def test_html_in_names_params_and_tags_shows_as_text(page, ui_server, ui_store):
    page.goto(ui_server.url)
    page.get_by_role("link", name="taxi-duration").click()
    page.wait_for_selector("#runs tbody tr")
    page.get_by_text(XSS_NAME, exact=True).wait_for()
    page.get_by_text(XSS_NAME, exact=True).click()
    page.wait_for_selector("#params-table")
    assert page.inner_text("#run-name").startswith(XSS_NAME)
    assert page.locator('#params-table tr[data-key="alpha"] td').nth(1).inner_text() == XSS_PARAM
    assert page.locator("#tags-table").inner_text().count("onmouseover") == 1
    assert page.evaluate("window.__xss") is None
    assert page.locator("#app img, #app script, #app b").count() == 0
    assert page.locator("#registered").count() == 0  # no version came from this run
    assert "null" not in page.inner_text("#app").split()
    shot(page, "run-with-html-name")


def log_runs(tracking_uri: str, cwd: Path, names: list[str]) -> None:
    """Log runs from another process, as a running sweep would."""
    code = (
        "import sys, minitrack as mlflow\n"
        "mlflow.set_tracking_uri(sys.argv[1])\n"
        "mlflow.set_experiment('live-sweep')\n"
        "for name in sys.argv[2:]:\n"
        "    with mlflow.start_run(run_name=name):\n"
        "        mlflow.log_metric('rmse', 5.0)\n"
    )
    subprocess.run([sys.executable, "-c", code, tracking_uri, *names], cwd=cwd, check=True)


def test_runs_of_a_running_sweep_appear_without_reload(page, tmp_path):
    tracking_uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    server = RunningServer(tracking_uri, tmp_path)  # the store does not exist yet
    try:
        page.goto(server.url)
        page.get_by_text("No experiments yet").wait_for()
        log_runs(tracking_uri, tmp_path, ["trial-1"])
        page.get_by_role("link", name="live-sweep").wait_for(timeout=POLL_WAIT_MS)
        page.get_by_role("link", name="live-sweep").click()
        page.wait_for_selector("#runs tbody tr")
        assert column(page, "Run Name") == ["trial-1"]
        log_runs(tracking_uri, tmp_path, ["trial-2", "trial-3"])
        expect(page.locator("#runs tbody tr")).to_have_count(3, timeout=POLL_WAIT_MS)
        assert sorted(column(page, "Run Name")) == ["trial-1", "trial-2", "trial-3"]
        assert page.errors == []
    finally:
        server.stop()


def test_without_plotly_the_pages_work_and_charts_say_how_to_install(page, ui_store, tmp_path):
    # A `plotly` that cannot be imported, first on the path: as if it were not installed.
    shadow = tmp_path / "no-plotly" / "plotly"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('plotly is not installed')\n")
    server = RunningServer(
        ui_store.tracking_uri,
        ui_store.folder,
        # Prepended, so the server still runs this checkout's minitrack.
        env={"PYTHONPATH": os.pathsep.join([str(shadow.parent), os.environ.get("PYTHONPATH", "")])},
    )
    try:
        page.goto(f"{server.url}/runs/{ui_store.run_ids['best-xgb']}")
        page.wait_for_selector("#params-table")
        missing = page.locator('.metric-history[data-metric="rmse"] .chart-missing')
        expect(missing).to_contain_text("pip install plotly")
        assert page.locator("svg.main-svg").count() == 0
        assert page.locator('#params-table tr[data-key="max_depth"] td').nth(1).inner_text() == "25"
        assert page.errors == []
    finally:
        server.stop()


TRAIN_AND_LOG = (
    "from sklearn.linear_model import LinearRegression\n"
    "mlflow.set_experiment('registry')\n"
    "with mlflow.start_run(run_name='best-model') as run:\n"
    "    model = LinearRegression().fit([[1.0], [2.0]], [2.0, 4.0])\n"
    "    minitrack.sklearn.log_model(model, name='model')\n"
    "uri = f'runs:/{run.info.run_id}/model'\n"
    "print(run.info.run_id)\n"
)


def registry(tracking_uri: str, cwd: Path, steps: str) -> str:
    """Registry calls from another process, as a lesson makes them; returns what it printed."""
    code = (
        "import sys, minitrack as mlflow, minitrack.sklearn\n"
        "mlflow.set_tracking_uri(sys.argv[1])\n"
        "client = mlflow.MlflowClient()\n"
        f"{steps}\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, tracking_uri],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def test_register_a_model_and_see_its_versions_and_aliases(page, tmp_path):
    tracking_uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    run_id = registry(
        tracking_uri,
        tmp_path,
        TRAIN_AND_LOG + "mlflow.register_model(uri, 'nyc-taxi-regressor')\n"
        "mlflow.register_model(uri, 'nyc-taxi-regressor')\n"
        "client.set_registered_model_alias('nyc-taxi-regressor', 'champion', 2)\n"
        "client.set_registered_model_alias('nyc-taxi-regressor', 'challenger', 1)\n"
        "client.set_model_version_tag('nyc-taxi-regressor', 2, 'validated', 'yes')\n"
        "client.update_model_version('nyc-taxi-regressor', 2, description='Deeper trees.')",
    )
    server = RunningServer(tracking_uri, tmp_path)
    try:
        page.goto(server.url)
        page.get_by_role("link", name="Models", exact=True).click()
        row = page.locator('#models tr[data-model="nyc-taxi-regressor"]')
        assert row.locator('td[data-col="latest"]').inner_text() == "v2"
        assert row.locator('td[data-col="aliases"] .alias').all_inner_texts() == [
            "@challenger \u2192 v1",
            "@champion \u2192 v2",
        ]
        shot(page, "models")

        row.get_by_role("link", name="nyc-taxi-regressor").click()
        page.wait_for_selector("#versions")
        assert page.inner_text("#model-name") == "nyc-taxi-regressor"
        versions = page.locator("#versions tbody tr")
        assert versions.locator('td[data-col="version"]').all_inner_texts() == ["v2", "v1"]
        assert versions.locator('td[data-col="aliases"]').all_inner_texts() == [
            "@champion",
            "@challenger",
        ]
        v2 = page.locator('#versions tr[data-version="2"]')
        assert v2.locator('td[data-col="tags"]').inner_text() == "validated=yes"
        assert v2.locator('td[data-col="description"]').inner_text() == "Deeper trees."
        assert v2.locator('td[data-col="run"]').inner_text() == "best-model"
        # The newest version's MLmodel is shown; another version's on request.
        expect(page.locator("#mlmodel pre")).to_contain_text("sklearn")
        page.locator('#versions tr[data-version="1"]').get_by_role("button").click()
        expect(page.locator("#mlmodel code")).to_have_text(
            'mlflow.pyfunc.load_model("models:/nyc-taxi-regressor/1")'
        )
        assert "null" not in page.locator("#mlmodel").inner_text().splitlines()
        shot(page, "model")

        # Moving an alias shows without a reload; the source run names its versions.
        registry(
            tracking_uri,
            tmp_path,
            "client.set_registered_model_alias('nyc-taxi-regressor', 'champion', 1)",
        )
        expect(versions.locator('td[data-col="aliases"]').first).to_have_text(
            "", timeout=POLL_WAIT_MS
        )
        v2.locator('td[data-col="run"] a').click()
        expect(page.locator("#registered")).to_have_text(
            "Registered as nyc-taxi-regressor v1 (@challenger, @champion), nyc-taxi-regressor v2",
            timeout=POLL_WAIT_MS,  # a loaded machine can take more than the default 5 s
        )
        assert page.url.endswith(f"/runs/{run_id}")
        assert page.errors == []
    finally:
        server.stop()


def test_html_in_registry_names_and_descriptions_shows_as_text(page, ui_server):
    page.goto(f"{ui_server.url}/models")
    page.wait_for_selector("#models tbody tr")
    page.get_by_role("link", name=XSS_NAME, exact=True).click()
    page.wait_for_selector("#versions")
    assert page.inner_text("#model-name") == XSS_NAME
    assert page.inner_text("#model-description") == XSS_PARAM
    assert page.locator("#app img, #app script, #app b").count() == 0
    assert page.evaluate("window.__xss") is None
    # A bad filter says why under the box.
    page.goto(f"{ui_server.url}/models")
    page.fill("#search", "metrics.rmse < 5")
    page.press("#search", "Enter")
    expect(page.locator("#search-error")).to_be_visible()
    assert page.errors == []
