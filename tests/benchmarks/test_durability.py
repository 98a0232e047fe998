"""minitrack may not buy speed with durability: a metric is on disk when log_metric returns.

A writer process logs metrics; this test process (a second process, with its own
connection) reads them back right after each call returns, while the writer is still
alive, and again after the writer is killed with SIGKILL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

import minitrack

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="SIGKILL is how the test crashes the writer"
)

# Logs one metric per line it reads, answers "logged <step>" after log_metric returned,
# and never ends its run: whatever is readable must be readable without a clean exit.
STEP_BY_STEP_WRITER = """
import sys
import minitrack as mlflow

mlflow.set_tracking_uri(sys.argv[1])
mlflow.set_experiment("durability")
run = mlflow.start_run()
print(run.info.run_id, flush=True)
for line in sys.stdin:
    step = int(line)
    mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
    print("logged", step, flush=True)
"""

# Logs as fast as it can and reports each step after the call returned, until killed.
FLAT_OUT_WRITER = """
import sys
import minitrack as mlflow

mlflow.set_tracking_uri(sys.argv[1])
mlflow.set_experiment("durability")
run = mlflow.start_run()
print(run.info.run_id, flush=True)
step = 0
while True:
    mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
    print(step, flush=True)
    step += 1
"""


def start_writer(code: str, uri: str) -> tuple[subprocess.Popen, str]:
    writer = subprocess.Popen(
        [sys.executable, "-c", code, uri],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    run_id = writer.stdout.readline().strip()
    assert run_id, "the writer process did not start a run"
    return writer, run_id


def logged_steps(uri: str, run_id: str) -> list[int]:
    history = minitrack.MlflowClient(tracking_uri=uri).get_metric_history(run_id, "loss")
    return sorted(metric.step for metric in history)


def test_each_metric_is_readable_from_another_process_as_soon_as_log_metric_returns(tmp_path):
    uri = f"sqlite:///{(tmp_path / 'store.db').as_posix()}"
    writer, run_id = start_writer(STEP_BY_STEP_WRITER, uri)
    try:
        for step in range(5):
            writer.stdin.write(f"{step}\n")
            writer.stdin.flush()
            assert writer.stdout.readline().split() == ["logged", str(step)]
            # The writer is alive, its run still RUNNING, its connection open.
            assert logged_steps(uri, run_id) == list(range(step + 1))
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()

    assert logged_steps(uri, run_id) == [0, 1, 2, 3, 4]
    run = minitrack.MlflowClient(tracking_uri=uri).get_run(run_id)
    assert run.info.status == "RUNNING"
    assert run.data.metrics["loss"] == pytest.approx(1.0 / 5)


def test_a_writer_killed_mid_logging_loses_no_metric_whose_call_returned(tmp_path):
    uri = f"sqlite:///{(tmp_path / 'store.db').as_posix()}"
    writer, run_id = start_writer(FLAT_OUT_WRITER, uri)
    reported = [int(writer.stdout.readline()) for _ in range(200)]
    os.kill(writer.pid, signal.SIGKILL)  # lands somewhere inside the logging loop
    writer.wait()
    reported += [int(line) for line in writer.stdout.read().split()]

    stored = logged_steps(uri, run_id)
    assert set(reported) <= set(stored)
    assert stored == list(range(len(stored)))  # no holes: the store is consistent

    # The store opens cleanly after the crash and takes new runs.
    client = minitrack.MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("durability")
    after = client.create_run(experiment.experiment_id)
    client.log_metric(after.info.run_id, "loss", 0.5)
    assert client.get_run(after.info.run_id).data.metrics == {"loss": 0.5}
