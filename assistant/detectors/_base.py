"""What every detector shares: the context, the registry entry, fact sources.

Kept apart from ``__init__`` so detector modules can import it while the
package is still importing them.
"""
from __future__ import annotations

import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import compress
from typing import Callable, Mapping, overload

from assistant.engine.facts import Fact
from assistant.evidence.series import MetricSeries, Point

__all__ = [
    "DetectContext", "Detector", "Points", "REGISTRY", "Series", "all_points", "detector", "finite_points", "loss_points",
    "make_fact", "source_of", "starts_early", "steps_of", "values_of",
]

# Run kinds whose loss is a signed objective: GRPO's loss sits near 0 and is often negative
# (zero-mean advantages; shared/notes/artifact-formats.md §2), so its size and shape mean nothing.
SIGNED_LOSS_KINDS = frozenset({"grpo"})


@dataclass(frozen=True)
class DetectContext:
    """What a detector may know besides the series.

    run_kind:  sft | grpo | dpo | ebft | ... | unknown; selects the healthy ranges
    source:    the attachment's file name, used to build fact sources
    max_steps: the planned number of steps (``run.max_steps``), when known
    caps:      metric -> the value it cannot exceed (e.g. ``completions/mean_length`` ->
               ``max_completion_length``), when the config says so
    """

    run_kind: str = "unknown"
    source: str = ""
    max_steps: int | None = None
    caps: Mapping[str, float] = field(default_factory=dict)


Series = Mapping[str, MetricSeries]
DetectFn = Callable[[Series, DetectContext], list[Fact]]


@dataclass(frozen=True)
class Detector:
    """A registered detector; ``module`` lets a test check every module registered one."""

    name: str
    detect: DetectFn
    module: str


REGISTRY: dict[str, Detector] = {}


def detector(name: str) -> Callable[[DetectFn], DetectFn]:
    """Register ``detect(series, ctx) -> list[Fact]`` under ``name``."""

    def register(fn: DetectFn) -> DetectFn:
        if name in REGISTRY and REGISTRY[name].detect is not fn:
            raise ValueError(f"detector {name!r} registered twice")
        REGISTRY[name] = Detector(name, fn, fn.__module__)
        return fn

    return register


def source_of(ctx: DetectContext, point: Point) -> str:
    """``train.log:4411`` when the line is known, else ``train.log#step=812``."""
    src = ctx.source or "metrics"
    return f"{src}:{point.line}" if point.line > 0 else f"{src}#step={point.step}"


def make_fact(name: str, ctx: DetectContext, point: Point, **attrs: object) -> Fact:
    """A ``symptom.*`` fact located at ``point``."""
    return Fact(name, attrs, source_of(ctx, point))


class Points(Sequence[Point]):
    """The points of a series held as three columns (read-only); a Point is made only when one is
    asked for. Detectors that scan a whole curve read ``values`` (and ``steps``) directly: making
    50k Point objects costs more than most detectors' own work."""

    __slots__ = ("steps", "values", "lines")

    def __init__(self, steps: Sequence[int], values: Sequence[float], lines: Sequence[int]) -> None:
        self.steps, self.values, self.lines = steps, values, lines

    def __len__(self) -> int:
        return len(self.values)

    @overload
    def __getitem__(self, i: int) -> Point: ...

    @overload
    def __getitem__(self, i: slice) -> "Points": ...

    def __getitem__(self, i: int | slice) -> "Point | Points":
        if isinstance(i, slice):
            return Points(self.steps[i], self.values[i], self.lines[i])
        return Point(self.steps[i], self.values[i], self.lines[i])

    def __iter__(self) -> Iterator[Point]:
        return map(Point._make, zip(self.steps, self.values, self.lines))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)


def values_of(points: Sequence[Point]) -> Sequence[float]:
    """The values of points, from their column when they have one."""
    return points.values if isinstance(points, Points) else [p.value for p in points]


def steps_of(points: Sequence[Point]) -> Sequence[int]:
    return points.steps if isinstance(points, Points) else [p.step for p in points]


# series -> (its count when cached, its points, its finite points); every detector reads the
# same series, so the columns are taken (and filtered) once. Read-only.
_POINTS: weakref.WeakKeyDictionary[MetricSeries, tuple[int, Points, Points]] = weakref.WeakKeyDictionary()


def _cached(series: MetricSeries) -> tuple[int, Points, Points]:
    entry = _POINTS.get(series)
    if entry is None or entry[0] != series.count:
        steps, values, lines = series.columns()
        points = Points(steps, values, lines)
        if series.nonfinite_count:
            keep = [v - v == 0.0 for v in values]
            finite = Points(list(compress(steps, keep)), list(compress(values, keep)), list(compress(lines, keep)))
        else:   # decimation counts every non-finite value: none counted, every kept point is finite
            finite = points
        entry = _POINTS[series] = (series.count, points, finite)
    return entry


def all_points(series: MetricSeries | None) -> Points:
    """The stored points, NaN included (shared: do not modify)."""
    return _cached(series)[1] if series is not None else Points((), (), ())


def finite_points(series: MetricSeries | None) -> Points:
    """The stored points with a finite value (shared: do not modify).

    Non-finite values are the nonfinite detector's finding; the others describe the finite curve.
    """
    return _cached(series)[2] if series is not None else Points((), (), ())


def loss_points(series: Series, metric: str, ctx: DetectContext) -> Points:
    """Finite points of a loss-like metric, or none when the loss is a signed objective.

    Shape detectors (spikes on a log scale, plateau, collapse) need a positive loss; a GRPO
    run, or any series with a negative value, has none to give.
    """
    points = finite_points(series.get(metric))
    if ctx.run_kind in SIGNED_LOSS_KINDS or (len(points) and min(points.values) < 0):
        return Points((), (), ())
    return points


# A log whose first line comes after step 10 and after this share of the run may be a mid-run excerpt.
EARLY_SHARE = 0.02


def starts_early(points: list[Point], ctx: DetectContext) -> bool:
    """Whether the series begins at the run's start: only then can it tell "never fell" or "no warmup"
    (a tail of a cosine decay, or a loss excerpt from step 4000, cannot)."""
    return bool(points) and points[0].step <= max(10, EARLY_SHARE * (ctx.max_steps or points[-1].step))
