"""Name resolution: what ``pump.pressure.max`` means inside a rule.

Expressions and templates name facts by their dotted names or by the aliases a
rule gave them (`as:`). A dotted name is split at the longest prefix that is a
bound name or a present fact; the remaining parts are attributes of that fact's
mapping value. Four pseudo-attributes reach the fact itself when the mapping has
no such key: ``value``, ``cf``, ``source`` and ``id``.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from .expr import UNDEFINED
from .facts import Fact

__all__ = ["Env", "MatchContext", "Resolver", "PSEUDO_ATTRIBUTES", "attribute"]

Env = Mapping[str, Fact]
PSEUDO_ATTRIBUTES = ("value", "cf", "source", "id")


class MatchContext(Protocol):
    """What matching needs from working memory."""

    def satisfying(self, name: str) -> Sequence[Fact]:
        """Facts of this name certain enough to satisfy a condition, oldest first."""
        ...


class Resolver:
    """A lookup for expressions and templates over bindings, then present facts.

    Facts found in working memory rather than in the bindings are remembered in
    ``read``, so a condition that relied on them can list them as premises.
    """

    __slots__ = ("env", "ctx", "read")

    def __init__(self, env: Env, ctx: MatchContext) -> None:
        self.env = env
        self.ctx = ctx
        self.read: dict[int, Fact] = {}

    def __call__(self, parts: tuple[str, ...]) -> Any:
        for end in range(len(parts), 0, -1):
            name = ".".join(parts[:end])
            fact = self.env.get(name) or self._present(name)
            if fact is not None:
                return attribute(fact, parts[end:])
        return UNDEFINED

    def _present(self, name: str) -> Fact | None:
        # Several facts of one name: the most certain, then the oldest, so the
        # choice does not depend on the order rules happened to fire in.
        candidates = self.ctx.satisfying(name)
        if not candidates:
            return None
        best = max(candidates, key=lambda f: (f.cf, -(f.id or 0)))
        self.read[best.id or 0] = best
        return best


def attribute(fact: Fact, path: Sequence[str]) -> Any:
    """``path`` inside the fact's value, or UNDEFINED."""
    current: Any = fact.value
    for i, part in enumerate(path):
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        elif i == 0 and part in PSEUDO_ATTRIBUTES:
            current = getattr(fact, part)
        else:
            return UNDEFINED
    return current
