"""The user's words -> facts: named symptoms (phrases), quantitative claims (symptom facts as a
detector would assert them) and the numbers a memory estimate needs."""
from __future__ import annotations

from assistant.engine.facts import Fact
from assistant.words.claims import facts_from_claims
from assistant.words.phrases import Phrase, context_facts, load_phrases, normalise, phrase_facts
from assistant.words.quantities import facts_from_quantities

__all__ = ["Phrase", "context_facts", "facts_from_words", "kind_from_words", "load_phrases", "normalise"]

# Run kinds the user's words name, for reading their other words and the run's curves: a GRPO loss is a
# signed objective, a pretraining loss has no chat fine-tuning range.
_KIND_WORDS = {"user.grpo": "grpo", "user.pretraining": "pretrain"}
_WEAK_KINDS = ("sft", "unknown")


def kind_from_words(question: str, run_kind: str = "unknown") -> str:
    """The run kind to read by: a config's or log's kind, unless it is only the "sft" default and the
    words name another (GRPO, PPO, pretraining)."""
    if run_kind not in _WEAK_KINDS or not question.strip():
        return run_kind
    named = {_KIND_WORDS[f.name] for f in phrase_facts(question) if f.name in _KIND_WORDS}
    return next((k for k in _KIND_WORDS.values() if k in named), run_kind)  # an RL run first


def facts_from_words(question: str, run_kind: str = "unknown") -> list[Fact]:
    """Everything the question says, each fact with source "question"."""
    if not question.strip():
        return []
    found = phrase_facts(question) + facts_from_claims(question, kind_from_words(question, run_kind))
    context = context_facts()
    if not any(f.name not in context for f in found):
        from assistant.words.semantic import semantic_facts  # the embedder loads only here

        found += semantic_facts(question, exclude=[f.name for f in found])
    return found + facts_from_quantities(question)
