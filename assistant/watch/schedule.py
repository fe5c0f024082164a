"""When a live run is judged again: at once when something alarming arrived, else on a budget.

Judging runs the whole consultation (detectors over the live series, the rule
engine, the follow-up questions), a few tens of milliseconds. New points arrive
far more often than that is worth paying, so ordinary points wait; a *new* kind
of trouble does not: a metric that turned non-finite, an error signature, an
exception line (``Urgency``). Two schedules:

* ``TimeBudget`` (``assistant watch``): judging takes at most ``share`` of one
  core, and happens at most every ``min_interval`` seconds;
* ``EveryN`` (the Trainer callback): every N logged records. Deterministic, so
  every rank of a distributed run judges at the same steps and reaches the same
  decision to stop.
"""
from __future__ import annotations

import time
from typing import Callable, Iterable, Mapping, Protocol

from assistant.engine.facts import Fact
from assistant.evidence.series import MetricSeries

__all__ = ["Schedule", "TimeBudget", "EveryN", "Urgency"]

# Fact families whose first appearance is worth judging at once.
URGENT_FACTS = ("error.", "log.exception", "log.killed")


class Schedule(Protocol):
    def due(self, urgent: bool) -> bool: ...

    def spent(self, seconds: float) -> None: ...


class TimeBudget:
    """Judge when urgent, else when the time since the last judgement pays for its cost."""

    def __init__(self, share: float = 0.005, min_interval: float = 2.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.share, self.min_interval, self.clock = share, min_interval, clock
        self._next = 0.0

    def due(self, urgent: bool) -> bool:
        return urgent or self.clock() >= self._next

    def spent(self, seconds: float) -> None:
        self._next = self.clock() + max(self.min_interval, seconds / self.share)


class EveryN:
    """Judge when urgent, else at every ``n``-th batch of new data."""

    def __init__(self, n: int = 10) -> None:
        self.n = max(1, n)
        self._count = 0

    def due(self, urgent: bool) -> bool:
        self._count += 1
        return urgent or self._count % self.n == 0

    def spent(self, seconds: float) -> None:
        return None


class Urgency:
    """Notices new kinds of trouble: metrics turned non-finite, error and exception facts."""

    def __init__(self) -> None:
        self._seen: frozenset[str] = frozenset()

    def check(self, series: Mapping[str, MetricSeries], facts: Iterable[Fact]) -> bool:
        now = frozenset({f"nonfinite:{name}" for name, s in series.items() if s.first_nonfinite is not None}
                        | {f.name for f in facts if f.name.startswith(URGENT_FACTS)})
        urgent = bool(now - self._seen)
        self._seen = now
        return urgent
