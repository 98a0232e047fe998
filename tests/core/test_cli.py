"""`minitrack experiments` and `minitrack runs`: tables in a terminal, or JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

import minitrack as mlflow
from minitrack.cli import main


@pytest.fixture
def store(tracking_uri):
    mlflow.MlflowClient()  # creates the file and the Default experiment
    time.sleep(0.005)  # so "taxi" is strictly newer (experiments list newest first)
    mlflow.set_experiment("taxi")
    for depth, rmse in [(3, 7.5), (6, 6.2), (9, 6.9)]:
        with mlflow.start_run(run_name=f"depth-{depth}"):
            mlflow.log_param("max_depth", depth)
            mlflow.log_metric("rmse", rmse)
    return tracking_uri


def _run(*args):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result


def test_experiments_table_lists_names_and_run_counts(store):
    result = _run("experiments", "--tracking-uri", store)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["ID", "Name", "Runs", "Created", "(UTC)"]
    rows = {line.split()[1]: line.split()[2] for line in lines[2:]}
    assert rows == {"taxi": "3", "Default": "0"}


def test_experiments_json(store):
    data = json.loads(_run("experiments", "--tracking-uri", store, "--json").output)
    assert [(e["name"], e["runs"]) for e in data] == [("taxi", 3), ("Default", 0)]


def test_runs_filter_and_order_by(store):
    result = _run(
        "runs",
        "--tracking-uri",
        store,
        "--experiment",
        "taxi",
        "--filter",
        "metrics.rmse < 7",
        "--order-by",
        "metrics.rmse ASC",
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "metrics.rmse" in lines[0] and "params.max_depth" in lines[0]
    names = [line.split()[1] for line in lines[2:]]
    assert names == ["depth-6", "depth-9"]


def test_runs_json_has_info_and_data(store):
    data = json.loads(
        _run(
            "runs", "--tracking-uri", store, "-e", "taxi", "--json", "-o", "params.max_depth"
        ).output
    )
    assert [r["data"]["params"]["max_depth"] for r in data] == ["3", "6", "9"]
    assert {"run_id", "status", "start_time", "artifact_uri"} <= set(data[0]["info"])


def test_errors_are_one_clear_line(store, tmp_path):
    bad_filter = _run("runs", "--tracking-uri", store, "--filter", "rmse < 7")
    assert bad_filter.exit_code == 1 and "unknown attribute 'rmse'" in bad_filter.output
    missing = _run("runs", "--tracking-uri", store, "-e", "nope")
    assert "No experiment named 'nope'. Experiments here: taxi, Default." in missing.output
    nowhere = _run("experiments", "--tracking-uri", f"sqlite:///{tmp_path / 'none.db'}")
    assert nowhere.exit_code == 1 and "No tracking database at" in nowhere.output
    assert not (tmp_path / "none.db").exists()


def test_the_console_script_reads_mlflow_tracking_uri(store, tmp_path):
    exe = os.path.join(os.path.dirname(sys.executable), "minitrack")
    env = dict(os.environ, MLFLOW_TRACKING_URI=store)
    out = subprocess.run(
        [exe, "runs", "-e", "taxi", "-n", "1", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    )
    assert len(json.loads(out.stdout)) == 1


@pytest.fixture
def registry(store):
    """Two models: nyc-taxi-regressor v1 and v2 (aliases, tags, a description), and lasso."""
    from sklearn.linear_model import LinearRegression

    import minitrack.sklearn

    with mlflow.start_run(run_name="best") as run:
        model = LinearRegression().fit([[1.0], [2.0]], [2.0, 4.0])
        minitrack.sklearn.log_model(model, name="model")
    uri = f"runs:/{run.info.run_id}/model"
    client = mlflow.MlflowClient()
    mlflow.register_model(uri, "nyc-taxi-regressor")
    mlflow.register_model(uri, "nyc-taxi-regressor", tags={"validated": "yes"})
    mlflow.register_model(uri, "lasso")
    client.set_registered_model_alias("nyc-taxi-regressor", "champion", 2)
    client.set_registered_model_alias("nyc-taxi-regressor", "challenger", 1)
    client.set_registered_model_tag("nyc-taxi-regressor", "team", "taxi")
    client.update_model_version("nyc-taxi-regressor", 2, description="Deeper trees.")
    return store, run.info.run_id


def test_models_table_lists_latest_version_aliases_and_tags(registry):
    store, _ = registry
    result = _run("models", "--tracking-uri", store)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["Name", "Latest", "Aliases", "Tags", "Last", "updated", "(UTC)"]
    assert lines[2].split()[:2] == ["lasso", "1"]
    taxi = lines[3]
    assert taxi.split()[:2] == ["nyc-taxi-regressor", "2"]
    assert "@challenger=v1, @champion=v2" in taxi and "team=taxi" in taxi


def test_models_filter_takes_the_registry_grammar_and_json_matches_the_ui(registry):
    store, _ = registry
    out = _run("models", "--tracking-uri", store, "--json", "-f", "tags.team = 'taxi'").output
    (found,) = json.loads(out)
    assert found["name"] == "nyc-taxi-regressor"
    assert found["latest_version"] == 2
    assert found["aliases"] == {"challenger": 1, "champion": 2}
    assert found["tags"] == {"team": "taxi"}
    bad = _run("models", "--tracking-uri", store, "-f", "metrics.rmse < 5")
    assert bad.exit_code == 1 and "Error:" in bad.output


def test_model_versions_newest_first_with_aliases_and_source_run(registry):
    store, run_id = registry
    result = _run("models", "versions", "nyc-taxi-regressor", "--tracking-uri", store)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["Version", "Aliases", "Stage"]
    assert [line.split()[0] for line in lines[2:]] == ["2", "1"]
    assert "@champion" in lines[2] and "validated=yes" in lines[2] and "Deeper trees." in lines[2]
    assert "@challenger" in lines[3] and lines[3].rstrip().endswith(run_id)
    # The group's --tracking-uri reaches the subcommand; --json gives the UI's rows.
    data = json.loads(
        _run("models", "--tracking-uri", store, "versions", "nyc-taxi-regressor", "--json").output
    )
    assert [(v["version"], v["aliases"], v["run_id"]) for v in data] == [
        (2, ["champion"], run_id),
        (1, ["challenger"], run_id),
    ]


def test_model_versions_of_an_unknown_model_is_one_clear_line(registry):
    store, _ = registry
    result = _run("models", "versions", "no-such-model", "--tracking-uri", store)
    assert result.exit_code == 1
    assert "Registered Model with name=no-such-model not found" in result.output
    assert "Traceback" not in result.output
