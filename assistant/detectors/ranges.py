"""Out of range: metrics outside the guide's healthy ranges or past its red flags.

The thresholds are data (rules/ranges.yaml, one entry per run kind and metric); this module
only counts the points beyond them. One fact per (metric, direction, red): a loss of 20 in
SFT is both above the healthy 0.5-2.0 and past the implausibility flag at 15.
"""
from __future__ import annotations

from itertools import compress

from assistant.detectors._base import DetectContext, Points, Series, detector, finite_points, make_fact
from assistant.detectors._ranges import MetricRange, beyond, beyond_all, range_for
from assistant.engine.facts import Fact

# Beyond on at least half the points, or on each of the last three, = persistent (the guide's
# "regularly", "on most steps"; a run that ends beyond the threshold is not recovering).
PERSISTENT_SHARE = 0.5
LAST_POINTS = 3


def _thresholds(rng: MetricRange) -> list[tuple[str, bool, float]]:
    found = [
        ("low", False, rng.low), ("low", True, rng.red_low), ("high", False, rng.high), ("high", True, rng.red_high),
    ]
    return [(d, red, t) for d, red, t in found if t is not None]


def _considered(points: Points, rng: MetricRange) -> Points:
    """The points the range judges: past its ``after_step``, zeros left out where they mean nothing."""
    if rng.after_step is None and not rng.ignore_zero:
        return points
    keep = [(rng.after_step is None or s > rng.after_step) and not (rng.ignore_zero and v == 0)
            for s, v in zip(points.steps, points.values)]
    return Points(list(compress(points.steps, keep)), list(compress(points.values, keep)),
                  list(compress(points.lines, keep)))


@detector("ranges")
def detect(series: Series, ctx: DetectContext) -> list[Fact]:
    facts = []
    for metric in sorted(series):
        rng = range_for(ctx.run_kind, metric)
        points = _considered(finite_points(series[metric]), rng) if rng else []
        if not rng or not points:
            continue
        values = points.values
        extreme = {"low": min(values), "high": max(values)}   # a bound no value passes needs no pass
        for direction, red, threshold in _thresholds(rng):
            if not beyond(extreme[direction], direction, red, threshold):
                continue
            past = list(compress(range(len(values)), beyond_all(values, direction, red, threshold)))
            fraction = len(past) / len(points)
            if not past or fraction < rng.persist:
                continue
            worst = points[(min if direction == "low" else max)(past, key=values.__getitem__)]
            tail = values[-LAST_POINTS:]
            persistent = fraction >= PERSISTENT_SHARE or (
                len(tail) == LAST_POINTS and all(beyond(v, direction, red, threshold) for v in tail)
            )
            facts.append(make_fact(
                "symptom.out_of_range", ctx, worst,
                metric=metric, direction=direction, threshold=threshold, red=red, worst=worst.value,
                worst_step=worst.step, first_step=points.steps[past[0]], fraction=fraction,
                persistent=persistent, last=values[-1],
            ))
    return facts
