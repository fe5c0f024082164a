"""The forward-chaining engine.

Each cycle pops the best activation from the agenda, fires it, and re-matches
only the rules that mention a fact name that changed. Everything a rule derives
is logically supported by the activation that fired it: when that activation
stops holding (a premise retracted or fallen under the certainty threshold, a
`not` now matched, an expression now false), its support is withdrawn and
whatever it alone held up goes too. So the state after any sequence of asserts,
retracts and runs is the state a fresh engine reaches from the current inputs
(for rulebases without cycles through `not`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .agenda import Activation, Agenda
from .bindings import Env, Resolver
from .expr import UNDEFINED
from .facts import Fact, freeze
from .memory import Justification, SupportKey, WorkingMemory
from .rules import CONCLUSION_PREFIX, Rule, RuleBase
from .template import render_meta
from .trace import Explanation, Firing, Why, explain, why
from .trace_log import TraceLogger

__all__ = ["Engine", "Conclusion"]

log = TraceLogger("assistant.engine.rules")

CONCLUDE_SLOT = -1


@dataclass(frozen=True)
class Conclusion:
    """A `conclusion.<id>` fact: its pooled certainty and every justification."""

    id: str
    cf: float
    justifications: list[Justification]


@dataclass
class _Fired:
    """What a fired activation supports, to refresh or withdraw it later."""

    matched: int  # premises matched by `when` (the rest were read by `then`)
    premise_cf: float
    targets: list[tuple[int, SupportKey, float]] = field(default_factory=list)  # fact id, key, action cf


class Engine:
    """Working memory, agenda and the rules of one rulebase."""

    def __init__(self, rulebase: RuleBase) -> None:
        self.rulebase = rulebase
        self._memory = WorkingMemory()
        self._agenda = Agenda()
        self._fired: dict[int, dict[tuple[int, ...], _Fired]] = {}
        self._stale: set[int] = set(range(len(rulebase.rules)))
        self._trace: list[Firing] = []

    # ---------------------------------------------------------------- working memory

    def assert_fact(self, fact: Fact) -> int:
        """Add an input fact; return its id (the existing id for the same name and value)."""
        if not (isinstance(fact.cf, (int, float)) and -1.0 <= fact.cf <= 1.0):  # not-a-number fails too
            raise ValueError(f"certainty of {fact.name} must be within [-1, 1], got {fact.cf!r}")
        return self._memory.add_input(fact)

    def retract(self, fact_id: int) -> None:
        """Remove a fact and withdraw everything that rested on it alone; KeyError if unknown."""
        self._memory.remove(fact_id)
        self._settle()

    def satisfying(self, name: str) -> list[Fact]:
        """Facts of this name certain enough to satisfy a condition (the matcher's view)."""
        return self._memory.satisfying(name)

    def fact(self, fact_id: int) -> Fact | None:
        """One fact by id (None once it has left memory)."""
        self._settle()
        return self._memory.get(fact_id)

    def facts(self, name: str | None = None) -> list[Fact]:
        """Facts in memory (of one name, or all), oldest first, each with its id."""
        self._settle()
        return self._memory.named(name)

    def justifications(self, fact_id: int) -> list[Justification]:
        """Why a derived fact holds (empty for a pure input)."""
        self._settle()
        return self._memory.justifications(fact_id)

    def conclusions(self) -> list[Conclusion]:
        """Every `conclusion.*` fact, most certain first."""
        self._settle()
        out = [
            Conclusion(f.name[len(CONCLUSION_PREFIX):], f.cf, self._memory.justifications(f.id or 0))
            for f in self._memory.named()
            if f.name.startswith(CONCLUSION_PREFIX)
        ]
        out.sort(key=lambda c: (-c.cf, c.id))
        return out

    # ---------------------------------------------------------------- running

    def run(self, max_steps: int = 10000) -> int:
        """Fire activations until none is left or ``max_steps`` fired; return how many fired."""
        fired = 0
        self._settle()
        while fired < max_steps:
            activation = self._agenda.pop()
            if activation is None:
                break
            self._fire(activation)
            fired += 1
            self._settle()
        return fired

    @property
    def trace(self) -> list[Firing]:
        """Every firing so far, in order."""
        return list(self._trace)

    # ---------------------------------------------------------------- explanations

    def how(self, conclusion_id: str) -> list[Explanation]:
        """How a conclusion was reached: one tree per justification (empty if not reached)."""
        self._settle()
        return [e for f in self._memory.named(CONCLUSION_PREFIX + conclusion_id) for e in self._explain(f)]

    def why(self, fact_name: str) -> list[Why]:
        """Why a fact matters: the rules that test it and the conclusions they lead to."""
        return why(self.rulebase, fact_name)

    def _explain(self, fact: Fact) -> list[Explanation]:
        return explain(self._memory, self.rulebase, fact.id or 0)

    # ---------------------------------------------------------------- matching

    def _settle(self) -> None:
        """Re-match every rule that mentions a changed name until nothing changes.

        Only support is withdrawn or re-weighed here; nothing fires, so this ends.
        """
        while True:
            for name in self._memory.drain():
                self._stale.update(self.rulebase.mentioning(name))
            if not self._stale:
                return
            stale, self._stale = sorted(self._stale), set()
            for position in stale:
                self._reconcile(position)

    def _match(self, rule: Rule) -> dict[tuple[int, ...], tuple[int, Env]]:
        """Every activation of one rule now, as premise ids -> (how many `when` matched, bindings).

        The premises are the facts `when` matched, then those the `then` part reads.
        """
        out: dict[tuple[int, ...], tuple[int, Env]] = {}
        for ids, env in rule.when.bindings({}, self):
            matched = tuple(dict.fromkeys(ids))
            if rule.reads:
                resolver = Resolver(env, self)
                for parts in sorted(rule.reads):  # a fixed premise order, whatever the hash seed
                    resolver(parts)
                ids = matched + tuple(i for i in resolver.read if i not in matched)
            else:
                ids = matched
            out.setdefault(ids, (len(matched), env))
        return out

    def _reconcile(self, position: int) -> None:
        """Bring one rule's agenda entries and fired support in line with what matches now."""
        rule = self.rulebase.rules[position]
        current = self._match(rule)
        fired = self._fired.setdefault(position, {})
        for ids in [ids for ids in fired if ids not in current]:
            self._withdraw(position, ids)
        for ids, record in fired.items():
            premise_cf = self._premise_cf(ids[:record.matched])
            if premise_cf is not None:  # None: a premise just left; the next pass withdraws it
                self._refresh(record, premise_cf)
        pending = self._agenda.pending(position)
        for ids in [ids for ids in pending if ids not in current]:
            self._agenda.discard(position, ids)
        for ids, (matched, env) in current.items():
            if ids not in fired and ids not in pending:
                self._agenda.add(Activation(rule, position, ids, matched, env))

    def _premise_cf(self, ids: tuple[int, ...]) -> float | None:
        """The certainty of a conjunction: its weakest premise (None if one is gone)."""
        facts = [self._memory.get(i) for i in ids]
        if any(f is None for f in facts):
            return None
        return min((f.cf for f in facts if f is not None), default=1.0)

    # ---------------------------------------------------------------- firing

    def _fire(self, activation: Activation) -> None:
        rule, ids = activation.rule, activation.fact_ids
        premise_cf = self._premise_cf(ids[:activation.matched])
        if premise_cf is None:  # cannot happen once settled; never fire on a vanished fact
            return
        env = {k: self._memory.get(f.id or 0) or f for k, f in activation.env.items()}
        lookup = Resolver(env, self)
        meta = freeze(render_meta(rule.meta, lookup))
        record = _Fired(activation.matched, premise_cf)
        self._fired.setdefault(activation.position, {})[ids] = record
        for slot, action in enumerate(rule.asserts):
            value = action.value if action.expr is None else action.expr.evaluate(lookup)
            if value is not UNDEFINED:
                self._support(rule, ids, slot, action.fact, value, action.cf, meta, record)
        if rule.conclude:
            self._support(rule, ids, CONCLUDE_SLOT, CONCLUSION_PREFIX + rule.conclude, True, rule.cf, meta, record)
        asserted = tuple(fid for fid, _, _ in record.targets)
        self._trace.append(Firing(len(self._trace) + 1, rule.id, ids, asserted))
        log.debug("fire %s on %s -> %s", rule.id, ids, asserted)

    def _support(self, rule: Rule, ids: tuple[int, ...], slot: int, name: str, value: Any,
                 action_cf: float, meta: Any, record: _Fired) -> None:
        cf = action_cf * record.premise_cf
        fact = Fact(name, value, f"rule:{rule.id}", cf)
        existing = self._memory.find(fact)
        if existing is not None and self._rests_on(ids, existing):
            log.debug("%s: ignoring circular support for #%d", rule.id, existing)
            return
        key: SupportKey = (rule.id, ids, slot)
        fact_id = self._memory.support(fact, key, Justification(rule.id, cf, ids, meta))
        record.targets.append((fact_id, key, action_cf))

    def _rests_on(self, ids: tuple[int, ...], target: int) -> bool:
        """Whether any of these facts is, or is derived from, ``target``."""
        seen: set[int] = set()
        stack = list(ids)
        while stack:
            fid = stack.pop()
            if fid == target:
                return True
            if fid not in seen:
                seen.add(fid)
                for just in self._memory.justifications(fid):
                    stack.extend(just.premise_ids)
        return False

    def _withdraw(self, position: int, ids: tuple[int, ...]) -> None:
        record = self._fired[position].pop(ids)
        log.debug("withdraw %s on %s", self.rulebase.rules[position].id, ids)
        for fact_id, key, _ in record.targets:
            self._memory.unsupport(fact_id, key)

    def _refresh(self, record: _Fired, premise_cf: float) -> None:
        if premise_cf == record.premise_cf:
            return
        record.premise_cf = premise_cf
        for fact_id, key, action_cf in record.targets:
            self._memory.update_support(fact_id, key, action_cf * premise_cf)
