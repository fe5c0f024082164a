"""What one answer changed: the previous report against the new one, in sentences.

A person who answers "yes, I lowered the LR and it still spikes" wants to see
the ranking move and why, not to diff two lists by eye. Certainty moves under
``MOVE`` are noise from combining evidence and are not reported.
"""
from __future__ import annotations

from typing import Any, Mapping

from assistant.report import Report

__all__ = ["counter_evidence", "what_changed", "MOVE"]

MOVE = 0.05


def counter_evidence(engine: Any) -> dict[str, list[str]]:
    """Per conclusion, the sentences of the rules that argue against it (negative certainty)."""
    out: dict[str, list[str]] = {}
    if engine is None:
        return out
    for concl in engine.conclusions():
        texts = []
        for j in concl.justifications:
            meta = j.meta if isinstance(j.meta, Mapping) else {}
            text = str(meta.get("evidence") or "").strip()
            if j.cf < 0 and text and text not in texts:
                texts.append(text)
        if texts:
            out[concl.id] = texts
    return out


def _because(against: Mapping[str, list[str]], diag_id: str) -> str:
    texts = against.get(diag_id)
    return f": {'; '.join(texts)}" if texts else ""


def what_changed(before: Report | None, after: Report, against: Mapping[str, list[str]] | None = None) -> list[str]:
    """Markdown sentences, most telling first: ruled out, the new leader, moves, newcomers."""
    if before is None:
        return []
    against = against or {}
    old = {d.id: d for d in before.diagnoses}
    new = {d.id: d for d in after.diagnoses}
    lines: list[str] = []
    for diag_id, d in old.items():
        if diag_id in new:
            continue
        if diag_id in after.ruled_out:
            lines.append(f"Ruled out `{diag_id}`{_because(against, diag_id)}")
        else:
            lines.append(f"No longer likely: `{diag_id}` (was {d.certainty:.2f}){_because(against, diag_id)}")
    leader = None
    if after.diagnoses and (not before.diagnoses or after.diagnoses[0].id != before.diagnoses[0].id):
        leader = after.diagnoses[0]
        lines.append(f"Most likely now: **{leader.title}** (`{leader.id}`, {leader.certainty:.2f})")
    for diag_id, d in new.items():
        if diag_id not in old:
            continue
        delta = d.certainty - old[diag_id].certainty
        if abs(delta) >= MOVE:
            arrow = "↑" if delta > 0 else "↓"
            why = _because(against, diag_id) if delta < 0 else ""
            lines.append(f"`{diag_id}` {old[diag_id].certainty:.2f} → {d.certainty:.2f} {arrow}{why}")
    for diag_id, d in new.items():
        if diag_id not in old and d is not leader:
            lines.append(f"New: `{diag_id}` {d.title} ({d.certainty:.2f})")
    return lines
