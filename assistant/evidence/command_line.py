"""A training command line or launch script (``train.sh``, a pasted ``torchrun ...``), as config facts.

Recognised when the text is shell: every line a comment, an assignment, a shell builtin or a
training command (``_cmdline``: python / accelerate / torchrun / deepspeed / llamafactory-cli /
swift / trl / axolotl / ray), with at most a couple of other lines (a prompt, a note). The first
training command is read; its tool's flags go through the one name table, so ``--cutoff_len``,
``--max_len`` and ``data.max_response_length=`` become ``config.sequence_len`` /
``config.trl.max_completion_length`` like an axolotl YAML's keys, the launcher's GPU count becomes
``config.world_size``, and the tool's stage / rlhf type / estimator becomes ``run.kind``.
"""
from __future__ import annotations

import re
from pathlib import Path

from assistant.evidence import Progress, Reader, register
from assistant.evidence._cmdline import is_launch_line, launch_hint_found, parse_commands
from assistant.evidence._input import CONFIG_LIMIT, read_text
from assistant.evidence._logscan import looks_like_log
from assistant.evidence._translate import settings_facts
from assistant.evidence.series import Reading

__all__ = ["CommandLineReader"]

MAX_OTHER_LINES = 2
_SHELL = re.compile(
    r"^\s*(?:#.*|```\w*|[A-Za-z_]\w*=.*|export\s.*|unset\s.*|set\s+[-+].*|cd(?:\s.*)?|source\s.*|\.\s.*|echo\b.*|"
    r"mkdir\s.*|ulimit\s.*|conda\s+activate.*|(?:if|then|else|elif|fi|for|do|done|while|wait|case|esac)\b.*|"
    r"pip3?\s+install.*|[{}]|\w+\s*\(\)\s*\{?)\s*$")
# Only the flags of a command, pasted without its program (`--finetuning_type lora \` on each line).
_FLAG_LINE = re.compile(rb"^[ \t]*--[A-Za-z][\w.-]*(?:[ =][^\n]*)?$")
_MIN_FLAG_LINES = 2
BARE_PROGRAM = b"python train.py "  # stands for the program the paste left out; the keys tell the tool


@register
class CommandLineReader(Reader):
    name = "command_line"
    kind = "axolotl_config"
    max_bytes = CONFIG_LIMIT

    def sniff(self, head: bytes, path: Path) -> bool:
        head = with_program(head)
        if not launch_hint_found(head) or looks_like_log(head):
            return False
        text = head.decode("utf-8", "replace")
        logical = _logical(text)
        if not any(is_launch_line(line) for line in logical):
            return False
        other = sum(1 for line in logical if not is_launch_line(line) and not _SHELL.match(line))
        return other <= MAX_OTHER_LINES and bool(parse_commands(text)[0])

    def read(self, path: Path, progress: Progress | None = None) -> Reading:
        text = with_program(read_text(path, self.max_bytes).encode("utf-8", "surrogateescape")).decode(
            "utf-8", "surrogateescape")
        if progress is not None:
            progress(len(text), len(text))
        reading = Reading(str(path), self.kind)
        commands, problems = parse_commands(text)
        reading.warnings.extend(f"{path.name}: {p}" for p in problems)
        training = [c for c in commands if c.settings or c.unresolved]
        if not training:
            reading.warnings.append(f"{path.name}: no training command with flags found")
            return reading
        command = training[0]
        if len(training) > 1:
            reading.warnings.append(f"{path.name}: {len(training) - 1} more training commands after line "
                                    f"{command.line}; only the first was read")
        if command.unresolved:
            reading.warnings.append(f"{path.name}: {', '.join(command.unresolved)} use shell variables not "
                                    "defined in the file; not read")
        reading.facts.extend(settings_facts(command.settings, command.tool, command.kind, path, reading.warnings,
                                            command.line))
        return reading


def with_program(text: bytes) -> bytes:
    """``text`` with a stand-in program before it when it is nothing but flag lines, else unchanged:
    a paste of a command's flags is read as that command (its keys say which tool it is)."""
    flags = 0
    for line in text.splitlines():   # stops at the first line that is not a flag (almost every file's first)
        if line.strip():
            if not _FLAG_LINE.match(line):
                return text
            flags += 1
    if flags < _MIN_FLAG_LINES:
        return text
    # one flag per line, pasted without the backslashes that made them one command: put them back
    lines = text.split(b"\n")
    last = max(i for i, line in enumerate(lines) if line.strip())
    text = b"\n".join(line if i >= last or not line.strip() or line.rstrip().endswith(b"\\")
                      else line.rstrip() + b" \\" for i, line in enumerate(lines))
    start = len(text) - len(text.lstrip())
    start = text.rfind(b"\n", 0, start) + 1  # the first flag line keeps its number
    return text[:start] + BARE_PROGRAM + text[start:].lstrip(b" \t")


def _logical(text: str) -> list[str]:
    """Non-blank lines with backslash continuations joined (cheap: for sniffing)."""
    joined = re.sub(r"\\\r?\n", " ", text)
    return [line for line in joined.splitlines() if line.strip()]
