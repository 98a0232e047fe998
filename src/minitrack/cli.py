"""The ``minitrack`` command: list experiments and runs from a terminal.

``main`` is a click group; other parts of minitrack add commands to it
(``ui``/``server`` come from minitrack's server package when installed).
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timezone

import click

from minitrack.exceptions import MinitrackException

_URI_HELP = (
    "Tracking URI, e.g. sqlite:///mlflow.db or a server's http://127.0.0.1:5000 "
    "(default: $MLFLOW_TRACKING_URI or sqlite:///mlflow.db)."
)

# The store every listing command reads; --backend-store-uri is the name `mlflow ui` uses.
tracking_uri_option = click.option(
    "--tracking-uri",
    "--backend-store-uri",
    "tracking_uri",
    envvar="MLFLOW_TRACKING_URI",
    default="sqlite:///mlflow.db",
    show_default=True,
    help=_URI_HELP,
)


def _client(tracking_uri: str):
    from minitrack.client import MlflowClient
    from minitrack.uris import db_path_from_uri, is_server_uri

    if is_server_uri(tracking_uri):  # a tracking server: it says itself if it is not there
        return MlflowClient(tracking_uri)
    path = db_path_from_uri(tracking_uri)
    if path != ":memory:" and not os.path.exists(path):
        raise MinitrackException(
            f"No tracking database at {path}. Run from the folder that holds mlflow.db, "
            "or pass --tracking-uri sqlite:////path/to/mlflow.db."
        )
    return MlflowClient(tracking_uri)


def _ms_to_text(ms: int | None) -> str:
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _duration(start: int | None, end: int | None) -> str:
    if start is None or end is None:
        return ""
    seconds = (end - start) / 1000
    return f"{seconds:.1f}s" if seconds < 60 else f"{seconds / 60:.1f}min"


def _cell(value, width: int = 40) -> str:
    if value is None:
        return ""
    text = f"{value:.6g}" if isinstance(value, float) else str(value)
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def print_table(headers: list[str], rows: list[list], out=None) -> None:
    """A plain aligned text table (no colours, so it pipes and diffs cleanly)."""
    out = out or sys.stdout
    cells = [[_cell(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    out.write("\n".join(lines) + "\n")


def _fail(error: Exception) -> None:
    raise click.ClickException(str(error))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="exp-tracking-course", prog_name="minitrack")
def main() -> None:
    """minitrack: MLflow's tracking API on a SQLite file. List what you tracked."""


@main.command("experiments")
@tracking_uri_option
@click.option("--all", "show_all", is_flag=True, help="Include deleted experiments.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def experiments_command(tracking_uri: str, show_all: bool, as_json: bool) -> None:
    """List experiments with their run counts."""
    from minitrack.entities import ViewType

    try:
        client = _client(tracking_uri)
        view = ViewType.ALL if show_all else ViewType.ACTIVE_ONLY
        found = client.search_experiments(view_type=view, max_results=None)
        activity = client.experiment_activity([e.experiment_id for e in found])
        counts = {exp_id: a.run_count for exp_id, a in activity.items()}
    except MinitrackException as e:
        _fail(e)
    if as_json:
        payload = [
            {
                "experiment_id": e.experiment_id,
                "name": e.name,
                "artifact_location": e.artifact_location,
                "lifecycle_stage": e.lifecycle_stage,
                "creation_time": e.creation_time,
                "last_update_time": e.last_update_time,
                "tags": e.tags,
                "runs": counts.get(e.experiment_id, 0),
            }
            for e in found
        ]
        click.echo(json.dumps(payload, indent=2))
        return
    rows = [
        [e.experiment_id, e.name, counts.get(e.experiment_id, 0), _ms_to_text(e.creation_time)]
        + ([e.lifecycle_stage] if show_all else [])
        for e in found
    ]
    headers = ["ID", "Name", "Runs", "Created (UTC)"] + (["Stage"] if show_all else [])
    print_table(headers, rows)


@main.command("runs")
@tracking_uri_option
@click.option(
    "--experiment",
    "-e",
    "experiment",
    default=None,
    help="Experiment name or id (default: all experiments).",
)
@click.option(
    "--filter",
    "-f",
    "filter_string",
    default="",
    help="MLflow filter, e.g. \"metrics.rmse < 5 and params.model = 'xgb'\".",
)
@click.option(
    "--order-by", "-o", "order_by", multiple=True, help="e.g. 'metrics.rmse ASC' (repeatable)."
)
@click.option("--max-results", "-n", default=50, show_default=True, type=click.IntRange(1))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def runs_command(tracking_uri, experiment, filter_string, order_by, max_results, as_json) -> None:
    """List runs, filtered and ordered like mlflow.search_runs."""
    try:
        client = _client(tracking_uri)
        if experiment is None:
            ids = [e.experiment_id for e in client.search_experiments(max_results=None)]
        else:
            exp = client.get_experiment_by_name(experiment)
            if exp is None and experiment.isdigit():
                exp = client.get_experiment(experiment)
            if exp is None:
                names = ", ".join(e.name for e in client.search_experiments(max_results=None))
                raise MinitrackException(
                    f"No experiment named {experiment!r}. Experiments here: {names or 'none'}."
                )
            ids = [exp.experiment_id]
        runs = client.search_runs(
            ids, filter_string, max_results=max_results, order_by=list(order_by) or None
        )
    except MinitrackException as e:
        _fail(e)
    if as_json:
        click.echo(json.dumps([r.to_dictionary() for r in runs], indent=2))
        return
    metric_keys = sorted({k for r in runs for k in r.data.metrics})[:6]
    param_keys = sorted({k for r in runs for k in r.data.params})[:6]
    headers = ["Run ID", "Name", "Status", "Started (UTC)", "Duration"]
    headers += [f"metrics.{k}" for k in metric_keys] + [f"params.{k}" for k in param_keys]
    rows = [
        [
            r.info.run_id,
            r.info.run_name,
            r.info.status,
            _ms_to_text(r.info.start_time),
            _duration(r.info.start_time, r.info.end_time),
        ]
        + [r.data.metrics.get(k) for k in metric_keys]
        + [r.data.params.get(k) for k in param_keys]
        for r in runs
    ]
    print_table(headers, rows)
    if len(runs) == max_results:
        click.echo(f"(showing the first {max_results}; pass --max-results for more)", err=True)


def _load_plugins() -> None:
    # The web UI registers `ui` and `server`; a build without it still lists runs.
    try:
        from minitrack.server.cli import register
    except ImportError:
        return
    register(main)


_load_plugins()
