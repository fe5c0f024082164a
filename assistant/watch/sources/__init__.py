"""Where a watched run's metrics come from: one module per kind of evidence that grows.

Every source feeds the same ``LiveReading`` through the readers' own parsing
(``LogScanner`` for console text, ``add_record`` for logged dicts, the TensorBoard
reader's event decoding, the trainer_state reader) and answers ``poll() -> Polled``
(how many new bytes or records it took, and what happened to its files) and
``facts()`` (the run-level facts the parsing found so far: ``run.*``,
``metric.logged``, error signatures, exceptions).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from assistant.engine.facts import Fact

__all__ = ["Polled", "Source"]


@dataclass
class Polled:
    """What one poll of a source brought: new data (bytes or records) and file events."""

    new: int = 0
    notes: list[str] = field(default_factory=list)


class Source(Protocol):
    """A growing piece of evidence: a console log, event files, checkpoints, a trainer's callback."""

    name: str

    def poll(self) -> Polled: ...

    def facts(self) -> list[Fact]: ...

    def warnings(self) -> list[str]: ...

    def close(self) -> None: ...
