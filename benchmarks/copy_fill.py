"""A student's local minitrack store, for bench_copy.py to copy into a team server.

`fill(uri, runs, steps)` writes, through minitrack's public client: two experiments (a
sweep like lesson 02's and a smaller one), runs with lesson 02's seven params, a tag,
`steps`-step histories of three metrics, and three artifacts per run (a text report, a
plot-sized and a model-sized binary file); then one run with a scikit-learn model,
registered as version 1 of a model with the alias `champion`. Everything is
deterministic, so two fills hold the same bytes.
"""

from __future__ import annotations

import math
import os
import random
import tempfile

from workloads import sweep_params

import minitrack
from minitrack.entities import Metric, Param, RunTag

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z: fixed start times
EXPERIMENTS = ("02-hyperopt-sweep", "04-autologging")
# (path in the run, size in bytes): a report, a feature-importance png, a model file
ARTIFACTS = (
    ("reports/summary.txt", 1_000),
    ("plots/importance.png", 40_000),
    ("model.xgb", 120_000),
)
MODEL = "nyc-taxi-regressor"


def fill(uri: str, runs: int, steps: int) -> dict:
    """Write the store at `uri`; returns its counts (runs, metric values, artifact bytes)."""
    client = minitrack.MlflowClient(uri)
    exp_ids = [client.create_experiment(name, tags={"course": "mlops"}) for name in EXPERIMENTS]
    rng = random.Random(15)
    made = {"runs": 0, "metric_values": 0, "artifact_bytes": 0, "artifact_files": 0}
    with tempfile.TemporaryDirectory(prefix="bench-copy-fill-") as tmp:
        for i in range(runs):
            exp_id = exp_ids[0] if i % 4 else exp_ids[1]
            start = T0 + i * 60_000
            tags = {"mlflow.user": f"student{i % 3}", "mlflow.source.name": "train.py"}
            run = client.create_run(exp_id, start_time=start, tags=tags, run_name=f"trial-{i}")
            rid = run.info.run_id
            params = [Param(k, str(v)) for k, v in sweep_params(rng).items()]
            metrics = [
                Metric(key, value(key, i, s), start + s * 1_000, s)
                for key in ("rmse", "train_rmse", "learning_rate")
                for s in range(steps)
            ]
            client.log_batch(rid, metrics, params, [RunTag("model", "xgboost")])
            made["metric_values"] += len(metrics)
            for path, size in ARTIFACTS:
                folder, name = os.path.split(path)
                local = os.path.join(tmp, name)
                with open(local, "wb") as f:
                    f.write(random.Random(i * 10 + size).randbytes(size))
                client.log_artifact(rid, local, folder or None)
                made["artifact_bytes"] += size
                made["artifact_files"] += 1
            client.set_terminated(rid, "FINISHED", start + 30_000)
            made["runs"] += 1
    made["runs"] += _register_model(uri, exp_ids[1])
    return made


def value(key: str, trial: int, step: int) -> float:
    if key == "learning_rate":
        return 0.3 * 0.97**step
    base = 5.0 + (trial % 17) / 10
    return base + 3 * math.exp(-step / 8) - (0.5 if key == "train_rmse" else 0.0)


def _register_model(uri: str, exp_id: str) -> int:
    """One run with a small scikit-learn model, registered with the alias champion."""
    import numpy as np
    from sklearn.linear_model import LinearRegression

    x = np.array([[1.0], [2.0], [3.0]])
    minitrack.set_tracking_uri(uri)
    try:
        with minitrack.start_run(experiment_id=exp_id, run_name="best-model") as run:
            minitrack.log_param("alpha", 0.1)
            minitrack.sklearn.log_model(
                LinearRegression().fit(x, x[:, 0] * 2), name="model", input_example=x
            )
        version = minitrack.register_model(f"runs:/{run.info.run_id}/model", MODEL)
        client = minitrack.MlflowClient(uri)
        client.set_registered_model_alias(MODEL, "champion", version.version)
        client.update_registered_model(MODEL, description="the course's taxi-trip regressor")
    finally:
        minitrack.set_tracking_uri(None)
    return 1
