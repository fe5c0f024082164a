"""The metric chart as a PNG, with nothing but zlib and struct.

Draws the renderer-neutral model of ``assistant.render.chart`` (panels of series
with the detected events at their steps): one panel per metric group, a line per
series, a dashed vertical line per event labelled in its colour, non-finite values
as red ticks along the top. A bot host should not need matplotlib or Pillow to
show a loss curve, so the pixels, the 3x5 font and the PNG encoder are here.
"""
from __future__ import annotations

import math
import struct
import zlib
from typing import Sequence

from assistant.redact import redact
from assistant.render.chart import ChartData, Panel

__all__ = ["render_png"]

Color = tuple[int, int, int]

WIDTH = 900
PANEL_H = 170
LEFT, RIGHT, TOP_PAD, BOTTOM_PAD = 78, 16, 34, 22
SCALE = 2  # font pixels per glyph pixel

BACKGROUND: Color = (255, 255, 255)
AXIS: Color = (120, 120, 120)
TEXT: Color = (40, 40, 40)
LINE_COLORS: tuple[Color, ...] = ((31, 119, 180), (44, 160, 44), (148, 103, 189), (140, 86, 75))
NONFINITE: Color = (214, 39, 40)
EVENT_COLORS: dict[str, Color] = {
    "nonfinite": NONFINITE,
    "spikes": (255, 127, 14),
    "early_spike": (255, 127, 14),
    "grad_norm_blowup": (214, 39, 40),
    "out_of_range": (188, 128, 0),
    "plateau": (23, 190, 207),
    "stuck_zero": (23, 190, 207),
    "eval_divergence": (148, 103, 189),
    "growth_to_cap": (227, 119, 194),
    "loss_collapse": (127, 127, 127),
}

# A 3x5 pixel font: five rows per glyph, each an octal digit (4 = left column, 1 = right).
_FONT = {
    "0": "75557", "1": "26227", "2": "71747", "3": "71317", "4": "55711", "5": "74717", "6": "74757",
    "7": "71122", "8": "75757", "9": "75717", "a": "25755", "b": "65656", "c": "34443", "d": "65556",
    "e": "74647", "f": "74644", "g": "34553", "h": "55755", "i": "72227", "j": "11152", "k": "55655",
    "l": "44447", "m": "57755", "n": "65555", "o": "25552", "p": "65644", "q": "25563", "r": "65655",
    "s": "34216", "t": "72222", "u": "55557", "v": "55552", "w": "55775", "x": "55255", "y": "55222",
    "z": "71247", ".": "00002", "-": "00700", "_": "00007", "/": "11244", "(": "12221", ")": "42224",
    ":": "02020", "+": "02720", "=": "07070", ">": "42124", "<": "12421", " ": "00000", "?": "71202",
}
GLYPH_W = 4 * SCALE  # 3 pixels and a gap


class _Canvas:
    """An RGB pixel buffer with just the drawing the chart needs."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.rows = [bytearray(bytes(BACKGROUND) * width) for _ in range(height)]

    def dot(self, x: int, y: int, color: Color) -> None:
        if 0 <= x < self.width and 0 <= y < self.height:
            self.rows[y][3 * x:3 * x + 3] = bytes(color)

    def line(self, x0: int, y0: int, x1: int, y1: int, color: Color) -> None:
        """Bresenham: every pixel of the segment, endpoints included."""
        dx, dy = abs(x1 - x0), -abs(y1 - y0)
        sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
        err = dx + dy
        while True:
            self.dot(x0, y0, color)
            if x0 == x1 and y0 == y1:
                return
            e2 = 2 * err
            if e2 >= dy:
                err, x0 = err + dy, x0 + sx
            if e2 <= dx:
                err, y0 = err + dx, y0 + sy

    def vdash(self, x: int, y0: int, y1: int, color: Color) -> None:
        for y in range(y0, y1):
            if (y // 4) % 2 == 0:
                self.dot(x, y, color)

    def text(self, x: int, y: int, s: str, color: Color) -> None:
        for i, ch in enumerate(s.lower()):
            rows = _FONT.get(ch, _FONT["?"])
            for r, bits in enumerate(rows):
                for c in range(3):
                    if int(bits) & (4 >> c):
                        for a in range(SCALE):
                            for b in range(SCALE):
                                self.dot(x + i * GLYPH_W + c * SCALE + a, y + r * SCALE + b, color)

    def png(self) -> bytes:
        raw = b"".join(b"\x00" + bytes(row) for row in self.rows)  # filter 0 on every row

        def chunk(tag: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)  # 8-bit RGB
        return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def render_png(chart: ChartData, width: int = WIDTH) -> bytes | None:
    """The chart as PNG bytes, or None when no panel has two finite points to draw."""
    panels = [p for p in chart.panels if any(sum(map(math.isfinite, (v for _, v in s))) >= 2 for s in p.series.values())]
    if not panels:
        return None
    canvas = _Canvas(width, PANEL_H * len(panels))
    for i, panel in enumerate(panels):
        _draw_panel(canvas, panel, top=i * PANEL_H)
    return canvas.png()


def _fmt(v: float) -> str:
    return f"{v:.3g}"


def _draw_panel(canvas: _Canvas, panel: Panel, top: int) -> None:
    x0, x1 = LEFT, canvas.width - RIGHT
    y0, y1 = top + TOP_PAD, top + PANEL_H - BOTTOM_PAD
    points = [p for s in panel.series.values() for p in s]
    steps = [s for s, _ in points]
    finite = [v for _, v in points if math.isfinite(v)]
    lo_step, hi_step = min(steps), max(max(steps), min(steps) + 1)
    log = min(finite) > 0 and max(finite) / min(finite) > 1e3  # grad_norm blow-ups span decades
    ys = [math.log10(v) for v in finite] if log else finite
    lo, hi = min(ys), max(ys)
    pad = (hi - lo) * 0.05 or abs(hi) * 0.05 or 1.0
    lo, hi = lo - pad, hi + pad

    def px(step: int) -> int:
        return x0 + round((step - lo_step) * (x1 - x0) / (hi_step - lo_step))

    def py(v: float) -> int:
        y = math.log10(v) if log else v
        return y1 - round((y - lo) * (y1 - y0) / (hi - lo))

    canvas.line(x0, y0, x0, y1, AXIS)
    canvas.line(x0, y1, x1, y1, AXIS)
    names = list(panel.series)
    title = redact(panel.title) + (f"  ({', '.join(names)})" if len(names) > 1 else "") + ("  log scale" if log else "")
    canvas.text(x0, top + 6, title, TEXT)
    top_label = _fmt(10 ** hi if log else hi)
    canvas.text(x0 - 6 - GLYPH_W * len(top_label), y0, top_label, TEXT)
    low_label = _fmt(10 ** lo if log else lo)
    canvas.text(x0 - 6 - GLYPH_W * len(low_label), y1 - 5 * SCALE, low_label, TEXT)
    canvas.text(x0, y1 + 6, str(lo_step), TEXT)
    canvas.text(x1 - GLYPH_W * len(str(hi_step)), y1 + 6, str(hi_step), TEXT)
    _draw_events(canvas, panel, px, y0, y1)
    for n, series in enumerate(panel.series.values()):
        _draw_series(canvas, series, px, py, y0, LINE_COLORS[n % len(LINE_COLORS)], log)


def _draw_series(canvas: _Canvas, series: Sequence[tuple[int, float]], px, py, y_top: int, color: Color,
                 log: bool) -> None:
    """Connect consecutive drawable points; a NaN/inf (or a non-positive value on a log axis) breaks the line."""
    prev: tuple[int, int] | None = None
    for step, v in series:
        if not math.isfinite(v) or (log and v <= 0):
            canvas.line(px(step), y_top - 6, px(step), y_top + 4, NONFINITE)
            prev = None
            continue
        here = (px(step), py(v))
        if prev is not None:
            canvas.line(*prev, *here, color)
        else:
            canvas.dot(*here, color)
        prev = here


def _draw_events(canvas: _Canvas, panel: Panel, px, y0: int, y1: int) -> None:
    """A dashed line per event; labels go to the first row (from the bottom up) where they do not overlap."""
    taken: list[list[tuple[int, int]]] = []
    for event in panel.events:
        color = EVENT_COLORS.get(event.kind, AXIS)
        x = px(event.step)
        canvas.vdash(x, y0, y1, color)
        label = f"{event.label} {event.step}"
        start, end = x + 3, x + 3 + GLYPH_W * len(label)
        if end > canvas.width - RIGHT:
            start, end = x - 3 - GLYPH_W * len(label), x - 3
        row = next((i for i, spans in enumerate(taken) if all(end + GLYPH_W < a or start > b + GLYPH_W for a, b in spans)), len(taken))
        if row == len(taken):
            taken.append([])
        taken[row].append((start, end))
        canvas.text(start, y1 - 14 - row * 6 * SCALE, label, color)
