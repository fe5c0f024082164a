"""A one-line indicator that work is under way, so a slow read never looks like a hang."""
from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar

__all__ = ["ActivityBar"]


class ActivityBar(Horizontal):
    """Bytes read of an attachment (a real bar), or an indeterminate bar while the engine runs."""

    DEFAULT_CSS = """
    ActivityBar { height: 1; display: none; padding: 0 1; }
    ActivityBar Label { width: auto; max-width: 50%; margin-right: 1; color: $text-muted; }
    ActivityBar ProgressBar { width: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield Label()
        yield ProgressBar(show_eta=False)

    def reading(self, path: str, done: int, total: int) -> None:
        self.display = True
        self.query_one(Label).update(f"reading {Path(path).name}")
        self.query_one(ProgressBar).update(total=max(total, 1), progress=done)

    def thinking(self, what: str = "consulting…") -> None:
        self.display = True
        self.query_one(Label).update(what)
        self.query_one(ProgressBar).update(total=None, progress=0)

    def idle(self) -> None:
        self.display = False
