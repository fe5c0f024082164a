"""Arithmetic of a metric series on long batches (numpy), for the readers of big logs.

A multi-GB log feeds a `MetricSeries` batches of tens of thousands of points per
metric. The series' own code walks them with builtins (`min`, `max`, `sum`) and, past
its capacity, keeps one point per bucket of raw points chosen bucket by bucket:
a few Python steps per point, which were the largest cost of reading such a log.
These helpers give the same answers for a whole batch in a few vectorised passes.
They use numpy only when it is already imported (the bulk log path imports it) and
the batch is long, so a small log never pays for numpy.
"""
from __future__ import annotations

import sys
from array import array
from typing import Any, Sequence

__all__ = ["kept_points", "kept_index", "take", "index_of", "span", "total_of", "joined", "BULK_BUCKETS"]

BULK_BUCKETS = 64     # fewer whole buckets than this are chosen one by one
_LONG = 4096          # batches shorter than this use the builtins
_COLUMNS = 64         # buckets up to this size are reduced on the transposed matrix


def _numpy(seq: Any) -> Any:
    """A zero-copy numpy view of a long typed array, when numpy is loaded; else None."""
    np = sys.modules.get("numpy")
    if np is None or not isinstance(seq, array) or len(seq) < _LONG or seq.typecode not in "dq":
        return None
    return np.frombuffer(seq, dtype=np.float64 if seq.typecode == "d" else np.int64)


def span(seq: Sequence[Any]) -> tuple[Any, Any]:
    """(min, max) of a non-empty sequence; for floats, only of finite values' batches."""
    view = _numpy(seq)
    if view is None:
        return min(seq), max(seq)
    lo, hi = view.min(), view.max()
    return (float(lo), float(hi)) if view.dtype.kind == "f" else (int(lo), int(hi))


def total_of(values: Sequence[float]) -> float:
    """A sum of the values, used only to tell whether they are all finite (finite iff `total - total == 0`)."""
    view = _numpy(values)
    if view is None:
        return sum(values)
    return 0.0 if bool(view.size) and bool(sys.modules["numpy"].isfinite(view).all()) else float("nan")


def index_of(seq: Sequence[Any], x: Any) -> int:
    """`seq.index(x)` for an `x` that `seq` holds (a long typed array compares in numpy)."""
    view = _numpy(seq)
    if view is None:
        return seq.index(x)
    return int((view == x).argmax())


def take(seq: Sequence[Any], at: Any, offset: int = 0) -> Sequence[Any]:
    """The items of `seq` at positions `offset + at` (`at` a numpy index array), as an array of
    the same typecode when `seq` is a typed array (no Python objects), else as a list."""
    np = sys.modules["numpy"]
    if isinstance(seq, array) and seq.typecode in "dq":
        view = np.frombuffer(seq, dtype=np.float64 if seq.typecode == "d" else np.int64)
        out = array(seq.typecode)
        out.frombytes(view[offset:][at].tobytes())
        return out
    return [seq[offset + k] for k in at.tolist()]


def joined(head: list[Any], tail: Sequence[Any]) -> Sequence[Any]:
    """`head + tail` keeping a typed array typed (and so cheap for the helpers above)."""
    if isinstance(tail, array):
        return array(tail.typecode, head) + tail
    return head + list(tail)


def kept_points(values: Sequence[float], bucket: int, centre: float) -> list[int]:
    """`kept_index` as a list."""
    return kept_index(values, bucket, centre).tolist()


def kept_index(values: Sequence[float], bucket: int, centre: float, start: int = 0, stop: int | None = None) -> Any:
    """Index in `values[start:stop]` (a numpy array) of the point each whole bucket of it keeps, in
    order: the first non-finite value of the bucket, else its max or min, whichever is farther from
    `centre` (the max on a tie), at its first occurrence: exactly `series._most_extreme` per bucket.

    Buckets are short rows (8-64 points) and numpy reduces short rows one at a time, slowly, so
    the matrix is transposed first: each reduction then runs across all buckets at once."""
    import numpy as np

    stop = len(values) if stop is None else stop
    whole = (stop - start) // bucket
    if isinstance(values, array) and values.typecode == "d":
        v = np.frombuffer(values, dtype=np.float64)[start:start + whole * bucket]
    else:
        v = np.asarray(values[start:start + whole * bucket], dtype=np.float64)
    v = v.reshape(whole, bucket)
    if bucket > _COLUMNS:
        bad = ~np.isfinite(v)
        hi, lo = v.max(1), v.min(1)
        target = np.where(hi - centre >= centre - lo, hi, lo)
        pick = np.where(bad.any(1), bad.argmax(1), (v == target[:, None]).argmax(1))
        return np.arange(whole) * bucket + pick
    vt = np.ascontiguousarray(v.T)      # one row per position in the bucket
    hi, lo = vt.max(0), vt.min(0)
    target = np.where(hi - centre >= centre - lo, hi, lo)
    weight = np.arange(bucket, 0, -1, dtype=np.uint8)[:, None]   # bucket - position: the first True weighs most
    pick = bucket - ((vt == target) * weight).max(0).astype(np.int64)
    bad = ~np.isfinite(vt)
    if bad.any():   # a bucket holding a non-finite value keeps its first one
        pick = np.where(bad.any(0), bucket - (bad * weight).max(0).astype(np.int64), pick)
    return np.arange(whole) * bucket + pick
