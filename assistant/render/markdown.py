"""Report -> Markdown: the whole consultation for `/export`, and the short reply a chat shows.

The export is meant to be pasted into an issue or a runbook: the question, the
evidence that was read, the ranked diagnoses with their fixes as YAML patches,
the guide sections they rest on, and the conversation that led there.
"""
from __future__ import annotations

from typing import Any, Iterable

from assistant.redact import redact
from assistant.report import Diagnosis, Report

__all__ = ["patch_yaml", "render_diagnosis", "render_markdown", "render_reply"]


def patch_yaml(patch: dict) -> str:
    """A config patch as the YAML a person pastes into their axolotl config."""
    import yaml  # not at module level: the chat imports this module before its first paint

    return yaml.safe_dump(patch, default_flow_style=False, sort_keys=False).rstrip()


def _flat(patch: dict, prefix: str = "") -> list[tuple[str, Any]]:
    """Nested patch keys as dotted names, so a patch fits inline: ``trl.max_completion_length: 512``."""
    out: list[tuple[str, Any]] = []
    for k, v in patch.items():
        out += _flat(v, f"{prefix}{k}.") if isinstance(v, dict) else [(f"{prefix}{k}", v)]
    return out


def _source(text: str) -> str:
    return f" (`{text}`)" if text else ""


def _headline(d: Diagnosis) -> str:
    return f"**{d.title}** · `{d.id}` · {d.certainty:.2f} · {d.severity}"


def render_reply(report: Report, limit: int = 3) -> str:
    """The chat's answer to one turn: the top diagnoses with their strongest evidence and first fix.

    With no diagnosis the report's own answer (templated, or retrieved with
    sources once retrieval exists) is the reply.
    """
    out: list[str] = [f"> ⚠ {w}" for w in report.warnings[:3]]
    if not report.diagnoses:
        out.append(report.answer or "No diagnosis yet.")
        return redact("\n\n".join(out))
    for n, d in enumerate(report.diagnoses[:limit], 1):
        lines = [f"{n}. {_headline(d)}"]
        if d.evidence:
            lines.append(f"   {d.evidence[0].text}{_source(d.evidence[0].source)}")
        if d.fixes:
            fix = d.fixes[0]
            patch = ", ".join(f"`{patch_yaml({k: v})}`" for k, v in _flat(fix.config_patch or {}))
            lines.append(f"   Fix: {fix.text}" + (f" → {patch}" if patch else ""))
        out.append("  \n".join(lines))  # two spaces: a hard line break inside the list item
    more = len(report.diagnoses) - limit
    if more > 0:
        out.append(f"_+{more} more in the findings panel._")
    return redact("\n\n".join(out))


def render_diagnosis(d: Diagnosis, heading: str = "###") -> str:
    """One diagnosis in full: evidence with sources, fixes with patches, guide sections, rules."""
    out = [f"{heading} {d.title} (`{d.id}`)", "", f"Certainty **{d.certainty:.2f}**, severity **{d.severity}**.", ""]
    if d.evidence:
        out += ["**Evidence**", ""] + [f"- {e.text}{_source(e.source)}" for e in d.evidence] + [""]
    if d.fixes:
        out += ["**Fixes**", ""]
        for f in d.fixes:
            out.append(f"- {f.text}")
            if f.config_patch:
                out += ["", "  ```yaml", *("  " + ln for ln in patch_yaml(f.config_patch).splitlines()), "  ```", ""]
            if f.command:
                out += ["", "  ```bash", f"  {f.command}", "  ```", ""]
        out.append("")
    if d.citations:
        out += ["**Guide:** " + "; ".join(f"{c.section} (`{c.doc}#{c.anchor}`)" for c in d.citations), ""]
    if d.trace:
        out += ["Rules: " + " → ".join(f"`{r}`" for r in d.trace), ""]
    return redact("\n".join(out).rstrip() + "\n")


def render_markdown(report: Report, transcript: Iterable[tuple[str, str]] = ()) -> str:
    """The whole consultation; ``transcript`` is (who, markdown) pairs, who = "user" | "assistant"."""
    out = ["# Training stability consultation", "", "## Question", ""]
    question = report.question.strip()
    out += [*(f"> {ln}" for ln in question.splitlines()), ""] if question else ["_(none typed)_", ""]

    out += ["## Evidence", ""]
    if report.inputs:
        out += ["| file | read as | facts |", "|---|---|---|"]
        out += [f"| `{i.path}` | {i.kind} | {i.facts} |" for i in report.inputs]
        out.append("")
    else:
        out += ["No attachments.", ""]
    answers = [f for f in report.facts if str(f.get("name", "")).startswith("answer.")]
    if answers:
        out += ["Answers given:", ""] + [f"- `{a['name'][len('answer.'):]}` = {a['value']}" for a in answers] + [""]
    if report.warnings:
        out += ["Warnings:", ""] + [f"- {w}" for w in report.warnings] + [""]

    out += ["## Diagnoses", ""]
    if report.diagnoses:
        for n, d in enumerate(report.diagnoses, 1):
            out += [render_diagnosis(d, f"### {n}.")]
    else:
        out += [report.answer or "No diagnosis.", ""]
    if report.ruled_out:
        out += ["Ruled out: " + ", ".join(f"`{r}`" for r in report.ruled_out), ""]

    if report.questions:
        out += ["## Open questions", ""]
        for q in report.questions:
            choices = " | ".join(q.choices) if q.choices else "free answer"
            out.append(f"- {q.text} ({choices})" + (f" — {q.why}" if q.why else ""))
        out.append("")

    sources = {(c.doc, c.anchor): c for d in report.diagnoses for c in d.citations}
    if sources:
        out += ["## Sources", ""]
        for c in sources.values():
            out.append(f"- **{c.section}** — `{c.doc}#{c.anchor}`" + (f": {c.snippet}" if c.snippet else ""))
        out.append("")

    turns = list(transcript)
    if turns:
        out += ["## Transcript", ""]
        for who, text in turns:
            if who == "user":
                out += [f"**You:** {text}", ""]
            else:
                out += [*(f"> {ln}" if ln else ">" for ln in text.splitlines()), ""]
    return redact("\n".join(out).rstrip() + "\n")
