"""minitrack against an earlier minitrack: did a change make it slower?

    python benchmarks/bench_revisions.py 60b87da              # that commit against the tree
    python benchmarks/bench_revisions.py v0.1 --workloads import,log_metric
    python benchmarks/bench_revisions.py HEAD --quick         # tiny sizes: checks the harness

The MLflow/minitrack ratios of `bench_tracking.py` move with the machine: MLflow's
per-call time is mostly the disk's fsync latency, minitrack's mostly CPU, and from one
machine (or hour) to the next they change by different factors. A regression check needs
the same machine and the same minutes for both sides, so this script runs the workloads
on two minitracks side by side, with the tracking benchmark's harness (a worker process
each, blocks A B B A, warm-ups thrown away): the revision's `src/` (from `git archive`,
kept under `benchmarks/.cache/revisions/`) and the working tree's.

The table gives each side's median and `change`: the working tree's time against the
revision's (+10% is slower). Only workloads both revisions can run make sense; the
default is those that existed before the registry (`--workloads` picks others).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_tracking import (  # noqa: E402
    IMPORT_PROBE,
    Plan,
    Worker,
    child_env,
    interleaved_rounds,
    measure_workload,
    workload_slugs,
)
from report import format_timing, summarize  # noqa: E402
from workloads import WORKLOADS  # noqa: E402

REPO = HERE.parent
CACHE = Path(os.environ.get("BENCH_CACHE_DIR", HERE / ".cache")) / "revisions"
DEFAULT_WORKLOADS = ("import", "start_end", "log_metric", "log_param", "sweep", "search")
NOW = "working tree"


def revision_source(revision: str) -> tuple[str, Path]:
    """(full commit id, the folder holding that commit's `minitrack` package)."""
    found = subprocess.run(
        ["git", "rev-parse", "--verify", f"{revision}^{{commit}}"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    if found.returncode != 0:
        raise SystemExit(f"{revision!r} is no commit of {REPO}: {found.stderr.strip()}")
    commit = found.stdout.strip()
    folder = CACHE / commit
    if not (folder / "src" / "minitrack").is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "archive", commit, "src"], cwd=REPO, capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return commit, folder / "src"


def measure_import(sides: dict[str, dict], plan: Plan, work_dir: Path) -> dict:
    samples: dict[str, list[float]] = {label: [] for label in sides}
    for index, order in enumerate(interleaved_rounds(plan.warmups + plan.repeats, tuple(sides))):
        for label in order:
            done = subprocess.run(
                [sys.executable, "-c", IMPORT_PROBE.format(module="minitrack")],
                capture_output=True,
                text=True,
                env={**child_env(), **sides[label]},
                cwd=work_dir,
                check=True,
            )
            if index >= plan.warmups:
                samples[label].append(float(done.stdout.split()[0]))
    return {"workload": "import", **{label: summarize(s) for label, s in samples.items()}}


def compare(revision: str, plan: Plan, only: tuple[str, ...]) -> dict:
    unknown = set(only) - set(workload_slugs())
    if unknown:
        raise SystemExit(f"unknown workloads {sorted(unknown)}; choose from {workload_slugs()}")
    commit, source = revision_source(revision)
    base = f"minitrack@{commit[:10]}"
    # The working tree's package comes first on sys.path, as the revision's does on its side.
    sides = {base: {"PYTHONPATH": str(source)}, NOW: {"PYTHONPATH": str(REPO / "src")}}
    chosen = [name for name, w in WORKLOADS.items() if w.slug in only]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-revisions-") as tmp:
        work_dir = Path(tmp)
        if "import" in only:
            rows.append(measure_import(sides, plan, work_dir))
        workers = {
            label: Worker("minitrack", work_dir, label=label.replace("@", "-"), env=env)
            for label, env in sides.items()
        }
        paths = {label: worker.path for label, worker in workers.items()}
        try:
            for name in chosen:
                print(f"  measuring {name} ...", file=sys.stderr, flush=True)
                row = measure_workload(name, workers, plan)
                row.pop("info", None)
                rows.append(row)
        finally:
            for worker in workers.values():
                worker.close()
    load = os.getloadavg()[0]
    return {
        "revision": commit,
        "labels": [base, NOW],
        "imported_from": paths,  # each side's minitrack/__init__.py: proof of which ran
        "load_average": load,
        "rows": rows,
    }


def change(row: dict, base: str) -> float:
    """The working tree's median time over the revision's, minus one."""
    return row[NOW]["median"] / row[base]["median"] - 1


def text_table(results: dict) -> str:
    base, now = results["labels"]
    cells = [["workload", base, now, "change"]]
    for row in results["rows"]:
        shift = change(row, base) * 100
        cells.append(
            [row["workload"], format_timing(row[base]), format_timing(row[now]), f"{shift:+.0f}%"]
        )
    widths = [max(len(line[i]) for line in cells) for i in range(len(cells[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="minitrack at a revision against the tree.")
    parser.add_argument("revision", help="a commit, tag or branch of this repository")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check the harness")
    parser.add_argument(
        "--workloads",
        default=",".join(DEFAULT_WORKLOADS),
        help=f"comma-separated subset of {workload_slugs()}",
    )
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    plan = Plan.quick() if args.quick else Plan()
    results = compare(args.revision, plan, tuple(args.workloads.split(",")))
    print(f"load average {results['load_average']:.1f} at the end; change: + is slower now")
    print(text_table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
