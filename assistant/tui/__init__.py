"""The terminal chat (Textual): `assistant` or `assistant chat`."""
from assistant.tui.app import ChatApp, make_app

__all__ = ["ChatApp", "make_app"]
