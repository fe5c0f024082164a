"""Rule examples: each rule carries facts in and conclusions expected out.

An example runs the whole rulebase, not the rule alone, so rules that depend on
facts other rules derive can be exemplified from the inputs a user would have.
"""
from __future__ import annotations

from dataclasses import dataclass

from .certainty import satisfies
from .engine import Engine
from .rules import Example, RuleBase

__all__ = ["ExampleResult", "run_examples", "check_example"]


@dataclass(frozen=True)
class ExampleResult:
    rule_id: str
    index: int  # 0-based position in the rule's `examples`
    ok: bool
    message: str  # what went wrong, empty when ok
    location: str = ""  # file:line:col of the example


def run_examples(rulebase: RuleBase) -> list[ExampleResult]:
    """Run every example of every rule, in rulebase order."""
    results = []
    for rule in rulebase.rules:
        for index, example in enumerate(rule.examples):
            failures = check_example(rulebase, example)
            results.append(ExampleResult(rule.id, index, not failures, "; ".join(failures), example.location))
    return results


def check_example(rulebase: RuleBase, example: Example) -> list[str]:
    """The ways the example's expectations fail (empty when it passes)."""
    engine = Engine(rulebase)
    for fact in example.facts:
        engine.assert_fact(fact)
    engine.run()
    cfs = {c.id: c.cf for c in engine.conclusions()}
    failures = []
    for cid in example.expect:
        if not satisfies(cfs.get(cid, 0.0)):
            got = f"cf {cfs[cid]:.2f}" if cid in cfs else "not reached"
            failures.append(f"expected conclusion {cid}, {got}")
    for cid in example.expect_not:
        if satisfies(cfs.get(cid, 0.0)):
            failures.append(f"conclusion {cid} not expected, reached with cf {cfs[cid]:.2f}")
    for name in example.expect_fact:
        if not engine.satisfying(name):
            failures.append(f"expected fact {name}, not derived")
    return failures
