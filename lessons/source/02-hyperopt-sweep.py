# %% [markdown]
# # 02 · A hyperparameter sweep
#
# One run is easy to keep track of. A sweep trains dozens of models with different settings;
# without tracking, you would be left with the best number and no idea how you got it.
#
# **You will learn**
# - how to let hyperopt's TPE algorithm search XGBoost's hyperparameters;
# - how to open one run per trial, tagged `model=xgboost`, with its params, RMSE, training
#   time and model size;
# - how to find those runs with a filter (`tags.model = "xgboost"`) and look at them in
#   parallel-coordinates, scatter and contour plots.
#
# **Time:** about 30 minutes. With the full settings (15 trials of up to 300 boosting rounds)
# the sweep itself took 5 to 7 minutes on a busy 2-core machine on the synthetic sample
# (20,000 trips a month), and takes longer on the real months: start it, then read on. Each
# trial prints a line with its RMSE. Deep trees with a small learning rate are the slow
# trials; the fast settings (`COURSE_FAST=1`) run 4 trials of 20 rounds in seconds.

# %% tags=["parameters"]
import os

FAST = os.environ.get("COURSE_FAST") in ("1", "true")  # small settings for CI and nbmake
TRACKER = os.environ.get("COURSE_TRACKER", "minitrack")  # "minitrack" or "mlflow"
TRACKING_URI = os.environ.get("COURSE_TRACKING_URI", "sqlite:///mlflow.db")
DATA_SOURCE = "synthetic" if FAST else "auto"  # "auto", "cache", "download" or "synthetic"
DATA_SIZE = 3_000 if FAST else None  # trips per month; None: the whole month
TRAIN_MONTH = "2021-01"  # training data
VALID_MONTH = "2021-02"  # validation data
NUM_TRIALS = 4 if FAST else 15  # how many hyperparameter settings to try
NUM_BOOST_ROUND = 20 if FAST else 300  # boosting rounds per trial (the course used 1000)
EARLY_STOPPING_ROUNDS = 5 if FAST else 20  # stop when validation RMSE stalls this long
NTHREAD = 1 if FAST else os.cpu_count()  # XGBoost threads

# %%
if TRACKER == "mlflow":
    import mlflow
else:
    import minitrack as mlflow

EXPERIMENT_NAME = "nyc-taxi-experiment"
mlflow.set_tracking_uri(TRACKING_URI)
experiment = mlflow.set_experiment(EXPERIMENT_NAME)

# %% [markdown]
# ## The data, prepared as in lesson 01
#
# XGBoost reads its data from a `DMatrix`; we build one for training and one for validation.

# %%
import xgboost as xgb

from course import data, features

train_trips = data.load_month(TRAIN_MONTH, source=DATA_SOURCE, size=DATA_SIZE)
valid_trips = data.load_month(VALID_MONTH, source=DATA_SOURCE, size=DATA_SIZE)
prepared = features.build(features.prepare(train_trips), features.prepare(valid_trips))
train = xgb.DMatrix(prepared.X_train, label=prepared.y_train)
valid = xgb.DMatrix(prepared.X_val, label=prepared.y_val)
print(prepared.shape)

# %% [markdown]
# ## One run per trial
#
# hyperopt calls `objective(params)` once per trial and minimises what it returns. Opening a
# run inside the objective gives each trial its own run. We tag it, log the hyperparameters,
# train with early stopping on the validation month, and log the RMSE together with how long
# the training took and how large the saved model is.
#
# > **Changed since the course videos:** the objective `reg:linear` is deprecated; its name
# > is now `reg:squarederror`. And `mean_squared_error(..., squared=False)` became
# > `root_mean_squared_error(...)`.

# %%
import tempfile
import time

from hyperopt import STATUS_OK, Trials, fmin, hp, tpe
from hyperopt.pyll import scope
from sklearn.metrics import root_mean_squared_error

model_file = os.path.join(tempfile.mkdtemp(), "model.ubj")
trial_rmses = []  # one per finished trial, to print the progress


def objective(params):
    with mlflow.start_run():
        mlflow.set_tag("model", "xgboost")
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
        booster.save_model(model_file)
        mlflow.log_metric("rmse", rmse)
        mlflow.log_metric("training_time_s", training_time)
        mlflow.log_metric("model_size_bytes", os.path.getsize(model_file))
    trial_rmses.append(rmse)
    print(
        f"trial {len(trial_rmses)}/{NUM_TRIALS}: rmse {rmse:.3f}, "
        f"best so far {min(trial_rmses):.3f} ({training_time:.1f} s)"
    )
    return {"loss": rmse, "status": STATUS_OK}


# %% [markdown]
# The search space is the course's: how deep the trees grow, how fast they learn, how much
# they are regularised. `loguniform(-3, 0)` means values between e^-3 and e^0, spread evenly on
# a log scale. `seed` makes each training repeatable.

# %%
import numpy as np

search_space = {
    "max_depth": scope.int(hp.quniform("max_depth", 4, 100, 1)),
    "learning_rate": hp.loguniform("learning_rate", -3, 0),
    "reg_alpha": hp.loguniform("reg_alpha", -5, -1),
    "reg_lambda": hp.loguniform("reg_lambda", -6, -1),
    "min_child_weight": hp.loguniform("min_child_weight", -1, 3),
    "objective": "reg:squarederror",
    "seed": 42,
}

SWEEP_STARTED_MS = int(time.time() * 1000)
best = fmin(
    fn=objective,
    space=search_space,
    algo=tpe.suggest,
    max_evals=NUM_TRIALS,
    trials=Trials(),
    rstate=np.random.default_rng(42),
    show_progressbar=False,  # the objective prints a line per trial instead
)
print("best hyperparameters:", {name: round(float(v), 4) for name, v in best.items()})

# %% [markdown]
# ## Finding the sweep's runs
#
# `search_runs` takes a filter in MLflow's grammar: `tags.…`, `params.…`, `metrics.…` and
# attributes, compared with `=`, `!=`, `<`, `LIKE`... and joined with `AND`. Here: every run
# tagged `model=xgboost`, best RMSE first.

# %%
runs = mlflow.search_runs(
    experiment_names=[EXPERIMENT_NAME],
    filter_string='tags.model = "xgboost"',
    order_by=["metrics.rmse ASC"],
)
columns = {
    "params.max_depth": "max_depth",
    "params.learning_rate": "learning_rate",
    "params.reg_alpha": "reg_alpha",
    "params.reg_lambda": "reg_lambda",
    "params.min_child_weight": "min_child_weight",
    "metrics.rmse": "rmse",
    "metrics.training_time_s": "training_time_s",
    "metrics.model_size_bytes": "model_size_bytes",
}
trials = runs[list(columns)].rename(columns=columns).astype(float)
trials.round(4)

# %% [markdown]
# ## Looking at the trials
#
# **Parallel coordinates**: one line per trial, one axis per hyperparameter, coloured by
# RMSE. Follow the dark lines to see which values the good trials share.

# %%
import plotly.express as px
import plotly.graph_objects as go

px.parallel_coordinates(
    trials,
    dimensions=["max_depth", "learning_rate", "reg_alpha", "min_child_weight", "rmse"],
    color="rmse",
    color_continuous_scale="Viridis_r",
).show()

# %% [markdown]
# **Scatter**: RMSE against one hyperparameter at a time. A clear slope means that
# hyperparameter matters.

# %%
px.scatter(
    trials,
    x="learning_rate",
    y="rmse",
    size="max_depth",
    log_x=True,
    hover_data=list(trials.columns),
    title="RMSE by learning rate (marker size: max_depth)",
).show()

# %% [markdown]
# **Contour**: RMSE over two hyperparameters at once, interpolated between the trials (the
# dots). With few trials the surface is rough; more trials make it trustworthy.

# %%
fig = go.Figure(
    go.Contour(
        x=trials["learning_rate"],
        y=trials["max_depth"],
        z=trials["rmse"],
        connectgaps=True,
        colorscale="Viridis_r",
        colorbar={"title": "rmse"},
    )
)
fig.add_trace(
    go.Scatter(
        x=trials["learning_rate"],
        y=trials["max_depth"],
        mode="markers",
        marker={"color": "white", "line": {"width": 1}},
    )
)
fig.update_layout(xaxis_title="learning_rate", yaxis_title="max_depth", showlegend=False)
fig.show()

# %% [markdown]
# The tracker's web UI draws the same plots: run the command below in a terminal, open
# http://127.0.0.1:5000, select the runs and press *Compare*.

# %%
from course import commands

print(commands.ui_command_for(TRACKING_URI, TRACKER))

# %% [markdown]
# ## Check your work

# %%
from course import checks

checks.report(
    checks.lesson_02(mlflow, EXPERIMENT_NAME, trials=NUM_TRIALS, since_ms=SWEEP_STARTED_MS),
    lesson="02-hyperopt-sweep",
)

# %% [markdown]
# ## Recap
#
# - Open a run inside the objective: one run per trial, each with its params and metrics.
# - Tag runs (`model=xgboost`) so a filter finds them among everything else.
# - Plots over the runs show which hyperparameters matter; the tracker keeps every trial, not
#   only the winner.
#
# Next: **03 · Choosing a model**: the lowest RMSE is not the whole story.
