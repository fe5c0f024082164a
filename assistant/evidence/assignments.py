"""Settings pasted as assignments: ``learning_rate = 1e-6`` lines, bare or as a bullet list.

Users paste the settings of a run the way their script or notes hold them: module-level
constants (``lr = 2e-5``), a bullet list in an issue (``- num_generations = 16``), a ``.env``
or INI-like block (``per_device_train_batch_size=4``). Recognised when nearly every line is
one assignment and at least two of the names mean something to the rules; the values are read
as literals (numbers, booleans, strings; nothing is run) and go through the one name table, so
the facts are the axolotl config reader's.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from assistant.evidence import Progress, Reader, register
from assistant.evidence._input import CONFIG_LIMIT
from assistant.evidence._logscan import looks_like_log
from assistant.evidence._translate import Setting, kind_of, settings_facts, would_map
from assistant.evidence.series import Reading
from assistant.evidence.tool_config import TRL_GENERATION_KEYS, settings_tool

__all__ = ["AssignmentsReader", "assignments"]

MIN_KNOWN = 2          # names the rules know, below which a file of `a = b` lines is not a config
MAX_OTHER_SHARE = 0.2  # lines that are no assignment (a heading, "my settings:", a chained `a = b = 1`)
_MAX_VALUE = 200
# `key = value`, optionally a bullet; the value ends at a comment and holds no second `=`
_LINE = re.compile(r"[-*\u2022]?\s*([A-Za-z_][\w.]{0,80})\s*=\s*([^=#\n]{1,200}?)\s*(?:#.*)?")
_IGNORABLE = re.compile(r"(?:#.*|```\w*|//.*)?")


def assignments(text: str) -> tuple[list[Setting], int]:
    """(the assignments, as settings with their line numbers; the count of other non-blank lines)."""
    settings: list[Setting] = []
    other = 0
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        m = _LINE.fullmatch(stripped)
        if m:
            settings.append(Setting(m.group(1), _value(m.group(2)), n))
        elif not _IGNORABLE.fullmatch(stripped):
            other += 1
    return settings, other


def _value(raw: str) -> Any:
    """A literal's value (`1e-6`, `True`, `"sdpa"`); a bare word stays text, `true`/`false` booleans."""
    raw = raw.strip().rstrip(",;")
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    try:
        value = ast.literal_eval(raw) if len(raw) <= _MAX_VALUE else raw
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return raw.strip("'\"")
    return value if isinstance(value, (int, float, str, bool, tuple, list)) else raw


@register
class AssignmentsReader(Reader):
    name = "assignments"
    kind = "axolotl_config"
    max_bytes = CONFIG_LIMIT

    def sniff(self, head: bytes, path: Path) -> bool:
        if looks_like_log(head):
            return False   # a log that prints its arguments: the console-log reader reads the dump from its head
        settings, other = assignments(head.decode("utf-8", "replace"))
        if not settings or other > MAX_OTHER_SHARE * (len(settings) + other):
            return False
        tool, kind = settings_tool(settings), kind_of(settings)
        known = sum(would_map(s.key, tool, kind) for s in settings)
        # one of TRL's generation settings alone (`max_completion_length = 80`) is the part of a GRPO config
        # a user pastes: its name means that setting wherever it is written
        return known >= MIN_KNOWN or (known >= 1 and any(s.key in TRL_GENERATION_KEYS for s in settings))

    def read(self, path: Path, progress: Progress | None = None) -> Reading:
        text = self.whole_text(path, progress)
        reading = Reading(str(path), self.kind)
        settings, _ = assignments(text)
        reading.facts.extend(settings_facts(settings, settings_tool(settings), kind_of(settings), path, reading.warnings))
        return reading
