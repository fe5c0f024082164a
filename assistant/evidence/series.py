"""Metric series with bounded memory, and the Reading a reader returns.

A log of many gigabytes can hold millions of logged steps. A series keeps at
most ``capacity`` points; past that it halves its resolution by merging
neighbouring points, keeping from each pair the point that deviates more
(so spikes survive decimation). What detectors must see exactly is kept apart
from the points: the first non-finite value, the count of non-finite values,
the first and last points, and the overall min and max.
"""
from __future__ import annotations

import math
from array import array
from dataclasses import dataclass, field
from typing import Iterator

from assistant.engine.facts import Fact

__all__ = ["MetricSeries", "Point", "Reading", "canonical_metric"]

DEFAULT_CAPACITY = 50_000


@dataclass(frozen=True)
class Point:
    step: int
    value: float
    line: int  # 1-based line in the source file, 0 when unknown


class MetricSeries:
    """Points of one metric in step order, decimated beyond ``capacity``."""

    def __init__(self, name: str, capacity: int = DEFAULT_CAPACITY) -> None:
        self.name = name
        self.capacity = max(capacity, 16)
        self._steps = array("q")
        self._values = array("d")
        self._lines = array("q")
        self.count = 0  # points ever added
        self.nonfinite_count = 0
        self.first_nonfinite: Point | None = None
        self.first: Point | None = None
        self.last: Point | None = None
        self.min: Point | None = None
        self.max: Point | None = None
        self.decimated = False

    def add(self, step: int, value: float, line: int = 0) -> None:
        p = Point(int(step), float(value), int(line))
        self.count += 1
        if self.first is None:
            self.first = p
        self.last = p
        if not math.isfinite(p.value):
            self.nonfinite_count += 1
            if self.first_nonfinite is None:
                self.first_nonfinite = p
        else:
            if self.min is None or p.value < self.min.value:
                self.min = p
            if self.max is None or p.value > self.max.value:
                self.max = p
        self._steps.append(p.step)
        self._values.append(p.value)
        self._lines.append(p.line)
        if len(self._values) > self.capacity:
            self._decimate()

    def _decimate(self) -> None:
        """Merge neighbouring pairs, keeping the more extreme point of each."""
        vals = self._values
        n = len(vals) - (len(vals) % 2)
        finite = [v for v in vals if math.isfinite(v)]
        centre = sorted(finite)[len(finite) // 2] if finite else 0.0
        steps, values, lines = array("q"), array("d"), array("q")
        for i in range(0, n, 2):
            a, b = vals[i], vals[i + 1]
            pick = i if _extremeness(a, centre) >= _extremeness(b, centre) else i + 1
            steps.append(self._steps[pick])
            values.append(vals[pick])
            lines.append(self._lines[pick])
        if n < len(vals):
            steps.append(self._steps[-1])
            values.append(vals[-1])
            lines.append(self._lines[-1])
        self._steps, self._values, self._lines = steps, values, lines
        self.decimated = True

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[Point]:
        for s, v, ln in zip(self._steps, self._values, self._lines):
            yield Point(s, v, ln)

    @property
    def steps(self) -> list[int]:
        return list(self._steps)

    @property
    def values(self) -> list[float]:
        return list(self._values)

    def finite_values(self) -> list[float]:
        return [v for v in self._values if math.isfinite(v)]


def _extremeness(v: float, centre: float) -> float:
    return math.inf if not math.isfinite(v) else abs(v - centre)


# Names as trainers and trackers spell them -> one canonical name.
_ALIASES = {
    "train_loss_step": "loss",
    "lr": "learning_rate",
    "eval/loss": "eval_loss",
    "train/global_step": "global_step",
}


def canonical_metric(name: str) -> str:
    """``train/loss`` -> ``loss``, ``eval/loss`` -> ``eval_loss``, ``lr`` -> ``learning_rate``.

    W&B and TensorBoard prefix train metrics with ``train/`` and eval metrics
    with ``eval/``; stdout and trainer_state use bare names and ``eval_``.
    """
    n = name.strip()
    if n in _ALIASES:
        return _ALIASES[n]
    if n.startswith("train/"):
        n = n[len("train/"):]
    elif n.startswith("eval/"):
        n = "eval_" + n[len("eval/"):]
    return _ALIASES.get(n, n)


@dataclass
class Reading:
    """What one reader made of one attachment.

    kind:     one of the report schema's input kinds (``stdout_log``, ``trainer_state``,
              ``axolotl_config``, ``deepspeed_config``, ``traceback``, ``probe_report``,
              ``tensorboard``, ``wandb``, ``metrics_table``, ``other``, ``unknown``)
    facts:    facts read directly (config values, error signatures, run markers)
    series:   metric name (canonical) -> MetricSeries, for the detectors
    warnings: one line each, for a partial reading
    """

    path: str
    kind: str
    facts: list[Fact] = field(default_factory=list)
    series: dict[str, MetricSeries] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def series_for(self, name: str) -> MetricSeries:
        s = self.series.get(name)
        if s is None:
            s = self.series[name] = MetricSeries(name)
        return s
