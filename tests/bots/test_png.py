"""The dependency-free PNG chart: a valid file, lines drawn, events marked where the detectors put them."""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

from assistant.bots.png import EVENT_COLORS, LEFT, LINE_COLORS, PANEL_H, RIGHT, WIDTH, render_png
from assistant.consult import Consultation
from assistant.render.chart import ChartData, Panel, chart_data

ROOT = Path(__file__).resolve().parents[2]


def decode(png: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB rows, checking the signature, every chunk's CRC and the filter bytes."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos:pos + 4])
        tag, data = png[pos + 4:pos + 8], png[pos + 8:pos + 8 + length]
        assert struct.unpack(">I", png[pos + 8 + length:pos + 12 + length])[0] == zlib.crc32(tag + data)
        if tag == b"IHDR":
            header = struct.unpack(">IIBBBBB", data)
        elif tag == b"IDAT":
            idat += data
        pos += 12 + length
    width, height, depth, color_type = header[:4]
    assert (depth, color_type) == (8, 2)
    raw = zlib.decompress(idat)
    stride = 1 + 3 * width
    assert len(raw) == stride * height and all(raw[i * stride] == 0 for i in range(height))
    return width, height, [raw[i * stride + 1:(i + 1) * stride] for i in range(height)]


def column_has(row_bytes: list[bytes], x: int, color: tuple[int, int, int], rows: range) -> bool:
    return any(row_bytes[y][3 * x:3 * x + 3] == bytes(color) for y in rows)


def test_lora_nan_chart_marks_the_nan_step():
    c = Consultation()
    c.attach(ROOT / "examples/lora-nan/train.log")
    report = c.run()
    chart = chart_data(c.readings, report.facts)
    width, height, rows = decode(render_png(chart))
    assert (width, height) == (WIDTH, PANEL_H * len(chart.panels))
    loss = chart.panels[0]
    steps = [s for s, _ in loss.series["loss"]]
    nan = next(e for e in loss.events if e.kind == "nonfinite")
    x = LEFT + round((nan.step - min(steps)) * (WIDTH - RIGHT - LEFT) / (max(steps) - min(steps)))
    assert column_has(rows, x, EVENT_COLORS["nonfinite"], range(0, PANEL_H))
    assert any(bytes(LINE_COLORS[0]) in row for row in rows[:PANEL_H])


def test_nothing_to_draw_gives_none():
    assert render_png(ChartData([])) is None
    assert render_png(ChartData([Panel("loss", {"loss": [(1, float("nan")), (2, 1.0)]})])) is None


def test_flat_and_single_valued_series_draw():
    panel = Panel("loss", {"loss": [(1, 0.0), (2, 0.0), (3, 0.0)]})
    assert decode(render_png(ChartData([panel])))[:2] == (WIDTH, PANEL_H)
