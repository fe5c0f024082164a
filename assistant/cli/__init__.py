"""Command line: `assistant` (subcommands) and `ask` (the one-shot consultation).

Only cheap modules are imported here; each command imports what it needs, so
`ask` answers in a fraction of a second. Errors the user can act on print one
line (`file: problem`) and exit 2; nothing prints a traceback unless
TSA_DEBUG=1.
"""
from __future__ import annotations

import os
import sys

import typer

from assistant.errors import AssistantError

__all__ = ["app", "main", "ask_main"]

app = typer.Typer(add_completion=False, invoke_without_command=True, pretty_exceptions_enable=False,
                  help="Training Stability Assistant: why a fine-tuning run fails, and what to change.")


@app.callback()
def _chat_by_default(ctx: typer.Context) -> None:
    """With no subcommand, `assistant` opens the chat."""
    if ctx.invoked_subcommand is None:
        chat.run_chat()

EXIT_INPUT = 2

# One module per command group; each registers its commands on `app` when imported.
# Keep these imports cheap: a command imports its heavy dependencies inside its body.
from assistant.cli import ask, bot, chat, explain, kb, probe, rules, serve  # noqa: E402,F401  (registration)


def _run(argv: list[str] | None = None) -> int:
    try:
        app(args=argv, prog_name="assistant", standalone_mode=False)
        return 0
    except typer.Exit as e:
        return e.exit_code
    except AssistantError as e:
        sys.stderr.write(f"{e}\n")
        return EXIT_INPUT
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except Exception as e:  # the last guard: one line, never a traceback
        import click

        if isinstance(e, click.exceptions.ClickException):
            e.show()
            return e.exit_code
        if isinstance(e, click.exceptions.Abort):
            return 1
        if os.environ.get("TSA_DEBUG"):
            raise
        sys.stderr.write(f"internal error: {type(e).__name__}: {e} (set TSA_DEBUG=1 for details)\n")
        return 1


def main() -> None:
    sys.exit(_run(sys.argv[1:]))


def ask_main() -> None:
    sys.exit(_run(["ask", *sys.argv[1:]]))
