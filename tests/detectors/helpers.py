"""Series builders and fact lookups shared by the detector tests."""
from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any, Iterable, Sequence

import pytest

from assistant.detectors import REGISTRY, DetectContext, run_detectors
from assistant.engine.facts import Fact
from assistant.evidence.series import MetricSeries

TRAINER_STATES = Path("/work/shared/data/trainer-states")
NAN, INF = float("nan"), float("inf")


def make_series(name: str, values: Sequence[float], steps: Sequence[int] | None = None,
                lines: Sequence[int] | None = None, capacity: int | None = None) -> MetricSeries:
    """A series with steps 1..n (or ``steps``) and line numbers 0 (or ``lines``)."""
    s = MetricSeries(name) if capacity is None else MetricSeries(name, capacity=capacity)
    for i, v in enumerate(values):
        s.add(steps[i] if steps else i + 1, v, lines[i] if lines else 0)
    return s


def series_of(**columns: Sequence[float]) -> dict[str, MetricSeries]:
    """``series_of(loss=[...], rewards__acc__mean=[...])``: ``__`` in a keyword stands for ``/``."""
    named = {key.replace("__", "/"): values for key, values in columns.items()}
    return {name: make_series(name, values) for name, values in named.items()}


def detect(name: str, series: dict[str, MetricSeries], **ctx: Any) -> list[Fact]:
    """Run one registered detector directly (no run-kind inference)."""
    return REGISTRY[name].detect(series, DetectContext(**{"source": "train.log", **ctx}))


def named(facts: Iterable[Fact], name: str, **where: Any) -> list[Fact]:
    """Facts called ``name`` whose attributes equal ``where``."""
    return [f for f in facts if f.name == name and all(f.attr(k) == v for k, v in where.items())]


def one(facts: Iterable[Fact], name: str, **where: Any) -> Fact:
    found = named(facts, name, **where)
    assert len(found) == 1, f"expected one {name} {where}, got {found}"
    return found[0]


def noisy_decay(n: int, start: float = 2.5, end: float = 1.0, noise: float = 0.03, seed: int = 0) -> list[float]:
    """A healthy SFT loss: exponential decay with multiplicative noise."""
    rng = random.Random(seed)
    return [
        end + (start - end) * math.exp(-5 * i / n) * (1 + rng.gauss(0, noise)) + rng.gauss(0, noise)
        for i in range(n)
    ]


def noisy_level(n: int, level: float, noise: float, seed: int = 1) -> list[float]:
    rng = random.Random(seed)
    return [level * (1 + rng.gauss(0, noise)) for _ in range(n)]


# Real-run excerpts quoted in the brief.
SEVEN_POINT_LOSS = [0.6623, 0.8022, 4.2653, 0.77, 0.556, 0.8223, 6.6635]
HEALTHY_NOISY_LOSS = [
    0.0923, 0.0981, 0.0879, 0.0962, 0.0832, 0.0875, 0.0781, 0.0787, 0.1008, 0.087, 0.0938, 0.1106, 0.0756,
]
HEALTHY_NOISY_GRAD = [2.38, 2.02, 1.83, 2.10, 2.20, 2.03, 2.34, 10.75, 7.21, 14.96, 6.69, 3.91, 3.06]
# GRPO loss sits near 0 and goes negative (Rusheel86/Chaos-Economy, first entries): normal.
GRPO_LOSS = [-0.0079, -0.0978, -0.0021, 0.0057, -0.0357, 0.0286, 0.0214, -0.2165, 0.0301, -0.0214, -0.0578, 0.0433]


def trainer_state(stem: str) -> tuple[dict[str, MetricSeries], DetectContext, list[Fact]]:
    """Series per log_history key (entries with a step), the context, and run_detectors' facts."""
    paths = sorted(TRAINER_STATES.glob(f"{stem}*trainer_state.json"))
    if not paths:
        pytest.skip(f"{TRAINER_STATES} not available")
    state = json.loads(paths[0].read_text())
    series: dict[str, MetricSeries] = {}
    for entry in state["log_history"]:
        if "step" not in entry:
            continue
        for key, value in entry.items():
            if key != "step" and isinstance(value, (int, float)):
                series.setdefault(key, MetricSeries(key)).add(entry["step"], value)
    ctx = DetectContext(source="trainer_state.json", max_steps=state.get("max_steps"))
    facts, warnings = run_detectors(series, ctx)
    assert warnings == []
    return series, ctx, facts
