"""Several processes logging into one SQLite file at once, and processes killed mid-write."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap

import minitrack as mlflow

WORKER = textwrap.dedent(
    """
    import sys, time
    import minitrack as mlflow

    uri, worker, runs, steps, start_at = sys.argv[1:6]
    mlflow.set_tracking_uri(uri)
    while time.time() < float(start_at):  # start together, to race for real
        time.sleep(0.001)
    mlflow.set_experiment("shared")
    for r in range(int(runs)):
        with mlflow.start_run(run_name=f"w{worker}-r{r}"):
            mlflow.log_params({"worker": worker, "run": r, "lr": 0.1})
            mlflow.set_tags({"kind": "stress", "worker": worker})
            for step in range(int(steps)):
                mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
    print("done", flush=True)
    """
)


def _start_workers(tmp_path, uri, count, runs, steps):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    start_at = str(__import__("time").time() + 1.0)
    return [
        subprocess.Popen(
            [sys.executable, str(script), uri, str(w), str(runs), str(steps), start_at],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
        )
        for w in range(count)
    ]


def test_four_processes_log_300_runs_each_and_nothing_is_lost(tmp_path):
    uri = f"sqlite:///{tmp_path / 'shared.db'}"
    workers = _start_workers(tmp_path, uri, count=4, runs=300, steps=50)
    for proc in workers:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert "locked" not in err.lower()
        assert out.strip() == "done"
    client = mlflow.MlflowClient(uri)
    experiments = [e for e in client.search_experiments() if e.name == "shared"]
    assert len(experiments) == 1  # four processes raced to create it
    mlflow.set_tracking_uri(uri)
    frame = mlflow.search_runs(experiment_names=["shared"])
    assert len(frame) == 1200
    assert set(frame["status"]) == {"FINISHED"}
    assert sorted(frame.groupby("params.worker").size().tolist()) == [300, 300, 300, 300]
    assert (frame["metrics.loss"] == 1.0 / 50).all()  # the last step's value is the latest
    assert (frame["tags.kind"] == "stress").all()
    with sqlite3.connect(tmp_path / "shared.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM metrics").fetchone()[0] == 1200 * 50
        assert conn.execute("SELECT COUNT(*) FROM params").fetchone()[0] == 1200 * 3


def test_racing_experiment_creation_yields_one_experiment(tmp_path):
    uri = f"sqlite:///{tmp_path / 'race.db'}"
    workers = _start_workers(tmp_path, uri, count=6, runs=1, steps=1)
    for proc in workers:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    client = mlflow.MlflowClient(uri)
    names = [e.name for e in client.search_experiments()]
    assert names.count("shared") == 1
    mlflow.set_tracking_uri(uri)
    assert len(mlflow.search_runs(experiment_names=["shared"])) == 6


CRASHER = textwrap.dedent(
    """
    import sys
    import minitrack as mlflow

    mlflow.set_tracking_uri(sys.argv[1])
    mlflow.set_experiment("crash")
    run = mlflow.start_run()
    print(run.info.run_id, flush=True)
    step = 0
    while True:
        mlflow.log_metric("loss", float(step), step=step)
        if step % 10 == 0:
            mlflow.log_param(f"p{step}", step)
        print(step, flush=True)  # printed only after the call returned
        step += 1
    """
)


def test_a_process_killed_mid_logging_keeps_every_call_that_returned(tmp_path):
    uri = f"sqlite:///{tmp_path / 'crash.db'}"
    script = tmp_path / "crasher.py"
    script.write_text(CRASHER)
    proc = subprocess.Popen(
        [sys.executable, str(script), uri], stdout=subprocess.PIPE, text=True, cwd=tmp_path
    )
    run_id = proc.stdout.readline().strip()
    last = -1
    while last < 300:
        last = int(proc.stdout.readline())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    with sqlite3.connect(tmp_path / "crash.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    client = mlflow.MlflowClient(uri)
    steps = [m.step for m in client.get_metric_history(run_id, "loss")]
    assert steps[: last + 1] == list(range(last + 1))  # every returned call is there
    run = client.get_run(run_id)
    assert run.info.status == "RUNNING"  # it never ended
    assert {f"p{s}" for s in range(0, last + 1, 10)} <= set(run.data.params)
    client.log_metric(run_id, "after_crash", 1.0)  # and the store still takes writes
    client.set_terminated(run_id, "KILLED")


def test_threads_of_one_process_share_the_store_safely(client):
    import threading

    run_id = client.create_run("0").info.run_id
    errors = []

    def log(worker):
        try:
            for step in range(100):
                client.log_metric(run_id, f"thread{worker}", float(step), step=step)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=log, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    metrics = client.get_run(run_id).data.metrics
    assert metrics == {f"thread{w}": 99.0 for w in range(4)}
    assert all(len(client.get_metric_history(run_id, k)) == 100 for k in metrics)
