"""Opening the default index for the `kb` commands: a progress bar while it embeds, notices on stderr.

Shared by the typer `kb` commands and the argparse `kb search` fast path, so it uses
no typer.
"""
from __future__ import annotations

import sys
import time
from typing import Any

__all__ = ["open_index"]

_BAR_AFTER_S = 0.5   # indexing shorter than this shows no bar


def _progress() -> Any:
    """A rich progress bar on stderr for embedding that takes more than a moment (terminals only)."""
    if not sys.stderr.isatty():
        return None
    state: dict[str, Any] = {"start": time.monotonic()}

    def progress(done: int, total: int) -> None:
        if "bar" not in state:
            if time.monotonic() - state["start"] < _BAR_AFTER_S and done < total:
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

            bar = Progress("embedding sections", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                           console=Console(stderr=True), transient=True)
            bar.start()
            state["bar"], state["task"] = bar, bar.add_task("embed", total=total)
        state["bar"].update(state["task"], completed=done, total=total)
        if done >= total:
            state["bar"].stop()

    return progress


def open_index(force: bool = False) -> Any:
    """The default index, brought up to date (with a bar); notices go to stderr, one line each."""
    from assistant.retrieval import get_index

    index = get_index(_progress(), force=force)
    for notice in index.notices:
        sys.stderr.write(f"notice: {notice}\n")
    return index
