"""A pasted traceback or a few lines of error text, as opposed to a whole training log.

The text goes through the same scan as a console log (signatures, exception
lines); only the kind differs, so the report can say "traceback".
"""
from __future__ import annotations

from pathlib import Path

from assistant.evidence import Progress, Reader, register
from assistant.evidence._input import HEAD_BYTES
from assistant.evidence._logscan import exception_in, looks_like_metrics, scan_file
from assistant.evidence.series import Reading

__all__ = ["TracebackReader"]



@register
class TracebackReader(Reader):
    name = "traceback"
    kind = "traceback"

    def sniff(self, head: bytes, path: Path) -> bool:
        # a paste is short (the head is the whole file) and holds no training metrics
        if len(head) >= HEAD_BYTES or looks_like_metrics(head):
            return False
        if b"Traceback (most recent call last)" in head:
            return True
        return any(exception_in(line) for line in head.splitlines()[:200])

    def read(self, path: Path, progress: Progress | None = None) -> Reading:
        reading = Reading(str(path), self.kind)
        scan_file(path, reading, path.name, progress)
        return reading
