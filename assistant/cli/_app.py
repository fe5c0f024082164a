"""The typer application behind `assistant`: every subcommand group registered on one `app`.

Importing typer and the command modules costs ~0.1 s, and typer coerces every option
through pydantic (~0.12 s more), so the commands a person runs most are routed
around it by `assistant.cli._run` (`ask`, `kb search`, the chat); everything else
comes here.
"""
from __future__ import annotations

import typer

__all__ = ["app", "invoke"]

app = typer.Typer(add_completion=False, invoke_without_command=True, pretty_exceptions_enable=False,
                  help="Training Stability Assistant: why a fine-tuning run fails, and what to change.")


@app.callback()
def _chat_by_default(ctx: typer.Context) -> None:
    """With no subcommand, `assistant` opens the chat."""
    if ctx.invoked_subcommand is None:
        chat.run_chat()

# One module per command group; each registers its commands on `app` when imported.
# Keep these imports cheap: a command imports its heavy dependencies inside its body.
from assistant.cli import ask, bot, chat, explain, kb, mcp, probe, rules, serve, watch  # noqa: E402,F401  (registration)


def _click_error(e: Exception) -> int | None:
    """Typer's usage errors print their own short message."""
    from typer._click import exceptions as click_exceptions

    if isinstance(e, click_exceptions.ClickException):
        e.show()
        return e.exit_code
    if isinstance(e, typer.Abort):  # typer 0.29 keeps Abort in typer.exceptions, not in its click copy
        return 1
    return None


def invoke(argv: list[str] | None) -> int:
    """Run one `assistant` command line through typer; the exit code."""
    from assistant.guard import guarded

    def run() -> int:
        try:
            code = app(args=argv, prog_name="assistant", standalone_mode=False)
        except typer.Exit as e:
            return e.exit_code
        return code if isinstance(code, int) else 0  # outside standalone mode, typer returns typer.Exit's code

    return guarded(run, on_error=_click_error)
