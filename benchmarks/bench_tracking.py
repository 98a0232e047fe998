"""Tracking workloads, minitrack against MLflow, each tracker in its own fresh process.

    python benchmarks/bench_tracking.py            # full run, prints the table
    python benchmarks/bench_tracking.py --quick    # tiny sizes: checks the harness works

Every tracker gets a fresh interpreter (a `worker.py` process) and fresh temporary stores.
Workloads are measured in blocks, A B B A: half the repeats of one tracker, then all of the
other's, then the rest of the first's, so drifting load on the machine reaches both alike.
The first repeat of every block settles the tracker in and is thrown away. `import` is
measured in a new interpreter per repeat, alternating trackers repeat by repeat.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from report import TRACKERS, format_seconds, summarize, text_table  # noqa: E402
from workloads import (  # noqa: E402
    WORKLOADS,
    LoadModelByAlias,
    LogMetric,
    LogParam,
    RegisterModel,
    SearchRuns,
)

# What a child process sees: one OpenMP thread, and no phoning home (there is no network).
CHILD_ENV = {
    "OMP_NUM_THREADS": "1",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "GIT_PYTHON_REFRESH": "quiet",
    "PYTHONUNBUFFERED": "1",
}

# Timing code run by a new interpreter: the import alone, without interpreter start-up.
IMPORT_PROBE = """
import sys, time
start = time.perf_counter()
import {module}
seconds = time.perf_counter() - start
heavy = [m for m in ("pandas", "numpy", "sklearn", "xgboost", "yaml", "starlette", "uvicorn",
                     "click", "sqlalchemy", "alembic") if m in sys.modules]
print(seconds, ",".join(heavy))
"""


@dataclass
class Plan:
    """Sizes of one benchmark run; `quick()` is the smoke-test version."""

    repeats: int = 7
    warmups: int = 1
    calls: dict[str, int] = field(
        default_factory=lambda: {
            "start_run+end_run": 20,
            "log_metric": 400,
            "log_param": 400,
            "register_model": 20,
            "pyfunc.load_model (alias)": 20,
        }
    )
    sweep_runs: int = 50
    search_runs: int = 10_000
    search_repeats: int = 5

    @classmethod
    def quick(cls) -> Plan:
        return cls(
            repeats=2,
            warmups=1,
            calls={
                "start_run+end_run": 2,
                "log_metric": 2,
                "log_param": 2,
                "register_model": 2,
                "pyfunc.load_model (alias)": 2,
            },
            sweep_runs=2,
            search_runs=20,
            search_repeats=2,
        )


# name -> (unit, target ratio, size from the plan, repeats from the plan)
WORKLOAD_TABLE = {
    "start_run+end_run": ("per run", 20, lambda p: p.calls["start_run+end_run"], "repeats"),
    "log_metric": ("per call", 100, lambda p: p.calls["log_metric"], "repeats"),
    "log_param": ("per call", 100, lambda p: p.calls["log_param"], "repeats"),
    "sweep (50 runs)": ("per sweep", 20, lambda p: p.sweep_runs, "repeats"),
    "register_model": ("per call", 20, lambda p: p.calls["register_model"], "repeats"),
    "pyfunc.load_model (alias)": (
        "per load",
        20,
        lambda p: p.calls["pyfunc.load_model (alias)"],
        "repeats",
    ),
    "search_runs (DataFrame)": ("per search", 30, lambda p: p.search_runs, "search_repeats"),
}


# Bytecode: an installed package (pip, conda) has its modules compiled, and a fresh
# interpreter reads the .pyc files. Some environments forbid writing them
# (PYTHONDONTWRITEBYTECODE) or install without them; then every import recompiles from
# source, which would make `import mlflow` seconds slower than users see it. Children keep
# their compiled modules in this git-ignored folder instead, written on the warm-up round.
PYCACHE_DIR = HERE / ".cache" / "pycache"


def child_env() -> dict[str, str]:
    env = {**os.environ, **CHILD_ENV, "PYTHONPYCACHEPREFIX": str(PYCACHE_DIR)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


class Worker:
    """A `worker.py` process for one tracker, driven over its stdin/stdout."""

    def __init__(
        self,
        tracker: str,
        work_dir: Path,
        profile_dir: Path | None = None,
        *,
        label: str | None = None,
        env: dict[str, str] | None = None,
    ):
        """``label`` names its stores and log (default: the tracker); ``env`` is added to
        the child's environment (``bench_revisions.py`` points PYTHONPATH at a revision)."""
        self.tracker = tracker
        label = label or tracker
        self.store_dir = work_dir / label
        self.store_dir.mkdir()
        self.log_path = work_dir / f"{label}.log"
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [
                *(sys.executable, str(HERE / "worker.py")),
                *("--tracker", tracker, "--store-dir", str(self.store_dir)),
                *(("--profile-dir", str(profile_dir.resolve())) if profile_dir else ()),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            env={**child_env(), **(env or {})},
        )
        ready = self._reply()
        self.version, self.path = ready["version"], ready["path"]

    def _reply(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            self.log.flush()
            raise RuntimeError(
                f"the {self.tracker} worker stopped; its log:\n{self.log_path.read_text()[-3000:]}"
            )
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(
                f"{self.tracker}: {reply['error']}\n{reply.get('trace', '')}".rstrip()
            )
        return reply

    def ask(self, **command) -> dict:
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return self._reply()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
            self.process.stdin.close()
            self.process.wait(timeout=60)
        self.log.close()


def interleaved_rounds(count: int, trackers: tuple[str, ...]):
    """Round r measures every tracker once, the first one alternating between rounds."""
    for index in range(count):
        yield trackers if index % 2 == 0 else tuple(reversed(trackers))


def measure_import(trackers: tuple[str, ...], plan: Plan, work_dir: Path) -> dict:
    samples: dict[str, list[float]] = {name: [] for name in trackers}
    heavy: dict[str, str] = {}
    for index, order in enumerate(interleaved_rounds(plan.warmups + plan.repeats, trackers)):
        for name in order:
            done = subprocess.run(
                [sys.executable, "-c", IMPORT_PROBE.format(module=name)],
                capture_output=True,
                text=True,
                env=child_env(),
                cwd=work_dir,
                check=True,
            )
            seconds, _, loaded = done.stdout.strip().partition(" ")
            heavy[name] = loaded or "none"
            if index >= plan.warmups:
                samples[name].append(float(seconds))
    row = {"workload": "import", "unit": "per import", "target": 20}
    row.update({name: summarize(values) for name, values in samples.items()})
    if "minitrack" in heavy:
        row["notes"] = "heavy modules loaded by `import minitrack`: " + heavy["minitrack"]
    return row


SQLITE_FLOOR_PROBE = """
import sqlite3, statistics, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=NORMAL")
db.execute("CREATE TABLE m (key TEXT, value REAL, step INTEGER, ts INTEGER)")
samples = []
for repeat in range(8):
    start = time.perf_counter()
    for step in range(200):
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO m VALUES ('loss', ?, ?, 0)", (1.0 / (step + 1), step))
        db.execute("COMMIT")
    samples.append((time.perf_counter() - start) / 200)
print(statistics.median(samples[1:]))
"""


def sqlite_floor(work_dir: Path) -> float:
    """Seconds of one bare INSERT + COMMIT in WAL mode: what no durable tracker can beat."""
    done = subprocess.run(
        [sys.executable, "-c", SQLITE_FLOOR_PROBE, str(work_dir / "floor.db")],
        capture_output=True,
        text=True,
        env=child_env(),
        check=True,
    )
    return float(done.stdout)


def measure_workload(name: str, workers: dict[str, Worker], plan: Plan) -> dict:
    unit, target, size_of, repeats_attr = WORKLOAD_TABLE[name]
    size = size_of(plan)
    for worker in workers.values():
        worker.ask(cmd="setup", workload=name, size=size)
    samples: dict[str, list[float]] = {tracker: [] for tracker in workers}
    # Blocks rather than one repeat each in turn: MLflow's fsyncs keep the disk's journal
    # busy for a moment after it stops, and a minitrack repeat started right then measured
    # up to half as slow again as one started after another minitrack repeat.
    per_block = -(-getattr(plan, repeats_attr) // 2)
    for order in interleaved_rounds(2, tuple(workers)):
        for tracker in order:
            for index in range(plan.warmups + per_block):
                seconds = workers[tracker].ask(cmd="measure")["seconds"]
                if index >= plan.warmups:
                    samples[tracker].append(seconds)
    infos = {tracker: worker.ask(cmd="finish")["info"] for tracker, worker in workers.items()}
    row = {"workload": name, "unit": unit, "target": target, "size": size, "info": infos}
    row.update({tracker: summarize(values) for tracker, values in samples.items()})
    return row


def search_notes(row: dict) -> str:
    """Whether both trackers returned the same runs, and what filling the stores cost."""
    infos = row["info"]
    parts = [f"{row['size']} runs"]
    results = {(info.get("rows"), tuple(info.get("first_runs", []))) for info in infos.values()}
    if len(infos) > 1:
        parts.append("same rows in both" if len(results) == 1 else f"RESULTS DIFFER: {infos}")
    first = next(iter(infos.values()))
    parts.append(f"{first.get('rows')} rows")
    for tracker, info in infos.items():
        fill = info.get("fill_ms_per_run")
        if fill is not None:
            cached = " (cached)" if info.get("cached") else ""
            parts.append(f"fill {tracker} {fill:.2f} ms/run{cached}")
    return "; ".join(parts)


def registry_notes(row: dict) -> str:
    """What both trackers must agree on: the versions made, the loaded model's prediction."""
    key = "last_version" if row["workload"] == RegisterModel.name else "prediction"
    seen = {tracker: info.get(key) for tracker, info in row["info"].items()}
    what = "versions made" if key == "last_version" else "prediction of the loaded model"
    agree = len(set(seen.values())) == 1
    shown = ", ".join(f"{t} {v}" for t, v in seen.items())
    if len(seen) > 1 and key == "prediction":
        return f"{what}: {'same in both' if agree else 'RESULTS DIFFER'} ({shown})"
    return f"{what}: {shown}; MLmodel parsed with libyaml's CSafeLoader where it is there"


def fresh_store_notes(row: dict) -> str:
    """The per-call time of the untimed warm-up: the first calls into a new database file."""
    infos = row["info"]
    calls = next(iter(infos.values())).get("fresh_store_calls")
    times = {t: info.get("fresh_store_s_per_call") for t, info in infos.items()}
    shown = ", ".join(f"{t} {format_seconds(s)}" for t, s in times.items() if s is not None)
    if None in times.values() or len(times) < 2:
        return f"first {calls} calls into a new file: {shown}"
    ratio = times["mlflow"] / times["minitrack"]
    return f"first {calls} calls into a new file (warm-up, not in the table): {shown}, {ratio:.0f}x"


def workload_slugs() -> list[str]:
    """Short names for `--workloads`: import, start_end, log_metric, log_param, sweep, search."""
    return ["import", *(WORKLOADS[name].slug for name in WORKLOAD_TABLE)]


def run_tracking(
    trackers: tuple[str, ...] = TRACKERS,
    plan: Plan | None = None,
    profile_dir: Path | None = None,
    only: tuple[str, ...] | None = None,
    store_root: Path | None = None,
) -> dict:
    """Measure the tracking workloads (all, or the slugs in `only`); return
    `{"versions": ..., "load_average": ..., "rows": [...]}`.
    With `profile_dir`, each worker writes a cProfile of every workload there. The stores
    live in a temporary folder under `store_root` (default: the system's temp folder)."""
    plan = plan or Plan()
    unknown = set(only or ()) - set(workload_slugs())
    if unknown:
        raise SystemExit(f"unknown workloads {sorted(unknown)}; choose from {workload_slugs()}")
    chosen = [name for name in WORKLOAD_TABLE if only is None or WORKLOADS[name].slug in only]
    load_before = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-tracking-", dir=store_root) as tmp:
        work_dir = Path(tmp)
        if only is None or "import" in only:
            rows.append(measure_import(trackers, plan, work_dir))
        workers = {name: Worker(name, work_dir, profile_dir) for name in trackers}
        try:
            for name in chosen:
                print(f"  measuring {name} ...", file=sys.stderr, flush=True)
                rows.append(measure_workload(name, workers, plan))
        finally:
            for worker in workers.values():
                worker.close()
        floor = sqlite_floor(work_dir)
        for row in rows:
            if row["workload"] == SearchRuns.name:
                row["notes"] = search_notes(row)
            if row["workload"] in (RegisterModel.name, LoadModelByAlias.name):
                row["notes"] = registry_notes(row)
            if row["workload"] in (LogMetric.name, LogParam.name):
                row["notes"] = (
                    f"floor: a bare SQLite INSERT+COMMIT (WAL, synchronous=NORMAL) "
                    f"takes {format_seconds(floor)}; {fresh_store_notes(row)}"
                )
        versions = {name: worker.version for name, worker in workers.items()}
    # Other work on the machine slows both trackers, but not always alike: keep the record.
    load = {"before": load_before, "after": os.getloadavg()[0]}
    where = str(store_root or tempfile.gettempdir())
    return {"versions": versions, "load_average": load, "store_root": where, "rows": rows}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Tracking workloads: minitrack vs MLflow.")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check the harness")
    parser.add_argument("--trackers", default=",".join(TRACKERS), help="comma-separated")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--workloads", help=f"comma-separated subset of {workload_slugs()}")
    parser.add_argument("--store-root", type=Path, help="put the stores here (e.g. /dev/shm)")
    parser.add_argument(
        "--profile", type=Path, metavar="DIR", help="cProfile every workload into DIR (slower)"
    )
    args = parser.parse_args(argv)
    plan = Plan.quick() if args.quick else Plan()
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    only = tuple(args.workloads.split(",")) if args.workloads else None
    trackers = tuple(args.trackers.split(","))
    results = run_tracking(trackers, plan, args.profile, only, args.store_root)
    print(text_table(results["rows"]))
    for row in results["rows"]:
        if row.get("notes"):
            print(f"- {row['workload']}: {row['notes']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
