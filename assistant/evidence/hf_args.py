"""HF/TRL config dumps: a training script's ``GRPOConfig(...)`` / ``SFTConfig(...)`` /
``TrainingArguments(...)`` / ``LoraConfig(...)`` calls, or the arguments as transformers prints them.

Recognised when the text is a Python file holding such a call, or is (nearly) nothing but the
printed dump; a log that prints the arguments among other output is the console-log reader's,
which reads the same dump from the log's head. Values are read as literals (``_calls``): nothing
is run. The facts are the axolotl config reader's (``config.*`` in axolotl names, ``run.kind``
from the config class: GRPOConfig -> grpo, DPO/CPO -> dpo, KTO -> kto, ORPO -> orpo,
SFTConfig/TrainingArguments -> sft).
"""
from __future__ import annotations

import re
from pathlib import Path

from assistant.evidence import Progress, Reader, register
from assistant.evidence._calls import CallDump, find_calls, has_call, parse_python
from assistant.evidence._input import CONFIG_LIMIT, HEAD_BYTES
from assistant.evidence._logscan import looks_like_log
from assistant.evidence._translate import Setting, kind_of, settings_facts, would_map
from assistant.evidence.series import Reading

__all__ = ["HfArgsReader", "dump_settings"]

MAX_OTHER_LINES = 3  # "my args:" and a code fence around a pasted dump
# matched against the stripped line: `^\s*(...)\s*$` backtracks quadratically on a long run of spaces
_IGNORABLE = re.compile(r"(?:#.*|```\w*|print\(.*\))?")
_PEFT_CALLS = ("LoraConfig", "get_peft_model")


@register
class HfArgsReader(Reader):
    name = "hf_args"
    kind = "axolotl_config"
    max_bytes = CONFIG_LIMIT

    def sniff(self, head: bytes, path: Path) -> bool:
        if not has_call(head) or looks_like_log(head):
            return False
        text = head.decode("utf-8", "replace")
        dumps = [d for d in find_calls(text) if d.settings]
        if not dumps:
            return False
        if len(head) < HEAD_BYTES and parse_python(text) is not None:
            return True  # a whole Python file holding a config call
        inside = {n for d in dumps for n in range(d.line, d.end_line + 1)}
        other = sum(1 for n, line in enumerate(text.splitlines(), 1) if n not in inside and not _IGNORABLE.fullmatch(line.strip()))
        return other <= MAX_OTHER_LINES

    def read(self, path: Path, progress: Progress | None = None) -> Reading:
        text = self.whole_text(path, progress)
        reading = Reading(str(path), self.kind)
        dumps = find_calls(text)
        if not dumps:
            reading.warnings.append(f"{path.name}: no TrainingArguments/TRL config call could be read")
            return reading
        settings, tool, kind, line = dump_settings(dumps)
        skipped = sorted({k for d in dumps for k in d.skipped if would_map(k, tool, kind)})
        if skipped:
            reading.warnings.append(f"{path.name}: {len(skipped)} arguments are not literal values and were not "
                                    f"read ({', '.join(skipped[:8])}{', ...' if len(skipped) > 8 else ''})")
        reading.facts.extend(settings_facts(settings, tool, kind, path, reading.warnings, line))
        return reading


def dump_settings(dumps: list[CallDump]) -> tuple[list[Setting], str, str | None, int]:
    """(settings, tool layer, run kind, line stating the kind) of the config calls of one text.

    A config class states the kind (an RL class beats SFTConfig/TrainingArguments printed beside it);
    a LoRA call means a LoRA adapter."""
    settings = [s for d in dumps for s in d.settings]
    tool = "unsloth" if any(d.kind[1] == "unsloth" for d in dumps) else "hf"
    stated = [(d.kind[0], d.line) for d in dumps if d.kind[0]]
    kind, line = next(((k, n) for k, n in stated if k != "sft"), stated[0] if stated else (None, 0))
    kind = kind or kind_of(settings)
    peft = next((d for d in dumps if d.name.endswith(_PEFT_CALLS)), None)
    if peft is not None:
        settings.append(Setting("use_peft", True, peft.line))
    return settings, tool, kind, line
