"""Growth to a cap: completion length climbing to max_completion_length.

Guide, GRPO table: completions/mean_length "monotonically increasing to max length suggests
reward hacking"; completions/clipped_ratio "> 0.8 means most completions hit max_completion_length".
"""
from __future__ import annotations

from dataclasses import dataclass

from assistant.detectors._base import DetectContext, Series, detector, finite_points, make_fact
from assistant.detectors._stats import median, quarter_medians
from assistant.engine.facts import Fact


@dataclass(frozen=True)
class Capped:
    reach: float                   # share of the cap that counts as having reached it
    cap: float | None = None       # fixed cap, when the metric has one by nature
    cap_series: str | None = None  # a series whose maximum is the cap, when the config is absent


CAPPED = {
    # Within 10% of the longest completion (the batch max hits max_completion_length when clipped).
    "completions/mean_length": Capped(reach=0.9, cap_series="completions/max_length"),
    # A ratio's cap is 1; the guide's red flag is 0.8.
    "completions/clipped_ratio": Capped(reach=0.8, cap=1.0),
}
MIN_POINTS = 4
# The last quarter's median at least 5% over the first quarter's, every quarter no lower than
# the one before: rising "mostly monotonically" despite per-batch noise.
MIN_RISE = 0.05


def _cap(metric: str, spec: Capped, series: Series, ctx: DetectContext) -> float | None:
    if metric in ctx.caps:
        return ctx.caps[metric]
    if spec.cap is not None:
        return spec.cap
    tops = finite_points(series.get(spec.cap_series or ""))
    return max(tops.values) if tops else None


def _smoothed(values: list[float]) -> list[float]:
    """Running median of three, so one short batch does not end a stretch at the cap."""
    return [median(values[max(0, i - 1):i + 2]) for i in range(len(values))]


@detector("growth_to_cap")
def detect(series: Series, ctx: DetectContext) -> list[Fact]:
    facts = []
    for metric, spec in CAPPED.items():
        points = finite_points(series.get(metric))
        cap = _cap(metric, spec, series, ctx)
        if len(points) < MIN_POINTS or not cap or cap <= 0:
            continue
        values = points.values
        quarters = quarter_medians(values)
        level = spec.reach * cap
        smooth = _smoothed(values)
        rising = all(b >= a for a, b in zip(quarters, quarters[1:])) and quarters[-1] > quarters[0] * (1 + MIN_RISE)
        if not (rising and quarters[-1] >= level and smooth[-1] >= level):
            continue
        i = len(smooth)
        while i > 0 and smooth[i - 1] >= level:
            i -= 1
        facts.append(make_fact(
            "symptom.growth_to_cap", ctx, points[i],
            metric=metric, start=quarters[0], end=quarters[-1], cap=cap, step=points[i].step,
        ))
    return facts
