"""The real `assistant` process in a real terminal (tmux): type a symptom, attach a log, read the screen.

Pilot drives the app in-process; this drives what a person runs, through a pty,
with the installed console script, so start-up, key handling and the screen a
terminal actually receives are all covered.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .helpers import EXAMPLES

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None,
                                reason="tmux is not installed (apt-get install -y tmux) so no real terminal can be driven")

ASSISTANT = Path(sys.executable).parent / "assistant"


class Terminal:
    """One detached tmux session on its own server socket, so nothing else's tmux is touched."""

    def __init__(self, command: str, env: dict[str, str], width: int = 100, height: int = 30) -> None:
        self.socket = f"tsa-test-{os.getpid()}-{time.monotonic_ns()}"
        self._tmux("new-session", "-d", "-x", str(width), "-y", str(height), command, env=env)
        self.socket_path = Path(self._tmux("display-message", "-p", "#{socket_path}").strip())

    def _tmux(self, *args: str, env: dict[str, str] | None = None) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, env=env,
                              check=True, timeout=20).stdout

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p")

    def type(self, text: str) -> None:
        self._tmux("send-keys", "-l", text)
        self._tmux("send-keys", "Enter")

    def press(self, key: str) -> None:
        self._tmux("send-keys", key)

    def wait_for(self, *texts: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if all(t in screen for t in texts):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{texts} never appeared; the screen shows:\n{self.screen()}")

    def alive(self) -> bool:
        return subprocess.run(["tmux", "-L", self.socket, "has-session"], capture_output=True).returncode == 0

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)
        self.socket_path.unlink(missing_ok=True)


@pytest.fixture
def terminal(user_dirs: Path):
    env = {**os.environ, "TERM": "xterm-256color"}
    keep = " ".join(f"{k}={env[k]}" for k in ("TSA_CACHE_DIR", "TSA_DATA_DIR"))
    term = Terminal(f"cd {EXAMPLES.parent} && env {keep} {ASSISTANT}", env)
    try:
        yield term
    finally:
        term.close()


def test_a_short_consultation_in_a_real_terminal(terminal: Terminal) -> None:
    terminal.wait_for("Tell me what goes wrong", "Quit", "Findings")
    terminal.type("my loss goes to nan")
    screen = terminal.wait_for("NaN triage", "1 yes")  # a diagnosis in the panel, the question's buttons
    assert "0 files" in screen

    terminal.type(f"/attach {EXAMPLES / 'lora-nan' / 'train.log'}")
    # the finished turn (the title counts the file), read from its top: the line the user typed and what was read
    # (the title is set a frame before the scroll: wait for the screen that shows both)
    screen = terminal.wait_for("1 file ·", "Gradient explosion", "first NaN", "Read train.log as stdout_log")
    assert "✖213" in screen  # the chart marks the NaN at its step

    terminal.type("1")  # answers the pending question by its number
    terminal.wait_for("What changed")

    terminal.press("C-q")
    deadline = time.monotonic() + 10
    while terminal.alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not terminal.alive(), "Ctrl+Q did not end the chat"
