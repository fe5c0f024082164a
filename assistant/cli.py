"""Command line: `assistant` (subcommands) and `ask` (the one-shot consultation).

Only cheap modules are imported here; each command imports what it needs, so
`ask` answers in a fraction of a second. Errors the user can act on print one
line (`file: problem`) and exit 2; nothing prints a traceback unless
TSA_DEBUG=1.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List, Optional

import typer

from assistant.errors import AssistantError

__all__ = ["app", "main", "ask_main"]

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Training Stability Assistant: why a fine-tuning run fails, and what to change.")
rules_app = typer.Typer(no_args_is_help=True, help="Validate and test the rulebase.")
app.add_typer(rules_app, name="rules")

EXIT_INPUT = 2


def _progress_printer():
    """A progress bar on stderr for large attachments, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        return None
    state: dict[str, object] = {}

    def progress(path: str, done: int, total: int) -> None:
        if total < 64 * 1024 * 1024:
            return
        if "bar" not in state:
            from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn  # only for big files
            bar = Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                           TransferSpeedColumn(), transient=True, console=None)
            bar.start()
            state["bar"], state["task"] = bar, bar.add_task(f"reading {Path(path).name}", total=total)
        bar = state["bar"]
        bar.update(state["task"], completed=done)  # type: ignore[attr-defined]
        if done >= total:
            bar.stop()  # type: ignore[attr-defined]
            state.clear()

    return progress


@app.command("ask")
def ask_cmd(
    question: Optional[List[str]] = typer.Argument(None, help="What is wrong, in your words."),
    attach: Optional[List[Path]] = typer.Option(None, "--attach", "-a", help="Log, trainer_state.json, config, traceback, run folder. Repeatable."),
    answer: Optional[List[str]] = typer.Option(None, "--answer", help="Answer a follow-up question: FACT=VALUE. Repeatable."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON (shared/spec/report.schema.json)."),
    no_probe: bool = typer.Option(False, "--no-probe", help="Do not look at this machine's GPUs."),
) -> None:
    """Diagnose a run once: ranked causes, evidence, fixes, and the questions worth answering."""
    from assistant.consult import consult  # the consultation pulls in readers, detectors, engine

    text = " ".join(question or []).strip()
    for a in answer or []:
        if "=" not in a:
            raise AssistantError(f"--answer {a}: expected FACT=VALUE, e.g. --answer spike_batch_specific=yes")
    report = consult(text, attachments=attach or [], answers=answer or [], progress=_progress_printer())
    if as_json:
        from assistant.render.json import render_json
        sys.stdout.write(render_json(report) + "\n")
    else:
        from assistant.render.text import render_text
        sys.stdout.write(render_text(report))


@rules_app.command("check")
def rules_check() -> None:
    """Load every rules file and report each problem as file:line:col: message (exit 2 on errors)."""
    from assistant.rulebase import load_project_rulebase

    rb = load_project_rulebase(use_cache=False)
    typer.echo(f"ok: {len(rb.rules)} rules")


@rules_app.command("test")
def rules_test() -> None:
    """Run the examples each rule carries (facts in -> expected conclusion)."""
    from assistant.engine import run_examples
    from assistant.rulebase import load_project_rulebase

    rb = load_project_rulebase()
    results = run_examples(rb)
    failed = [r for r in results if not r.ok]
    for r in failed:
        typer.echo(f"FAIL {r.rule_id} example {r.index}: {r.message}")
    missing = [r.id for r in rb.rules if not r.examples]
    for rid in missing:
        typer.echo(f"FAIL {rid}: carries no example")
    typer.echo(f"{len(results) - len(failed)} passed, {len(failed) + len(missing)} failed")
    if failed or missing:
        raise typer.Exit(1)


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
