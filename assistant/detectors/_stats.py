"""Robust statistics in plain Python (the CLI is one-shot; numpy's import costs more than these loops)."""
from __future__ import annotations

import math
from itertools import repeat
from operator import sub
from typing import Sequence

__all__ = [
    "MAD_TO_SIGMA", "head_median", "mad", "median", "noise_sigma", "quarter_medians", "tail_median",
    "theil_sen_slope",
]

# Scales a median absolute deviation to a normal standard deviation.
MAD_TO_SIGMA = 1.4826
# Theil-Sen is O(n^2) in pairs; a subsample of this many points keeps it cheap on 50k-point series.
THEIL_SEN_MAX_POINTS = 100


def median(xs: Sequence[float]) -> float:
    s = sorted(xs)
    n = len(s)
    if n == 0:
        raise ValueError("median of no values")
    mid = n // 2
    return s[mid] if n % 2 else (s[mid - 1] + s[mid]) / 2


def mad(xs: Sequence[float], centre: float | None = None) -> float:
    """Median absolute deviation from ``centre`` (default: the median)."""
    c = median(xs) if centre is None else centre
    return median(list(map(abs, map(sub, xs, repeat(c)))))


def head_median(xs: Sequence[float], k: int = 3) -> float:
    """Median of the first ``k`` values: a start level one odd point cannot move."""
    return median(xs[:k])


def tail_median(xs: Sequence[float], k: int = 3) -> float:
    return median(xs[-k:])


def noise_sigma(xs: Sequence[float]) -> float:
    """Point-to-point noise as a standard deviation, from successive differences.

    Differencing turns a steady trend into a constant, which the MAD around the median
    difference then ignores: a rising curve is not mistaken for noise.
    """
    diffs = list(map(sub, xs[1:], xs))   # b - a for each a and the b after it
    return MAD_TO_SIGMA * mad(diffs) / math.sqrt(2) if diffs else 0.0


def quarter_medians(xs: Sequence[float]) -> list[float]:
    """Medians of four consecutive quarters (needs >= 4 values): a noise-proof outline of a curve."""
    n = len(xs)
    if n < 4:
        raise ValueError("quarter_medians needs at least 4 values")
    cuts = [round(i * n / 4) for i in range(5)]
    return [median(xs[cuts[i]:cuts[i + 1]]) for i in range(4)]


def theil_sen_slope(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Median of pairwise slopes: a trend line that outliers do not tilt."""
    n = len(xs)
    if n < 2:
        return 0.0
    stride = max(1, n // THEIL_SEN_MAX_POINTS)
    px, py = xs[::stride], ys[::stride]
    slopes = [
        (py[j] - py[i]) / (px[j] - px[i])
        for i in range(len(px))
        for j in range(i + 1, len(px))
        if px[j] != px[i]
    ]
    return median(slopes) if slopes else 0.0
