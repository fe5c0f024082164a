"""Completion for the prompt: command names after ``/``, file paths after ``/attach`` and ``/export``.

``complete`` is a plain function so Tab can use it at once and tests can call it;
``PathSuggester`` shows the same completion as the Input's grey suggestion.
"""
from __future__ import annotations

import os
from pathlib import Path

from textual.suggester import Suggester

from assistant.tui.commands import COMMANDS

__all__ = ["PathSuggester", "complete"]

_PATH_COMMANDS = ("/attach", "/export")


def _complete_path(token: str, cwd: Path) -> str | None:
    expanded = os.path.expanduser(token)
    directory, prefix = os.path.split(expanded)
    base = Path(directory) if os.path.isabs(directory) else cwd / directory
    try:
        names = sorted(n for n in os.listdir(base)
                       if n.startswith(prefix) and (prefix.startswith(".") or not n.startswith(".")))
    except OSError:
        return None
    if not names:
        return None
    common = os.path.commonprefix(names)
    pick = common if len(names) > 1 and len(common) > len(prefix) else names[0]
    if pick == names[0] and (base / pick).is_dir():
        pick += "/"
    completed = token[: len(token) - len(prefix)] + pick
    return completed if completed != token else None


def complete(value: str, cwd: Path | None = None) -> str | None:
    """``value`` with its last word completed, or None when there is nothing to add."""
    if value.startswith("/") and " " not in value:
        names = [f"/{n} " for n in COMMANDS if f"/{n}".startswith(value.lower())]
        return names[0] if names and names[0] != value else None
    command, sep, rest = value.partition(" ")
    if not sep or command not in _PATH_COMMANDS:
        return None
    token = "" if rest.endswith(" ") or not rest else rest.split(" ")[-1]
    completed = _complete_path(token, cwd or Path.cwd())
    return value[: len(value) - len(token)] + completed if completed else None


class PathSuggester(Suggester):
    """The Input's inline suggestion; no cache, since files come and go."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        return complete(value)
