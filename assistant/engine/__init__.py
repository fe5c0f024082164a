"""A domain-free forward-chaining engine with certainty factors.

Rules are YAML (see docs/ARCHITECTURE.md, "Rule language"); facts are dotted
names with values; conclusions carry MYCIN certainty factors and justifications
that explain HOW they were reached, and the rulebase answers WHY a fact matters.
Nothing here knows what the rules are about.
"""
from __future__ import annotations

from .certainty import THRESHOLD, combine, combine_all
from .engine import Conclusion, Engine
from .examples import ExampleResult, run_examples
from .facts import Fact
from .loader import load_rulebase
from .memory import Justification
from .rules import Example, Rule, RuleBase
from .trace import Explanation, Firing, Premise, Why, format_how

__all__ = [
    "Fact", "Engine", "RuleBase", "Rule", "Example", "load_rulebase", "run_examples", "ExampleResult",
    "Conclusion", "Justification", "Explanation", "Premise", "Firing", "Why", "format_how",
    "THRESHOLD", "combine", "combine_all",
]
