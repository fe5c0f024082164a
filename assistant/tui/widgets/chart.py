"""The metric chart: one braille plot per metric, stacked, with the detected events marked at their steps."""
from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text
from textual.binding import Binding
from textual.widget import Widget

from assistant.render.chart import ChartData
from assistant.tui.braille import draw_panel

__all__ = ["MetricChart"]

MIN_ROWS, MAX_ROWS = 2, 10  # plot rows per panel; each panel also takes a title and an axis line


class MetricChart(Widget, can_focus=True):
    """Shows as many panels as fit at MIN_ROWS, gives spare height to them; ↑/↓ page through the rest."""

    DEFAULT_CSS = """
    MetricChart { height: 1fr; min-height: 6; border: round $secondary; }
    MetricChart:focus { border: round $accent; }
    """
    BORDER_TITLE = "Metrics"
    BINDINGS = [
        Binding("down", "page(1)", "Next panels", show=False),
        Binding("up", "page(-1)", "Earlier panels", show=False),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.chart = ChartData()
        self.first = 0

    def show(self, chart: ChartData | None) -> None:
        self.chart = chart or ChartData()
        self.first = 0
        self.refresh()

    def _layout(self) -> tuple[int, int, bool]:
        """Panels shown from ``first``, their plot rows, and whether a pager line is needed."""
        height = max(self.content_size.height, 1)
        left = len(self.chart.panels) - self.first
        paged = self.first > 0 or left * (MIN_ROWS + 2) > height
        if paged:
            height -= 1
        shown = max(1, min(left, height // (MIN_ROWS + 2)))
        rows = max(MIN_ROWS, min(MAX_ROWS, height // shown - 2))
        return shown, rows, paged

    def action_page(self, delta: int) -> None:
        shown, _, _ = self._layout()
        self.first = min(max(self.first + delta * shown, 0), max(len(self.chart.panels) - 1, 0))
        self.refresh()

    def render(self) -> RenderableType:
        panels = self.chart.panels
        if not panels:
            return Text("No metrics yet: /attach a training log to see loss, grad_norm and the learning rate.",
                        style="dim")
        shown, rows, paged = self._layout()
        visible = panels[self.first:self.first + shown]
        lines: list[Text] = []
        for panel in visible:
            lines += draw_panel(panel, self.content_size.width, rows)
        if paged:  # drawn with the panels, so it can never disagree with them
            pager = f"panels {self.first + 1}-{self.first + len(visible)} of {len(panels)} ↑↓"
            lines.append(Text(pager, style="dim", justify="right"))
        return Text("\n").join(lines)
