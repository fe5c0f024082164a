"""Explanations: what fired (trace), how a conclusion was reached (HOW), and
why a fact matters (WHY)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from .memory import WorkingMemory
from .rules import RuleBase

__all__ = ["Firing", "Premise", "Explanation", "Why", "explain", "why", "format_how"]


class Firing(NamedTuple):
    """One rule firing, in the order it happened."""

    step: int
    rule_id: str
    premise_ids: tuple[int, ...]
    asserted_ids: tuple[int, ...]


@dataclass(frozen=True)
class Premise:
    """A fact a firing rested on: an input, or derived (then ``explanation`` says how)."""

    fact_id: int
    name: str
    value: Any
    source: str
    cf: float
    is_input: bool
    explanation: list[Explanation] | None  # None when no rule derived it


@dataclass(frozen=True)
class Explanation:
    """One justification: the rule, what it lent and the premises it fired on."""

    rule_id: str
    description: str
    cf: float
    meta: Any
    premises: list[Premise]


class Why(NamedTuple):
    """A rule that tests the fact asked about, and the conclusions it can lead to."""

    rule_id: str
    conclusions: tuple[str, ...]


def explain(memory: WorkingMemory, rulebase: RuleBase, fact_id: int) -> list[Explanation]:
    """Every justification of a fact, each down to the input facts.

    Support never loops (the engine refuses a justification that would rest on
    the fact it supports), so the recursion ends.
    """
    out = []
    for just in memory.justifications(fact_id):
        premises = []
        for pid in just.premise_ids:
            fact = memory.get(pid)
            if fact is None:
                continue
            sub = explain(memory, rulebase, pid) if memory.justifications(pid) else None
            premises.append(Premise(pid, fact.name, fact.value, fact.source, fact.cf, memory.is_input(pid), sub))
        rule = rulebase.get(just.rule_id)
        out.append(Explanation(rule.id, rule.description, just.cf, just.meta, premises))
    out.sort(key=lambda e: -e.cf)
    return out


def why(rulebase: RuleBase, fact_name: str) -> list[Why]:
    """The rules that test ``fact_name``, in rulebase order, with what they lead to."""
    return [
        Why(rule.id, tuple(sorted(rulebase.leads_to(rule.id))))
        for rule in rulebase.rules
        if fact_name in rule.referenced_facts()
    ]


def format_how(explanations: list[Explanation], indent: str = "") -> str:
    """A HOW tree as indented text, one rule or fact per line."""
    lines: list[str] = []
    for exp in explanations:
        lines.append(f"{indent}rule {exp.rule_id} (cf {exp.cf:+.2f})" + (f": {exp.description}" if exp.description else ""))
        for p in exp.premises:
            origin = f"from {p.source}" if p.is_input else "derived"
            lines.append(f"{indent}  {p.name} = {p.value!r} (cf {p.cf:.2f}, {origin})")
            if p.explanation:
                lines.append(format_how(p.explanation, indent + "    "))
    return "\n".join(lines)
