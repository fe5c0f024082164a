"""The chat log: what the user typed, the assistant's Markdown replies, notes and errors."""
from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

if TYPE_CHECKING:
    from textual.widgets import Markdown

__all__ = ["Conversation"]


class Conversation(VerticalScroll, can_focus=False):
    """Scrolls to the newest message; the prompt keeps the focus, PageUp/PageDown scroll."""

    DEFAULT_CSS = """
    Conversation { height: 1fr; padding: 0 1; scrollbar-size-vertical: 1; }
    Conversation > .user { margin: 1 0 0 0; padding: 0 1; background: $boost; color: $text; text-style: bold; }
    Conversation > .reply { margin: 1 0 0 0; padding: 0; }
    Conversation > .note { margin: 0; padding: 0; color: $text-muted; }
    Conversation > .error { margin: 1 0 0 0; padding: 0 1; color: $text-error; background: $error-muted; }
    Conversation Markdown { margin: 0; }
    """

    _turn_top: Widget | None = None

    def add_user(self, text: str) -> None:
        self._turn_top = Static(Text("› " + text), classes="user")
        self._add(self._turn_top)

    def add_text(self, text: Text) -> None:
        """Rich text, no Markdown: the greeting uses it so the first paint needs no Markdown parser."""
        self._add(Static(text, classes="reply"))

    def add_reply(self, markdown: str) -> Markdown:
        """A turn is read from its first line: scroll the user's line (then the notes of what was read,
        then the reply) to the top, not the end of a reply taller than the pane."""
        from textual.widgets import Markdown  # markdown-it and pygments load on the first reply, after the first paint

        reply = Markdown(markdown, classes="reply")
        self.mount(reply)
        top, self._turn_top = self._turn_top or reply, None
        self.call_after_refresh(self.scroll_to_widget, top, top=True, animate=False)
        return reply

    def add_note(self, markdown: str) -> None:
        from textual.widgets import Markdown

        self._add(Markdown(markdown, classes="note"))

    def add_error(self, line: str) -> None:
        """Shown literally: a path may hold characters Markdown would eat."""
        self._add(Static(Text("✖ " + line), classes="error"))

    def _add(self, widget: Widget) -> None:
        self.mount(widget)
        self.call_after_refresh(self.scroll_end, animate=False)
