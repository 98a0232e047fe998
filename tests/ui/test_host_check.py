"""The Host check (DNS rebinding) on real `minitrack ui` processes, with raw Host headers.

A page on another site can resolve its own name to 127.0.0.1 and read the runs
through the visitor's browser; its requests carry that name as Host. Each request
here goes over a raw socket or http.client with the Host header exactly as written.
"""

from __future__ import annotations

import json
import socket
import subprocess

import pytest

from minitrack.server.hosts import is_all_interfaces, is_network_bind

from .conftest import RunningServer, free_port, minitrack_command, raw_get

pytestmark = pytest.mark.timeout(90)


def refused(server, host: str | None) -> bool:
    """Whether Host `host` gets the JSON 403 and none of the runs."""
    status, headers, body = raw_get(server, "/api/experiments", host=host)
    if status == 200:
        return False
    assert status == 403, (host, status, body)
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["error_code"] == "PERMISSION_DENIED"
    assert "taxi-duration" not in body and "experiment" not in json.loads(body)
    return True


def answered(server, host: str) -> bool:
    status, _, body = raw_get(server, "/api/experiments", host=host)
    return status == 200 and "taxi-duration" in body


def raw_request(server, head: bytes) -> tuple[int, bytes]:
    """Send request bytes exactly as given; the status and the whole answer."""
    with socket.create_connection((server.connect, server.port), timeout=10) as sock:
        sock.sendall(head)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1]), answer


# ---- bound to loopback (the default) ------------------------------------------
# Each of these was answered by the old prefix check ("starts with 127.").
LOOPBACK_ATTACKS = [
    ("a name under the attacker's domain", "127.0.0.1.attacker.example:{port}"),
    ("a wildcard DNS service", "127.0.0.1.nip.io"),
    ("the same, on our port", "127.0.0.1.nip.io:{port}"),
    ("userinfo: the real host is after the @", "127.0.0.1:{port}@evil.com"),
    ("a domain after the port", "127.0.0.1:{port}.attacker.example"),
    ("a trailing dot", "127.0.0.1.:{port}"),
    ("another loopback spelling", "127.1:{port}"),
    ("another loopback address", "127.0.0.2:{port}"),
    ("the right name, another port", "127.0.0.1:{other}"),
    ("localhost on another port", "localhost:{other}"),
    ("no port (means 80)", "127.0.0.1"),
    ("[::1] on another port", "[::1]:{other}"),
    ("an IPv6 zone id", "[::1%25lo]:{port}"),
    ("an empty port", "127.0.0.1:"),
    ("a path in the Host", "127.0.0.1:{port}/x"),
]


def fill(form: str, port: int) -> str:
    return form.format(port=port, other=port + 1 if port < 65535 else port - 1)


@pytest.mark.parametrize(("why", "form"), LOOPBACK_ATTACKS, ids=[a[0] for a in LOOPBACK_ATTACKS])
def test_loopback_bind_refuses_every_other_host(ui_server, why, form):
    assert refused(ui_server, fill(form, ui_server.port)), f"{why}: served the runs"


def test_loopback_bind_answers_the_three_loopback_names_on_its_port(ui_server):
    port = ui_server.port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", f"LocalHost:{port}"):
        assert answered(ui_server, host), host
    # Refused with JSON that says what to do (the old check answered in plain text).
    status, headers, body = raw_get(ui_server, "/api/experiments", host="evil.example")
    assert status == 403 and headers["content-type"] == "application/json"
    message = json.loads(body)["message"]
    assert "'evil.example'" in message and "--allowed-hosts" in message


def test_a_request_without_one_exact_host_is_refused(ui_server):
    port = ui_server.port
    # HTTP/1.0 allows leaving Host out; the old check answered that.
    status, answer = raw_request(ui_server, b"GET /api/experiments HTTP/1.0\r\n\r\n")
    assert status == 403 and b"taxi-duration" not in answer
    # Two Host headers, the attacker's first: the old check read only the last.
    twice = (
        f"GET /api/experiments HTTP/1.1\r\nHost: evil.example:{port}\r\n"
        f"Host: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    ).encode()
    status, answer = raw_request(ui_server, twice)
    assert status in (400, 403) and b"taxi-duration" not in answer
    # /health answers whatever the Host, as MLflow's does: it says only OK.
    status, answer = raw_request(
        ui_server, b"GET /health HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n"
    )
    assert status == 200 and answer.endswith(b"OK")


# ---- --allowed-hosts -------------------------------------------------------------
@pytest.fixture(scope="module")
def allowed_server(ui_store):
    port = free_port()
    patterns = f"tracker.lab.example:*,*.corp.example,192.168.*,[fd00::5]:{port}"
    server = RunningServer(
        ui_store.tracking_uri, ui_store.folder, port=port, args=("--allowed-hosts", patterns)
    )
    yield server
    server.stop()


def test_allowed_hosts_answers_what_its_patterns_match(allowed_server):
    port = allowed_server.port
    for host in [
        f"tracker.lab.example:{port}",  # name:* is any port
        "tracker.lab.example:8443",
        "ui.corp.example",  # *.corp.example: any name under it, without a port
        "a.b.corp.example",
        f"192.168.1.20:{port}",  # 192.168.*: the * also covers the port, as in MLflow
        "192.168.0.1",
        f"[fd00::5]:{port}",
        f"[FD00:0:0::5]:{port}",  # the same address, written longer
    ]:
        assert answered(allowed_server, host), host


ALLOWED_HOSTS_ATTACKS = [
    ("the list replaces the loopback default, as in MLflow", "127.0.0.1:{port}"),
    ("a pattern without a port matches no port", "ui.corp.example:{port}"),
    ("name:* needs a port, as in MLflow", "tracker.lab.example"),
    ("*.corp.example needs a name before the dot", "corp.example"),
    ("a look-alike domain", "evilcorp.example"),
    ("the allowed name under the attacker's domain", "tracker.lab.example.attacker.example"),
    ("userinfo", "tracker.lab.example:{port}@evil.com"),
    ("userinfo in a wildcard", "x.corp.example@evil.com"),
    ("a trailing dot", "ui.corp.example."),
    ("an IP pattern matches only IP addresses", "192.168.evil.example:{port}"),
    ("an IPv4 address outside the pattern", "192.169.1.1:{port}"),
    ("[fd00::5] on another port", "[fd00::5]:{other}"),
    ("an IPv6 address without brackets", "fd00::5"),
]


@pytest.mark.parametrize(
    ("why", "form"), ALLOWED_HOSTS_ATTACKS, ids=[a[0] for a in ALLOWED_HOSTS_ATTACKS]
)
def test_allowed_hosts_refuses_everything_else(allowed_server, why, form):
    assert refused(allowed_server, fill(form, allowed_server.port)), f"{why}: served the runs"


def test_allowed_hosts_comes_from_mlflows_environment_variable_too(ui_store):
    server = RunningServer(
        ui_store.tracking_uri,
        ui_store.folder,
        env={"MLFLOW_SERVER_ALLOWED_HOSTS": "tracker.lab.example:*"},
    )
    try:
        assert answered(server, "tracker.lab.example:1")
        assert refused(server, f"127.0.0.1:{server.port}")
    finally:
        server.stop()
    # The printed address is not in the list: the command said so.
    assert "does not include 127.0.0.1" in server.proc_stderr


def test_a_star_allows_every_host(ui_store):
    server = RunningServer(
        ui_store.tracking_uri, ui_store.folder, args=("--allowed-hosts", "tracker.lab.example,*")
    )
    try:
        assert answered(server, "anything.example:1")
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("entry", "why"),
    [
        ("http://tracker.lab.example", "not a host name"),
        ("fd00::5", "in brackets"),
        ("tracker.lab.example:http", "the port must be a number or *"),
        (" , ", "no host given"),
    ],
)
def test_a_bad_allowed_hosts_entry_stops_the_command_with_the_fix(tmp_path, entry, why):
    done = subprocess.run(
        [*minitrack_command(), "ui", "--port", str(free_port()), "--allowed-hosts", entry],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1, done.stderr
    assert why in done.stderr and "host:port" in done.stderr
    assert "Traceback" not in done.stderr


# ---- binds that reach the network ------------------------------------------------
ALL_INTERFACES = ["0", "0.0.0.0", "::", "[::]", "0000:0000:0000:0000:0000:0000:0000:0000", "0::0"]


def test_every_spelling_of_all_interfaces_is_a_network_bind():
    for host in ALL_INTERFACES + [""]:
        assert is_all_interfaces(host) and is_network_bind(host), host
    for host in ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2", "127.1"]:
        assert not is_network_bind(host), host


@pytest.mark.parametrize("host", ["0", "::", "[::]", "0000:0000:0000:0000:0000:0000:0000:0000"])
def test_all_interfaces_warns_and_checks_hosts_with_mlflows_defaults(ui_store, host):
    connect = "::1" if ":" in host else "127.0.0.1"
    server = RunningServer(
        ui_store.tracking_uri,
        ui_store.folder,
        args=("--host", host, "--insecure-allow-anyone"),
        connect=connect,
    )
    try:
        port = server.port
        for allowed in (f"127.0.0.1:{port}", "localhost:1234", "[::1]", "10.1.2.3:5000"):
            assert answered(server, allowed), allowed
        assert answered(server, f"[fd12:3456::1]:{port}")  # a private IPv6 address
        for attack in (
            f"evil.example:{port}",
            f"127.0.0.1.attacker.example:{port}",
            f"10.1.2.3.nip.io:{port}",  # MLflow's "10.*" pattern would match this
            f"localhost:{port}@evil.com",
            "8.8.8.8",
        ):
            assert refused(server, attack), attack
    finally:
        server.stop()
    assert "anyone on your network can read and change these runs" in server.proc_stderr
    shown = "[::1]" if ":" in host else "127.0.0.1"
    assert f"http://{shown}:{server.port}" in server.proc_stdout


def test_a_host_that_is_not_an_address_stops_with_a_clear_message(tmp_path):
    done = subprocess.run(
        [*minitrack_command(), "ui", "--host", "no-such-host.invalid", "--port", "0"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "--host 'no-such-host.invalid' is not an address of this machine" in done.stderr
    assert "Traceback" not in done.stderr
