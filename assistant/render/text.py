"""Report -> plain text for a terminal: ranked diagnoses, evidence with sources,
fixes (config patches as YAML), guide sections, then the questions worth answering."""
from __future__ import annotations

import textwrap

from assistant.redact import redact
from assistant.report import Report

__all__ = ["render_text"]

WIDTH = 100


def _wrap(label: str, text: str) -> list[str]:
    pad = " " * 13
    lines = textwrap.wrap(text, WIDTH - 13) or [""]
    return [f"   {label:<10}{lines[0]}"] + [pad + ln for ln in lines[1:]]


def render_text(report: Report, max_diagnoses: int = 6) -> str:
    out: list[str] = []
    for inp in report.inputs:
        out.append(f"read {inp.path} as {inp.kind} ({inp.facts} facts)")
    for w in report.warnings:
        out.append(f"warning: {w}")
    if report.inputs or report.warnings:
        out.append("")
    if not report.diagnoses:
        out.append(report.answer or "No diagnosis.")
        out.append("")
    elif report.answer and report.answer_source != "template":
        out += [report.answer, ""]
    for n, d in enumerate(report.diagnoses[:max_diagnoses], 1):
        out.append(f"{n}. {d.id}  (certainty {d.certainty:.2f}, {d.severity}) — {d.title}")
        for i, e in enumerate(d.evidence[:4]):
            src = f" ({e.source})" if e.source else ""
            out += _wrap("evidence:" if i == 0 else "", e.text + src)
        for i, f in enumerate(d.fixes[:3]):
            out += _wrap("fix:" if i == 0 else "", f.text)
            if f.config_patch:
                import yaml  # lazy: only a report with a config patch needs it

                patch = yaml.safe_dump(f.config_patch, default_flow_style=False, sort_keys=False).rstrip()
                out += [" " * 15 + ln for ln in patch.splitlines()]
            if f.command:
                out.append(" " * 15 + "$ " + f.command)
        if d.citations:
            out += _wrap("guide:", "; ".join(c.section for c in d.citations[:3]))
        out.append("")
    hidden = len(report.diagnoses) - max_diagnoses
    if hidden > 0:
        out.append(f"(+{hidden} less likely: {', '.join(d.id for d in report.diagnoses[max_diagnoses:])})\n")
    if report.questions:
        out.append("Worth answering:")
        for q in report.questions:
            choices = "|".join(q.choices) if q.choices else "VALUE"
            out.append(f" - {q.text}")
            out.append(f"     --answer {q.fact.removeprefix('answer.')}={choices}" + (f"   (why: {q.why})" if q.why else ""))
    return redact("\n".join(out).rstrip() + "\n")
