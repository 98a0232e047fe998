"""`minitrack ui` beside `mlflow ui` on the same 10,000-run store.

    python benchmarks/bench_ui.py            # full size (MLflow's store is cached: see README)
    BENCH_QUICK=1 python benchmarks/bench_ui.py

For each tracker, a fresh copy of the search store (search_store.py: the same
deterministic runs, written through each tracker's client) is served by the tracker's
own `ui` command in a new process, and measured from outside over HTTP:

- first /health answer: seconds from process start until /health answers 200;
- first runs page: seconds from process start until the runs API has answered one
  filtered, sorted page (what opening the experiment needs);
- filtered sorted page: one request for a page of PAGE_SIZE runs, filter
  SEARCH_FILTER, ordered by rmse (median of 20 after one warm-up);
- memory: resident set size of the server's process tree after those requests;
- CPU time until /health answers: user + system seconds the server's process tree
  used to start, which (unlike wall-clock time) hardly depends on a busy machine.

The runs API is minitrack's `GET /api/experiments/<id>/runs` and MLflow's
`POST /api/2.0/mlflow/runs/search` (what MLflow's UI calls). Server starts are
repeated STARTS times per tracker, alternating which tracker goes first.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from report import format_seconds, summarize  # noqa: E402
from search_store import prepared_search_store  # noqa: E402
from workloads import SEARCH_EXPERIMENT, SEARCH_FILTER, sqlite_uri  # noqa: E402

QUICK = os.environ.get("BENCH_QUICK") == "1"
RUNS = 200 if QUICK else 10_000
STARTS = int(os.environ.get("BENCH_UI_STARTS", 1 if QUICK else 3))
PAGE_REQUESTS = 5 if QUICK else 20
PAGE_SIZE = 100  # MLflow's UI asks for 100 runs per page
ORDER_BY = "metrics.rmse ASC"
BIN = Path(sys.executable).parent
ENV = {
    **os.environ,
    "OMP_NUM_THREADS": "1",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "GIT_PYTHON_REFRESH": "quiet",
}
START_TIMEOUT_S = 180


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port: int, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, path, body=payload, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


class Server:
    """One tracker's UI process on a store, with the requests the UI makes."""

    def __init__(self, tracker: str, db_path: Path, artifact_root: Path) -> None:
        self.tracker = tracker
        self.port = free_port()
        uri = sqlite_uri(db_path)
        cmd = [str(BIN / tracker), "ui", "--backend-store-uri", uri]
        cmd += ["--default-artifact-root", str(artifact_root)]
        cmd += ["--host", "127.0.0.1", "--port", str(self.port)]
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.experiment_id: str | None = None

    def wait_for_health(self) -> float:
        deadline = self.started + START_TIMEOUT_S
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.tracker} ui exited with {self.proc.returncode}")
            try:
                status, _ = request(self.port, "GET", "/health")
                if status == 200:
                    return time.perf_counter() - self.started
            except OSError:
                pass
            time.sleep(0.01)
        raise RuntimeError(f"{self.tracker} ui did not answer within {START_TIMEOUT_S} s")

    def find_experiment(self) -> str:
        if self.tracker == "minitrack":
            _, body = request(self.port, "GET", "/api/experiments")
            found = [e for e in json.loads(body)["experiments"] if e["name"] == SEARCH_EXPERIMENT]
            return found[0]["experiment_id"]
        path = "/api/2.0/mlflow/experiments/get-by-name?experiment_name=" + SEARCH_EXPERIMENT
        _, body = request(self.port, "GET", path)
        return json.loads(body)["experiment"]["experiment_id"]

    def runs_page(self) -> list[str]:
        """One filtered, sorted page of runs, as the runs table asks for it: the run names.

        (Run ids are random per store; the names are the same in both.)
        """
        if self.experiment_id is None:
            self.experiment_id = self.find_experiment()
        if self.tracker == "minitrack":
            query = "&".join(
                [
                    "filter=" + quote(SEARCH_FILTER),
                    "order_by=" + quote(ORDER_BY),
                    f"limit={PAGE_SIZE}",
                    "metric=rmse",
                    "metric=training_time",
                    "param=max_depth",
                    "param=learning_rate",
                ]
            )
            status, body = request(
                self.port, "GET", f"/api/experiments/{self.experiment_id}/runs?{query}"
            )
            key = "runs"
        else:
            status, body = request(
                self.port,
                "POST",
                "/api/2.0/mlflow/runs/search",
                {
                    "experiment_ids": [self.experiment_id],
                    "filter": SEARCH_FILTER,
                    "order_by": [ORDER_BY],
                    "max_results": PAGE_SIZE,
                },
            )
            key = "runs"
        if status != 200:
            raise RuntimeError(f"{self.tracker} runs page answered {status}: {body[:300]!r}")
        runs = json.loads(body).get(key, [])
        if self.tracker == "minitrack":
            return [r["run_name"] for r in runs]
        return [r["info"]["run_name"] for r in runs]

    def rss_mb(self) -> float:
        import psutil

        root = psutil.Process(self.proc.pid)
        total = 0
        for proc in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess):
                total += proc.memory_info().rss
        return total / 2**20

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server's process tree has used so far.

        Unlike wall-clock time it hardly depends on how busy the machine is.
        """
        import psutil

        root = psutil.Process(self.proc.pid)
        total = 0.0
        for proc in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess):
                times = proc.cpu_times()
                total += times.user + times.system
        return total

    def stop(self) -> None:
        import psutil

        try:
            children = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            children = []
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for child in children:  # MLflow's server may leave worker processes
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()


def measure(tracker: str, db_path: Path, artifact_root: Path, results: dict) -> list[str]:
    server = Server(tracker, db_path, artifact_root)
    try:
        results["health"].append(server.wait_for_health())
        results["health_cpu"].append(server.cpu_seconds())
        first_page = server.runs_page()
        results["first_page"].append(time.perf_counter() - server.started)
        for i in range(PAGE_REQUESTS + 1):
            t0 = time.perf_counter()
            page = server.runs_page()
            if i:  # the first is a warm-up
                results["page"].append(time.perf_counter() - t0)
            assert page == first_page
        results["rss_mb"].append(server.rss_mb())
        return first_page
    finally:
        server.stop()


def prepare(tracker_name: str, folder: Path) -> tuple[Path, dict]:
    import importlib

    tracker = importlib.import_module(tracker_name)
    folder.mkdir(parents=True, exist_ok=True)
    return prepared_search_store(tracker, folder, RUNS)


def main() -> None:
    trackers = ["minitrack", "mlflow"]
    results = {
        t: {
            "health": [],
            "health_cpu": [],
            "first_page": [],
            "page": [],
            "rss_mb": [],
            "load": [],
            "failures": [],
        }
        for t in trackers
    }
    pages: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-ui-") as tmp:
        stores = {}
        for tracker in trackers:
            print(f"preparing {tracker}'s store of {RUNS} runs...", flush=True)
            db_path, info = prepare(tracker, Path(tmp) / tracker)
            stores[tracker] = db_path
            print(f"  {info}", flush=True)
        for start in range(STARTS):
            order = trackers if start % 2 == 0 else trackers[::-1]
            for tracker in order:
                art = Path(tmp) / tracker / "artifacts"
                load = os.getloadavg()[0]
                results[tracker]["load"].append(load)
                try:
                    pages[tracker] = measure(tracker, stores[tracker], art, results[tracker])
                except (OSError, RuntimeError, AssertionError) as exc:
                    # A server that dies or stalls is a result too: say so and go on.
                    results[tracker]["failures"].append(f"start {start + 1}: {exc!r}")
                    print(f"  {tracker:9s} start {start + 1}: FAILED {exc!r}", flush=True)
                    continue
                r = results[tracker]
                print(
                    f"  {tracker:9s} start {start + 1}: /health {r['health'][-1]:.2f} s, "
                    f"(CPU {r['health_cpu'][-1]:.2f} s), first page {r['first_page'][-1]:.2f} s, "
                    f"RSS {r['rss_mb'][-1]:.0f} MB, "
                    f"load average {load:.1f}",
                    flush=True,
                )
    same = pages.get("minitrack") == pages.get("mlflow")
    report(results, same)


def report(results: dict, same_rows: bool) -> None:
    rows = []
    spec = [
        ("ui: first /health answer", "after process start", "health", 5),
        ("ui: CPU time until /health answers", "server process tree", "health_cpu", 5),
        ("ui: first runs page", "after process start", "first_page", 5),
        (f"ui: filtered sorted page ({PAGE_SIZE} runs)", "per request", "page", 10),
    ]
    for workload, unit, key, target in spec:
        rows.append(
            {
                "workload": workload,
                "unit": unit,
                "target": target,
                "mlflow": summarize(results["mlflow"][key]) if results["mlflow"][key] else None,
                "minitrack": (
                    summarize(results["minitrack"][key]) if results["minitrack"][key] else None
                ),
                "notes": "",
            }
        )
    mem = {t: max(results[t]["rss_mb"], default=float("nan")) for t in results}
    loads = [x for t in results for x in results[t]["load"]]
    rows[0]["notes"] = (
        f"{RUNS} runs; server RSS after the page requests: minitrack {mem['minitrack']:.0f} MB, "
        f"MLflow {mem['mlflow']:.0f} MB (process tree, max over {STARTS} starts); "
        f"load average during the starts {min(loads):.1f}-{max(loads):.1f} on "
        f"{os.cpu_count()} cores"
    )
    failures = [f"{t}: {f}" for t in results for f in results[t]["failures"]]
    if failures:
        rows[0]["notes"] += "; failed starts: " + "; ".join(failures)
    rows[3]["notes"] = f"filter {SEARCH_FILTER!r}, order by {ORDER_BY!r}; both returned " + (
        "the same runs in the same order" if same_rows else "DIFFERENT runs"
    )
    print()
    print(f"{'':34s} {'minitrack':>12s} {'mlflow ui':>12s}")
    for row in rows:
        shown = [
            format_seconds(row[t]["median"]) if row[t] else "failed"
            for t in ("minitrack", "mlflow")
        ]
        print(f"{row['workload']:34s} {shown[0]:>12s} {shown[1]:>12s}")
    print(f"{'ui: server memory (RSS)':34s} {mem['minitrack']:>9.0f} MB {mem['mlflow']:>9.0f} MB")
    print(f"same rows in the same order: {same_rows}")
    out = os.environ.get("BENCH_RESULTS_JSON")
    if out:
        Path(out).write_text(json.dumps(rows, indent=2))
    raw = HERE / "results"
    raw.mkdir(exist_ok=True)
    (raw / "ui.json").write_text(
        json.dumps({"runs": RUNS, "page_size": PAGE_SIZE, "results": results}, indent=2)
    )


if __name__ == "__main__":
    main()
