"""Spikes: sudden jumps of loss, eval_loss or grad_norm against a trailing robust baseline.

Guide, "Loss Spikes": "Loss suddenly jumps by 2-10x then (possibly) recovers." Work on the
log scale, so a 2x jump weighs the same at loss 0.1 as at 10, with a rolling median and MAD
so earlier spikes do not raise the baseline.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import compress, repeat
from operator import ge, gt, lt, not_, sub

from assistant.detectors._base import (
    DetectContext, Points, Series, detector, finite_points, loss_points, make_fact, values_of,
)
from assistant.detectors._ranges import range_for
from assistant.detectors._stats import MAD_TO_SIGMA, mad, median
from assistant.engine.facts import Fact
from assistant.evidence.series import Point

# Trailing points forming the baseline; fewer at the start (expanding window).
WINDOW = 20
# Fewer previous points than this: the baseline is the following points instead (first points).
MIN_REF = 2
# Jumps within the first logged points are start-up noise (first batches, optimizer state
# warming up): reported as symptom.early_spike, not as spikes. Two, not three: a loss
# 0.66, 0.80, 4.27 jumps 5.8x at its third point, which is a real spike.
EARLY_POINTS = 2
# Robust z-score (log scale) a spike must exceed: far outside the run's own noise.
Z_MIN = 5.0
# Least jump over the baseline, per metric. Guide: loss "jumps by 2-10x". grad_norm moves by
# 5x within the guide's SFT healthy band (0.1-10), so it needs 10x, or to pass the red-flag
# threshold of rules/ranges.yaml (SFT > 100, GRPO > 10).
RATIO_MIN = {"loss": 2.0, "eval_loss": 2.0, "grad_norm": 10.0}
# Floor for the noise scale in log units (~5%), so a near-constant series does not turn
# every wiggle into an infinite z-score.
MIN_LOG_SCALE = 0.05
# After the worst spike, the median of the next few points within 1.5x of the baseline = recovered.
RECOVER_RATIO = 1.5
RECOVER_POINTS = 3
# Batch-to-batch variance in a densely logged train loss: a rare single point under 3x (the low
# end of the guide's "2-10x") whose very next point is back near the baseline is one hard or long
# batch, not a spike (knowledge/monitoring.md, "Healthy Runs That Look Alarming"). Such blips are
# reported as symptom.blips when every later loss spike is one and they are at most 1% of at least
# 100 logged points; a wider, larger, repeated or unrecovered jump stays a spike.
BLIP_METRICS = frozenset({"loss"})
BLIP_RATIO = 3.0
BLIP_SHARE = 0.01
BLIP_MIN_POINTS = 100


@dataclass(frozen=True)
class Spike:
    index: int
    point: Point
    baseline: float
    ratio: float


def _reference(logs: list[float], i: int) -> list[float]:
    if i >= MIN_REF:
        return logs[max(0, i - WINDOW):i]
    return logs[i + 1:i + 1 + WINDOW]


def _floors(blocks: list[float], n: int) -> list[float]:
    """Per point, the least value of the blocks its trailing window lies in (for points from MIN_REF
    on; -inf before): point i's window is logs[max(0, i - WINDOW):i], within blocks
    max(0, i - WINDOW) // WINDOW and (i - 1) // WINDOW."""
    out = [-math.inf] * min(n, MIN_REF)
    for i in range(MIN_REF, min(n, WINDOW + 1)):   # the first window: block 0 alone
        out.append(blocks[0])
    for k in range(1, len(blocks)):
        low, high = blocks[k - 1], blocks[k]
        out += [low if low < high else high] * (WINDOW - 1)   # i from k*W+1 to (k+1)*W-1
        out.append(high)                                      # i = (k+1)*W: block k alone
    return out[:n]


def find_spikes(points: Sequence[Point], ratio_min: float, red_high: float | None = None) -> list[Spike]:
    """Upward jumps, by robust z-score and ratio on the log scale (``points`` all positive)."""
    values = values_of(points)
    logs = list(map(math.log, values))
    spikes = []
    least = math.log(ratio_min) - 1e-9   # a margin: the exact test below compares exp(.) with ratio_min
    # Minima of consecutive blocks of WINDOW points: a trailing window lies within two of them.
    blocks = [min(logs[j:j + WINDOW]) for j in range(0, len(logs), WINDOW)]
    # The median is at least the window's minimum, which is at least its two blocks' minimum: a
    # point under ratio_min times that is no spike (unless past the red-flag threshold). Most points
    # end here, tested for all points at once with C-level maps.
    near = map(lt, map(sub, logs, _floors(blocks, len(logs))), repeat(least))
    if red_high is not None:
        near = map(gt, near, map(ge, values, repeat(red_high)))   # near, and not past red_high
    for i in compress(range(len(logs)), map(not_, near)):
        value, x = values[i], logs[i]
        ref = _reference(logs, i)
        if len(ref) < MIN_REF:
            continue
        centre = median(ref)
        ratio = math.exp(x - centre)
        if ratio < ratio_min and (red_high is None or value < red_high):
            continue
        scale = max(MAD_TO_SIGMA * mad(ref, centre), MIN_LOG_SCALE)
        if (x - centre) / scale > Z_MIN:
            spikes.append(Spike(i, points[i], math.exp(centre), ratio))
    return spikes


def _recovered(points: Sequence[Point], worst: Spike) -> bool:
    after = list(values_of(points[worst.index + 1:worst.index + 1 + RECOVER_POINTS]))
    return bool(after) and median(after) <= RECOVER_RATIO * worst.baseline


def _blip(values: Sequence[float], s: Spike) -> bool:
    """A single point under BLIP_RATIO whose next point is already back within RECOVER_RATIO of the baseline."""
    nxt = s.index + 1
    return s.ratio < BLIP_RATIO and nxt < len(values) and values[nxt] <= RECOVER_RATIO * s.baseline


def _only_blips(metric: str, points: Sequence[Point], later: list[Spike]) -> bool:
    n = len(points)
    if metric not in BLIP_METRICS or n < BLIP_MIN_POINTS or len(later) > max(1, BLIP_SHARE * n):
        return False
    values = values_of(points)   # once: a long series may hold a hundred candidate blips
    return all(_blip(values, s) for s in later)


def _points(series: Series, metric: str, ctx: DetectContext) -> Points:
    """The metric's finite points above zero: zeros and below have no log (a GRPO grad_norm of 0.0
    is a skipped batch, not a dip)."""
    points = finite_points(series.get(metric)) if metric == "grad_norm" else loss_points(series, metric, ctx)
    if not len(points) or min(points.values) > 0:
        return points
    keep = [v > 0 for v in points.values]
    return Points(list(compress(points.steps, keep)), list(compress(points.values, keep)),
                  list(compress(points.lines, keep)))


@detector("spikes")
def detect(series: Series, ctx: DetectContext) -> list[Fact]:
    facts = []
    for metric, ratio_min in RATIO_MIN.items():
        points = _points(series, metric, ctx)
        rng = range_for(ctx.run_kind, metric)
        spikes = find_spikes(points, ratio_min, rng.red_high if rng else None)
        early = [s for s in spikes if s.index < EARLY_POINTS]
        later = [s for s in spikes if s.index >= EARLY_POINTS]
        if early:
            s = max(early, key=lambda s: s.ratio)
            facts.append(make_fact(
                "symptom.early_spike", ctx, s.point,
                metric=metric, step=s.point.step, value=s.point.value, ratio=s.ratio,
            ))
        if later and _only_blips(metric, points, later):
            worst = max(later, key=lambda s: s.ratio)
            facts.append(make_fact(
                "symptom.blips", ctx, worst.point,
                metric=metric, count=len(later), worst_step=worst.point.step, worst_ratio=worst.ratio,
                baseline=worst.baseline, n=len(points),
            ))
        elif later:
            worst = max(later, key=lambda s: s.ratio)
            facts.append(make_fact(
                "symptom.spikes", ctx, worst.point,
                metric=metric, count=len(later), worst_step=worst.point.step, worst_value=worst.point.value,
                baseline=worst.baseline, worst_ratio=worst.ratio, first_step=later[0].point.step,
                recovered=_recovered(points, worst), fraction=len(later) / len(points),
            ))
    return facts
