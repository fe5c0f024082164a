"""A fake Slack Web API on 127.0.0.1 that records every call (the stack survey's recipe).

Serves what the bot uses: auth.test, apps.connections.open (pointing at a
``FakeSocketMode`` WebSocket), chat.postMessage/update/postEphemeral,
files.info with ``url_private`` downloads (bot token required), the two-step
external upload that ``files_upload_v2`` does (getUploadURLExternal, a POST of the
bytes to the returned URL, completeUploadExternal), and ``response_url`` posts.
Nothing leaves the machine: a test that reached real Slack would fail to resolve.
"""
from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

BOT_TOKEN = "xoxb-test-token"
BOT_USER = "UBOT"
TEAM = "T1"


@dataclass
class Call:
    """One request the fake received: the API method (or path), its parameters, headers and raw body."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    body: bytes = b""

    def text(self) -> str:
        return json.dumps(self.params, ensure_ascii=False) + self.body.decode("utf-8", "replace")


@dataclass
class FakeSlack:
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # id -> (name, content)
    refuse_post_to: set[str] = field(default_factory=set)  # channels where chat.postMessage says not_in_channel
    socket_url: str = ""  # what apps.connections.open hands out (a FakeSocketMode's URL)
    calls: list[Call] = field(default_factory=list)
    uploads: dict[str, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._ts = itertools.count(1)
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake._handle(self, b"")

            def do_POST(self) -> None:
                fake._handle(self, self.rfile.read(int(self.headers.get("content-length") or 0)))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add_file(self, file_id: str, name: str, content: bytes) -> dict[str, str]:
        """Register an upload; returns the file object an event carries."""
        self.files[file_id] = (name, content)
        return {"id": file_id, "name": name}

    # --- queries ---------------------------------------------------------------------------

    def named(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 60.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.named(method)
            if len(got) >= count:
                return got
            time.sleep(0.02)
        raise AssertionError(f"expected {count} {method} call(s), got {[c.method for c in self.calls]}")

    def everything_sent(self) -> str:
        """Every byte the bot sent to Slack, as text (for the secrets test)."""
        with self._lock:
            return "\n".join(c.text() for c in self.calls)

    # --- serving ---------------------------------------------------------------------------

    def _handle(self, req: BaseHTTPRequestHandler, body: bytes) -> None:
        url = urlsplit(req.path)
        params: dict[str, Any] = dict(parse_qsl(url.query))
        parts = url.path.strip("/").split("/")
        method = parts[1] if parts[0] == "api" else parts[0]
        ctype = req.headers.get("content-type") or ""
        if parts[0] in ("api", "respond") and body:  # uploads are raw bytes, not parameters
            params.update(json.loads(body) if "json" in ctype else parse_qsl(body.decode()))
        with self._lock:
            self.calls.append(Call(method, params, dict(req.headers), body))
        if parts[0] == "files" and len(parts) >= 2:
            return self._download(req, parts[1])
        if parts[0] == "upload":
            self.uploads[parts[1]] = body
            return self._send(req, 200, b"OK", "text/plain")
        if parts[0] == "respond":
            return self._send(req, 200, b"ok", "text/plain")
        self._send(req, 200, json.dumps(self._api(method, params)).encode(), "application/json")

    def _api(self, method: str, p: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER, "bot_id": "BBOT", "team_id": TEAM, "team": "Test",
                    "url": "https://test.slack.com/"}
        if method == "chat.postMessage":
            if p.get("channel") in self.refuse_post_to:
                return {"ok": False, "error": "not_in_channel"}
            return {"ok": True, "channel": p.get("channel"), "ts": f"2000.{next(self._ts):06d}"}
        if method in ("chat.update", "chat.postEphemeral"):
            return {"ok": True, "channel": p.get("channel"), "ts": p.get("ts") or "1.0", "message_ts": "1.0"}
        if method == "files.info":
            if p.get("file") not in self.files:
                return {"ok": False, "error": "file_not_found"}
            name, content = self.files[p["file"]]
            return {"ok": True, "file": {"id": p["file"], "name": name, "size": len(content),
                                         "url_private": f"{self.url}/files/{p['file']}/{name}"}}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.socket_url}
        if method == "files.getUploadURLExternal":
            fid = f"FUP{next(self._ts)}"
            return {"ok": True, "file_id": fid, "upload_url": f"{self.url}/upload/{fid}"}
        if method == "files.completeUploadExternal":
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in json.loads(p["files"])]}
        return {"ok": False, "error": "unknown_method"}

    def _download(self, req: BaseHTTPRequestHandler, file_id: str) -> None:
        if req.headers.get("authorization") != f"Bearer {BOT_TOKEN}":
            return self._send(req, 403, b"forbidden", "text/plain")
        if file_id not in self.files:
            return self._send(req, 404, b"not found", "text/plain")
        self._send(req, 200, self.files[file_id][1], "application/octet-stream")

    @staticmethod
    def _send(req: BaseHTTPRequestHandler, status: int, payload: bytes, ctype: str) -> None:
        req.send_response(status)
        req.send_header("content-type", ctype)
        req.send_header("content-length", str(len(payload)))
        req.end_headers()
        req.wfile.write(payload)


class FakeSocketMode:
    """Slack's Socket Mode end: a loopback WebSocket that says hello, pushes envelopes, records acks."""

    def __init__(self) -> None:
        from websockets.sync.server import serve

        self.outbox: list[dict[str, Any]] = []
        self.acks: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self.server = serve(self._session, "127.0.0.1", 0)
        self.url = f"ws://127.0.0.1:{self.server.socket.getsockname()[1]}/link"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def push(self, payload: dict[str, Any], kind: str = "events_api") -> str:
        envelope_id = f"env-{len(self.outbox) + 1}"
        self.outbox.append({"envelope_id": envelope_id, "type": kind, "payload": payload,
                            "accepts_response_payload": kind != "events_api"})
        return envelope_id

    def close(self) -> None:
        self._stop.set()
        self.server.shutdown()

    def _session(self, ws: Any) -> None:
        ws.send(json.dumps({"type": "hello", "num_connections": 1}))
        sent = 0
        while not self._stop.is_set():
            while sent < len(self.outbox):
                ws.send(json.dumps(self.outbox[sent]))
                sent += 1
            try:
                message = ws.recv(timeout=0.05)
            except TimeoutError:
                continue
            except Exception:  # the client went away
                return
            self.acks.append(json.loads(message))
