"""Security headers on every response.

The pages load only our own scripts (no inline script, no eval), so the
Content-Security-Policy can forbid everything else. Plotly sets inline
styles on the elements it draws, hence ``style-src 'unsafe-inline'``.
"""

from __future__ import annotations

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


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1", "[::1]")


def is_loopback(host: str) -> bool:
    return host in LOOPBACK_NAMES or host.startswith("127.")


class LoopbackHostMiddleware:
    """Refuses requests whose Host header is not a loopback name (DNS rebinding).

    A web page on another site could point its own domain at 127.0.0.1 and read
    the runs through the visitor's browser; its requests carry that domain as Host.
    Used only when the server listens on a loopback address.
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            host = dict(scope.get("headers", [])).get(b"host", b"").decode("latin-1")
            name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            if name and not is_loopback(name.lower()):
                body = (
                    f"Host {host!r} is not allowed: this minitrack UI listens on a loopback "
                    "address; open it as http://127.0.0.1:<port> (or start it with --host)."
                ).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 403,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8")],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
