"""Loss plateau: the loss stopped falling while still above the healthy range, or never fell.

Guide, "Loss Plateau": "Loss stops decreasing early in training, well above expected values"
(expected = the healthy range of rules/ranges.yaml: 0.5-2.0 for chat SFT).
"""
from __future__ import annotations

from assistant.detectors._base import DetectContext, Series, detector, loss_points, make_fact, starts_early
from assistant.detectors._ranges import range_for
from assistant.detectors._stats import head_median, median, quarter_medians, theil_sen_slope
from assistant.engine.facts import Fact

# Fewer points cannot tell a plateau from noise.
MIN_POINTS = 8
# The last half changes by less than this (relative, along a Theil-Sen line) = stopped falling.
FLAT_CHANGE = 0.05
# The loss fell by less than this from its start, at every quarter = never fell ("~5%").
NEVER_DROPPED = 0.05
# Points around the plateau's start: their median within FLAT_CHANGE of the level = already on it.
FROM_WINDOW = 5


def _from_index(values: list[float], level: float) -> int:
    """Earliest index from which the loss sits on the plateau (the last half at the latest)."""
    i = len(values) // 2
    while i > 0 and abs(median(values[i - 1:i - 1 + FROM_WINDOW]) - level) <= FLAT_CHANGE * level:
        i -= 1
    return i


@detector("plateau")
def detect(series: Series, ctx: DetectContext) -> list[Fact]:
    points = loss_points(series, "loss", ctx)
    if len(points) < MIN_POINTS:
        return []
    values = points.values
    start = head_median(values)
    if start <= 0:  # all-zero loss is stuck_zero's finding
        return []
    half = points[len(points) // 2:]
    level = median(half.values)
    rng = range_for(ctx.run_kind, "loss")
    expected_max = rng.high if rng else None
    drop = (start - level) / start
    above = expected_max is None or level > expected_max  # the guide: "well above expected values"
    if above and starts_early(points, ctx) and all((start - q) / start < NEVER_DROPPED for q in quarter_medians(values)):
        return [make_fact(
            "symptom.loss_flat_from_start", ctx, points[-1],
            metric="loss", level=level, start_level=start, drop_fraction=drop,
            expected_max=expected_max, n=len(points), from_step=points[0].step,
        )]
    if expected_max is None or level <= expected_max:
        return []
    slope = theil_sen_slope(half.steps, half.values)
    if abs(slope * (half[-1].step - half[0].step)) >= FLAT_CHANGE * level:
        return []
    at = points[_from_index(values, level)]
    return [make_fact(
        "symptom.plateau", ctx, at,
        metric="loss", from_step=at.step, level=level, start_level=start,
        drop_fraction=drop, expected_max=expected_max,
    )]
