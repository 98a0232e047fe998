# %% [markdown]
# # 01 · A single tracked run
#
# We predict how long a New York green taxi trip takes, from where it starts, where it ends
# and how far it goes, and we record what we did so that we (and others) can find it again.
#
# **You will learn**
# - what experiments, runs, parameters, metrics, tags and artifacts are;
# - how to track a Lasso regression: the developer tag, the data paths, `alpha`, the RMSE,
#   how long training took and how big the model is, the preprocessor and the model as files;
# - how to read a run back from the tracking store.
#
# **Time:** about 20 minutes. With the full settings (two real months, about 75,000 trips
# each) the code runs in about 30 seconds on a 2-core laptop; offline, on the synthetic sample
# of 20,000 trips, in about 10 seconds.

# %% tags=["parameters"]
import os

FAST = os.environ.get("COURSE_FAST") in ("1", "true")  # small settings for CI and nbmake
TRACKER = os.environ.get("COURSE_TRACKER", "minitrack")  # "minitrack" or "mlflow"
TRACKING_URI = os.environ.get("COURSE_TRACKING_URI", "sqlite:///mlflow.db")
DATA_SOURCE = "synthetic" if FAST else "auto"  # "auto", "cache", "download" or "synthetic"
DATA_SIZE = 3_000 if FAST else None  # trips per month; None: the whole month
TRAIN_MONTH = "2021-01"  # training data
VALID_MONTH = "2021-02"  # validation data
ALPHA = 0.01  # Lasso's regularisation strength
DEVELOPER = "student"  # put your name here

# %% [markdown]
# ## The tracker
#
# `import minitrack as mlflow` gives you MLflow's API (set `TRACKER = "mlflow"` to use MLflow
# itself; nothing else changes). The **tracking URI** says where runs are stored: here a
# SQLite file, `mlflow.db`, next to the notebook. An **experiment** groups the runs of one
# problem; `set_experiment` creates it the first time.

# %%
if TRACKER == "mlflow":
    import mlflow
else:
    import minitrack as mlflow

EXPERIMENT_NAME = "nyc-taxi-experiment"
mlflow.set_tracking_uri(TRACKING_URI)
experiment = mlflow.set_experiment(EXPERIMENT_NAME)
print(f"experiment {experiment.name!r} (id {experiment.experiment_id}) in {TRACKING_URI}")

# %% [markdown]
# ## The data
#
# One month of trips to train on, the next month to validate on. `course.data` downloads the
# TLC's parquet files once into a cache folder; offline it generates a synthetic sample with
# the same columns, and it always prints which one you got.
#
# `course.features` does what the course's `read_dataframe` did: the target `duration` in
# minutes (only trips of 1 to 60 minutes), the zones as strings joined into `PU_DO`, and a
# `DictVectorizer` that turns each trip into a sparse row: one column per zone pair, plus
# `trip_distance`.

# %%
from course import data, features

train_trips = data.load_month(TRAIN_MONTH, source=DATA_SOURCE, size=DATA_SIZE)
valid_trips = data.load_month(VALID_MONTH, source=DATA_SOURCE, size=DATA_SIZE)
TRAIN_PATH, VALID_PATH = train_trips.attrs["path"], valid_trips.attrs["path"]

df_train, df_val = features.prepare(train_trips), features.prepare(valid_trips)
prepared = features.build(df_train, df_val)
print(prepared.shape)
df_train[["PU_DO", "trip_distance", "duration"]].head()

# %% [markdown]
# ## A baseline first, without tracking
#
# A plain linear regression tells us what "good" means. We measure it with the root mean
# squared error (RMSE), in minutes.
#
# > **Changed since the course videos:** `mean_squared_error(y, y_pred, squared=False)` no
# > longer runs: scikit-learn 1.6 removed `squared`. Use `root_mean_squared_error(y, y_pred)`.

# %%
from sklearn.linear_model import Lasso, LinearRegression
from sklearn.metrics import root_mean_squared_error

baseline = LinearRegression().fit(prepared.X_train, prepared.y_train)
baseline_rmse = root_mean_squared_error(prepared.y_val, baseline.predict(prepared.X_val))
print(f"linear regression: validation RMSE {baseline_rmse:.2f} minutes")

# %% [markdown]
# A picture says more than one number: how do the predicted durations compare with the real
# ones?

# %%
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(7, 3.5))
ax.hist(prepared.y_val, bins=60, range=(0, 60), alpha=0.5, label="actual")
ax.hist(baseline.predict(prepared.X_val), bins=60, range=(0, 60), alpha=0.5, label="predicted")
ax.set_xlabel("trip duration (minutes)")
ax.set_ylabel("trips")
ax.legend()
plt.show()

# %% [markdown]
# ## A tracked run
#
# Everything inside `with mlflow.start_run():` belongs to one **run**:
#
# - **tags** describe the run (who, which model): `set_tag`;
# - **parameters** are the inputs you chose (data paths, `alpha`): `log_param`;
# - **metrics** are the numbers you measured (RMSE, training time, model size): `log_metric`;
# - **artifacts** are files (the fitted preprocessor, the model): `log_artifact`.
#
# We time the fit and measure the saved model ourselves: lesson 03 weighs the RMSE against
# both, and a tracker only knows what you log.

# %%
import pickle
import time

os.makedirs("models", exist_ok=True)

with mlflow.start_run() as run:
    mlflow.set_tag("developer", DEVELOPER)
    mlflow.set_tag("model", "lasso")
    mlflow.log_param("train-data-path", TRAIN_PATH)
    mlflow.log_param("valid-data-path", VALID_PATH)
    mlflow.log_param("alpha", ALPHA)

    lasso = Lasso(alpha=ALPHA)
    started = time.perf_counter()
    lasso.fit(prepared.X_train, prepared.y_train)
    training_time = time.perf_counter() - started
    rmse = root_mean_squared_error(prepared.y_val, lasso.predict(prepared.X_val))

    with open("models/preprocessor.b", "wb") as f_out:
        pickle.dump(prepared.dv, f_out)
    with open("models/lasso.bin", "wb") as f_out:
        pickle.dump(lasso, f_out)

    mlflow.log_metric("rmse", rmse)
    mlflow.log_metric("training_time_s", training_time)
    mlflow.log_metric("model_size_bytes", os.path.getsize("models/lasso.bin"))
    mlflow.log_artifact("models/preprocessor.b", artifact_path="preprocessor")
    mlflow.log_artifact("models/lasso.bin", artifact_path="models_pickle")

print(f"Lasso(alpha={ALPHA}): validation RMSE {rmse:.2f} minutes (baseline {baseline_rmse:.2f})")
print(f"run {run.info.run_id}")

# %% [markdown]
# ## Reading the run back
#
# The run outlives this notebook. `MlflowClient` is the explicit API: fetch a run by id, list
# its files. `mlflow.search_runs` returns the runs of an experiment as a pandas DataFrame,
# newest first, with one column per param (`params.…`), metric (`metrics.…`) and tag
# (`tags.…`).

# %%
client = mlflow.MlflowClient()
stored = client.get_run(run.info.run_id)
print("status  ", stored.info.status)
print("tags    ", {k: v for k, v in stored.data.tags.items() if not k.startswith("mlflow.")})
print("params  ", stored.data.params)
print("metrics ", stored.data.metrics)
print("files   ", [f.path for f in client.list_artifacts(run.info.run_id)])

# %%
runs = mlflow.search_runs(experiment_names=[EXPERIMENT_NAME])
runs.filter(items=["run_id", "tags.developer", "params.alpha", "metrics.rmse", "start_time"])

# %% [markdown]
# To browse the runs in a web page, run the command this cell prints in a terminal (it works
# from any folder), then open http://127.0.0.1:5000. Stop it with Ctrl+C.

# %%
from course import commands

print(commands.ui_command_for(TRACKING_URI, TRACKER))

# %% [markdown]
# ## Check your work

# %%
from course import checks

checks.report(checks.lesson_01(mlflow, EXPERIMENT_NAME, run.info.run_id), lesson="01-single-run")

# %% [markdown]
# ## Recap
#
# - A run records what you chose (params), what you measured (metrics), who and what it is
#   (tags) and the files you need to reuse it (artifacts).
# - Log training time and model size too: the best model is not only the most accurate one.
# - `MlflowClient().get_run(...)` and `mlflow.search_runs(...)` read it all back.
#
# Next: **02 · A hyperparameter sweep**, where one run per trial adds up to dozens of runs.
