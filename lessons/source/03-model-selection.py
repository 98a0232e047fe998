# %% [markdown]
# # 03 · Choosing a model
#
# Lesson 02 left a pile of runs. Which model do we keep? The lowest RMSE is the obvious
# answer, but a model that is 0.5% better and ten times larger, or twice as slow to train,
# may not be worth it.
#
# **You will learn**
# - how to search and order runs with the client (`search_experiments`, `search_runs`);
# - how to weigh RMSE against training time and model size, and write the rule down;
# - how to re-train the chosen model and log it as an MLflow model, tagged with where it
#   came from.
#
# **Time:** about 20 minutes. Run lesson 02 first: this lesson reads its runs. The code
# runs in under a minute with the full settings, in seconds with the fast ones.

# %% tags=["parameters"]
import os

FAST = os.environ.get("COURSE_FAST") in ("1", "true")  # small settings for CI and nbmake
TRACKER = os.environ.get("COURSE_TRACKER", "minitrack")  # "minitrack" or "mlflow"
TRACKING_URI = os.environ.get("COURSE_TRACKING_URI", "sqlite:///mlflow.db")
DATA_SOURCE = "synthetic" if FAST else "auto"  # "auto", "cache", "download" or "synthetic"
DATA_SIZE = 3_000 if FAST else None  # trips per month; None: the whole month
TRAIN_MONTH = "2021-01"  # training data
VALID_MONTH = "2021-02"  # validation data
NUM_BOOST_ROUND = 20 if FAST else 300  # boosting rounds when re-training
EARLY_STOPPING_ROUNDS = 5 if FAST else 20  # stop when validation RMSE stalls this long
NTHREAD = 1 if FAST else os.cpu_count()  # XGBoost threads
TOP_N = 5  # how many runs to show
TOLERANCE = 0.02  # RMSEs within 2% of the best count as equally good

# %%
if TRACKER == "mlflow":
    import mlflow
else:
    import minitrack as mlflow

EXPERIMENT_NAME = "nyc-taxi-experiment"
mlflow.set_tracking_uri(TRACKING_URI)
mlflow.set_experiment(EXPERIMENT_NAME)  # the re-trained run joins the sweep's experiment
client = mlflow.MlflowClient()

# %% [markdown]
# ## Which experiments are there?
#
# > **Changed since the course videos:** `client.list_experiments()` was removed in MLflow 2.
# > Use `client.search_experiments()`, which also takes a filter and an order.

# %%
for experiment in client.search_experiments():
    print(f"{experiment.experiment_id:>4}  {experiment.name}")
experiment = client.get_experiment_by_name(EXPERIMENT_NAME)

# %% [markdown]
# ## The best runs of the sweep
#
# `client.search_runs` returns `Run` objects: a filter picks the sweep's runs, `order_by`
# sorts them (`ASC` or `DESC`), `max_results` keeps the top ones.

# %%
top_runs = client.search_runs(
    experiment_ids=[experiment.experiment_id],
    filter_string="tags.model = 'xgboost'",
    order_by=["metrics.rmse ASC"],
    max_results=TOP_N,
)
if not top_runs:
    raise RuntimeError(
        f"No runs tagged model=xgboost in {EXPERIMENT_NAME!r}: run lesson 02 first "
        "(in this folder, with the same TRACKING_URI)."
    )
for run in top_runs:
    m = run.data.metrics
    print(
        f"{run.info.run_id[:8]}  rmse {m['rmse']:.3f}  "
        f"trained in {m.get('training_time_s', float('nan')):.2f} s  "
        f"model {m.get('model_size_bytes', float('nan')) / 1024:.0f} KiB"
    )

# %% [markdown]
# ## RMSE against cost
#
# Each dot is a trial: how accurate (lower is better), how long it took to train, and how
# large the model is (the dot's size). The best models sit bottom left with small dots.

# %%
import matplotlib.pyplot as plt

sweep = mlflow.search_runs(
    experiment_names=[EXPERIMENT_NAME], filter_string="tags.model = 'xgboost'"
)
fig, ax = plt.subplots(figsize=(7, 4))
ax.scatter(
    sweep["metrics.training_time_s"],
    sweep["metrics.rmse"],
    s=20 + 200 * sweep["metrics.model_size_bytes"] / sweep["metrics.model_size_bytes"].max(),
    alpha=0.6,
)
ax.set_xlabel("training time (s)")
ax.set_ylabel("validation RMSE (minutes)")
ax.set_title("Each trial: accuracy against cost (dot size: model size)")
plt.show()

# %% [markdown]
# ## Our rule
#
# Differences of a percent or two in RMSE are within the noise of a different month of data.
# So: **among the runs whose RMSE is within `TOLERANCE` (2%) of the best, take the smallest
# model, and among equally small ones the fastest to train.** Writing the rule down makes the
# choice repeatable, and lets the check below verify it.

# %%
best_rmse = sweep["metrics.rmse"].min()
near_best = sweep[sweep["metrics.rmse"] <= best_rmse * (1 + TOLERANCE)]
chosen = near_best.sort_values(
    ["metrics.model_size_bytes", "metrics.training_time_s"], kind="stable"
).iloc[0]
chosen_run_id = chosen["run_id"]

print(f"{len(near_best)} of {len(sweep)} runs are within {TOLERANCE:.0%} of the best RMSE.")
print(
    f"Chosen: run {chosen_run_id[:8]}, RMSE {chosen['metrics.rmse']:.3f} "
    f"(best {best_rmse:.3f}), {chosen['metrics.model_size_bytes'] / 1024:.0f} KiB, "
    f"trained in {chosen['metrics.training_time_s']:.2f} s"
)

# %% [markdown]
# ## Re-training the chosen model
#
# The sweep only kept numbers. We re-train the chosen hyperparameters and this time keep the
# model, in MLflow's model format: `mlflow.xgboost.log_model` writes a folder with the model
# file, an `MLmodel` description and the environment it needs. The run is tagged
# `model=xgboost-selected` (so it does not mix with the sweep's runs) and `selected_from`
# points at the trial it came from.
#
# Params come back from the store as strings; we turn them back into numbers.

# %%
import pickle
import tempfile
import time

import xgboost as xgb
from sklearn.metrics import root_mean_squared_error

from course import data, features

train_trips = data.load_month(TRAIN_MONTH, source=DATA_SOURCE, size=DATA_SIZE)
valid_trips = data.load_month(VALID_MONTH, source=DATA_SOURCE, size=DATA_SIZE)
prepared = features.build(features.prepare(train_trips), features.prepare(valid_trips))
train = xgb.DMatrix(prepared.X_train, label=prepared.y_train)
valid = xgb.DMatrix(prepared.X_val, label=prepared.y_val)

params = {
    "max_depth": int(chosen["params.max_depth"]),
    "learning_rate": float(chosen["params.learning_rate"]),
    "reg_alpha": float(chosen["params.reg_alpha"]),
    "reg_lambda": float(chosen["params.reg_lambda"]),
    "min_child_weight": float(chosen["params.min_child_weight"]),
    "objective": "reg:squarederror",
    "seed": 42,
}

# %%
workdir = tempfile.mkdtemp()
with mlflow.start_run() as final_run:
    mlflow.set_tag("model", "xgboost-selected")
    mlflow.set_tag("selected_from", chosen_run_id)
    mlflow.log_params(params)
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
    rmse = root_mean_squared_error(prepared.y_val, booster.predict(valid))
    booster.save_model(os.path.join(workdir, "model.ubj"))
    mlflow.log_metric("rmse", rmse)
    mlflow.log_metric("training_time_s", training_time)
    mlflow.log_metric("model_size_bytes", os.path.getsize(os.path.join(workdir, "model.ubj")))

    with open(os.path.join(workdir, "preprocessor.b"), "wb") as f_out:
        pickle.dump(prepared.dv, f_out)
    mlflow.log_artifact(os.path.join(workdir, "preprocessor.b"), artifact_path="preprocessor")
    mlflow.xgboost.log_model(booster, name="model")

print(f"re-trained: RMSE {rmse:.3f}, run {final_run.info.run_id}")
print(f"model URI: runs:/{final_run.info.run_id}/model")

# %% [markdown]
# ## Check your work

# %%
from course import checks

checks.report(
    checks.lesson_03(
        mlflow, EXPERIMENT_NAME, chosen_run_id, final_run.info.run_id, tolerance=TOLERANCE
    ),
    lesson="03-model-selection",
)

# %% [markdown]
# ## Recap
#
# - `search_runs` with a filter and `order_by` turns a pile of runs into a ranking.
# - The best model is a trade-off: write down the rule (here: within 2% of the best RMSE,
#   then the smallest model) so anyone can repeat the choice.
# - Re-train the winner and log it as a model, with a tag pointing back to its trial.
#
# Next: **04 · Autologging**, where the tracker logs most of this for you.
