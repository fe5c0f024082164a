"""`assistant chat` (and `assistant` alone): the terminal chat."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from assistant.cli import app

__all__ = ["chat_cmd", "run_chat"]


def run_chat(attachments: list[Path] | None = None, question: str = "") -> None:
    """Open the chat; files that cannot be read are reported inside it, as in any turn."""
    from assistant.tui import run_chat as run  # textual only when the chat opens: `ask` stays fast

    run(attachments, question)


@app.command("chat")
def chat_cmd(
    question: Optional[List[str]] = typer.Argument(None, help="What is wrong, in your words (optional)."),
    attach: Optional[List[Path]] = typer.Option(None, "--attach", "-a", help="Log, trainer_state.json, config, traceback, run folder. Repeatable."),
) -> None:
    """Open the chat: describe the problem, attach files, answer questions, see findings and metrics."""
    run_chat(list(attach or []), " ".join(question or []).strip())
