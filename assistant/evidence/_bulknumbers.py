"""Decimal numbers read from byte spans with numpy, for whole columns of a log at once.

Converting a logged value with `float()` costs ~0.2 µs, and a big training log
holds millions of them. Here the spans are laid out as a matrix of bytes, one
row per value, and read one character position at a time for every row (Horner's
scheme). The result is exactly what `float()` returns: the digits are read as an
integer mantissa below 2**53 and scaled by a power of ten of at most 22, a
single correctly rounded operation on exact operands (the "fast path" of decimal
conversion, Clinger 1990). Plain decimals (`0.5`, `12`, `1.25`) take a lean loop;
rows with an exponent or a sign (`2e-05`, `-0.3`) a full one; anything else
(`nan`, `inf`, 18+ digits, `1_000`, spaces) is flagged for `float()`.
"""
from __future__ import annotations

from typing import Any

__all__ = ["read_decimals", "MAX_WIDTH"]

MAX_WIDTH = 32            # longer spans go to float()
_MAX_MANTISSA = 2 ** 53   # below this an integer is exact as a float64
_MAX_POWER = 22           # 10**22 is the largest power of ten exact as a float64
_POWERS: Any = None       # 10.0 ** k for k <= _MAX_POWER (a numpy array, made on first use)


def _plain(wt: Any, width: Any) -> tuple[Any, Any, Any, Any]:
    """Rows of digits with at most one point: (mantissa, digits after the point, ok, special);
    `special` marks rows holding an exponent or a sign, for `_general`. The character classes
    are found for the whole matrix at once; only the mantissa walks the character positions."""
    import numpy as np

    def count(m: Any) -> Any:          # True per column of a boolean matrix (at most MAX_WIDTH rows)
        return m.view(np.uint8).sum(0, dtype=np.uint8)

    n = wt.shape[1]
    live = np.arange(len(wt))[:, None] < width[None, :]
    d = wt - np.uint8(48)              # wraps: not a digit means d >= 10
    digit = (d < 10) & live
    point = (wt == 46) & live
    other = live & ~(digit | point)
    special = (other & ((wt == 101) | (wt == 69) | (wt == 45) | (wt == 43))).any(0)
    digits = count(digit)
    ok = ~other.any(0) & (count(point) <= 1) & (digits > 0) & (digits <= 17)
    scale = digit * np.uint8(9) + np.uint8(1)     # x10 at a digit, x1 elsewhere
    d *= digit                                     # the digit's value, 0 elsewhere
    mantissa = np.zeros(n, dtype=np.int64)
    after = np.zeros(n, dtype=np.uint8)
    dot = np.zeros(n, dtype=bool)
    for c in range(len(wt)):           # one character position of every row: Horner's scheme
        mantissa *= scale[c]
        mantissa += d[c]
        dot |= point[c]
        after += digit[c] & dot
    return mantissa, after.astype(np.int64), ok, special


def _general(wt: Any, width: Any) -> tuple[Any, Any, Any, Any]:
    """Rows that may hold a leading sign and an exponent: (mantissa, power of ten, negative, ok)."""
    import numpy as np

    n = wt.shape[1]
    first = wt[0]
    signed = (first == 45) | (first == 43)
    negative = first == 45
    mantissa, exponent = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    digits, after, exp_digits = (np.zeros(n, dtype=np.int64) for _ in range(3))
    state = np.zeros(n, dtype=np.int8)   # 0 mantissa, 1 after the point, 2 just after e, 3 exponent
    exp_negative = np.zeros(n, dtype=bool)
    ok = np.ones(n, dtype=bool)
    for c, ch in enumerate(wt):
        live = (c < width) & ~((c == 0) & signed)
        d = ch - np.uint8(48)
        digit = (d < 10) & live
        in_mantissa = digit & (state <= 1)
        mantissa = np.where(in_mantissa, mantissa * 10 + d, mantissa)
        digits += in_mantissa
        after += in_mantissa & (state == 1)
        in_exp = digit & (state >= 2)
        exponent = np.where(in_exp, exponent * 10 + d, exponent)
        exp_digits += in_exp
        point = live & (ch == 46)
        e = live & ((ch == 101) | (ch == 69))
        sign = live & ((ch == 45) | (ch == 43)) & (state == 2)
        exp_negative |= sign & (ch == 45)
        ok &= ~live | digit | (point & (state == 0)) | (e & (state <= 1) & (digits > 0)) | sign
        state = np.where(point & (state == 0), 1, state)
        state = np.where(e & (state <= 1), 2, state)
        state = np.where(in_exp | sign, 3, state).astype(np.int8)
    ok &= (digits > 0) & (digits <= 17) & ((state <= 1) | (exp_digits > 0)) & (exp_digits <= 3)
    power = np.where(exp_negative, -exponent, exponent) - after
    return mantissa, power, negative, ok


def read_decimals(data: Any, lo: Any, hi: Any) -> tuple[Any, Any]:
    """(values, ok): the number in data[lo[i]:hi[i]] for each i as float64, and whether it was
    read here (False: the caller converts that span with `float()`, or finds it is no number)."""
    import numpy as np

    global _POWERS
    if _POWERS is None:
        _POWERS = np.array([10.0 ** k for k in range(_MAX_POWER + 1)])
    n = len(lo)
    width = hi - lo
    cap = int(min(width.max(initial=0), MAX_WIDTH))
    if not n or not cap:
        return np.zeros(n, dtype=np.float64), np.zeros(n, dtype=bool)
    cols = np.arange(cap)
    if int(lo.max()) + cap > len(data):   # (the bytes past a span's width are never read)
        data = np.concatenate((data, np.zeros(cap, dtype=np.uint8)))
    wt = data[lo[None, :] + cols[:, None]]                             # one row per character position
    mantissa, after, ok, special = _plain(wt, width)
    power = -after
    negative = np.zeros(n, dtype=bool)
    rows = np.flatnonzero(special)
    if len(rows):
        m, p, neg, good = _general(np.ascontiguousarray(wt[:, rows]), width[rows])
        mantissa[rows], power[rows], negative[rows], ok[rows] = m, p, neg, good
    ok &= (width > 0) & (width <= MAX_WIDTH) & (mantissa < _MAX_MANTISSA) & (np.abs(power) <= _MAX_POWER)
    scale = _POWERS[np.abs(np.where(ok, power, 0))]
    values = mantissa.astype(np.float64)
    values = np.where(power >= 0, values * scale, values / scale)
    return np.where(negative, -values, values), ok
