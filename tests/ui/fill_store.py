"""Fill a tracking store the way a student's sweep would, through minitrack's public API.

Run as a script (``python fill_store.py sqlite:////tmp/x/mlflow.db``) so the
fluent API's global state stays out of the test process. What it logs:

- experiment "taxi-duration": 24 runs; 14 tagged model=xgboost (max_depth,
  learning_rate, min_child_weight, objective params; an rmse history of 5 steps), 10 tagged
  model=lasso (alpha param); all with metric training_time;
- run "best-xgb" (xgboost) with a real scikit-learn model folder (MLmodel),
  an image, JSON, YAML, a text note, and an HTML file that must stay inert;
- run named with HTML/script, with such a param and tag too (must show as text);
- experiment "empty-experiment" with no runs;
- registry: "nyc-taxi-regressor" v1, v2 from best-xgb's model (aliases champion -> v2,
  challenger -> v1; tags and descriptions) and v3 from a saved folder outside every run's
  artifacts; a model named with HTML; a model whose name holds both quote marks.
"""

from __future__ import annotations

import os
import struct
import sys
import tempfile
import zlib

XSS_NAME = '<img src=x onerror="window.__xss=1">'
XSS_PARAM = "<script>window.__xss=2</script>"
XSS_TAG = '<b onmouseover="window.__xss=3">bold</b>'
MODEL = "nyc-taxi-regressor"
QUOTED_MODEL = """it's a "quoted" model"""
N_XGBOOST = 14
N_LASSO = 10


def tiny_png(width: int = 8, height: int = 8) -> bytes:
    """A valid PNG (a red square), written with the standard library only."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def fill(tracking_uri: str) -> dict:
    import minitrack as mlflow

    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment("empty-experiment")
    mlflow.set_experiment("taxi-duration")
    ids: dict[str, str] = {}
    for i in range(N_XGBOOST):
        name = "best-xgb" if i == 3 else f"xgb-{i:02d}"
        description = "The best trial: deeper trees, moderate learning rate." if i == 3 else None
        with mlflow.start_run(run_name=name, description=description) as run:
            mlflow.set_tag("model", "xgboost")
            mlflow.log_params(
                {
                    "max_depth": 4 + (i * 7) % 30,
                    "learning_rate": round(0.05 + 0.03 * i, 3),
                    "min_child_weight": round(0.5 + (i % 5) * 0.7, 2),
                    "objective": "reg:squarederror",
                }
            )
            final = 5.0 + ((i * 37) % 19) / 10 if i != 3 else 4.2
            for step in range(5):
                mlflow.log_metric("rmse", final + (4 - step) * 0.8, step=step)
            mlflow.log_metric("training_time", 1.5 + i * 0.25)
            ids[name] = run.info.run_id
            if i == 3:
                _log_artifacts(mlflow)
    for i in range(N_LASSO):
        with mlflow.start_run(run_name=f"lasso-{i:02d}") as run:
            mlflow.set_tag("model", "lasso")
            mlflow.log_param("alpha", round(0.001 * (i + 1), 4))
            mlflow.log_metric("rmse", 7.5 + i * 0.05)
            mlflow.log_metric("training_time", 0.2 + i * 0.01)
            ids[f"lasso-{i:02d}"] = run.info.run_id
    with mlflow.start_run(run_name=XSS_NAME) as run:
        mlflow.set_tag("model", "lasso")
        mlflow.set_tag("note", XSS_TAG)
        mlflow.log_param("alpha", XSS_PARAM)
        mlflow.log_metric("rmse", 9.9)
        ids["xss"] = run.info.run_id
    _register(mlflow, ids["best-xgb"])
    return ids


def _register(mlflow, run_id: str) -> None:
    from sklearn.linear_model import LinearRegression

    import minitrack.sklearn

    client = mlflow.MlflowClient()
    mlflow.register_model(f"runs:/{run_id}/model", MODEL)
    mlflow.register_model(f"runs:/{run_id}/model", MODEL, tags={"validated": "yes"})
    folder = os.path.join(tempfile.mkdtemp(), "saved-model")
    minitrack.sklearn.save_model(LinearRegression().fit([[1.0], [2.0]], [1.0, 2.0]), folder)
    mlflow.register_model(folder, MODEL)
    client.set_registered_model_alias(MODEL, "champion", 2)
    client.set_registered_model_alias(MODEL, "challenger", 1)
    client.set_registered_model_tag(MODEL, "team", "taxi")
    client.update_registered_model(MODEL, description="Predicts trip duration in minutes.")
    client.update_model_version(MODEL, 2, description="Deeper trees.")
    mlflow.register_model(f"runs:/{run_id}/model", XSS_NAME)
    client.update_registered_model(XSS_NAME, description=XSS_PARAM)
    client.set_registered_model_alias(XSS_NAME, "prod", 1)
    client.set_model_version_tag(XSS_NAME, 1, "note", XSS_TAG)
    mlflow.register_model(f"runs:/{run_id}/model", QUOTED_MODEL)
    mlflow.register_model(f"runs:/{run_id}/model", QUOTED_MODEL)


def _log_artifacts(mlflow) -> None:
    from sklearn.linear_model import LinearRegression

    import minitrack.sklearn

    model = LinearRegression().fit([[1.0], [2.0], [3.0]], [2.0, 4.0, 6.0])
    minitrack.sklearn.log_model(model, "model")
    mlflow.log_dict({"max_depth": 10, "learning_rate": 0.2}, "best_params.json")
    mlflow.log_dict({"features": ["PU_DO", "trip_distance"]}, "config/features.yaml")
    mlflow.log_text("Validation RMSE went down steadily.\n", "notes.txt")
    mlflow.log_text("<script>window.__xss=4</script><h1>report</h1>", "report.html")
    with tempfile.TemporaryDirectory() as tmp:
        png = os.path.join(tmp, "residuals.png")
        with open(png, "wb") as fh:
            fh.write(tiny_png())
        mlflow.log_artifact(png, "plots")


if __name__ == "__main__":
    import json

    print(json.dumps(fill(sys.argv[1])))
