"""What the tests in tests/words ask of the words layer and the rules, written once."""
from __future__ import annotations

from pathlib import Path

from assistant.consult import consult
from assistant.words import facts_from_words
from assistant.words.phrases import phrase_facts
from assistant.words.quantities import facts_from_quantities


def names(text: str) -> set[str]:
    """The facts the whole words layer reads from a question."""
    return {f.name for f in facts_from_words(text)}


def phrases(text: str) -> set[str]:
    """The facts the phrase table alone reads from a question (lower-cased, as the words layer passes it)."""
    return {f.name for f in phrase_facts(text.lower())}


def quantities(text: str) -> dict[str, object]:
    """The numbers the estimator needs, as the words give them: fact name -> value."""
    return {f.name: f.value for f in facts_from_quantities(text)}


def ids(text: str, attachments: list[Path] | None = None) -> list[str]:
    """The diagnosis ids of a consultation, in rank order."""
    return [d.id for d in consult(text, attachments=attachments or []).diagnoses]


def first(text: str) -> str | None:
    """The first-ranked diagnosis id, or None."""
    found = ids(text)
    return found[0] if found else None
