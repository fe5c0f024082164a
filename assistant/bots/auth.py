"""Who may call the HTTP API: a bearer token by default, as Jupyter does.

Training boxes are shared, so loopback is no boundary: without ``TSA_API_TOKENS`` the
server makes a token at first start, keeps it in the user's config dir readable by that
user alone (0600 in a 0700 folder), and says how to use it without printing it.
``--no-auth`` is an explicit choice, accepted only on loopback. Tokens are compared in
constant time (digests of equal length, every token compared) and never logged: a
caller is known by a short fingerprint of its token.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import os
import secrets
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from starlette.types import ASGIApp, Receive, Scope, Send

from assistant.errors import AssistantError
from assistant.paths import config_dir

__all__ = ["ApiAuth", "BearerAuth", "OPEN_PATHS", "ensure_token", "is_loopback", "token_file", "usage"]

TOKEN_FILE = "api-token"
OPEN_PATHS = frozenset({"/healthz", "/slack/events"})  # a health check; Slack signs its own requests


def is_loopback(host: str) -> bool:
    """Only this machine can reach a server bound here (`localhost` included)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def token_file() -> Path:
    return config_dir() / TOKEN_FILE


def ensure_token(path: Path | None = None) -> tuple[str, bool]:
    """(the token kept at ``path``, whether it was made now); made 0600 when there is none.

    AssistantError when the file is readable by others: a token anyone can read guards nothing.
    """
    path = path or token_file()
    for _ in range(50):  # another server may be writing it this very moment
        token = _read_private(path)
        if token:
            return token, False
        if token is None:
            try:
                return _create(path), True
            except FileExistsError:
                pass
        time.sleep(0.01)
    raise AssistantError(f"{path}: the API token file is empty; delete it to have a new token made")


def _read_private(path: Path) -> str | None:
    """The token in the file ("" while empty), or None when there is no file."""
    try:
        st = path.stat()
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as e:
        raise AssistantError(f"{path}: the API token cannot be read ({e.strerror or e})") from None
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise AssistantError(f"{path}: the API token is readable by other users (mode {stat.S_IMODE(st.st_mode):o}); "
                             f"run chmod 600 {path}")
    return text.strip()


def _create(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    token = "tsa_" + secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(token + "\n")
    return token


def usage(path: Path, base_url: str, created: bool) -> str:
    """How to call the API with the stored token; the token itself is not shown (terminals get logged)."""
    made = "A token for the API was made" if created else "The API token is"
    return (f"{made} in {path} (readable only by you). Call the API with it:\n"
            f"  curl -H \"Authorization: Bearer $(cat {path})\" {base_url}/v1/consultations -d '{{}}' "
            "-H 'content-type: application/json'\n"
            "Set TSA_API_TOKENS to choose tokens yourself, or pass --no-auth on loopback to serve without one.")


def _digest(token: bytes) -> bytes:
    return hashlib.sha256(token).digest()


@dataclass(frozen=True)
class ApiAuth:
    """The tokens the API accepts (as digests), or none at all (``--no-auth``, loopback only)."""

    digests: tuple[bytes, ...]
    required: bool = True

    @classmethod
    def tokens(cls, tokens: list[str]) -> "ApiAuth":
        if not tokens:
            raise AssistantError("the HTTP API needs at least one token (TSA_API_TOKENS), or --no-auth on loopback")
        return cls(tuple(_digest(t.encode()) for t in tokens))

    @classmethod
    def none(cls) -> "ApiAuth":
        return cls((), required=False)

    def caller(self, authorization: bytes | None, client: str) -> str | None:
        """Who is calling: a token's fingerprint, the client's address without auth; None when refused."""
        if not self.required:
            return f"addr:{client}"
        scheme, _, given = (authorization or b"").partition(b" ")
        if scheme.lower() != b"bearer" or not given.strip():
            return None
        digest = _digest(given.strip())
        ok = False
        for known in self.digests:  # every one compared: how many match leaks nothing about which
            ok |= hmac.compare_digest(digest, known)
        return "token:" + digest.hex()[:12] if ok else None


class BearerAuth:
    """ASGI middleware: every HTTP request but ``OPEN_PATHS`` needs a known token (401 otherwise).

    Pure ASGI, ahead of routing, so nothing (the docs, the schema, an unknown path) answers an
    unauthenticated caller with more than 401. The caller's identity goes to ``scope["state"]``.
    """

    def __init__(self, app: ASGIApp, auth: ApiAuth, open_paths: frozenset[str] = OPEN_PATHS) -> None:
        self.app, self.auth, self.open_paths = app, auth, open_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.open_paths:
            return await self.app(scope, receive, send)
        client = scope.get("client") or ("unknown", 0)
        header = dict(scope["headers"]).get(b"authorization")
        who = self.auth.caller(header, str(client[0]))
        if who is None:
            body = json.dumps({"detail": "missing or wrong bearer token"}).encode()
            await send({"type": "http.response.start", "status": 401,
                        "headers": [(b"content-type", b"application/json"), (b"www-authenticate", b"Bearer"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        scope.setdefault("state", {})["caller"] = who
        await self.app(scope, receive, send)
