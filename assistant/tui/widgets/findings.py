"""The findings panel: current diagnoses with certainty bars in severity colours, updated each turn."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import ListItem, ListView, Static

from assistant.report import Diagnosis, Report
from assistant.tui.changes import MOVE
from assistant.tui.messages import FindingSelected

__all__ = ["FindingsPanel", "SEVERITY_STYLES", "finding_text"]

SEVERITY_STYLES = {"critical": "bold red", "warning": "bold yellow", "info": "bold blue"}
BAR = 12


def finding_text(d: Diagnosis, before: float | None) -> Text:
    """Two lines: severity dot and title; certainty bar, value, its move this turn, and the id."""
    style = SEVERITY_STYLES.get(d.severity, "bold")
    text = Text()
    text.append("● ", style=style)
    text.append(d.title + "\n")
    filled = round(d.certainty * BAR)
    text.append("█" * filled, style=style.replace("bold ", ""))
    text.append("░" * (BAR - filled), style="dim")
    text.append(f" {d.certainty:.2f}")
    if before is None:
        text.append(" new", style="bold green")
    elif abs(d.certainty - before) >= MOVE:
        text.append(" ↑" if d.certainty > before else " ↓", style="bold green" if d.certainty > before else "bold red")
    text.append(f" {d.id}", style="dim")
    return text


class FindingsPanel(Vertical):
    """Enter or a click on a finding posts FindingSelected; the app opens its detail."""

    DEFAULT_CSS = """
    FindingsPanel { height: auto; max-height: 45%; border: round $primary; border-title-color: $text; }
    FindingsPanel #findings-empty { color: $text-muted; padding: 0 1; }
    FindingsPanel ListView { height: auto; }
    FindingsPanel ListItem { padding: 0 1; }
    FindingsPanel ListItem Static { text-wrap: nowrap; text-overflow: ellipsis; }
    """
    BORDER_TITLE = "Findings"

    def compose(self) -> ComposeResult:
        yield Static("No findings yet: say what is wrong or attach a log.", id="findings-empty")
        yield ListView()

    async def show(self, report: Report, previous: Report | None) -> None:
        """Replace the list, keeping the highlighted finding when it is still there."""
        before = {d.id: d.certainty for d in previous.diagnoses} if previous else {}
        view = self.query_one(ListView)
        current = view.highlighted_child.name if view.highlighted_child else None
        await view.clear()
        await view.extend(ListItem(Static(finding_text(d, before.get(d.id) if previous else d.certainty)), name=d.id)
                          for d in report.diagnoses)
        ids = [d.id for d in report.diagnoses]
        view.index = ids.index(current) if current in ids else (0 if ids else None)
        self.query_one("#findings-empty").display = not ids
        self.border_subtitle = f"{len(ids)}" if ids else ""

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        event.stop()
        if event.item.name:
            self.post_message(FindingSelected(event.item.name))
