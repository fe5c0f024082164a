"""Leads from text: the catalog ids that the guide's sections and resolved threads closest to the
question point at.

The rules reach a diagnosis from facts; a question worded unlike anything the phrases and
meanings know reaches few or none. Two readers of the words stand behind them:

* the guide: the question is searched in the bundled knowledge (the same hybrid search as
  `kb search`), and each hit's section maps to the ids `knowledge/catalog-map.yaml` files
  under it;
* resolved threads: the causes of the dev corpus's threads closest in meaning (`cases.py`).

Each gives a ranking of ids; the two are fused by reciprocal rank. Measured on the dev split
with no rule at all, the first three fused ids hold the thread's cause in 0.86 of the cases
(the guide alone 0.79, the threads alone 0.75, leave-one-out). The consultation fills a
report up to three findings with them, below every rule's finding and as info: something to
check, never an alarm.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from assistant.datafile import load_yaml_file
from assistant.paths import KNOWLEDGE_DIR
from assistant.retrieval.cases import ResolvedCase

__all__ = ["GuideHit", "ThreadHit", "Lead", "leads", "guide_ranking", "thread_ranking", "ids_by_anchor"]

PASSAGES = 8  # sections searched; their ids, in rank order, are the guide's ranking
FUSION_K = 4  # reciprocal-rank constant (dev, no rules: top-1 0.57 at 0, 0.62 at 4, 0.60 at 59)


@dataclass(frozen=True)
class GuideHit:
    anchor: str        # <file-stem>/<heading-slug> of the section that matched
    section: str       # its heading path, for the evidence line
    rank: int          # 1 = the best-matching section


@dataclass(frozen=True)
class ThreadHit:
    case: ResolvedCase  # the closest resolved thread with this cause
    similarity: float


@dataclass(frozen=True)
class Lead:
    id: str
    guide: GuideHit | None
    thread: ThreadHit | None


@lru_cache(maxsize=1)
def ids_by_anchor() -> dict[str, tuple[str, ...]]:
    """Section anchor -> the catalog ids filed under it (catalog-map order)."""
    out: dict[str, list[str]] = {}
    for diagnosis, anchors in (load_yaml_file(KNOWLEDGE_DIR / "catalog-map.yaml") or {}).items():
        for anchor in anchors or ():
            out.setdefault(anchor, []).append(diagnosis)
    return {a: tuple(ids) for a, ids in out.items()}


def guide_ranking(question: str) -> dict[str, GuideHit]:
    """Catalog id -> the best guide section filed under it, in rank order."""
    from assistant.retrieval import get_index
    from assistant.retrieval.search import search

    mapping = ids_by_anchor()
    out: dict[str, GuideHit] = {}
    for rank, passage in enumerate(search(get_index(), question, k=PASSAGES, origin="knowledge"), 1):
        for diagnosis in mapping.get(passage.anchor, ()):
            out.setdefault(diagnosis, GuideHit(passage.anchor, passage.heading_path, rank))
    return out


def thread_ranking(question: str) -> dict[str, ThreadHit]:
    """Catalog id -> the closest resolved thread with that cause, by the threads' vote; empty without
    the library or the embedder it was built with."""
    from assistant.retrieval.cases import library_and_vector

    found = library_and_vector(question)
    if found is None:
        return {}
    library, vector = found
    return {cause: ThreadHit(case, sim) for cause, _, case, sim in library.votes(vector)}


def leads(question: str, exclude: set[str], n: int) -> list[Lead]:
    """Up to ``n`` catalog ids not in ``exclude``, by the fused guide and thread rankings."""
    if n <= 0 or not question.strip():
        return []
    from assistant.retrieval.search import rrf

    guide, threads = guide_ranking(question), thread_ranking(question)
    fused = [i for i, _ in rrf([list(guide), list(threads)], k=FUSION_K) if i not in exclude]
    return [Lead(i, guide.get(i), threads.get(i)) for i in fused[:n]]
