"""The pending follow-up question, its choices as buttons (Tab from the prompt reaches them, ←/→ between them)."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from assistant.report import Question
from assistant.tui.messages import AnswerChosen

__all__ = ["QuestionBar"]


class QuestionBar(Vertical):
    """Hidden while nothing is asked; a choice posts AnswerChosen, so the app decides what it means."""

    DEFAULT_CSS = """
    QuestionBar { height: auto; max-height: 12; display: none; padding: 0 1; border-top: hkey $secondary; }
    QuestionBar #q-text { color: $text; text-style: bold; }
    QuestionBar #q-hint { color: $text-muted; }
    QuestionBar Horizontal { height: auto; }
    QuestionBar Button { margin: 0 1 0 0; min-width: 6; }
    """
    BINDINGS = [
        Binding("left", "move(-1)", "Previous choice", show=False),
        Binding("right", "move(1)", "Next choice", show=False),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.question: Question | None = None

    def compose(self) -> ComposeResult:
        q = self.question
        if q is None:
            return
        yield Static(Text("? " + q.text), id="q-text")
        with Horizontal():
            for n, choice in enumerate(q.choices or [], 1):
                yield Button(f"{n} {choice.replace('_', ' ')}", id=f"choice-{n}", name=choice, compact=True)
        yield Static(Text("number or answer · /why · /skip"), id="q-hint")

    def show(self, question: Question | None) -> None:
        self.question = question
        self.display = question is not None
        self.refresh(recompose=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if self.question is not None and event.button.name:
            self.post_message(AnswerChosen(self.question.fact, event.button.name))

    def action_move(self, delta: int) -> None:
        buttons = list(self.query(Button))
        if not buttons:
            return
        focused = self.screen.focused
        i = buttons.index(focused) if focused in buttons else -delta
        buttons[(i + delta) % len(buttons)].focus()
