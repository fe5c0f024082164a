"""The metric dicts of a big buffer parsed in bulk with numpy: the fast path of `_logscan.parse_buffer`.

`parse_buffer` walks a buffer record by record; even at a few C-level calls per
record that is ~15 µs per logged step, a quarter of a second per 8 MB of a
training log. Here the structure of the whole buffer is found with numpy in a
handful of vectorised passes, and Python objects are made only for the values:

* record starts (`{` then a quote) and their closing `}` are located once each
  (`flatnonzero` over the buffer); one mask then splits the buffer into the record
  bodies and the text between them, where the line breaks and the tqdm bars' `| `
  are found (bodies hold neither);
* the line of a record and the last bar before it are `searchsorted` lookups; a
  bar's `N/M` is read from a fixed window of bytes as digits, for every record at once;
* the bodies, quotes dropped, are cut into fields at their `: ` and `, `; a layout is
  the skeleton of a record (its text less its values), compared a run of records at
  a time, and its numeric columns are read by `_bulknumbers`;
* only the text between records that is more than progress bars is materialised,
  for the signature and exception scan shared with the per-record path.

Whatever does not fit this mould (a dict cut by a line break, nested or unclosed
braces, colours inside a dict, values holding `, `, a dict that is not a metrics
record) makes `parse_bulk` return None and the buffer takes the per-record path,
so both paths yield the same `Parsed` (tests compare them on generated logs).
numpy is imported here only: small logs never reach this module.
"""
from __future__ import annotations

from functools import cache
from typing import Any

from assistant.blas import one_blas_thread

one_blas_thread()   # before numpy: the scan does no linear algebra

__all__ = ["parse_bulk", "MIN_RECORDS"]

MIN_RECORDS = 512   # below this the per-record path costs less than numpy's fixed overheads


def _counters(w: Any, slash: Any, j: Any) -> tuple[Any, Any, Any]:
    """N and M of `N/M` for every row of `w` (the bytes after `| `; `slash` and `j` are the
    positions of `/` and ` [` in it), and which rows hold nothing but 1-18 digits on each side
    (the others are left to Python's `int`)."""
    import numpy as np

    n = len(w)
    nv, mv = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    plain = (slash > 0) & (j > slash + 1) & (j <= w.shape[1])
    for c in range(min(int(j.max(initial=0)), w.shape[1])):
        d = w[:, c] - np.uint8(48)
        digit = d < 10
        left, right = c < slash, (c > slash) & (c < j)
        plain &= digit | ~(left | right)
        nv = np.where(left, nv * 10 + d, nv)
        mv = np.where(right, mv * 10 + d, mv)
    return nv, mv, plain


_WINDOW = 112   # bytes after a bar's `| ` that hold its ` [` (within 48) and rate unit `it` (64 further)


def _first(hit: Any, lo: int = 0) -> Any:
    """Per row of a boolean matrix, the first True column at or after `lo` (the width where none)."""
    import numpy as np

    hit = hit[:, lo:]
    k = hit.argmax(1)
    return np.where(hit[np.arange(len(hit)), k], k + lo, hit.shape[1] + lo)


def _bars(a: Any, buf: bytes, gaps: "_Gaps") -> tuple[Any, Any] | None:
    """(N, M) of the last iteration bar in the gap before each record, -1 where there is none
    (None when a counter does not fit in int64):
    `_logscan._last_bar` for every gap at once. From the gap's last `| `: the first ` [` must end
    within 48 bytes, `it` must follow within 64 bytes of it, and `N/M` lies between. The `| ` are
    found with one pass over the gaps' text; the rest in a window of bytes after each gap's last one."""
    import numpy as np

    from assistant.evidence._logscan import _last_bar

    gap_lo, gap_hi = gaps.lo[:-1], gaps.hi[:-1]
    n = len(gap_lo)
    out_n, out_m = np.full(n, -1, dtype=np.int64), np.full(n, -1, dtype=np.int64)
    t = np.frombuffer(gaps.text, dtype=np.uint8)
    bars = np.flatnonzero(t[:-1] == 124)
    bars = bars[t[bars + 1] == 32]                                      # `| `, in the gaps' text
    g = np.searchsorted(gaps.at, bars, side="right") - 1
    pipes = bars - gaps.at[g] + gaps.lo[g]                              # where they are in the buffer
    k = np.searchsorted(pipes, gap_hi - 1) - 1                          # the last `| ` whole in the gap
    pos = pipes[np.maximum(k, 0)] if len(pipes) else np.zeros(n, dtype=np.int64)
    rows = np.flatnonzero((k >= 0) & (pos >= gap_lo))
    if not len(rows):
        return out_n, out_m
    i, end = pos[rows], gap_hi[rows]
    if int(i.max()) + _WINDOW <= len(a):
        w = np.lib.stride_tricks.sliding_window_view(a, _WINDOW)[i]    # row r: a[i[r]:i[r] + _WINDOW]
    else:
        at = i[:, None] + np.arange(_WINDOW)
        w = a[np.minimum(at, len(a) - 1)]
        w[at >= len(a)] = 0                                             # past the buffer: no landmark
    j = _first((w[:, 1:48] == 32) & (w[:, 2:49] == 91)) + 1             # ` [`, relative to `| `
    ok = (j + 2 <= 48) & (i + j + 2 <= end)
    its = (w[:, :-1] == 105) & (w[:, 1:] == 116)                        # `it`
    t = _first(its & (np.arange(_WINDOW - 1) >= j[:, None]))
    ok &= (t + 2 <= j + 64) & (i + t + 2 <= end)
    slash = _first(w[:, :48] == 47, 2)
    has_slash = slash < j
    nv, mv, plain = _counters(w[:, 2:24], slash - 2, np.where(ok, j - 2, 0))
    plain &= ok & has_slash
    out_n[rows[plain]], out_m[rows[plain]] = nv[plain], mv[plain]
    for r in rows[ok & ~plain].tolist():   # spaces or `_` in the counter: Python's int() decides, as before
        bar = _last_bar(buf[int(pos[r]):int(gap_hi[r])])
        if bar is not None:
            if max(bar) >= 2 ** 63:
                return None                                             # past int64: the per-record path
            out_n[r], out_m[r] = bar
    return out_n, out_m


def _records(b: Any) -> tuple[Any, Any, Any] | None:
    """For the joined bodies `b` (`k: v, k: v}` per record): the position of every colon
    separator, the end of the value after it, and the first colon of each record; None when a
    record is not `key: value` pairs separated by `, ` (a value holding `, ` or `: `)."""
    import numpy as np

    stop = np.flatnonzero(b == 125)                                     # each record's `}`
    seps = np.flatnonzero(((b[:-1] == 58) | (b[:-1] == 44)) & (b[1:] == 32))
    count = np.diff(np.concatenate(([0], np.searchsorted(seps, stop))))  # separators per record
    if (count % 2 != 1).any():
        return None
    record = np.repeat(np.arange(len(stop)), count)
    first = np.concatenate(([0], np.cumsum(count)[:-1]))
    rank = np.arange(len(seps)) - first[record]
    colon = b[seps] == 58
    if (colon != ((rank & 1) == 0)).any():
        return None                                                     # colons and commas must alternate
    at = np.flatnonzero(colon)
    last = rank[at] == count[record[at]] - 1                            # the record's last field
    value_end = np.where(last, stop[record[at]], seps[np.minimum(at + 1, len(seps) - 1)])
    fields = (count + 1) // 2
    return seps[at], value_end, np.concatenate(([0], np.cumsum(fields)[:-1]))


def _skeletons(b: Any, colons: Any, value_end: Any) -> Any:
    """All records' text with their values cut out (`loss: , grad_norm: }` each, as one array):
    records with equal skeletons have the same keys in the same order, one layout."""
    import numpy as np

    lengths = np.empty(2 * len(colons) + 1, dtype=np.int64)            # kept, cut, kept, cut, ..., kept
    bounds = np.empty(2 * len(colons), dtype=np.int64)
    bounds[0::2], bounds[1::2] = colons + 2, value_end
    lengths[:-1] = np.diff(np.concatenate(([0], bounds)))
    lengths[-1] = len(b) - bounds[-1]
    keep = np.repeat((np.arange(len(lengths)) & 1) == 0, lengths)
    return b[keep]


_MAX_RUNS = 256   # more runs of equal-length skeletons than this: compare them as bytes objects


def _layouts(skeletons: Any) -> list[tuple[bytes, Any]]:
    """(skeleton, record numbers) per distinct skeleton, in order of first appearance.

    A log's records come in long runs of one layout, so consecutive skeletons of one length are
    compared as the rows of a matrix (a view of the array, no copy); interleaved layouts, or a
    run whose rows differ, fall back to a dict of each record's skeleton."""
    import numpy as np

    end = np.flatnonzero(skeletons == 125) + 1                          # just past each `}`
    size = np.diff(end, prepend=0)
    cuts = np.flatnonzero(np.diff(size)) + 1
    groups: dict[bytes, list[Any]] = {}
    if len(cuts) < _MAX_RUNS:
        for r0, r1 in zip([0, *cuts.tolist()], [*cuts.tolist(), len(size)]):
            lo, width = int(end[r0] - size[r0]), int(size[r0])
            rows = skeletons[lo:lo + (r1 - r0) * width].reshape(r1 - r0, width)
            if not (rows == rows[0]).all():
                break
            groups.setdefault(rows[0, :-1].tobytes(), []).append(np.arange(r0, r1))
        else:
            return [(sk, np.concatenate(runs)) for sk, runs in groups.items()]
    each = skeletons.tobytes().split(b"}")[:-1]
    distinct = list(dict.fromkeys(each))
    if len(distinct) == 1:
        return [(distinct[0], np.arange(len(each)))]
    codes = {sk: i for i, sk in enumerate(distinct)}
    group = np.fromiter(map(codes.__getitem__, each), dtype=np.int64, count=len(each))
    return [(sk, np.flatnonzero(group == i)) for i, sk in enumerate(distinct)]


_FEW_ROWS = 64   # a layout with fewer records has its values read by float()


def _numbers(b: Any, joined: bytes, lo: Any, hi: Any, columns: int) -> list[Any]:
    """The values of `columns` columns (spans laid out column after column): read with numpy
    where plain decimals, the rest left as their text (`float()` or `_fill_columns` deals with
    them, as on the per-record path). Each column is an array, or a list when text remains."""
    from array import array

    from assistant.evidence._bulknumbers import read_decimals

    out: list[Any] = []
    n = len(lo) // columns if columns else 0
    if n < _FEW_ROWS:   # numpy's per-call costs exceed float()'s: leave the text to `_fill_columns`
        spans = list(map(joined.__getitem__, map(slice, lo.tolist(), hi.tolist())))
        return [spans[c * n:(c + 1) * n] for c in range(columns)]
    for c in range(columns):   # a column at a time: each is as wide as its own longest value
        part, good = read_decimals(b, lo[c * n:(c + 1) * n], hi[c * n:(c + 1) * n])
        if good.all():
            out.append(array("d", part.tobytes()))
            continue
        column: list[Any] = part.tolist()
        for i in (~good).nonzero()[0].tolist():
            column[i] = joined[int(lo[c * n + i]):int(hi[c * n + i])]
        out.append(column)
    return out


def parse_bulk(buf: bytes) -> Any:
    """`Parsed` for a buffer of complete lines, or None when it needs the per-record path."""
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy comes with the retrieval stack
        return None
    from assistant.evidence._logscan import NONE, Layout, Parsed, Part, _fill_columns, _last_bar, _layout, _scan_texts

    a = np.frombuffer(buf, dtype=np.uint8)
    if len(a) < 2:
        return None
    brace = np.flatnonzero(a[:-1] == 123)
    follow = a[brace + 1]
    starts = brace[(follow == 39) | (follow == 34)]                      # `{'` or `{"`
    if len(starts) < MIN_RECORDS:
        return None
    closes = np.flatnonzero(a == 125)
    ci = np.searchsorted(closes, starts)
    if ci[-1] >= len(closes):
        return None                                                      # the last dict is not closed
    ends = closes[ci]
    if (ends[:-1] >= starts[1:]).any():
        return None                                                      # nested or unclosed dicts
    # Bodies (without `{`, with the closing `}` as each one's end mark), quotes dropped: one bytes
    # object; the text between them, the `{`s included, is the mask's other side.
    bounds = np.empty(2 * len(starts) + 1, dtype=np.int64)
    bounds[0], bounds[1::2], bounds[2::2] = 0, starts + 1, ends + 1
    body = np.repeat((np.arange(len(bounds)) & 1).astype(bool), np.diff(bounds, append=len(a)))
    joined = a[body].tobytes()
    if b"\n" in joined or b"\r" in joined or b"\x1b" in joined:
        return None                                                      # a dict cut by a line break, or coloured
    joined = joined.translate(None, b"'\"")
    gaps = _Gaps(a[~body].tobytes(), np.concatenate(([0], ends + 1)), np.concatenate((starts, [len(a)])))
    lines = np.searchsorted(gaps.newlines, gaps.at[:-1] + gaps.size[:-1])   # before each record's `{`
    b = np.frombuffer(joined, dtype=np.uint8)
    found = _records(b)
    if found is None:
        return None
    colons, value_end, first = found
    parts: list[Part] = []
    order = np.empty(len(starts), dtype=np.int32)
    unparsed = 0
    for skeleton, rec in _layouts(_skeletons(b, colons, value_end)):
        keys = tuple(k[:-2] for k in skeleton.split(b", "))               # `loss: ` -> `loss`
        r0 = int(rec[0])
        vals = [joined[int(colons[first[r0] + f]) + 2:int(value_end[first[r0] + f])] for f in range(len(keys))]
        layout: Layout = _layout(keys, vals)
        if layout.kind == NONE:
            return None                                                  # a dict that is no record: its text matters
        part = Part(layout)
        at = (first[rec][None, :] + np.asarray(layout.numeric, dtype=np.int64)[:, None]).ravel()
        columns = _numbers(b, joined, colons[at] + 2, value_end[at], len(layout.numeric))
        unparsed += _fill_columns(part, columns, len(rec))
        for f in (layout.step_idx, layout.swift_idx):
            if f is not None and not part.steps_raw:                     # the step field, as the text it was
                lo, hi = (colons[first[rec] + f] + 2).tolist(), value_end[first[rec] + f].tolist()
                part.steps_raw = [joined[x:y] for x, y in zip(lo, hi)]
        order[rec] = len(parts)
        parts.append(part)

    bars = _bars(a, buf, gaps)
    if bars is None:
        return None
    bar_n, bar_m = bars
    parsed = Parsed(len(buf), len(gaps.newlines), parts, order, lines, [], _last_bar(buf[int(ends[-1]) + 1:]),
                    unparsed=unparsed, bar_n=bar_n, bar_m=bar_m)
    texts, text_lines = _kept_texts(buf, gaps)
    _scan_texts(parsed, texts, text_lines)
    return parsed


class _Gaps:
    """The text outside the record bodies: gap k is buf[lo[k]:hi[k]] (before record k; the last
    one is the tail), found at[k] in `text`, where each gap but the last is followed by its
    record's `{`. Line breaks lie in the gaps only, so they are counted in `text`."""

    def __init__(self, text: bytes, lo: Any, hi: Any) -> None:
        import numpy as np

        self.text, self.lo, self.hi = text, lo, hi
        self.size = hi - lo
        self.at = np.concatenate(([0], np.cumsum(self.size[:-1] + 1)))
        self.newlines = np.flatnonzero(np.frombuffer(text, dtype=np.uint8) == 10)


def _kept_texts(buf: bytes, gaps: _Gaps) -> tuple[list[bytes], list[int]]:
    """The gaps holding more than progress bars (what `_scan_texts` keeps of the per-record
    path's texts), with the number of newlines before each: the bytes that are no bar's, other than
    the records' own `{`, name their gaps."""
    import numpy as np

    other = np.flatnonzero(np.frombuffer(gaps.text.translate(_not_bar_table()), dtype=bool))   # 0 or 1
    k = np.searchsorted(gaps.at, other, side="right") - 1
    k = k[other - gaps.at[k] < gaps.size[k]]                            # not the `{` after the gap
    keep = k[np.diff(k, prepend=-1) > 0].tolist()                       # each gap once (k is sorted)
    return [buf[gaps.lo[j]:gaps.hi[j]] for j in keep], np.searchsorted(gaps.newlines, gaps.at[keep]).tolist()


@cache
def _not_bar_table() -> bytes:
    """A `bytes.translate` table: 0 for the bytes a progress bar is made of, 1 for the others."""
    from assistant.evidence._logscan import _BAR_BYTES

    return bytes(i not in _BAR_BYTES for i in range(256))
