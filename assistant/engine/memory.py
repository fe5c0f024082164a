"""Working memory: facts with rising ids, where they came from, and why they hold.

A fact is held for two kinds of reasons: it was asserted from outside (an input,
with its own certainty), or rules derived it (justifications). Its certainty is
the MYCIN pool of those reasons, where several firings of one rule count once (the
strongest: alternatives, not independent evidence). A derived fact that loses its
last justification leaves memory; that is the truth maintenance the engine needs
for retraction.

Every name whose facts appear, disappear or change certainty is noted in
``dirty`` for the engine to re-match the rules that mention it.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Hashable

from .certainty import THRESHOLD, combine_all
from .facts import Fact
from .trace_log import TraceLogger

__all__ = ["Justification", "WorkingMemory", "SupportKey"]

log = TraceLogger("assistant.engine.facts")

SupportKey = tuple[str, tuple[int, ...], int]
"""(rule id, premise fact ids, action slot): one firing's support for one fact."""


@dataclass(frozen=True)
class Justification:
    """Why a derived fact holds: a rule fired on these premises with this certainty."""

    rule_id: str
    cf: float
    premise_ids: tuple[int, ...]
    meta: Any = None


@dataclass
class _Entry:
    fact: Fact
    base_cf: float | None
    support: dict[SupportKey, Justification] = field(default_factory=dict)


def _identity(name: str, value: Any, key: tuple) -> Hashable:
    # True and 1 hash alike; a boolean fact is not the same fact as a count.
    return key, isinstance(value, bool)


class WorkingMemory:
    """Facts by id, by name and by (name, value)."""

    def __init__(self) -> None:
        self._entries: dict[int, _Entry] = {}
        self._by_name: dict[str, dict[int, _Entry]] = {}
        self._by_identity: dict[Hashable, int] = {}
        self._next_id = 1
        self.dirty: set[str] = set()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, fact_id: int) -> Fact | None:
        entry = self._entries.get(fact_id)
        return entry.fact if entry else None

    def find(self, fact: Fact) -> int | None:
        """The id of the fact with this name and value, if present."""
        return self._by_identity.get(_identity(fact.name, fact.value, fact.key))

    def named(self, name: str | None = None) -> list[Fact]:
        """Facts of one name (or all), oldest first."""
        entries = self._entries.values() if name is None else self._by_name.get(name, {}).values()
        return [e.fact for e in entries]

    def satisfying(self, name: str) -> list[Fact]:
        """Facts of one name certain enough to match, oldest first."""
        return [e.fact for e in self._by_name.get(name, {}).values() if e.fact.cf > THRESHOLD]

    def is_input(self, fact_id: int) -> bool:
        entry = self._entries.get(fact_id)
        return entry is not None and entry.base_cf is not None

    def justifications(self, fact_id: int) -> list[Justification]:
        entry = self._entries.get(fact_id)
        return list(entry.support.values()) if entry else []

    def add_input(self, fact: Fact) -> int:
        """Assert a fact from outside; the same name and value again is the same fact."""
        fact_id = self.find(fact)
        if fact_id is not None:
            entry = self._entries[fact_id]
            if entry.base_cf is None:  # derived so far, now also observed
                entry.base_cf = fact.cf
                entry.fact = entry.fact.evolve(source=fact.source)
                self._recompute(entry)
            return fact_id
        return self._create(fact, fact.cf, {}).fact.id or 0

    def support(self, fact: Fact, key: SupportKey, just: Justification) -> int:
        """Add (or replace) one justification for ``fact`` (by name and value); create it if needed."""
        fact_id = self.find(fact)
        if fact_id is None:
            return self._create(fact, None, {key: just}).fact.id or 0
        entry = self._entries[fact_id]
        entry.support[key] = just
        self._recompute(entry)
        return fact_id

    def update_support(self, fact_id: int, key: SupportKey, cf: float) -> None:
        """Change the certainty one justification lends (its premises changed certainty)."""
        entry = self._entries.get(fact_id)
        if entry is not None and key in entry.support:
            entry.support[key] = replace(entry.support[key], cf=cf)
            self._recompute(entry)

    def unsupport(self, fact_id: int, key: SupportKey) -> None:
        """Drop one justification; a derived fact left with none leaves memory."""
        entry = self._entries.get(fact_id)
        if entry is None or entry.support.pop(key, None) is None:
            return
        if entry.base_cf is None and not entry.support:
            self.remove(fact_id)
        else:
            self._recompute(entry)

    def remove(self, fact_id: int) -> Fact:
        """Take a fact out of memory, whatever holds it; KeyError if unknown."""
        entry = self._entries.pop(fact_id)
        fact = entry.fact
        del self._by_name[fact.name][fact_id]
        if not self._by_name[fact.name]:
            del self._by_name[fact.name]
        del self._by_identity[_identity(fact.name, fact.value, fact.key)]
        self.dirty.add(fact.name)
        log.debug("retract #%d %s=%r", fact_id, fact.name, fact.value)
        return fact

    def drain(self) -> set[str]:
        """The names changed since the last drain."""
        names, self.dirty = self.dirty, set()
        return names

    def _create(self, fact: Fact, base_cf: float | None, support: dict[SupportKey, Justification]) -> _Entry:
        fact_id = self._next_id
        self._next_id += 1
        entry = _Entry(fact.evolve(id=fact_id), base_cf, support)
        self._recompute(entry, force=True)
        self._entries[fact_id] = entry
        self._by_name.setdefault(fact.name, {})[fact_id] = entry
        self._by_identity[_identity(fact.name, fact.value, fact.key)] = fact_id
        self.dirty.add(fact.name)
        log.debug("assert #%d %s=%r cf=%.3f source=%s", fact_id, fact.name, fact.value, entry.fact.cf, fact.source)
        return entry

    def _recompute(self, entry: _Entry, force: bool = False) -> None:
        if not entry.support:
            cf = entry.base_cf or 0.0
        else:
            strongest: dict[str, float] = {}
            for (rule_id, _, _), just in entry.support.items():
                if abs(just.cf) > abs(strongest.get(rule_id, 0.0)):
                    strongest[rule_id] = just.cf
            cfs = list(strongest.values())
            if entry.base_cf is not None:
                cfs.append(entry.base_cf)
            cf = combine_all(cfs)
        if force or cf != entry.fact.cf:
            if not force:
                log.debug("cf #%s %s %.3f -> %.3f", entry.fact.id, entry.fact.name, entry.fact.cf, cf)
            entry.fact = entry.fact.evolve(cf=cf)
            self.dirty.add(entry.fact.name)
