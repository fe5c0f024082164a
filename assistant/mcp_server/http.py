"""`assistant mcp --http`: streamable HTTP on 127.0.0.1, behind a bearer token.

Only loopback: an MCP server reads files and runs consultations, so it is not
for a network. Every request must carry ``Authorization: Bearer <TSA_MCP_TOKEN>``
(compared in constant time); anything else gets 401 before the SDK sees it. The
SDK's own transport security (Host/Origin checks against DNS rebinding) stays on.
"""
from __future__ import annotations

import hmac
import os
from typing import Any, Awaitable, Callable

from assistant.errors import AssistantError

__all__ = ["serve_http", "BearerGuard", "TOKEN_ENV", "HOST"]

TOKEN_ENV = "TSA_MCP_TOKEN"
HOST = "127.0.0.1"

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class BearerGuard:
    """ASGI middleware: HTTP requests without the token are answered 401."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], token: str) -> None:
        self.app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            given = dict(scope.get("headers") or []).get(b"authorization", b"")
            if not hmac.compare_digest(given, self._expected):
                await send({"type": "http.response.start", "status": 401,
                            "headers": [(b"content-type", b"application/json"), (b"www-authenticate", b"Bearer")]})
                await send({"type": "http.response.body", "body": b'{"error": "missing or wrong bearer token"}'})
                return
        await self.app(scope, receive, send)


def serve_http(server: Any, port: int) -> None:
    """Serve ``server`` (an MCPServer) on 127.0.0.1:``port`` until interrupted."""
    token = os.environ.get(TOKEN_ENV, "")
    if len(token) < 16:
        raise AssistantError(f"{TOKEN_ENV} is not set (or shorter than 16 characters): --http needs a token that "
                             "clients send as `Authorization: Bearer <token>`")
    import uvicorn

    app = BearerGuard(server.streamable_http_app(host=HOST), token)
    uvicorn.run(app, host=HOST, port=port, log_level="warning", log_config=None)
