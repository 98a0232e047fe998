"""Turning repeated measurements into the table the runner prints and the README keeps.

A result row is a plain dict, the same shape for every benchmark script:

    {"workload": "log_metric", "unit": "per call", "target": 100,
     "mlflow": {"median": 0.005, "q1": ..., "q3": ..., "samples": [...]},
     "minitrack": {"median": 0.00004, ...}, "notes": "..."}

`target` is the least acceptable MLflow/minitrack ratio, or None when a row is only
informational.
"""

from __future__ import annotations

import statistics

TRACKERS = ("mlflow", "minitrack")


def summarize(samples: list[float]) -> dict:
    """Median and inter-quartile range of repeated measurements."""
    ordered = sorted(samples)
    if len(ordered) >= 2:
        q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    else:
        q1 = q3 = ordered[0]
    return {"median": statistics.median(ordered), "q1": q1, "q3": q3, "samples": ordered}


def ratio(row: dict) -> float | None:
    """MLflow's median time over minitrack's: how many times faster minitrack is."""
    if not all(row.get(name) for name in TRACKERS):
        return None
    ours = row["minitrack"]["median"]
    return row["mlflow"]["median"] / ours if ours > 0 else None


def verdict(row: dict) -> str:
    value = ratio(row)
    if row.get("target") is None or value is None:
        return ""
    return "PASS" if value >= row["target"] else "short"


def format_seconds(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.0f} µs"


def format_timing(summary: dict | None) -> str:
    """`4.10 ms ±6%`: the median and half the inter-quartile range relative to it."""
    if not summary:
        return "-"
    median = summary["median"]
    spread = (summary["q3"] - summary["q1"]) / 2 / median * 100 if median else 0.0
    return f"{format_seconds(median)} ±{spread:.0f}%"


def table_rows(rows: list[dict]) -> list[list[str]]:
    header = ["workload", "unit", "MLflow", "minitrack", "ratio", "target", "verdict"]
    body = []
    for row in rows:
        value = ratio(row)
        body.append(
            [
                row["workload"],
                row.get("unit", ""),
                format_timing(row.get("mlflow")),
                format_timing(row.get("minitrack")),
                f"{value:.0f}x" if value is not None else "-",
                f"≥ {row['target']}x" if row.get("target") is not None else "",
                verdict(row),
            ]
        )
    return [header, *body]


def text_table(rows: list[dict]) -> str:
    """A fixed-width table for the terminal."""
    cells = table_rows(rows)
    widths = [max(len(line[column]) for line in cells) for column in range(len(cells[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        for line in cells
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def markdown_table(rows: list[dict]) -> str:
    cells = table_rows(rows)
    lines = ["| " + " | ".join(cells[0]) + " |", "|" + "---|" * len(cells[0])]
    lines += ["| " + " | ".join(line) + " |" for line in cells[1:]]
    return "\n".join(lines)
