"""`assistant explain`: HOW each conclusion was reached and WHY each question is asked."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from assistant.cli import app

__all__ = ["explain_cmd"]


@app.command("explain")
def explain_cmd(
    question: Optional[List[str]] = typer.Argument(None, help="What is wrong, in your words."),
    attach: Optional[List[Path]] = typer.Option(None, "--attach", "-a", help="Evidence files, as for ask. Repeatable."),
    answer: Optional[List[str]] = typer.Option(None, "--answer", help="FACT=VALUE answers. Repeatable."),
    how: Optional[List[str]] = typer.Option(None, "--how", help="Explain only this diagnosis id. Repeatable."),
    why: Optional[List[str]] = typer.Option(None, "--why", help="Explain only why this question is asked. Repeatable."),
) -> None:
    """Show the reasoning: the chain of rules and facts behind each diagnosis, and what each question decides."""
    from assistant.consult import Consultation, parse_answer
    from assistant.explain import explanation
    from assistant.redact import redact

    c = Consultation(question=" ".join(question or []).strip())
    for path in attach or []:
        c.attach(path)
    for a in answer or []:
        name, value = parse_answer(a)
        c.answers[name] = value
    report = c.run()
    assert c.engine is not None
    sys.stdout.write(redact(explanation(c.engine, report, how or [], why or [])) + "\n")
