"""`assistant mcp --http`: streamable HTTP on 127.0.0.1, only with the bearer token."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator

import anyio
import pytest

pytest.importorskip("mcp")
httpx2 = pytest.importorskip("httpx2")

from mcp import Client  # noqa: E402
from mcp.client.streamable_http import streamable_http_client  # noqa: E402

BIN = Path(sys.executable).parent
TOKEN = "a-token-of-at-least-sixteen-characters"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen([str(BIN / "assistant"), "mcp", "--http", "--port", str(port), "--root", str(tmp_path)],
                            env={**os.environ, "TSA_MCP_TOKEN": TOKEN}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if proc.poll() is not None:
                raise AssertionError(proc.stderr.read().decode() if proc.stderr else "server exited")
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}/mcp"
    proc.terminate()
    proc.wait(10)


def post(url: str, token: str | None) -> int:
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=b'{"jsonrpc": "2.0", "id": 1, "method": "ping"}', headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as e:
        return e.code


def test_requests_without_the_token_are_refused_and_the_client_works_with_it(http_server: str) -> None:
    assert post(http_server, None) == 401
    assert post(http_server, "wrong-token-wrong-token") == 401

    async def session() -> set[str]:
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"})
        async with Client(streamable_http_client(http_server, http_client=http)) as client:
            return {t.name for t in (await client.list_tools()).tools}

    assert "diagnose" in anyio.run(session)


def test_http_needs_a_token(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TSA_MCP_TOKEN"}
    proc = subprocess.run([str(BIN / "assistant"), "mcp", "--http", "--port", str(free_port())], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "TSA_MCP_TOKEN is not set" in proc.stderr and "Traceback" not in proc.stderr
