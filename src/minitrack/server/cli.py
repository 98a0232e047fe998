"""The ``minitrack ui`` and ``minitrack server`` commands (MLflow's names and options).

Thin wrappers: they parse options and hand over to ``minitrack.server.serve``,
which is imported only when one of them runs.
"""

from __future__ import annotations

import click

_STORE_HELP = "Where the runs are: a SQLite tracking URI such as sqlite:///mlflow.db."
_ALLOWED_HOSTS_HELP = (
    "Comma-separated Host headers to answer (MLflow's option), against DNS rebinding: "
    "name, name:port, name:* and wildcards such as *.lab.example or 192.168.*; * allows "
    "every host. Default: on 127.0.0.1, localhost/127.0.0.1/[::1] on this port; on other "
    "addresses, MLflow's defaults (localhost on any port and private IP addresses)."
)
_ROOT_HELP = (
    "Folder new experiments would keep artifacts in (shown for information; each run's "
    "artifacts are read from the location stored with the run)."
)


def _options(fn):
    fn = click.option(
        "--allowed-hosts",
        envvar="MLFLOW_SERVER_ALLOWED_HOSTS",
        default=None,
        help=_ALLOWED_HOSTS_HELP,
    )(fn)
    fn = click.option(
        "--port",
        "-p",
        default=5000,
        show_default=True,
        type=click.IntRange(0, 65535),
        help="Port to listen on.",
    )(fn)
    fn = click.option(
        "--host",
        "-h",
        default="127.0.0.1",
        show_default=True,
        help="Interface to listen on; 0.0.0.0 (or ::) lets anyone on your network read the runs.",
    )(fn)
    fn = click.option("--default-artifact-root", default=None, help=_ROOT_HELP)(fn)
    fn = click.option(
        "--backend-store-uri",
        envvar="MLFLOW_TRACKING_URI",
        default="sqlite:///mlflow.db",
        show_default=True,
        help=_STORE_HELP,
    )(fn)
    return fn


def _run(
    backend_store_uri: str,
    default_artifact_root: str | None,
    host: str,
    port: int,
    allowed_hosts: str | None,
) -> None:
    from minitrack.exceptions import MinitrackException
    from minitrack.server.serve import serve

    try:
        code = serve(
            backend_store_uri,
            default_artifact_root,
            host,
            port,
            echo=click.echo,
            allowed_hosts=allowed_hosts,
        )
    except MinitrackException as exc:
        raise click.ClickException(exc.message) from None
    if code:
        raise SystemExit(code)


def register(group: click.Group) -> None:
    """Add ``ui`` and ``server`` to minitrack's click group."""

    @group.command("ui", context_settings={"help_option_names": ["--help"]})
    @_options
    def ui_command(backend_store_uri, default_artifact_root, host, port, allowed_hosts) -> None:
        """Browse, filter and compare runs in your browser (read-only)."""
        _run(backend_store_uri, default_artifact_root, host, port, allowed_hosts)

    @group.command("server", context_settings={"help_option_names": ["--help"]})
    @_options
    def server_command(backend_store_uri, default_artifact_root, host, port, allowed_hosts) -> None:
        """Same as `minitrack ui` (MLflow's name for it)."""
        _run(backend_store_uri, default_artifact_root, host, port, allowed_hosts)
