"""The copy and load-test benchmarks run and report in the runner's shape (tiny sizes).

Both run against `minitrack server` only (MLflow's server takes tens of seconds to start);
they check the harness, never speed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def run_quick(tmp_path: Path, only: str, **env: str) -> tuple[str, list[dict]]:
    results_file = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run.py"), "--quick", "--only", only]
        + ["--trackers", "minitrack", "--json", str(results_file)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, **env},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout, json.loads(results_file.read_text())["rows"]


def test_quick_copy_into_minitrack_server_copies_every_run_once(tmp_path):
    printed, rows = run_quick(tmp_path, "copy")

    into_sqlite = rows[1]
    assert into_sqlite["workload"] == "copy: 7 runs into a server on SQLite"  # 6 + the model's
    assert into_sqlite["minitrack"]["median"] > 0 and into_sqlite["mlflow"] is None
    # run.py --trackers minitrack leaves MLflow's servers out: no row has their figures
    assert all(row["mlflow"] is None for row in rows)
    copied = rows[0]["info"]["minitrack"]
    source = rows[0]["info"]["source"]
    assert copied["runs"] == source["runs"] == 7
    assert copied["bytes"] >= source["artifact_bytes"]  # and the logged model's files
    assert copied["versions"] == 1
    assert (copied["again_runs"], copied["again_bytes"]) == (0, 0)  # the second copy adds nothing
    assert "runs/s" in into_sqlite["notes"] and "MB/s" in into_sqlite["notes"]
    assert "minitrack server (SQLite)" in printed


@pytest.mark.mlflow
def test_quick_load_test_confirms_the_crossing_and_counts_every_call(tmp_path):
    pytest.importorskip("mlflow")  # the students are the real mlflow client
    # With the line at 0 ms every step crosses it: N=1 is run twice and is the answer.
    printed, rows = run_quick(tmp_path, "load", BENCH_LOAD_THRESHOLD_MS="0")

    one_student, verdict = rows
    assert one_student["workload"] == "load: 1 student, a logging call, server on SQLite"
    assert one_student["minitrack"]["median"] > 0
    assert verdict["workload"] == "load: minitrack server (SQLite), first N with p99 > 0 ms: 1"
    steps = verdict["info"]["steps"]
    assert [(s["students"], s["attempt"]) for s in steps] == [(1, 1), (1, 2)]
    for step in steps:
        # 3 trials of 7 timed calls, each trial a run on the server, no call failed
        assert (step["calls"], step["runs_on_server"], step["errors"]) == (21, 3, [])
        assert step["p50"] <= step["p95"] <= step["p99"] <= step["max"]
        assert set(step["by_call"]) == {
            "start_run",
            "set_tag",
            "log_params",
            "log_metric rmse",
            "log_metric training_time_s",
            "log_metric model_size_bytes",
            "end_run",
        }
    assert verdict["info"]["first_n_over"] == 1
    assert "N=  1 (again)" in printed
