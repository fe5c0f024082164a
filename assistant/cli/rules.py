"""`assistant rules check|test`: the rulebase validated and tested as data."""
from __future__ import annotations

import typer

from assistant.cli import app

__all__ = ["rules_app"]

rules_app = typer.Typer(no_args_is_help=True, help="Validate and test the rulebase.")
app.add_typer(rules_app, name="rules")


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


