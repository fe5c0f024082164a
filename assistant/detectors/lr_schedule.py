"""Learning-rate schedule: warmup, peak, decay and the decay's shape.

Guide, "Key Metrics for SFT": learning_rate "should follow expected schedule (warmup then
decay)"; "Loss Plateau": "Set warmup_steps to 5-10% of total steps" - hence warmup_fraction.
"""
from __future__ import annotations

import math
from itertools import repeat
from operator import add, mul, sub, truediv
from collections.abc import Sequence

from assistant.detectors._base import DetectContext, Series, detector, finite_points, make_fact, starts_early, steps_of
from assistant.engine.facts import Fact

MIN_POINTS = 3
# Values within 0.1% of the maximum are the peak; the first of them is the peak step (the
# logged lr a step after warmup already reads 0.99999 of the peak under cosine decay).
PEAK_TOL = 1e-3
# A first logged lr under 90% of the peak, rising steadily to it, is a warmup.
WARMUP_START_FRACTION = 0.9
# Relative spread under 1% after the peak = constant schedule.
CONSTANT_TOL = 0.01
# Ending more than 10% below the peak = decaying.
DECAY_MIN = 0.1
# The decay, normalised to [0, 1] on both axes, stays within 5% of a line or a half cosine.
SHAPE_TOL = 0.05

SHAPES = {
    "linear": lambda x: 1.0 - x,
    "cosine": lambda x: 0.5 * (1.0 + math.cos(math.pi * x)),
}
# SHAPES over a whole column, the same operations in C-level maps (a long run logs 50k rates).
_CURVES = {
    "linear": lambda xs: map(sub, repeat(1.0), xs),
    "cosine": lambda xs: map(mul, repeat(0.5), map(add, repeat(1.0), map(math.cos, map(mul, repeat(math.pi), xs)))),
}


def _shape(steps: Sequence[int], values: Sequence[float]) -> str:
    """Best-fitting decay shape after the peak (linear wins ties: with 3 points they coincide)."""
    if len(values) < 3 or steps[-1] == steps[0] or values[0] == values[-1]:
        return "other"
    xs = list(map(truediv, map(sub, steps, repeat(steps[0])), repeat(steps[-1] - steps[0])))
    ys = list(map(truediv, map(sub, values, repeat(values[-1])), repeat(values[0] - values[-1])))
    errors = {name: max(map(abs, map(sub, ys, f(xs)))) for name, f in _CURVES.items()}
    best = min(errors, key=lambda name: errors[name])
    return best if errors[best] <= SHAPE_TOL else "other"


# A log whose first line is already this far into the data (HF dict lines carry no step, only the
# epoch) is a tail or an excerpt, whatever step number the reader had to give its first line.
LATE_EPOCH = 0.25


def _late_epoch(series: Series) -> bool:
    epochs = finite_points(series.get("epoch"))
    return bool(epochs) and epochs.values[0] >= LATE_EPOCH


@detector("lr_schedule")
def detect(series: Series, ctx: DetectContext) -> list[Fact]:
    points = finite_points(series.get("learning_rate"))
    if len(points) < MIN_POINTS:
        return []
    values = points.values
    top = max(values)
    k = next(i for i, v in enumerate(values) if v >= top * (1 - PEAK_TOL))
    peak = points[k]
    rising = all(b >= a * (1 - PEAK_TOL) for a, b in zip(values[:k], values[1:k + 1]))
    warmup = k > 0 and rising and values[0] < WARMUP_START_FRACTION * top
    after = values[k:]
    constant = top <= 0 or (top - min(after)) / top < CONSTANT_TOL
    shape = "constant" if constant else _shape(steps_of(points)[k:], after)
    warmup_steps = peak.step if warmup else 0
    total = ctx.max_steps or points[-1].step
    early = starts_early(points, ctx) and not _late_epoch(series)
    # The configured peak is only known when the log shows it: a warmup rising to it, a constant
    # rate, or lines from the start. A tail of a cosine decay (3e-8 near the end) says nothing
    # about the rate the run was given, nor about whether it warmed up.
    peak_seen = warmup or k > 0 or constant or early
    return [
        make_fact(
            "symptom.lr_schedule", ctx, peak,
            warmup=warmup, warmup_steps=warmup_steps,
            warmup_fraction=warmup_steps / total if total > 0 else None,
            peak=top, peak_step=peak.step, first=values[0], last=values[-1],
            decay=values[-1] < top * (1 - DECAY_MIN), shape=shape, constant=constant,
            starts_early=early, peak_seen=peak_seen,
        ),
        make_fact("symptom.lr_peak", ctx, peak, value=top, peak_seen=peak_seen),
    ]
