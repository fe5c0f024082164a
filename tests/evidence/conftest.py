"""Shared helpers for the reader tests.

Real artifacts (trainer states, axolotl examples, case logs) live in ../shared and are
read in place, never copied into the repository; tests that need them skip without it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assistant.evidence.series import Reading

SHARED = Path(__file__).resolve().parents[3] / "shared"
CASES = SHARED / "cases"
TRAINER_STATES = SHARED / "data" / "trainer-states"
AXOLOTL_EXAMPLES = SHARED / "data" / "axolotl-examples"
DATA = Path(__file__).resolve().parents[1] / "data" / "evidence"

needs_shared = pytest.mark.skipif(not CASES.is_dir(), reason="../shared is not available")


def facts(reading: Reading, name: str) -> list[Any]:
    """Values of every fact called ``name``."""
    return [f.value for f in reading.facts if f.name == name]


def fact(reading: Reading, name: str) -> Any:
    """The value of the one fact called ``name`` (fails when there is none or several)."""
    values = facts(reading, name)
    assert len(values) == 1, f"{name}: {values}"
    return values[0]


def names(reading: Reading) -> set[str]:
    return {f.name for f in reading.facts}


def points(reading: Reading, metric: str) -> list[tuple[int, float]]:
    return [(p.step, p.value) for p in reading.series[metric]]


def bar(n: int, total: int) -> str:
    """A tqdm training-bar redraw as HF's ProgressCallback draws it: ` 12%|█▏        | 60/500 [...]`."""
    eighths = int(8 * 10 * n / total)
    cells = "█" * (eighths // 8) + (" ▏▎▍▌▋▊▉"[eighths % 8] if eighths % 8 and eighths < 80 else "")
    return f"{int(100 * n / total):3d}%|{cells:<10}| {n}/{total} [02:41<19:45,  2.69s/it]"
