"""Load test: how many students sweeping at once one tracking server holds.

    python benchmarks/bench_load.py            # full size
    BENCH_QUICK=1 python benchmarks/bench_load.py
    BENCH_TARGETS=minitrack python benchmarks/bench_load.py   # one target (see targets.py)

N simulated students, each a process with the real `mlflow` client, log a sweep over HTTP
at the same moment, as a class does when the instructor says "go". Each student logs
TRIALS trials shaped like lesson 02's: `start_run`, `set_tag("model", ...)`,
`log_params` (the lesson's seven), a PAUSE of 0.2 s standing in for training, three
`log_metric` calls, `end_run`. Every one of those seven calls is timed on its own with
`perf_counter`; the figures are percentiles over all calls of all students.

N ramps up (RAMP) on one server started fresh per target, each N logging into a new
experiment, until the p99 of a logging call passes THRESHOLD_S (200 ms) or a call fails;
that N is run a second time to confirm, and the first N that crosses twice is the answer.
If the second try stays under, the ramp goes on. RAMP's last N caps it (forked
processes with MLflow imported share most of their memory: each holds about 15 MB of its
own) and TARGET_BUDGET_S bounds one target's ramp.

The students are forked from this process after `import mlflow` (multiprocessing's
"fork" context), so each starts in milliseconds; this process makes no request through
MLflow's client before forking (its HTTP session would be shared), only plain
`http.client` ones.

The students run on the same machine as the server: their processes share its cores.
On a class VM they run on the students' laptops, so the N found here is a lower bound.
The server's CPU seconds per logging call are reported too: the server's own cost, which
does not depend on where the clients run.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import math
import multiprocessing
import os
import queue
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import targets  # noqa: E402
from report import format_seconds, summarize  # noqa: E402
from workloads import sqlite_uri, sweep_params  # noqa: E402

QUICK = os.environ.get("BENCH_QUICK") == "1"
TRIALS = 3 if QUICK else 15
PAUSE_S = 0.2
RAMP = (1, 2) if QUICK else (1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128)
# BENCH_LOAD_THRESHOLD_MS moves the line (the harness test sets 0 to exercise the crossing).
THRESHOLD_S = float(os.environ.get("BENCH_LOAD_THRESHOLD_MS", "200")) / 1000
TARGET_BUDGET_S = 120 if QUICK else 1200
STEP_TIMEOUT_S = 120 if QUICK else 900
DEFAULT_TARGETS = "minitrack,mlflow-sqlite,mlflow-postgres"
CALLS = (
    "start_run",
    "set_tag",
    "log_params",
    "log_metric rmse",
    "log_metric training_time_s",
    "log_metric model_size_bytes",
    "end_run",
)


# ---- one student (a forked process) ----


def trial_calls(mlflow, run_name: str, rng: random.Random) -> list:
    """One trial of lesson 02's sweep as (name, call) pairs; "pause" is the training."""
    return [
        ("start_run", lambda: mlflow.start_run(run_name=run_name)),
        ("set_tag", lambda: mlflow.set_tag("model", "xgboost")),
        ("log_params", lambda: mlflow.log_params(sweep_params(rng))),
        ("pause", lambda: time.sleep(PAUSE_S)),
        ("log_metric rmse", lambda: mlflow.log_metric("rmse", 5 + rng.random())),
        ("log_metric training_time_s", lambda: mlflow.log_metric("training_time_s", 0.2)),
        ("log_metric model_size_bytes", lambda: mlflow.log_metric("model_size_bytes", 1e5)),
        ("end_run", lambda: mlflow.end_run()),
    ]


def own_memory_mb() -> float:
    """This process's unique memory (USS): what it does not share with the others."""
    import psutil

    return psutil.Process().memory_full_info().uss / 2**20


def warm_up_client(folder: Path) -> None:
    """One trial into a local file before forking, through MLflow's public calls.

    A process's first `start_run` imports GitPython and IPython (to look for a commit and
    a notebook), 0.3-0.8 s here; a student's kernel pays that once, long before a sweep.
    Done here, every forked student shares it. No HTTP request is made (that would create
    the HTTP session the students would share); building a client of an http URI loads
    MLflow's REST store without a request.
    """
    import mlflow

    mlflow.set_tracking_uri(sqlite_uri(folder / "warm-up.db"))
    mlflow.set_experiment("warm-up")
    for _, call in trial_calls(mlflow, "warm-up", random.Random(0)):
        call()
    mlflow.MlflowClient("http://127.0.0.1:9")


def student(index: int, url: str, experiment: str, barrier, out) -> None:
    """Log TRIALS trials; put (index, [(call, seconds)], [errors]) on `out`."""
    import mlflow

    # MLflow prints each run's URL at end_run: not the parent's output to fill
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    samples: list[tuple[str, float]] = []
    errors: list[str] = []
    rng = random.Random(index)
    try:
        mlflow.set_tracking_uri(url)
        mlflow.set_experiment(experiment)
    except Exception as exc:  # reported, not raised: the parent counts it
        errors.append(f"set_experiment: {exc!r}")
    barrier.wait()  # even after an error, or the others would wait for this one
    if errors:
        out.put((index, samples, errors, own_memory_mb()))
        return
    for trial in range(TRIALS):
        for name, call in trial_calls(mlflow, f"student{index:03d}-{trial:02d}", rng):
            started = time.perf_counter()
            try:
                call()
            except Exception as exc:
                errors.append(f"{name}: {type(exc).__name__}: {str(exc)[:200]}")
                with contextlib.suppress(Exception):  # the server is failing: next trial
                    mlflow.end_run()
                break
            if name != "pause":
                samples.append((name, time.perf_counter() - started))
    out.put((index, samples, errors, own_memory_mb()))


# ---- the parent ----


def api(url: str, method: str, path: str, body: dict | None = None) -> dict:
    """One REST call with plain http.client (MLflow's client must not be used here)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        conn.request(method, path, body=payload, headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        data = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"{method} {path} answered {resp.status}: {data[:300]!r}")
        return json.loads(data or b"{}")
    finally:
        conn.close()


def count_runs(url: str, experiment_id: str) -> int:
    found, token = 0, None
    while True:
        body = {"experiment_ids": [experiment_id], "max_results": 1000}
        if token:
            body["page_token"] = token
        page = api(url, "POST", "/api/2.0/mlflow/runs/search", body)
        found += len(page.get("runs", []))
        token = page.get("next_page_token")
        if not token:
            return found


def percentile(ordered: list[float], q: float) -> float:
    """The nearest-rank percentile: the value q% of the calls were at or under."""
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one_step(server, n: int, attempt: int) -> dict:
    """N students at once on `server`; the step's latencies, errors and CPU."""
    experiment = f"class-of-{n:03d}-try{attempt}" if attempt else "warm-up"
    experiment_id = api(
        server.url, "POST", "/api/2.0/mlflow/experiments/create", {"name": experiment}
    )["experiment_id"]
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(n + 1)
    out = ctx.Queue()
    procs = [
        ctx.Process(target=student, args=(i, server.url, experiment, barrier, out), daemon=True)
        for i in range(n)
    ]
    load = os.getloadavg()[0]
    client_cpu = children_cpu()
    for proc in procs:
        proc.start()
    barrier.wait(timeout=STEP_TIMEOUT_S)
    server_cpu, started = server.cpu_seconds(), time.perf_counter()
    got, errors, samples, memory = 0, [], [], []
    deadline = started + STEP_TIMEOUT_S
    try:
        while got < n:
            _, student_samples, student_errors, mb = out.get(
                timeout=max(1, deadline - time.perf_counter())
            )
            samples += student_samples
            errors += student_errors
            memory.append(mb)
            got += 1
    except queue.Empty:  # students still out after the timeout
        errors.append(f"{n - got} students did not finish within {STEP_TIMEOUT_S} s")
    wall = time.perf_counter() - started
    server_cpu = server.cpu_seconds() - server_cpu
    for proc in procs:
        proc.join(timeout=10)
        if proc.is_alive():
            proc.kill()
            proc.join()
    latencies = sorted(s for _, s in samples)
    runs = count_runs(server.url, experiment_id)
    return {
        "students": n,
        "attempt": attempt,
        "calls": len(latencies),
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "p99": percentile(latencies, 99),
        "max": latencies[-1] if latencies else math.nan,
        "mean": statistics.fmean(latencies) if latencies else math.nan,
        "by_call": {
            call: percentile(sorted(s for c, s in samples if c == call), 99) for call in CALLS
        },
        "errors": errors,
        "runs_on_server": runs,
        "wall": wall,
        "server_cpu": server_cpu,
        "client_cpu": children_cpu() - client_cpu,
        "load": load,
        "student_memory_mb": max(memory, default=0.0),
        "samples": latencies,
    }


def crosses(step: dict) -> bool:
    return bool(step["errors"]) or not step["p99"] <= THRESHOLD_S


def show(target: targets.Target, step: dict) -> None:
    calls = max(step["calls"], 1)
    print(
        f"  {target.label}: N={step['students']:3d}"
        + (" (again)" if step["attempt"] > 1 else "")
        + f"  p50 {format_seconds(step['p50'])}, p95 {format_seconds(step['p95'])}, "
        f"p99 {format_seconds(step['p99'])}, max {format_seconds(step['max'])}; "
        f"{step['calls']} calls, {len(step['errors'])} errors, {step['runs_on_server']} runs; "
        f"server CPU {step['server_cpu'] / calls * 1e3:.1f} ms/call "
        f"({step['server_cpu'] / step['wall'] * 100:.0f}% of a core), "
        f"students' CPU {step['client_cpu']:.1f} s, at most "
        f"{step['student_memory_mb']:.0f} MB each; {step['wall']:.1f} s; "
        f"load average {step['load']:.1f}",
        flush=True,
    )
    for error in step["errors"][:3]:
        print(f"      error: {error}", flush=True)


def ramp(target: targets.Target, folder: Path) -> dict:
    """Start the target's server and raise N until a logging call's p99 passes the line."""
    steps: list[dict] = []
    found = None
    with targets.serve(target, folder) as server:
        print(
            f"  {target.label}: started in {server.start_seconds:.1f} s at {server.url}",
            flush=True,
        )
        # A student's worth of calls first, not counted: a fresh server's first requests
        # set things up (MLflow's first queries), which a class's server did long ago.
        one_step(server, 1, 0)
        began = time.perf_counter()
        for n in RAMP:
            step = one_step(server, n, 1)
            steps.append(step)
            show(target, step)
            if crosses(step):
                again = one_step(server, n, 2)
                steps.append(again)
                show(target, again)
                if crosses(again):
                    found = n
                    break
            if time.perf_counter() - began > TARGET_BUDGET_S:
                print(f"  {target.label}: time budget of {TARGET_BUDGET_S} s spent", flush=True)
                break
        rss = server.rss_mb()
    return {
        "first_n_over": found,
        "steps": steps,
        "start_seconds": server.start_seconds,
        "rss_mb": rss,
        "ramp_cap": steps[-1]["students"] if steps else None,
    }


def main() -> None:
    # Compiled bytecode, as after an install (see README: this env writes none by default)
    sys.dont_write_bytecode = False
    sys.pycache_prefix = sys.pycache_prefix or str(HERE / ".cache" / "pycache")
    import mlflow  # noqa: F401 - imported once here, shared by every forked student

    logging.getLogger("mlflow").setLevel(logging.WARNING)

    chosen = targets.chosen_targets(DEFAULT_TARGETS)
    print(
        f"{TRIALS} trials per student, {PAUSE_S} s pause per trial, line at "
        f"p99 > {THRESHOLD_S * 1000:g} ms; students and server share this machine's "
        f"{os.cpu_count()} cores; mlflow server runs 1 worker",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        warm_up_client(Path(tmp))
        results, skipped = targets.measure_each(chosen, ramp, Path(tmp))
    report(results, skipped)


def verdict(result: dict) -> str:
    if result["first_n_over"] is not None:
        return str(result["first_n_over"])
    return f"> {result['ramp_cap']}"


def last_under(result: dict) -> dict | None:
    under = [s for s in result["steps"] if not crosses(s)]
    return under[-1] if under else None


def summary_line(result: dict) -> str:
    by_n: dict[int, list[str]] = {}
    for s in result["steps"]:
        p99 = format_seconds(s["p99"]) + (f" ({len(s['errors'])} errors)" if s["errors"] else "")
        by_n.setdefault(s["students"], []).append(p99)
    return "p99 by N: " + ", ".join(f"{n}: {' / '.join(v)}" for n, v in by_n.items())


def report(results: dict, skipped: dict) -> None:
    rows = []
    first = {slug: r["steps"][0] for slug, r in results.items() if r["steps"]}

    def one_student(slug: str):
        return (
            summarize(first[slug]["samples"]) if slug in first and first[slug]["samples"] else None
        )

    def p99(slug: str) -> str:
        label = targets.TARGETS[slug].label
        return f"{label} p99 {format_seconds(first[slug]['p99'])}" if slug in first else ""

    rows.append(
        {
            "workload": "load: 1 student, a logging call, server on SQLite",
            "unit": "per call",
            "target": None,
            "mlflow": one_student("mlflow-sqlite"),
            "minitrack": one_student("minitrack"),
            "notes": "; ".join(x for x in (p99("minitrack"), p99("mlflow-sqlite")) if x),
        }
    )
    if "mlflow-postgres" in first:
        rows.append(
            {
                "workload": "load: 1 student, a logging call, mlflow server on PostgreSQL",
                "unit": "per call",
                "target": None,
                "mlflow": one_student("mlflow-postgres"),
                "minitrack": None,
                "notes": p99("mlflow-postgres"),
            }
        )
    for slug, result in results.items():
        target = targets.TARGETS[slug]
        over = [s for s in result["steps"] if s["students"] == result["first_n_over"]]
        shown = over[-1] if over else result["steps"][-1]
        cell = summarize(shown["samples"]) if shown["samples"] else None
        rows.append(
            {
                "workload": f"load: {target.label}, first N with p99 > "
                f"{THRESHOLD_S * 1000:g} ms: {verdict(result)}",
                "unit": f"per call at N={shown['students']}",
                "target": None,
                "mlflow": cell if target.tracker == "mlflow" else None,
                "minitrack": cell if target.tracker == "minitrack" else None,
                "notes": summary_line(result),
                "info": {
                    "first_n_over": result["first_n_over"],
                    "steps": [
                        {k: v for k, v in step.items() if k != "samples"}
                        for step in result["steps"]
                    ],
                },
            }
        )
    for slug, why in skipped.items():
        rows.append(
            {
                "workload": f"load: {targets.TARGETS[slug].label}",
                "unit": "",
                "target": None,
                "mlflow": None,
                "minitrack": None,
                "notes": f"skipped: {why}",
            }
        )
    print()
    print(
        f"{'target':28s} {'first N over':>12s} {'last N under':>12s} {'its p99':>9s} "
        f"{'p99 over':>9s} {'server CPU/call':>15s}"
    )
    for slug, result in results.items():
        under, over = last_under(result), result["steps"][-1]
        calls = sum(s["calls"] for s in result["steps"]) or 1
        cpu = sum(s["server_cpu"] for s in result["steps"]) / calls
        print(
            f"{targets.TARGETS[slug].label:28s} {verdict(result):>12s} "
            f"{under['students'] if under else '-':>12} "
            f"{format_seconds(under['p99']) if under else '-':>9s} "
            f"{format_seconds(over['p99']) if result['first_n_over'] else '-':>9s} "
            f"{cpu * 1e3:12.1f} ms"
        )
    for slug, why in skipped.items():
        print(f"{targets.TARGETS[slug].label:28s} skipped: {why}")
    out = os.environ.get("BENCH_RESULTS_JSON")
    if out:
        Path(out).write_text(json.dumps(rows, indent=2))
    raw = HERE / "results"
    raw.mkdir(exist_ok=True)
    settings = {"trials": TRIALS, "pause_s": PAUSE_S, "threshold_s": THRESHOLD_S, "ramp": RAMP}
    (raw / "load.json").write_text(
        json.dumps({**settings, "results": results, "skipped": skipped}, indent=2)
    )


if __name__ == "__main__":
    main()
