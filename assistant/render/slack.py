"""Report -> a Slack Block Kit message: ranked diagnoses with evidence, fixes and sources,
what was read, and the next follow-up question with its choices as buttons.

Every string is redacted and escaped for mrkdwn here (``&``, ``<``, ``>``), so text
from a log can neither leak a token nor ping ``<!channel>``. Button ids are the
contract with the bot's action listeners: ``answer:<n>`` carries ``fact=value``,
``forget`` deletes the consultation.
"""
from __future__ import annotations

from typing import Any, Iterable

from assistant.redact import redact
from assistant.render.markdown import patch_yaml
from assistant.report import Diagnosis, Question, Report

__all__ = ["render_blocks", "ANSWER_ACTION", "FORGET_ACTION", "escape"]

ANSWER_ACTION = "answer"  # action_id prefix: answer:<n>, value "answer.fact=choice"
FORGET_ACTION = "forget"
MAX_DIAGNOSES = 3
SECTION_LIMIT = 3000  # Slack's cap on a section's text
BUTTON_LIMIT = 75  # Slack's cap on a button's label

Block = dict[str, Any]


def escape(text: str) -> str:
    """Redacted and safe for mrkdwn: Slack reads ``<...>`` as links and mentions."""
    return redact(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int = SECTION_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(text)}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(text)}]}


def _diagnosis(n: int, d: Diagnosis) -> list[Block]:
    lines = [f"*{n}. {escape(d.title)}*  `{escape(d.id)}` · certainty {d.certainty:.2f} · {escape(d.severity)}"]
    for e in d.evidence[:3]:
        lines.append(f"• {escape(e.text)}" + (f" (`{escape(e.source)}`)" if e.source else ""))
    for f in d.fixes[:2]:
        lines.append(f"*Fix:* {escape(f.text)}")
        if f.config_patch:
            lines.append(f"```{escape(patch_yaml(f.config_patch))}```")
        if f.command:
            lines.append(f"```$ {escape(f.command)}```")
    blocks = [_section("\n".join(lines))]
    if d.citations:
        blocks.append(_context("Guide: " + "; ".join(escape(c.section) for c in d.citations[:3])))
    return blocks


def _question(q: Question) -> list[Block]:
    fact = q.fact.removeprefix("answer.")
    text = f"*Next question:* {escape(q.text)}" + (f"\n_{escape(q.why)}_" if q.why else "")
    if not q.choices:
        return [_section(text + f"\nReply in this thread with `{escape(fact)}=VALUE`.")]
    buttons = [{"type": "button", "action_id": f"{ANSWER_ACTION}:{i}", "value": f"{q.fact}={choice}",
                "text": {"type": "plain_text", "text": _clip(redact(choice.replace("_", " ")), BUTTON_LIMIT)}}
               for i, choice in enumerate(q.choices[:24])]
    return [_section(text), {"type": "actions", "block_id": "question", "elements": buttons}]


def render_blocks(report: Report, notes: Iterable[str] = ()) -> tuple[str, list[Block]]:
    """(fallback text, blocks) for one reply; ``notes`` are this turn's one-liners (a refused upload...)."""
    blocks: list[Block] = [_section(f":warning: {escape(n)}") for n in notes]
    answer = escape(report.answer or "No diagnosis yet.")
    blocks.append(_section(answer))
    for n, d in enumerate(report.diagnoses[:MAX_DIAGNOSES], 1):
        blocks += _diagnosis(n, d)
    rest = report.diagnoses[MAX_DIAGNOSES:]
    if rest:
        blocks.append(_context(f"+{len(rest)} less likely: " + ", ".join(f"`{escape(d.id)}`" for d in rest)))
    read = [f"Read `{escape(i.path)}` as {escape(i.kind)} ({i.facts} facts)" for i in report.inputs]
    read += [f"⚠ {escape(w)}" for w in report.warnings[:5]]
    if read:
        blocks.append(_context("\n".join(read)))
    if report.questions:
        blocks.append({"type": "divider"})
        blocks += _question(report.questions[0])
        others = [f"`{escape(q.fact.removeprefix('answer.'))}=" + "|".join(escape(c) for c in q.choices or ["VALUE"]) + "`"
                  for q in report.questions[1:]]
        if others:
            blocks.append(_context("Also worth answering (reply in this thread): " + "  ".join(others)))
    blocks.append({"type": "actions", "block_id": "consultation", "elements": [{
        "type": "button", "action_id": FORGET_ACTION, "style": "danger",
        "text": {"type": "plain_text", "text": "Forget this consultation"},
        "confirm": {"title": {"type": "plain_text", "text": "Forget it?"},
                    "text": {"type": "plain_text", "text": "Deletes this thread's attachments and answers."},
                    "confirm": {"type": "plain_text", "text": "Forget"},
                    "deny": {"type": "plain_text", "text": "Keep"}}}]})
    return answer, blocks
