"""Certainty factors: MYCIN's way of pooling evidence for and against a belief.

Evidence is pooled without regard to order: all positive factors are combined,
all negative ones are combined, then the two totals meet in the mixed formula.
That makes the result a function of the set of factors, so an engine that
reaches a belief by a different firing order (or after a retraction) agrees.
"""
from __future__ import annotations

from functools import reduce
from typing import Iterable

__all__ = ["THRESHOLD", "combine", "combine_all", "satisfies"]

THRESHOLD = 0.2
"""A fact must be more certain than this to satisfy a condition."""


def combine(a: float, b: float) -> float:
    """Two certainty factors for the same belief, pooled (MYCIN / EMYCIN)."""
    if a > 0 and b > 0:
        cf = a + b * (1 - a)
    elif a < 0 and b < 0:
        cf = a + b * (1 + a)
    else:
        denominator = 1 - min(abs(a), abs(b))
        if denominator == 0:  # certain for and certain against: no belief either way
            return 0.0
        cf = (a + b) / denominator
    return max(-1.0, min(1.0, cf))


def combine_all(cfs: Iterable[float]) -> float:
    """Pool any number of factors; order does not matter (0.0 for none)."""
    values = list(cfs)
    positive = reduce(combine, sorted((c for c in values if c > 0), reverse=True), 0.0)
    negative = reduce(combine, sorted(c for c in values if c < 0), 0.0)
    return combine(positive, negative)


def satisfies(cf: float) -> bool:
    """Whether a fact this certain may satisfy a condition."""
    return cf > THRESHOLD
