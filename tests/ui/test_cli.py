"""`minitrack ui` / `minitrack server` from a terminal: the port, the host, the URL."""

from __future__ import annotations

import re
import socket
import subprocess

import pytest

from .conftest import RunningServer, free_port, minitrack_command

pytestmark = pytest.mark.timeout(60)


def test_a_taken_port_is_named_with_a_free_one_to_use(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        taken = holder.getsockname()[1]
        done = subprocess.run(
            [*minitrack_command(), "ui", "--port", str(taken)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert done.returncode == 2
    assert f"Port {taken} on 127.0.0.1 is already in use" in done.stderr
    suggested = int(re.search(r"--port (\d+)", done.stderr).group(1))
    assert suggested != taken
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", suggested))  # it really is free


def test_public_host_warns_that_anyone_on_the_network_can_read(tmp_path):
    # Without a login a network bind is refused (tests/server/test_security.py); with
    # --insecure-allow-anyone it starts and says who can read.
    port = free_port()
    proc = subprocess.Popen(
        [
            *minitrack_command(),
            "server",
            "--host",
            "0.0.0.0",
            "--port",
            str(port),
            "--insecure-allow-anyone",
        ],  # fmt: skip
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        warning = proc.stderr.readline()
        url_line = "".join(proc.stdout.readline() for _ in range(3))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()
    assert "anyone on your network can read and change these runs" in warning
    assert f"http://127.0.0.1:{port}" in url_line


def test_the_default_store_is_mlflow_db_in_the_working_folder(tmp_path):
    server = RunningServer("sqlite:///mlflow.db", tmp_path)
    try:
        server.proc.terminate()
        out, _ = server.proc.communicate(timeout=10)
    finally:
        server.stop()
    assert f"minitrack UI and tracking server for {tmp_path / 'mlflow.db'}" in out
    assert not (tmp_path / "mlflow.db").exists()  # the UI only reads: it creates nothing
