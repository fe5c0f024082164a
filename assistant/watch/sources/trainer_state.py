"""A run folder's checkpoints: the newest ``checkpoint-*/trainer_state.json`` (or the top-level one).

Each save writes a new file holding the whole ``log_history``; it is read once, by
the trainer_state reader, when it appears or changes, and only its entries after
the last step already taken are added. A newest file that stops before that step
means the run went back to a checkpoint: its whole history is added, and the
step going back rewinds the live series.
"""
from __future__ import annotations

import time
from pathlib import Path

from assistant.engine.facts import Fact
from assistant.errors import InputError
from assistant.evidence.trainer_state import TrainerStateReader
from assistant.watch.live import LiveReading
from assistant.watch.sources import Polled

__all__ = ["TrainerStateSource", "state_files"]

RESCAN_S = 1.0


def state_files(folder: Path) -> list[Path]:
    """trainer_state.json files of a run folder, oldest first."""
    if folder.is_file():
        return [folder]
    found = [folder / "trainer_state.json", *folder.glob("checkpoint-*/trainer_state.json")]
    return sorted((p for p in found if p.is_file()), key=_signature)


def _signature(p: Path) -> tuple[int, int]:
    try:
        st = p.stat()
    except OSError:
        return (0, 0)
    return (st.st_mtime_ns, st.st_size)


class TrainerStateSource:
    """The checkpoints of one run folder."""

    def __init__(self, folder: Path, reading: LiveReading, rescan_s: float = RESCAN_S) -> None:
        self.folder = Path(folder)
        self.name = "trainer_state.json"
        self.reading = reading
        self.taken: int | None = None  # the last step added
        self._seen: tuple[Path, tuple[int, int]] | None = None
        self._facts: list[Fact] = []
        self._warnings: list[str] = []
        self._next_scan = 0.0
        self.rescan_s = rescan_s

    def poll(self) -> Polled:
        now = time.monotonic()
        if now < self._next_scan:
            return Polled()
        self._next_scan = now + self.rescan_s
        files = state_files(self.folder)
        if not files:
            return Polled()
        newest = files[-1]
        seen = (newest, _signature(newest))
        if seen == self._seen:
            return Polled()
        try:
            got = TrainerStateReader().read(newest)
        except InputError as e:  # caught while being written: read it at its next change
            self._warnings = [str(e)]
            return Polled()
        self._seen, self._facts, self._warnings = seen, got.facts, got.warnings
        last = max((s.last.step for s in got.series.values() if s.last is not None), default=None)
        after = self.taken if self.taken is not None and last is not None and last >= self.taken else None
        added = 0
        for name, series in got.series.items():
            points = [p for p in series if after is None or p.step > after]
            if points:
                self.reading.series_for(name).extend([p.step for p in points], [p.value for p in points],
                                                     [p.line for p in points])
                added += len(points)
        self.taken = last if last is not None else self.taken
        rel = newest.relative_to(self.folder) if newest.is_relative_to(self.folder) else newest
        return Polled(added, [f"read {rel}"])

    def facts(self) -> list[Fact]:
        return list(self._facts)

    def warnings(self) -> list[str]:
        return list(self._warnings)

    def close(self) -> None:
        return None
