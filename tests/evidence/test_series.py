"""MetricSeries: exact statistics, bounded decimation that keeps spikes and NaN, bulk adds."""
from __future__ import annotations

import math
import random

import pytest

from assistant.evidence.series import MetricSeries, canonical_metric


def noisy(n: int, seed: int = 0) -> list[float]:
    rng = random.Random(seed)
    return [1.0 + rng.random() * 0.1 for _ in range(n)]


@pytest.mark.parametrize("bulk", [False, True])
def test_exact_stats_survive_decimation(bulk: bool) -> None:
    values = noisy(5000)
    values[1234], values[4000], values[2500] = 50.0, -3.0, float("nan")
    s = MetricSeries("loss", capacity=64)
    steps, lines = list(range(5000)), [i + 1 for i in range(5000)]
    if bulk:
        for a in range(0, 5000, 333):
            s.extend(steps[a:a + 333], values[a:a + 333], lines[a:a + 333])
    else:
        for st, v, ln in zip(steps, values, lines):
            s.add(st, v, ln)
    assert len(s) <= 64 and s.decimated and s.count == 5000
    assert (s.max.step, s.max.value, s.max.line) == (1234, 50.0, 1235)
    assert (s.min.step, s.min.value) == (4000, -3.0)
    assert s.first.step == 0 and s.last.step == 4999 and s.last.line == 5000
    assert s.first_nonfinite.step == 2500 and s.nonfinite_count == 1
    kept = {p.step for p in s}
    assert {1234, 4000, 2500} <= kept  # the spike, the dip and the NaN are kept points
    assert [p.step for p in s] == sorted(kept)


def test_small_series_keeps_every_point() -> None:
    s = MetricSeries("x")
    s.extend([1, 2, 3], [3.0, 2.0, 1.0], [10, 20, 30])
    assert [(p.step, p.value, p.line) for p in s] == [(1, 3.0, 10), (2, 2.0, 20), (3, 1.0, 30)]
    assert s.steps == [1, 2, 3] and s.values == [3.0, 2.0, 1.0] and not s.decimated


def test_expect_sizes_buckets_up_front() -> None:
    s = MetricSeries("x", capacity=100)
    s.expect(10_000)
    values = noisy(10_000)
    values[7777] = 99.0
    s.extend(list(range(10_000)), values, [0] * 10_000)
    assert 40 <= len(s) <= 100 and 7777 in {p.step for p in s}


def test_extend_checks_lengths() -> None:
    with pytest.raises(ValueError):
        MetricSeries("x").extend([1, 2], [1.0], [1, 2])


def test_all_nan_series() -> None:
    s = MetricSeries("x", capacity=16)
    s.extend(list(range(100)), [math.nan] * 100, [0] * 100)
    assert s.min is None and s.max is None and s.nonfinite_count == 100 and len(s) <= 16


@pytest.mark.parametrize("raw, name", [("train/loss", "loss"), ("eval/loss", "eval_loss"), ("lr", "learning_rate"),
                                       ("train/global_step", "global_step"), ("eval_loss", "eval_loss"),
                                       ("critic/rewards/mean", "reward"), ("gnorm", "grad_norm")])
def test_canonical_metric(raw: str, name: str) -> None:
    assert canonical_metric(raw) == name
