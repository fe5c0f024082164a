"""Byte-level text helpers shared by the readers.

Readers work on bytes (decoding a multi-GB log to str would double the work),
so the clean-up that turns a raw console line into something a person reads
lives here: ANSI colours, `[rankN]: ` prefixes, `\\r` progress-bar fragments.
"""
from __future__ import annotations

import re

__all__ = ["ANSI_RE", "RANK_RE", "MAX_LINE_TEXT", "fragment_at", "clean_text", "source"]

# CSI sequences: colours (`\x1b[33m`) and the cursor/erase codes tqdm and rich emit.
ANSI_RE = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")
# torchrun/accelerate prefix every line of a distributed traceback with `[rank0]: `.
RANK_RE = re.compile(rb"^\s*\[rank\d+\]:\s?")
MAX_LINE_TEXT = 300


def fragment_at(buf: bytes, pos: int) -> tuple[int, int]:
    """Bounds of the visible line holding ``buf[pos]``: a `\\n` line, cut at `\\r` fragments.

    A terminal shows only the text after the last `\\r` of a physical line; a message
    printed after a progress bar is such a fragment.
    """
    start = max(buf.rfind(b"\n", 0, pos), buf.rfind(b"\r", 0, pos)) + 1
    ends = [e for e in (buf.find(b"\n", pos), buf.find(b"\r", pos)) if e != -1]
    return start, min(ends) if ends else len(buf)


def clean_text(raw: bytes, limit: int = MAX_LINE_TEXT) -> str:
    """A raw line as a person should read it: no colours, no rank prefix, at most ``limit`` chars."""
    if b"\x1b" in raw:
        raw = ANSI_RE.sub(b"", raw)
    raw = RANK_RE.sub(b"", raw)
    text = raw.decode("utf-8", "replace").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def source(name: str, line: int) -> str:
    """The `file:line` source of a fact; line 0 means the file as a whole."""
    return f"{name}:{line}" if line > 0 else name
