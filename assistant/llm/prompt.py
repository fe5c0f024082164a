"""The grounded prompt: the report's findings plus numbered passages, secrets redacted.

The LLM only phrases what the rules concluded. It sees the diagnoses with their
evidence and fixes, and the passages it must cite by number; everything sent
goes through `assistant.redact.redact` first (logs carry tokens).
"""
from __future__ import annotations

from dataclasses import dataclass

from assistant.redact import redact
from assistant.report import Report

__all__ = ["PromptPassage", "SYSTEM", "build_messages"]

SYSTEM = """You write the answer of the Training Stability Assistant. A rule-based expert system has \
already diagnosed the user's fine-tuning run; you explain its findings plainly and concretely.
Rules:
- Use only the report and the numbered passages. Cite every passage you rely on as [n]; cite at least one.
- Never name or suggest a cause or diagnosis that is not in the report. With no diagnosis in the report, \
answer the question from the passages alone.
- Keep config keys, metric names and values exactly as written. At most 200 words."""

_PASSAGE_CHARS = 1500   # a passage longer than this is cut: the prompt stays small and cheap


@dataclass(frozen=True)
class PromptPassage:
    source: str
    section: str
    text: str


def _report_block(report: Report) -> str:
    if not report.diagnoses:
        return "Diagnoses: none (no rule matched the evidence)."
    lines = ["Diagnoses (most likely first):"]
    for n, d in enumerate(report.diagnoses[:5], 1):
        lines.append(f"{n}. {d.id}: {d.title} (certainty {d.certainty:.2f}, {d.severity})")
        lines.extend(f"   evidence: {e.text}" + (f" ({e.source})" if e.source else "") for e in d.evidence[:4])
        for f in d.fixes[:3]:
            patch = ", ".join(f"{k}: {v}" for k, v in (f.config_patch or {}).items())
            lines.append(f"   fix: {f.text}" + (f" [config: {patch}]" if patch else ""))
    return "\n".join(lines)


def build_messages(report: Report, passages: list[PromptPassage]) -> list[dict[str, str]]:
    """Chat messages for an OpenAI-compatible endpoint; every string redacted."""
    numbered = []
    for n, p in enumerate(passages, 1):
        text = p.text if len(p.text) <= _PASSAGE_CHARS else p.text[:_PASSAGE_CHARS].rsplit(" ", 1)[0] + " …"
        numbered.append(f"[{n}] {p.section} ({p.source})\n{text}")
    user = "\n\n".join([
        f"Question: {report.question or '(none; explain the diagnoses)'}",
        _report_block(report),
        "Passages:\n" + "\n\n".join(numbered),
    ])
    return [{"role": "system", "content": redact(SYSTEM)}, {"role": "user", "content": redact(user)}]
