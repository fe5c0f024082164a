"""The exception tree.

AssistantError            anything the user can act on; the CLI prints one line, exit 2
 ├── InputError           an attachment that cannot be read (path + problem)
 ├── RuleError            an invalid rulebase (every problem as file:line:col: message)
 └── ProbeError           a probe that could not run (callers turn it into "unknown")
"""
from __future__ import annotations

__all__ = ["AssistantError", "InputError", "RuleError", "ProbeError"]


class AssistantError(Exception):
    """Base class: its str() is the one line a user sees."""


class InputError(AssistantError):
    """An attachment is missing, empty, binary, too large, hostile or otherwise unreadable."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class RuleError(AssistantError):
    """The rulebase is invalid; ``problems`` holds one ``file:line:col: message`` each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems) if self.problems else "invalid rulebase")


class ProbeError(AssistantError):
    """A probe could not run."""
