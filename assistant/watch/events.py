"""What `assistant watch` says, as events: one JSON object per line (``--json``) or one text line.

Kinds: ``start``, ``waiting`` (nothing at PATH yet), ``source`` (a file appeared,
rotated, was truncated, vanished, returned), ``warning`` (unreadable lines, a
failed post), ``alert``, ``cleared``, ``status`` (the live status line),
``restart`` (the run went back to an earlier step), ``stop``. Everything that
leaves here is redacted.
"""
from __future__ import annotations

import json
import time
from typing import Any

from assistant.redact import redact

__all__ = ["event", "json_line", "text_line"]


def event(name: str, /, **fields: Any) -> dict[str, Any]:
    """An event: its name, the wall time (UTC, ISO 8601) and its fields."""
    return {"event": name, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **fields}


def json_line(e: dict[str, Any]) -> str:
    return redact(json.dumps(e, ensure_ascii=False, default=str))


def text_line(e: dict[str, Any]) -> str:
    """The event for a person: alerts in full, the rest on one line."""
    kind = e["event"]
    if kind == "alert":
        return e["text"]
    if kind == "cleared":
        return redact(f"[cleared] {e['title']} ({e['id']}) is no longer concluded")
    if kind == "status":
        return redact(e["line"])
    if kind == "start":
        return redact(f"watching {e['path']} (Ctrl-C to stop)")
    if kind == "waiting":
        return redact(f"waiting for {e['path']} to appear")
    if kind == "restart":
        return f"the run went back to step {e['step']} (restarted from a checkpoint?)"
    if kind == "stop":
        return redact(f"stopped: {e['reason']}")
    return redact(f"{kind}: {e.get('message', '')}")
