"""A stub OpenAI-compatible server on 127.0.0.1 that records every request it receives.

POST /v1/chat/completions answers with `stub.reply` as JSON, or as SSE chunks
when the request asks to stream; `stub.delay` makes it sleep first (timeouts).
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import assistant.retrieval as retrieval
from assistant.llm.settings import LLMSettings


@dataclass
class Stub:
    port: int = 0
    reply: str = "Clip the gradients first [1]."
    delay: float = 0.0
    requests: list[dict] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def settings(self, timeout: float = 5.0) -> LLMSettings:
        return LLMSettings(model="stub-model", base_url=self.base_url, api_key="sk-test-key", timeout=timeout)

    def received(self) -> str:
        """Everything the stub was sent, as one string (to search for leaks)."""
        return json.dumps(self.requests)


def _handler(stub: Stub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep pytest output clean
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            stub.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            if stub.delay:
                time.sleep(stub.delay)
            if body.get("stream"):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                words = stub.reply.split(" ")
                for i, w in enumerate(words):
                    chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": body["model"],
                             "choices": [{"index": 0, "delta": {"content": w if i == 0 else " " + w},
                                          "finish_reason": None}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")
                return
            payload = json.dumps({
                "id": "c1", "object": "chat.completion", "created": 0, "model": body["model"],
                "choices": [{"index": 0, "message": {"role": "assistant", "content": stub.reply},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler


@pytest.fixture
def stub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A running stub. Cache, config and index are isolated per test; the index is
    lexical-only (built in a blink), since these tests are about the prompt, not ranking."""
    monkeypatch.setenv("TSA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("TSA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TSA_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setattr("assistant.retrieval.embedder.model_dir", lambda: None)
    monkeypatch.setattr("assistant.retrieval.embedder.load_embedder", lambda: None)
    retrieval._cached_index.cache_clear()
    s = Stub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(s))
    server.daemon_threads = True
    s.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield s
    server.shutdown()
    server.server_close()
    retrieval._cached_index.cache_clear()
