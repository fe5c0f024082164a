"""Training logs written as a trainer writes them: one transformers-5.x dict line per step over a tqdm bar.

A healthy run falls steadily into the chat-SFT range with a warmup; ``nan_at`` turns
loss and grad_norm non-finite from that step on (``blowup``: grad_norm explodes the
step before, as in a gradient explosion).
"""
from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Iterator

SUMMARY = ("{'train_runtime': '59.8', 'train_samples_per_second': '14.43', 'train_steps_per_second': '0.128', "
           "'train_loss': '1.1', 'epoch': '1'}\n")


def step_line(step: int, total: int, loss: float, grad: float, lr: float) -> str:
    bar = f"{100 * step // total:3d}%|█         | {step}/{total} [00:03<19:57,  3.01s/it]"
    return (f"{bar}\r{{'loss': '{loss:.4g}', 'grad_norm': '{grad:.4g}', 'learning_rate': '{lr:.4g}', "
            f"'epoch': '{step / total:.4g}'}}\n")


def lines(total: int = 120, nan_at: int | None = None, blowup: bool = False, seed: int = 0) -> Iterator[str]:
    """The run's stdout, line by line (the summary line last, unless it died)."""
    rng = random.Random(seed)
    yield "[2026-03-01 10:02:41,003] [INFO] [axolotl.train] Starting trainer...\n"
    for step in range(1, total + 1):
        loss = 1.6 * math.exp(-step / 20) + 0.9 + rng.gauss(0, 0.01)
        grad = 0.6 + rng.gauss(0, 0.03)
        lr = 2e-5 * min(1.0, step / 10) * (0.5 + 0.5 * math.cos(math.pi * step / total))
        if blowup and nan_at is not None and step == nan_at - 1:
            grad = 900.0
        if nan_at is not None and step >= nan_at:
            loss = grad = float("nan")
        yield step_line(step, total, loss, grad, lr)
    if nan_at is None:
        yield SUMMARY


def write(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write(text)
        f.flush()
