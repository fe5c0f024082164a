"""Stuck metrics: exactly zero (or pinned at one value) on most logged steps.

Guide, GRPO table: rewards/*/mean "stays at 0 - reward function is broken or task is too
hard"; reward_std "always 0 - no learning signal"; frac_reward_zero_std "1.0 on every step -
zero-advantage skip fires constantly, no gradient updates". An SFT loss or grad_norm of exactly
0 means nothing is trained (all labels masked, frozen weights).
"""
from __future__ import annotations

import fnmatch

from assistant.detectors._base import DetectContext, Series, all_points, detector, make_fact
from assistant.engine.facts import Fact
from assistant.evidence.series import MetricSeries, Point

# Metrics whose exact zero is a finding (globs as in rules/ranges.yaml).
ZERO_METRICS = (
    "loss", "grad_norm", "eval_loss", "reward", "reward_std", "rewards/*/mean", "rewards/*/std",
    "kl", "entropy", "completions/mean_terminated_length",
)
# Metrics pinned at a value other than zero: frac_reward_zero_std at 1.0.
PINNED_METRICS = {"frac_reward_zero_std": 1.0}
# "Stays", "always", "on every step": 80% of the points, so a few stray values do not hide it.
STUCK_SHARE = 0.8


def _pinned(s: MetricSeries, value: float) -> tuple[Point, int, dict[str, object]] | None:
    """When ``s`` took ``value`` on most points: where it first did, how often, and the shared attributes."""
    points = all_points(s)
    n = len(points)
    hits = points.values.count(value) if n else 0   # -0.0 == 0.0
    if not n or hits < STUCK_SHARE * n:
        return None
    first = points[points.values.index(value)]
    attrs = {"n": n, "fraction": hits / n, "from_step": first.step, "all": hits == n}
    return first, hits, attrs


@detector("stuck_zero")
def detect(series: Series, ctx: DetectContext) -> list[Fact]:
    facts = []
    for metric in sorted(series):
        if any(fnmatch.fnmatchcase(metric, pattern) for pattern in ZERO_METRICS):
            found = _pinned(series[metric], 0.0)
            if found:
                at, zeros, attrs = found
                facts.append(make_fact("symptom.stuck_zero", ctx, at, metric=metric, zeros=zeros, **attrs))
        if metric in PINNED_METRICS:
            value = PINNED_METRICS[metric]
            found = _pinned(series[metric], value)
            if found:
                at, _, attrs = found
                facts.append(make_fact("symptom.stuck_value", ctx, at, metric=metric, value=value, **attrs))
    return facts
