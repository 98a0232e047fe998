"""A student's whole flow with the real ``mlflow`` client against a tracking server.

Run as a script (its own process: mlflow keeps global state) with the server URL as
argument; prints one JSON line of what the client saw. ``--models`` adds model logging,
the registry, aliases and loading by alias.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile


def main(url: str, models: bool) -> dict:
    import mlflow
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(url)
    mlflow.set_experiment("student-flow")
    seen: dict = {}
    work = tempfile.mkdtemp()
    notes = os.path.join(work, "notes.txt")
    with open(notes, "w") as fh:
        fh.write("hello from the student")
    with mlflow.start_run(run_name="first") as run:
        mlflow.log_param("alpha", 0.5)
        mlflow.log_params({"max_depth": 3, "solver": "lbfgs"})
        for step in range(20):
            mlflow.log_metric("rmse", 10.0 / (step + 1), step=step)
        mlflow.log_metrics({"mae": 1.5, "r2": 0.75})
        mlflow.set_tags({"team": "blue", "stage": "dev"})
        mlflow.log_artifact(notes)
        mlflow.log_artifact(notes, artifact_path="docs")
        mlflow.log_dict({"k": 1}, "config/params.json")
    run_id = run.info.run_id
    seen["run_id"] = run_id
    client = MlflowClient()
    seen["artifacts"] = sorted(f.path for f in client.list_artifacts(run_id))
    seen["docs"] = [f.path for f in client.list_artifacts(run_id, "docs")]
    seen["history"] = [m.value for m in client.get_metric_history(run_id, "rmse")]
    seen["notes"] = mlflow.artifacts.load_text(f"runs:/{run_id}/docs/notes.txt")
    found = mlflow.search_runs(filter_string="metrics.rmse < 1", order_by=["metrics.rmse ASC"])
    seen["found"] = list(found["run_id"])
    seen["artifact_uri"] = client.get_run(run_id).info.artifact_uri
    if models:
        seen.update(_models(mlflow, client))
    return seen


def _models(mlflow, client) -> dict:
    import numpy as np
    from sklearn.linear_model import LinearRegression

    seen: dict = {}
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3))
    y = x @ np.array([1.0, -2.0, 0.5]) + 3.0
    mlflow.sklearn.autolog()
    with mlflow.start_run(run_name="autolog") as run:
        model = LinearRegression().fit(x, y)
    mlflow.sklearn.autolog(disable=True)
    seen["autolog_params"] = sorted(client.get_run(run.info.run_id).data.params)
    with mlflow.start_run(run_name="sk") as run:
        info = mlflow.sklearn.log_model(model, name="model", input_example=x[:2])
        import xgboost

        booster = xgboost.train({"max_depth": 2}, xgboost.DMatrix(x, label=y), 3)
        mlflow.xgboost.log_model(booster, name="booster")
    seen["model_id"] = info.model_id
    version = mlflow.register_model(f"runs:/{run.info.run_id}/model", "taxi-regressor")
    seen["version"] = version.version
    client.set_registered_model_alias("taxi-regressor", "champion", version.version)
    seen["alias_version"] = client.get_model_version_by_alias("taxi-regressor", "champion").version
    loaded = mlflow.pyfunc.load_model("models:/taxi-regressor@champion")
    seen["prediction"] = [float(v) for v in loaded.predict(x[:3])]
    seen["expected"] = [float(v) for v in model.predict(x[:3])]
    seen["models"] = sorted(m.name for m in client.search_registered_models())
    return seen


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], "--models" in sys.argv)))
