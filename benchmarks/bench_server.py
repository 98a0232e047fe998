"""`minitrack server` beside `mlflow server` on the same machine, in one run.

    python benchmarks/bench_server.py            # full size
    BENCH_QUICK=1 python benchmarks/bench_server.py
    BENCH_TRACKERS=minitrack python benchmarks/bench_server.py   # one server only

For each tracker, its `server` command starts as a new process on a new, empty SQLite store
with the artifact proxy on (both trackers' default), and is measured from outside:

- first /health answer: seconds from process start until /health answers 200;
- sweep over HTTP: SWEEP_RUNS runs logged by the real `mlflow` client (a separate process,
  `server_sweep.py`, started before the clock) pointed at the server, each run shaped like a
  trial of lesson 02: a tag, 5 params, 3 metrics; REPEATS sweeps after a warm-up;
- memory: resident set size of the server's process tree after the sweeps.

The trackers take turns: each is started, measured and stopped before the other starts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_ui  # noqa: E402
from report import format_seconds, summarize  # noqa: E402
from workloads import sqlite_uri  # noqa: E402

QUICK = os.environ.get("BENCH_QUICK") == "1"
SWEEP_RUNS = 5 if QUICK else 50
REPEATS = 2 if QUICK else 5
TRACKERS = tuple(os.environ.get("BENCH_TRACKERS", "minitrack,mlflow").split(","))
SWEEP = HERE / "server_sweep.py"
SHOWN = ("minitrack", "mlflow")  # the printed columns


class TrackingServer(bench_ui.Server):
    """A tracker's `server` command on an empty store, serving artifacts."""

    def __init__(self, tracker: str, folder: Path) -> None:
        self.tracker = tracker
        self.port = bench_ui.free_port()
        cmd = [str(bench_ui.BIN / tracker), "server"]
        cmd += ["--backend-store-uri", sqlite_uri(folder / "backend.db")]
        cmd += ["--artifacts-destination", str(folder / "artifacts")]
        cmd += ["--host", "127.0.0.1", "--port", str(self.port)]
        self.log = (folder / "server.log").open("w")
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            cmd, cwd=folder, env=bench_ui.ENV, stdout=self.log, stderr=subprocess.STDOUT
        )
        self.experiment_id = None


def sweep(port: int) -> dict:
    """Run the sweeps in a new process with the real mlflow client: its timings and counts."""
    done = subprocess.run(
        [sys.executable, str(SWEEP), f"http://127.0.0.1:{port}", str(SWEEP_RUNS), str(REPEATS)],
        env=bench_ui.ENV,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the sweep failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(tracker: str, folder: Path) -> dict:
    folder.mkdir(parents=True)
    server = TrackingServer(tracker, folder)
    try:
        health = server.wait_for_health()
        cpu = server.cpu_seconds()
        swept = sweep(server.port)
        return {"health": health, "health_cpu": cpu, "rss_mb": server.rss_mb(), **swept}
    finally:
        server.stop()
        server.log.close()


def main() -> None:
    results: dict[str, dict] = {}
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-server-") as tmp:
        for tracker in TRACKERS:
            load = os.getloadavg()[0]
            try:
                results[tracker] = measure(tracker, Path(tmp) / tracker) | {"load": load}
            except (OSError, RuntimeError, AssertionError) as exc:
                failures.append(f"{tracker}: {exc!r}")
                print(f"  {tracker:9s} FAILED {exc!r}", flush=True)
                continue
            r = results[tracker]
            print(
                f"  {tracker:9s} /health {r['health']:.2f} s (CPU {r['health_cpu']:.2f} s), "
                f"sweep of {SWEEP_RUNS} runs {summarize(r['sweeps'])['median']:.2f} s "
                f"(median of {REPEATS}), RSS {r['rss_mb']:.0f} MB, load average {load:.1f}",
                flush=True,
            )
    report(results, failures)


def _summary(results: dict, tracker: str, key: str):
    if tracker not in results:
        return None
    value = results[tracker][key]
    return summarize(value if isinstance(value, list) else [value])


def report(results: dict, failures: list[str]) -> None:
    spec = [
        ("server: first /health answer", "after process start", "health", None),
        ("server: CPU time until /health answers", "server process tree", "health_cpu", None),
        (f"server: sweep of {SWEEP_RUNS} runs over HTTP", "mlflow client", "sweeps", 5),
    ]
    rows = [
        {
            "workload": workload,
            "unit": unit,
            "target": target,
            "mlflow": _summary(results, "mlflow", key),
            "minitrack": _summary(results, "minitrack", key),
            "notes": "",
        }
        for workload, unit, key, target in spec
    ]
    mem = {t: results[t]["rss_mb"] for t in results}
    rows[0]["notes"] = (
        "targets: minitrack answers within 1 s and holds < 100 MB; server RSS after the "
        "sweeps: " + ", ".join(f"{t} {mb:.0f} MB" for t, mb in mem.items())
    )
    runs = {t: results[t]["runs"] for t in results}
    rows[2]["notes"] = (
        f"each run: a tag, 5 params, 3 metrics; median of {REPEATS} sweeps after a warm-up; "
        "runs on the server afterwards: " + ", ".join(f"{t} {n}" for t, n in runs.items())
    )
    if failures:
        rows[0]["notes"] += "; failed: " + "; ".join(failures)
    print()
    print(f"{'':40s} {'minitrack':>12s} {'mlflow':>12s}")
    for row in rows:
        shown = [format_seconds(row[t]["median"]) if row[t] else "-" for t in SHOWN]
        print(f"{row['workload']:40s} {shown[0]:>12s} {shown[1]:>12s}")
    shown_mem = [f"{mem[t]:.0f} MB" if t in mem else "-" for t in SHOWN]
    print(f"{'server: memory (RSS)':40s} {shown_mem[0]:>12s} {shown_mem[1]:>12s}")
    out = os.environ.get("BENCH_RESULTS_JSON")
    if out:
        Path(out).write_text(json.dumps(rows, indent=2))
    raw = HERE / "results"
    raw.mkdir(exist_ok=True)
    (raw / "server.json").write_text(
        json.dumps({"sweep_runs": SWEEP_RUNS, "repeats": REPEATS, "results": results}, indent=2)
    )


if __name__ == "__main__":
    main()
