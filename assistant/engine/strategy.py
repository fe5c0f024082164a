"""Conflict resolution: which ready activation fires next.

Higher salience first; among equals, the activation whose newest premise is the
most recent fact (depth-first reasoning: follow up on what was just learned);
then the rule that comes first in the rulebase, then the older premises, so the
order is fully determined.
"""
from __future__ import annotations

from typing import Protocol

__all__ = ["Ranked", "priority"]


class Ranked(Protocol):
    salience: int
    recency: int
    position: int
    fact_ids: tuple[int, ...]


def priority(activation: Ranked) -> tuple[int, int, int, tuple[int, ...]]:
    """Sort key: the smallest key fires first."""
    return (-activation.salience, -activation.recency, activation.position, activation.fact_ids)
