"""The ``course`` command: a thin layer over the course helpers.

Each command parses its options and hands over to a module that does the work
(``course.doctor`` for ``course doctor``); nothing heavy is imported until a command runs.
"""

from __future__ import annotations

import sys

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="exp-tracking-course")
def main() -> None:
    """Helpers for the experiment-tracking course: check the environment, run the lessons."""


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--store",
    type=click.Path(dir_okay=False),
    default="mlflow.db",
    show_default=True,
    help="Tracking store (SQLite file) whose folder must be writable.",
)
@click.option("--port", type=int, default=5000, show_default=True, help="Port the web UI uses.")
@click.option(
    "--kernel-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder holding kernel specs to check instead of Jupyter's search path.",
)
@click.option("--kernel-name", default="exp-tracking", show_default=True)
@click.option(
    "--spec",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="pyproject.toml whose 'lessons' requirements to check (default: the kit's own).",
)
@click.option(
    "--ui-port",
    "ui_ports",
    type=int,
    multiple=True,
    help="Look for a running UI on this port (repeatable; default: --port, 5000, 5001, 8080).",
)
def doctor(as_json, store, port, kernel_dir, kernel_name, spec, ui_ports) -> None:
    """Check that this Python can run the course; exit 1 if something must be fixed."""
    from course import doctor as doctor_module

    options = doctor_module.Options(
        store=store,
        port=port,
        kernel_dir=kernel_dir,
        kernel_name=kernel_name,
        spec=spec,
        ui_ports=tuple(ui_ports),
    )
    results = doctor_module.run_checks(options)
    if as_json:
        click.echo(doctor_module.to_json(results))
    else:
        click.echo(doctor_module.render_table(results))
    sys.exit(1 if doctor_module.has_failures(results) else 0)


@main.command("check-code")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--diff", "show_diff", is_flag=True, help="Show the rewrite of the safe cases.")
@click.option("--fix", is_flag=True, help="Apply that rewrite (after showing it and asking).")
@click.option("--yes", "-y", is_flag=True, help="With --fix: do not ask.")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def check_code(paths, show_diff, fix, yes, as_json) -> None:
    """Find calls in .py files, notebooks and folders that MLflow 2/3, scikit-learn or XGBoost
    removed or deprecated, with what to write instead; exit 1 if something will not run.

    Pasting code from the course videos? Run this on it first."""
    from course import check_code as checker

    paths = list(paths) or ["."]  # no PATH: the folder you are in
    reports = checker.check_paths(paths)
    if as_json:
        click.echo(checker.to_json(reports))
    else:
        click.echo(checker.render(reports))
    if show_diff or fix:
        patch = checker.diff(reports)
        if not patch:
            click.echo("Nothing to rewrite: the findings above need a person's judgement.")
        elif not as_json or show_diff:
            click.echo(patch, nl=False)
        if fix and patch:
            if not yes and not click.confirm("Apply these changes?", default=False):
                click.echo("Nothing changed.")
                sys.exit(1 if checker.has_errors(reports) else 0)
            for shown in checker.apply_fixes(reports):
                click.echo(f"rewrote {shown}")
            reports = checker.check_paths(paths)
            left = checker.findings(reports)
            if left:
                click.echo("Still to do by hand:")
                click.echo(checker.render(reports))
    sys.exit(1 if checker.has_errors(reports) else 0)


@main.command()
@click.option(
    "--port",
    "ports",
    type=int,
    multiple=True,
    help="Look for a running UI on this port (repeatable; default: 5000, 5001 and 8080).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the facts as JSON.")
def where(ports, as_json) -> None:
    """Where are my runs? The store the lessons here log to, MLFLOW_TRACKING_URI's, the other
    stores nearby and what a running UI shows; first line: why your UI may look empty."""
    from course import where as where_module

    facts = where_module.gather(ports=ports or where_module.USUAL_PORTS)
    click.echo(where_module.to_json(facts) if as_json else where_module.render(facts))


def _parameter(ctx, param, values):
    """``-p NAME=VALUE``: VALUE read as a Python literal (2, 0.1, None, 'text'), else as text."""
    import ast

    parsed = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.isidentifier():
            raise click.BadParameter(f"{item!r} is not NAME=VALUE, e.g. -p NUM_TRIALS=2")
        try:
            parsed[name] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            parsed[name] = value
    return parsed


@main.command()
@click.option("--fast", is_flag=True, help="Small settings: synthetic data, 4 trials, 20 rounds.")
@click.option(
    "--only",
    multiple=True,
    metavar="NN",
    help="Run only the lessons whose name starts with NN (repeatable), e.g. --only 02; "
    "the lessons it reads runs from run first.",
)
@click.option(
    "--tracker",
    type=click.Choice(["minitrack", "mlflow"]),
    default="minitrack",
    show_default=True,
)
@click.option(
    "--output",
    type=click.Path(file_okay=False),
    default=None,
    help="A new or empty working folder for the executed copies, the tracking store and the "
    "check results (default: a new folder under build/lessons/).",
)
@click.option(
    "--lessons-dir",
    type=click.Path(file_okay=False, exists=True),
    default=None,
    help="Folder of the lesson notebooks (default: ./lessons, else the kit's own).",
)
@click.option(
    "--tracking-uri",
    default=None,
    metavar="URI",
    help="Log to this tracking URI instead of a fresh SQLite file in the working folder, "
    "e.g. the class's server: --tracking-uri http://HOST:5000.",
)
@click.option("--kernel", "kernel_name", default="exp-tracking", show_default=True)
@click.option("--timeout", type=float, default=None, help="Seconds allowed per cell.")
@click.option(
    "-p",
    "--parameter",
    "parameters",
    multiple=True,
    metavar="NAME=VALUE",
    callback=_parameter,
    help="Set a parameter of every lesson that declares it, e.g. -p NUM_TRIALS=2.",
)
def lessons(
    fast, only, tracker, output, lessons_dir, tracking_uri, kernel_name, timeout, parameters
) -> None:
    """Execute the lessons with papermill, showing their progress, and print a summary;
    exit 1 if one failed."""
    from course import runner

    try:
        results = runner.run_lessons(
            lessons_dir,
            output,
            only=only,
            tracker=tracker,
            fast=fast,
            kernel_name=kernel_name,
            timeout=timeout,
            parameters=parameters,
            tracking_uri=tracking_uri,
            echo=click.echo,
        )
    except runner.RunnerError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("")
    click.echo(runner.render_summary(results, tracker, tracking_uri))
    sys.exit(0 if all(result.ok for result in results) else 1)


@main.command(context_settings={"ignore_unknown_options": True})
@click.option(
    "--workspace",
    "workspace_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Where your copies of the lessons live (default: workspace/ beside lessons/).",
)
@click.option(
    "--lessons-dir",
    type=click.Path(file_okay=False, exists=True),
    default=None,
    help="Folder of the lesson notebooks (default: ./lessons, else the kit's own).",
)
@click.option("--no-lab", is_flag=True, help="Only copy the lessons; do not start JupyterLab.")
@click.argument("lab_args", nargs=-1, type=click.UNPROCESSED)
def start(workspace_dir, lessons_dir, no_lab, lab_args) -> None:
    """Copy the lessons into your workspace (never overwriting your work) and open JupyterLab
    there. Arguments after the options go to `jupyter lab`, e.g. `course start --no-browser`."""
    import subprocess
    from pathlib import Path

    from course import runner, workspace

    lessons_dir = Path(lessons_dir) if lessons_dir else runner.default_lessons_dir()
    folder = Path(workspace_dir) if workspace_dir else workspace.default_workspace(lessons_dir)
    for action in workspace.sync(lessons_dir, folder):
        click.echo(action.describe())
    click.echo(f"Your lessons are in {folder}: work there; lessons/ keeps the clean originals.")
    if no_lab:
        return
    command = workspace.lab_command(folder, tuple(lab_args))
    click.echo("Starting JupyterLab: " + " ".join(command))
    try:
        sys.exit(subprocess.call(command))
    except KeyboardInterrupt:
        sys.exit(0)


@main.group()
def data() -> None:
    """The NYC taxi data the lessons use."""


@data.command()
@click.argument("months", nargs=-1)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Where to keep the files (default: $COURSE_DATA_DIR or ~/.cache/exp-tracking/taxi).",
)
@click.option("--retries", type=int, default=3, show_default=True)
def fetch(months, cache_dir, retries) -> None:
    """Download MONTHS (YYYY-MM ...; default: the lessons' 2021-01 and 2021-02) into the cache,
    e.g. before a class without internet."""
    from course import data as taxi

    months = months or ("2021-01", "2021-02")

    failed = 0
    for month in months:
        try:
            path = taxi.download_month(month, cache_dir, retries=retries)
        except taxi.DataError as exc:
            failed += 1
            click.echo(f"{month}: FAILED: {exc}", err=True)
        else:
            click.echo(f"{month}: {path} ({taxi.validate_file(path):,} trips)")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
