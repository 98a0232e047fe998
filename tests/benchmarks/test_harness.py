"""The benchmark harness runs every workload and reports it in the promised shape.

These runs use tiny sizes (`--quick`): they check the harness, never speed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
WORKLOADS = [
    "import",
    "start_run+end_run",
    "log_metric",
    "log_param",
    "sweep (50 runs)",
    "register_model",
    "pyfunc.load_model (alias)",
    "search_runs (DataFrame)",
]


def run_quick(tmp_path: Path, trackers: str, *options: str) -> tuple[str, dict]:
    results_file = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run.py"), "--quick", "--only", "tracking"]
        + ["--trackers", trackers, "--json", str(results_file), *options],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "BENCH_CACHE_DIR": str(tmp_path / "cache")},
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout, json.loads(results_file.read_text())


def test_quick_run_of_minitrack_reports_every_workload(tmp_path):
    printed, results = run_quick(tmp_path, "minitrack")

    assert [row["workload"] for row in results["rows"]] == WORKLOADS
    assert set(results["versions"]) == {"minitrack"}
    for row in results["rows"]:
        timing = row["minitrack"]
        assert len(timing["samples"]) == 2  # the warm-up repeat is not among them
        assert timing["q1"] <= timing["median"] <= timing["q3"]
        assert timing["median"] > 0
        assert row["workload"] in printed
    # The import probe says what `import minitrack` loaded: nothing heavy.
    assert results["rows"][0]["notes"].endswith(": none")
    rows = {row["workload"]: row for row in results["rows"]}
    # Each measure (warm-ups too) registers 2 versions, numbered on from 1.
    register = rows["register_model"]
    made = register["info"]["minitrack"]["last_version"]
    assert made % 2 == 0 and made >= 2 * len(register["minitrack"]["samples"])
    # The model loaded by its alias predicts as the one logged (y = 2x).
    assert rows["pyfunc.load_model (alias)"]["info"]["minitrack"]["prediction"] == pytest.approx(8)
    search = results["rows"][-1]
    assert search["info"]["minitrack"]["rows"] > 0
    assert "fill minitrack" in search["notes"]


@pytest.mark.mlflow
@pytest.mark.slow
def test_quick_run_puts_mlflow_beside_minitrack_with_the_same_search_result(tmp_path):
    pytest.importorskip("mlflow")
    # Two workloads keep this short: MLflow needs seconds per import and per new store.
    printed, results = run_quick(tmp_path, "mlflow,minitrack", "--workloads", "log_metric,search")

    assert [row["workload"] for row in results["rows"]] == ["log_metric", WORKLOADS[-1]]
    for row in results["rows"]:
        assert {"mlflow", "minitrack"} <= set(row)
        assert row["mlflow"]["median"] > 0 and row["minitrack"]["median"] > 0
    assert "same rows in both" in results["rows"][-1]["notes"]
    table_lines = {line.split("  ")[0]: line for line in printed.splitlines()}
    assert table_lines["log_metric"].rstrip().endswith(("PASS", "short"))
    assert "≥ 100x" in table_lines["log_metric"]


@pytest.mark.mlflow
@pytest.mark.slow
def test_registry_workloads_run_on_both_trackers_and_load_the_same_model(tmp_path):
    pytest.importorskip("mlflow")
    printed, results = run_quick(tmp_path, "mlflow,minitrack", "--workloads", "register,load_alias")

    rows = {row["workload"]: row for row in results["rows"]}
    assert list(rows) == ["register_model", "pyfunc.load_model (alias)"]
    register, load = rows.values()
    assert len({info["last_version"] for info in register["info"].values()}) == 1
    assert "same in both" in load["notes"]
    table_lines = {line.split("  ")[0]: line for line in printed.splitlines()}
    assert "≥ 20x" in table_lines["register_model"]
    assert "≥ 20x" in table_lines["pyfunc.load_model (alias)"]


def test_an_unknown_workload_is_refused_with_the_valid_names(tmp_path):
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run.py"), "--only", "tracking"]
        + ["--trackers", "minitrack", "--workloads", "log_metrics"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode != 0
    assert "unknown workloads ['log_metrics']" in done.stderr
    assert "log_metric" in done.stderr and "search" in done.stderr


def run_quick_server(tmp_path: Path, trackers: str) -> tuple[str, list[dict]]:
    results_file = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run.py"), "--quick", "--only", "server"]
        + ["--trackers", trackers, "--json", str(results_file)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout, json.loads(results_file.read_text())["rows"]


SERVER_ROWS = [
    "server: first /health answer",
    "server: CPU time until /health answers",
    "server: sweep of 5 runs over HTTP",
]


@pytest.mark.mlflow
def test_quick_server_run_logs_the_sweep_through_minitrack_server(tmp_path):
    pytest.importorskip("mlflow")  # the sweep is logged by the real mlflow client
    printed, rows = run_quick_server(tmp_path, "minitrack")

    assert [row["workload"] for row in rows] == SERVER_ROWS
    for row in rows:
        assert row["minitrack"]["median"] > 0
        assert row["mlflow"] is None
        assert row["workload"] in printed
    assert rows[2]["target"] == 5
    # warm-up (2 runs) and 2 sweeps of 5, all of them on the server afterwards
    assert rows[2]["notes"].endswith("runs on the server afterwards: minitrack 12")
    assert "RSS after the sweeps: minitrack" in rows[0]["notes"]


@pytest.mark.mlflow
@pytest.mark.slow
def test_quick_server_run_puts_mlflow_server_beside_minitrack_server(tmp_path):
    pytest.importorskip("mlflow")
    printed, rows = run_quick_server(tmp_path, "mlflow,minitrack")

    for row in rows:
        assert row["mlflow"]["median"] > 0 and row["minitrack"]["median"] > 0
    assert "minitrack 12" in rows[2]["notes"] and "mlflow 12" in rows[2]["notes"]
    assert "ratio" in printed


@pytest.mark.skipif(
    not (BENCHMARKS.parent / ".git").exists(), reason="needs a git checkout (git archive HEAD)"
)
def test_a_revision_runs_beside_the_working_tree_each_from_its_own_source(tmp_path):
    results_file = tmp_path / "revisions.json"
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_revisions.py"), "HEAD", "--quick"]
        + ["--workloads", "import,log_metric", "--json", str(results_file)],
        capture_output=True,
        text=True,
        env={**os.environ, "BENCH_CACHE_DIR": str(tmp_path / "cache")},
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(results_file.read_text())
    base, now = results["labels"]
    assert base == f"minitrack@{results['revision'][:10]}" and now == "working tree"
    # Each side imported its own copy: the revision's from git archive, the tree's src/.
    revision_copy = tmp_path / "cache" / "revisions" / results["revision"] / "src"
    assert results["imported_from"][base] == str(revision_copy / "minitrack" / "__init__.py")
    assert results["imported_from"][now] == str(BENCHMARKS.parent / "src/minitrack/__init__.py")
    assert [row["workload"] for row in results["rows"]] == ["import", "log_metric"]
    for row in results["rows"]:
        assert row[base]["median"] > 0 and row[now]["median"] > 0
    assert "change" in done.stdout and "log_metric" in done.stdout


def test_an_unknown_revision_is_refused_by_name(tmp_path):
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_revisions.py"), "no-such-rev", "--quick"],
        capture_output=True,
        text=True,
        env={**os.environ, "BENCH_CACHE_DIR": str(tmp_path / "cache")},
        timeout=60,
    )
    assert done.returncode != 0
    assert "'no-such-rev' is no commit" in done.stderr
