"""Command line: `assistant` (subcommands) and `ask` (the one-shot consultation).

Only cheap modules are imported here; each command imports what it needs, so
`ask` answers in a fraction of a second. Errors the user can act on print one
line (`file: problem`) and exit 2; nothing prints a traceback unless
TSA_DEBUG=1.

The typer application (`assistant.cli._app`) is imported only for the commands
that need it: `ask`, `kb search` and the bare `assistant` (the chat) are parsed
without it, since typer and its pydantic option coercion cost ~0.2 s per process.
"""
from __future__ import annotations

import sys
from typing import Any

__all__ = ["app", "main"]


def __getattr__(name: str) -> Any:
    if name == "app":   # command modules register on it: `from assistant.cli import app`
        from assistant.cli._app import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _run(argv: list[str] | None = None) -> int:
    """Run one command line; the exit code."""
    if argv and argv[0] == "ask":  # the one-shot path skips typer's option coercion (assistant/oneshot.py)
        from assistant.oneshot import run

        return run(argv[1:], prog="assistant ask")
    if argv is not None and argv[:2] == ["kb", "search"]:   # same for the most used kb command
        from assistant.cli.kb_search import run as search

        return search(argv[2:])
    if argv is not None and not argv:   # `assistant` alone opens the chat: paint it without typer
        from assistant.guard import guarded
        from assistant.tui import run_chat

        return guarded(run_chat)
    from assistant.cli._app import invoke

    return invoke(argv)


_PROFILES = ("ask", "kb", "explain", "rules", "watch", "probe")


def main() -> None:
    from assistant.warmstart import install

    argv = sys.argv[1:]
    # compiled regexes and dataclass methods from the cache directory (assistant/warmstart.py)
    install("chat" if not argv else argv[0] if argv[0] in _PROFILES else "cli")
    from assistant.guard import leave

    leave(_run(argv))
