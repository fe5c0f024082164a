"""A reasoning chain (HOW) in its own screen: it is long and indented, the chat column is narrow."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

__all__ = ["ExplainScreen"]


class ExplainScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    ExplainScreen { align: center middle; }
    ExplainScreen VerticalScroll { width: 90%; height: 85%; border: round $accent; background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,q", "dismiss", "Close")]

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title_text = title
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll() as body:
            body.border_title = self.title_text
            yield Static(Text(self.text))
        yield Footer()
