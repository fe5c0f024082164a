"""The terminal chat (Textual): `assistant` or `assistant chat`."""
from __future__ import annotations

from pathlib import Path

from assistant.tui.app import ChatApp, make_app

__all__ = ["ChatApp", "make_app", "run_chat"]


def run_chat(attachments: list[Path] | None = None, question: str = "") -> None:
    """Open the chat; files that cannot be read are reported inside it, as in any turn."""
    make_app(attachments or [], question).run()
