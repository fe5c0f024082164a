"""The line the user types into: history on ↑/↓, Tab completes commands and paths."""
from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input

from assistant.tui.completion import PathSuggester, complete

__all__ = ["PromptInput"]


class PromptInput(Input):
    """An Input that remembers submitted lines; the draft being typed survives a trip through history."""

    BINDINGS = [
        Binding("up", "history(-1)", "Earlier line", show=False),
        Binding("down", "history(1)", "Later line", show=False),
        Binding("tab", "complete", "Complete", show=False),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(placeholder="Describe the problem, /attach a log, /help", suggester=PathSuggester(),
                         **kwargs)
        self.history: list[str] = []
        self._pos = 0
        self._draft = ""

    def remember(self, line: str) -> None:
        if line and (not self.history or self.history[-1] != line):
            self.history.append(line)
        self._pos = len(self.history)
        self._draft = ""

    def action_history(self, delta: int) -> None:
        if not self.history:
            return
        if self._pos == len(self.history):
            self._draft = self.value
        self._pos = min(max(self._pos + delta, 0), len(self.history))
        self.value = self.history[self._pos] if self._pos < len(self.history) else self._draft
        self.cursor_position = len(self.value)

    async def action_complete(self) -> None:
        """Complete the last word; with nothing to complete the app decides where Tab goes."""
        completed = complete(self.value)
        if completed is None:
            await self.run_action("app.tab_from_prompt")
            return
        self.value = completed
        self.cursor_position = len(completed)
