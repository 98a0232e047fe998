"""Fill a store shaped like the lessons' output, through minitrack's public API.

Run as a script (``python fill_lessons.py sqlite:////tmp/x/mlflow.db``); prints the
run ids by name as JSON. What it logs, one experiment per lesson shape:

- "lesson-01": one run with three single-valued metrics (rmse, training time, model size);
- "lesson-02-sweep": SWEEP_RUNS runs, each with a per-round ``validation-rmse`` history
  of ROUNDS values beside its single-valued rmse, training time and model size;
- "lesson-04-autolog": a real ``minitrack.xgboost.autolog()`` run (``validation-rmse`` per
  boosting round, a model folder) and a real ``minitrack.sklearn.autolog()`` run
  (``training_*`` metrics, one value each, and a model folder);
- "plot-text": two runs whose name and param values are plotly pseudo-HTML.
"""

from __future__ import annotations

import json
import sys

SWEEP_RUNS = 3
ROUNDS = 8
XGB_ROUNDS = 6
LINK_NAME = '<a href="https://example.invalid/x">click</a>'
BOLD = "<b>bold</b>"
LESSON_01_METRICS = {"rmse": 6.42, "training_time_s": 0.83, "model_size_bytes": 1187.0}


def fill(tracking_uri: str) -> dict:
    import numpy as np

    import minitrack as mlflow

    mlflow.set_tracking_uri(tracking_uri)
    ids: dict[str, str] = {}

    mlflow.set_experiment("lesson-01")
    with mlflow.start_run(run_name="lasso-baseline") as run:
        mlflow.log_params({"alpha": 0.01, "model": "lasso"})
        for key, value in LESSON_01_METRICS.items():
            mlflow.log_metric(key, value)
        ids["lesson-01"] = run.info.run_id

    mlflow.set_experiment("lesson-02-sweep")
    for i in range(SWEEP_RUNS):
        with mlflow.start_run(run_name=f"trial-{i}") as run:
            mlflow.log_params({"max_depth": 4 + i, "learning_rate": 0.1 * (i + 1)})
            for step in range(ROUNDS):
                mlflow.log_metric("validation-rmse", 9.0 - step * 0.4 - i * 0.1, step=step)
            mlflow.log_metric("rmse", 9.0 - (ROUNDS - 1) * 0.4 - i * 0.1)
            mlflow.log_metric("training_time_s", 1.0 + i)
            mlflow.log_metric("model_size_bytes", 20_000.0 + i)
            ids[f"trial-{i}"] = run.info.run_id

    mlflow.set_experiment("lesson-04-autolog")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = X @ np.array([1.5, -2.0, 0.5]) + rng.normal(scale=0.1, size=200)

    import xgboost as xgb

    import minitrack.xgboost

    minitrack.xgboost.autolog()
    train, valid = xgb.DMatrix(X[:150], y[:150]), xgb.DMatrix(X[150:], y[150:])
    with mlflow.start_run(run_name="xgboost-autolog") as run:
        xgb.train(
            {"max_depth": 3, "nthread": 1},
            train,
            num_boost_round=XGB_ROUNDS,
            evals=[(valid, "validation")],
            verbose_eval=False,
        )
        ids["xgboost-autolog"] = run.info.run_id
    minitrack.xgboost.autolog(disable=True)

    from sklearn.linear_model import Lasso

    import minitrack.sklearn

    minitrack.sklearn.autolog()
    with mlflow.start_run(run_name="lasso-autolog") as run:
        Lasso(alpha=0.01).fit(X, y)
        ids["lasso-autolog"] = run.info.run_id
    minitrack.sklearn.autolog(disable=True)

    mlflow.set_experiment("plot-text")
    for name, optimizer, score in ((LINK_NAME, BOLD, 0.3), ("plain-run", "adam", 0.5)):
        with mlflow.start_run(run_name=name) as run:
            mlflow.log_params({"optimizer": optimizer, "lr": score / 10})
            for step in range(3):
                mlflow.log_metric("loss", score + 1 - step * 0.2, step=step)
            mlflow.log_metric("score", score)
            ids[name] = run.info.run_id
    return ids


if __name__ == "__main__":
    print(json.dumps(fill(sys.argv[1])))
