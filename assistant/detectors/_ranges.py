"""Healthy ranges from ``rules/ranges.yaml`` (data, not code: the guide's tables)."""
from __future__ import annotations

import fnmatch
import operator
from collections.abc import Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from itertools import repeat
from pathlib import Path
from typing import Any, Mapping

from assistant.datafile import load_yaml_file

__all__ = ["RANGES_PATH", "MetricRange", "beyond", "beyond_all", "load_ranges", "range_for"]

RANGES_PATH = Path(__file__).resolve().parents[2] / "rules" / "ranges.yaml"
ANY_KIND = "any"


@dataclass(frozen=True)
class MetricRange:
    """One metric's thresholds for one run kind; None = no bound."""

    low: float | None = None
    high: float | None = None
    red_low: float | None = None
    red_high: float | None = None
    after_step: int | None = None
    persist: float = 0.0
    ignore_zero: bool = False
    note: str = ""


_FIELDS = {f.name for f in fields(MetricRange)} - {"low", "high"} | {"healthy"}

Ranges = Mapping[str, Mapping[str, Mapping[str, Any]]]


@lru_cache(maxsize=4)
def load_ranges(path: Path = RANGES_PATH) -> Ranges:
    """kind -> metric pattern -> raw fields, validated so a typo fails loudly."""
    data = load_yaml_file(path) or {}
    ranges = data.get("ranges")
    if not isinstance(ranges, dict):
        raise ValueError(f"{path}: top-level 'ranges:' mapping missing")
    for kind, metrics in ranges.items():
        for metric, spec in (metrics or {}).items():
            unknown = set(spec) - _FIELDS
            if unknown:
                raise ValueError(f"{path}: {kind}.{metric}: unknown keys {sorted(unknown)}")
            healthy = spec.get("healthy", [None, None])
            if not (isinstance(healthy, list) and len(healthy) == 2):
                raise ValueError(f"{path}: {kind}.{metric}: healthy must be [lo, hi]")
            numbers = [*healthy, spec.get("red_low"), spec.get("red_high"), spec.get("persist")]
            if not all(v is None or isinstance(v, (int, float)) for v in numbers):
                raise ValueError(f"{path}: {kind}.{metric}: thresholds must be numbers (write 1.0e-3, not 1e-3)")
    return ranges


def _lookup(entries: Mapping[str, Mapping[str, Any]], metric: str) -> Mapping[str, Any]:
    if metric in entries:
        return entries[metric]
    for pattern, spec in entries.items():
        if fnmatch.fnmatchcase(metric, pattern):
            return spec
    return {}


def range_for(run_kind: str, metric: str, path: Path = RANGES_PATH) -> MetricRange | None:
    """The merged ``any`` + ``run_kind`` entry for ``metric``, or None when neither has one."""
    ranges = load_ranges(path)
    spec = {**_lookup(ranges.get(ANY_KIND) or {}, metric), **_lookup(ranges.get(run_kind) or {}, metric)}
    if not spec:
        return None
    low, high = spec.pop("healthy", [None, None])
    return MetricRange(low=low, high=high, **spec)


def beyond(v: float, direction: str, red: bool, threshold: float) -> bool:
    """Healthy bounds are themselves healthy; red flags are reached at the threshold ("1.0 on every step")."""
    return _TESTS[(direction, red)](v, threshold)


# (direction, red) -> the comparison `beyond` makes, for mapping over a whole column at C speed.
_TESTS = {("low", True): operator.le, ("low", False): operator.lt, ("high", True): operator.ge,
          ("high", False): operator.gt}


def beyond_all(values: Sequence[float], direction: str, red: bool, threshold: float) -> list[bool]:
    """`beyond` for every value."""
    return list(map(_TESTS[(direction, red)], values, repeat(threshold)))
