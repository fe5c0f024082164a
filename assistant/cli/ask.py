"""`ask` / `assistant ask`: the one-shot consultation."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from assistant.cli import app
from assistant.errors import AssistantError

__all__ = ["ask_cmd"]


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
    no_probe: bool = typer.Option(False, "--no-probe", help="Do not probe this machine (its facts are used only when it has a GPU and no probe report is attached)."),
    gpu_memory: Optional[float] = typer.Option(None, "--gpu-memory", help="GPU memory per device in GiB, to estimate whether an attached config fits."),
    llm: bool = typer.Option(True, "--llm/--no-llm", help="Phrase the answer with the configured LLM (only when one is configured)."),
) -> None:
    """Diagnose a run once: ranked causes, evidence, fixes, and the questions worth answering."""
    from assistant.consult import consult  # the consultation pulls in readers, detectors, engine

    text = " ".join(question or []).strip()
    for a in answer or []:
        if "=" not in a:
            raise AssistantError(f"--answer {a}: expected FACT=VALUE, e.g. --answer spike_batch_specific=yes")
    # Probe hook (issue 5): this machine's probe.* facts and the memory estimate of an attached config
    # (estimate.*, model.*); assistant/probes/extra_facts.py says which machine the facts describe.
    from assistant.probes.extra_facts import extra_facts
    extra = extra_facts(attach or [], probe=not no_probe, gpu_memory_gib=gpu_memory)
    report = consult(text, attachments=attach or [], answers=answer or [], extra_facts=extra,
                     progress=_progress_printer())
    # LLM hook (issue 4): report.answer phrased by the configured endpoint, grounded and validated;
    # nothing is imported or sent unless OPENAI_API_KEY/OPENAI_BASE_URL or config [llm] set one up.
    if llm:
        from assistant.llm import phrase_report
        phrase_report(report)
    if as_json:
        from assistant.render.json import render_json
        sys.stdout.write(render_json(report) + "\n")
    else:
        from assistant.render.text import render_text
        sys.stdout.write(render_text(report))


