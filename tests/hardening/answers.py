"""The API's promise, checked on each answer: 2xx, a JSON 4xx, or a JSON 503 when locked."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from urllib.parse import quote


def _ui_fixtures():
    """tests/ui/conftest.py (RunningServer, raw_get), the module pytest loads as ui.conftest."""
    name = "ui.conftest"
    if name not in sys.modules:
        path = Path(__file__).parents[1] / "ui" / "conftest.py"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # before running it: its dataclass looks itself up
        spec.loader.exec_module(module)
    return sys.modules[name]


RunningServer = _ui_fixtures().RunningServer
raw_get = _ui_fixtures().raw_get


def segment(value: str) -> str:
    """One path segment, percent-encoded (a '/' inside it stays inside it)."""
    return quote(value, safe="")


def api_get(server: RunningServer, target: str) -> tuple[int, dict, str]:
    """GET ``target`` and check the answer's shape; returns (status, headers, body)."""
    status, headers, body = raw_get(server, target)
    assert status < 500 or status == 503, f"{target} answered {status}: {body[:300]}"
    if status >= 400:
        assert headers.get("content-type", "").startswith("application/json"), (
            f"{target} answered {status} as {headers.get('content-type')}: {body[:300]}"
        )
        payload = json.loads(body)
        assert set(payload) == {"error_code", "message"}, payload
        assert payload["message"], payload
        if status == 503:
            assert payload["error_code"] == "TEMPORARILY_UNAVAILABLE"
            assert "retry-after" in headers
    elif headers.get("content-type", "").startswith("application/json"):
        json.loads(body)
    return status, headers, body


def api_json(server: RunningServer, target: str) -> tuple[int, dict]:
    status, _, body = api_get(server, target)
    return status, json.loads(body)
