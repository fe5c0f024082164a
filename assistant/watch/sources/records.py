"""Logged dicts handed over one at a time (a Trainer callback's ``logs``, TensorBoard scalars of a step).

They go through ``add_record``, the classification every record reader shares
(train step, eval, summary; which fields are metrics), into the live reading.
"""
from __future__ import annotations

from typing import Any, Mapping

from assistant.engine.facts import Fact
from assistant.evidence._records import RunTracker, add_record
from assistant.watch.live import LiveReading
from assistant.watch.sources import Polled

__all__ = ["RecordSource"]


class RecordSource:
    """Records pushed in by their producer; ``poll`` reports how many arrived since the last one."""

    def __init__(self, reading: LiveReading, name: str, tabular: bool = False) -> None:
        self.name = name
        self.reading = reading
        self.tabular = tabular
        self.run = RunTracker(name)
        self._new = 0

    def add(self, fields: Mapping[str, Any], step: int | None, line: int = 0) -> str:
        """Store one record; returns its kind (train, eval, summary, none)."""
        self._new += 1
        return add_record(self.reading, self.run, fields, line, step, tabular=self.tabular)

    def poll(self) -> Polled:
        new, self._new = self._new, 0
        return Polled(new)

    def facts(self) -> list[Fact]:
        return self.run.facts()

    def warnings(self) -> list[str]:
        return []

    def close(self) -> None:
        return None
