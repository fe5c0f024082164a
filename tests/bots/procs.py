"""Real server processes for the tests: `assistant serve` (or the Slack HTTP app) on a free loopback port.

A restart is a real one (the process is stopped and a new one started on the same state file),
and two processes are two interpreters: nothing is shared but the files under ``home``.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import httpx

__all__ = ["Server", "free_port", "server", "slack_server"]

_SERVE = "import sys; from assistant.cli import main; sys.argv[0] = 'assistant'; main()"
_SLACK = """
import sys, uvicorn
from slack_sdk import WebClient
from assistant.bots.settings import BotSettings
from assistant.bots.slack import make_slack_app, slack_http_app
settings = BotSettings()
client = WebClient(token="xoxb-test-token", base_url=sys.argv[2])
uvicorn.run(slack_http_app(make_slack_app(settings, client=client)), host="127.0.0.1", port=int(sys.argv[1]),
            log_level="warning")
"""


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path

    def stop(self) -> str:
        """Stop it as an operator would (SIGTERM, uvicorn shuts down); its log."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return self.log.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_for(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a server whose data, config and cache live under ``home`` (shared by its peers)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TSA_", "OPENAI_"))}
    env.update({"TSA_DATA_DIR": str(home / "data"), "TSA_CONFIG_DIR": str(home / "config"),
                "TSA_CACHE_DIR": os.environ.get("TSA_CACHE_DIR", str(home / "cache")),
                "TSA_RATE_USER_PER_MIN": "0", "TSA_RATE_WORKSPACE_PER_MIN": "0", **extra})
    return env


@contextmanager
def _started(argv: list[str], env: dict[str, str], log: Path, health: str) -> Iterator[Server]:
    port = int(argv[argv.index("--port") + 1]) if "--port" in argv else int(argv[-2])
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, *argv], env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    server = Server(url, process, log)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited ({process.returncode}): {log.read_text()[-3000:]}")
            try:
                if httpx.get(url + health, timeout=2).status_code < 500:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {log.read_text()[-3000:]}")
            time.sleep(0.1)
        yield server
    finally:
        server.stop()


@contextmanager
def server(home: Path, *args: str, name: str = "serve", **env: str) -> Iterator[Server]:
    """`assistant serve --port N ARGS` with its state under ``home``."""
    argv = ["-c", _SERVE, "serve", "--port", str(free_port()), "--log-level", "debug", *args]
    with _started(argv, env_for(home, **env), home / f"{name}-{time.monotonic_ns()}.log", "/healthz") as s:
        yield s


@contextmanager
def slack_server(home: Path, slack_api: str, name: str = "slack", **env: str) -> Iterator[Server]:
    """The Slack HTTP app (what `assistant bot slack --http` serves) talking to a fake Slack at ``slack_api``."""
    argv = ["-c", _SLACK, str(free_port()), slack_api]
    with _started(argv, env_for(home, **env), home / f"{name}-{time.monotonic_ns()}.log", "/slack/events") as s:
        yield s
