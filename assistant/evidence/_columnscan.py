"""The metric dicts of a buffer read a column at a time, in plain Python: the small-log fast path.

`parse_buffer`'s loop matches each dict with a regex and walks it alone (~5 µs a
record). When every dict of a buffer is plain `key: value` pairs, the fields of all
of them come apart at once: the bodies are joined, quotes dropped and split at
`, ` / `: ` (three C-level calls), records are grouped by layout (field count and
first key), each group's keys are checked on every row, and its values are taken as
strided slices of the one list of fields. What remains per record is the bar before
it (`_last_bar`). Anything else (a dict cut by a line break, colours, values holding
`, `, a dict that is not a metrics record) makes `parse_columns` return None and the
buffer goes through the loop, so both give the same `Parsed` (tests compare them).
No numpy: small logs must not import it; big ones take `_bulkscan`.
"""
from __future__ import annotations

from array import array
from itertools import accumulate, compress, repeat
from operator import add, eq, itemgetter, mul
from typing import Any

__all__ = ["parse_columns", "MIN_RECORDS"]

MIN_RECORDS = 64   # below this the loop costs as little


def parse_columns(buf: bytes, pieces: list[bytes], newlines: list[int]) -> Any:
    """`Parsed` for a buffer split at its dicts (`pieces`, with `newlines` before each piece), or
    None when a dict needs the per-record loop."""
    from assistant.evidence._logscan import NONE, Parsed, Part, _QUOTES, _fill_columns, _last_bar, _layout, _scan_texts

    n = len(pieces) - 1
    if n < MIN_RECORDS:
        return None
    split = list(map(bytes.partition, pieces[1:], repeat(b"}")))
    if not all(map(itemgetter(1), split)):
        return None                                       # a dict with no closing brace
    bodies = list(map(itemgetter(0), split))
    joined = b"\x00".join(bodies)
    if b"\n" in joined or b"\r" in joined or b"\x1b" in joined or joined.count(b"\x00") != n - 1:
        return None                                       # cut by a line break, coloured, or holding a NUL
    items = joined.translate(None, _QUOTES).replace(b": ", b", ").replace(b"\x00", b", ").split(b", ")
    counts = list(map(bytes.count, bodies, repeat(b", ")))
    # `k: v, k: v`: two fields per `, `, two more; a record's fields start at twice the running count
    halves = list(accumulate(map(add, counts, repeat(1)), initial=0))
    if 2 * halves[-1] != len(items):
        return None                                       # a value holds `, ` or `: `
    offsets = list(map(mul, halves[:-1], repeat(2)))
    groups = _groups(counts, bodies)
    parts: list[Part] = []
    order = array("i", bytes(4 * n))
    unparsed = 0
    for (count, _), rows in groups.items():
        width, start = 2 * count + 2, offsets[rows[0]]
        keys = tuple(items[start:start + width:2])
        for f, key in enumerate(keys):                    # the same keys on every row of the group
            column = _gather(items, rows, offsets, 2 * f)
            if column.count(key) != len(rows):
                return None
        layout = _layout(keys, items[start + 1:start + width:2])
        if layout.kind == NONE:
            return None                                   # a dict that is no record: its text matters
        part = Part(layout)
        wanted = layout.numeric + [i for i in (layout.step_idx, layout.swift_idx) if i is not None]
        unparsed += _fill_columns(part, [_gather(items, rows, offsets, 2 * i + 1) for i in wanted], len(rows))
        if parts:                                          # (the first layout's records are 0 already)
            for r in rows:
                order[r] = len(parts)
        parts.append(part)
    gaps = list(map(itemgetter(2), split))
    bars = list(map(_last_bar, [pieces[0], *gaps[:-1]]))
    parsed = Parsed(len(buf), newlines[-1], parts, order, array("q", newlines[1:n + 1]), bars, _last_bar(gaps[-1]),
                    0, unparsed)
    _scan_texts(parsed, [pieces[0], *gaps], newlines)
    return parsed


MAX_GROUPS = 16   # layouts beyond this are grouped record by record


def _groups(counts: list[int], bodies: list[bytes]) -> dict[tuple[int, bytes], list[int]]:
    """Record numbers per group key (field count, text before the first `:`), in order of first
    appearance. One layout (the common case) is checked with two C-level passes; a few layouts
    are found with one pass each."""
    n = len(bodies)
    first = bodies[0].partition(b":")[0]
    # a body starting with `first:` has `first` before its first `:`, as `first` holds no `:`
    if counts.count(counts[0]) == n and all(map(bytes.startswith, bodies, repeat(first + b":"))):
        return {(counts[0], first): list(range(n))}
    keys = list(zip(counts, map(itemgetter(0), map(bytes.partition, bodies, repeat(b":")))))
    distinct = dict.fromkeys(keys)
    if len(distinct) <= MAX_GROUPS:
        return {key: list(compress(range(n), map(eq, keys, repeat(key)))) for key in distinct}
    groups: dict[tuple[int, bytes], list[int]] = {}
    for r, key in enumerate(keys):
        groups.setdefault(key, []).append(r)
    return groups


def _gather(items: list[bytes], rows: list[int], offsets: list[int], field: int) -> tuple[bytes, ...]:
    """Field `field` of each row: one strided slice when the rows are consecutive (rows of a group
    have one width), else an itemgetter over their offsets."""
    if len(rows) == 1:
        return (items[offsets[rows[0]] + field],)
    if rows[-1] - rows[0] + 1 == len(rows):
        width = offsets[rows[1]] - offsets[rows[0]]
        start = offsets[rows[0]] + field
        return tuple(items[start:start + width * len(rows):width])
    return itemgetter(*[offsets[r] + field for r in rows])(items)
