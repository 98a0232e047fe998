"""The tracking workloads, written once against MLflow's fluent API.

Every workload receives the tracker as a module (`minitrack` or `mlflow`) and calls only
what both expose under the same names, so the two trackers run identical code. A workload
is set up once, then measured several times; each measurement returns the time of one
unit (one call, one loop, one search) in seconds.

Nothing here imports a tracker: the worker process does, so each tracker's import cost
stays its own.
"""

from __future__ import annotations

import importlib
import math
import random
import time
from pathlib import Path

# Bump when the workloads or the search data change: cached stores are keyed by it.
WORKLOAD_VERSION = 1

SEARCH_EXPERIMENT = "bench-search"
SEARCH_FILTER = "metrics.rmse < 6.5 and tags.model = 'xgboost'"
SEARCH_ORDER_BY = ["metrics.rmse ASC"]


def sqlite_uri(path: Path) -> str:
    """`sqlite:////abs/path.db` for an absolute path."""
    return "sqlite:///" + Path(path).resolve().as_posix()


def sweep_params(rng: random.Random) -> dict[str, object]:
    """One trial of the lesson's hyperopt space (max_depth, learning rate, regularisation)."""
    return {
        "max_depth": int(rng.uniform(4, 100)),
        "learning_rate": math.exp(rng.uniform(-3, 0)),
        "reg_alpha": math.exp(rng.uniform(-5, -1)),
        "reg_lambda": math.exp(rng.uniform(-6, -1)),
        "min_child_weight": math.exp(rng.uniform(-1, 3)),
        "objective": "reg:squarederror",
        "seed": 42,
    }


class Workload:
    """Set up once with `setup`, then call `measure` repeatedly."""

    name = ""  # as the report shows it
    slug = ""  # names the workload's fresh store file and experiment
    units_per_measure = 1

    def __init__(self, tracker, store_dir: Path, size: int):
        self.tracker = tracker
        self.store_dir = Path(store_dir)
        self.size = size  # calls per measurement, or runs in the search store
        self.info: dict[str, object] = {}

    def setup(self) -> None:
        self.tracker.set_tracking_uri(sqlite_uri(self.store_dir / f"{self.slug}.db"))
        self.tracker.set_experiment(f"bench-{self.slug}")

    def measure(self) -> float:
        start = time.perf_counter()
        self.run_once()
        return (time.perf_counter() - start) / self.units_per_measure

    def run_once(self) -> None:
        raise NotImplementedError

    def teardown(self) -> None:
        while self.tracker.active_run() is not None:
            self.tracker.end_run()


class StartEndRun(Workload):
    """`start_run()` then `end_run()`, the smallest complete run."""

    name = "start_run+end_run"
    slug = "start_end"

    def __init__(self, tracker, store_dir, size):
        super().__init__(tracker, store_dir, size)
        self.units_per_measure = size

    def run_once(self) -> None:
        for _ in range(self.size):
            self.tracker.start_run()
            self.tracker.end_run()


class PerCallWorkload(Workload):
    """One logging call repeated inside one active run, measured once the store is warm.

    A new database file is slower for its first few hundred calls: SQLite's write-ahead
    log grows to its working size (about 4 MB) before it is reused, and extending a file
    costs the file system more than rewriting it. A training loop spends nearly all its
    calls after that, so `setup` first makes `WARM_UP_MEASURES` untimed-for-the-table
    measurements, and records their time per call as `info["fresh_store_s_per_call"]`.
    """

    WARM_UP_MEASURES = 3

    def __init__(self, tracker, store_dir, size):
        super().__init__(tracker, store_dir, size)
        self.units_per_measure = size

    def setup(self) -> None:
        super().setup()
        self.tracker.start_run()
        start = time.perf_counter()
        for _ in range(self.WARM_UP_MEASURES):
            self.run_once()
        calls = self.WARM_UP_MEASURES * self.size
        self.info["fresh_store_calls"] = calls
        self.info["fresh_store_s_per_call"] = (time.perf_counter() - start) / calls


class LogMetric(PerCallWorkload):
    """`log_metric(key, value, step)` inside one active run: a training loss curve."""

    name = slug = "log_metric"
    step = 0

    def run_once(self) -> None:
        log_metric = self.tracker.log_metric
        for _ in range(self.size):
            self.step += 1
            log_metric("loss", 1.0 / self.step, step=self.step)


class LogParam(PerCallWorkload):
    """`log_param(key, value)` with a new key each call (params cannot change)."""

    name = slug = "log_param"
    count = 0

    def run_once(self) -> None:
        log_param = self.tracker.log_param
        for _ in range(self.size):
            self.count += 1
            log_param(f"param_{self.count}", self.count * 0.5)


class SweepLoop(Workload):
    """A hyperopt-style sweep without the training: per trial one run with the trial's
    params, a `model` tag and its rmse, as lesson 02 logs them. One unit = 50 runs."""

    name = "sweep (50 runs)"
    slug = "sweep"

    def __init__(self, tracker, store_dir, size):
        super().__init__(tracker, store_dir, size)
        self.runs = size
        self.rng = random.Random(42)

    def run_once(self) -> None:
        tracker = self.tracker
        for _ in range(self.runs):
            params = sweep_params(self.rng)
            with tracker.start_run():
                tracker.set_tag("model", "xgboost")
                tracker.log_params(params)
                tracker.log_metric("rmse", 5.0 + self.rng.random() * 3.0)


class RegistryWorkload(Workload):
    """Setup logs one small scikit-learn model in a run, as lesson 04 leaves one; each unit
    is one registry call on it. Per call, like the logging workloads."""

    MODEL_NAME = "bench-regressor"

    def __init__(self, tracker, store_dir, size):
        super().__init__(tracker, store_dir, size)
        self.units_per_measure = size

    def setup(self) -> None:
        super().setup()
        from sklearn.linear_model import LinearRegression

        flavour = importlib.import_module(f"{self.tracker.__name__}.sklearn")
        model = LinearRegression().fit([[1.0], [2.0], [3.0]], [2.0, 4.0, 6.0])
        with self.tracker.start_run() as run:
            flavour.log_model(model, name="model")
        self.model_uri = f"runs:/{run.info.run_id}/model"


class RegisterModel(RegistryWorkload):
    """`register_model("runs:/<id>/model", name)`: a new version each call."""

    name = "register_model"
    slug = "register"

    def run_once(self) -> None:
        register = self.tracker.register_model
        for _ in range(self.size):
            version = register(self.model_uri, self.MODEL_NAME)
        self.info["last_version"] = int(version.version)


class LoadModelByAlias(RegistryWorkload):
    """`pyfunc.load_model("models:/<name>@champion")` and one prediction's worth of check:
    resolving the alias, finding the files, reading MLmodel, unpickling the model."""

    name = "pyfunc.load_model (alias)"
    slug = "load_alias"

    def setup(self) -> None:
        super().setup()
        version = self.tracker.register_model(self.model_uri, self.MODEL_NAME)
        self.tracker.MlflowClient().set_registered_model_alias(
            self.MODEL_NAME, "champion", version.version
        )
        self.pyfunc = importlib.import_module(f"{self.tracker.__name__}.pyfunc")
        self.uri = f"models:/{self.MODEL_NAME}@champion"

    def run_once(self) -> None:
        load_model = self.pyfunc.load_model
        for _ in range(self.size):
            model = load_model(self.uri)
        # What both trackers must agree on: the model they loaded predicts the same.
        self.info["prediction"] = float(model.predict([[4.0]])[0])


class SearchRuns(Workload):
    """`search_runs` with a filter and an order_by into a pandas DataFrame, over a store of
    `size` runs that `search_store` fills with the same deterministic data for both trackers."""

    name = "search_runs (DataFrame)"
    slug = "search"

    def setup(self) -> None:
        from search_store import prepared_search_store

        db_path, fill_info = prepared_search_store(self.tracker, self.store_dir, self.size)
        self.info.update(fill_info)
        self.tracker.set_tracking_uri(sqlite_uri(db_path))
        experiment = self.tracker.get_experiment_by_name(SEARCH_EXPERIMENT)
        self.experiment_ids = [experiment.experiment_id]

    def run_once(self) -> None:
        frame = self.tracker.search_runs(
            experiment_ids=self.experiment_ids,
            filter_string=SEARCH_FILTER,
            order_by=SEARCH_ORDER_BY,
        )
        # What both trackers must agree on: how many rows, and which come first.
        self.info["rows"] = len(frame)
        self.info["first_runs"] = list(frame["tags.mlflow.runName"][:3])
        self.info["columns"] = len(frame.columns)


WORKLOADS = {
    cls.name: cls
    for cls in (
        StartEndRun,
        LogMetric,
        LogParam,
        SweepLoop,
        RegisterModel,
        LoadModelByAlias,
        SearchRuns,
    )
}
