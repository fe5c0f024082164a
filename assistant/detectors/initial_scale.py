"""The starting loss: its scale separates label/masking bugs (far above ln(vocab)) and a
mismatched head from a normal start; rules judge the value, this only reports it.
"""
from __future__ import annotations

import math

from assistant.detectors._base import DetectContext, Series, detector, finite_points, make_fact
from assistant.engine.facts import Fact
from assistant.evidence.series import MetricSeries, Point


def _first_finite(s: MetricSeries | None) -> Point | None:
    """The series' exact first point (decimation may drop it from the stored ones) when finite."""
    if s is None:
        return None
    if s.first is not None and math.isfinite(s.first.value):
        return s.first
    return next(iter(finite_points(s)), None)


@detector("initial_scale")
def detect(series: Series, ctx: DetectContext) -> list[Fact]:
    first = _first_finite(series.get("loss"))
    if first is None:
        return []
    grad = _first_finite(series.get("grad_norm"))
    return [make_fact(
        "symptom.loss_start", ctx, first,
        value=first.value, step=first.step,
        grad_norm=grad.value if grad is not None and grad.step == first.step else None,
    )]
