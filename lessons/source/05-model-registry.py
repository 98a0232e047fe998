# %% [markdown]
# # 05 · The model registry
#
# Lessons 02 to 04 left several trained models in the tracking store, each under a run id.
# The model registry gives a model a **name**, numbered **versions**, and **aliases** such
# as `champion` that the code serving the model loads, so nobody copies run ids around.
#
# **You will learn**
# - how to find the best runs with `MlflowClient.search_runs` (filter, order, view type);
# - `mlflow.register_model("runs:/<run_id>/model", name)` and what a version is;
# - aliases (`champion`, `challenger`), and why they replaced stages in MLflow 2.9;
# - tags and descriptions on a model and on its versions;
# - loading `models:/nyc-taxi-regressor@champion` and scoring it on a month it never saw;
# - promoting the challenger by moving an alias.
#
# **Time:** about 25 minutes. The code runs in under a minute (seconds with the fast
# settings). It needs the runs of lessons 02 to 04 in the same tracking store.

# %% tags=["parameters"]
import os

FAST = os.environ.get("COURSE_FAST") in ("1", "true")  # small settings for CI and nbmake
TRACKER = os.environ.get("COURSE_TRACKER", "minitrack")  # "minitrack" or "mlflow"
TRACKING_URI = os.environ.get("COURSE_TRACKING_URI", "sqlite:///mlflow.db")
DATA_SOURCE = "synthetic" if FAST else "auto"  # "auto", "cache", "download" or "synthetic"
DATA_SIZE = 3_000 if FAST else None  # trips per month; None: the whole month
TRAIN_MONTH = "2021-01"  # the month lessons 02-04 trained on
VALID_MONTH = "2021-02"  # the month they were validated on
TEST_MONTH = "2021-03"  # a third month no model has seen
MODEL_NAME = "nyc-taxi-regressor"
TOP_N = 5  # how many of the sweep's best runs to list

# %%
import logging
import warnings

if TRACKER == "mlflow":
    import mlflow

    logging.getLogger("mlflow").setLevel(logging.WARNING)  # keep MLflow's notices short
else:
    import minitrack as mlflow

warnings.filterwarnings("ignore", category=FutureWarning)  # stages' deprecation, see below
EXPERIMENT_NAME = "nyc-taxi-experiment"
mlflow.set_tracking_uri(TRACKING_URI)
client = mlflow.MlflowClient()
experiment = client.get_experiment_by_name(EXPERIMENT_NAME)
if experiment is None:
    raise RuntimeError(
        f"No experiment {EXPERIMENT_NAME!r} in {TRACKING_URI}: run lessons 02 to 04 first "
        "(in this folder, with the same TRACKING_URI)."
    )

# %% [markdown]
# ## 1. The best runs of lessons 02 to 04
#
# The course's registry notebook starts like this: `search_runs` with a filter, only active
# runs (`ViewType.ACTIVE_ONLY`, so deleted runs stay out), the best RMSE first. First the
# sweep of lesson 02. (MLflow code often writes `from mlflow.entities import ViewType`;
# `mlflow.entities.ViewType` is the same class and works with minitrack too.)

# %%
ViewType = mlflow.entities.ViewType

sweep = client.search_runs(
    experiment_ids=[experiment.experiment_id],
    filter_string="tags.model = 'xgboost'",
    run_view_type=ViewType.ACTIVE_ONLY,
    max_results=TOP_N,
    order_by=["metrics.rmse ASC"],
)
for run in sweep:
    print(f"lesson 02 trial {run.info.run_id[:8]}  rmse {run.data.metrics['rmse']:.3f}")

# %% [markdown]
# The sweep's trials kept no model: lesson 03 re-trained the chosen one and logged it
# (`tags.model = 'xgboost-selected'`), and lesson 04 autologged another
# (`'xgboost-autolog'`). Those two are the candidates. Their logged metrics are not
# comparable as they stand (lesson 04's autologger logged `validation-rmse` per round), so
# we score both models on the same validation month ourselves.

# %%
candidates = client.search_runs(
    experiment_ids=[experiment.experiment_id],
    filter_string="tags.model LIKE 'xgboost-%'",
    run_view_type=ViewType.ACTIVE_ONLY,
    order_by=["attributes.start_time DESC"],
)
newest = {}
for run in candidates:  # newest first: keep the newest run of each lesson
    newest.setdefault(run.data.tags["model"], run)
missing = {"xgboost-selected", "xgboost-autolog"} - set(newest)
if missing:
    raise RuntimeError(f"No run tagged {', '.join(sorted(missing))}: run lessons 03 and 04 first.")
for tag, run in newest.items():
    print(f"{tag:18} run {run.info.run_id[:8]}")

# %%
import numpy as np
from sklearn.metrics import root_mean_squared_error

from course import data, features

# The same months, sizes and vectorizer as lessons 02-04, so the models get the columns
# they were trained on. (Change DATA_SIZE here only together with those lessons.)
train_trips = data.load_month(TRAIN_MONTH, source=DATA_SOURCE, size=DATA_SIZE)
valid_trips = data.load_month(VALID_MONTH, source=DATA_SOURCE, size=DATA_SIZE)
prepared = features.build(features.prepare(train_trips), features.prepare(valid_trips))


def rmse_of(model, X, y) -> float:
    return float(root_mean_squared_error(y, np.asarray(model.predict(X))))


validation_rmse = {}
for tag, run in newest.items():
    model = mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    validation_rmse[tag] = rmse_of(model, prepared.X_val, prepared.y_val)
    print(f"{tag:18} validation RMSE {validation_rmse[tag]:.3f}")

# %% [markdown]
# ## 2. Register the best model
#
# `register_model` takes the model's URI and a name. The first call creates the registered
# model; every call adds a version, numbered 1, 2, 3, ... (never reused). We register the
# runner-up too: it becomes the challenger.

# %%
ranked = sorted(newest, key=validation_rmse.get)  # best first
versions = {}
for tag in ranked:
    run = newest[tag]
    version = mlflow.register_model(f"runs:/{run.info.run_id}/model", MODEL_NAME)
    versions[tag] = version.version
    print(f"{tag:18} -> {MODEL_NAME} version {version.version}")
best, runner_up = ranked

# %% [markdown]
# ## 3. Aliases: champion and challenger
#
# An alias is a name for one version of a model. Code that serves the model loads
# `models:/nyc-taxi-regressor@champion` and never needs to know which version that is:
# moving the alias is the release, and moving it back is the rollback.
#
# > **Stages were deprecated in MLflow 2.9.** The course videos move versions through the
# > stages `Staging`, `Production` and `Archived` with `transition_model_version_stage`, and
# > load `models:/<name>/Production`. Stages were one fixed list for every team: a version
# > sat in exactly one of them, a model had one "Production" per name, and the words meant
# > different things to different teams. MLflow 2.9 replaced them with three things:
# > - **aliases**, names you choose (`champion`, `challenger`, `shadow`), each pointing at
# >   one version and moved with `set_registered_model_alias`;
# > - **tags** on models and versions for status (`validation_status = "approved"`);
# > - **one registered model per environment** when environments must be kept apart
# >   (`dev.nyc-taxi-regressor`, `prod.nyc-taxi-regressor`), with `copy_model_version`.
# >
# > The old calls still work in MLflow 3 (`transition_model_version_stage` and
# > `get_latest_versions` warn with a `FutureWarning`), so old code runs; write new code with
# > aliases.

# %%
client.set_registered_model_alias(MODEL_NAME, "champion", versions[best])
client.set_registered_model_alias(MODEL_NAME, "challenger", versions[runner_up])
for alias in ("champion", "challenger"):
    found = client.get_model_version_by_alias(MODEL_NAME, alias)
    print(f"@{alias:10} -> version {found.version} (run {found.run_id[:8]})")

# %% [markdown]
# ## 4. Tags and descriptions
#
# A description says what the model is for; tags carry facts a search can filter on, on
# the model (`task`) and on each version (its validation RMSE, where it came from).

# %%
client.update_registered_model(
    MODEL_NAME,
    description="Predicts the duration of a green taxi trip in minutes (NYC TLC data).",
)
client.set_registered_model_tag(MODEL_NAME, "task", "regression")
for tag in ranked:
    client.set_model_version_tag(MODEL_NAME, versions[tag], "trained_by", tag)
    client.set_model_version_tag(
        MODEL_NAME, versions[tag], "validation_rmse", f"{validation_rmse[tag]:.4f}"
    )
    client.update_model_version(
        MODEL_NAME,
        versions[tag],
        description=f"XGBoost from lesson {'03' if tag == 'xgboost-selected' else '04'}, "
        f"validation RMSE {validation_rmse[tag]:.3f} on {VALID_MONTH}.",
    )
model = client.get_registered_model(MODEL_NAME)
print(model.description)
print("tags   ", model.tags)
print("aliases", model.aliases)
found = client.search_model_versions(f"name = '{MODEL_NAME}'")
for version in sorted(found, key=lambda v: int(v.version))[-len(ranked) :]:
    print(f"version {version.version}: {version.description} {version.tags}")

# %% [markdown]
# ## 5. Load the champion and score it on a new month
#
# `models:/<name>@<alias>` loads whatever version the alias points at. We score the
# champion, and the challenger, on March 2021, a month neither model has seen.

# %%
test_trips = features.prepare(data.load_month(TEST_MONTH, source=DATA_SOURCE, size=DATA_SIZE))
X_test = prepared.dv.transform(features.to_dicts(test_trips))
y_test = test_trips[features.TARGET].to_numpy()

champion = mlflow.pyfunc.load_model(f"models:/{MODEL_NAME}@champion")
challenger = mlflow.pyfunc.load_model(f"models:/{MODEL_NAME}@challenger")
test_rmse = {
    "champion": rmse_of(champion, X_test, y_test),
    "challenger": rmse_of(challenger, X_test, y_test),
}
for alias, value in test_rmse.items():
    version = client.get_model_version_by_alias(MODEL_NAME, alias).version
    client.set_model_version_tag(MODEL_NAME, version, "test_rmse", f"{value:.4f}")
    print(f"@{alias:10} (version {version}) RMSE on {TEST_MONTH}: {value:.3f}")

# %% [markdown]
# ## 6. Promote the challenger when it wins
#
# If the challenger does better on the new month, it becomes the champion: move the
# `champion` alias to its version, and let the old champion be the challenger. Nothing that
# loads `@champion` changes its code; it gets the new version the next time it loads.

# %%
champion_version = client.get_model_version_by_alias(MODEL_NAME, "champion").version
challenger_version = client.get_model_version_by_alias(MODEL_NAME, "challenger").version
if test_rmse["challenger"] < test_rmse["champion"]:
    client.set_registered_model_alias(MODEL_NAME, "champion", challenger_version)
    client.set_registered_model_alias(MODEL_NAME, "challenger", champion_version)
    print(f"the challenger won on {TEST_MONTH}: version {challenger_version} is the champion")
else:
    print(f"the champion held on {TEST_MONTH}: version {champion_version} stays champion")
print("aliases now", client.get_registered_model(MODEL_NAME).aliases)

# %% [markdown]
# The Models page of the UI (`minitrack ui`, then **Models**) shows the model, its versions
# and aliases; `minitrack models versions nyc-taxi-regressor` lists them in a terminal.
#
# ## Check your work

# %%
from course import checks

checks.report(
    checks.lesson_05(mlflow, MODEL_NAME, X_test, y_test, test_month=TEST_MONTH),
    lesson="05-model-registry",
)

# %% [markdown]
# ## Recap
#
# - `client.search_runs(..., filter_string=..., run_view_type=ViewType.ACTIVE_ONLY,
#   order_by=["metrics.rmse ASC"])` finds the candidates.
# - `mlflow.register_model("runs:/<run_id>/model", name)` adds a version to a named model.
# - Aliases (`set_registered_model_alias`) name versions for the code that loads them:
#   `mlflow.pyfunc.load_model("models:/nyc-taxi-regressor@champion")`. They replaced stages
#   in MLflow 2.9, together with tags and one model per environment.
# - Descriptions and tags on models and versions record what a version is and how it did.
# - Promoting a model is moving an alias.
#
# Next in the course: tracking in practice, with a local tracking server and a team server.
