"""The same lifecycle on real MLflow and on minitrack, compared: delete a run and an
experiment, collect them (`mlflow gc` / `minitrack gc --yes`), then what is left, what is on
disk, and set_experiment's words on a deleted experiment.

Kept differences: minitrack's gc needs --yes (it shows a dry run first; `mlflow gc` acts at
once), and minitrack's set_experiment message goes on with the commands that fix it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.mlflow]

SCENARIO = r"""
import json, os, sys
tracker, phase = sys.argv[1], sys.argv[2]
if tracker == "mlflow":
    import mlflow
    from mlflow.entities import ViewType
else:
    import minitrack as mlflow
    from minitrack.entities import ViewType
mlflow.set_tracking_uri("sqlite:///store.db")
client = mlflow.MlflowClient()
out = {}
if phase == "log":
    ids = {}
    for exp in ("taxi", "old"):
        mlflow.set_experiment(exp)
        for i in range(2):
            with mlflow.start_run(run_name=f"{exp}-{i}") as run:
                mlflow.log_metric("rmse", 7.0 - i)
                mlflow.log_text("x" * 1000, "notes/a.txt")
            ids[f"{exp}-{i}"] = run.info.run_id
    client.delete_run(ids["taxi-0"])
    client.delete_experiment(client.get_experiment_by_name("old").experiment_id)
    out["folders"] = {k: client.get_run(v).info.artifact_uri for k, v in ids.items()}
else:
    exps = client.search_experiments(view_type=ViewType.ALL)
    out["experiments"] = sorted((e.name, e.lifecycle_stage) for e in exps)
    runs = client.search_runs([e.experiment_id for e in exps], run_view_type=ViewType.ALL)
    out["runs"] = sorted((r.info.run_name, r.info.lifecycle_stage) for r in runs)
    if phase == "before":
        try:
            mlflow.set_experiment("old")
        except Exception as error:
            out["error"] = str(error)
print(json.dumps(out))
"""


def _run(tracker: str, phase: str, folder: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", SCENARIO, tracker, phase],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _local(uri: str, folder: Path) -> Path:
    path = uri.removeprefix("file://")
    return Path(path) if Path(path).is_absolute() else folder / path


def test_gc_and_the_deleted_experiment_message_match_mlflow(tmp_path):
    results = {}
    for tracker in ("mlflow", "minitrack"):
        folder = tmp_path / tracker
        folder.mkdir()
        logged = _run(tracker, "log", folder)
        before = _run(tracker, "before", folder)
        gc = (
            [sys.executable, "-m", "mlflow", "gc", "--backend-store-uri", "sqlite:///store.db"]
            + ["--tracking-uri", "sqlite:///store.db"]
            if tracker == "mlflow"
            else [str(Path(sys.executable).with_name("minitrack")), "gc", "--yes"]
            + ["--backend-store-uri", "sqlite:///store.db"]
        )
        env_done = subprocess.run(gc, cwd=folder, capture_output=True, text=True, timeout=300)
        assert env_done.returncode == 0, env_done.stderr[-3000:]
        after = _run(tracker, "after", folder)
        on_disk = {name: _local(uri, folder).is_dir() for name, uri in logged["folders"].items()}
        results[tracker] = (before, after, on_disk)

    (m_before, m_after, m_disk), (t_before, t_after, t_disk) = (
        results["mlflow"],
        results["minitrack"],
    )
    assert t_before["experiments"] == m_before["experiments"]
    assert t_before["runs"] == m_before["runs"]
    assert (
        t_after["experiments"]
        == m_after["experiments"]
        == [["Default", "active"], ["taxi", "active"]]  # JSON lists
    )
    assert t_after["runs"] == m_after["runs"] == [["taxi-1", "active"]]
    assert t_disk == m_disk == {"taxi-0": False, "taxi-1": True, "old-0": False, "old-1": False}
    # MLflow's sentence first, word for word; minitrack then adds the commands
    assert t_before["error"].startswith(m_before["error"].rstrip("."))
