"""HOW a conclusion was reached and WHY a question is asked, for a person.

HOW walks the engine's justification tree: each rule that lent support, the
sentence it wrote, and the facts it rested on with their sources, down to the
evidence the user supplied. WHY names the conclusions an answer would decide.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from assistant.engine import Engine
from assistant.engine.facts import thaw
from assistant.rulebase import Vocabulary, load_catalog, load_vocabulary

__all__ = ["how_text", "why_text", "how_lines", "explanation"]


def _value(v: Any) -> str:
    v = thaw(v)
    if isinstance(v, dict):
        keep = {k: x for k, x in v.items() if x is not None and k not in ("line",)}
        text = ", ".join(f"{k}={x:.4g}" if isinstance(x, float) else f"{k}={x}" for k, x in list(keep.items())[:6])
        return "{" + text + "}"
    return repr(v) if isinstance(v, str) else str(v)


def how_lines(engine: Engine, conclusion_id: str) -> list[str]:
    """Indented lines: rule, certainty it lent, its sentence, then its premises."""
    explanations = engine.how(conclusion_id)
    lines: list[str] = []

    def walk(exps: list, depth: int) -> None:
        pad = "  " * depth
        for exp in exps:
            sentence = exp.meta.get("evidence") if isinstance(exp.meta, Mapping) else None
            sign = "supports" if exp.cf > 0 else "argues against"
            lines.append(f"{pad}• rule {exp.rule_id} {sign} it (cf {exp.cf:+.2f})" + (f" — {exp.description}" if exp.description else ""))
            if sentence:
                lines.append(f"{pad}    “{sentence}”")
            for p in exp.premises:
                if p.is_input or not p.explanation:
                    lines.append(f"{pad}    because {p.name} = {_value(p.value)}  [{p.source or 'given'}]")
                else:
                    lines.append(f"{pad}    because {p.name} (derived, cf {p.cf:.2f}), which holds since:")
                    walk(p.explanation, depth + 3)

    walk(explanations, 0)
    return lines


def how_text(engine: Engine, conclusion_id: str) -> str:
    catalog = load_catalog()
    concl = next((c for c in engine.conclusions() if c.id == conclusion_id), None)
    if concl is None:
        return f"{conclusion_id}: no rule reached this conclusion from the evidence given."
    head = f"HOW {conclusion_id} ({catalog.title(conclusion_id)}) reached certainty {concl.cf:.2f}:"
    note = "  (several rules combine MYCIN-style: cf = a + b(1 - a) for two supporting rules)"
    return "\n".join([head, note, *how_lines(engine, conclusion_id)])


def why_text(engine: Engine, fact_name: str, vocab: Vocabulary | None = None) -> str:
    vocab = vocab or load_vocabulary()
    ask = vocab.askable.get(fact_name) or vocab.askable.get(f"answer.{fact_name}")
    name = ask.fact if ask else fact_name
    rules = engine.why(name)
    if not rules:
        return f"{name}: no rule uses this fact, so its answer would change nothing."
    current = {c.id: c.cf for c in engine.conclusions()}
    decided: dict[str, list[str]] = {}
    for w in rules:
        for concl in w.conclusions:
            decided.setdefault(concl, []).append(w.rule_id)
    lines = [f"WHY ask {name}" + (f" — “{ask.text}”" if ask else "") + ":",
             "its answer feeds these rules, which decide:"]
    for concl, rule_ids in sorted(decided.items(), key=lambda kv: -current.get(kv[0], 0.0)):
        state = f"now {current[concl]:.2f}" if concl in current else "not concluded yet"
        lines.append(f"  • {concl} ({state}) via {', '.join(sorted(set(rule_ids)))}")
    return "\n".join(lines)


def explanation(engine: Engine, report: Any, how: Sequence[str] = (), why: Sequence[str] = ()) -> str:
    """HOW for the given diagnosis ids and WHY for the given questions; with neither, every diagnosis of
    ``report`` and every question it asks (what `assistant explain` and the MCP tool print)."""
    ids = list(how) if (how or why) else [d.id for d in report.diagnoses]
    facts = list(why) if (how or why) else [q.fact for q in report.questions]
    blocks = [how_text(engine, i) for i in ids] + [why_text(engine, f) for f in facts]
    return "\n\n".join(blocks) if blocks else "Nothing was concluded and no question is pending."
