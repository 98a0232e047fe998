"""The JSON API the pages use, against `minitrack ui` running on the filled store.

These are the answers documented in docs/ui-api.md.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from minitrack import MlflowClient

from .conftest import RunningServer, get_json, minitrack_command, raw_get
from .fill_store import N_LASSO, N_XGBOOST

pytestmark = pytest.mark.timeout(60)

TOTAL = N_XGBOOST + N_LASSO + 1  # plus the run with an HTML name


@pytest.fixture(scope="module")
def exp_id(ui_server) -> str:
    _, body = get_json(ui_server, "/api/experiments")
    return next(e["experiment_id"] for e in body["experiments"] if e["name"] == "taxi-duration")


def runs(server, exp_id, **params) -> dict:
    status, body = get_json(server, f"/api/experiments/{exp_id}/runs", **params)
    assert status == 200, body
    return body


def test_health_answers_ok(ui_server):
    status, _, body = raw_get(ui_server, "/health")
    assert (status, body) == (200, "OK")


def test_experiments_list_run_counts_and_last_activity(ui_server):
    status, body = get_json(ui_server, "/api/experiments")
    assert status == 200
    by_name = {e["name"]: e for e in body["experiments"]}
    assert by_name["taxi-duration"]["run_count"] == TOTAL
    assert by_name["empty-experiment"]["run_count"] == 0
    taxi = by_name["taxi-duration"]
    assert taxi["last_activity"] >= taxi["creation_time"]


def test_filter_uses_mlflows_grammar(ui_server, exp_id):
    page = runs(ui_server, exp_id, filter='tags.model = "xgboost"', tag="model")
    assert page["total"] == N_XGBOOST
    assert {r["tags"]["model"] for r in page["runs"]} == {"xgboost"}
    page = runs(ui_server, exp_id, filter="metrics.rmse < 5 and params.max_depth = '25'")
    assert [r["run_name"] for r in page["runs"]] == ["best-xgb"]


def test_sorting_by_a_metric_puts_missing_values_last(ui_server, exp_id):
    page = runs(ui_server, exp_id, order_by="metrics.`rmse` ASC", metric="rmse", limit=TOTAL)
    values = [r["metrics"]["rmse"] for r in page["runs"]]
    assert values == sorted(values)
    assert page["runs"][0]["run_name"] == "best-xgb"
    by_param = runs(ui_server, exp_id, order_by="params.alpha DESC", param="alpha", limit=TOTAL)
    alphas = [r["params"].get("alpha") for r in by_param["runs"]]
    assert alphas[-N_XGBOOST:] == [None] * N_XGBOOST  # the xgboost runs have no alpha


def test_pages_cover_every_run_once(ui_server, exp_id):
    seen = []
    for offset in range(0, TOTAL, 10):
        page = runs(ui_server, exp_id, limit=10, offset=offset)
        assert page["total"] == TOTAL
        assert page["offset"] == offset
        seen += [r["run_id"] for r in page["runs"]]
    assert len(seen) == len(set(seen)) == TOTAL


def test_only_the_chosen_columns_come_back(ui_server, exp_id):
    page = runs(
        ui_server,
        exp_id,
        filter="attributes.run_name = 'best-xgb'",
        metric="rmse",
        param="max_depth",
    )
    (run,) = page["runs"]
    assert run["metrics"] == {"rmse": 4.2}
    assert run["params"] == {"max_depth": "25"}
    # The fixed columns' tags always come along: user, source, version, models.
    assert {"mlflow.user", "mlflow.source.name", "mlflow.log-model.history"} <= set(run["tags"])
    assert run["status"] == "FINISHED" and run["end_time"] >= run["start_time"]


def test_columns_offer_every_logged_key(ui_server, exp_id):
    status, keys = get_json(ui_server, f"/api/experiments/{exp_id}/columns")
    assert status == 200
    assert keys["metrics"] == ["rmse", "training_time"]
    assert {"alpha", "max_depth", "learning_rate"} <= set(keys["params"])
    assert "model" in keys["tags"]


@pytest.mark.parametrize(
    ("bad_filter", "says"),
    [
        ("tags.model = xgboost", "quoted"),
        ("metrics.rmse < 5 OR params.alpha = '1'", "OR"),
        ("m.rmse < 5", "'m'"),
    ],
)
def test_a_bad_filter_is_a_400_that_says_why(ui_server, exp_id, bad_filter, says):
    status, body = get_json(ui_server, f"/api/experiments/{exp_id}/runs", filter=bad_filter)
    assert status == 400
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert says in body["message"]


def test_bad_paging_is_refused(ui_server, exp_id):
    status, body = get_json(ui_server, f"/api/experiments/{exp_id}/runs", limit=0)
    assert status == 400 and "'limit' must be between 1 and 1000" in body["message"]
    status, body = get_json(ui_server, f"/api/experiments/{exp_id}/runs", offset="x")
    assert status == 400 and "whole number" in body["message"]


def test_one_run_with_description_and_history(ui_server, ui_store):
    run_id = ui_store.run_ids["best-xgb"]
    status, body = get_json(ui_server, f"/api/runs/{run_id}")
    assert status == 200
    run = body["run"]
    assert run["run_name"] == "best-xgb" and run["experiment_name"] == "taxi-duration"
    assert run["description"].startswith("The best trial")
    assert run["params"]["objective"] == "reg:squarederror"
    assert run["metrics"] == {"rmse": 4.2, "training_time": 2.25}
    status, body = get_json(ui_server, "/api/metric-history", key="rmse", run_id=[run_id])
    history = body["histories"][run_id]
    assert [p["step"] for p in history] == [0, 1, 2, 3, 4]
    assert history[-1]["value"] == 4.2


def test_compare_returns_every_key_of_each_run(ui_server, ui_store):
    ids = [ui_store.run_ids[n] for n in ("best-xgb", "xgb-00", "lasso-00")]
    status, body = get_json(ui_server, "/api/compare", run_id=ids)
    assert status == 200
    assert [r["run_id"] for r in body["runs"]] == ids
    assert "alpha" in body["runs"][2]["params"] and "max_depth" in body["runs"][0]["params"]
    status, body = get_json(ui_server, "/api/compare", run_id=[ids[0], "no-such-run"])
    assert status == 404 and "no-such-run" in body["message"]


def test_unknown_things_are_404_with_a_message(ui_server):
    for path in ["/api/runs/0123abc", "/api/experiments/999", "/api/experiments/abc/runs"]:
        status, body = get_json(ui_server, path)
        assert status == 404, path
        assert body["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_artifact_tree_and_previews(ui_server, ui_store):
    run_id = ui_store.run_ids["best-xgb"]
    api = f"/api/runs/{run_id}/artifacts"
    _, top = get_json(ui_server, api)
    assert [f["path"] for f in top["files"] if f["is_dir"]] == ["config", "model", "plots"]
    _, model = get_json(ui_server, api, path="model")
    assert {"model/MLmodel", "model/conda.yaml", "model/requirements.txt"} <= {
        f["path"] for f in model["files"]
    }
    kinds = {}
    for path in [
        "model/MLmodel",
        "best_params.json",
        "config/features.yaml",
        "notes.txt",
        "model/model.pkl",
        "plots/residuals.png",
    ]:
        status, preview = get_json(ui_server, f"{api}/preview", path=path)
        assert status == 200, preview
        kinds[path] = preview["kind"]
    assert kinds == {
        "model/MLmodel": "yaml",
        "best_params.json": "json",
        "config/features.yaml": "yaml",
        "notes.txt": "text",
        "model/model.pkl": "binary",
        "plots/residuals.png": "image",
    }
    status, headers, _ = raw_get(ui_server, f"{api}/file?path=plots/residuals.png")
    assert status == 200 and headers["content-type"] == "image/png"


def test_a_run_without_artifacts_lists_nothing(ui_server, ui_store):
    status, body = get_json(ui_server, f"/api/runs/{ui_store.run_ids['lasso-00']}/artifacts")
    assert status == 200 and body["files"] == []


def test_plotly_is_served_from_the_installed_package(ui_server):
    import plotly

    status, headers, body = raw_get(ui_server, "/static/vendor/plotly.min.js")
    assert status == 200 and headers["content-type"].startswith("text/javascript")
    installed = Path(plotly.__path__[0], "package_data", "plotly.min.js")
    assert body == installed.read_text(encoding="utf-8")


def test_a_file_that_is_not_a_store_is_named_when_the_ui_starts(tmp_path):
    (tmp_path / "mlflow.db").write_text("notes, not a database")
    done = subprocess.run(
        [*minitrack_command(), "ui", "--backend-store-uri", f"sqlite:///{tmp_path / 'mlflow.db'}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert str(tmp_path / "mlflow.db") in done.stderr and "not a database" in done.stderr


def test_a_store_replaced_by_another_file_is_a_json_error_that_names_it(tmp_path):
    db = tmp_path / "mlflow.db"
    client = MlflowClient(f"sqlite:///{db}")
    client.create_experiment("before")
    server = RunningServer(f"sqlite:///{db}", tmp_path)
    try:
        status, body = get_json(server, "/api/experiments")
        assert status == 200 and "before" in {e["name"] for e in body["experiments"]}
        for name in ("mlflow.db", "mlflow.db-wal", "mlflow.db-shm"):
            (tmp_path / name).unlink(missing_ok=True)
        db.write_text("notes, not a database")
        status, body = get_json(server, "/api/experiments")
    finally:
        server.stop()
    assert status == 500 and body["error_code"] == "INTERNAL_ERROR"
    assert str(db) in body["message"] and "not a database" in body["message"]
