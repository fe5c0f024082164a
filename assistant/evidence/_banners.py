"""The banners trainers print as training starts, read as config facts.

transformers (and so LLaMA-Factory, TRL, axolotl with INFO logging)::

    ***** Running training *****
      Num examples = 1,000
      Num Epochs = 3
      Instantaneous batch size per device = 8
      Total train batch size (w. parallel, distributed & accumulation) = 64
      Gradient Accumulation steps = 8
      Total optimization steps = 47
      Number of trainable parameters = 4,194,304

unsloth (several layouts over the years)::

    ==((====))==  Unsloth - 2x faster free finetuning | Num GPUs used = 1
       \\\\   /|    Num examples = 7,473 | Num Epochs = 1 | Total steps = 250
    O^O/ \\_/ \\    Batch size per device = 1 | Gradient accumulation steps = 4
    \\        /    Data Parallel GPUs = 1 | Total batch size (1 x 4 x 1) = 4
     "-____-"     Trainable parameters = 36,929,536 of 3,000,000,000 (1.16% trained)

Labels become HF argument names and go through the same name table as every config reader.
A banner cut by a chunk boundary of a huge log is read in part.
"""
from __future__ import annotations

import re
from typing import Callable

from assistant.evidence._config_names import lookup

__all__ = ["find_banner", "BANNER_HINTS"]

BANNER_HINTS = (b"***** Running training *****", b"==((====))==")
_BANNER_LINES = 12  # the transformers banner is 6-9 lines, unsloth's 5
# Label (lower case, parentheses dropped) -> HF argument name, or a run fact / an internal name.
LABELS = {
    "num examples": "run.num_examples",
    "num epochs": "num_train_epochs",
    "instantaneous batch size per device": "per_device_train_batch_size",
    "batch size per device": "per_device_train_batch_size",
    "gradient accumulation steps": "gradient_accumulation_steps",
    "total optimization steps": "run.max_steps",
    "total steps": "run.max_steps",
    "number of trainable parameters": "run.trainable_params",
    "trainable parameters": "run.trainable_params",
    "num gpus": "world_size",
    "num gpus used": "world_size",
    "data parallel gpus": "world_size",
    "total train batch size": "_total_batch",
    "total batch size": "_total_batch",
}
_PAIR = re.compile(rb"([A-Za-z][A-Za-z .&,()x\d]*?)\s*=\s*(\d[\d,]{0,30}(?:\.\d{1,30})?)(?![\d,.])")
_PARENS = re.compile(r"\([^)]*\)")


def find_banner(text: bytes, line_of: Callable[[int], int]) -> list[tuple[str, int | float, int]]:
    """(fact name, value, line) of the first training banner in ``text``: ``config.<axolotl key>`` and
    ``run.*`` names, and ``log.framework`` for unsloth's; ``line_of`` turns an offset into a line number."""
    for hint in BANNER_HINTS:
        start = text.find(hint)
        while start != -1:
            found = _read_block(text, start, hint == BANNER_HINTS[1], line_of)
            if found:
                return found
            start = text.find(hint, start + len(hint))
    return []


def _read_block(text: bytes, start: int, unsloth: bool, line_of: Callable[[int], int]) -> list[tuple[str, int | float, int]]:
    values: dict[str, tuple[int | float, int]] = {}
    pos = start
    for _ in range(_BANNER_LINES if not unsloth else 5):
        end = text.find(b"\n", pos)
        end = len(text) if end == -1 else end
        for part in text[pos:end].split(b"|"):
            m = _PAIR.search(part)
            if m is None:
                continue
            label = _PARENS.sub("", m[1].decode("ascii", "replace")).strip().lower()
            name = LABELS.get(" ".join(label.split()))
            if name is not None and name not in values:
                raw = m[2].replace(b",", b"")
                values[name] = (float(raw) if b"." in raw else int(raw), line_of(pos))
        if end >= len(text):
            break
        pos = end + 1
    if unsloth and "run.num_examples" not in values:  # the model-loading banner, not the training one
        return []
    found = _facts(values)
    if unsloth and found:
        found.append(("log.framework", "unsloth", found[0][2]))
    return found


def _facts(values: dict[str, tuple[int | float, int]]) -> list[tuple[str, int | float, int]]:
    out: list[tuple[str, int | float, int]] = []
    total = values.pop("_total_batch", None)
    for name, (value, line) in values.items():
        if name.startswith("run."):
            out.append((name, value, line))
        else:
            out.append((f"config.{lookup(name, ('hf',)) or name}", value, line))
    micro, accum = values.get("per_device_train_batch_size"), values.get("gradient_accumulation_steps")
    if total is not None and "world_size" not in values and micro and accum and micro[0] * accum[0] > 0:
        gpus, rest = divmod(total[0], micro[0] * accum[0])
        if not rest and gpus >= 1:
            out.append(("config.world_size", int(gpus), total[1]))
    return out
