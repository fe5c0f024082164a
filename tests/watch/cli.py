"""`assistant watch --json` as a subprocess, its events collected with their arrival times."""
from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

EXE = str(Path(sys.executable).parent / "assistant")

Event = dict[str, Any]


class WatchProcess:
    """The real CLI, started with ``args``; ``events`` are (arrival time, event) in order."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen([EXE, "watch", "--json", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env={**os.environ, **(env or {})})
        self.events: list[tuple[float, Event]] = []
        self._queue: queue.Queue[tuple[float, Event] | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put((time.monotonic(), json.loads(line)))
        self._queue.put(None)

    def wait_for(self, pred: Callable[[Event], bool], timeout: float = 60.0) -> tuple[float, Event]:
        """The first event (arrived so far or later) matching ``pred``; AssertionError after ``timeout``."""
        for got in self.events:
            if pred(got[1]):
                return got
        deadline = time.monotonic() + timeout
        while True:
            try:
                got = self._queue.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no such event within {timeout}s; got {[e['event'] for _, e in self.events]}")
            if got is None:
                raise AssertionError(f"watch ended ({self.proc.wait()}) without such an event; got "
                                     f"{[e['event'] for _, e in self.events]}; stderr: {self.stderr()}")
            self.events.append(got)
            if pred(got[1]):
                return got

    def finish(self, timeout: float = 60.0) -> int:
        """Wait for the process to exit by itself and collect what it said."""
        code = self.proc.wait(timeout)
        while (got := self._queue.get(timeout=10)) is not None:
            self.events.append(got)
        return code

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def stderr(self) -> str:
        return self.proc.stderr.read() if self.proc.stderr and self.proc.poll() is not None else ""

    def named(self, kind: str) -> list[Event]:
        return [e for _, e in self.events if e["event"] == kind]


def is_(kind: str, **fields: Any) -> Callable[[Event], bool]:
    return lambda e: e["event"] == kind and all(e.get(k) == v for k, v in fields.items())
