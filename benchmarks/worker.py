"""One tracker in its own process, measuring workloads on request.

The runner starts one worker per tracker and sends it JSON commands, one per line, on
stdin; the worker answers one JSON line each. Talking over a pipe lets the runner
alternate between the trackers' measurements (in blocks of repeats) so drifting machine
load hits both, while each tracker keeps its own fresh interpreter and stores.

    {"cmd": "setup", "workload": "log_metric", "size": 50}  -> {"ok": true}
    {"cmd": "measure"}                                      -> {"seconds": 0.0001}
    {"cmd": "finish"}                                       -> {"info": {...}}
    {"cmd": "quit"}

Usage: python benchmarks/worker.py --tracker minitrack --store-dir DIR [--profile-dir DIR]
(`bench_tracking.py --profile DIR` profiles every workload; timings are then inflated.)
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workloads import WORKLOADS  # noqa: E402


def profiled(measure, profiler):
    """`measure` run under cProfile; the profile accumulates over the repeats."""
    if profiler is None:
        return measure()
    profiler.enable()
    try:
        return measure()
    finally:
        profiler.disable()


def write_profile(profiler, path: Path) -> None:
    """Raw stats for snakeviz & co, and the top of the cumulative listing as text."""
    import io
    import pstats

    profiler.dump_stats(path.with_suffix(".prof"))
    listing = io.StringIO()
    pstats.Stats(profiler, stream=listing).sort_stats("cumulative").print_stats(30)
    path.with_suffix(".txt").write_text(listing.getvalue())


def serve(tracker, store_dir: Path, replies, profile_dir: Path | None = None) -> None:
    workload = profiler = None
    for line in sys.stdin:
        command = json.loads(line)
        try:
            if command["cmd"] == "setup":
                workload = WORKLOADS[command["workload"]](tracker, store_dir, command["size"])
                workload.setup()
                if profile_dir is not None:
                    import cProfile

                    profiler = cProfile.Profile()
                reply = {"ok": True}
            elif command["cmd"] == "measure":
                reply = {"seconds": profiled(workload.measure, profiler)}
            elif command["cmd"] == "finish":
                workload.teardown()
                if profiler is not None:
                    write_profile(profiler, profile_dir / f"{tracker.__name__}-{workload.slug}")
                    profiler = None
                reply = {"info": workload.info}
                workload = None
            elif command["cmd"] == "quit":
                return
            else:
                reply = {"error": f"unknown command {command['cmd']!r}"}
        except Exception as error:  # report it to the runner instead of dying silently
            reply = {"error": f"{type(error).__name__}: {error}", "trace": traceback.format_exc()}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracker", required=True, choices=["minitrack", "mlflow"])
    parser.add_argument("--store-dir", required=True, type=Path)
    parser.add_argument("--profile-dir", type=Path, help="write a cProfile per workload here")
    args = parser.parse_args()
    # The protocol owns the real stdout; anything the tracker prints goes to stderr.
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    os.chdir(args.store_dir)  # default artifact roots (./mlruns) land in the temp folder
    tracker = importlib.import_module(args.tracker)
    ready = {"ready": True, "version": tracker.__version__, "path": tracker.__file__}
    replies.write(json.dumps(ready) + "\n")
    replies.flush()
    serve(tracker, args.store_dir, replies, args.profile_dir)


if __name__ == "__main__":
    main()
