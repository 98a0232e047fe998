"""The HTTP layer under RestStore: errors, retries, credentials, a server that is down.

A small scripted HTTP server (stdlib, a real socket on 127.0.0.1) stands in for a
tracking server that is busy, rate-limited, broken or strict about credentials: it
answers each request with the next scripted reply and records what it received. The
calls go through minitrack's public API (MlflowClient, set_tracking_uri).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import minitrack
from minitrack import MinitrackException, MlflowClient
from tests.servers import free_port

EXPERIMENT = {
    "experiment": {
        "experiment_id": "7",
        "name": "busy",
        "artifact_location": "mlflow-artifacts:/7",
        "lifecycle_stage": "active",
        "creation_time": "1700000000000",
        "last_update_time": "1700000000000",
        "tags": [{"key": "team", "value": "a"}],
    }
}


class ScriptedServer:
    """Answers requests with scripted ``(status, headers, body)`` replies, in order; the
    last reply repeats. ``requests`` holds ``(method, path, headers, body)``."""

    def __init__(self, replies) -> None:
        self.replies = list(replies)
        self.requests: list[tuple[str, str, dict, bytes]] = []
        self.times: list[float] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                owner.requests.append((self.command, self.path, dict(self.headers), body))
                owner.times.append(time.monotonic())
                status, headers, payload = (
                    owner.replies.pop(0) if len(owner.replies) > 1 else owner.replies[0]
                )
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                for key, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = _answer

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def scripted():
    servers = []

    def start(*replies):
        server = ScriptedServer(replies)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture(autouse=True)
def _quick_backoff(monkeypatch):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0.05")


def test_a_busy_store_answering_503_with_retry_after_is_waited_for(scripted):
    busy = {"error_code": "TEMPORARILY_UNAVAILABLE", "message": "the store is locked"}
    server = scripted(
        (503, {"Retry-After": "1"}, busy),
        (503, {"Retry-After": "1"}, busy),
        (200, {}, EXPERIMENT),
    )
    experiment = MlflowClient(server.url).get_experiment("7")
    assert experiment.name == "busy"
    assert experiment.tags == {"team": "a"}
    assert experiment.creation_time == 1700000000000  # int64 sent as a JSON string
    assert len(server.requests) == 3
    gaps = [b - a for a, b in zip(server.times, server.times[1:], strict=False)]
    assert all(gap >= 0.9 for gap in gaps), gaps  # Retry-After: 1 was honoured


def test_a_store_still_busy_after_the_retries_says_so(scripted, monkeypatch):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    busy = {"error_code": "TEMPORARILY_UNAVAILABLE", "message": "the store is locked: retry"}
    server = scripted((503, {"Retry-After": "0"}, busy))
    with pytest.raises(MinitrackException) as caught:
        MlflowClient(server.url).get_experiment("7")
    assert caught.value.error_code == "TEMPORARILY_UNAVAILABLE"
    assert "locked" in caught.value.message
    assert len(server.requests) == 3  # the first try and two retries


def test_429_and_gateway_errors_are_retried(scripted):
    server = scripted(
        (429, {}, {"error_code": "REQUEST_LIMIT_EXCEEDED", "message": "slow down"}),
        (502, {}, b"bad gateway"),
        (504, {}, b"gateway timeout"),
        (200, {}, EXPERIMENT),
    )
    assert MlflowClient(server.url).get_experiment("7").experiment_id == "7"
    assert len(server.requests) == 4


@pytest.mark.parametrize(
    ("status", "payload", "code"),
    [
        (500, {"error_code": "INTERNAL_ERROR", "message": "the server broke"}, "INTERNAL_ERROR"),
        (
            400,
            {"error_code": "INVALID_PARAMETER_VALUE", "message": "bad filter"},
            "INVALID_PARAMETER_VALUE",
        ),
        (
            404,
            {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "No Experiment with id=7"},
            "RESOURCE_DOES_NOT_EXIST",
        ),
    ],
)
def test_other_answers_of_the_server_are_final(scripted, status, payload, code):
    server = scripted((status, {}, payload), (200, {}, EXPERIMENT))
    with pytest.raises(MinitrackException) as caught:
        MlflowClient(server.url).get_experiment("7")
    assert caught.value.error_code == code
    assert caught.value.message == payload["message"]
    assert len(server.requests) == 1  # not retried


def test_an_answer_without_error_json_still_names_the_server(scripted):
    server = scripted((500, {"Content-Type": "text/html"}, b"<h1>oops</h1>"))
    with pytest.raises(MinitrackException) as caught:
        MlflowClient(server.url).get_experiment("7")
    assert server.url in caught.value.message and "500" in caught.value.message


def test_a_server_that_is_down_gives_one_clear_error(monkeypatch):
    monkeypatch.delenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR")  # the default waits
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    minitrack.set_tracking_uri(url)  # accepted: the server may start later
    started = time.monotonic()
    with pytest.raises(MinitrackException) as caught:
        minitrack.set_experiment("any")
    assert time.monotonic() - started < 20  # the retries are bounded
    assert caught.value.message == (
        f"no tracking server answers at {url}: start one with `minitrack server ...`, "
        "or use sqlite:///mlflow.db"
    )


def test_mlflow_tracking_uri_in_the_environment_reaches_the_server(scripted, monkeypatch):
    server = scripted((200, {}, EXPERIMENT))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", server.url)
    assert minitrack.get_experiment("7").name == "busy"
    assert server.requests[0][1] == "/api/2.0/mlflow/experiments/get?experiment_id=7"


def test_basic_credentials_come_from_the_environment(scripted, monkeypatch):
    server = scripted((200, {}, EXPERIMENT))
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "ada")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "s3cret")
    MlflowClient(server.url).get_experiment("7")
    # base64("ada:s3cret")
    assert server.requests[0][2]["Authorization"] == "Basic YWRhOnMzY3JldA=="


def test_a_token_comes_from_the_environment_and_is_read_at_each_request(scripted, monkeypatch):
    server = scripted((200, {}, EXPERIMENT))
    client = MlflowClient(server.url)
    client.get_experiment("7")
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "tok-123")
    client.get_experiment("7")
    assert "Authorization" not in server.requests[0][2]
    assert server.requests[1][2]["Authorization"] == "Bearer tok-123"


def test_a_refusal_for_credentials_says_which_variables_to_set(scripted):
    server = scripted((401, {"Content-Type": "text/plain"}, b"You are not authenticated."))
    with pytest.raises(MinitrackException) as caught:
        MlflowClient(server.url).get_experiment("7")
    assert "MLFLOW_TRACKING_USERNAME" in caught.value.message
    assert "MLFLOW_TRACKING_TOKEN" in caught.value.message


def test_metric_values_travel_as_protobuf_json(scripted):
    server = scripted((200, {}, {}))
    client = MlflowClient(server.url)
    client.log_metric("a" * 32, "loss", float("nan"), timestamp=5, step=2)
    client.log_metric("a" * 32, "up", float("inf"), timestamp=5)
    sent = [json.loads(body) for _m, _p, _h, body in server.requests]
    assert sent[0]["value"] == "NaN" and sent[0]["step"] == 2 and sent[0]["timestamp"] == 5
    assert sent[1]["value"] == "Infinity"


@pytest.mark.parametrize(
    ("uri", "says"),
    [
        ("http://ada:pw@127.0.0.1:5000", "MLFLOW_TRACKING_USERNAME"),
        ("http://127.0.0.1:5000?x=1", "without '?'"),
        ("http://", "http://127.0.0.1:5000"),
        ("http://127.0.0.1:99999", "http://127.0.0.1:5000"),
    ],
)
def test_bad_server_uris_are_refused_when_set(uri, says):
    with pytest.raises(MinitrackException) as caught:
        minitrack.set_tracking_uri(uri)
    assert says in caught.value.message
    assert "pw" not in caught.value.message


def test_other_schemes_name_both_kinds_of_store():
    with pytest.raises(MinitrackException) as caught:
        minitrack.set_tracking_uri("postgresql://u@h/db")
    assert "sqlite:///mlflow.db" in caught.value.message
    assert "http://127.0.0.1:5000" in caught.value.message


def test_using_a_server_uri_loads_the_http_client_only_when_a_request_is_made():
    code = (
        "import sys, minitrack\n"
        "minitrack.set_tracking_uri('http://127.0.0.1:1')\n"
        "client = minitrack.MlflowClient()\n"
        "print(sorted({'requests', 'urllib3'} & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _run_json(artifact_uri: str) -> dict:
    return {
        "run": {
            "info": {
                "run_id": "a" * 32,
                "experiment_id": "1",
                "status": "RUNNING",
                "start_time": "1700000000000",
                "lifecycle_stage": "active",
                "artifact_uri": artifact_uri,
                "user_id": "ada",
            },
            "data": {},
        }
    }


def test_an_upload_refused_as_busy_is_sent_again_whole(scripted, tmp_path):
    server = scripted(
        (200, {}, _run_json("mlflow-artifacts:/1/" + "a" * 32 + "/artifacts")),
        (503, {"Retry-After": "0"}, {"error_code": "TEMPORARILY_UNAVAILABLE", "message": "busy"}),
        (200, {}, {}),
    )
    data = bytes(range(256)) * 4096  # 1 MiB, streamed from the file
    (tmp_path / "weights.bin").write_bytes(data)
    MlflowClient(server.url).log_artifact("a" * 32, str(tmp_path / "weights.bin"), "blobs")
    puts = [(path, body) for method, path, _h, body in server.requests if method == "PUT"]
    assert [path for path, _ in puts] == [
        "/api/2.0/mlflow-artifacts/artifacts/1/" + "a" * 32 + "/artifacts/blobs/weights.bin"
    ] * 2
    assert puts[1][1] == data


def test_names_a_server_lists_are_checked_before_they_become_paths(scripted, tmp_path):
    listing = {
        "files": [
            {"path": "../escape.txt", "is_dir": False, "file_size": 3},
            {"path": "a/b.txt", "is_dir": False, "file_size": 3},
            {"path": "..", "is_dir": True},
            {"path": "ok.txt", "is_dir": False, "file_size": "3"},
        ]
    }
    server = scripted(
        (200, {}, _run_json("mlflow-artifacts:/1/" + "a" * 32 + "/artifacts")),
        (200, {}, listing),
    )
    files = MlflowClient(server.url).list_artifacts("a" * 32)
    assert [(f.path, f.file_size) for f in files] == [("ok.txt", 3)]


def test_credentials_are_not_sent_to_another_host_a_run_names(scripted, monkeypatch, tmp_path):
    other = scripted((200, {}, {}))
    tracking = scripted(
        (200, {}, _run_json(f"{other.url}/api/2.0/mlflow-artifacts/artifacts/1/x/artifacts"))
    )
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "secret-token")
    MlflowClient(tracking.url).log_text("a" * 32, "hi", "notes.txt")
    assert tracking.requests[0][2]["Authorization"] == "Bearer secret-token"
    method, path, headers, body = other.requests[0]
    assert (method, path, body) == (
        "PUT",
        "/api/2.0/mlflow-artifacts/artifacts/1/x/artifacts/notes.txt",
        b"hi",
    )
    assert "Authorization" not in headers
