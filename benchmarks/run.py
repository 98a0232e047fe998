"""Run every benchmark, minitrack beside MLflow, and print one table.

    python benchmarks/run.py                  # everything (the first run fills a cache: minutes)
    python benchmarks/run.py --write-readme   # ... and record the tracking table in README.md
    python benchmarks/run.py --quick          # tiny sizes, only checks that the harness works
    python benchmarks/run.py --only tracking  # one of: tracking, autolog, ui, server, copy, load
    python benchmarks/run.py --only tracking --workloads import,search  # a subset

The tracking workloads run here (see bench_tracking.py). The other `bench_*.py` scripts
(autolog, UI) run as child processes with their own output shown as it comes; a script
that writes result rows (report.py's shape) to the file named by `BENCH_RESULTS_JSON`
gets its rows added to the table too. `BENCH_QUICK=1` asks them for tiny sizes.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_tracking  # noqa: E402
from report import markdown_table, text_table  # noqa: E402

OTHER_SCRIPTS = {
    "autolog": "bench_autolog.py",
    "ui": "bench_ui.py",
    "server": "bench_server.py",
    "copy": "bench_copy.py",
    "load": "bench_load.py",
}
README = HERE / "README.md"
# The README keeps two tables: stores on the disk (the default), and stores in memory.
README_BLOCKS = {"disk": "tracking-results", "memory": "tracking-results-in-memory"}


def run_other(script: Path, quick: bool, trackers: str = "mlflow,minitrack") -> list[dict]:
    """Run another benchmark script in its own process; collect the rows it reports."""
    with tempfile.TemporaryDirectory(prefix="bench-rows-") as tmp:
        rows_file = Path(tmp) / "rows.json"
        env = {**bench_tracking.child_env(), "BENCH_RESULTS_JSON": str(rows_file)}
        env["BENCH_TRACKERS"] = trackers  # bench_server, bench_copy, bench_load honour it
        if quick:
            env["BENCH_QUICK"] = "1"
        print(f"\n== {script.name} ==", flush=True)
        done = subprocess.run([sys.executable, str(script)], env=env, cwd=HERE.parent)
        if done.returncode != 0:
            print(f"{script.name} failed with exit code {done.returncode}", flush=True)
            return []
        if not rows_file.exists():
            return []
        data = json.loads(rows_file.read_text())
        return data["rows"] if isinstance(data, dict) else data


def machine_line(versions: dict[str, str], load: dict[str, float], store_root: str) -> str:
    tracker_versions = ", ".join(f"{name} {version}" for name, version in versions.items())
    return (
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; "
        f"{os.cpu_count()} cores, {platform.system()} {platform.machine()}; "
        f"Python {platform.python_version()}; {tracker_versions}; OMP_NUM_THREADS=1; "
        f"stores in {store_root}; "
        f"load average {load['before']:.1f} before, {load['after']:.1f} after"
    )


def notes_lines(rows: list[dict]) -> list[str]:
    return [f"- {row['workload']}: {row['notes']}" for row in rows if row.get("notes")]


def write_readme(tracking: dict, block: str) -> None:
    """Replace the measured table between the block's markers in the README."""
    start, end = f"<!-- {block}:start -->", f"<!-- {block}:end -->"
    text = README.read_text()
    if start not in text or end not in text:
        raise SystemExit(f"{README} lacks the {start} / {end} markers")
    line = machine_line(tracking["versions"], tracking["load_average"], tracking["store_root"])
    rows = tracking["rows"]
    body = [start, f"Measured {line}.", "", markdown_table(rows), "", *notes_lines(rows), end]
    before, rest = text.split(start, 1)
    after = rest.split(end, 1)[1]
    README.write_text(before + "\n".join(body) + after)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check the harness")
    parser.add_argument("--only", choices=["tracking", *OTHER_SCRIPTS], help="run just this one")
    parser.add_argument("--trackers", default="mlflow,minitrack", help="comma-separated")
    parser.add_argument(
        "--workloads",
        help="tracking workloads to run, comma-separated: "
        + ",".join(bench_tracking.workload_slugs()),
    )
    parser.add_argument("--write-readme", action="store_true", help="record the tracking table")
    parser.add_argument(
        "--store-root",
        type=Path,
        help="keep the tracking stores here; a tmpfs such as /dev/shm takes the disk's "
        "fsync latency out (the README's in-memory table)",
    )
    parser.add_argument("--json", type=Path, help="also write all rows to this file")
    args = parser.parse_args(argv)

    rows: list[dict] = []
    tracking: dict = {}
    if args.only in (None, "tracking"):
        plan = bench_tracking.Plan.quick() if args.quick else bench_tracking.Plan()
        print("== tracking workloads ==", flush=True)
        trackers = tuple(args.trackers.split(","))
        only = tuple(args.workloads.split(",")) if args.workloads else None
        tracking = bench_tracking.run_tracking(
            trackers, plan, only=only, store_root=args.store_root
        )
        rows += tracking["rows"]
        if args.write_readme and not args.quick and len(trackers) == 2 and only is None:
            write_readme(tracking, README_BLOCKS["memory" if args.store_root else "disk"])
    for name, script in OTHER_SCRIPTS.items():
        if args.only in (None, name) and (HERE / script).exists():
            rows += run_other(HERE / script, args.quick, args.trackers)

    print()
    if tracking:
        load, where = tracking["load_average"], tracking["store_root"]
        print(f"Measured {machine_line(tracking['versions'], load, where)}")
    print(text_table(rows))
    for line in notes_lines(rows):
        print(line)
    if args.quick:
        print("--quick: tiny sizes check the harness; these ratios and verdicts mean nothing.")
    if args.json:
        args.json.write_text(json.dumps({**tracking, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
