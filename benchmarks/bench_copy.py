"""`minitrack copy` throughput: a student's local store into a team's tracking server.

    python benchmarks/bench_copy.py            # full size: 200 runs
    BENCH_QUICK=1 python benchmarks/bench_copy.py
    BENCH_TARGETS=minitrack python benchmarks/bench_copy.py   # one target (see targets.py)

A minitrack SQLite store is filled once (copy_fill.py: 200 runs with lesson 02's params,
30-step histories of three metrics and three artifacts of 161 KB in all per run, plus a
registered model with an alias), then copied with `copy_store` (what `minitrack copy`
calls) into each target, started fresh on an empty store: `mlflow server` on PostgreSQL
(the issue's figure), and for context `mlflow server` on SQLite and `minitrack server`.
The copy is timed whole (experiments, runs, metric histories, artifacts, the logged model
and the registry); then a second copy, which finds everything copied and adds nothing.
Reported: runs per second and artifact MB per second of the first copy, the second copy's
time, and the CPU seconds the server and the copier used.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import copy_fill  # noqa: E402
import targets  # noqa: E402
from report import format_seconds, summarize  # noqa: E402
from workloads import sqlite_uri  # noqa: E402

QUICK = os.environ.get("BENCH_QUICK") == "1"
RUNS = 6 if QUICK else 200
STEPS = 3 if QUICK else 30
DEFAULT_TARGETS = "mlflow-postgres,mlflow-sqlite,minitrack"


def timed_copy(source_uri: str, target_url: str) -> tuple[float, float, object]:
    """(wall seconds, the copier's CPU seconds, the CopyReport) of one copy."""
    import minitrack
    from minitrack.copy import copy_store

    source, target = minitrack.MlflowClient(source_uri), minitrack.MlflowClient(target_url)
    cpu, started = time.process_time(), time.perf_counter()
    report = copy_store(source, target)
    return time.perf_counter() - started, time.process_time() - cpu, report


def measure(target: targets.Target, source_uri: str, folder: Path) -> dict:
    with targets.serve(target, folder) as server:
        load = os.getloadavg()[0]
        server_cpu = server.cpu_seconds()
        seconds, copier_cpu, first = timed_copy(source_uri, server.url)
        server_cpu = server.cpu_seconds() - server_cpu
        if first.failed:
            raise RuntimeError(f"{len(first.failed)} runs failed: {first.failed}")
        again_seconds, _, again = timed_copy(source_uri, server.url)
        return {
            "load": load,
            "start_seconds": server.start_seconds,
            "seconds": seconds,
            "runs": len(first.created) + len(first.updated),
            "bytes": first.bytes_copied,
            "versions": first.versions_created,
            "server_cpu": server_cpu,
            "copier_cpu": copier_cpu,
            "again_seconds": again_seconds,
            "again_runs": len(again.created) + len(again.updated),
            "again_bytes": again.bytes_copied,
        }


def describe(r: dict) -> str:
    return (
        f"{r['runs']} runs in {r['seconds']:.1f} s = {r['runs'] / r['seconds']:.1f} runs/s, "
        f"{r['bytes'] / 1e6:.1f} MB of artifacts at {r['bytes'] / r['seconds'] / 1e6:.2f} MB/s; "
        f"CPU: server {r['server_cpu']:.1f} s, copier {r['copier_cpu']:.1f} s; "
        f"second copy {r['again_seconds']:.1f} s, {r['again_runs']} runs copied; "
        f"load average {r['load']:.1f}"
    )


def main() -> None:
    chosen = targets.chosen_targets(DEFAULT_TARGETS)
    with tempfile.TemporaryDirectory(prefix="bench-copy-") as tmp:
        source_uri = sqlite_uri(Path(tmp) / "student.db")
        print(f"filling a minitrack store: {RUNS} runs, {STEPS}-step histories...", flush=True)
        started = time.perf_counter()
        made = copy_fill.fill(source_uri, RUNS, STEPS)
        print(f"  {made} in {time.perf_counter() - started:.1f} s", flush=True)
        results, skipped = targets.measure_each(
            chosen,
            lambda target, folder: measure(target, source_uri, folder),
            Path(tmp),
            describe,
        )
    report(results, skipped, made)


def _cell(results: dict, slug: str, key: str):
    return summarize([results[slug][key]]) if slug in results else None


def report(results: dict, skipped: dict, made: dict) -> None:
    runs = made["runs"]
    notes = {slug: describe(r) for slug, r in results.items()}
    notes |= {slug: f"skipped: {why}" for slug, why in skipped.items()}

    def note(*slugs: str) -> str:
        return "; ".join(f"{targets.TARGETS[s].label}: {notes[s]}" for s in slugs if s in notes)

    rows = [
        {
            "workload": f"copy: {runs} runs into mlflow server on PostgreSQL",
            "unit": "first copy",
            "target": None,
            "mlflow": _cell(results, "mlflow-postgres", "seconds"),
            "minitrack": None,
            "notes": note("mlflow-postgres"),
        },
        {
            "workload": f"copy: {runs} runs into a server on SQLite",
            "unit": "first copy",
            "target": None,
            "mlflow": _cell(results, "mlflow-sqlite", "seconds"),
            "minitrack": _cell(results, "minitrack", "seconds"),
            "notes": note("mlflow-sqlite", "minitrack"),
        },
        {
            "workload": "copy again (nothing new), mlflow server on PostgreSQL",
            "unit": "second copy",
            "target": None,
            "mlflow": _cell(results, "mlflow-postgres", "again_seconds"),
            "minitrack": None,
            "notes": "",
        },
        {
            "workload": "copy again (nothing new), server on SQLite",
            "unit": "second copy",
            "target": None,
            "mlflow": _cell(results, "mlflow-sqlite", "again_seconds"),
            "minitrack": _cell(results, "minitrack", "again_seconds"),
            "notes": "",
        },
    ]
    print()
    print(f"{'target':28s} {'copy':>9s} {'runs/s':>8s} {'MB/s':>7s} {'again':>9s}")
    for slug, r in results.items():
        print(
            f"{targets.TARGETS[slug].label:28s} {format_seconds(r['seconds']):>9s} "
            f"{r['runs'] / r['seconds']:8.1f} {r['bytes'] / r['seconds'] / 1e6:7.2f} "
            f"{format_seconds(r['again_seconds']):>9s}"
        )
    for slug, why in skipped.items():
        print(f"{targets.TARGETS[slug].label:28s} skipped: {why}")
    # what every copy did (all targets), for the harness test
    rows[0]["info"] = {slug: dict(r) for slug, r in results.items()} | {"source": made}
    out = os.environ.get("BENCH_RESULTS_JSON")
    if out:
        Path(out).write_text(json.dumps(rows, indent=2))
    raw = HERE / "results"
    raw.mkdir(exist_ok=True)
    (raw / "copy.json").write_text(
        json.dumps(
            {"source": made, "steps": STEPS, "results": results, "skipped": skipped}, indent=2
        )
    )


if __name__ == "__main__":
    main()
