"""The server's locks, tried from outside: login, backoff, cross-site writes, traversal
and oversize uploads. Each refused attempt changes nothing on disk or in the store."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import requests

from minitrack.client import MlflowClient
from tests.server.conftest import MAIN, env, free_port, read, start_server

PASSWORD = "correct horse battery"
TOKEN = "tok-" + "x" * 40


@pytest.fixture(scope="module")
def locked(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("locked"))
    users = os.path.join(folder, "users.txt")
    subprocess.run(
        [sys.executable, "-c", MAIN, "server", "add-user", "--basic-auth-file", users, "ada",
         "--password", PASSWORD],
        env=env(), check=True, capture_output=True,
    )  # fmt: skip
    tokens = os.path.join(folder, "tokens.txt")
    with open(tokens, "w") as fh:
        fh.write(f"# CI\n{TOKEN}\n")
    s = start_server(folder, "--basic-auth-file", users, "--token-file", tokens,
                     "--max-upload-size", "1K")  # fmt: skip
    yield s
    s.stop()


def _tree(folder: str) -> list[str]:
    out = []
    for here, _dirs, files in os.walk(folder):
        out += [os.path.relpath(os.path.join(here, f), folder) for f in files]
    return sorted(p for p in out if not p.startswith("server-") and "mlflow.db" not in p)


def _experiment_names(server) -> list[str]:
    client = MlflowClient(server.store_uri)
    return sorted(e.name for e in client.search_experiments())


def test_password_file_holds_a_slow_salted_hash_not_the_password(locked):
    text = read(os.path.join(locked.folder, "users.txt"))
    assert text.startswith("ada:scrypt$") and PASSWORD not in text


def test_no_login_is_refused_for_reads_writes_and_pages_but_health_is_open(locked):
    api = "/api/2.0/mlflow/"
    for method, path in (("GET", api + "experiments/search"), ("GET", "/"),
                         ("GET", "/api/experiments"), ("POST", api + "runs/create")):  # fmt: skip
        r = requests.request(method, locked.url + path, json={}, timeout=10)
        assert r.status_code == 401, path
        assert r.json()["error_code"] == "UNAUTHENTICATED"
        assert r.headers["www-authenticate"].startswith("Basic")
    assert requests.get(locked.url + "/health", timeout=10).text == "OK"


def test_password_and_token_let_the_mlflow_client_in(locked):
    ok = requests.get(locked.api("experiments/search"), auth=("ada", PASSWORD), timeout=10)
    assert ok.status_code == 200 and ok.json()["experiments"][0]["name"] == "Default"
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert requests.get(locked.url + "/", headers=bearer, timeout=10).status_code == 200


def test_wrong_passwords_are_refused_then_rate_limited_and_change_nothing(locked):
    before = _experiment_names(locked)
    codes = []
    for attempt in range(8):
        r = requests.post(
            locked.api("experiments/create"),
            json={"name": f"guess-{attempt}"},
            auth=("ada", f"wrong-{attempt}"),
            timeout=30,
        )
        codes.append(r.status_code)
    assert codes[:5] == [401] * 5
    assert 429 in codes[5:]
    limited = requests.get(locked.api("experiments/search"), auth=("ada", PASSWORD), timeout=10)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert limited.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    bad_token = requests.get(locked.url + "/", headers={"Authorization": "Bearer nope"}, timeout=10)
    assert bad_token.status_code == 429
    assert _experiment_names(locked) == before


def test_network_bind_without_login_is_refused(tmp_path):
    for host in ("0.0.0.0", "0", "::"):
        done = subprocess.run(
            [sys.executable, "-c", MAIN, "server", "--host", host, "--port", str(free_port())],
            cwd=tmp_path, env=env(), capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode != 0, host
        assert "--basic-auth-file" in done.stderr and "--insecure-allow-anyone" in done.stderr
    assert not os.path.exists(tmp_path / "mlflow.db")


def test_insecure_allow_anyone_starts_with_a_warning(tmp_path):
    s = start_server(str(tmp_path), "--host", "0.0.0.0", "--insecure-allow-anyone")
    try:
        assert requests.get(s.api("experiments/search"), timeout=10).status_code == 200
    finally:
        s.stop()
    log = read(os.path.join(tmp_path, f"server-{s.port}.log"))
    assert "Warning" in log and "anyone on your network" in log


@pytest.fixture(scope="module")
def open_server(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("open"))
    s = start_server(folder, "--max-upload-size", "1K")
    yield s
    s.stop()


def test_cross_site_form_posts_are_refused(open_server):
    s = open_server
    before = _experiment_names(s)
    form = requests.post(s.api("experiments/create"), data={"name": "from-a-form"}, timeout=10)
    assert form.status_code == 400 and "application/json" in form.json()["message"]
    text = requests.post(
        s.api("experiments/create"),
        data='{"name": "text-plain"}',
        headers={"Content-Type": "text/plain"},
        timeout=10,
    )
    assert text.status_code == 400
    foreign = requests.post(
        s.api("experiments/create"),
        json={"name": "foreign"},
        headers={"Origin": "https://evil.example"},
        timeout=10,
    )
    assert foreign.status_code == 403 and foreign.json()["error_code"] == "PERMISSION_DENIED"
    assert "access-control-allow-origin" not in {k.lower() for k in foreign.headers}
    assert _experiment_names(s) == before


@pytest.mark.parametrize(
    "path",
    [
        "../escape.txt",
        "1/../../escape.txt",
        "%2e%2e/escape.txt",
        "%252e%252e/escape.txt",
        "1/%2E%2E/%2E%2E/escape.txt",
        "/etc/escape.txt",
        "1//double.txt",
        "./dot.txt",
        "link/escape.txt",
    ],
)
def test_upload_traversal_is_refused(open_server, path, tmp_path_factory):
    s = open_server
    dest = os.path.join(s.folder, "mlartifacts")
    os.makedirs(dest, exist_ok=True)
    outside = str(tmp_path_factory.mktemp("outside"))
    if not os.path.islink(os.path.join(dest, "link")):
        os.symlink(outside, os.path.join(dest, "link"))
    before = _tree(s.folder)
    # Sent as raw bytes on the wire: requests would otherwise normalise '..' away.
    url = f"{s.url}/api/2.0/mlflow-artifacts/artifacts/{path}"
    req = requests.Request("PUT", url, data=b"pwned").prepare()
    req.url = url
    r = requests.Session().send(req, timeout=10)
    assert r.status_code in (400, 404), (path, r.status_code, r.text)
    assert r.json()["error_code"] in ("INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST")
    assert _tree(s.folder) == before
    assert os.listdir(outside) == []
    assert not os.path.exists(os.path.join(os.path.dirname(s.folder), "escape.txt"))


def test_oversize_bodies_get_413_and_leave_nothing(open_server):
    s = open_server
    before = _tree(s.folder)
    url = f"{s.url}/api/2.0/mlflow-artifacts/artifacts/1/run/artifacts/big.bin"
    big = requests.put(url, data=b"x" * 4096, timeout=10)
    assert big.status_code == 413 and big.json()["error_code"] == "REQUEST_ENTITY_TOO_LARGE"

    def chunks():  # no Content-Length: the limit holds while streaming
        for _ in range(8):
            yield b"y" * 512

    streamed = requests.put(url, data=chunks(), timeout=10)
    assert streamed.status_code == 413
    huge_json = requests.post(
        s.api("experiments/create"),
        data=b'{"name": "' + b"n" * (9 * 1024 * 1024) + b'"}',
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert huge_json.status_code == 413
    assert _tree(s.folder) == before
    small = requests.put(url, data=b"z" * 1000, timeout=10)
    assert small.status_code == 200
    stored = read(os.path.join(s.folder, "mlartifacts/1/run/artifacts/big.bin"), "rb")
    assert stored == b"z" * 1000
