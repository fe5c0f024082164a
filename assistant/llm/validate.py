"""Checks on an LLM reply before it replaces the templated answer.

A reply is rejected when it cites no passage, cites a passage that does not
exist, names a catalog diagnosis the report does not contain (by id, or by its
title loosely: case and spacing ignored, the parenthesised part dropped), or
refuses. The rules decide the diagnosis; the LLM only phrases it.
"""
from __future__ import annotations

import re

from assistant.report import Report

__all__ = ["reply_problem"]

_CITE = re.compile(r"\[(\d+)\]")
_REFUSAL = re.compile(r"^\s*(i'?m sorry|i am sorry|sorry,|i can(?:no|')t|i am unable|i'm unable|as an ai)", re.I)


def _norm(text: str) -> str:
    return " " + re.sub(r"[^a-z0-9]+", " ", text.lower()).strip() + " "


def _names(diag_id: str, title: str) -> list[str]:
    """How a reply might name a diagnosis: its id (also with spaces) and its title without the aside."""
    short = re.sub(r"\([^)]*\)", "", title)
    return [n for n in {_norm(diag_id), _norm(diag_id.replace("_", " ")), _norm(short)} if n.strip()]


def reply_problem(reply: str, n_passages: int, report: Report, catalog: dict[str, dict]) -> str | None:
    """Why the reply cannot be shown, or None when it can."""
    if not reply.strip():
        return "empty reply"
    if _REFUSAL.match(reply):
        return "the model declined to answer"
    cited = {int(n) for n in _CITE.findall(reply)}
    if not cited:
        return "cites no passage"
    missing = sorted(n for n in cited if not 1 <= n <= n_passages)
    if missing:
        return f"cites passage [{missing[0]}], but there are {n_passages}"
    text = _norm(reply)
    allowed = {d.id for d in report.diagnoses}
    allowed_names = {n for d in report.diagnoses for n in _names(d.id, d.title)}
    for diag_id, entry in catalog.items():
        if diag_id in allowed:
            continue
        for name in _names(diag_id, str(entry.get("title", ""))):
            if name in text and not any(name in ok for ok in allowed_names):
                return f"names diagnosis '{diag_id}', which the report does not contain"
    return None
