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


@main.group("experiments", invoke_without_command=True)
@tracking_uri_option
@click.option("--all", "show_all", is_flag=True, help="Include deleted experiments.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def experiments_command(ctx, tracking_uri: str, show_all: bool, as_json: bool) -> None:
    """List experiments with their run counts.

    `minitrack experiments delete|restore|rename` change one; `minitrack gc` deletes the
    deleted ones for good.
    """
    if ctx.invoked_subcommand is not None:
        return
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


@main.group("runs", invoke_without_command=True)
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
@click.pass_context
def runs_command(
    ctx, tracking_uri, experiment, filter_string, order_by, max_results, as_json
) -> None:
    """List runs, filtered and ordered like mlflow.search_runs.

    `minitrack runs delete|restore RUN_ID...` change runs; `minitrack gc` deletes the deleted
    ones for good.
    """
    if ctx.invoked_subcommand is not None:
        return
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


# -- lifecycle: delete, restore, rename; gc -------------------------------------------------


def _group_uri(ctx, tracking_uri: str) -> str:
    """`minitrack experiments --tracking-uri X delete NAME` means X too."""
    from click.core import ParameterSource

    if ctx.get_parameter_source("tracking_uri") is ParameterSource.DEFAULT:
        return ctx.parent.params["tracking_uri"]
    return tracking_uri


def _experiment(client, name_or_id: str):
    """The experiment named ``name_or_id``, else the one with that id (deleted ones too)."""
    from minitrack.entities import ViewType

    found = client.get_experiment_by_name(name_or_id)
    if found is None and name_or_id.isdigit():
        try:
            found = client.get_experiment(name_or_id)
        except MinitrackException:
            found = None
    if found is None:
        names = [e.name for e in client.search_experiments(ViewType.ALL, max_results=None)]
        raise MinitrackException(
            f"No experiment named {name_or_id!r} (nor with that id). Experiments here: "
            f"{', '.join(names) or 'none'}; `minitrack experiments --all` lists them."
        )
    return found


@experiments_command.command("delete")
@click.argument("experiment")
@tracking_uri_option
@click.pass_context
def experiment_delete(ctx, experiment: str, tracking_uri: str) -> None:
    """Delete EXPERIMENT (a name or an id) and its runs; `restore` brings them back."""
    try:
        client = _client(_group_uri(ctx, tracking_uri))
        found = _experiment(client, experiment)
        client.delete_experiment(found.experiment_id)
    except MinitrackException as e:
        _fail(e)
    click.echo(
        f"Deleted experiment {found.experiment_id} {found.name!r}. Undo: minitrack experiments "
        f"restore {found.experiment_id}; delete for good: minitrack gc --experiment-ids "
        f"{found.experiment_id}"
    )


@experiments_command.command("restore")
@click.argument("experiment")
@tracking_uri_option
@click.pass_context
def experiment_restore(ctx, experiment: str, tracking_uri: str) -> None:
    """Restore the deleted EXPERIMENT (a name or an id) and the runs deleted with it."""
    try:
        client = _client(_group_uri(ctx, tracking_uri))
        found = _experiment(client, experiment)
        client.restore_experiment(found.experiment_id)
    except MinitrackException as e:
        _fail(e)
    click.echo(f"Restored experiment {found.experiment_id} {found.name!r}.")


@experiments_command.command("rename")
@click.argument("experiment")
@click.argument("new_name")
@tracking_uri_option
@click.pass_context
def experiment_rename(ctx, experiment: str, new_name: str, tracking_uri: str) -> None:
    """Rename EXPERIMENT (a name or an id) to NEW_NAME."""
    try:
        client = _client(_group_uri(ctx, tracking_uri))
        found = _experiment(client, experiment)
        client.rename_experiment(found.experiment_id, new_name)
    except MinitrackException as e:
        _fail(e)
    click.echo(f"Renamed experiment {found.experiment_id} {found.name!r} to {new_name!r}.")


def _each_run(ctx, tracking_uri, run_ids, action: str) -> None:
    try:
        client = _client(_group_uri(ctx, tracking_uri))
        for run_id in run_ids:  # all checked first, so a typo changes nothing
            client.get_run(run_id)
        for run_id in run_ids:
            getattr(client, f"{action}_run")(run_id)
    except MinitrackException as e:
        _fail(e)
    done = "Deleted" if action == "delete" else "Restored"
    for run_id in run_ids:
        click.echo(f"{done} run {run_id}.")


@runs_command.command("delete")
@click.argument("run_ids", nargs=-1, required=True)
@tracking_uri_option
@click.pass_context
def run_delete(ctx, run_ids, tracking_uri: str) -> None:
    """Delete RUN_IDS (their artifacts stay until `minitrack gc`)."""
    _each_run(ctx, tracking_uri, run_ids, "delete")


@runs_command.command("restore")
@click.argument("run_ids", nargs=-1, required=True)
@tracking_uri_option
@click.pass_context
def run_restore(ctx, run_ids, tracking_uri: str) -> None:
    """Restore the deleted RUN_IDS."""
    _each_run(ctx, tracking_uri, run_ids, "restore")


@main.command("gc")
@tracking_uri_option
@click.option(
    "--older-than",
    default=None,
    help="Only what was deleted longer ago than this, e.g. 30d, 12h, 2d8h5m20s.",
)
@click.option(
    "--experiment-ids",
    default=None,
    help="Comma-separated experiment ids: only these (deleted ones entirely, the deleted "
    "runs of active ones).",
)
@click.option("--yes", is_flag=True, help="Delete for good (without it: only show what would go).")
def gc_command(tracking_uri: str, older_than, experiment_ids, yes: bool) -> None:
    """Permanently delete deleted runs and experiments with their artifacts, as `mlflow gc`.

    Shows what would be deleted first; --yes deletes it. Artifacts that a registered model
    version still names as its source are kept, and the list says so.
    """
    from minitrack.lifecycle import human_size

    ids = [e.strip() for e in experiment_ids.split(",") if e.strip()] if experiment_ids else None
    try:
        client = _client(tracking_uri)
        plan = client.plan_gc(older_than, ids)
    except MinitrackException as e:
        _fail(e)
    scope = f" (deleted more than {older_than} ago)" if older_than else ""
    for kept in plan.kept:
        click.echo(f"keeping {kept.kind} {kept.id}: {kept.reason}")
    for note in plan.notes:
        click.echo(note)
    if plan.empty:
        click.echo(f"Nothing to delete: no deleted runs or experiments{scope}.")
        return
    runs, exps = len(plan.runs), len(plan.experiments)
    click.echo(
        f"{'Deleting' if yes else 'Would delete'} for good{scope}: {runs} run"
        f"{'' if runs == 1 else 's'} and {exps} experiment{'' if exps == 1 else 's'}, "
        f"freeing {human_size(plan.size)}:"
    )
    for purge in plan.runs:
        click.echo(f"  run {purge.id} ({purge.label}): {human_size(purge.size)}")
    for purge in plan.experiments:
        click.echo(f"  {purge.label}")
    if not yes:
        click.echo("Dry run: nothing was deleted. Run again with --yes to delete these for good.")
        return
    try:
        client.gc(plan, echo=click.echo)
    except MinitrackException as e:
        _fail(e)
    click.echo(f"Done: freed {human_size(plan.size)}.")


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
