"""Attacks on the real server: path traversal on artifacts, injection through search.

Every request goes over a raw HTTP connection (no client-side URL clean-up), to
the `minitrack ui` subprocess. A secret file sits beside the artifact root and a
run holds symlinks pointing at it; its content must never come back.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from .conftest import SECRET, raw_get

pytestmark = pytest.mark.timeout(60)


def artifact_paths(store) -> list[tuple[str, str]]:
    """(why, path value) pairs; the value is put in the query string as given (not re-encoded)."""
    secret_abs = str(store.secret_file)
    return [
        ("dot-dot", "../../../secret.txt"),
        ("dot-dot deeper than the root", "../../../../../../../../etc/passwd"),
        ("dot-dot after a real folder", "model/../../../../secret.txt"),
        ("encoded slashes", "..%2f..%2f..%2fsecret.txt"),
        ("encoded dots", "%2e%2e/%2e%2e/%2e%2e/secret.txt"),
        ("double-encoded dots", "%252e%252e/%252e%252e/%252e%252e/secret.txt"),
        ("double-encoded slashes", "..%252f..%252f..%252fsecret.txt"),
        ("absolute path", quote(secret_abs)),
        ("file URI", quote("file://" + secret_abs)),
        ("home folder", "~/secret.txt"),
        ("Windows drive", quote("C:/Windows/win.ini")),
        ("Windows drive, backslashes", quote("C:\\Windows\\win.ini")),
        ("backslash traversal", quote("..\\..\\..\\secret.txt")),
        ("NUL byte", "notes.txt%00.png"),
        ("symlink to a file outside", "leak.txt"),
        ("symlink to a folder outside", "leak-dir/secret.txt"),
        ("UNC share", quote("\\\\server\\share\\secret.txt")),
    ]


@pytest.mark.parametrize("endpoint", ["artifacts/file", "artifacts/preview", "artifacts"])
def test_no_artifact_path_leaves_the_run_folder(ui_server, ui_store, endpoint):
    run_id = ui_store.run_ids["best-xgb"]
    for why, path in artifact_paths(ui_store):
        status, _, body = raw_get(ui_server, f"/api/runs/{run_id}/{endpoint}?path={path}")
        assert status in (400, 404), f"{why}: {path} answered {status}"
        assert SECRET not in body, f"{why}: the secret leaked"
        assert "error_code" in json.loads(body), f"{why}: not a JSON error"


def test_traversal_in_the_url_path_finds_nothing(ui_server, ui_store):
    run_id = ui_store.run_ids["best-xgb"]
    for path in [
        f"/api/runs/{run_id}/artifacts/../../../secret.txt",
        f"/api/runs/{run_id}/artifacts/%2e%2e/%2e%2e/secret.txt",
        "/api/runs/..%2f..%2fsecret.txt/artifacts/file?path=notes.txt",
        "/api/runs/%2e%2e/artifacts/file?path=secret.txt",
        "/static/../../../secret.txt",
        "/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/secret.txt",
        "/static/..%2f..%2fapp.py",
    ]:
        status, _, body = raw_get(ui_server, path)
        assert status in (400, 404), f"{path} answered {status}"
        assert SECRET not in body


def test_the_symlinks_out_are_not_even_listed(ui_server, ui_store):
    run_id = ui_store.run_ids["best-xgb"]
    status, _, body = raw_get(ui_server, f"/api/runs/{run_id}/artifacts")
    assert status == 200
    listed = [f["path"] for f in json.loads(body)["files"]]
    assert "notes.txt" in listed
    assert "leak.txt" not in listed and "leak-dir" not in listed


def test_a_real_artifact_is_served_and_html_stays_inert(ui_server, ui_store):
    run_id = ui_store.run_ids["best-xgb"]
    status, headers, body = raw_get(ui_server, f"/api/runs/{run_id}/artifacts/file?path=notes.txt")
    assert (status, body) == (200, "Validation RMSE went down steadily.\n")
    status, headers, body = raw_get(
        ui_server, f"/api/runs/{run_id}/artifacts/file?path=report.html"
    )
    assert status == 200
    assert headers["content-type"].startswith("text/plain")
    assert headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in headers["content-security-policy"]
    status, headers, _ = raw_get(
        ui_server, f"/api/runs/{run_id}/artifacts/file?path=report.html&download=1"
    )
    assert headers["content-disposition"].startswith("attachment")


def runs_api(experiment_id: str, **params: str | list[str]) -> str:
    query = []
    for key, value in params.items():
        for v in value if isinstance(value, list) else [value]:
            query.append(f"{key}={quote(v)}")
    return f"/api/experiments/{experiment_id}/runs?" + "&".join(query)


INJECTIONS = [
    ("OR to widen the filter", {"filter": "params.alpha = '' OR 1=1 --"}, 400),
    ("statement after a semicolon", {"filter": "metrics.rmse < 1; DELETE FROM runs"}, 400),
    ("quote breaking out of a value", {"filter": 'tags.model = "x\'; DROP TABLE runs; --"'}, 200),
    ("UNION after a clause", {"filter": "params.alpha = 'a' UNION SELECT run_uuid FROM runs"}, 400),
    ("SQL in a key", {"filter": "params.`alpha') OR ('1'='1` = 'x'"}, 200),
    ("unquoted SQL as value", {"filter": "params.alpha = (SELECT value FROM params)"}, 400),
    ("SQL in order_by", {"order_by": "metrics.rmse; DROP TABLE runs"}, 400),
    ("subquery in order_by", {"order_by": "(SELECT 1) DESC"}, 400),
    ("SQL as experiment id", {}, 404),
    ("SQL as page size", {"limit": "1; DROP TABLE runs"}, 400),
]


@pytest.mark.parametrize(("why", "params", "expected"), INJECTIONS, ids=[i[0] for i in INJECTIONS])
def test_search_input_never_becomes_sql(ui_server, ui_store, why, params, expected):
    exp_id = "1 OR 1=1" if why == "SQL as experiment id" else experiment_id(ui_server)
    status, _, body = raw_get(ui_server, runs_api(quote(exp_id), **params))
    assert status == expected, body
    answer = json.loads(body)
    if status == 200:
        assert answer["runs"] == [] and answer["total"] == 0  # matched literally: nothing
    else:
        assert answer["message"]
    # Whatever was sent, every run is still there.
    assert total_runs(ui_server) == 25


def experiment_id(server) -> str:
    _, _, body = raw_get(server, "/api/experiments")
    return next(e for e in json.loads(body)["experiments"] if e["name"] == "taxi-duration")[
        "experiment_id"
    ]


def total_runs(server) -> int:
    _, _, body = raw_get(server, runs_api(experiment_id(server), limit="1"))
    return json.loads(body)["total"]


def test_pages_carry_security_headers_and_no_inline_script(ui_server):
    status, headers, body = raw_get(ui_server, "/")
    assert status == 200
    csp = headers["content-security-policy"]
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )
    assert "unsafe-eval" not in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in body  # scripts only by src=, which the CSP allows


def test_another_site_cannot_read_through_dns_rebinding(ui_server):
    # A page on evil.example that resolves its name to 127.0.0.1 sends that name as Host.
    status, _, body = raw_get(ui_server, "/api/experiments", host="evil.example:5000")
    assert status == 403 and "taxi-duration" not in body
    for name in (f"127.0.0.1:{ui_server.port}", f"localhost:{ui_server.port}"):
        status, _, _ = raw_get(ui_server, "/api/experiments", host=name)
        assert status == 200
