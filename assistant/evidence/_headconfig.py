"""Config facts from the head of a console log: the arguments it printed, the command that started it.

HF example scripts and LLaMA-Factory log ``Training/evaluation parameters TrainingArguments(...)``;
unsloth prints ``UnslothGRPOConfig(...)``; a ``set -x`` launch script echoes ``+ torchrun ... --lr``.
Both come before training starts, so only the first megabyte is read. A log's run kind comes from
its metrics unless the config states an RL kind: the ``sft`` a printed TrainingArguments implies
is left out.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate
from pathlib import Path

from assistant.engine.facts import Fact
from assistant.evidence._calls import CALL_HINT, find_calls
from assistant.evidence._cmdline import LAUNCH_HINT, parse_commands
from assistant.evidence._input import read_head
from assistant.evidence._translate import settings_facts
from assistant.evidence.hf_args import dump_settings

__all__ = ["head_config_facts", "HEAD_CONFIG_BYTES"]

HEAD_CONFIG_BYTES = 1024 * 1024
MIN_SETTINGS = 2  # fewer is a mention (`see TrainingArguments(output_dir=...)`), not a dump


# Literals every match of CALL_HINT / LAUNCH_HINT holds: the hints are regexes CPython runs at a few
# MB/s over a megabyte of head, while `bytes.find` of a literal runs at memory speed.
_CALL_WORDS = (b"Arguments", b"Config", b"FastLanguageModel.", b"FastModel.")
_LAUNCH_WORDS = (b"python", b"accelerate", b"torchrun", b"deepspeed", b"llamafactory-cli", b"lmf", b"swift", b"trl",
                 b"axolotl", b"ray")


def _has_call(head: bytes) -> bool:
    """CALL_HINT.search(head), run only when its `(` and one of its literals are there."""
    return b"(" in head and any(word in head for word in _CALL_WORDS) and CALL_HINT.search(head) is not None


# The lines where LAUNCH_HINT can match (after a `\n` put before the head): each branch of the pattern
# starts with a byte that is no whitespace, and a line starting with `{` (a metrics dict) can match
# only through `\S*/`, with a `/` in its first word. In a log of progress bars and metric dicts few
# lines are left, and the literal `\n` lets CPython skip to each line at memory speed.
_LAUNCH_LINE = re.compile(rb"\n((?:[^\s{]|\{[^\s/]*/)[^\n]*)")


def _has_launch(head: bytes) -> bool:
    """LAUNCH_HINT.search(head): a matching line holds one of its command words, so the pattern is
    tried only from the start of the lines that do, among the lines it can match at all."""
    found = [(m.start(1) - 1, m[1]) for m in _LAUNCH_LINE.finditer(b"\n" + head)]
    if not found:
        return False
    text = b"\n".join([line for _, line in found])   # the words are searched in these lines only
    offsets = [0, *accumulate(len(line) + 1 for _, line in found)]
    tried: set[int] = set()
    for word in _LAUNCH_WORDS:
        at = text.find(word)
        while at != -1:
            k = bisect_right(offsets, at) - 1
            if k not in tried:
                tried.add(k)
                if LAUNCH_HINT.match(head, found[k][0]) is not None:
                    return True
            at = text.find(word, offsets[k + 1])   # the next line holding the word
    return False


def head_config_facts(path: Path, warnings: list[str]) -> list[Fact]:
    """config.* (and an RL run.kind) from the printed config calls and the launch command in the log's head."""
    head = read_head(path, HEAD_CONFIG_BYTES)
    has_calls, has_command = _has_call(head), _has_launch(head)
    if not (has_calls or has_command):
        return []
    text = head.decode("utf-8", "replace")
    facts: list[Fact] = []
    dumps = [d for d in find_calls(text) if len(d.settings) >= MIN_SETTINGS] if has_calls else []
    if dumps:
        settings, tool, kind, line = dump_settings(dumps)
        facts += settings_facts(settings, tool, kind, path, warnings, line)
    commands = [c for c in parse_commands(text)[0] if len(c.settings) >= MIN_SETTINGS] if has_command else []
    if commands:
        c = commands[0]
        facts += settings_facts(c.settings, c.tool, c.kind, path, warnings, c.line)
    out: dict[str, Fact] = {}
    for f in facts:
        if not (f.name == "run.kind" and f.value == "sft"):
            out.setdefault(f.name, f)  # the printed arguments (what ran) before the command line
    return list(out.values())
