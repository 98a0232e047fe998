# %% [markdown]
# # 04 · Autologging
#
# In lessons 01 to 03 we logged every param and metric by hand. Autologging patches the
# training functions of XGBoost and scikit-learn so that the tracker records them for you.
#
# **You will learn**
# - `mlflow.autolog()` and the XGBoost autologger `mlflow.xgboost.autolog()`;
# - what an autologged run holds: params, a metric per boosting round, feature importance,
#   and the model;
# - what lands in the model folder (`MLmodel`, `conda.yaml`, `requirements.txt`, ...);
# - how to load the model back by its `runs:/` URI and predict.
#
# **Time:** about 20 minutes. The code runs in under a minute with the full settings, in
# seconds with the fast ones.

# %% tags=["parameters"]
import os

FAST = os.environ.get("COURSE_FAST") in ("1", "true")  # small settings for CI and nbmake
TRACKER = os.environ.get("COURSE_TRACKER", "minitrack")  # "minitrack" or "mlflow"
TRACKING_URI = os.environ.get("COURSE_TRACKING_URI", "sqlite:///mlflow.db")
DATA_SOURCE = "synthetic" if FAST else "auto"  # "auto", "cache", "download" or "synthetic"
DATA_SIZE = 3_000 if FAST else None  # trips per month; None: the whole month
TRAIN_MONTH = "2021-01"  # training data
VALID_MONTH = "2021-02"  # validation data
NUM_BOOST_ROUND = 20 if FAST else 300  # boosting rounds
EARLY_STOPPING_ROUNDS = 5 if FAST else 20  # stop when validation RMSE stalls this long
NTHREAD = 1 if FAST else os.cpu_count()  # XGBoost threads

# %%
import logging

if TRACKER == "mlflow":
    import mlflow

    logging.getLogger("mlflow").setLevel(logging.WARNING)  # keep MLflow's notices short
else:
    import minitrack as mlflow

EXPERIMENT_NAME = "nyc-taxi-experiment"
mlflow.set_tracking_uri(TRACKING_URI)
experiment = mlflow.set_experiment(EXPERIMENT_NAME)

# %% [markdown]
# ## The data and the hyperparameters
#
# We re-use the hyperparameters lesson 03 chose (the newest run tagged
# `model=xgboost-selected`); if you skipped it, sensible defaults.

# %%
import xgboost as xgb

from course import data, features

train_trips = data.load_month(TRAIN_MONTH, source=DATA_SOURCE, size=DATA_SIZE)
valid_trips = data.load_month(VALID_MONTH, source=DATA_SOURCE, size=DATA_SIZE)
prepared = features.build(features.prepare(train_trips), features.prepare(valid_trips))
train = xgb.DMatrix(prepared.X_train, label=prepared.y_train)
valid = xgb.DMatrix(prepared.X_val, label=prepared.y_val)

selected = mlflow.search_runs(
    experiment_names=[EXPERIMENT_NAME],
    filter_string="tags.model = 'xgboost-selected'",
    order_by=["attributes.start_time DESC"],
    max_results=1,
)
if len(selected):
    best = selected.iloc[0]
    params = {
        "max_depth": int(best["params.max_depth"]),
        "learning_rate": float(best["params.learning_rate"]),
        "reg_alpha": float(best["params.reg_alpha"]),
        "reg_lambda": float(best["params.reg_lambda"]),
        "min_child_weight": float(best["params.min_child_weight"]),
    }
    print(f"hyperparameters from run {best['run_id'][:8]} (lesson 03)")
else:
    params = {
        "max_depth": 6,
        "learning_rate": 0.3,
        "reg_alpha": 0.02,
        "reg_lambda": 0.01,
        "min_child_weight": 1.0,
    }
    print("no lesson 03 run found: using default hyperparameters")
params |= {"objective": "reg:squarederror", "seed": 42}
print(params)

# %% [markdown]
# ## Turning autologging on
#
# `mlflow.autolog()` turns it on for every supported library that is installed;
# `mlflow.xgboost.autolog()` for XGBoost only. From then on, every `xgb.train` call inside a
# run logs into that run (outside a run, it starts one). Notice that the training cell below
# calls no `log_…` function at all.
#
# One thing autologgers differ on: minitrack's also logs `training_time_s` and
# `model_size_bytes`, MLflow's does not. We time the fit ourselves and add what is missing.
# Our timing includes what the autologger does after training (saving the model, and with
# MLflow working out its requirements), so it is an upper bound of the training time.

# %%
import time

mlflow.xgboost.autolog()

with mlflow.start_run() as run:
    mlflow.set_tag("model", "xgboost-autolog")
    started = time.perf_counter()
    booster = xgb.train(
        params={**params, "nthread": NTHREAD},
        dtrain=train,
        num_boost_round=NUM_BOOST_ROUND,
        evals=[(valid, "validation")],
        early_stopping_rounds=EARLY_STOPPING_ROUNDS,
        verbose_eval=False,
    )
    training_time = time.perf_counter() - started

mlflow.xgboost.autolog(disable=True)
run_id = run.info.run_id
print(f"run {run_id}: trained in {training_time:.2f} s")

# %% [markdown]
# ## What was logged
#
# Params: every argument of `xgb.train` and every booster param. Metrics: `validation-rmse`
# once per boosting round (the `step`), so you can draw the learning curve.

# %%
client = mlflow.MlflowClient()
logged = client.get_run(run_id)
print("params ", dict(sorted(logged.data.params.items())))
print("metrics", logged.data.metrics)
print("files  ", [f.path for f in client.list_artifacts(run_id)])

# %%
import matplotlib.pyplot as plt

history = client.get_metric_history(run_id, "validation-rmse")
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot([m.step for m in history], [m.value for m in history], marker=".")
ax.set_xlabel("boosting round (step)")
ax.set_ylabel("validation RMSE (minutes)")
ax.set_title("Learning curve, from the metric history")
plt.show()

# %% [markdown]
# ## The model folder
#
# The model sits in the run under `model/`, in MLflow's format. `download_artifacts` gives a
# local copy of any `runs:/<run_id>/<path>` URI:
#
# - `MLmodel` describes the model: its *flavours* (`xgboost`, and `python_function`, the
#   generic interface any tool can call), the run it came from, its size, its signature;
# - `conda.yaml`, `python_env.yaml` and `requirements.txt` list what is needed to load it;
# - `model.ubj` is the booster itself.

# %%
from pathlib import Path

model_uri = f"runs:/{run_id}/model"
model_dir = Path(mlflow.artifacts.download_artifacts(artifact_uri=model_uri))
model_size = sum(f.stat().st_size for f in model_dir.rglob("*") if f.is_file())
for f in sorted(model_dir.iterdir()):
    print(f"{f.name:24} {f.stat().st_size:>9,} bytes")
print((model_dir / "MLmodel").read_text())
print((model_dir / "requirements.txt").read_text())

# %% [markdown]
# Now add the cost metrics the autologger did not record (with minitrack there is nothing
# to add). `start_run(run_id=...)` re-opens the finished run.

# %%
missing = {
    name: value
    for name, value in {"training_time_s": training_time, "model_size_bytes": model_size}.items()
    if name not in logged.data.metrics
}
if missing:
    with mlflow.start_run(run_id=run_id):
        mlflow.log_metrics(missing)
print("added:", missing or "nothing, the autologger logged both")

# %% [markdown]
# ## Loading the model back
#
# Anyone with access to the store can now load the model by its URI, without the training
# code: `mlflow.xgboost.load_model` returns the XGBoost booster, `mlflow.pyfunc.load_model`
# a generic model with a `predict` method.

# %%
import numpy as np
from sklearn.metrics import root_mean_squared_error

loaded = mlflow.pyfunc.load_model(model_uri)
predictions = np.asarray(loaded.predict(prepared.X_val))
rmse = root_mean_squared_error(prepared.y_val, predictions)
print(f"{len(predictions):,} predictions, RMSE {rmse:.3f}")

booster_again = mlflow.xgboost.load_model(model_uri)
print(
    "same as the booster we trained:",
    np.allclose(booster_again.predict(valid), booster.predict(valid)),
)

# %% [markdown]
# ## The same for scikit-learn
#
# `mlflow.sklearn.autolog()` logs `get_params()` and training metrics for any estimator's
# `fit`. Here without the model (`log_models=False`) to keep it quick.

# %%
from sklearn.linear_model import Lasso

mlflow.sklearn.autolog(log_models=False)
with mlflow.start_run() as lasso_run:
    mlflow.set_tag("model", "lasso-autolog")
    Lasso(alpha=0.01).fit(prepared.X_train, prepared.y_train)
mlflow.sklearn.autolog(disable=True)
print(mlflow.get_run(lasso_run.info.run_id).data.metrics)

# %% [markdown]
# ## Check your work

# %%
from course import checks

checks.report(
    checks.lesson_04(mlflow, EXPERIMENT_NAME, run_id, predictions=predictions),
    lesson="04-autologging",
)

# %% [markdown]
# ## Recap
#
# - `mlflow.autolog()` / `mlflow.xgboost.autolog()` log params, per-round metrics and the
#   model with no `log_…` calls; turn it off with `disable=True`.
# - A logged model is a folder: `MLmodel`, the environment files and the model file.
# - `runs:/<run_id>/model` is all you need to load it again, with its own flavour or as a
#   generic `pyfunc` model.
#
# Next in the course: the model registry, which gives such models names and versions.
