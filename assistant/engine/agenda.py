"""The agenda: activations waiting to fire, in conflict-resolution order."""
from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from typing import Callable

from .bindings import Env
from .rules import Rule
from .strategy import priority
from .trace_log import TraceLogger

__all__ = ["Activation", "Agenda"]

log = TraceLogger("assistant.engine.agenda")


@dataclass(frozen=True)
class Activation:
    """A rule together with one tuple of facts that satisfies it."""

    rule: Rule
    position: int
    fact_ids: tuple[int, ...]  # the facts `when` matched, then those the `then` part reads
    matched: int = field(compare=False)  # how many of fact_ids `when` matched
    env: Env = field(compare=False, repr=False)

    @property
    def salience(self) -> int:
        return self.rule.salience

    @property
    def recency(self) -> int:
        return max(self.fact_ids, default=0)

    @property
    def key(self) -> tuple[int, tuple[int, ...]]:
        return self.position, self.fact_ids


class Agenda:
    """A heap with lazy removal: withdrawn activations are skipped when popped."""

    def __init__(self, key: Callable[[Activation], tuple] = priority) -> None:
        self._key = key
        self._heap: list[tuple[tuple, int, Activation]] = []
        self._live: dict[int, dict[tuple[int, ...], Activation]] = {}
        self._count = itertools.count()

    def __len__(self) -> int:
        return sum(len(acts) for acts in self._live.values())

    def add(self, activation: Activation) -> None:
        self._live.setdefault(activation.position, {})[activation.fact_ids] = activation
        heapq.heappush(self._heap, (self._key(activation), next(self._count), activation))
        log.debug("agenda + %s %s", activation.rule.id, activation.fact_ids)

    def discard(self, position: int, fact_ids: tuple[int, ...]) -> None:
        acts = self._live.get(position)
        if acts and acts.pop(fact_ids, None) is not None:
            log.debug("agenda - #%d %s", position, fact_ids)

    def pending(self, position: int) -> dict[tuple[int, ...], Activation]:
        """The waiting activations of one rule, by premise ids."""
        return self._live.get(position, {})

    def pop(self) -> Activation | None:
        """The next activation to fire, or None when the agenda is empty."""
        while self._heap:
            _, _, activation = heapq.heappop(self._heap)
            acts = self._live.get(activation.position)
            if acts and acts.get(activation.fact_ids) is activation:
                del acts[activation.fact_ids]
                return activation
        return None
