"""Leads from the guide's text: the catalog ids whose sections read closest to the question.

The rules reach a diagnosis from facts; a question worded unlike anything the phrases and
meanings know reaches few or none. The guide itself is a second reader of the words: the
question is searched in the bundled knowledge (the same hybrid search as `kb search`), and
each hit's section maps to the ids `knowledge/catalog-map.yaml` files under it. Measured on
the dev split, the first three ids found this way hold the thread's cause in about 4 of 5
cases, without any rule. The consultation fills the report up to three findings with them,
below every rule's finding and as info: something to check, never an alarm.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from assistant.datafile import load_yaml_file
from assistant.paths import KNOWLEDGE_DIR

__all__ = ["GuideLead", "guide_leads", "ids_by_anchor"]

PASSAGES = 8  # sections searched; their ids, in rank order, are the leads


@dataclass(frozen=True)
class GuideLead:
    id: str
    anchor: str        # <file-stem>/<heading-slug> of the section that matched
    section: str       # its heading path, for the evidence line
    rank: int          # 1 = the best-matching section


@lru_cache(maxsize=1)
def ids_by_anchor() -> dict[str, tuple[str, ...]]:
    """Section anchor -> the catalog ids filed under it (catalog-map order)."""
    out: dict[str, list[str]] = {}
    for diagnosis, anchors in (load_yaml_file(KNOWLEDGE_DIR / "catalog-map.yaml") or {}).items():
        for anchor in anchors or ():
            out.setdefault(anchor, []).append(diagnosis)
    return {a: tuple(ids) for a, ids in out.items()}


def guide_leads(question: str, exclude: set[str], n: int) -> list[GuideLead]:
    """Up to ``n`` catalog ids not in ``exclude``, from the guide sections closest to ``question``."""
    if n <= 0 or not question.strip():
        return []
    from assistant.retrieval import get_index
    from assistant.retrieval.search import search

    mapping = ids_by_anchor()
    leads: list[GuideLead] = []
    seen = set(exclude)
    for rank, passage in enumerate(search(get_index(), question, k=PASSAGES, origin="knowledge"), 1):
        for diagnosis in mapping.get(passage.anchor, ()):
            if diagnosis not in seen:
                seen.add(diagnosis)
                leads.append(GuideLead(diagnosis, passage.anchor, passage.heading_path, rank))
                if len(leads) == n:
                    return leads
    return leads
