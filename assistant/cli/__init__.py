"""Command line: `assistant` (subcommands) and `ask` (the one-shot consultation).

Only cheap modules are imported here; each command imports what it needs, so
`ask` answers in a fraction of a second. Errors the user can act on print one
line (`file: problem`) and exit 2; nothing prints a traceback unless
TSA_DEBUG=1.
"""
from __future__ import annotations

import sys

import typer

from assistant.guard import guarded

__all__ = ["app", "main"]

app = typer.Typer(add_completion=False, invoke_without_command=True, pretty_exceptions_enable=False,
                  help="Training Stability Assistant: why a fine-tuning run fails, and what to change.")


@app.callback()
def _chat_by_default(ctx: typer.Context) -> None:
    """With no subcommand, `assistant` opens the chat."""
    if ctx.invoked_subcommand is None:
        chat.run_chat()

# One module per command group; each registers its commands on `app` when imported.
# Keep these imports cheap: a command imports its heavy dependencies inside its body.
from assistant.cli import ask, bot, chat, explain, kb, probe, rules, serve  # noqa: E402,F401  (registration)


def _click_error(e: Exception) -> int | None:
    """Typer's usage errors print their own short message."""
    from typer._click import exceptions as click_exceptions

    if isinstance(e, click_exceptions.ClickException):
        e.show()
        return e.exit_code
    if isinstance(e, click_exceptions.Abort):
        return 1
    return None


def _run(argv: list[str] | None = None) -> int:
    if argv and argv[0] == "ask":  # the one-shot path skips typer's option coercion (assistant/oneshot.py)
        from assistant.oneshot import run

        return run(argv[1:], prog="assistant ask")

    def invoke() -> int:
        try:
            app(args=argv, prog_name="assistant", standalone_mode=False)
        except typer.Exit as e:
            return e.exit_code
        return 0

    return guarded(invoke, on_error=_click_error)


def main() -> None:
    sys.exit(_run(sys.argv[1:]))


