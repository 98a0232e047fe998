# %% [markdown]
# # 06 · Tracking in practice
#
# So far every lesson wrote straight into a file, `mlflow.db`, in this folder. That is the
# first of three ways the course's "MLflow in practice" unit sets tracking up, one per
# situation:
#
# 1. **one data scientist, alone** (a competition, a quick study): a local file, no server;
# 2. **one data scientist with a server on their machine** (the homework's way): a tracking
#    server on 127.0.0.1, its runs in `backend.db`, its files in `./artifacts`;
# 3. **a team**: one shared server, and everybody's code points at its URL.
#
# **You will learn**
# - that the same tracking code runs in all three: only the tracking URI changes;
# - how to start `minitrack server` (or `mlflow server`) with `--backend-store-uri` and
#   `--default-artifact-root`, log a sweep through it and register a model through it;
# - what a team changes (a shared URL, a login), and how an instructor runs one server for
#   a whole class.
#
# **Time:** about 20 minutes. The code runs in about a minute; starting `mlflow server`
# alone takes 15 to 40 s on a busy machine, `minitrack server` about a second.

# %% tags=["parameters"]
import os

FAST = os.environ.get("COURSE_FAST") in ("1", "true")  # small settings for CI and nbmake
TRACKER = os.environ.get("COURSE_TRACKER", "minitrack")  # "minitrack" or "mlflow"
TRACKING_URI = os.environ.get("COURSE_TRACKING_URI", "sqlite:///mlflow.db")  # scenario 1
DATA_SOURCE = "synthetic" if FAST else "auto"  # "auto", "cache", "download" or "synthetic"
DATA_SIZE = 3_000 if FAST else None  # trips per month; None: the whole month
TRAIN_MONTH = "2021-01"
VALID_MONTH = "2021-02"
ALPHAS = [0.1, 10.0] if FAST else [0.01, 0.1, 1.0, 10.0, 100.0]  # the sweep of scenario 2
SERVER_PORT = 0  # scenario 2's port; 0 picks a free one (5000 is often taken, see below)
TEAM_TRACKING_URI = ""  # scenario 3: your team's server, e.g. "http://tracking.example:5000"
MODEL_NAME = "nyc-taxi-ridge"

# %%
import logging

if TRACKER == "mlflow":
    import mlflow

    logging.getLogger("mlflow").setLevel(logging.WARNING)  # keep MLflow's notices short
else:
    import minitrack as mlflow

EXPERIMENT_NAME = "tracking-in-practice"

# %% [markdown]
# ## The code, written once
#
# A small sweep: ridge regression at a few values of `alpha` on the taxi data of lesson 01,
# one run per value, each with its parameter, its RMSE and its model. Then the best run's
# model is registered. Both functions take the tracking URI as their only setting: that is
# the point of this lesson.

# %%
import time

from sklearn.linear_model import Ridge
from sklearn.metrics import root_mean_squared_error

from course import data, features

train_trips = data.load_month(TRAIN_MONTH, source=DATA_SOURCE, size=DATA_SIZE)
valid_trips = data.load_month(VALID_MONTH, source=DATA_SOURCE, size=DATA_SIZE)
prepared = features.build(features.prepare(train_trips), features.prepare(valid_trips))


def log_sweep(tracking_uri: str, alphas: list[float]) -> int:
    """One run per alpha in `tracking_uri`; returns when the sweep started (ms)."""
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment(EXPERIMENT_NAME)
    started_ms = int(time.time() * 1000)
    for alpha in alphas:
        with mlflow.start_run():
            mlflow.set_tag("model", "ridge")
            mlflow.log_param("alpha", alpha)
            model = Ridge(alpha=alpha).fit(prepared.X_train, prepared.y_train)
            rmse = root_mean_squared_error(prepared.y_val, model.predict(prepared.X_val))
            mlflow.log_metric("rmse", rmse)
            mlflow.sklearn.log_model(model, name="model")
        print(f"alpha {alpha:>7}: rmse {rmse:.3f}")
    return started_ms


def register_best(tracking_uri: str, since_ms: int):
    """Register the best run of the sweep that started at `since_ms`."""
    mlflow.set_tracking_uri(tracking_uri)
    client = mlflow.MlflowClient(tracking_uri=tracking_uri)
    experiment = client.get_experiment_by_name(EXPERIMENT_NAME)
    (best,) = client.search_runs(
        [experiment.experiment_id],
        filter_string=f"tags.model = 'ridge' AND attributes.start_time >= {since_ms}",
        order_by=["metrics.rmse ASC"],
        max_results=1,
    )
    version = mlflow.register_model(f"runs:/{best.info.run_id}/model", MODEL_NAME)
    print(
        f"run {best.info.run_id[:8]} (rmse {best.data.metrics['rmse']:.3f}) -> "
        f"{MODEL_NAME} version {version.version}"
    )
    return version


# %% [markdown]
# ## Scenario 1: a local file
#
# The tracking URI is a file: `sqlite:///mlflow.db` (three slashes, then a path relative to
# this folder). No server runs; the notebook's own process writes the runs. The registry
# works on the file too. To look at the runs, start the UI on the same file, from this
# folder: `minitrack ui --backend-store-uri sqlite:///mlflow.db` (or `mlflow ui ...`).

# %%
log_sweep(TRACKING_URI, ALPHAS[:1])
print("tracking URI:", mlflow.get_tracking_uri())

# %% [markdown]
# ## Scenario 2: a tracking server on your machine
#
# This is how the homework is set up. In a terminal, in this folder, you would type:
#
# ```bash
# minitrack server --backend-store-uri sqlite:///backend.db --default-artifact-root ./artifacts
# # or, with MLflow:
# mlflow server --backend-store-uri sqlite:///backend.db --default-artifact-root ./artifacts
# ```
#
# and leave it running: it listens on `http://127.0.0.1:5000`, keeps runs in `backend.db`
# and model files under `./artifacts`. (The homework asks which flag besides
# `--backend-store-uri` sets where the files go: `--default-artifact-root`.) Port 5000 is
# often taken (by macOS's AirPlay receiver, or a server you forgot): add `--port 5001`.
#
# Here the notebook starts the same command itself, as a child process on a free port, and
# waits until the server's `/health` answers. The last cell of the lesson stops it (and so
# does the end of the kernel, if you stop before then).

# %%
import atexit

from course import servers

server = servers.start(TRACKER, "sqlite:///backend.db", "./artifacts", port=SERVER_PORT or None)
atexit.register(server.stop)
print("started:", " ".join(os.path.basename(part) for part in server.command[:4]), "...")
print("listening on", server.url)

# %% [markdown]
# The same sweep, the same code: only the URI is the server's now. The notebook no longer
# writes `backend.db` itself; every call is an HTTP request to the server, which writes it.

# %%
SWEEP_STARTED_MS = log_sweep(server.url, ALPHAS)
version = register_best(server.url, SWEEP_STARTED_MS)

# %% [markdown]
# An `MlflowClient` pointed at the server reads what it holds, as anyone with its URL can:

# %%
client = mlflow.MlflowClient(tracking_uri=server.url)
experiment = client.get_experiment_by_name(EXPERIMENT_NAME)
for run in client.search_runs([experiment.experiment_id], order_by=["metrics.rmse ASC"]):
    print(
        f"run {run.info.run_id[:8]}  alpha {run.data.params['alpha']:>6}  "
        f"rmse {run.data.metrics['rmse']:.3f}"
    )
print(
    "registered versions:",
    [v.version for v in client.search_model_versions(f"name = '{MODEL_NAME}'")],
)

# %% [markdown]
# Open `server.url` in a browser while the server runs: it is the UI as well.
#
# ## Scenario 3: a team, one shared server
#
# A team runs one server on a machine they all reach, and everybody's notebook points at
# it: the code above does not change, only the URI. Set `TEAM_TRACKING_URI` in the first
# cell (for example `"http://tracking.example:5000"`) and this cell logs the sweep there
# and registers the best model in the team's registry, next to your colleagues' runs.
#
# What changes for a team:
# - the server listens on a network address (`--host 0.0.0.0`), so it needs a login:
#   `minitrack server` refuses to start on one without `--basic-auth-file` or
#   `--token-file`; MLflow's server has no login unless it runs behind one (its
#   `--app-name basic-auth`, or a proxy). Clients give theirs in environment variables,
#   `MLFLOW_TRACKING_USERNAME` and `MLFLOW_TRACKING_PASSWORD` (or `MLFLOW_TRACKING_TOKEN`),
#   never in the URI;
# - the runs and files live on that machine (the course's example: PostgreSQL and an S3
#   bucket, `mlflow server -h 0.0.0.0 -p 5000 --backend-store-uri
#   postgresql://USER:PASS@HOST:5432/DB --default-artifact-root s3://BUCKET`), so with
#   `--serve-artifacts` (MLflow's default) nobody needs the bucket's keys;
# - experiment names are shared: name yours after the project, not `test`.

# %%
if TEAM_TRACKING_URI:
    team_started_ms = log_sweep(TEAM_TRACKING_URI, ALPHAS)
    register_best(TEAM_TRACKING_URI, team_started_ms)
else:
    print("TEAM_TRACKING_URI is empty: scenario 3 needs a shared server, so it was skipped.")

# %% [markdown]
# > **For instructors: one class, one server.** Measured on a 2-core machine:
# > `minitrack server` answers in under a second and holds about 40 MB. In a load test, 16
# > students sweeping at the same moment (the real `mlflow` client, 0.2 s of training per
# > trial) pushed the p99 of a logging call past 200 ms; `mlflow server` got there at 8.
# > The students shared that machine's 2 cores with the server, so 16 is a lower bound;
# > with real trials of seconds a class of 30 to 50 fits one `minitrack server` on a small
# > VM (an estimate from the server's 1.4 ms of CPU per call). The one SQLite file, which
# > takes one write at a time, is the limit, not memory. On the VM, a password per student
# > and the server on the network address:
# >
# > ```bash
# > minitrack server add-user --basic-auth-file users.txt student01
# > minitrack server --backend-store-uri sqlite:///class.db \
# >   --artifacts-destination ./class-artifacts --host 0.0.0.0 --port 5000 \
# >   --basic-auth-file users.txt
# > ```
# >
# > Students set `MLFLOW_TRACKING_USERNAME` and `MLFLOW_TRACKING_PASSWORD` and put the VM's
# > URL in `TEAM_TRACKING_URI`. For hundreds of students, or runs that must outlive the
# > course, move to MLflow on PostgreSQL, behind a login (`--app-name basic-auth` or a proxy):
# >
# > ```bash
# > mlflow server --backend-store-uri postgresql+psycopg://USER:PASS@HOST:5432/DB \
# >   --artifacts-destination /srv/mlflow-artifacts --host 0.0.0.0 --port 5000 \
# >   --app-name basic-auth
# > ```
# >
# > Each student then moves the runs of these lessons there from their own file:
# > `minitrack copy --from sqlite:///mlflow.db --to http://SERVER:5000`. The README's
# > instructor guide ("One class, one server") has every step, PostgreSQL's setup included.
#
# ## Check your work
#
# The checks read the server's store through the server, and the local file.

# %%
from course import checks

checks.report(
    checks.lesson_06(
        mlflow,
        local_uri=TRACKING_URI,
        server_uri=server.url,
        experiment_name=EXPERIMENT_NAME,
        model_name=MODEL_NAME,
        trials=len(ALPHAS),
        since_ms=SWEEP_STARTED_MS,
    ),
    lesson="06-tracking-in-practice",
)

# %% [markdown]
# ## Recap
#
# - The tracking URI decides where runs go: a file (`sqlite:///mlflow.db`), a server on
#   your machine (`http://127.0.0.1:5000`), or a team's server. The code stays the same.
# - `minitrack server` / `mlflow server --backend-store-uri sqlite:///backend.db
#   --default-artifact-root ./artifacts` is the homework's setup.
# - Through a server, `register_model` and `models:/` work as on a file.
# - A shared server needs a login; credentials go in `MLFLOW_TRACKING_USERNAME` and
#   `MLFLOW_TRACKING_PASSWORD`, never in the URI.
#
# Last, stop the server (it would stop with the kernel anyway):

# %%
server.stop()
print("server stopped:", not server.running)
