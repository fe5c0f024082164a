"""Rules and rulebases: what the loader builds and the engine runs."""
from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Iterable, Mapping
from typing import Any

from .conditions import Condition
from .expr import Expr
from .facts import Fact, FrozenDict

__all__ = ["AssertAction", "Example", "Rule", "RuleBase", "CONCLUSION_PREFIX"]

CONCLUSION_PREFIX = "conclusion."


@dataclass(frozen=True)
class AssertAction:
    """One ``then.assert`` item: a derived fact with a fixed value or a computed one."""

    fact: str
    value: Any = True
    expr: Expr | None = None
    cf: float = 1.0


@dataclass(frozen=True)
class Example:
    """Input facts for the whole rulebase and what must (not) follow from them."""

    facts: tuple[Fact, ...]
    expect: tuple[str, ...] = ()
    expect_not: tuple[str, ...] = ()
    expect_fact: tuple[str, ...] = ()
    location: str = ""


@dataclass(frozen=True)
class Rule:
    """A production: when the condition holds, assert facts and/or a conclusion.

    ``meta`` holds everything else under `then` (evidence, fixes, severity ...):
    the engine renders its strings as templates at firing time and keeps them on
    the justification, without interpreting them.

    ``reads`` are the dotted names the `then` part uses (assert expressions,
    template fields) apart from what the rule itself produces: facts found under
    them become premises of a firing, so a firing is redone when they change.
    """

    id: str
    when: Condition
    asserts: tuple[AssertAction, ...] = ()
    conclude: str | None = None
    cf: float = 1.0
    meta: Mapping[str, Any] = field(default_factory=FrozenDict)
    salience: int = 0
    description: str = ""
    tags: tuple[str, ...] = ()
    examples: tuple[Example, ...] = ()
    location: str = ""
    reads: frozenset[tuple[str, ...]] = frozenset()

    def watched(self) -> frozenset[str]:
        """Fact names whose changes can change this rule's activations."""
        return self.when.names() | {".".join(parts[:i]) for parts in self.reads for i in range(1, len(parts) + 1)}

    def referenced_facts(self) -> frozenset[str]:
        """Fact names this rule tests (aliases excluded)."""
        aliases = self.when.aliases()
        return frozenset(n for n in self.when.names() if n.split(".", 1)[0] not in aliases)

    def produces(self) -> frozenset[str]:
        """Fact names this rule can assert, its conclusion included."""
        names = {a.fact for a in self.asserts}
        if self.conclude:
            names.add(CONCLUSION_PREFIX + self.conclude)
        return frozenset(names)


class RuleBase:
    """An ordered, indexed set of rules.

    The index maps each fact name to the rules whose conditions mention it, so an
    engine only re-matches the rules a change can affect.
    """

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules: tuple[Rule, ...] = tuple(rules)
        self._by_id = {r.id: r for r in self.rules}
        if len(self._by_id) != len(self.rules):
            raise ValueError("duplicate rule ids")
        index: dict[str, list[int]] = {}
        for i, rule in enumerate(self.rules):
            for name in rule.watched():
                index.setdefault(name, []).append(i)
        self._index = {name: tuple(ps) for name, ps in index.items()}
        self._leads_to: dict[str, frozenset[str]] = {}
        self._referenced: dict[str, frozenset[str]] | None = None

    def get(self, rule_id: str) -> Rule:
        return self._by_id[rule_id]

    def mentioning(self, name: str) -> tuple[int, ...]:
        """Positions of the rules that watch ``name``."""
        return self._index.get(name, ())

    def referenced_facts(self) -> dict[str, frozenset[str]]:
        """For each rule id, the fact names it tests (computed once: every consultation asks)."""
        if self._referenced is None:
            self._referenced = {r.id: r.referenced_facts() for r in self.rules}
        return dict(self._referenced)

    def leads_to(self, rule_id: str) -> frozenset[str]:
        """Conclusion ids a rule reaches, directly or through facts other rules test."""
        if rule_id not in self._leads_to:
            reached: set[str] = set()
            seen: set[str] = set()
            stack = [rule_id]
            while stack:
                rule = self._by_id[stack.pop()]
                if rule.id in seen:
                    continue
                seen.add(rule.id)
                if rule.conclude:
                    reached.add(rule.conclude)
                for name in rule.produces():
                    stack.extend(self.rules[p].id for p in self.mentioning(name))
            self._leads_to[rule_id] = frozenset(reached)
        return self._leads_to[rule_id]

    def __getstate__(self) -> dict[str, Any]:
        return {"rules": self.rules}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["rules"])  # type: ignore[misc]
