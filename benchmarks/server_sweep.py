"""The sweep bench_server.py times: the real `mlflow` client logging to a tracking server.

    python benchmarks/server_sweep.py http://127.0.0.1:PORT RUNS REPEATS

Prints one JSON line: {"sweeps": [seconds per sweep], "runs": runs on the server}. The
import and a 2-run warm-up come before the clock, so only the HTTP traffic is timed.
"""

from __future__ import annotations

import json
import logging
import sys
import time

import mlflow

PARAMS = ("max_depth", "learning_rate", "reg_alpha", "reg_lambda", "min_child_weight")


def one_sweep(experiment: str, runs: int) -> float:
    mlflow.set_experiment(experiment)
    started = time.perf_counter()
    for i in range(runs):
        with mlflow.start_run():
            mlflow.set_tag("model", "xgboost")
            mlflow.log_params({name: (i + k) / 10 for k, name in enumerate(PARAMS)})
            mlflow.log_metrics(
                {"rmse": 5 + i / runs, "training_time_s": 0.5, "model_size_bytes": 1e5 + i}
            )
    return time.perf_counter() - started


def main() -> None:
    uri, runs, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    mlflow.set_tracking_uri(uri)
    one_sweep("warm-up", 2)
    sweeps = [one_sweep(f"sweep-{n}", runs) for n in range(repeats)]
    client = mlflow.MlflowClient(uri)
    found = sum(
        len(client.search_runs([e.experiment_id], max_results=1000))
        for e in client.search_experiments()
    )
    print(json.dumps({"sweeps": sweeps, "runs": found}))


if __name__ == "__main__":
    main()
