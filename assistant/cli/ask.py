"""`assistant ask`: the same one-shot consultation as the `ask` command (assistant/oneshot.py)."""
from __future__ import annotations

import typer

from assistant.cli import app

__all__ = ["ask_cmd"]


@app.command("ask", add_help_option=False,
             context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def ask_cmd(ctx: typer.Context) -> None:
    """Diagnose a run once: ranked causes, evidence, fixes, and the questions worth answering (ask --help)."""
    from assistant.oneshot import run

    raise typer.Exit(run(list(ctx.args), prog="assistant ask"))
