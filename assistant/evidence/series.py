"""Metric series with bounded memory, and the Reading a reader returns.

A log of many gigabytes can hold millions of logged steps. A series keeps at
most ``capacity`` points. Past that it halves its resolution: neighbouring
points are merged in pairs, and from then on each kept point stands for a
bucket of consecutive raw points (1, 2, 4, ... as the run grows). From each
pair or bucket the point that deviates most from the median is kept, a
non-finite one first, so spikes and NaNs survive decimation. What detectors
must see exactly is kept apart from the points: the first non-finite value,
the count of non-finite values, the first and last points, and the overall
min and max.

Readers of big files add values in batches (``extend``): the exact statistics
and the bucket reduction then run as C-level ``min``/``max``/``sum`` calls over
slices rather than a Python step per value, which is what lets a 1 GB log be
read at tens of MB/s.
"""
from __future__ import annotations

import math
from array import array
from itertools import repeat
from operator import ge, getitem, sub
from dataclasses import dataclass, field
from typing import NamedTuple, Iterator, Sequence

from assistant.engine.facts import Fact
from assistant.evidence._buckets import BULK_BUCKETS, index_of, joined, span, total_of

__all__ = ["MetricSeries", "Point", "Reading", "canonical_metric"]

DEFAULT_CAPACITY = 50_000
_INT64_MIN, _INT64_MAX = -(2 ** 63), 2 ** 63


class Point(NamedTuple):
    """One logged value. A named tuple, not a dataclass: detectors walk every point of
    every series, and tuple construction is several times cheaper."""

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
        self._bucket = 1  # raw points per kept point, for points kept from now on
        self._centre = 0.0  # median of kept finite values at the last merge
        self._pending: tuple[list[int], list[float], list[int]] = ([], [], [])  # an unfinished bucket
        self.count = 0  # points ever added
        self.nonfinite_count = 0
        self.first_nonfinite: Point | None = None
        self.first: Point | None = None
        self.min: Point | None = None
        self.max: Point | None = None
        self._last: tuple[int, float, int] | None = None
        self.decimated = False

    @property
    def last(self) -> Point | None:
        return Point(*self._last) if self._last is not None else None

    def add(self, step: int, value: float, line: int = 0) -> None:
        self.extend((int(step),), (float(value),), (int(line),))

    def extend(self, steps: Sequence[int], values: Sequence[float], lines: Sequence[int]) -> None:
        """Add points in step order; the three sequences run in parallel."""
        n = len(values)
        if n == 0:
            return
        if len(steps) != n or len(lines) != n:
            raise ValueError("steps, values and lines must have the same length")
        (first_step, last_step), last_line = span(steps), span(lines)[1]
        if not (_INT64_MIN < first_step and last_step < _INT64_MAX and last_line < _INT64_MAX):
            keep = [i for i in range(n) if _INT64_MIN < steps[i] < _INT64_MAX and lines[i] < _INT64_MAX]
            steps, values, lines = [steps[i] for i in keep], [values[i] for i in keep], [lines[i] for i in keep]
            n = len(values)  # a damaged step number (past int64) cannot be stored: its point is dropped
            if n == 0:
                return
        if self.first is None:
            self.first = Point(int(steps[0]), float(values[0]), int(lines[0]))
        self._last = (int(steps[-1]), float(values[-1]), int(lines[-1]))
        self.count += n
        total = total_of(values)
        if total - total == 0.0:  # every value finite (the common case): C-level min/max
            self._note_extremes(steps, values, lines, values)
        else:
            finite = [v for v in values if v - v == 0.0]
            bad = n - len(finite)
            if bad:
                if self.first_nonfinite is None:
                    i = next(i for i, v in enumerate(values) if v - v != 0.0)
                    self.first_nonfinite = Point(int(steps[i]), float(values[i]), int(lines[i]))
                self.nonfinite_count += bad
            if finite:
                self._note_extremes(steps, values, lines, finite)
        self._keep(steps, values, lines)

    def _note_extremes(self, steps: Sequence[int], values: Sequence[float], lines: Sequence[int],
                       finite: Sequence[float]) -> None:
        lo, hi = span(finite)
        if self.min is None or lo < self.min.value:
            i = index_of(values, lo)
            self.min = Point(int(steps[i]), float(values[i]), int(lines[i]))
        if self.max is None or hi > self.max.value:
            i = index_of(values, hi)
            self.max = Point(int(steps[i]), float(values[i]), int(lines[i]))

    def _keep(self, steps: Sequence[int], values: Sequence[float], lines: Sequence[int]) -> None:
        """Append raw points to the kept arrays, a bucket at a time once decimated."""
        if self._bucket == 1:
            room = self.capacity - len(self._values)
            take = len(values) if room >= len(values) else max(room, 0)
            self._steps.extend(steps[:take])
            self._values.extend(values[:take])
            self._lines.extend(lines[:take])
            if take == len(values):
                return
            steps, values, lines = steps[take:], values[take:], lines[take:]
            self._merge()
        ps, pv, pl = self._pending
        if pv:
            steps, values, lines = joined(ps, steps), joined(pv, values), joined(pl, lines)
        i, n = 0, len(values)
        while n - i >= self._bucket:
            if len(self._values) >= self.capacity - 1:  # one slot stays free for the pending bucket
                self._merge()
                continue
            whole = min((n - i) // self._bucket, self.capacity - 1 - len(self._values))
            if whole >= BULK_BUCKETS:  # many buckets: chosen at once (numpy), the same points
                from assistant.evidence._buckets import kept_index, take

                j = i + whole * self._bucket
                picks = kept_index(values, self._bucket, self._centre, i, j)
                self._steps.extend(take(steps, picks, i))
                self._values.extend(take(values, picks, i))
                self._lines.extend(take(lines, picks, i))
                i = j
                continue
            j = i + self._bucket
            k = i + _most_extreme(values[i:j], self._centre)
            self._steps.append(steps[k])
            self._values.append(values[k])
            self._lines.append(lines[k])
            i = j
        self._pending = (list(steps[i:]), list(values[i:]), list(lines[i:]))

    def _merge(self) -> None:
        """Halve the kept points (pairs -> the more extreme one) and double the bucket size.

        Written with C-level ``map`` over whole arrays: this runs on the full capacity
        each time a big series fills up.
        """
        vals = self._values
        finite = sorted(filter(_finite, vals))
        self._centre = centre = finite[len(finite) // 2] if finite else 0.0
        n = len(vals) - (len(vals) % 2)
        # distance from the centre; NaN (whose distance is NaN) becomes inf, so it is kept
        dist = list(map(min, repeat(math.inf), map(abs, map(sub, vals[:n], repeat(centre)))))
        first_wins = list(map(ge, dist[0::2], dist[1::2]))

        def pick(a: array) -> array:
            return array(a.typecode, map(getitem, zip(a[1:n:2], a[0:n:2]), first_wins))

        steps, values, lines = pick(self._steps), pick(vals), pick(self._lines)
        if n < len(vals):
            steps.append(self._steps[-1])
            values.append(vals[-1])
            lines.append(self._lines[-1])
        self._steps, self._values, self._lines = steps, values, lines
        self._bucket *= 2
        self.decimated = True

    def expect(self, total: int) -> None:
        """Hint: about ``total`` points will be added. A series that would overflow then
        starts with buckets of the final size, instead of refilling and halving its
        capacity several times (the bulk of the cost on a multi-GB log)."""
        if self._bucket > 1 or total <= self.capacity:
            return
        bucket = 1
        while total / bucket > self.capacity * 0.75:
            bucket *= 2
        finite = sorted(filter(_finite, self._values))
        self._centre = finite[len(finite) // 2] if finite else 0.0
        self._bucket = bucket
        self.decimated = True

    def __len__(self) -> int:
        return len(self._values) + (1 if self._pending[1] else 0)

    def __iter__(self) -> Iterator[Point]:
        yield from map(Point._make, zip(self._steps, self._values, self._lines))  # C-level: 50k points a series
        ps, pv, pl = self._pending
        if pv:
            k = _most_extreme(pv, self._centre)
            yield Point(ps[k], pv[k], pl[k])

    def columns(self) -> tuple[Sequence[int], Sequence[float], Sequence[int]]:
        """The kept points as three parallel columns (steps, values, lines), as iteration yields
        them, without making a Point per point (detectors read tens of thousands)."""
        ps, pv, pl = self._pending
        if not pv:
            return self._steps, self._values, self._lines
        k = _most_extreme(pv, self._centre)
        return self._steps + array("q", [ps[k]]), self._values + array("d", [pv[k]]), self._lines + array("q", [pl[k]])

    @property
    def steps(self) -> list[int]:
        return [p.step for p in self]

    @property
    def values(self) -> list[float]:
        return [p.value for p in self]

    def finite_values(self) -> list[float]:
        return [p.value for p in self if math.isfinite(p.value)]


def _finite(v: float) -> bool:
    return v - v == 0.0


def _most_extreme(values: Sequence[float], centre: float) -> int:
    """Index of the value farthest from ``centre``; the first non-finite one wins outright."""
    total = sum(values)
    if total - total != 0.0:
        for i, v in enumerate(values):
            if v - v != 0.0:
                return i
    hi, lo = max(values), min(values)
    return values.index(hi if hi - centre >= centre - lo else lo)


# Names as trainers and trackers spell them -> one canonical name (TRL's GRPO names for RL metrics,
# so the healthy ranges and rules written for TRL apply to every tool).
_ALIASES = {
    "train_loss_step": "loss",
    "lr": "learning_rate",
    "eval/loss": "eval_loss",
    "train/global_step": "global_step",
    # TRL before 0.17, unsloth, ms-swift
    "completion_length": "completions/mean_length",
    "mean_completion_length": "completions/mean_length",
    "min_completion_length": "completions/min_length",
    "max_completion_length": "completions/max_length",
    "clipped_completions_ratio": "completions/clipped_ratio",
    "mean_terminated_completion_length": "completions/mean_terminated_length",
    "clip_ratio": "clip_ratio/region_mean",
    "response_clip_ratio": "completions/clipped_ratio",
    "token_acc": "mean_token_accuracy",
    "gnorm": "grad_norm",  # fairseq / metaseq
    # TRL PPO / RLOO trainers
    "objective/kl": "kl",
    "objective/scores": "reward",
    "policy/entropy_avg": "entropy",
    "policy/clipfrac_avg": "clip_ratio/region_mean",
    "loss/policy_avg": "loss",
    # verl and EasyR1
    "actor/pg_loss": "loss",
    "actor/entropy": "entropy",
    "actor/entropy_loss": "entropy",
    "actor/kl_loss": "kl",
    "actor/pg_clipfrac": "clip_ratio/region_mean",
    "actor/grad_norm": "grad_norm",
    "actor/lr": "learning_rate",
    "critic/score/mean": "reward",
    "critic/rewards/mean": "reward",  # the score after the in-reward KL penalty; score/mean comes first in a line
    "reward/overall": "reward",
    "response_length/mean": "completions/mean_length",
    "response_length/max": "completions/max_length",
    "response_length/min": "completions/min_length",
    "response_length/clip_ratio": "completions/clipped_ratio",
    "training/global_step": "global_step",
    "training/epoch": "epoch",
    # OpenRLHF
    "policy_loss": "loss",
    "actor_lr": "learning_rate",
    "response_length": "completions/mean_length",
}


def canonical_metric(name: str) -> str:
    """``train/loss`` -> ``loss``, ``eval/loss`` -> ``eval_loss``, ``lr`` -> ``learning_rate``,
    ``actor/grad_norm`` (verl) -> ``grad_norm``, ``response_length/clip_ratio`` -> ``completions/clipped_ratio``.

    W&B and TensorBoard prefix train metrics with ``train/`` and eval metrics
    with ``eval/``; stdout and trainer_state use bare names and ``eval_``. A record
    that holds two names of one metric keeps the first (readers check).
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
