"""Time caps for probes that call into drivers: a hung driver must not hang `ask`.

A library call cannot be interrupted from Python, so it runs in a daemon thread
and is abandoned (not killed) when its time is up; the thread holds no lock the
rest of the probe needs. Subprocesses get `subprocess.run(timeout=...)` instead,
which does kill them.
"""
from __future__ import annotations

import threading
from typing import Callable, TypeVar

from assistant.errors import ProbeError

__all__ = ["capped"]

T = TypeVar("T")


def capped(fn: Callable[[], T], seconds: float, what: str) -> T:
    """``fn()`` if it returns within ``seconds``; its exception re-raised; ProbeError on timeout."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as e:  # handed to the caller, who decides what is fatal
            box["error"] = e

    worker = threading.Thread(target=run, name=f"probe-{what}", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise ProbeError(f"{what}: no answer within {seconds:g} s")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]
