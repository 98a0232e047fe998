"""XGBoost autologging overhead: plain training, minitrack's autolog, MLflow's autolog.

    python benchmarks/bench_autolog.py            # 100 rounds on 10,000 x 10 rows, 5 repeats
    python benchmarks/bench_autolog.py --quick    # tiny sizes: checks the script, not speed

The workload is lesson 04's: `xgb.train` for 100 rounds on 10,000 synthetic rows of 10
features with a 2,000-row validation set (`evals=[(valid, "validation")]`, early stopping
50), called outside any run, so each autolog starts its own run, logs params, 100 per-round
metrics, feature importance and the model, and ends the run.

Each tracker runs in its own child process (their patches never meet). Inside a child,
repeats alternate between plain training (autolog disabled) and autologged training, so
the overhead ratio compares like with like on a noisy machine. The first pair is a
warm-up and is dropped; the figures are medians of the rest.

With `BENCH_RESULTS_JSON` set (benchmarks/run.py does this), rows in report.py's shape
are written there.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET_OVERHEAD = 0.20  # minitrack's autolog may add at most 20% to plain training
CHILD_ENV = {
    "OMP_NUM_THREADS": "1",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "GIT_PYTHON_REFRESH": "quiet",
    "PYTHONUNBUFFERED": "1",
}


def make_data(rows: int, features: int, seed: int = 0):
    """Taxi-duration-like regression data: a few informative features, noise."""
    import numpy as np
    import xgboost as xgb

    rng = np.random.default_rng(seed)
    columns = [f"f{i}" for i in range(features)]

    def matrix(n):
        X = rng.random((n, features))
        y = 20 * X[:, 0] + 5 * X[:, 1] ** 2 + 3 * X[:, 2] * X[:, 3] + rng.normal(0, 1, n)
        return xgb.DMatrix(X, label=y, feature_names=columns)

    return matrix(rows), matrix(max(rows // 5, 50))


def child(tracker: str, repeats: int, rows: int, rounds: int) -> dict:
    """Measure plain vs autologged `xgb.train` in this process; returns the samples."""
    import xgboost as xgb

    module = __import__(tracker)
    work = Path(tempfile.mkdtemp(prefix=f"bench-autolog-{tracker}-"))
    module.set_tracking_uri("sqlite:///" + (work / "store.db").as_posix())
    module.set_experiment("bench-autolog")
    train, valid = make_data(rows, 10)
    params = {
        "objective": "reg:squarederror",
        "max_depth": 6,
        "learning_rate": 0.1,
        "nthread": 1,
        "seed": 42,
    }

    def fit() -> float:
        started = time.perf_counter()
        xgb.train(
            params,
            train,
            num_boost_round=rounds,
            evals=[(valid, "validation")],
            early_stopping_rounds=50,
            verbose_eval=False,
        )
        return time.perf_counter() - started

    samples: dict[str, list[float]] = {"plain": [], "autolog": []}
    for repeat in range(repeats + 1):  # repeat 0 is the warm-up
        order = ["plain", "autolog"] if repeat % 2 == 0 else ["autolog", "plain"]
        for kind in order:
            module.xgboost.autolog(disable=kind == "plain", silent=True)
            seconds = fit()
            if repeat > 0:
                samples[kind].append(seconds)
    module.xgboost.autolog(disable=True)
    runs = module.search_runs(experiment_names=["bench-autolog"], output_format="list")
    last = runs[0]
    return {
        "tracker": tracker,
        "version": getattr(module, "__version__", "?"),
        "samples": samples,
        "runs_logged": len(runs),
        "metric_keys": sorted(last.data.metrics),
    }


def run_child(tracker: str, repeats: int, rows: int, rounds: int) -> dict:
    command = [sys.executable, __file__, "--child", tracker]
    command += ["--repeats", str(repeats), "--rows", str(rows), "--rounds", str(rounds)]
    done = subprocess.run(
        command, env={**os.environ, **CHILD_ENV}, capture_output=True, text=True, cwd=HERE
    )
    if done.returncode != 0:
        raise SystemExit(f"{tracker} child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def summary(samples: list[float]) -> dict:
    sys.path.insert(0, str(HERE))
    from report import summarize

    return summarize(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (checks the script)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--child", choices=["minitrack", "mlflow"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.repeats, args.rows, args.rounds)))
        return
    quick = args.quick or os.environ.get("BENCH_QUICK") == "1"
    if quick:
        args.repeats, args.rows, args.rounds = 2, 500, 10

    results = {}
    for tracker in ("minitrack", "mlflow"):
        print(f"measuring {tracker} ...", flush=True)
        results[tracker] = run_child(tracker, args.repeats, args.rows, args.rounds)

    median = statistics.median
    print(
        f"\nXGBoost autolog: {args.rounds} rounds, {args.rows:,} x 10 rows + validation set, "
        f"nthread=1, median of {args.repeats} repeats (plain and autologged alternating)"
    )
    print(f"{'tracker':<10} {'plain fit':>10} {'autologged':>11} {'overhead':>9} {'added':>9}")
    overheads, added = {}, {}
    for tracker, result in results.items():
        plain = median(result["samples"]["plain"])
        logged = median(result["samples"]["autolog"])
        overheads[tracker] = logged / plain - 1
        # Each autologged fit ran next to a plain one: their difference is the most
        # noise-proof figure of what autologging adds.
        pairs = zip(result["samples"]["autolog"], result["samples"]["plain"], strict=True)
        added[tracker] = median([logged_s - plain_s for logged_s, plain_s in pairs])
        print(
            f"{tracker:<10} {plain:>9.3f}s {logged:>10.3f}s {overheads[tracker]:>+8.0%} "
            f"{added[tracker]:>+8.3f}s"
        )
    verdict = "within" if overheads["minitrack"] <= TARGET_OVERHEAD else "OVER"
    if quick:
        verdict = "quick sizes, not judged against"  # fixed costs dominate a 10-round fit
    print(
        f"minitrack's autolog overhead {overheads['minitrack']:+.0%} ({verdict} the "
        f"{TARGET_OVERHEAD:.0%} target); MLflow's {overheads['mlflow']:+.0%}. "
        f"Autologging adds {added['minitrack']:+.3f} s per fit on minitrack, "
        f"{added['mlflow']:+.3f} s on MLflow."
    )
    for tracker, result in results.items():
        print(f"{tracker} logged {result['runs_logged']} runs; metrics: {result['metric_keys']}")

    rows_file = os.environ.get("BENCH_RESULTS_JSON")
    if rows_file:
        row = {
            "workload": "xgboost autolog",
            "unit": "per autologged fit",
            "target": None,
            "mlflow": summary(results["mlflow"]["samples"]["autolog"]),
            "minitrack": summary(results["minitrack"]["samples"]["autolog"]),
            "notes": (
                f"{args.rounds} rounds, {args.rows:,} x 10 rows + validation; overhead over "
                f"plain training: minitrack {overheads['minitrack']:+.0%} "
                f"(target <= {TARGET_OVERHEAD:.0%}), MLflow {overheads['mlflow']:+.0%}; "
                f"added per fit: minitrack {added['minitrack']:+.3f} s, "
                f"MLflow {added['mlflow']:+.3f} s"
            ),
        }
        Path(rows_file).write_text(json.dumps([row]))


if __name__ == "__main__":
    main()
