"""Trends: which way a metric went over the run, for rules about slow drifts.

Guide, "Reading W&B Charts": reward "gradual upward trend", entropy "gradual decrease",
kl "starts near 0 and grows slowly", completions/mean_length "steadily increases to
max_completion_length" = reward hacking; EBFT alignment "should trend upward", cfm_loss
"should trend downward".
"""
from __future__ import annotations

import fnmatch
import math
from operator import gt, lt

from assistant.detectors._base import DetectContext, Series, detector, finite_points, make_fact
from assistant.detectors._stats import noise_sigma, quarter_medians, tail_median
from assistant.engine.facts import Fact

TREND_METRICS = (
    "reward", "rewards/*/mean", "kl", "entropy", "loss", "eval_loss",
    "completions/mean_length", "ebft/alignment", "ebft/cfm_loss",
)
MIN_POINTS = 4
# First- and last-quarter medians closer than 5% of the larger one = flat.
FLAT_CHANGE = 0.05
# ... or closer than two standard errors of their difference (noisy RL metrics wander by chance):
# a median's standard error is ~1.25 sigma / sqrt(m), a difference of two is sqrt(2) times that.
TREND_Z = 2.0
MEDIAN_SE = 1.2533
# At least 80% of consecutive moves in the trend's direction = monotonic ("steadily").
MONOTONIC_SHARE = 0.8


@detector("trends")
def detect(series: Series, ctx: DetectContext) -> list[Fact]:
    facts = []
    for metric in sorted(series):
        if not any(fnmatch.fnmatchcase(metric, pattern) for pattern in TREND_METRICS):
            continue
        points = finite_points(series[metric])
        if len(points) < MIN_POINTS:
            continue
        values = points.values
        quarters = quarter_medians(values)
        first, last = quarters[0], quarters[-1]
        delta = last - first
        stderr = math.sqrt(2) * MEDIAN_SE * noise_sigma(values) / math.sqrt(len(values) / 4)
        if abs(delta) <= max(FLAT_CHANGE * max(abs(first), abs(last)), TREND_Z * stderr):
            direction, sign = "flat", 0
        else:
            direction, sign = ("rising", 1) if delta > 0 else ("falling", -1)
        if sign <= 0 and _climbed_back(metric, values, last):
            direction, sign = "rising", 1
        # moves along the trend (b - a > 0 is b > a for finite values); only a trend needs them
        moves = len(values) - 1
        along = sum(map(gt if sign > 0 else lt, values[1:], values)) if sign else 0
        facts.append(make_fact(
            "symptom.trend", ctx, points[-1],
            metric=metric, direction=direction, first=first, last=last,
            change=delta / abs(first) if first else None,
            monotonic=sign != 0 and along >= MONOTONIC_SHARE * moves,
        ))
    return facts


# A loss that fell and then climbed back: "which way it went" is up, whatever the endpoints say. The climb
# must hold: the last quarter's median and the median of the last three points are both at least REBOUND
# times the lowest value, inside the run (one late spike is a spike, not a climb; a blow-up in the last
# points before a NaN is not the run's level), and a positive loss (cross-entropy kinds: an RL or
# preference loss near 0 or below has no ratio to speak of).
REBOUND = 2.0
REBOUND_FLOOR = 0.1


def _climbed_back(metric: str, values: list[float], last: float) -> bool:
    if metric not in ("loss", "eval_loss"):
        return False
    low = min(values)
    at = values.index(low)
    return low >= REBOUND_FLOOR and 0 < at < len(values) - 1 and min(last, tail_median(values)) >= REBOUND * low
