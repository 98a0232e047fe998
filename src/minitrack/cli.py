"""The ``minitrack`` command: list experiments, runs and registered models from a terminal.

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


@main.group("models", invoke_without_command=True)
@tracking_uri_option
@click.option(
    "--filter",
    "-f",
    "filter_string",
    default="",
    help="Registry filter, e.g. \"name LIKE '%taxi%' and tags.team = 'ml'\".",
)
@click.option("--max-results", "-n", default=100, show_default=True, type=click.IntRange(1, 1000))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def models_command(ctx, tracking_uri, filter_string, max_results, as_json) -> None:
    """List registered models: latest version, aliases, tags, last update.

    `minitrack models versions NAME` lists the versions of one model.
    """
    if ctx.invoked_subcommand is not None:
        return
    from minitrack.server.registry_views import model_row

    try:
        found = _client(tracking_uri).search_registered_models(
            filter_string or None, max_results=max_results, order_by=["name ASC"]
        )
    except MinitrackException as e:
        _fail(e)
    rows = [model_row(m) for m in found]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = [
        [
            r["name"],
            "" if r["latest_version"] is None else r["latest_version"],
            _aliases_text(r["aliases"]),
            _pairs_text(r["tags"]),
            _ms_to_text(r["last_updated_timestamp"]),
        ]
        for r in rows
    ]
    print_table(["Name", "Latest", "Aliases", "Tags", "Last updated (UTC)"], table)
    if found.token:
        click.echo(f"(showing the first {max_results}; pass --max-results for more)", err=True)


@models_command.command("versions")
@click.argument("name")
@tracking_uri_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def model_versions_command(ctx, name: str, tracking_uri: str, as_json: bool) -> None:
    """List the versions of registered model NAME, newest first."""
    from click.core import ParameterSource

    from minitrack.server.registry_views import model

    # `minitrack models --tracking-uri X versions NAME` means X too.
    if ctx.get_parameter_source("tracking_uri") is ParameterSource.DEFAULT:
        tracking_uri = ctx.parent.params["tracking_uri"]
    try:
        found = model(_client(tracking_uri), name)
    except MinitrackException as e:
        _fail(e)
    if as_json:
        click.echo(json.dumps(found["versions"], indent=2))
        return
    table = [
        [
            v["version"],
            ", ".join(f"@{a}" for a in v["aliases"]),
            "" if v["current_stage"] == "None" else v["current_stage"],
            _pairs_text(v["tags"]),
            v["description"],
            _ms_to_text(v["creation_timestamp"]),
            v["run_id"] or v["source"],
        ]
        for v in found["versions"]
    ]
    headers = ["Version", "Aliases", "Stage", "Tags", "Description", "Created (UTC)", "Source run"]
    print_table(headers, table)


def _aliases_text(aliases: dict) -> str:
    return ", ".join(f"@{alias}=v{version}" for alias, version in aliases.items())


def _pairs_text(tags: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(tags.items()))


class _Bars:
    """tqdm bars over runs and bytes, on stderr (stdout keeps the summary and mapping)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.runs = self.bytes = None

    def runs_total(self, count: int) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        self.runs = tqdm(total=count, unit="run", desc="runs", position=0)
        self.bytes = tqdm(unit="B", unit_scale=True, unit_divisor=1024, desc="artifacts",
                          position=1)  # fmt: skip

    def run_done(self) -> None:
        if self.runs is not None:
            self.runs.update(1)

    def bytes_done(self, count: int) -> None:
        if self.bytes is not None:
            self.bytes.update(count)

    def note(self, text: str) -> None:
        (self.runs.write if self.runs is not None else click.echo)(text, file=sys.stderr)

    def close(self) -> None:
        for bar in (self.runs, self.bytes):
            if bar is not None:
                bar.close()


def _copy_client(uri: str, end: str, dry_run: bool, scratch: str):
    from minitrack.client import MlflowClient
    from minitrack.uris import db_path_from_uri

    if not uri.startswith("sqlite:"):
        return MlflowClient(uri)
    if end == "--from":
        return _client(uri)  # a source file must exist
    if dry_run and not os.path.exists(db_path_from_uri(uri)):
        # A dry run creates nothing: a new target is planned as the empty store it would be.
        return _NamedClient(MlflowClient(f"sqlite:///{os.path.join(scratch, 'new.db')}"), uri)
    return MlflowClient(uri)


class _NamedClient:
    """A client that reports another tracking URI (the dry run's stand-in target)."""

    def __init__(self, client, tracking_uri: str) -> None:
        self._client, self.tracking_uri = client, tracking_uri

    def __getattr__(self, name):
        return getattr(self._client, name)


@main.command("copy")
@click.option("--from", "source_uri", required=True, help="Tracking URI to copy from.")
@click.option("--to", "target_uri", required=True, help="Tracking URI to copy into.")
@click.option(
    "--experiment",
    "-e",
    "experiments",
    multiple=True,
    help="Copy only this experiment (by name; repeatable). Default: all active ones.",
)
@click.option("--dry-run", is_flag=True, help="Print what would be copied; write nothing.")
@click.option(
    "--mapping-file",
    type=click.Path(dir_okay=False),
    default="minitrack-copy-mapping.json",
    show_default=True,
    help="Where to save the source -> target id mapping (JSON).",
)
@click.option("--no-progress", is_flag=True, help="No progress bars.")
def copy_command(source_uri, target_uri, experiments, dry_run, mapping_file, no_progress):
    """Copy experiments, runs, artifacts, logged models and the registry between stores.

    Either URI may be sqlite:///... or http(s)://... (minitrack or MLflow). Running it
    again copies only what is new: finished runs already copied are skipped, runs that
    were still running (or interrupted) are brought up to date.
    """
    import tempfile

    from minitrack.copy import copy_store

    bars = _Bars(enabled=not no_progress and not dry_run)
    try:
        with tempfile.TemporaryDirectory(prefix="minitrack-copy-") as scratch:
            source = _copy_client(source_uri, "--from", dry_run, scratch)
            target = _copy_client(target_uri, "--to", dry_run, scratch)
            report = copy_store(
                source, target, list(experiments) or None, dry_run=dry_run, progress=bars
            )
    except MinitrackException as e:
        _fail(e)
    finally:
        bars.close()
    _print_copy_report(report, mapping_file)
    if report.failed:
        raise SystemExit(1)


def _print_copy_report(report, mapping_file: str) -> None:
    verb = "would copy" if report.dry_run else "copied"
    click.echo(f"{report.source} -> {report.target}")
    click.echo(
        f"runs: {len(report.created)} new, {len(report.updated)} brought up to date, "
        f"{len(report.skipped)} already copied, {len(report.failed)} failed"
        + ("" if report.dry_run else f"; {report.bytes_copied} artifact bytes {verb}")
    )
    click.echo(
        f"registry: {report.models_created} new models, {report.versions_created} new versions"
    )
    if report.dry_run:
        for run_id in report.created:
            click.echo(f"  would create a copy of run {run_id}")
        for run_id in report.updated:
            click.echo(f"  would bring run {run_id} up to date")
        return
    for src, dst in report.runs.items():
        click.echo(f"  run {src} -> {dst}")
    for name, moved in report.renumbered().items():
        for src, dst in moved.items():
            click.echo(f"  model {name!r}: version {src} -> version {dst}")
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    for run_id, error in report.failed.items():
        click.echo(f"FAILED run {run_id}: {error}", err=True)
    report.save_mapping(mapping_file)
    click.echo(f"mapping saved to {mapping_file}")


def _load_plugins() -> None:
    # The web UI registers `ui` and `server`; a build without it still lists runs.
    try:
        from minitrack.server.cli import register
    except ImportError:
        return
    register(main)


_load_plugins()
