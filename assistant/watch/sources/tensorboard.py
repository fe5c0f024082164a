"""TensorBoard event files, followed: the newest ``events.out.tfevents.*`` under a folder.

Records are decoded with the TensorBoard reader's own wire walk (``_event``) and
length check (``masked_crc32c``); a record cut by the poll waits in a small
buffer for its end. The scalars of one step become one record (``RecordSource``).
A newer event file (a restarted run writes one) replaces the one followed; its
steps going back rewind the live series.
"""
from __future__ import annotations

import struct
import time
from pathlib import Path

from assistant.engine.facts import Fact
from assistant.evidence.tensorboard_events import MAX_RECORD, _SUMMARY_TAGS, _event, masked_crc32c
from assistant.watch.follow import Follower
from assistant.watch.live import LiveReading
from assistant.watch.sources import Polled
from assistant.watch.sources.records import RecordSource

__all__ = ["TensorBoardSource", "event_files"]

PATTERN = "events.out.tfevents.*"
RESCAN_S = 2.0  # how often the folder is searched for a newer event file


def event_files(path: Path) -> list[Path]:
    """Event files at ``path`` or up to two folders below it, oldest first."""
    if path.is_file():
        return [path]
    found = [*path.glob(PATTERN), *path.glob(f"*/{PATTERN}"), *path.glob(f"*/*/{PATTERN}")]
    return sorted((p for p in found if p.is_file()), key=_mtime)


def _mtime(p: Path) -> float:
    try:
        return p.stat().st_mtime
    except OSError:
        return 0.0


class TensorBoardSource:
    """The newest event file under ``path`` (or ``path`` itself), followed record by record."""

    def __init__(self, path: Path, reading: LiveReading, rescan_s: float = RESCAN_S) -> None:
        self.path = Path(path)
        self.name = self.path.name
        self.records = RecordSource(reading, self.name, tabular=True)
        self.follower: Follower | None = None
        self._buf = b""
        self._warnings: list[str] = []
        self._next_scan = 0.0
        self.rescan_s = rescan_s
        self._broken: Path | None = None  # a file with a corrupt record: not followed again

    def poll(self) -> Polled:
        notes = self._switch_if_newer()
        if self.follower is None:
            return Polled(0, notes)
        got = self.follower.poll()
        notes += [f"{self.follower.path.name}: {n}" for n in got.notes]
        for chunk in got.chunks:
            if chunk.fresh:
                self._buf = b""
            self._buf += chunk.data
            self._decode()
        self.records.poll()
        return Polled(got.size, notes)

    def _switch_if_newer(self) -> list[str]:
        now = time.monotonic()
        if now < self._next_scan:
            return []
        self._next_scan = now + self.rescan_s
        files = event_files(self.path)
        if not files or files[-1] == self._broken or (self.follower is not None and files[-1] == self.follower.path):
            return []
        if self.follower is not None:
            self.follower.close()
        self.follower, self._buf = Follower(files[-1]), b""
        self.name = files[-1].name
        return [f"following {files[-1].name}"]

    def _decode(self) -> None:
        """Store the complete records in the buffer; keep a cut one for the next poll."""
        buf, i, n = self._buf, 0, len(self._buf)
        step_now: int | None = None
        scalars: dict[str, float] = {}
        while n - i >= 12:
            length = struct.unpack_from("<Q", buf, i)[0]
            if struct.unpack_from("<I", buf, i + 8)[0] != masked_crc32c(buf[i:i + 8]) or length > MAX_RECORD:
                self._warnings.append(f"{self.name}: corrupt event record; the rest of this file is skipped")
                if self.follower is not None:
                    self._broken = self.follower.path
                    self.follower.close()
                self._buf, self.follower = b"", None
                break
            end = i + 12 + length + 4
            if end > n:
                break
            step, values = _event(buf[i + 12:i + 12 + length])
            i = end
            if any(tag.startswith(_SUMMARY_TAGS) for tag, _ in values):  # HF writes the run summary as scalars
                self.records.run.summary(0)
                values = [(tag, v) for tag, v in values if not tag.startswith(_SUMMARY_TAGS)]
            if not values:
                continue
            if step_now is not None and step != step_now:
                self.records.add(scalars, step_now)
                scalars = {}
            step_now = step
            scalars.update(values)
        if scalars:
            self.records.add(scalars, step_now)
        if self.follower is not None:
            self._buf = buf[i:]

    def facts(self) -> list[Fact]:
        return self.records.facts()

    def warnings(self) -> list[str]:
        return list(self._warnings)

    def close(self) -> None:
        if self.follower is not None:
            self.follower.close()
