"""The live reading of a run being watched: small bounded series that follow restarts.

The readers fill a ``Reading`` through ``series_for(name).add/extend``; a
``LiveReading`` hands them a feed instead of the series itself, so that it can

* keep each series small (``WATCH_CAPACITY`` points): the detectors re-run over
  it after every batch of new points, so their cost stays flat however long the
  run gets (decimation keeps the extremes and every NaN, and the exact first
  non-finite value, count, min and max are kept apart by ``MetricSeries``);
* follow a run that restarts from a checkpoint: a step lower than the last one
  seen means the run went back, so every series drops the points at or after
  that step and goes on from there. The series is rebuilt as a new object, which
  also keeps the detectors' per-series point cache honest.
"""
from __future__ import annotations

from operator import le
from typing import Sequence

from assistant.evidence.series import MetricSeries, Reading

__all__ = ["LiveReading", "WATCH_CAPACITY"]

WATCH_CAPACITY = 1024


class _Feed:
    """What a reader sees as a series: it adds points, and rewinds the reading on a step going back."""

    def __init__(self, reading: "LiveReading", name: str) -> None:
        self.reading = reading
        self.name = name

    @property
    def series(self) -> MetricSeries:
        return self.reading.series[self.name]

    @property
    def count(self) -> int:
        return self.series.count

    def expect(self, total: int) -> None:  # a hint for whole-file reads; a live series stays small
        return None

    def add(self, step: int, value: float, line: int = 0) -> None:
        self.extend((int(step),), (float(value),), (int(line),))

    def extend(self, steps: Sequence[int], values: Sequence[float], lines: Sequence[int]) -> None:
        last = self.series.last
        if (last is None or steps[0] >= last.step) and all(map(le, steps[:-1], steps[1:])):
            self.series.extend(steps, values, lines)  # the common case: in order, one C-level check
            return
        start = 0
        for i, step in enumerate(steps):
            prev = steps[i - 1] if i > start else (self.series.last.step if self.series.last else None)
            if prev is not None and step < prev:
                if i > start:
                    self.series.extend(steps[start:i], values[start:i], lines[start:i])
                self.reading.rewind(step)
                start = i
        self.series.extend(steps[start:], values[start:], lines[start:])


class LiveReading(Reading):
    """A Reading whose series stay bounded and rewind when the run restarts from a checkpoint."""

    def __init__(self, path: str, kind: str, capacity: int = WATCH_CAPACITY) -> None:
        super().__init__(path, kind)
        self.capacity = capacity
        self.restarts: list[int] = []  # the step each restart went back to, in order
        self._feeds: dict[str, _Feed] = {}

    def series_for(self, name: str) -> _Feed:  # type: ignore[override]
        feed = self._feeds.get(name)
        if feed is None:
            self.series.setdefault(name, MetricSeries(name, self.capacity))
            feed = self._feeds[name] = _Feed(self, name)
        return feed

    def rewind(self, step: int) -> None:
        """The run went back to ``step``: every series keeps only its points before it."""
        self.restarts.append(step)
        for name, old in list(self.series.items()):
            kept = [p for p in old if p.step < step]
            fresh = MetricSeries(name, self.capacity)
            if kept:
                fresh.extend([p.step for p in kept], [p.value for p in kept], [p.line for p in kept])
            self.series[name] = fresh

    @property
    def last_step(self) -> int | None:
        """The latest step any series reached."""
        steps = [s.last.step for s in self.series.values() if s.last is not None]
        return max(steps) if steps else None
