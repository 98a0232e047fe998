"""Logging in to the tracking server: basic auth from a password file, bearer tokens.

- ``--basic-auth-file``: lines ``user:scrypt$<n>$<r>$<p>$<salt>$<hash>`` (salt and hash
  in base64), written by ``minitrack server add-user``; scrypt is stdlib's
  ``hashlib.scrypt``, slow on purpose, with a salt per user.
- ``--token-file``: one bearer token per line (``#`` comments); MLflow's client sends
  ``MLFLOW_TRACKING_TOKEN`` as ``Authorization: Bearer <token>``.

Comparisons are constant-time. A correct password is remembered (as an HMAC under a
key made at start-up) so a busy client pays scrypt once, not per request. Failed logins
are counted per client address: after a few, that address must wait, longer each time,
before any attempt is checked (429 with Retry-After), so passwords cannot be guessed
quickly. Every request but ``/health`` needs a login, reads and the UI pages included.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import threading
import time
from collections import OrderedDict

from minitrack.exceptions import MinitrackException
from minitrack.server.security import send_json_error

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_TOKEN_LENGTH = 16
FREE_FAILURES = 5  # failed logins an address may make before it has to wait
MAX_LOCKOUT_S = 300
_TRACKED_ADDRESSES = 10_000
_USER_RE = re.compile(r"[A-Za-z0-9._@+-]{1,128}")
OPEN_PATHS = ("/health",)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        expected = base64.b64decode(digest, validate=True)
        got = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt, validate=True),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=2**26,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def check_username(user: str) -> str:
    if not isinstance(user, str) or not _USER_RE.fullmatch(user):
        raise MinitrackException(
            f"Invalid user name {user!r}: use 1-128 letters, digits or . _ @ + -."
        )
    return user


def read_users(path: str) -> dict[str, str]:
    users = {}
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            user, sep, stored = line.partition(":")
            if not sep or not _USER_RE.fullmatch(user) or not stored.startswith("scrypt$"):
                raise MinitrackException(
                    f"{path}, line {number}: expected 'user:scrypt$...' as written by "
                    "`minitrack server add-user`."
                )
            users[user] = stored
    return users


def read_tokens(path: str) -> list[bytes]:
    tokens = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            token = line.strip()
            if not token or token.startswith("#"):
                continue
            if len(token) < MIN_TOKEN_LENGTH or any(c.isspace() for c in token):
                raise MinitrackException(
                    f"{path}, line {number}: a token must be at least {MIN_TOKEN_LENGTH} "
                    'characters without spaces, e.g. from `python -c "import secrets; '
                    'print(secrets.token_urlsafe(32))"`.'
                )
            tokens.append(hashlib.sha256(token.encode()).digest())
    return tokens


def add_user(path: str, user: str, password: str) -> bool:
    """Add ``user`` (or change their password) in the file; True when the user was new."""
    check_username(user)
    if not password:
        raise MinitrackException("The password is empty: choose one.")
    lines: list[str] = []
    if os.path.exists(path):
        read_users(path)  # refuse to rewrite a file we cannot read
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    entry = f"{user}:{hash_password(password)}"
    new = True
    for i, line in enumerate(lines):
        if line.strip().partition(":")[0] == user:
            lines[i], new = entry, False
    if new:
        lines.append(entry)
    temp = f"{path}.tmp-{secrets.token_hex(4)}"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    os.replace(temp, path)
    return new


class Authenticator:
    """Checks an Authorization header against the users and tokens, with a backoff."""

    def __init__(self, users: dict[str, str] | None = None, tokens: list[bytes] | None = None):
        self.users = users or {}
        self.tokens = tokens or []
        if not self.users and not self.tokens:
            raise MinitrackException(
                "The authentication files hold no user and no token: add a user with "
                "`minitrack server add-user` or a token line to the token file."
            )
        self._key = secrets.token_bytes(32)
        self._known: OrderedDict[bytes, str] = OrderedDict()
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def from_files(cls, basic_auth_file: str | None, token_file: str | None) -> Authenticator:
        users = read_users(basic_auth_file) if basic_auth_file else {}
        tokens = read_tokens(token_file) if token_file else []
        return cls(users, tokens)

    @property
    def challenge(self) -> str:
        return 'Basic realm="minitrack", charset="UTF-8"' if self.users else "Bearer"

    def wait_s(self, address: str) -> float:
        """Seconds ``address`` must still wait before a login is checked (0: none)."""
        with self._lock:
            failures, until = self._failures.get(address, (0, 0.0))
        return max(0.0, until - time.monotonic())

    def _failed(self, address: str) -> None:
        with self._lock:
            failures, _ = self._failures.pop(address, (0, 0.0))
            failures += 1
            wait = 0.0 if failures < FREE_FAILURES else min(2 ** (failures - FREE_FAILURES),
                                                            MAX_LOCKOUT_S)  # fmt: skip
            self._failures[address] = (failures, time.monotonic() + wait)
            while len(self._failures) > _TRACKED_ADDRESSES:
                self._failures.popitem(last=False)

    def _succeeded(self, address: str) -> None:
        with self._lock:
            self._failures.pop(address, None)

    def check(self, header: str | None, address: str) -> str | None:
        """The user (or 'token') an Authorization header proves, else None (counted)."""
        who = self._verify(header) if header else None
        if who is None:
            if header:
                self._failed(address)
        else:
            self._succeeded(address)
        return who

    def _verify(self, header: str) -> str | None:
        scheme, _, value = header.strip().partition(" ")
        value = value.strip()
        if scheme.lower() == "bearer" and self.tokens:
            digest = hashlib.sha256(value.encode("utf-8", "replace")).digest()
            found = False
            for token in self.tokens:
                found |= hmac.compare_digest(digest, token)
            return "token" if found else None
        if scheme.lower() != "basic" or not self.users:
            return None
        try:
            user, sep, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        if not sep:
            return None
        remembered = hmac.new(self._key, f"{user}\0{password}".encode(), "sha256").digest()
        with self._lock:
            if self._known.get(remembered) == user:
                return user
        stored = self.users.get(user)
        # A missing user costs the same scrypt as a wrong password: no telling which it was.
        ok = verify_password(password, stored or _DUMMY_HASH) and stored is not None
        if not ok:
            return None
        with self._lock:
            self._known[remembered] = user
            while len(self._known) > 1000:
                self._known.popitem(last=False)
        return user


_DUMMY_HASH = hash_password(secrets.token_hex(8))


class AuthMiddleware:
    """Every HTTP request but /health must log in; failures are JSON 401 (or 429)."""

    def __init__(self, app, authenticator: Authenticator) -> None:
        self.app = app
        self.auth = authenticator

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope.get("path") in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        import anyio.to_thread

        address = (scope.get("client") or ("?", 0))[0]
        header = None
        for key, value in scope.get("headers", []):
            if key == b"authorization":
                header = value.decode("latin-1")
        wait = self.auth.wait_s(address)
        if wait > 0 and header:
            await send_json_error(
                send,
                429,
                "REQUEST_LIMIT_EXCEEDED",
                f"Too many failed logins from {address}: wait {wait:.0f} s before trying again.",
                [(b"retry-after", str(max(1, round(wait))).encode())],
            )
            return
        who = await anyio.to_thread.run_sync(self.auth.check, header, address)
        if who is None:
            message = (
                "Wrong user name, password or token."
                if header
                else "This tracking server needs a login: set MLFLOW_TRACKING_USERNAME and "
                "MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN) for the mlflow client."
            )
            await send_json_error(
                send,
                401,
                "UNAUTHENTICATED",
                message,
                [(b"www-authenticate", self.auth.challenge.encode())],
            )
            return
        scope.setdefault("state", {})["user"] = who
        await self.app(scope, receive, send)
