"""Draw one chart panel with braille dots: 2x4 dots per character cell.

A spike must be visible without reading a number, so each dot column keeps the
minimum and maximum of the steps that fall in it (a one-step spike survives any
width), and every detected event gets a coloured vertical rule at its step plus
a mark on the axis line. Non-finite values show as red crosses along the top.
Wide-ranging positive metrics (grad_norm going 0.5 -> 1e5) switch to a log scale.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from rich.text import Text

from assistant.render.chart import Event, Panel

__all__ = ["GUTTER", "MARKS", "draw_panel", "event_columns"]

LABEL = 7  # characters of a y label
GUTTER = LABEL + 1  # y labels + the axis
LOG_RATIO = 1e3  # max/min beyond which a positive metric is drawn on a log scale
SERIES_STYLES = ("bold cyan", "bold magenta", "bold green")
# kind -> (axis mark, style); also the legend's order of importance
MARKS: dict[str, tuple[str, str]] = {
    "nonfinite": ("✖", "bold red"),
    "spikes": ("▲", "bold yellow"),
    "early_spike": ("▲", "yellow"),
    "grad_norm_blowup": ("◆", "bold red"),
    "eval_divergence": ("◆", "bold magenta"),
    "plateau": ("▶", "bold blue"),
    "growth_to_cap": ("◆", "bold dark_orange"),
    "out_of_range": ("!", "bold red"),
    "stuck_zero": ("▶", "bold blue"),
    "loss_collapse": ("▼", "bold magenta"),
}
_DOT = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))  # [row][col] bit of a braille cell


@dataclass
class _Scale:
    lo: float
    hi: float
    log: bool

    def y(self, v: float) -> float:
        return math.log10(v) if self.log else v


def _scale(panel: Panel) -> _Scale | None:
    finite = [v for pts in panel.series.values() for _, v in pts if math.isfinite(v)]
    if not finite:
        return None
    lo, hi = min(finite), max(finite)
    log = lo > 0 and hi / lo >= LOG_RATIO
    if log:
        lo, hi = math.log10(lo), math.log10(hi)
    if hi == lo:
        pad = abs(hi) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    return _Scale(lo, hi, log)


def _steps(panel: Panel) -> tuple[int, int]:
    steps = [s for pts in panel.series.values() for s, _ in pts] + [e.step for e in panel.events]
    return (min(steps), max(steps)) if steps else (0, 1)


def _fmt(v: float, digits: int = 3) -> str:
    """At most LABEL characters, as configs write numbers: 3.06, 0.504, 2e-4, 1.01e5."""
    if v == 0 or not math.isfinite(v):
        return str(v) if v else "0"
    if 1e-2 <= abs(v) < 1e4:
        for d in range(digits, 0, -1):
            text = f"{v:.{d}g}"
            if len(text) <= LABEL and "e" not in text:
                return text
    for d in range(max(digits - 1, 0), -1, -1):
        mant, exp = f"{v:.{d}e}".split("e")
        if "." in mant:
            mant = mant.rstrip("0").rstrip(".")
        text = f"{mant}e{int(exp)}"
        if len(text) <= LABEL:
            return text
    return text


def _labels(lo: float, hi: float) -> tuple[str, str]:
    """The bottom and top labels, with as many digits as it takes (and fits) to tell them apart."""
    for digits in range(3, 7):
        a, b = _fmt(lo, digits), _fmt(hi, digits)
        if a != b:
            return a, b
    return a, b


def event_columns(panel: Panel, cells: int) -> dict[int, Event]:
    """The plot cell of each event (the most important event wins a shared cell)."""
    s0, s1 = _steps(panel)
    order = list(MARKS)
    out: dict[int, Event] = {}
    for e in sorted(panel.events, key=lambda e: order.index(e.kind) if e.kind in order else len(order)):
        col = _x(e.step, s0, s1, cells * 2) // 2
        out.setdefault(col, e)
    return out


def _x(step: int, s0: int, s1: int, dots: int) -> int:
    return 0 if s1 == s0 else round((step - s0) * (dots - 1) / (s1 - s0))


def _legend(panel: Panel, scale: _Scale | None, width: int) -> Text:
    title = Text(panel.title, style="bold")
    if len(panel.series) > 1:
        for i, name in enumerate(panel.series):
            title.append(f" {name}", style=SERIES_STYLES[i % len(SERIES_STYLES)])
    if scale is not None and scale.log:
        title.append(" (log)", style="dim")
    order = list(MARKS)
    for e in sorted(panel.events, key=lambda e: (order.index(e.kind) if e.kind in order else len(order), e.step)):
        mark, style = MARKS.get(e.kind, ("●", "bold"))
        title.append(f"  {mark}{e.step} {e.label}", style=style)
    title.truncate(width, overflow="ellipsis")
    return title


def draw_panel(panel: Panel, width: int, rows: int) -> list[Text]:
    """Title line, ``rows`` plot lines and an axis line with event marks, each ``width`` cells wide."""
    cells = max(width - GUTTER, 4)
    scale = _scale(panel)
    lines = [_legend(panel, scale, width)]
    s0, s1 = _steps(panel)
    xdots, ydots = cells * 2, rows * 4
    bits = [[0] * cells for _ in range(rows)]
    colour = [[""] * cells for _ in range(rows)]
    bad_cols: set[int] = set()

    def dot(x: int, yd: int, style: str) -> None:
        r, dy = divmod(ydots - 1 - yd, 4)
        c, dx = divmod(x, 2)
        bits[r][c] |= _DOT[dy][dx]
        colour[r][c] = style

    if scale is not None:
        for i, pts in enumerate(panel.series.values()):
            style = SERIES_STYLES[i % len(SERIES_STYLES)]
            cols: dict[int, list[int]] = {}
            for step, v in pts:
                x = _x(step, s0, s1, xdots)
                if not math.isfinite(v) or (scale.log and v <= 0):
                    bad_cols.add(x // 2)
                    cols.setdefault(x, [])
                    continue
                yd = round((scale.y(v) - scale.lo) * (ydots - 1) / (scale.hi - scale.lo))
                cols.setdefault(x, []).append(min(max(yd, 0), ydots - 1))
            prev: tuple[int, int] | None = None
            for x in sorted(cols):
                ys = cols[x]
                if not ys:
                    prev = None  # a non-finite value breaks the line
                    continue
                lo, hi = min(ys), max(ys)
                if prev is not None:  # join to the previous point, interpolating across empty dot columns
                    px, py = prev
                    last = py
                    for gx in range(px + 1, x):
                        gy = round(py + (ys[0] - py) * (gx - px) / (x - px))
                        for yd in range(min(last, gy), max(last, gy) + 1):
                            dot(gx, yd, style)
                        last = gy
                    lo, hi = min(lo, last), max(hi, last)
                for yd in range(lo, hi + 1):
                    dot(x, yd, style)
                prev = (x, ys[-1])

    marks = event_columns(panel, cells)
    bottom, top = _labels(*((10 ** scale.lo, 10 ** scale.hi) if scale.log else (scale.lo, scale.hi))) if scale \
        else ("", "")
    for r in range(rows):
        label = top if r == 0 else bottom if r == rows - 1 else ""
        line = Text(f"{label:>{LABEL}}" + ("┤" if label else "│"), style="dim")
        for c in range(cells):
            event = marks.get(c)
            ev_style = MARKS.get(event.kind, ("●", "bold"))[1] if event else ""
            if r == 0 and c in bad_cols and not bits[r][c]:
                line.append("×", style="bold red")
            elif bits[r][c]:
                line.append(chr(0x2800 + bits[r][c]), style=ev_style or colour[r][c])
            elif event:
                line.append("┊", style=ev_style)
            else:
                line.append(" ")
        lines.append(line)

    axis = [" "] * cells
    styles = [""] * cells
    first, last = str(s0), str(s1)
    if len(first) + len(last) + 1 <= cells:
        axis[: len(first)] = first
        axis[cells - len(last):] = last
    for c, e in marks.items():
        axis[c], styles[c] = MARKS.get(e.kind, ("●", "bold"))
    line = Text(" " * LABEL + "└", style="dim")
    for ch, st in zip(axis, styles):
        line.append(ch, style=st or "dim")
    lines.append(line)
    return lines
