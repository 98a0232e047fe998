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
