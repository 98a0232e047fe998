"""Security headers on every response, and the Host check (policy in ``hosts.py``).

The pages load only our own scripts (no inline script, no eval), so the
Content-Security-Policy can forbid everything else. Plotly sets inline
styles on the elements it draws, hence ``style-src 'unsafe-inline'``.
"""

from __future__ import annotations

import json

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

HEADERS = {
    b"x-content-type-options": b"nosniff",
    b"x-frame-options": b"DENY",
    b"referrer-policy": b"no-referrer",
    b"cross-origin-opener-policy": b"same-origin",
    b"content-security-policy": PAGE_CSP.encode(),
}


class SecurityHeadersMiddleware:
    """Adds HEADERS to each HTTP response unless the endpoint set its own value."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in HEADERS.items():
                    if name not in present:
                        headers.append((name, value))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


# Answered whatever the Host, as MLflow does: load balancers probe it by IP, and it says only OK.
HOST_CHECK_EXEMPT = ("/health",)


class HostCheckMiddleware:
    """Answers only requests whose Host header the policy allows (DNS rebinding);
    anything else, a missing, repeated or malformed Host included, gets a 403 JSON error."""

    def __init__(self, app, policy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope.get("path") not in HOST_CHECK_EXEMPT:
            hosts = [v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"host"]
            if len(hosts) != 1 or not self.policy.allows(hosts[0]):
                await self._refuse(send, hosts)
                return
        await self.app(scope, receive, send)

    async def _refuse(self, send, hosts: list[str]) -> None:
        shown = repr(hosts[0]) if len(hosts) == 1 else f"{len(hosts)} Host headers"
        message = (
            f"Host {shown} is not allowed here (a guard against DNS rebinding): open the UI "
            "at the address `minitrack ui` printed, or add this host to its --allowed-hosts."
        )
        body = json.dumps({"error_code": "PERMISSION_DENIED", "message": message}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 403,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class CrossSiteWriteMiddleware:
    """Refuses a write (POST, PUT, PATCH, DELETE) that a browser says comes from another
    site. The REST API also takes JSON only, which a cross-site form cannot send, and
    sends no CORS headers, so a foreign page can neither post nor read the answer; this
    check adds the browser's own word (Origin, Sec-Fetch-Site) as a second lock."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope.get("method") not in SAFE_METHODS:
            headers = {k: v.decode("latin-1") for k, v in scope.get("headers", [])}
            origin = headers.get(b"origin")
            host = headers.get(b"host", "")
            site = headers.get(b"sec-fetch-site")
            foreign = site == "cross-site" or (
                origin is not None and origin.split("://", 1)[-1].lower() != host.lower()
            )
            if foreign:
                await send_json_error(
                    send,
                    403,
                    "PERMISSION_DENIED",
                    f"Cross-site write refused (Origin {origin!r}, Host {host!r}): the tracking "
                    "server takes writes only from its own pages and from API clients.",
                )
                return
        await self.app(scope, receive, send)


async def send_json_error(send, status: int, code: str, message: str, extra=()) -> None:
    """Answer from a middleware in MLflow's error shape, without reaching the app."""
    body = json.dumps({"error_code": code, "message": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
