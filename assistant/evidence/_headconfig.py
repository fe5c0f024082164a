"""Config facts from the head of a console log: the arguments it printed, the command that started it.

HF example scripts and LLaMA-Factory log ``Training/evaluation parameters TrainingArguments(...)``;
unsloth prints ``UnslothGRPOConfig(...)``; a ``set -x`` launch script echoes ``+ torchrun ... --lr``.
Both come before training starts, so only the first megabyte is read. A log's run kind comes from
its metrics unless the config states an RL kind: the ``sft`` a printed TrainingArguments implies
is left out.
"""
from __future__ import annotations

from pathlib import Path

from assistant.engine.facts import Fact
from assistant.evidence._calls import find_calls, has_call
from assistant.evidence._cmdline import has_launch, parse_commands
from assistant.evidence._input import read_head
from assistant.evidence._translate import settings_facts
from assistant.evidence.hf_args import dump_settings

__all__ = ["head_config_facts", "HEAD_CONFIG_BYTES"]

HEAD_CONFIG_BYTES = 1024 * 1024
MIN_SETTINGS = 2  # fewer is a mention (`see TrainingArguments(output_dir=...)`), not a dump


def head_config_facts(path: Path, warnings: list[str]) -> list[Fact]:
    """config.* (and an RL run.kind) from the printed config calls and the launch command in the log's head."""
    head = read_head(path, HEAD_CONFIG_BYTES)
    has_calls, has_command = has_call(head), has_launch(head)
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
