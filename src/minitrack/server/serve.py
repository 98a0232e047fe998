"""Start the UI: check the port, warn about network binds, print the URL, run uvicorn.

The listening socket is bound here, before uvicorn starts, so "port taken" is
reported in plain words (with a free port to use instead) rather than as a
traceback, and nothing can grab the port between the check and the start.
"""

from __future__ import annotations

import errno
import socket
import sys

from minitrack.exceptions import MinitrackException
from minitrack.server.hosts import HostPolicy, bind_addresses, is_all_interfaces, is_network_bind

EXIT_PORT_TAKEN = 2


class PortInUse(OSError):
    def __init__(self, host: str, port: int, free_port: int | None) -> None:
        self.host, self.port, self.free_port = host, port, free_port
        hint = f" Use another one: --port {free_port}" if free_port else ""
        airplay = (
            " (on macOS the AirPlay Receiver holds port 5000: turn it off in"
            " System Settings > General > AirDrop & Handoff, or pick another port)"
            if port == 5000
            else ""
        )
        super().__init__(f"Port {port} on {host} is already in use{airplay}.{hint}")


def _address(host: str) -> tuple[socket.AddressFamily, str]:
    """The one address to listen on for ``--host`` (its first, IPv4 preferred)."""
    return bind_addresses(host)[0]


def _local_name(host: str) -> str:
    """How this machine reaches a server on host: loopback for an all-interfaces bind."""
    family, address = _address(host)
    if is_all_interfaces(host):
        return "::1" if family == socket.AF_INET6 else "127.0.0.1"
    return address


def _answers(host: str, port: int) -> bool:
    """Whether something already accepts connections on host:port.

    Binding alone is not enough on macOS: AirPlay listens on *:5000 and a bind
    to 127.0.0.1:5000 can still succeed, leaving browsers talking to AirPlay.
    """
    target = _local_name(host)
    try:
        with socket.create_connection((target, port), timeout=0.25):
            return True
    except OSError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or PortInUse naming a free port."""
    if port and _answers(host, port):
        raise PortInUse(host, port, find_free_port(host, port))
    family, address = _address(host)
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on accepted sockets whose proto
    # says TCP, and without it every reply after the first on a kept-alive connection
    # waited ~40 ms (Nagle's algorithm against the client's delayed ACK).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    if sys.platform != "win32":
        # Lets a restarted server reuse a port in TIME_WAIT; never shares a live one.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((address, port))
    except OSError as exc:
        sock.close()
        if exc.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1)):
            raise PortInUse(host, port, find_free_port(host, port)) from None
        raise
    sock.listen(128)
    sock.setblocking(False)
    return sock


def find_free_port(host: str, after: int) -> int | None:
    """The first port above ``after`` that can be bound on host (then released)."""
    for candidate in range(after + 1, min(after + 200, 65535)):
        family, address = _address(host)
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((address, candidate))
            except OSError:
                continue
        if not _answers(host, candidate):
            return candidate
    return None


def url_for(host: str, port: int) -> str:
    shown = _local_name(host) if is_all_interfaces(host) or ":" in host else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def _echo(message: str, err: bool = False) -> None:
    print(message, file=sys.stderr if err else sys.stdout, flush=True)


def host_policy(host: str, port: int, allowed_hosts: str | None) -> HostPolicy:
    """``--allowed-hosts`` when given (it replaces the defaults, as in MLflow), else the
    defaults for where the server listens."""
    if allowed_hosts:
        return HostPolicy.from_option(allowed_hosts)
    return HostPolicy.default(host, port)


def serve(
    backend_store_uri: str,
    default_artifact_root: str | None,
    host: str,
    port: int,
    echo=_echo,
    allowed_hosts: str | None = None,
    *,
    serve_artifacts: bool = True,
    artifacts_destination: str = "./mlartifacts",
    max_upload_size: int | None = None,
    basic_auth_file: str | None = None,
    token_file: str | None = None,
    insecure_allow_anyone: bool = False,
) -> int:
    """Run the UI and tracking server until interrupted; returns the process exit code."""
    from minitrack.server.app import DEFAULT_MAX_UPLOAD_SIZE, create_app

    host = host.strip()
    network = is_network_bind(host)  # also: a --host that does not resolve fails here
    if allowed_hosts:
        HostPolicy.from_option(allowed_hosts)  # a bad entry is reported before binding
    auth = None
    if basic_auth_file or token_file:
        from minitrack.server.auth import Authenticator

        try:
            auth = Authenticator.from_files(basic_auth_file, token_file)
        except OSError as exc:
            raise MinitrackException(
                f"Cannot read the authentication file {exc.filename}: {exc.strerror}."
            ) from None
    if network and auth is None and not insecure_allow_anyone:
        raise MinitrackException(
            f"Refusing to listen on {host or 'all interfaces'} without a login: anyone on the "
            "network could read and change every run. Give --basic-auth-file PATH (users "
            "from `minitrack server add-user`) and/or --token-file PATH, or keep the default "
            "--host 127.0.0.1. --insecure-allow-anyone starts it open anyway."
        )
    try:
        sock = bind(host, port)
    except PortInUse as exc:
        echo(f"Error: {exc}", err=True)
        return EXIT_PORT_TAKEN
    try:
        port = sock.getsockname()[1]
        policy = host_policy(host, port, allowed_hosts)
        app = create_app(
            backend_store_uri,
            default_artifact_root,
            host_policy=policy,
            serve_artifacts=serve_artifacts,
            artifacts_destination=artifacts_destination,
            max_upload_size=max_upload_size or DEFAULT_MAX_UPLOAD_SIZE,
            auth=auth,
        )
    except BaseException:
        sock.close()
        raise
    if network and auth is None:
        where = "all interfaces" if is_all_interfaces(host) else host
        echo(
            f"Warning: listening on {where} ({host or 'no --host'}) with no login "
            "(--insecure-allow-anyone): anyone on your network can read and change these "
            "runs, params, models and artifacts. Use --basic-auth-file or --token-file, or "
            "--host 127.0.0.1 to keep them private.",
            err=True,
        )
    import uvicorn

    url = url_for(host, port)
    echo(f"minitrack UI and tracking server for {app.state.client.describe_store()}")
    if serve_artifacts:
        echo(f"Artifacts: {app.state.artifacts_destination} (served as mlflow-artifacts:/)")
    echo(f"Open {url} in your browser (Ctrl+C to stop).")
    if not policy.allows(url.split("//", 1)[1]):
        echo(
            f"Note: --allowed-hosts does not include {url.split('//', 1)[1]}, so that address "
            "answers 403; add it to the list to open the UI there.",
            err=True,
        )
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", timeout_keep_alive=30
    )
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0
