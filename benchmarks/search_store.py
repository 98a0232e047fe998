"""The store the search workload reads: the same deterministic runs in either tracker.

Runs are written through the tracker's public client (`create_run`, `log_batch`,
`set_terminated`), the way a sweep script would. MLflow needs minutes for 10,000 runs, so
its filled store is cached under `benchmarks/.cache/`, keyed by the workload version, the
run count and MLflow's version; every benchmark run works on a fresh copy of it.
minitrack's store is filled fresh every time, and how long that took is reported.
"""

from __future__ import annotations

import importlib
import json
import os
import random
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from workloads import SEARCH_EXPERIMENT, WORKLOAD_VERSION, sqlite_uri, sweep_params

CACHE_DIR = Path(os.environ.get("BENCH_CACHE_DIR", Path(__file__).resolve().parent / ".cache"))
FIRST_START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z: fixed so both stores match


def search_runs_data(count: int, seed: int = 7) -> Iterator[dict]:
    """`count` runs shaped like the course's sweeps: mostly xgboost, some linear models."""
    rng = random.Random(seed)
    for index in range(count):
        model = rng.choices(["xgboost", "lasso", "ridge"], weights=[6, 2, 2])[0]
        if model == "xgboost":
            params = sweep_params(rng)
        else:
            params = {"alpha": round(rng.uniform(0.001, 1.0), 4)}
        start = FIRST_START_MS + index * 60_000
        duration = rng.randint(1_000, 50_000)
        yield {
            "run_name": f"trial-{index:05d}",
            "start_time": start,
            "end_time": start + duration,
            "tags": {"model": model, "developer": rng.choice(["ada", "grace", "alan"])},
            "params": {key: str(value) for key, value in params.items()},
            "metrics": {"rmse": rng.uniform(5.5, 8.0), "training_time": duration / 1000},
        }


def fill_store(tracker, db_path: Path, count: int, progress: bool = False) -> float:
    """Write `count` runs into a new store at `db_path`; return the seconds it took."""
    entities = importlib.import_module(tracker.__name__ + ".entities")
    client = tracker.MlflowClient(tracking_uri=sqlite_uri(db_path))
    started = time.perf_counter()
    experiment_id = client.create_experiment(
        SEARCH_EXPERIMENT, artifact_location=str(db_path.parent / "artifacts")
    )
    for index, run in enumerate(search_runs_data(count)):
        created = client.create_run(
            experiment_id, start_time=run["start_time"], tags=run["tags"], run_name=run["run_name"]
        )
        run_id = created.info.run_id
        client.log_batch(
            run_id,
            metrics=[
                entities.Metric(key, value, run["end_time"], 0)
                for key, value in run["metrics"].items()
            ],
            params=[entities.Param(key, value) for key, value in run["params"].items()],
        )
        client.set_terminated(run_id, "FINISHED", end_time=run["end_time"])
        if progress and (index + 1) % 500 == 0:
            elapsed = time.perf_counter() - started
            print(
                f"  filled {index + 1}/{count} runs in {elapsed:.0f} s",
                file=sys.stderr,
                flush=True,
            )
    return time.perf_counter() - started


def _cached_mlflow_store(tracker, count: int) -> tuple[Path, dict]:
    """The cached, filled MLflow store; built (once, minutes) when missing."""
    key = f"search-v{WORKLOAD_VERSION}-n{count}-mlflow-{tracker.__version__}"
    folder = CACHE_DIR / key
    db_path = folder / "mlflow.db"
    meta_path = folder / "fill.json"
    if not meta_path.exists():
        print(f"Filling MLflow's search store ({count} runs), cached as {key}", file=sys.stderr)
        building = CACHE_DIR / f"{key}.building-{os.getpid()}"
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir(parents=True)
        seconds = fill_store(tracker, building / "mlflow.db", count, progress=True)
        meta = {"runs": count, "fill_seconds": seconds, "mlflow_version": tracker.__version__}
        (building / "fill.json").write_text(json.dumps(meta, indent=2))
        shutil.rmtree(folder, ignore_errors=True)
        building.rename(folder)  # appears complete or not at all
    return db_path, json.loads(meta_path.read_text())


def prepared_search_store(tracker, work_dir: Path, count: int) -> tuple[Path, dict]:
    """A fresh store of `count` runs in `work_dir`, and how long filling it took."""
    work_dir = Path(work_dir)
    if tracker.__name__ == "mlflow":
        cached_db, meta = _cached_mlflow_store(tracker, count)
        db_path = work_dir / "search.db"
        shutil.copyfile(cached_db, db_path)
        wal = cached_db.with_name(cached_db.name + "-wal")
        if wal.exists():  # a store left in WAL mode keeps recent pages here
            shutil.copyfile(wal, db_path.with_name(db_path.name + "-wal"))
        return db_path, {"fill_ms_per_run": 1000 * meta["fill_seconds"] / count, "cached": True}
    db_path = work_dir / "search.db"
    seconds = fill_store(tracker, db_path, count)
    return db_path, {"fill_ms_per_run": 1000 * seconds / count, "cached": False}
