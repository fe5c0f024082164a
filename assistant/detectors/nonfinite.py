"""Non-finite values: where each metric first turned NaN/inf, which metric turned first,
and whether grad_norm blew up right before the loss did.

The guide tells the causes apart by this order: "If [grad_norm] goes to NaN, the backward
pass is the problem. If loss is NaN but grad_norm was fine on the previous step, the forward
pass is the problem", and gradient explosion shows as "grad_norm spikes to inf, then loss goes NaN".
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from itertools import compress, repeat
from operator import gt, le, lt

from assistant.detectors._base import DetectContext, Points, Series, all_points, detector, finite_points, make_fact
from assistant.detectors._stats import median
from assistant.engine.facts import Fact
from assistant.evidence.series import MetricSeries, Point

# Metrics compared for symptom.nan_first, in tie-break order: at the same step grad_norm wins,
# since a non-finite gradient is the earlier event inside one optimizer step.
# Other metrics (e.g. a reward std over one sample) only count when none of these turned.
CORE_ORDER = ("grad_norm", "loss", "eval_loss")
# "Right before": how many grad_norm points before the loss turned are examined.
BEFORE_POINTS = 5
# A rise to >= 100x the median grad_norm counts as a blow-up. The guide gives no ratio; two
# orders of magnitude is far beyond its ordinary "2-10x" spikes, so only explosions count.
BLOWUP_RATIO = 100.0


def _text(v: float) -> str:
    return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")


def _turned(series: Series) -> dict[str, Point]:
    """metric -> its first non-finite point, for metrics that have one."""
    return {m: s.first_nonfinite for m, s in series.items() if s.first_nonfinite is not None}


def _metric_fact(metric: str, s: MetricSeries, p: Point, ctx: DetectContext) -> Fact:
    first, last = s.first or p, s.last or p
    intermittent = math.isfinite(last.value) or _finite_after(all_points(s), p.step)
    return make_fact(
        "symptom.nonfinite", ctx, p,
        metric=metric, step=p.step, value=_text(p.value), count=s.nonfinite_count,
        fraction=s.nonfinite_count / s.count, intermittent=intermittent,
        from_start=first.step == p.step and not math.isfinite(first.value),
    )


def _finite_after(points: Points, step: int) -> bool:
    """Whether a point after ``step`` is finite (C-level passes over the columns)."""
    return any(compress(map(math.isfinite, points.values), map(gt, points.steps, repeat(step))))


def _where(points: Points, keep: Iterable[bool]) -> Points:
    """The points (in order) whose flag in ``keep`` is true."""
    at = list(compress(range(len(points)), keep))
    steps, values, lines = points.steps, points.values, points.lines
    return Points([steps[i] for i in at], [values[i] for i in at], [lines[i] for i in at])


def _grad_before(series: Series, step: int) -> Points:
    """The last few grad_norm points logged strictly before ``step``."""
    points = all_points(series.get("grad_norm"))
    return _where(points, map(lt, points.steps, repeat(step)))[-BEFORE_POINTS:]


def _nan_first(series: Series, turned: dict[str, Point], ctx: DetectContext) -> Fact:
    core = [m for m in CORE_ORDER if m in turned]
    candidates = core or sorted(turned)
    order = {m: i for i, m in enumerate(candidates)}
    metric = min(candidates, key=lambda m: (turned[m].step, order[m]))
    p = turned[metric]
    other = "grad_norm" if metric == "loss" else "loss"
    other_step = turned[other].step if other in turned else None
    before = [q.value for q in _grad_before(series, p.step) if math.isfinite(q.value)]
    prev = None
    if metric == "loss":
        grad = finite_points(series.get("grad_norm"))
        prior = list(compress(grad.values, map(lt, grad.steps, repeat(p.step))))
        prev = prior[-1] if prior else None
    return make_fact(
        "symptom.nan_first", ctx, p,
        metric=metric, step=p.step, same_step=other_step == p.step, other_metric=other,
        other_step=other_step, prev_grad_norm=prev, grad_norm_before=max(before) if before else None,
    )


def _blowup(series: Series, loss_nan: Point, ctx: DetectContext) -> Fact | None:
    grad = all_points(series.get("grad_norm"))
    window = _where(grad, map(le, grad.steps, repeat(loss_nan.step)))[-BEFORE_POINTS:]
    if not window:
        return None
    # values logged before the window that are finite and above zero (`v > 0` fails for NaN)
    earlier = compress(grad.values, map(lt, grad.steps, repeat(window[0].step)))
    history = [v for v in earlier if v > 0 and v != math.inf]
    baseline = median(history) if history else None
    for p in window:
        exploded = p.value == math.inf or (
            baseline is not None and math.isfinite(p.value) and p.value >= BLOWUP_RATIO * baseline
        )
        if exploded:
            finite = math.isfinite(p.value)
            return make_fact(
                "symptom.grad_norm_blowup", ctx, p,
                step=p.step, value=p.value if finite else "inf", baseline=baseline,
                ratio=p.value / baseline if finite and baseline else None,
            )
    return None


@detector("nonfinite")
def detect(series: Series, ctx: DetectContext) -> list[Fact]:
    turned = _turned(series)
    if not turned:
        return []
    facts = [_metric_fact(m, series[m], turned[m], ctx) for m in sorted(turned)]
    facts.append(_nan_first(series, turned, ctx))
    if "loss" in turned:
        blowup = _blowup(series, turned["loss"], ctx)
        if blowup is not None:
            facts.append(blowup)
    return facts
