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
def doctor(as_json, store, port, kernel_dir, kernel_name, spec) -> None:
    """Check that this Python can run the course; exit 1 if something must be fixed."""
    from course import doctor as doctor_module

    options = doctor_module.Options(
        store=store, port=port, kernel_dir=kernel_dir, kernel_name=kernel_name, spec=spec
    )
    results = doctor_module.run_checks(options)
    if as_json:
        click.echo(doctor_module.to_json(results))
    else:
        click.echo(doctor_module.render_table(results))
    sys.exit(1 if doctor_module.has_failures(results) else 0)


if __name__ == "__main__":
    main()
