"""The user's words -> facts: named symptoms (phrases), quantitative claims (symptom facts as a
detector would assert them) and the numbers a memory estimate needs."""
from __future__ import annotations

from assistant.engine.facts import Fact
from assistant.words.claims import facts_from_claims
from assistant.words.phrases import Phrase, context_facts, load_phrases, normalise, phrase_facts
from assistant.words.quantities import facts_from_quantities

__all__ = ["Phrase", "context_facts", "facts_from_words", "load_phrases", "normalise"]


def facts_from_words(question: str, run_kind: str = "unknown") -> list[Fact]:
    """Everything the question says, each fact with source "question"."""
    if not question.strip():
        return []
    found = phrase_facts(question) + facts_from_claims(question, run_kind)
    context = context_facts()
    if not any(f.name not in context for f in found):
        from assistant.words.semantic import semantic_facts  # the embedder loads only here

        found += semantic_facts(question, exclude=[f.name for f in found])
    return found + facts_from_quantities(question)
