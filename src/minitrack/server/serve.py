"""Start the UI: check the port, warn about public hosts, print the URL, run uvicorn.

The listening socket is bound here, before uvicorn starts, so "port taken" is
reported in plain words (with a free port to use instead) rather than as a
traceback, and nothing can grab the port between the check and the start.
"""

from __future__ import annotations

import errno
import socket
import sys

EXIT_PORT_TAKEN = 2
PUBLIC_HOSTS = ("0.0.0.0", "::", "")


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


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _answers(host: str, port: int) -> bool:
    """Whether something already accepts connections on host:port.

    Binding alone is not enough on macOS: AirPlay listens on *:5000 and a bind
    to 127.0.0.1:5000 can still succeed, leaving browsers talking to AirPlay.
    """
    target = "127.0.0.1" if host in PUBLIC_HOSTS else host
    try:
        with socket.create_connection((target, port), timeout=0.25):
            return True
    except OSError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or PortInUse naming a free port."""
    if port and _answers(host, port):
        raise PortInUse(host, port, find_free_port(host, port))
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    if sys.platform != "win32":
        # Lets a restarted server reuse a port in TIME_WAIT; never shares a live one.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
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
        with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
            try:
                probe.bind((host, candidate))
            except OSError:
                continue
        if not _answers(host, candidate):
            return candidate
    return None


def url_for(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in PUBLIC_HOSTS else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def _echo(message: str, err: bool = False) -> None:
    print(message, file=sys.stderr if err else sys.stdout, flush=True)


def serve(
    backend_store_uri: str,
    default_artifact_root: str | None,
    host: str,
    port: int,
    echo=_echo,
) -> int:
    """Run the UI until interrupted; returns the process exit code."""
    from minitrack.server.app import create_app

    app = create_app(backend_store_uri, default_artifact_root, host=host)
    try:
        sock = bind(host, port)
    except PortInUse as exc:
        echo(f"Error: {exc}", err=True)
        return EXIT_PORT_TAKEN
    if host in PUBLIC_HOSTS:
        echo(
            f"Warning: listening on {host or 'all interfaces'}: anyone on your network can "
            "read these runs, params and artifacts. Use --host 127.0.0.1 to keep them private.",
            err=True,
        )
    import uvicorn

    store = app.state.client.describe_store()
    echo(f"minitrack UI for {store}")
    echo(f"Open {url_for(host, sock.getsockname()[1])} in your browser (Ctrl+C to stop).")
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0
