"""Conditions: the `when` of a rule, and how each finds its bindings.

Matching works on bindings: a tuple of fact ids (the premises) and an
environment mapping names (fact names and `as` aliases) to facts. A fact
condition binds its key (alias, else fact name); a later condition using the same
key means the same fact, so two tests on `{fact: x}` constrain one x. `all` joins
its children left to right (pruning as soon as nothing is left), `any` is the
union of its children's bindings, `not` holds when its child has none, and `expr`
holds when the expression is true, taking the facts it read from memory as
premises.
"""
from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from collections.abc import Iterator, Mapping
from typing import Any

from .bindings import Env, MatchContext, Resolver
from .expr import Expr
from .facts import Fact, freeze

__all__ = [
    "OPS", "Binding", "Condition", "FactCond", "AllCond", "AnyCond", "NotCond", "ExprCond",
    "ValueTest", "check_test", "same",
]

Binding = tuple[tuple[int, ...], Env]
_MISSING = object()


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def same(a: Any, b: Any) -> bool:
    """Equality that keeps booleans apart from 0 and 1 (a `true` config is not a count)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return bool(a == b)


def _contains(value: Any, arg: Any) -> bool:
    if isinstance(value, str):
        return isinstance(arg, str) and arg in value
    if isinstance(value, tuple):
        return any(same(v, arg) for v in value)
    if isinstance(value, Mapping):
        return arg in value
    return False


_PREDICATES = {
    "eq": same,
    "ne": lambda v, a: not same(v, a),
    "gt": lambda v, a: _number(v) and v > a,
    "ge": lambda v, a: _number(v) and v >= a,
    "lt": lambda v, a: _number(v) and v < a,
    "le": lambda v, a: _number(v) and v <= a,
    "in": lambda v, a: any(same(v, x) for x in a),
    "not_in": lambda v, a: not any(same(v, x) for x in a),
    "between": lambda v, a: _number(v) and a[0] <= v <= a[1],
    "contains": _contains,
    "matches": lambda v, a: isinstance(v, str) and a.search(v) is not None,
    "is_true": lambda v, a: (v is True) == a,
    "is_false": lambda v, a: (v is False) == a,
}
OPS: tuple[str, ...] = tuple(_PREDICATES)


def check_test(op: str, arg: Any) -> str | None:
    """Why ``{op: arg}`` cannot be a value test, or None when it can."""
    if op in ("gt", "ge", "lt", "le") and not _number(arg):
        return f"`{op}` needs a number, got {arg!r}"
    if op in ("in", "not_in") and not isinstance(arg, (list, tuple)):
        return f"`{op}` needs a list"
    if op == "between":
        if not (isinstance(arg, (list, tuple)) and len(arg) == 2 and all(_number(x) for x in arg)):
            return "`between` needs a list of two numbers [low, high]"
        if arg[0] > arg[1]:
            return f"`between` bounds are reversed: {arg[0]} > {arg[1]}"
    if op == "contains" and isinstance(arg, (list, tuple, Mapping)):
        return "`contains` needs a single value"
    if op == "matches":
        if not isinstance(arg, str):
            return "`matches` needs a regular expression string"
        try:
            re.compile(arg)
        except re.error as e:
            return f"bad regular expression {arg!r}: {e}"
    if op in ("is_true", "is_false") and not isinstance(arg, bool):
        return f"`{op}` takes true or false"
    return None


@dataclass(frozen=True)
class ValueTest:
    """One value test, ``{op: arg}``; checked with check_test before it is built."""

    op: str
    arg: Any

    def __post_init__(self) -> None:
        arg = re.compile(self.arg) if self.op == "matches" else freeze(self.arg)
        object.__setattr__(self, "arg", arg)

    def __call__(self, value: Any) -> bool:
        return _PREDICATES[self.op](value, self.arg)


class Condition(ABC):
    """A node of a rule's `when`."""

    @abstractmethod
    def bindings(self, env: Env, ctx: MatchContext) -> Iterator[Binding]:
        """Every way this condition holds, extending ``env``."""

    @abstractmethod
    def names(self) -> frozenset[str]:
        """Fact names whose facts can change whether this condition holds."""

    @abstractmethod
    def aliases(self) -> frozenset[str]:
        """Every `as` alias used inside."""


@dataclass(frozen=True)
class FactCond(Condition):
    """``{fact: NAME, as: ALIAS, <op>: arg, where: {attr: test}}``."""

    name: str
    alias: str | None = None
    tests: tuple[ValueTest, ...] = ()
    where: tuple[tuple[str, ValueTest], ...] = ()

    def accepts(self, fact: Fact) -> bool:
        value = fact.value
        if not all(t(value) for t in self.tests):
            return False
        for path, test in self.where:
            attr = fact.attr(path, _MISSING) if isinstance(value, Mapping) else _MISSING
            if attr is _MISSING or not test(attr):
                return False
        return True

    def bindings(self, env: Env, ctx: MatchContext) -> Iterator[Binding]:
        key = self.alias or self.name
        bound = env.get(key)
        if bound is not None:
            if bound.name == self.name and self.accepts(bound):
                yield (), env
            return
        for fact in ctx.satisfying(self.name):
            if self.accepts(fact):
                new = dict(env)
                new[key] = fact
                new.setdefault(self.name, fact)
                yield (fact.id or 0,), new

    def names(self) -> frozenset[str]:
        return frozenset([self.name])

    def aliases(self) -> frozenset[str]:
        return frozenset([self.alias] if self.alias else [])


@dataclass(frozen=True)
class AllCond(Condition):
    children: tuple[Condition, ...]

    def bindings(self, env: Env, ctx: MatchContext) -> Iterator[Binding]:
        partial: list[Binding] = [((), env)]
        for child in self.children:
            partial = [(ids + more, e2) for ids, e in partial for more, e2 in child.bindings(e, ctx)]
            if not partial:
                return
        yield from partial

    def names(self) -> frozenset[str]:
        return frozenset().union(*(c.names() for c in self.children))

    def aliases(self) -> frozenset[str]:
        return frozenset().union(*(c.aliases() for c in self.children))


@dataclass(frozen=True)
class AnyCond(Condition):
    children: tuple[Condition, ...]

    def bindings(self, env: Env, ctx: MatchContext) -> Iterator[Binding]:
        seen: set[tuple[int, ...]] = set()
        for child in self.children:
            for ids, e in child.bindings(env, ctx):
                if ids not in seen:
                    seen.add(ids)
                    yield ids, e

    def names(self) -> frozenset[str]:
        return frozenset().union(*(c.names() for c in self.children))

    def aliases(self) -> frozenset[str]:
        return frozenset().union(*(c.aliases() for c in self.children))


@dataclass(frozen=True)
class NotCond(Condition):
    """``{not: c}`` and ``{absent: NAME}``: binds nothing, contributes no premises."""

    child: Condition

    def bindings(self, env: Env, ctx: MatchContext) -> Iterator[Binding]:
        if next(iter(self.child.bindings(env, ctx)), None) is None:
            yield (), env

    def names(self) -> frozenset[str]:
        return self.child.names()

    def aliases(self) -> frozenset[str]:
        return self.child.aliases()


@dataclass(frozen=True)
class ExprCond(Condition):
    expr: Expr

    def bindings(self, env: Env, ctx: MatchContext) -> Iterator[Binding]:
        resolver = Resolver(env, ctx)
        if not self.expr.holds(resolver):
            return
        if not resolver.read:
            yield (), env
            return
        new = dict(env)
        for fact in resolver.read.values():
            new.setdefault(fact.name, fact)
        yield tuple(resolver.read), new

    def names(self) -> frozenset[str]:
        return frozenset(".".join(parts[:i]) for parts in self.expr.refs for i in range(1, len(parts) + 1))

    def aliases(self) -> frozenset[str]:
        return frozenset()
