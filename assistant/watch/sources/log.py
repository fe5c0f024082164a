"""A console log (stdout of a trainer, axolotl's debug.log, a W&B run's output.log), followed.

New bytes go through the console-log reader's own streaming scanner (``LogScanner``),
which keeps a partial last line until its end arrives. A new file at the path
(rotation, truncation, a restarted job) gets a new scanner: its line numbers, bars
and markers start again with it.
"""
from __future__ import annotations

from pathlib import Path

from assistant.engine.facts import Fact
from assistant.evidence._logscan import LogScanner
from assistant.watch.follow import Follower
from assistant.watch.live import LiveReading
from assistant.watch.sources import Polled

__all__ = ["LogSource"]


class LogSource:
    """One followed console log."""

    def __init__(self, path: Path, reading: LiveReading, name: str | None = None) -> None:
        self.path = Path(path)
        self.name = name or self.path.name
        self.reading = reading
        self.follower = Follower(self.path)
        self.scanner = LogScanner(reading, self.name)

    def poll(self) -> Polled:
        got = self.follower.poll()
        for chunk in got.chunks:
            if chunk.fresh:
                self.scanner = LogScanner(self.reading, self.name)
            if chunk.data:
                self.scanner.feed(chunk.data)
        return Polled(got.size, [f"{self.name}: {note}" for note in got.notes])

    def facts(self) -> list[Fact]:
        return self.scanner.facts()

    def warnings(self) -> list[str]:
        # The scanner's counts of unreadable and cut metric lines, worded as the reader words them.
        return self.scanner._warnings()  # noqa: SLF001 - the reader's own wording, not a copy of it

    def close(self) -> None:
        self.follower.close()
