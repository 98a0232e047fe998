"""HTTP to a tracking server: one session per server, auth from the environment, retries.

What MLflow's ``rest_utils`` does for its client, in small: credentials from
``MLFLOW_TRACKING_USERNAME``/``MLFLOW_TRACKING_PASSWORD`` (basic) or
``MLFLOW_TRACKING_TOKEN`` (bearer); a timeout on every request
(``MLFLOW_HTTP_REQUEST_TIMEOUT``, seconds); retries with exponential backoff
(``MLFLOW_HTTP_REQUEST_MAX_RETRIES``, ``MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR``) when the
request never got an answer (connection refused or reset, timeout) or the answer says
"try again": 429, 502, 503 and 504, honouring ``Retry-After``. Any other answer of the
server's (400, 404, 500, ...) is final: its error JSON becomes a ``MinitrackException``
with MLflow's ``error_code``. A server that never answers gives one message saying how
to start one.

``requests`` is imported here, inside functions, so ``import minitrack`` never loads it.
"""

from __future__ import annotations

import os
import threading
import time

from minitrack.exceptions import (
    INTERNAL_ERROR,
    INVALID_PARAMETER_VALUE,
    RESOURCE_DOES_NOT_EXIST,
    TEMPORARILY_UNAVAILABLE,
    MinitrackException,
)

USERNAME_ENV = "MLFLOW_TRACKING_USERNAME"
PASSWORD_ENV = "MLFLOW_TRACKING_PASSWORD"
TOKEN_ENV = "MLFLOW_TRACKING_TOKEN"
TIMEOUT_ENV = "MLFLOW_HTTP_REQUEST_TIMEOUT"
MAX_RETRIES_ENV = "MLFLOW_HTTP_REQUEST_MAX_RETRIES"
BACKOFF_ENV = "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR"

# Smaller than MLflow's (120 s, 7 retries, factor 2): a student whose server is not
# running should hear so in seconds, not minutes. The environment overrides them.
DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_RETRIES = 4
DEFAULT_BACKOFF = 0.5
MAX_SLEEP = 30.0  # no single wait is longer, whatever Retry-After asks

RETRY_STATUSES = frozenset({429, 502, 503, 504})
# The status MLflow's server gives each error code, for answers without error JSON.
_CODE_FOR_STATUS = {400: INVALID_PARAMETER_VALUE, 404: RESOURCE_DOES_NOT_EXIST}


class ServerUnreachable(MinitrackException):
    """No tracking server answered at the URL (after the retries)."""


def _env_number(name: str, default: float, kind=float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise MinitrackException(
            f"{name}={raw!r} is not a number: set it to e.g. {kind(default)!r}, or unset it."
        ) from None
    if value < 0:
        raise MinitrackException(f"{name}={raw!r} must be >= 0.")
    return value


def _retry_after(response) -> float | None:
    """Seconds from a Retry-After header (a number; an HTTP date is taken as 'soon')."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


class HttpClient:
    """Requests to one server; thread-safe (one requests.Session per thread).

    ``credentials`` says whether the environment's credentials go with each request: only
    to the tracking server itself, never to another host a run's artifact URI names.
    """

    def __init__(self, base_url: str, credentials: bool = True) -> None:
        self.base_url = base_url
        self.credentials = credentials
        self._local = threading.local()

    # -- the session --------------------------------------------------------------------

    def _session(self):
        session = getattr(self._local, "session", None)
        if session is None:
            import requests

            session = requests.Session()
            session.headers["User-Agent"] = "minitrack"
            self._local.session = session
        return session

    def _auth_headers(self) -> dict[str, str]:
        # Read at every request, like MLflow, so a notebook can set them after connecting.
        if not self.credentials:
            return {}
        token = os.environ.get(TOKEN_ENV)
        user, password = os.environ.get(USERNAME_ENV), os.environ.get(PASSWORD_ENV)
        if user and password:
            import base64

            pair = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
            return {"Authorization": f"Basic {pair}"}
        if token:
            return {"Authorization": f"Bearer {token}"}
        return {}

    # -- requests -----------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict | None = None,
        json: dict | None = None,
        data=None,
        headers: dict | None = None,
        stream: bool = False,
        expect_json: bool = True,
    ):
        """Send one request (``path`` under the base URL), retried as the module says.

        ``data`` may be a callable returning a fresh body (an open file) for each
        attempt, so an upload can be retried. Returns the parsed JSON (``expect_json``)
        or the response itself.
        """
        import requests

        timeout = _env_number(TIMEOUT_ENV, DEFAULT_TIMEOUT)
        retries = int(_env_number(MAX_RETRIES_ENV, DEFAULT_MAX_RETRIES, int))
        backoff = _env_number(BACKOFF_ENV, DEFAULT_BACKOFF)
        url = self.base_url + path
        all_headers = {**self._auth_headers(), **(headers or {})}
        attempt = 0
        while True:
            body = data() if callable(data) else data
            try:
                response = self._session().request(
                    method,
                    url,
                    params=params,
                    json=json,
                    data=body,
                    headers=all_headers,
                    timeout=timeout,
                    stream=stream,
                )
            except (requests.ConnectionError, requests.Timeout) as error:
                if attempt >= retries:
                    raise self._unreachable(error) from None
                wait = None
            except requests.RequestException as error:
                raise MinitrackException(
                    f"Request to the tracking server {self.base_url} failed: {error}",
                    INTERNAL_ERROR,
                ) from None
            else:
                if response.status_code not in RETRY_STATUSES or attempt >= retries:
                    return self._result(response, expect_json, method, path)
                wait = _retry_after(response)
                response.close()
            finally:
                if hasattr(body, "close"):
                    body.close()
            if wait is None:
                wait = backoff * (2**attempt) * (1 + (time.perf_counter_ns() % 1000) / 4000)
            time.sleep(min(wait, MAX_SLEEP))
            attempt += 1

    def _unreachable(self, error) -> ServerUnreachable:
        import requests

        if isinstance(error, requests.Timeout) and not isinstance(error, requests.ConnectTimeout):
            return ServerUnreachable(
                f"The tracking server at {self.base_url} did not answer in time ({error}). "
                f"Check that it is not overloaded, or raise {TIMEOUT_ENV} (seconds).",
                TEMPORARILY_UNAVAILABLE,
            )
        return ServerUnreachable(
            f"no tracking server answers at {self.base_url}: start one with "
            "`minitrack server ...`, or use sqlite:///mlflow.db",
            TEMPORARILY_UNAVAILABLE,
        )

    def _result(self, response, expect_json: bool, method: str, path: str):
        if response.status_code < 400:
            if not expect_json:
                return response
            try:
                return response.json() if response.content else {}
            except ValueError:
                raise MinitrackException(
                    f"The server at {self.base_url} answered {method} {path} with something "
                    f"that is not JSON ({response.text[:120]!r}): is {self.base_url} a "
                    "tracking server (minitrack server or mlflow server)?",
                    INTERNAL_ERROR,
                ) from None
        raise self._error(response, method, path)

    def _error(self, response, method: str, path: str) -> MinitrackException:
        status = response.status_code
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if isinstance(payload, dict) and "message" in payload:
            code = str(payload.get("error_code") or _CODE_FOR_STATUS.get(status, INTERNAL_ERROR))
            return MinitrackException(str(payload["message"]), code)
        if status in (401, 403):
            return MinitrackException(
                f"The tracking server at {self.base_url} refused the request ({status}): "
                f"set {USERNAME_ENV} and {PASSWORD_ENV}, or {TOKEN_ENV}, to credentials it "
                "accepts.",
                "PERMISSION_DENIED" if status == 403 else "UNAUTHENTICATED",
            )
        if status == 404:
            return MinitrackException(
                f"The server at {self.base_url} has no {method} {path} (404): is it a "
                "tracking server of MLflow 3 or minitrack, and is the URI its root?",
                "ENDPOINT_NOT_FOUND",
            )
        text = response.text[:200] if response.text else ""
        return MinitrackException(
            f"The tracking server at {self.base_url} answered {method} {path} with HTTP "
            f"{status}: {text}",
            _CODE_FOR_STATUS.get(status, INTERNAL_ERROR),
        )


_clients: dict[tuple[str, bool], HttpClient] = {}
_clients_lock = threading.Lock()


def client_for(base_url: str, credentials: bool = True) -> HttpClient:
    """The (shared) HttpClient of a server base URL."""
    with _clients_lock:
        client = _clients.get((base_url, credentials))
        if client is None:
            client = _clients[(base_url, credentials)] = HttpClient(base_url, credentials)
        return client
