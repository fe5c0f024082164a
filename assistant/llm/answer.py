"""The LLM answer for a report: grounded, validated, and replaced by the templated one on any trouble.

Passages come from the diagnoses' own citations (the full knowledge/ section
where the anchor is known) and, for a question, from retrieval. A reply that
fails `reply_problem`, a timeout, an HTTP error or a refusal leaves the
templated answer in place and adds one line to report.warnings.
"""
from __future__ import annotations

from typing import Iterator

from assistant.llm import client
from assistant.llm.prompt import PromptPassage, build_messages
from assistant.llm.settings import LLMSettings
from assistant.llm.validate import reply_problem
from assistant.report import Report

__all__ = ["MAX_PASSAGES", "prompt_passages", "phrase_report", "AnswerStream"]

MAX_PASSAGES = 8


def prompt_passages(report: Report, retrieved: int = 3) -> list[PromptPassage]:
    """The diagnoses' citations, then passages retrieved for the question; each (doc, section) once."""
    from assistant.knowledge import sections_by_anchor

    sections = sections_by_anchor()
    out: list[PromptPassage] = []
    seen: set[tuple[str, str]] = set()

    def add(source: str, section: str, text: str) -> None:
        if (source, section) not in seen and len(out) < MAX_PASSAGES:
            seen.add((source, section))
            out.append(PromptPassage(source, section, text))

    for d in report.diagnoses[:3]:
        for c in d.citations:
            known = sections.get(c.anchor) if c.doc.startswith("knowledge/") else None
            add(c.doc, c.section, known.text if known else c.snippet)
    if report.question.strip() and retrieved:
        from assistant.retrieval import passages_for

        for p in passages_for(report.question, k=retrieved):
            add(p.source, p.heading_path, p.chunk.text)
    return out


def _notice(problem: str) -> str:
    return f"[llm] {problem}; showing the templated answer"


class AnswerStream:
    """Iterate for the reply's text chunks as they arrive; when done, `text` is what to show.

    `accepted` is False (and `notice` says why) when the reply was rejected or the
    call failed: a chat front end then replaces what it streamed with `text`, the
    templated answer.
    """

    def __init__(self, report: Report, settings: LLMSettings, passages: list[PromptPassage] | None = None) -> None:
        self.report = report
        self.settings = settings
        self.passages = passages if passages is not None else prompt_passages(report)
        self.messages = build_messages(report, self.passages)
        self.text = report.answer or ""
        self.accepted = False
        self.notice: str | None = None

    def __iter__(self) -> Iterator[str]:
        from assistant.rulebase import load_catalog

        parts: list[str] = []
        try:
            for chunk in client.stream(self.settings, self.messages):
                parts.append(chunk)
                yield chunk
        except Exception as e:  # timeouts, refused connections, HTTP errors: all fall back the same way
            self.notice = _notice(f"{self.settings.model} unavailable ({type(e).__name__})")
            return
        reply = "".join(parts)
        problem = reply_problem(reply, len(self.passages), self.report, load_catalog().entries)
        if problem:
            self.notice = _notice(f"reply rejected: {problem}")
            return
        self.text, self.accepted = reply.strip(), True


def phrase_report(report: Report, settings: LLMSettings | None = None) -> None:
    """Set report.answer from the LLM when one is configured; otherwise leave the templated answer."""
    settings = settings or LLMSettings.load()
    if settings is None:
        return
    try:
        stream = AnswerStream(report, settings)
    except Exception as e:  # retrieval for the prompt failed: the report is still whole
        report.warnings.append(_notice(f"no prompt ({type(e).__name__}: {e})"))
        return
    for _ in stream:
        pass
    if stream.accepted:
        report.answer = stream.text
        report.answer_source = "llm"
    elif stream.notice:
        report.warnings.append(stream.notice)
