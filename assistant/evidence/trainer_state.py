"""trainer_state.json, as HF ``TrainerState.save_to_json`` writes it.

The file is JSON with bare NaN/Infinity (Python's json accepts them), sorted keys
and indent 2. A run killed while saving leaves it truncated: then each complete
``log_history`` entry is still read, one ``raw_decode`` at a time.
"""
from __future__ import annotations

import json
import re
from collections import defaultdict, deque
from pathlib import Path
from typing import Any

from assistant.engine.facts import Fact
from assistant.errors import InputError
from assistant.evidence import Progress, Reader, register
from assistant.evidence._input import check_file, read_text
from assistant.evidence._records import RunTracker, add_record, as_step
from assistant.evidence._structured import TooDeep, check_json_depth, json_decoder
from assistant.evidence._text import source
from assistant.evidence.series import Reading

__all__ = ["TrainerStateReader"]

# Header fields worth a fact, as `state.<name>`.
STATE_FIELDS = ("logging_steps", "eval_steps", "save_steps", "train_batch_size", "num_train_epochs",
                "best_metric")
_STEP_RE = re.compile(r'"step":\s*(-?\d{1,18})\b')
_TOP_SCALAR = re.compile(r'^ {0,2}"(\w+)":\s*(-?[\d.eE+-]+|true|false|null|NaN|-?Infinity)\s*,?\s*$', re.M)
_HEAD_RE = re.compile(rb'"log_history"\s*:')


@register
class TrainerStateReader(Reader):
    name = "trainer_state"
    kind = "trainer_state"

    def sniff(self, head: bytes, path: Path) -> bool:
        return head.lstrip()[:1] == b"{" and bool(_HEAD_RE.search(head))

    def read(self, path: Path, progress: Progress | None = None) -> Reading:
        size = check_file(path)
        text = read_text(path)
        if progress is not None:
            progress(size, size)
        name = path.name
        reading = Reading(str(path), self.kind)
        try:
            check_json_depth(text)
            try:
                state = json_decoder().decode(text)
                if not isinstance(state, dict):
                    raise InputError(str(path), "not a trainer_state.json (the JSON is not an object)")
            except json.JSONDecodeError:
                state, entries = _partial(text)
                if not entries and not state:
                    raise InputError(str(path), "not valid JSON, and no log_history entry could be read") from None
                reading.warnings.append(f"{name}: truncated JSON, read the first {len(entries)} entries")
            else:
                entries = state.get("log_history") or []
        except TooDeep as e:
            raise InputError(str(path), str(e)) from None
        if not isinstance(entries, list):
            reading.warnings.append(f"{name}: log_history is not a list; no entries read")
            entries = []
        lines = _entry_lines(text)
        run = RunTracker(name)
        for entry in entries:
            step = _int(entry.get("step")) if isinstance(entry, dict) else None
            if step is None:
                continue  # custom `predict_*` logs carry no step
            queue = lines.get(step)
            line = queue.popleft() if queue else 0
            add_record(reading, run, {k: v for k, v in entry.items() if k != "step"}, line, step, tabular=False)
        reading.facts.extend(_run_facts(run, state, text, name))
        reading.facts.extend(_state_facts(state, text, name))
        return reading


def _run_facts(run: RunTracker, state: dict[str, Any], text: str, name: str) -> list[Fact]:
    global_step, max_steps = _int(state.get("global_step")), _int(state.get("max_steps"))
    if isinstance(max_steps, int):
        run.note_max_steps(max_steps, _key_line(text, "max_steps"))
    if isinstance(global_step, int) and global_step > 0:
        run.last_step, run.last_line = global_step, _key_line(text, "global_step")
    if not run.completed and isinstance(global_step, int) and isinstance(max_steps, int) and 0 < max_steps <= global_step:
        run.summary(_key_line(text, "global_step"))
    return run.facts()


def _int(value: Any) -> int | None:
    """An integer field as HF writes it; anything else (a string, a float, a number past int64) is None."""
    return as_step(value) if isinstance(value, int) else None


def _state_facts(state: dict[str, Any], text: str, name: str) -> list[Fact]:
    out = []
    for key in STATE_FIELDS:
        value = state.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out.append(Fact(f"state.{key}", value, source(name, _key_line(text, key))))
    return out


def _key_line(text: str, key: str) -> int:
    m = re.search(rf'^ {{0,2}}"{re.escape(key)}":', text, re.M)
    return text.count("\n", 0, m.start()) + 1 if m else 0


def _entry_lines(text: str) -> dict[int, deque[int]]:
    """step -> the lines of its `"step": N` keys in file order (train and eval entries share steps)."""
    out: dict[int, deque[int]] = defaultdict(deque)
    at, line = 0, 1
    for m in _STEP_RE.finditer(text):
        line += text.count("\n", at, m.start())
        at = m.start()
        out[int(m.group(1))].append(line)
    return out


def _partial(text: str) -> tuple[dict[str, Any], list[Any]]:
    """Header scalars and the complete log_history entries of a truncated file."""
    state: dict[str, Any] = {}
    for m in _TOP_SCALAR.finditer(text):
        try:
            state[m.group(1)] = json_decoder().decode(m.group(2))
        except ValueError:  # JSONDecodeError, or TooDeep for a number past the digit limit
            continue
    entries: list[Any] = []
    start = text.find('"log_history"')
    if start == -1:
        return state, entries
    i = text.find("[", start) + 1
    decoder = json_decoder()
    while 0 < i < len(text):
        while i < len(text) and text[i] in " \t\r\n,":
            i += 1
        if i >= len(text) or text[i] == "]":
            break
        try:
            entry, i = decoder.raw_decode(text, i)
        except json.JSONDecodeError:
            break
        entries.append(entry)
    return state, entries
