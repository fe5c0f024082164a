"""A domain-free forward-chaining engine with certainty factors.

Rules are YAML (see docs/ARCHITECTURE.md, "Rule language"); facts are dotted
names with values; conclusions carry MYCIN certainty factors and justifications
that explain HOW they were reached, and the rulebase answers WHY a fact matters.
Nothing here knows what the rules are about.
"""
from __future__ import annotations

from typing import Any

from .certainty import THRESHOLD, combine, combine_all
from .engine import Conclusion, Engine
from .facts import Fact
from .memory import Justification
from .rules import Example, Rule, RuleBase
from .trace import Explanation, Firing, Premise, Why, format_how

__all__ = [
    "Fact", "Engine", "RuleBase", "Rule", "Example", "load_rulebase", "run_examples", "ExampleResult",
    "Conclusion", "Justification", "Explanation", "Premise", "Firing", "Why", "format_how",
    "THRESHOLD", "combine", "combine_all",
]


_LAZY = {"load_rulebase": "loader", "run_examples": "examples", "ExampleResult": "examples"}


def __getattr__(name: str) -> Any:
    """The loader (PyYAML, the YAML tree) and the example runner load on first access: a
    consultation runs a rulebase unpickled from the cache and never parses rule files."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
