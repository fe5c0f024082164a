"""`ask`: the one-shot consultation.

Parsed with argparse, outside the typer CLI package: typer coerces options through
pydantic, which costs about 0.2 s of a run that should take well under half a
second. `assistant ask` forwards here, so the options are defined once.
"""
from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path

from assistant.errors import AssistantError
from assistant.guard import guarded, leave

__all__ = ["build_parser", "run", "main"]


def build_parser(prog: str = "ask") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description="Diagnose a run once: ranked causes, evidence, fixes, "
                                "and the questions worth answering.")
    p.add_argument("question", nargs="*", help="What is wrong, in your words.")
    p.add_argument("-a", "--attach", action="append", type=Path, default=[],
                   help="Log, trainer_state.json, config, traceback, run folder. Repeatable.")
    p.add_argument("--answer", action="append", default=[], help="Answer a follow-up question: FACT=VALUE. Repeatable.")
    p.add_argument("--json", dest="as_json", action="store_true", help="Print the report as JSON (shared/spec/report.schema.json).")
    p.add_argument("--no-probe", action="store_true",
                   help="Do not probe this machine (its facts are used only when it has a GPU and no probe report is attached).")
    p.add_argument("--gpu-memory", type=float, default=None,
                   help="GPU memory per device in GiB, to estimate whether an attached config fits.")
    p.add_argument("--llm", action=argparse.BooleanOptionalAction, default=True,
                   help="Phrase the answer with the configured LLM (only when one is configured).")
    return p


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


def _ask(ns: argparse.Namespace) -> None:
    from assistant.consult import consult  # the consultation pulls in readers, detectors, engine

    gc.freeze()   # what is imported so far lives until exit: the collector need not walk it again

    question, attach, answer, as_json = ns.question, ns.attach, ns.answer, ns.as_json
    no_probe, gpu_memory, llm = ns.no_probe, ns.gpu_memory, ns.llm
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


def run(argv: list[str], prog: str = "ask") -> int:
    """Parse and run; the exit code (0 done, 2 unreadable input or bad usage)."""
    return guarded(lambda: _ask(build_parser(prog).parse_args(argv)))


def main() -> None:
    from assistant.warmstart import install

    install("ask")   # compiled regexes and dataclass methods from the cache directory (assistant/warmstart.py)
    leave(run(sys.argv[1:]))
