"""Streaming scan of console output: metric dict lines, progress bars, signatures, exceptions.

Used by the stdout-log, traceback and W&B readers. A training log can be many
gigabytes, so the scan works on binary chunks and keeps Python work per logged
step to a few C-level calls:

* each chunk is cut after its last line break (``\\n`` or tqdm's ``\\r``) and the
  rest carried into the next, so no record is split;
* ``parse_buffer`` splits a buffer at every ``{'`` / ``{"`` (one C-level regex
  split); each piece is a dict body, then the gap up to the next dict. A body's
  fields come apart with ``translate/replace/split`` and ``map(float, ...)``
  (``ast.literal_eval`` would run at ~9 MB/s). The step of a dict line comes
  from the last tqdm bar in the gap before it, found with ``rfind(b"| ")``;
* only gaps holding more than progress bars (usually a tiny share of a log)
  are searched for error signatures and exception lines;
* ``parse_buffer`` is a pure function of the buffer, so big files are parsed by
  a pool of worker processes while this process assembles the results in file
  order (steps, series, run facts): the parse is ~80% of the work.
"""
from __future__ import annotations

import os
import re
import sys
import threading
from array import array
from bisect import bisect_right
from collections import deque
from concurrent.futures import Executor
from dataclasses import dataclass, field
from itertools import accumulate, compress, repeat
from operator import add, eq, itemgetter, lt, not_
from pathlib import Path
from typing import Any, Callable, Iterator

from assistant.engine.facts import Fact
from assistant.evidence._input import check_file, open_input
from assistant.evidence._banners import BANNER_HINTS, find_banner
from assistant.evidence._columnscan import parse_columns
from assistant.evidence._records import (
    EVAL, MAX_STEP, NONE, STEP_KEYS, SUMMARY, SWIFT_STEP_KEY, TRAIN, RunTracker, as_step, is_metric, preferred_fields,
    record_kind,
)
from assistant.evidence._signatures import SignatureScan, load_signatures
from assistant.evidence._textmetrics import TextRecord, find_records
from assistant.evidence._text import ANSI_RE, RANK_RE, clean_text, fragment_at, source
from assistant.evidence.series import Reading, canonical_metric

__all__ = ["LogScanner", "scan_file", "parse_buffer", "parse_range", "exception_in", "looks_like_log", "looks_like_metrics",
           "CHUNK_SIZE"]

CHUNK_SIZE = 8 * 1024 * 1024
MAX_CARRY = 4 * 1024 * 1024  # a "line" longer than this is processed without waiting for its end
PARALLEL_MIN_BYTES = 64 * 1024 * 1024  # below this, starting worker processes costs more than it saves
BULK_MIN_BYTES = 16 * 1024 * 1024  # files this big are parsed with numpy (`_bulkscan`); smaller ones never import it
BULK_MIN_BUFFER = 256 * 1024  # a buffer smaller than this is parsed record by record anyway
MAX_WORKERS = 4
MAX_EXCEPTIONS = 20
_MAX_PART_PASSES = 8  # layouts in a buffer up to which records are sorted by layout with one pass each

_DICT_SPLIT = re.compile(rb"\{(?=['\"])")
_QUOTES = b"'\""
_PAIR = re.compile(rb"""['"]([^'"]+)['"]\s*:\s*['"]?([^,'"}]*)""")
# The counter of a tqdm bar from its `| `: `| 60/500 [02:41<19:45,  2.69s/it]`. The rate unit
# tells iteration bars (training, eval) from data bars (`examples/s`, `MB/s`).
_BAR = re.compile(rb"\| *(\d+)/(\d+) \[[^\]\r\n]{0,120}?(?:it/s|s/it)")
# Bytes progress bars are made of: a gap holding only these holds no message worth reading.
_BAR_BYTES = b"0123456789 \t\r\n%|/[]<>:,.?#its" + bytes(range(0x88, 0x90)) + b"\xe2\x96"
_EXC_HINT = re.compile(rb"(?:Error|Exception|Interrupt)\b")
# A Python exception line: `torch.OutOfMemoryError: CUDA out of memory...`, `KeyError: 'x'`.
_EXCEPTION_LINE = re.compile(
    rb"((?:[A-Za-z_][A-Za-z0-9_]*\.)*[A-Za-z_][A-Za-z0-9_]*(?:Error|Exception|Interrupt))(?::[ \t]*(.*\S)?)?[ \t]*")
# (the message ends at a non-space: a lazy one before `[ \t]*` would be quadratic in a run of spaces)
_MAX_STEPS = re.compile(rb"(?:Maximum number of steps set at|total_num_steps:?)\s*(\d[\d_,]{0,30})(?![\d_,])")
_METRIC_HINT = re.compile(rb"""['"](?:loss|eval_loss|grad_norm|learning_rate|train_runtime)['"]\s*:""")
_TRL_HINTS = ("entropy", "mean_token_accuracy", "num_tokens", "frac_reward_zero_std", "kl")
_TRL_PREFIXES = ("rewards/", "completions/", "logps/", "logits/", "clip_ratio")
_AXOLOTL_PREFIXES = ("memory/max_active", "memory/max_mem_active", "tokens/train_per_sec")


def looks_like_metrics(head: bytes) -> bool:
    """Whether a file's head holds metric dict lines or training progress bars."""
    return bool(_METRIC_HINT.search(head) or _BAR.search(head))


def looks_like_log(head: bytes) -> bool:
    """Whether a file's head is a run's output (metrics, progress bars or a traceback), not a config, even
    when it prints the run's arguments or settings."""
    return looks_like_metrics(head) or b"Traceback (most recent call" in head


def exception_in(raw: bytes) -> tuple[str, str] | None:
    """(type, message) when a visible line is a Python exception line, else None."""
    if b"\x1b" in raw:
        raw = ANSI_RE.sub(b"", raw)
    raw = RANK_RE.sub(b"", raw)
    if raw[:1].isspace():  # traceback frames and source lines are indented
        return None
    m = _EXCEPTION_LINE.fullmatch(raw.rstrip())
    if m is None:
        return None
    message = (m[2] or b"").decode("utf-8", "replace").strip()
    return m[1].decode("ascii", "replace"), message[:300].rstrip()


# -- parsing a buffer (pure; runs in worker processes for big files) ---------------------------

@dataclass
class Layout:
    """How to read dicts with one exact key tuple: their kind, metric columns, step fields."""

    kind: str
    numeric: list[int]  # positions of the metric values among the dict's values
    names: list[str]  # canonical metric name per numeric column
    step_idx: int | None  # position of an explicit `step` / `global_step` value
    swift_idx: int | None  # position of ms-swift's `global_step/max_steps` ("9/547")
    epoch_col: int | None  # numeric column holding `epoch`


@dataclass
class Part:
    """The records of one layout within a buffer, in order; values as columns.

    A column is an ``array('d')``, or a list holding None where a record's value
    could not be read (a field that is usually a number and was not, this once).
    """

    layout: Layout
    columns: list[Any] = field(default_factory=list)
    steps_raw: list[bytes] = field(default_factory=list)  # explicit step field per record, if any


@dataclass
class Parsed:
    """What ``parse_buffer`` found in one buffer; line numbers are relative to its start."""

    size: int  # bytes in the buffer
    newlines: int
    parts: list[Part]
    order: array  # part index of each record, in file order
    lines: array  # newlines before each record
    bars: list[tuple[int, int] | None]  # last iteration bar (N, M) before each record
    tail_bar: tuple[int, int] | None  # last bar after the last record
    cut: int = 0
    unparsed: int = 0
    hits: dict[str, Any] = field(default_factory=dict)  # signature -> first hit (SignatureScan.hits)
    exceptions: list[tuple[str, str, int, str]] = field(default_factory=list)
    max_steps: list[tuple[int, int]] = field(default_factory=list)
    banner: list[tuple[str, int | float, int]] = field(default_factory=list)  # (fact name, value, line)
    text_records: list[TextRecord] = field(default_factory=list)  # verl, nanoGPT, tables, tqdm postfixes
    # From the bulk path (`_bulkscan`): `order` and `lines` are numpy arrays and the bars before the
    # records are two arrays, N and M (-1: none), instead of `bars`.
    bar_n: Any = None
    bar_m: Any = None

    def bar_list(self) -> list[tuple[int, int] | None]:
        """The bar before each record, as ``bars`` holds it."""
        if self.bar_n is None:
            return self.bars
        return [(n, m) if n >= 0 else None for n, m in zip(self.bar_n.tolist(), self.bar_m.tolist())]


def _layout(keys: tuple[bytes, ...], vals: Any) -> Layout:
    raw_names = [k.decode("utf-8", "replace").strip() for k in keys]
    names = [canonical_metric(n) for n in raw_names]
    kind = record_kind(names)
    numeric: list[int] = []
    metric_names: list[str] = []
    step_idx = swift_idx = epoch_col = None
    preferred = preferred_fields(raw_names, names)
    for i, (raw, name) in enumerate(zip(raw_names, names)):
        if raw == SWIFT_STEP_KEY:
            swift_idx = i
        elif _number(vals[i]) is None:
            continue
        elif name in STEP_KEYS:
            step_idx = i
        elif kind != SUMMARY and is_metric(kind, name) and preferred[name] == i:
            if name == "epoch":
                epoch_col = len(numeric)
            numeric.append(i)
            metric_names.append(name)
    return Layout(kind, numeric, metric_names, step_idx, swift_idx, epoch_col)


def _getter(idx: list[int]) -> Callable[[Any], tuple]:
    if len(idx) == 1:
        i = idx[0]
        return lambda vals: (vals[i],)
    return itemgetter(*idx) if idx else (lambda vals: ())


def _last_bar(text: bytes) -> tuple[int, int] | None:
    """(N, M) of the last iteration bar in ``text``: `| 60/500 [02:41<19:45,  2.69s/it]`."""
    i = text.rfind(b"| ")
    if i == -1:
        return None
    j = text.find(b" [", i, i + 48)
    # the rate unit (it/s, s/it) tells iteration bars from data bars (examples/s, MB/s)
    if j == -1 or text.find(b"it", j, j + 64) == -1:
        return None
    n, _, m = text[i + 2:j].partition(b"/")
    try:
        return int(n), int(m)
    except ValueError:
        return None


def parse_buffer(buf: bytes, bulk: bool = False) -> Parsed:
    """Records, bars, signatures and exceptions of a buffer of complete lines.

    ``bulk`` tries the numpy path first (`_bulkscan`, for big files: it imports numpy).
    The loop below runs once per logged dict of a multi-GB log, so it is written
    for speed: locals only, one C-level call per job, values converted per column.
    """
    if bulk and len(buf) >= BULK_MIN_BUFFER:
        from assistant.evidence._bulkscan import parse_bulk

        parsed = parse_bulk(buf)
        if parsed is not None:
            return parsed
    if _IN_WORKER and not _PINNED:
        _pin_small_object_arenas()
    pieces = _DICT_SPLIT.split(buf)
    newlines = [0, *accumulate(map(bytes.count, pieces, repeat(b"\n")))]  # before piece k: newlines[k]
    parsed = parse_columns(buf, pieces, newlines)   # plain dicts: a column at a time
    if parsed is not None:
        return parsed
    # key tuple -> (part index, values getter, raw rows or None for non-records, values matcher)
    layouts: dict[tuple[bytes, ...], tuple[int, Callable[[Any], tuple], list | None, Callable]] = {}
    parts: list[Part] = []
    raw_rows: list[list] = []
    order, lines = array("i"), array("q")
    bars: list[tuple[int, int] | None] = []
    texts = [pieces[0]]  # texts[k]: the text outside records that piece k ends with
    has_esc = b"\x1b" in buf
    cut = unparsed = 0
    bar = _last_bar(pieces[0])
    layouts_get, order_append, lines_append = layouts.get, order.append, lines.append
    bars_append, texts_append = bars.append, texts.append
    same_layout: Callable[[bytes], Any] = _no_match
    entry: tuple = ()
    for k in range(1, len(pieces)):
        piece = pieces[k]
        body, brace, gap = piece.partition(b"}")
        if b"\n" in body or b"\r" in body:  # no closing brace on this line: read the complete fields
            stop = min(i for i in (body.find(b"\n"), body.find(b"\r")) if i != -1)
            body, gap, brace = body[:stop], piece[stop:], b""
        if has_esc and b"\x1b" in body:
            body = ANSI_RE.sub(b"", body)
        m = same_layout(body)  # most dicts have the keys of the one before: one C-level match
        if m is not None:
            vals = m.groups()
        else:
            items = body.translate(None, _QUOTES).replace(b": ", b", ").split(b", ")
            keys = tuple(items[0::2])
            entry = layouts_get(keys) if len(items) & 1 == 0 else None
            if entry is None:
                entry, vals = _slow_layout(body, items, layouts, parts, raw_rows)
            else:
                vals = items[1::2]
            same_layout = entry[3]
        index, getter, rows, _ = entry
        if rows is None:  # not a metrics dict: its text is ordinary text
            texts_append(b"{" + piece)
            bar = _last_bar(gap) or bar
            continue
        rows.append(getter(vals))
        cut += not brace
        order_append(index)
        lines_append(newlines[k])
        bars_append(bar)
        bar = _last_bar(gap)
        texts_append(gap)
    for part, rows in zip(parts, raw_rows):
        if rows is not None:
            unparsed += _fill(part, rows)
    parsed = Parsed(len(buf), newlines[-1], parts, order, lines, bars, bar, cut, unparsed)
    _scan_texts(parsed, texts, newlines)
    return parsed


def _slow_layout(body: bytes, items: list[bytes], layouts: dict, parts: list[Part],
                 raw_rows: list) -> tuple[tuple[int, Callable[[Any], tuple], list | None, Callable], Any]:
    """The layout entry of a dict seen for the first time, or whose values hold ", " or ": "."""
    if len(items) & 1 == 0 and len(items) > 1:
        keys, vals = tuple(items[0::2]), items[1::2]
    else:
        found = _PAIR.findall(body)
        keys, vals = tuple(f[0] for f in found), [f[1] for f in found]
    entry = layouts.get(keys)
    if entry is None:
        layout = _layout(keys, vals)
        record = layout.kind != NONE
        getter = _getter(layout.numeric + [i for i in (layout.step_idx, layout.swift_idx) if i is not None])
        rows: list | None = [] if record else None
        plain = len(keys) <= MAX_KEYS and max(map(len, keys), default=0) <= MAX_KEY
        matcher = _values_pattern(keys).match if plain else _no_match
        entry = layouts[keys] = (len(parts), getter, rows, matcher)
        parts.append(Part(layout))
        raw_rows.append(rows)
    return entry, vals


# A dict with more keys, or a longer key, is damage, not metrics (compiling a matcher for 33k keys took
# 8 s): it is read the slow way, without a matcher for the next one.
MAX_KEYS, MAX_KEY = 1024, 256


def _no_match(body: bytes) -> None:
    return None


def _values_pattern(keys: tuple[bytes, ...]) -> re.Pattern[bytes]:
    """A regex matching a dict body with exactly these keys, capturing the values (quotes off).

    A value starts and ends at a non-space: were the space after `:` matchable by both `\\s*` and the
    value, a body that does not match would be tried in 2^keys ways (0.65 s for one 24-key ms-swift
    line); were the spaces after it, a value followed by 100 KB of spaces took 30 s (found by fuzzing).
    """
    fields = (b"""['"]%s['"]\\s*:\\s*['"]?([^,'"\\s]+(?:\\s+[^,'"\\s]+)*|)['"]?""" % re.escape(k) for k in keys)
    return re.compile(b", ".join(fields) + rb"\s*\Z")


def _fill(part: Part, rows: list[tuple]) -> int:
    """Columns of floats from the raw rows; returns how many rows had no readable value."""
    return _fill_columns(part, list(zip(*rows)) if rows else [], len(rows))


def _floats(col: Any) -> array:
    """A column of logged values as floats. Logs repeat values (a learning rate, an epoch, a memory
    figure held for many steps, losses printed to 4 digits), and hashing a value costs a third of
    converting it, so a long column is converted once per distinct value when that saves work.
    The bulk path hands over columns already read (an array), or with a few values still text."""
    if isinstance(col, array):
        return col
    if isinstance(col, list):   # from the bulk path: floats, and the few values it left as text
        return array("d", map(_as_float, col))
    if len(col) > 256 and len(set(col[:256])) < 192:   # (a column of distinct values, losses, skips the table)
        table = dict.fromkeys(col)
        if len(table) * 4 < len(col) * 3:
            for raw in table:
                table[raw] = float(raw)
            return array("d", map(table.__getitem__, col))
    return array("d", map(float, col))


def _as_float(value: Any) -> float:
    return value if isinstance(value, float) else float(value)


def _fill_columns(part: Part, cols: list[Any], nrows: int) -> int:
    """Columns of floats from raw columns (numeric ones, then the explicit step field); returns how
    many rows had no readable value."""
    layout = part.layout
    n = len(layout.numeric)
    part.steps_raw = list(cols[n]) if len(cols) > n else []
    bad_rows: set[int] = set()
    for col in cols[:n]:
        try:
            part.columns.append(_floats(col))
        except ValueError:
            values = [_number(v) for v in col]
            bad_rows.update(i for i, v in enumerate(values) if v is None)
            part.columns.append(values)
    unreadable = sum(1 for i in bad_rows if all(c[i] is None for c in part.columns))
    if layout.kind != SUMMARY and not n:
        unreadable += nrows
    return unreadable


def _scan_texts(parsed: Parsed, texts: list[bytes], text_lines: list[int]) -> None:
    """Signatures, exception lines and max-steps markers in the text outside records."""
    # texts that are more than progress bars (C-level: translate each, keep the non-empty)
    keep = list(compress(range(len(texts)), map(bytes.translate, texts, repeat(None), repeat(_BAR_BYTES))))
    if not keep:
        return
    scan = SignatureScan(load_signatures())
    text = b"\n".join(texts[i] for i in keep)
    offsets = [0, *accumulate(len(texts[i]) + 1 for i in keep)][:-1]

    def piece(o: int) -> tuple[bytes, int]:
        """(its text, offset inside it) of an offset into ``text``."""
        j = bisect_right(offsets, o) - 1
        return texts[keep[j]], o - offsets[j]

    def where(o: int) -> tuple[bytes, int, int]:
        """(its text, offset inside it, line number) of an offset into ``text``."""
        t, local = piece(o)
        return t, local, text_lines[keep[bisect_right(offsets, o) - 1]] + t.count(b"\n", 0, local) + 1

    line_of = _LineCounter(texts, keep, offsets, text_lines)

    def locate(o: int) -> tuple[int, str]:
        t, local, line = where(o)
        a, b = fragment_at(t, local)
        return line, clean_text(t[a:b])

    scan.scan(text, locate)
    parsed.hits = scan.hits
    known: set[tuple[str, str]] = set()
    # Hits come in offset order: a fragment is looked at once however many hits it holds, and line
    # numbers are counted incrementally (a log repeating one traceback line must not be quadratic).
    exc_line = _LineCounter(texts, keep, offsets, text_lines)
    last: tuple[bytes | None, int] = (None, -1)
    for m in _EXC_HINT.finditer(text):
        if len(parsed.exceptions) >= MAX_EXCEPTIONS:
            break
        t, local = piece(m.start())
        if t is last[0] and local < last[1]:
            continue
        a, b = fragment_at(t, local)
        last = (t, b)
        exc = exception_in(t[a:b])
        if exc is not None and exc not in known:
            known.add(exc)
            parsed.exceptions.append((exc[0], exc[1], exc_line(m.start()), clean_text(t[a:b])))
    steps_line = _LineCounter(texts, keep, offsets, text_lines)
    for m in _MAX_STEPS.finditer(text):
        parsed.max_steps.append((int(m[1].replace(b"_", b"").replace(b",", b"")), steps_line(m.start())))
    if any(hint in text for hint in BANNER_HINTS):
        for name, value, line in find_banner(text, line_of):
            if name == "run.max_steps":
                parsed.max_steps.append((int(value), line))
            else:
                parsed.banner.append((name, value, line))
    parsed.text_records = find_records(text, line_of)


class _LineCounter:
    """Line numbers of offsets into the joined kept texts, counted incrementally: a text-format
    log (verl) is one text of megabytes holding thousands of records, and counting each record's
    newlines from the start of its text would be quadratic."""

    def __init__(self, texts: list[bytes], keep: list[int], offsets: list[int], text_lines: list[int]) -> None:
        self.texts, self.keep, self.offsets, self.text_lines = texts, keep, offsets, text_lines
        self._last = (-1, 0, 0)  # (text index, offset inside it, newlines before that offset)

    def __call__(self, o: int) -> int:
        j = bisect_right(self.offsets, o) - 1
        t, local = self.texts[self.keep[j]], o - self.offsets[j]
        last_j, last_local, count = self._last
        if j != last_j or local < last_local:
            last_local, count = 0, 0
        count += t.count(b"\n", last_local, local)
        self._last = (j, local, count)
        return self.text_lines[self.keep[j]] + count + 1


def _typed(values: Any) -> array:
    """A numpy integer array as an ``array('q')`` (one copy of the bytes, no Python ints)."""
    out = array("q")
    out.frombytes(values.astype("=i8").tobytes())
    return out


def _number(raw: bytes) -> float | None:
    try:
        return float(raw)
    except ValueError:
        return None


# -- assembling parsed buffers in file order ---------------------------------------------------

class LogScanner:
    """Feed console bytes chunk by chunk (or parsed buffers); ``finish()`` adds the facts."""

    def __init__(self, reading: Reading, name: str, total_bytes: int | None = None, bulk: bool = False) -> None:
        self.reading = reading
        self.name = name
        self.bulk = bulk  # parse buffers with numpy where they allow it (big files)
        self._total_bytes = total_bytes  # lets a new series size its buckets for the whole file
        self._bytes_seen = 0
        self.run = RunTracker(name)
        self._carry = b""
        self._line_base = 0  # newlines before the next buffer
        self._train_total: int | None = None  # M of the training bar `N/M`
        self._bar_carry: tuple[int, int] | None = None  # last bar after the last record so far
        self._known_step: int | None = None  # last step read from a key or a bar
        self._interval = 1
        self._steps_per_epoch: float | None = None
        self._swift = False
        self._cut = 0
        self._unparsed = 0
        self._hits = SignatureScan(load_signatures())
        self._exceptions: dict[tuple[str, str], tuple[int, str]] = {}
        self._banner: dict[str, tuple[int | float, int]] = {}  # fact name -> (value, line): the first banner
        self._redraws: dict[int, bytes] = {}  # bar total -> last postfix recorded (tqdm redraws repeat it)
        self._text_formats: set[str] = set()
        self._text_kinds: dict[tuple[str, ...], str] = {}  # record kind per name tuple
        self._banner_tool: str | None = None  # unsloth, when its banner was seen

    def feed(self, data: bytes) -> None:
        """Add raw bytes: the complete lines are parsed now, a partial last line waits."""
        buf = self._carry + data if self._carry else data
        cut = max(buf.rfind(b"\n"), buf.rfind(b"\r")) + 1
        if cut == 0 and len(buf) < MAX_CARRY:
            self._carry = buf
            return
        cut = cut or len(buf)
        self._carry = buf[cut:]
        self.add(parse_buffer(buf[:cut] if cut < len(buf) else buf, self.bulk))

    def finish(self) -> None:
        """Parse what is still carried and add the facts and warnings to the reading."""
        if self._carry:
            self.add(parse_buffer(self._carry, self.bulk))
            self._carry = b""
        self.reading.facts.extend(self.facts())
        self.reading.warnings.extend(self._warnings())

    def add(self, p: Parsed) -> None:
        """Fold one parsed buffer into the reading, in file order."""
        done = self._add_by_bars(p)
        if done is not None:
            self._finish_buffer(p, *done)
            return
        if p.bar_n is not None:   # the loop below walks lists
            p.bars, p.order, p.lines = p.bar_list(), array("i", p.order.tolist()), array("q", p.lines.tolist())
            p.bar_n = p.bar_m = None
        base = self._line_base + 1
        parts = p.parts
        steps: list[list[int]] = [[] for _ in parts]
        rows = [0] * len(parts)
        kinds = [part.layout.kind for part in parts]
        explicit = [part.layout.step_idx is not None or part.layout.swift_idx is not None for part in parts]
        run = self.run
        total, last = self._train_total, run.last_step
        bars = p.bars
        if bars and bars[0] is None:
            bars = [self._bar_carry, *bars[1:]]
        for n, (pi, bar) in enumerate(zip(p.order, bars)):
            row = rows[pi]
            rows[pi] = row + 1
            kind = kinds[pi]
            if kind == TRAIN:
                if explicit[pi]:
                    step = self._known(self._explicit(parts[pi], row), parts[pi], row)
                elif bar is not None and (bar[1] == total or total is None) and (last is None or bar[0] > last):
                    if total is None:
                        total = self._train_total = bar[1]
                        run.note_max_steps(total, base + p.lines[n])
                    step = bar[0]
                    if self._known_step is not None and step > self._known_step:
                        self._interval = step - self._known_step
                    self._known_step = step
                else:
                    step = self._guess(parts[pi], row, last)
                last = step
            elif kind == SUMMARY:
                step = 0
            else:
                step = self._explicit(parts[pi], row) if explicit[pi] else None
                if step is None:
                    step = last or 0
            steps[pi].append(step)
        self._finish_buffer(p, steps, last)

    def _add_by_bars(self, p: Parsed) -> tuple[list[Any], int | None] | None:
        """The steps of a buffer at once, when every training record carries a bar of the run's
        total in rising order and no record names its step (HF/axolotl/TRL logs): the bars'
        counters, other records the last training step, exactly what `add`'s loop gives (with a
        few C-level checks instead of its branches per record). None when the buffer needs the loop."""
        parts, run = p.parts, self.run
        if any(part.layout.step_idx is not None or part.layout.swift_idx is not None for part in parts):
            return None
        kinds = [part.layout.kind for part in parts]
        if p.bar_n is not None:
            if len(p.order) and sum(k == TRAIN for k in kinds) == 1:
                return self._add_by_bars_bulk(p, kinds)
            order, bar_n, bar_m = p.order.tolist(), p.bar_n.tolist(), p.bar_m.tolist()
        else:
            order = list(p.order)
            bar_n = [-1 if b is None else b[0] for b in p.bars]
            bar_m = [-1 if b is None else b[1] for b in p.bars]
        if bar_n and bar_n[0] < 0 and self._bar_carry is not None:   # the bar printed before this buffer
            bar_n[0], bar_m[0] = self._bar_carry
        train = list(map([k == TRAIN for k in kinds].__getitem__, order))
        tn, tm = list(compress(bar_n, train)), list(compress(bar_m, train))
        last = run.last_step
        if tn:
            total = self._train_total if self._train_total is not None else tm[0]
            if min(tn) < 0 or max(tn) >= MAX_STEP or tm.count(total) != len(tm) or not all(map(lt, tn, tn[1:])) or \
                    (last is not None and tn[0] <= last):
                return None
            if self._train_total is None:
                self._train_total = total
                run.note_max_steps(total, self._line_base + 1 + int(p.lines[train.index(True)]))
            if len(tn) > 1:
                self._interval = tn[-1] - tn[-2]
            elif self._known_step is not None and tn[0] > self._known_step:
                self._interval = tn[0] - self._known_step
            self._known_step = tn[-1]
        steps: list[list[int]] = [[] for _ in parts]
        trains = [i for i, k in enumerate(kinds) if k == TRAIN]
        if len(trains) > 1:   # two layouts of training records (rare): record by record
            latest = last
            for pi, n, is_train in zip(order, bar_n, train):
                if is_train:
                    latest = n
                    steps[pi].append(n)
                else:
                    steps[pi].append(0 if kinds[pi] == SUMMARY else latest or 0)
        else:   # the training steps at once; each other record (evals, a summary) takes the one before it
            if trains:
                steps[trains[0]] = tn
            at = list(compress(range(len(order)), train))
            for r in compress(range(len(order)), map(not_, train)):
                pi, k = order[r], bisect_right(at, r) - 1
                steps[pi].append(0 if kinds[pi] == SUMMARY else (bar_n[at[k]] if k >= 0 else last) or 0)
        return [array("q", s) for s in steps], (tn[-1] if tn else last)

    def _add_by_bars_bulk(self, p: Parsed, kinds: list[str]) -> tuple[list[Any], int | None] | None:
        """`_add_by_bars` for a bulk-parsed buffer (numpy arrays) with one layout of training
        records: the same checks and steps, a few vectorised passes instead of lists per record."""
        import numpy as np

        run = self.run
        order, bar_n, bar_m = p.order, p.bar_n, p.bar_m
        if bar_n[0] < 0 and self._bar_carry is not None:   # the bar printed before this buffer
            bar_n, bar_m = bar_n.copy(), bar_m.copy()
            bar_n[0], bar_m[0] = self._bar_carry
        train_part = kinds.index(TRAIN)
        train = order == train_part
        at = np.flatnonzero(train)
        tn, tm = bar_n[at], bar_m[at]
        last = run.last_step
        if len(tn):
            total = self._train_total if self._train_total is not None else int(tm[0])
            if int(tn.min()) < 0 or bool((tm != total).any()) or bool((tn[1:] <= tn[:-1]).any()) or \
                    (last is not None and int(tn[0]) <= last):
                return None
            if self._train_total is None:
                self._train_total = total
                run.note_max_steps(total, self._line_base + 1 + int(p.lines[at[0]]))
            if len(tn) > 1:
                self._interval = int(tn[-1] - tn[-2])
            elif self._known_step is not None and int(tn[0]) > self._known_step:
                self._interval = int(tn[0]) - self._known_step
            self._known_step = int(tn[-1])
        steps: list[Any] = [[] for _ in kinds]
        steps[train_part] = _typed(tn)
        # each other record (evals, a summary) takes the training step before it (few of them)
        others = np.flatnonzero(~train)
        before = np.searchsorted(at, others) - 1
        for pi, k in zip(order[others].tolist(), before.tolist()):
            steps[pi].append(0 if kinds[pi] == SUMMARY else (int(tn[k]) if k >= 0 else last) or 0)
        return [s if isinstance(s, array) else array("q", s) for s in steps], (int(tn[-1]) if len(tn) else last)

    def _finish_buffer(self, p: Parsed, steps: list[list[int]], last: int | None) -> None:
        base = self._line_base + 1
        self._bytes_seen += p.size
        run = self.run
        records: list[Any]  # record numbers of each part, in order
        lines: list[Any]
        if p.bar_n is not None:   # bulk parsed: numpy arrays
            import numpy as np

            records = [np.flatnonzero(p.order == pi) for pi in range(len(p.parts))]
            lines = [_typed(p.lines[r] + base) for r in records]
        elif len(p.parts) == 1:   # one layout: every record is of part 0
            records, lines = [list(range(len(p.order)))], [list(map(add, p.lines, repeat(base)))]
        elif len(p.parts) <= _MAX_PART_PASSES:   # a C-level pass per part
            every = list(map(add, p.lines, repeat(base)))
            mine = [list(map(eq, p.order, repeat(pi))) for pi in range(len(p.parts))]
            records = [list(compress(range(len(p.order)), m)) for m in mine]
            lines = [list(compress(every, m)) for m in mine]
        else:
            records, lines = [[] for _ in p.parts], [[] for _ in p.parts]
            for n, (pi, nl) in enumerate(zip(p.order, p.lines)):
                records[pi].append(n)
                lines[pi].append(base + nl)
        owners: dict[str, list[tuple[int, int]]] = {}  # metric -> (part, column) holding it
        for pi, part in enumerate(p.parts):
            if not lines[pi]:
                continue
            kind = part.layout.kind
            if kind == TRAIN:
                run.steps_logged += len(lines[pi])
            elif kind == SUMMARY:
                run.summary(lines[pi][-1])
                continue
            else:
                run.eval(lines[pi][0])
            for c, name in enumerate(part.layout.names):
                owners.setdefault(name, []).append((pi, c))
            if part.layout.swift_idx is not None:  # ms-swift's "9/547": steps done / max steps
                self._swift = True
                total = part.steps_raw[0].partition(b"/")[2].strip()
                if total.isdigit() and len(total) <= 18:
                    run.note_max_steps(int(total), lines[pi][0])
            epoch = self._epoch(part, len(steps[pi]) - 1)
            if kind == TRAIN and epoch and self._known_step == steps[pi][-1]:
                self._steps_per_epoch = steps[pi][-1] / epoch
        for name, holders in owners.items():
            if len(holders) == 1:
                (pi, c), = holders
                self._store(name, steps[pi], p.parts[pi].columns[c], lines[pi])
            else:  # dicts of several layouts share this metric: merge them back into file order
                merged = sorted((records[pi][r], steps[pi][r], v, lines[pi][r])
                                for pi, c in holders for r, v in enumerate(p.parts[pi].columns[c]))
                self._store(name, [m[1] for m in merged], [m[2] for m in merged], [m[3] for m in merged])
        if len(p.order):
            train_last = [lines[pi][-1] for pi, part in enumerate(p.parts) if lines[pi] and part.layout.kind == TRAIN]
            if train_last:
                run.last_step, run.last_line = last, max(train_last)
            self._bar_carry = p.tail_bar
        elif p.tail_bar is not None:
            self._bar_carry = p.tail_bar
        self._cut += p.cut
        self._unparsed += p.unparsed
        self._merge_hits(p.hits, base - 1)
        for etype, message, nl, text in p.exceptions:
            if (etype, message) not in self._exceptions and len(self._exceptions) < MAX_EXCEPTIONS:
                self._exceptions[(etype, message)] = (base - 1 + nl, text)
        for value, nl in p.max_steps:
            run.note_max_steps(value, base - 1 + nl)
        for name, value, nl in p.banner:
            if name == "log.framework":
                self._banner_tool = self._banner_tool or str(value)
            else:
                self._banner.setdefault(name, (value, base - 1 + nl))
        self._add_text_records(p.text_records, base - 1)
        self._line_base += p.newlines

    def _add_text_records(self, records: list[TextRecord], line_base: int) -> None:
        """Text-format records (verl, nanoGPT, tables, postfixes) into series and run facts, like dicts.
        Their steps are their own; a record without one follows the last step. Records of one name
        tuple are gathered as rows and stored a column at a time (a verl log is all such records);
        a metric several name tuples hold is merged back into file order."""
        run = self.run
        groups: dict[tuple[str, ...], tuple[list[int], list[int], list[int], list[tuple[float, ...]]]] = {}
        kinds = self._text_kinds
        for n, rec in enumerate(records):
            if rec.redraw is not None:
                total, postfix = rec.redraw
                if self._redraws.get(total) == postfix:
                    continue
                self._redraws[total] = postfix
            kind = kinds.get(rec.names)
            if kind is None:  # a tqdm postfix is a metric record only with a training metric in it
                kind = kinds[rec.names] = record_kind(rec.names, tabular=rec.fmt != "postfix")
            if kind in (NONE, SUMMARY):
                continue
            line = line_base + rec.line
            step = rec.step
            if kind == TRAIN:
                step = (run.last_step or 0) + 1 if step is None else step
                run.train(step, line)
            elif step is None:
                step = run.last_step or 0
            if kind == EVAL or rec.fmt == "table" and "eval_loss" in rec.names:
                run.eval(line)
            order, steps, lines, rows = groups.setdefault(rec.names, ([], [], [], []))
            order.append(n)
            steps.append(step)
            lines.append(line)
            rows.append(rec.values)
            self._text_formats.add(rec.fmt)
        holders: dict[str, list[tuple[tuple[str, ...], tuple[float, ...]]]] = {}
        for names, (_, _, _, rows) in groups.items():
            kind = kinds[names]
            for name, column in zip(names, zip(*rows)):
                if name not in STEP_KEYS and is_metric(kind, name):
                    holders.setdefault(name, []).append((names, column))
        for name, held in holders.items():
            if len(held) == 1:
                (names, column), = held
                _, steps, lines, _ = groups[names]
                self._store(name, steps, array("d", column), lines)
            else:
                merged = sorted((groups[names][0][i], groups[names][1][i], v, groups[names][2][i])
                                for names, column in held for i, v in enumerate(column))
                self._store(name, [m[1] for m in merged], array("d", (m[2] for m in merged)), [m[3] for m in merged])

    def _explicit(self, part: Part, row: int) -> int | None:
        layout = part.layout
        raw = part.steps_raw[row]
        if layout.step_idx is not None:
            return as_step(_number(raw))  # None for nan, inf, or a step past int64
        done = raw.partition(b"/")[0].strip()
        return as_step(int(done)) if done.isdigit() and len(done) <= 18 else None

    def _epoch(self, part: Part, row: int) -> float | None:
        col = part.layout.epoch_col
        return part.columns[col][row] if col is not None and row >= 0 else None

    def _known(self, step: int | None, part: Part, row: int) -> int:
        """A step read from a key: it also teaches the logging interval and steps per epoch."""
        if step is None:
            return self._guess(part, row, self.run.last_step)
        if self._known_step is not None and step > self._known_step:
            self._interval = step - self._known_step
        self._known_step = step
        epoch = self._epoch(part, row)
        if epoch and epoch > 0:
            self._steps_per_epoch = step / epoch
        return step

    def _guess(self, part: Part, row: int, last: int | None) -> int:
        """No key, no bar: epoch x steps per epoch when known, else the previous step plus the interval."""
        epoch = self._epoch(part, row)
        if epoch and self._steps_per_epoch:
            derived = epoch * self._steps_per_epoch
            if derived < MAX_STEP and (last is None or derived > last):  # not for an epoch of 1e999 (or nan)
                return round(derived)
        return (last or 0) + self._interval

    def _store(self, name: str, steps: list[int], values: Any, lines: list[int]) -> None:
        """Add one metric's values of a buffer; None marks a value that could not be read."""
        self.run.metric(name, lines[0])
        s = self.reading.series_for(name)
        if not s.count and self._total_bytes:
            s.expect(int(len(steps) * 1.2 * self._total_bytes / max(self._bytes_seen, 1)))
        if isinstance(values, array) or None not in values:
            s.extend(steps, values, lines)
        else:
            keep = [i for i, v in enumerate(values) if v is not None]
            s.extend([steps[i] for i in keep], [values[i] for i in keep], [lines[i] for i in keep])

    def _merge_hits(self, hits: dict[str, Any], base: int) -> None:
        for fact, hit in hits.items():
            mine = self._hits.hits.get(fact)
            if mine is None:
                hit.line += base
                self._hits.hits[fact] = hit
            else:
                mine.count += hit.count

    # -- results -------------------------------------------------------------------------------

    def facts(self) -> list[Fact]:
        out = self.run.facts()
        out.extend(self._hits.facts(self.name))
        for (etype, message), (line, text) in self._exceptions.items():
            out.append(Fact("log.exception", {"type": etype, "message": message, "line": text},
                            source(self.name, line)))
        for name, (value, line) in self._banner.items():
            out.append(Fact(name, value, source(self.name, line)))
        framework = self._framework()
        if framework:
            out.append(Fact("log.framework", framework, self.name))
        return out

    def _framework(self) -> str | None:
        hits = self._hits.hits
        names = self.run.metrics
        if self._swift:
            return "swift"
        if self._text_formats & {"verl", "nanogpt"}:
            return "verl" if "verl" in self._text_formats else "nanogpt"
        if "log.axolotl" in hits or any(n.startswith(_AXOLOTL_PREFIXES) for n in names):
            return "axolotl"
        if "log.unsloth" in hits or self._banner_tool == "unsloth":
            return "unsloth"
        if "log.llamafactory" in hits:
            return "llamafactory"
        if not self.run.seen:
            return None
        if any(n in _TRL_HINTS or n.startswith(_TRL_PREFIXES) for n in names):
            return "trl"
        return "hf"

    def _warnings(self) -> list[str]:
        out = []
        if self._unparsed:
            out.append(f"{self.name}: {self._unparsed} metric lines could not be parsed")
        if self._cut:
            out.append(f"{self.name}: {self._cut} metric lines were cut off; their complete fields were read")
        return out


# -- driving a file ----------------------------------------------------------------------------

def scan_file(path: Path, reading: Reading, name: str, progress: Callable[[int, int], None] | None = None,
              chunk_size: int = CHUNK_SIZE, workers: int | None = None) -> LogScanner:
    """Stream a whole file through a LogScanner into ``reading``.

    ``workers`` None picks worker processes for files of PARALLEL_MIN_BYTES and more
    on machines with several cores; 0 parses in this process.
    """
    total = check_file(path)
    scanner = LogScanner(reading, name, total, bulk=total >= BULK_MIN_BYTES)
    if workers is None:
        workers = min(os.cpu_count() or 1, MAX_WORKERS) if total >= PARALLEL_MIN_BYTES else 0
    if scanner.bulk and workers > 1:
        # Imported before the workers fork, so each of them has numpy and the bulk path already
        # (`_bulkscan` first: it asks for one BLAS thread before numpy loads).
        import assistant.evidence._bulkscan  # noqa: F401
        import assistant.evidence._bulknumbers  # noqa: F401
        import numpy  # noqa: F401
    pool = _pool(workers) if workers > 1 else None
    if pool is None:
        with open_input(path) as f:
            done = 0
            while chunk := f.read(chunk_size):
                scanner.feed(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
    else:
        ranges = [(start, min(start + chunk_size, total)) for start in range(0, total, chunk_size)]
        with pool:
            for parsed, end in _in_order(pool, str(path), ranges, window=2 * workers, bulk=scanner.bulk):
                scanner.add(parsed)
                if progress is not None:
                    progress(end, total)
    scanner.finish()
    return scanner


def _pool(workers: int) -> Executor | None:
    """Worker processes, or None to parse in this process.

    Workers are forked: they need nothing but ``parse_range`` and what is already
    imported, and unlike spawn/forkserver a fork does not re-run the caller's main
    script. Forking a process that runs other threads (the TUI) is unsafe, so then,
    and off Linux, parsing stays in this process.
    """
    if sys.platform != "linux" or threading.active_count() > 1:
        return None
    import multiprocessing  # here, not at the top: only big files pay for the import
    from concurrent.futures import ProcessPoolExecutor

    try:
        return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                                   initializer=_keep_freed_memory)
    except (OSError, ValueError):  # no process support here
        return None


def _keep_freed_memory() -> None:
    """In a parse worker: have malloc keep freed memory (no trimming, no per-array mmap) for reuse.
    Every buffer allocates the same tens of MB of temporaries; returned to the system, each would be
    page-faulted in again (~4,000 faults a buffer, a tenth of the parse). The worker's peak RSS is
    its working set either way."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-1, 1 << 30)   # M_TRIM_THRESHOLD
        libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD (glibc's maximum)
    except (OSError, AttributeError):  # not glibc
        pass
    global _IN_WORKER
    _IN_WORKER = True


_IN_WORKER = False          # this process is a parse worker (its arenas are pinned on first need)
_PINNED: list[bytes] = []   # a few small objects that keep this worker's pymalloc arenas mapped


def _pin_small_object_arenas(megabytes: int = 16) -> None:
    """Keep CPython's small-object arenas mapped in a parse worker. A buffer's per-record parse makes
    some 12 MB of small objects (record bodies, gaps, layouts) and frees them; pymalloc unmaps an
    arena as soon as it is empty, so every buffer page-faulted them in again (~3,000 faults, a tenth
    of its CPU time). Filling `megabytes` of arenas and keeping one object in every ~80 KB of them
    leaves no arena empty: their pools are reused by the next buffer's objects of any size. (The
    bulk path makes few small objects: a worker that only takes it never pays the ~12 ms fill.)"""
    fill = [bytes(400) for _ in range(megabytes * 2600)]   # 400-byte payloads: pymalloc blocks
    _PINNED.extend(fill[::200])


def _in_order(pool: Executor, path: str, ranges: list[tuple[int, int]], window: int,
              bulk: bool = False) -> Iterator[tuple[Parsed, int]]:
    """(parsed range, its end) in file order, with at most ``window`` ranges in flight."""
    pending: deque = deque()
    for start, end in ranges:
        pending.append((pool.submit(parse_range, path, start, end, bulk), end))
        if len(pending) >= window:
            future, done = pending.popleft()
            yield future.result(), done
    while pending:
        future, done = pending.popleft()
        yield future.result(), done


def parse_range(path: str, start: int, end: int, bulk: bool = False) -> Parsed:
    """Parse the lines of ``path`` that start in [start, end) (run in a worker).

    Each worker reads its own range, so only the small parse results cross process
    boundaries. A range is moved to line boundaries by the same rule on both sides
    (just after the first line break at or after it), so neighbours neither overlap
    nor leave a gap.
    """
    with open(path, "rb") as f:
        a, b = _line_start(f, start), _line_start(f, end)
        f.seek(a)
        return parse_buffer(f.read(b - a), bulk)


_PROBE = 64 * 1024  # bytes read at a time looking for a line break (most lines are far shorter)


def _line_start(f: Any, pos: int) -> int:
    """Just after the first line break at or after ``pos - 1`` (within MAX_CARRY; else ``pos``)."""
    if pos <= 0:
        return 0
    f.seek(pos - 1)
    done = 0
    while done < MAX_CARRY:
        probe = f.read(min(_PROBE, MAX_CARRY - done))
        breaks = [i for i in (probe.find(b"\n"), probe.find(b"\r")) if i != -1]
        if breaks:
            return pos + done + min(breaks)
        if len(probe) < _PROBE:
            break
        done += len(probe)
    return pos
