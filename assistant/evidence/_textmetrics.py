"""Metric lines of trainers that do not print dicts, found in a log's text between dict lines.

* verl / EasyR1: ``(TaskRunner pid=222265) step:34 - actor/entropy:0.22 - actor/pg_clipfrac:0.0008 - ...``
* nanoGPT: ``iter 100: loss 2.3456, time 123.45ms, mfu 12.34%`` and ``step 500: train loss 1.23, val loss 1.45``;
  build-nanogpt / llm.c: ``step  120 | loss: 3.401 | lr 6.0000e-04 | norm: 0.5123 | dt: 100.00ms | tok/sec: ...``
* HF notebooks and unsloth, copied as text (tabs) or as GitHub markdown (pipes): a header row
  ``Step | Training Loss | reward | reward_std | completion_length | kl`` followed by numeric rows
* tqdm postfixes (OpenRLHF's ``Episode [1/1]: 8%|▊ | 1/12 [01:23<15:20, 83.7s/it, policy_loss=0.0123, reward=0.35, ...]``)
* torchtitan: ``[rank0]:[titan] ... - root - INFO - step:  1  loss:  8.1661  grad_norm:  3.6855  memory:  2.47GiB(3.12%)
  tps: 3,502  tflops: 1.90  mfu: 0.19%`` (older releases print ``wps`` and colour each field)
* mlx-lm: ``Iter 10: Train loss 2.318, Learning Rate 1.000e-05, It/sec 0.512, Tokens/sec 230.5, Trained Tokens 4000,
  Peak mem 12.300 GB`` and ``Iter 10: Val loss 2.100, Val took 3.200s`` (and scripts built on it that add fields)
* whitespace tables (a pandas frame, a hand-made summary): a header row of metric names, then rows of numbers
  (``step  loss  grad_norm  reward_mean`` / ``1  0.52  1.3  0.25``)

Each match becomes a ``TextRecord`` with canonical metric names; the log scanner turns records into
series exactly like dict lines. Every format is looked for only when a literal it must contain is in
the text, so logs of other trainers pay a few ``in`` tests.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from operator import itemgetter
from typing import Callable, Iterable, Iterator

from assistant.evidence._records import TRAIN_MARKERS, as_step
from assistant.evidence._text import ANSI_RE as _ANSI
from assistant.evidence.series import canonical_metric

__all__ = ["TextRecord", "find_records"]

_VERL = re.compile(rb"step:(\d{1,18}) - ([^\r\n]*)")  # steps: at most 18 digits (int64; no digit-limit error)
_NANOGPT_ITER = re.compile(rb"(?m)^iter (\d{1,18}): loss ([-+.\w]+)")
_NANOGPT_EVAL = re.compile(rb"(?m)^step (\d{1,18}): train loss ([-+.\w]+), val loss ([-+.\w]+)")
_PIPE_STEP = re.compile(rb"(?m)^step\s+(\d{1,18})(?:/\d+)?\s*\|([^\r\n]*)")
MAX_PIPE_PAIR = 256
_PIPE_PAIR = re.compile(rb"\s*([A-Za-z][\w/ ]*?):?\s+([-+]?(?:\d[\d.]*(?:e[-+]?\d+)?|nan|inf))\w*%?\s*$", re.I)
_POSTFIX = re.compile(rb"\| *(\d{1,18})/(\d{1,18}) \[[^\]\r\n]*?(?:it/s|s/it), ([^\]\r\n]*?=[^\]\r\n]*)\]")
_HEADER = re.compile(rb"(?m)^[^\r\n]*Training Loss[^\r\n]*$")
# torchtitan: `step:` then `name: value` fields two spaces apart (`memory:  2.47GiB(3.12%)`, `tps: 3,502`)
_TITAN = re.compile(rb"(?m)step:\s{1,8}(\d{1,18})((?:[ \t]{2,}(?:\x1b\[[0-9;]{0,8}m){0,2}[A-Za-z_][\w/]{0,40}:[ \t]*\S{1,40})+)[ \t]*$")
_TITAN_PAIR = re.compile(rb"([A-Za-z_][\w/]{0,40}):[ \t]*(\S{1,40})")
# mlx-lm: `Iter 10: Train loss 2.318, Learning Rate 1.000e-05, ...` / `Iter 10: Val loss 2.100, Val took 3.2s`
_MLX = re.compile(rb"(?m)^[ \t]*Iter[ \t]{1,8}(\d{1,18}):[ \t]*((?:Train|Val)[ \t]+loss[ \t]+[^\r\n]{1,2000})$")
_MLX_PAIR = re.compile(rb"\s*([A-Za-z][\w/ ]{0,40}?)[ \t]+([-+]?(?:\d[\d.,]*(?:e[-+]?\d+)?|nan|inf))\s*[A-Za-z%]{0,3}\s*$", re.I)
_LEADING_NUMBER = re.compile(rb"[-+]?(?:\d[\d,]*(?:\.\d*)?(?:e[-+]?\d+)?|nan|inf)", re.I)
# a whitespace table's header: two or more name cells, the next line starting with a number
_WS_HEADER = re.compile(rb"(?m)^[ \t]*[A-Za-z_][\w/.()%-]{0,60}(?:[ \t]+[A-Za-z_][\w/.()%-]{0,60}){1,40}[ \t]*\r?\n"
                        rb"(?=[ \t]*[-+]?\d)")
_WS_SPLIT = re.compile(rb"[ \t]{2,}|\t")
_ELLIPSIS = re.compile("^[ \t]*(?:\\.{2,}|\u2026)[ \t.\u2026]*$".encode())
# Throughput and timing fields: figures of the machine, not of the training, kept out of the metric series.
_SPEED = frozenset({
    "tps", "wps", "tflops", "mfu", "memory", "it/sec", "tokens/sec", "trained tokens", "peak mem", "val took",
    "time", "dt", "tok/sec", "it/s", "elapsed", "throughput", "samples/sec",
})
_SEPARATOR = re.compile(rb"^[\s|:\-+]+$")
_WRAPPED = re.compile(rb"^(?:np\.float\d+|np\.int\d+|tensor)\((.*?)(?:,.*)?\)$")
# Names that only mean this in one format (OpenRLHF's postfix, nanoGPT's pipe lines).
_FORMAT_NAMES = {
    "pipe": {"norm": "grad_norm", "lr": "learning_rate"},
    "table": {"training loss": "loss", "validation loss": "eval_loss", "step": "step", "epoch": "epoch"},
    # OpenRLHF's SFT bar (``Train step of epoch 0: ... gpt_loss=1.23, loss_mean=1.25, lr=1e-05``); the PPO inner
    # bar's short names (pg, rm, glen) stay unread: the outer Episode bar carries the same figures by full name
    "postfix": {"gpt_loss": "loss"},
    "mlx": {"train loss": "loss", "val loss": "eval_loss", "learning rate": "learning_rate", "lr": "learning_rate",
            "grad norm": "grad_norm", "norm": "grad_norm"},
    "titan": {"lr": "learning_rate", "gnorm": "grad_norm"},
    # shorthand a hand-made table uses for the metrics TRL names in full
    "wstable": {"iter": "step", "iteration": "step", "global_step": "step", "training loss": "loss",
                "train_loss": "loss", "train loss": "loss", "validation loss": "eval_loss", "val_loss": "eval_loss",
                "val loss": "eval_loss", "learning rate": "learning_rate", "grad norm": "grad_norm",
                "gradnorm": "grad_norm", "norm": "grad_norm", "reward_mean": "reward", "mean_reward": "reward",
                "clipped_ratio": "completions/clipped_ratio", "clip_frac": "completions/clipped_ratio",
                "mean_length": "completions/mean_length", "mean_len": "completions/mean_length",
                "step": "step", "epoch": "epoch"},
}
# two-word column titles a plain-text copy separates by single spaces
_BIGRAMS = ("training loss", "validation loss", "train loss", "val loss", "eval loss", "learning rate", "grad norm")
# verl's SFT trainers log the learning rate times 1000 as ``train/lr(1e-3)``.
_SCALED = {"lr(1e-3)": ("learning_rate", 1e-3)}


@dataclass(frozen=True)
class TextRecord:
    """One logged step of a text format; ``line`` counts from the buffer start (1-based)."""

    fmt: str  # verl | nanogpt | table | postfix
    line: int
    step: int | None
    names: tuple[str, ...]  # canonical metric names
    values: tuple[float, ...]  # one per name
    redraw: tuple[int, bytes] | None = None  # (bar total, postfix) of a tqdm redraw, to drop repeats


def find_records(text: bytes, line_of: Callable[[int], int]) -> list[TextRecord]:
    """Every text-format metric record in ``text``, in order."""
    out: list[TextRecord] = []
    if b"step:" in text and b" - " in text:
        out.extend(_verl(text, line_of))
    if b"iter " in text or b"val loss" in text:
        out.extend(_nanogpt(text, line_of))
    if b"step " in text and b"|" in text:
        out.extend(_pipe(text, line_of))
    if b"Training Loss" in text:
        out.extend(_tables(text, line_of))
    if b"it, " in text and b"=" in text:
        out.extend(_postfix(text, line_of))
    if b"step:" in text and b"loss:" in text:
        out.extend(_titan(text, line_of))
    if b"Iter " in text and b" loss " in text:
        out.extend(_mlx(text, line_of))
    out.extend(_ws_tables(text, line_of))
    out.sort(key=lambda r: r.line)
    return out


def _number(raw: bytes) -> float | None:
    raw = raw.strip()
    m = _WRAPPED.match(raw)
    if m is not None:
        raw = m[1]
    try:
        return float(raw.rstrip(b"%"))
    except ValueError:
        return None


def _fields(pairs: Iterable[tuple[bytes, bytes]], fmt: str = "") -> tuple[tuple[str, ...], tuple[float, ...]]:
    """(canonical names, values); the first of two names of one metric wins, unreadable values are dropped."""
    names = _FORMAT_NAMES.get(fmt, {})
    out: dict[str, float] = {}
    for key, raw in pairs:
        value = _number(raw)
        if value is None:
            continue
        label = key.decode("utf-8", "replace").strip()
        name = names.get(label.lower()) or canonical_metric(label.replace(" / ", "/"))
        out.setdefault(name, value)
    return tuple(out), tuple(out.values())


def _verl(text: bytes, line_of: Callable[[int], int]) -> Iterator[TextRecord]:
    """verl prints the same keys in the same order every step: names are worked out once per key
    sequence and values converted with one ``map(float, ...)`` (a verl log is all such lines)."""
    layouts: dict[tuple[bytes, ...], tuple[tuple[str, ...], Callable[[list], tuple]]] = {}
    for m in _VERL.finditer(text):
        items = m[2].replace(b" - ", b":").split(b":")
        try:
            if len(items) % 2:
                raise ValueError("a value holding ' - ' or ':'")
            keys = tuple(items[0::2])
            layout = layouts.get(keys)
            if layout is None:
                layout = layouts[keys] = _layout(keys)
            names, pick = layout
            values = pick(list(map(float, items[1::2])))
        except ValueError:  # np.float64(...), `nan` spelled otherwise, an odd value: the careful way
            names, values = _fields(p.rpartition(b":")[::2] for p in m[2].split(b" - ") if b":" in p)
        if names:
            if _SCALED.keys() & set(names):
                names, values = _rescale(names, values)
            yield TextRecord("verl", line_of(m.start()), int(m[1]), names, values)


def _rescale(names: tuple[str, ...], values: tuple[float, ...]) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """``lr(1e-3)`` -> ``learning_rate`` in real units (kept out when the line also has a plain lr)."""
    out: dict[str, float] = {}
    for name, value in zip(names, values):
        if name in _SCALED:
            name, factor = _SCALED[name]
            value = value * factor
        out.setdefault(name, value)
    return tuple(out), tuple(out.values())


def _layout(keys: tuple[bytes, ...]) -> tuple[tuple[str, ...], Callable[[list], tuple]]:
    """(canonical names kept, picker of their values): a later second name of one metric is dropped."""
    seen: dict[str, int] = {}
    for i, key in enumerate(keys):
        seen.setdefault(canonical_metric(key.decode("utf-8", "replace")), i)
    idx = list(seen.values())
    pick = itemgetter(*idx) if len(idx) > 1 else (lambda values: (values[idx[0]],))
    return tuple(seen), pick


def _nanogpt(text: bytes, line_of: Callable[[int], int]) -> Iterator[TextRecord]:
    for m in _NANOGPT_ITER.finditer(text):
        names, values = _fields([(b"loss", m[2])])
        if names:
            yield TextRecord("nanogpt", line_of(m.start()), int(m[1]), names, values)
    for m in _NANOGPT_EVAL.finditer(text):
        names, values = _fields([(b"eval_loss", m[3])])
        if names:
            yield TextRecord("nanogpt", line_of(m.start()), int(m[1]), names, values)


def _split_pairs(body: bytes, sep: bytes, pair: re.Pattern[bytes]) -> list[tuple[bytes, bytes]]:
    """(name, value) of each `name value` field of a line cut at ``sep``. A longer field is no metric, and
    its value's digits could be split between the pattern's two digit classes in quadratically many ways
    (a 1 MB run of digits: minutes; found by fuzzing)."""
    return [(pm[1], pm[2]) for part in body.split(sep)
            if len(part) <= MAX_PIPE_PAIR and (pm := pair.match(part)) is not None]


def _pipe(text: bytes, line_of: Callable[[int], int]) -> Iterator[TextRecord]:
    for m in _PIPE_STEP.finditer(text):
        names, values = _fields(_split_pairs(m[2], b"|", _PIPE_PAIR), "pipe")
        if "loss" in names:
            yield TextRecord("nanogpt", line_of(m.start()), int(m[1]), names, values)


def _tables(text: bytes, line_of: Callable[[int], int]) -> Iterator[TextRecord]:
    """Header row, an optional markdown separator, then numeric rows until the first other line."""
    for m in _HEADER.finditer(text):
        header = m[0]
        sep = b"\t" if b"\t" in header else b"|" if b"|" in header else None
        if sep is None:
            continue
        columns = _cells(header, sep)
        names = [_column(c) for c in columns]
        after_eval = names.index("eval_loss") if "eval_loss" in names else len(names)
        # HF's eval table titles eval_<metric> as `Metric`: the columns after Validation Loss are eval metrics
        names = [n if i <= after_eval or n.startswith("eval_") else "eval_" + "_".join(n.lower().split())
                 for i, n in enumerate(names)]
        if "step" not in names and "epoch" not in names:
            continue
        pos, count = m.end() + 1, 0
        while pos < len(text):
            end = text.find(b"\n", pos)
            end = len(text) if end == -1 else end
            row = text[pos:end].rstrip(b"\r")
            if _SEPARATOR.match(row) and row.strip():
                pos = end + 1
                continue
            cells = _cells(row, sep)
            if len(cells) != len(names) or _number(cells[0]) is None:
                break
            values = dict(zip(names, cells))
            count += 1  # a table without a Step column (HF's per-epoch eval table) counts its rows
            step = _number(values.pop("step", b"")) if "step" in values else count
            names_kept, numbers = _fields(((n.encode(), v) for n, v in values.items()), "table")
            yield TextRecord("table", line_of(pos), as_step(step), names_kept, numbers)  # None: nan, inf, past int64
            pos = end + 1


def _cells(row: bytes, sep: bytes) -> list[bytes]:
    cells = [c.strip() for c in row.split(sep)]
    if sep == b"|":  # `| a | b |`: the outer pipes leave empty cells
        if cells and not cells[0]:
            cells = cells[1:]
        if cells and not cells[-1]:
            cells = cells[:-1]
    return cells


def _column(header: bytes) -> str:
    label = header.decode("utf-8", "replace").strip()
    known = _FORMAT_NAMES["table"].get(label.lower())
    return known or canonical_metric(label.replace(" / ", "/"))


def _postfix(text: bytes, line_of: Callable[[int], int]) -> Iterator[TextRecord]:
    for m in _POSTFIX.finditer(text):
        pairs = (p.partition(b"=")[::2] for p in m[3].split(b", ") if b"=" in p)
        names, values = _fields(pairs, "postfix")
        if names:
            yield TextRecord("postfix", line_of(m.start()), None, names, values, (int(m[2]), m[3]))


def _speedless(names: tuple[str, ...], values: tuple[float, ...]) -> tuple[tuple[str, ...], tuple[float, ...]]:
    kept = [(n, v) for n, v in zip(names, values) if n.lower() not in _SPEED]
    return tuple(n for n, _ in kept), tuple(v for _, v in kept)


def _titan(text: bytes, line_of: Callable[[int], int]) -> Iterator[TextRecord]:
    for m in _TITAN.finditer(text):
        body = m[2]
        if b"\x1b" in body:
            body = _ANSI.sub(b"", body)
        pairs = []
        for pm in _TITAN_PAIR.finditer(body):
            lead = _LEADING_NUMBER.match(pm[2])  # `2.47GiB(3.12%)` -> 2.47, `3,502` -> 3502
            if lead is not None:
                pairs.append((pm[1], lead[0].replace(b",", b"")))
        names, values = _speedless(*_fields(pairs, "titan"))
        if "loss" in names:
            yield TextRecord("titan", line_of(m.start()), int(m[1]), names, values)


def _mlx(text: bytes, line_of: Callable[[int], int]) -> Iterator[TextRecord]:
    for m in _MLX.finditer(text):
        names, values = _speedless(*_fields(_split_pairs(m[2], b",", _MLX_PAIR), "mlx"))
        if "loss" in names or "eval_loss" in names:
            yield TextRecord("mlx", line_of(m.start()), int(m[1]), names, values)


def _ws_header(header: bytes, width: int) -> list[str] | None:
    """The column names of a whitespace header with ``width`` columns: cells two spaces apart, else words
    with the two-word titles (``Training Loss``) joined."""
    cells = [c for c in _WS_SPLIT.split(header.strip()) if c]
    if len(cells) != width:
        words = header.split()
        cells, i = [], 0
        while i < len(words):
            pair = b" ".join(words[i:i + 2]).decode("utf-8", "replace").lower()
            if pair in _BIGRAMS:
                cells.append(b" ".join(words[i:i + 2]))
                i += 2
            else:
                cells.append(words[i])
                i += 1
        if len(cells) != width:
            return None
    names = _FORMAT_NAMES["wstable"]
    out = []
    for c in cells:
        label = c.decode("utf-8", "replace").strip()
        out.append(names.get(label.lower()) or canonical_metric(label.replace(" / ", "/")))
    return out


def _ws_row(row: bytes) -> list[bytes] | None:
    cells = row.split()
    if not cells or any(_number(c) is None for c in cells):
        return None
    return cells


def _ws_tables(text: bytes, line_of: Callable[[int], int]) -> Iterator[TextRecord]:
    """A header row of metric names (whitespace between them, no tabs or pipes: those are `_tables`'), then rows
    of numbers (a pandas frame's rows begin with its index); `...` rows are skipped. A table is one of metrics
    when it has a step, iteration or epoch column or a loss, reward or grad-norm column."""
    for m in _WS_HEADER.finditer(text):
        header = m[0].rstrip(b"\r\n")
        if b"|" in header or b"Training Loss\t" in header:
            continue
        pos, rows = m.end(), []
        while pos < len(text):
            end = text.find(b"\n", pos)
            end = len(text) if end == -1 else end
            row = text[pos:end].rstrip(b"\r")
            if _ELLIPSIS.match(row):
                pos = end + 1
                continue
            cells = _ws_row(row)
            if cells is None:
                break
            rows.append((pos, cells))
            pos = end + 1
        if not rows:
            continue
        width = len(rows[0][1])
        names = _ws_header(header, width)
        indexed = False
        if names is None:  # a pandas frame: the rows carry an unnamed index first
            names = _ws_header(header, width - 1)
            indexed = names is not None
        if names is None or len(set(names)) != len(names):
            continue
        if not (set(names) & {"step", "epoch"} or set(names) & (TRAIN_MARKERS | {"eval_loss"})):
            continue
        if len(rows) < 2 and "step" not in names:
            continue
        count = 0
        for start, cells in rows:
            if len(cells) != width:
                break
            if indexed:
                cells = cells[1:]
            values = dict(zip(names, cells))
            count += 1
            step = _number(values.pop("step")) if "step" in values else count
            kept, numbers = _speedless(*_fields(((n.encode(), v) for n, v in values.items()), "wstable"))
            if kept:
                yield TextRecord("table", line_of(start), as_step(step), kept, numbers)
