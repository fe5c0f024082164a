"""Facts: the unit of working memory.

A fact is a dotted name, a frozen value and where it came from. Values are
scalars or frozen mappings of scalars ("attributes"), so that facts hash and
compare by value: the same reading asserted twice is one fact.
"""
from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass, field
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["Fact", "FrozenDict", "freeze", "thaw", "FACT_NAME_RE"]

FACT_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
_SELF_UNEQUAL = "not-a-number"
_FLOAT_MAX = sys.float_info.max


class FrozenDict(Mapping[str, Any]):
    """An immutable, hashable mapping used for fact attributes."""

    __slots__ = ("_d", "_h")

    def __init__(self, data: Mapping[str, Any] | None = None, **kw: Any) -> None:
        d = dict(data or {}, **kw)
        self._d = {k: freeze(v) for k, v in d.items()}
        self._h: int | None = None

    def __getitem__(self, key: str) -> Any:
        return self._d[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def __hash__(self) -> int:
        if self._h is None:
            self._h = hash(tuple(sorted((k, _hashable(v)) for k, v in self._d.items())))
        return self._h

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenDict):
            return self._d == other._d
        if isinstance(other, Mapping):
            return self._d == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"{self._d!r}"


def _hashable(v: Any) -> Any:
    # A float unequal to itself would make a fact unequal to itself; hash it by a fixed token.
    if isinstance(v, float) and math.isnan(v):
        return _SELF_UNEQUAL
    return v


def freeze(value: Any) -> Any:
    """Turn lists into tuples and dicts into FrozenDicts, recursively.

    An int past float range (400 digits in an attachment) becomes ±inf, as ``1e999`` does: every
    consumer of a number may then take ``float()`` of it without an OverflowError (found by fuzzing).
    """
    if value is None or isinstance(value, (str, float, FrozenDict)):
        return value
    if isinstance(value, int):
        return value if -_FLOAT_MAX <= value <= _FLOAT_MAX else (math.inf if value > 0 else -math.inf)
    if isinstance(value, Mapping):
        return FrozenDict(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [freeze(v) for v in value]
        return tuple(sorted(items, key=repr)) if isinstance(value, (set, frozenset)) else tuple(items)
    return value


def thaw(value: Any) -> Any:
    """The inverse of freeze, for JSON output."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


@dataclass(frozen=True)
class Fact:
    """One piece of evidence or one derived belief.

    name:   lowercase dotted name (``pump.pressure``, ``animal.legs``)
    value:  scalar, tuple, or FrozenDict of attributes (frozen on creation)
    source: where it came from: ``readings.log:4411`` (file:line), ``answer``,
            ``question``; derived facts get ``rule:<id>``
    cf:     certainty factor in [-1, 1]; evidence read from files is 1.0
    id:     set by working memory when the fact is asserted (ids rise); not part of equality
    """

    name: str
    value: Any = True
    source: str = ""
    cf: float = 1.0
    key: tuple = field(init=False, repr=False, compare=False)
    id: int | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not FACT_NAME_RE.match(self.name):
            raise ValueError(f"bad fact name {self.name!r}: use lowercase dotted words")
        object.__setattr__(self, "value", freeze(self.value))
        object.__setattr__(self, "key", (self.name, _hashable_value(self.value)))

    def evolve(self, **changes: Any) -> Fact:
        """A copy with some fields changed (value excepted); cheaper than dataclasses.replace."""
        if "value" in changes or "name" in changes:
            raise ValueError("evolve() keeps name and value; make a new Fact instead")
        new = object.__new__(Fact)
        new.__dict__.update(self.__dict__, **changes)
        return new

    def attr(self, path: str, default: Any = None) -> Any:
        """Attribute ``a.b`` of a mapping value, or default."""
        cur: Any = self.value
        for part in path.split("."):
            if isinstance(cur, Mapping) and part in cur:
                cur = cur[part]
            else:
                return default
        return cur


def _hashable_value(v: Any) -> Any:
    if isinstance(v, float) and math.isnan(v):
        return ("float", _SELF_UNEQUAL)
    return v
