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
    "Where new experiments keep artifacts (MLflow's option): a folder, or by default "
    "mlflow-artifacts:/ (the server's proxy) when serving artifacts, else ./mlruns. Each "
    "run's artifacts are read from the location stored with the run."
)
_SIZE_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


class ByteSize(click.ParamType):
    """A size in bytes: 1048576, 512K, 100M, 5G."""

    name = "size"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        import re

        match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT]?)(?:I?B)?\s*", str(value).upper())
        if not match:
            self.fail(f"{value!r} is not a size: use bytes or 512K, 100M, 5G.", param, ctx)
        size = int(float(match.group(1)) * _SIZE_UNITS[match.group(2)])
        if size <= 0:
            self.fail(f"{value!r} must be more than 0 bytes.", param, ctx)
        return size


def _options(fn):
    fn = click.option(
        "--insecure-allow-anyone",
        is_flag=True,
        help="Start on a network address without --basic-auth-file or --token-file: anyone "
        "who can reach it can read and change every run (a warning is printed).",
    )(fn)
    fn = click.option(
        "--token-file",
        type=click.Path(dir_okay=False),
        default=None,
        help="File of bearer tokens, one per line (the mlflow client's MLFLOW_TRACKING_TOKEN).",
    )(fn)
    fn = click.option(
        "--basic-auth-file",
        type=click.Path(dir_okay=False),
        default=None,
        help="File of user:hash lines (make it with `minitrack server add-user`): every "
        "request but /health, UI pages included, must log in.",
    )(fn)
    fn = click.option(
        "--max-upload-size",
        type=ByteSize(),
        default="5G",
        show_default=True,
        help="Largest artifact file one upload may send (bytes, or 512K, 100M, 5G).",
    )(fn)
    fn = click.option(
        "--artifacts-destination",
        default="./mlartifacts",
        show_default=True,
        help="Folder the artifact proxy keeps artifacts in (MLflow's option).",
    )(fn)
    fn = click.option(
        "--serve-artifacts/--no-serve-artifacts",
        default=True,
        show_default=True,
        help="Serve artifacts through /api/2.0/mlflow-artifacts (MLflow's default): new runs "
        "get mlflow-artifacts:/ URIs and clients upload to the server.",
    )(fn)
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
    **options,
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
            **options,
        )
    except MinitrackException as exc:
        raise click.ClickException(exc.message) from None
    if code:
        raise SystemExit(code)


def register(group: click.Group) -> None:
    """Add ``ui`` and ``server`` to minitrack's click group."""

    @group.command("ui", context_settings={"help_option_names": ["--help"]})
    @_options
    def ui_command(**options) -> None:
        """The tracking server with its web UI: browse, filter and compare runs in your
        browser, and log to it from MLflow's client (MLflow's REST API)."""
        _run(**options)

    @group.group(
        "server",
        invoke_without_command=True,
        context_settings={"help_option_names": ["--help"]},
    )
    @_options
    @click.pass_context
    def server_command(ctx, **options) -> None:
        """Same as `minitrack ui` (MLflow's name for it); `add-user` manages logins."""
        if ctx.invoked_subcommand is None:
            _run(**options)

    @server_command.command("add-user")
    @click.option(
        "--basic-auth-file",
        "path",
        required=True,
        type=click.Path(dir_okay=False),
        help="The password file to add the user to (created if missing).",
    )
    @click.argument("username")
    @click.password_option(help="The new password (asked twice when not given).")
    def add_user_command(path, username, password) -> None:
        """Add USERNAME to a --basic-auth-file (or change their password)."""
        from minitrack.exceptions import MinitrackException
        from minitrack.server.auth import add_user

        try:
            new = add_user(path, username, password)
        except MinitrackException as exc:
            raise click.ClickException(exc.message) from None
        click.echo(f"{'Added' if new else 'Changed the password of'} {username} in {path}.")
