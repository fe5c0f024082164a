"""Precedent: resolved threads that read like the question lend weight to the rule findings they name.

The rules rank their findings by certainty factors written from the guide and the dev corpus;
on threads nobody here has read, the right cause is often among the findings but not first.
The causes of the closest resolved threads (`retrieval/cases.py`, the dev split) are a second
opinion of another kind: case-based, not rule-based. Each rule finding gains
PRECEDENT_WEIGHT times its share of the threads' vote; near 1 the sum is squashed so that it
stays a certainty. Nothing is added that no rule reached, and severities stay as the rules set
them: precedent reorders, it never raises an alarm.

The weight was chosen on threads unseen by the rules that ranked them (time-split): the dev
cases of eight later corpus batches, each ranked by the rules as they stood before the batch
was filed (85 problem threads): top-1 49 -> 55 at weights 1.0-1.5, 53-54 at 0.5-0.7, top-3
66 -> 67.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from assistant.report import Citation, Diagnosis, Evidence

__all__ = ["Precedent", "precedents", "weigh_by_precedent", "PRECEDENT_WEIGHT"]

PRECEDENT_WEIGHT = 1.0   # certainty added per unit of vote share (time-split, see above)
MIN_WORDS = 5            # a question shorter than this ("loss nan") says too little to find threads like it
_KNEE = 0.9              # above this the sum is squashed toward 1


@dataclass(frozen=True)
class Precedent:
    share: float      # of the closest threads' similarity-weighted vote
    source: str       # the closest thread with this cause
    resolution: str
    similarity: float


def precedents(question: str) -> dict[str, Precedent]:
    """Catalog id -> its share of the closest resolved threads' vote; empty for a question of a few words,
    or without the library or its embedder."""
    if len(question.split()) < MIN_WORDS:
        return {}
    from assistant.retrieval.cases import library_and_vector

    found = library_and_vector(question)
    if found is None:
        return {}
    library, vector = found
    votes = library.votes(vector)
    total = sum(vote for _, vote, _, _ in votes)
    if total <= 0:
        return {}
    return {cause: Precedent(vote / total, case.source, case.resolution, sim) for cause, vote, case, sim in votes}


def _squash(x: float) -> float:
    """The identity up to _KNEE, then a curve that keeps rising toward 1 and never reaches it."""
    if x <= _KNEE:
        return x
    return 1.0 - (1.0 - _KNEE) * math.exp(-(x - _KNEE) / (1.0 - _KNEE))


def weigh_by_precedent(diagnoses: list[Diagnosis], found: dict[str, Precedent]) -> None:
    """Add to each finding's certainty its share of the precedent (in place), citing the closest thread."""
    for d in diagnoses:
        p = found.get(d.id)
        if p is None:
            continue
        before = d.certainty
        d.certainty = round(_squash(before + PRECEDENT_WEIGHT * p.share), 3)
        d.evidence.append(Evidence(fact="precedent", source="question", text=(
            f"resolved threads that read like yours name this cause ({p.share:.0%} of their vote; closest, "
            f"similarity {p.similarity:.2f}: {p.source}" + (f" - {p.resolution}" if p.resolution else "") + ")")))
        d.citations.append(Citation(doc=p.source, section=f"resolved thread {p.source}", snippet=p.resolution))
        d.trace.append(f"precedent: {p.share:.0%} of the closest resolved threads' vote -> certainty "
                       f"{before:.3f} -> {d.certainty:.3f}")
