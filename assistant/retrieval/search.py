"""Hybrid search: BM25 and dense rankings fused by reciprocal rank fusion.

RRF (Cormack et al. 2009) adds 1/(k + rank) over the rankings a passage appears
in: it needs no score calibration between BM25 and cosine, and a passage both
rankings like rises above one that only one of them likes. Each ranking is
first reduced to distinct sections (a section ranks where its best window
does), so a long section cut into many windows gets no extra votes, and the
results are distinct sections.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Literal, Sequence

from assistant.report import Citation
from assistant.retrieval.chunks import Chunk
from assistant.retrieval.index import KnowledgeIndex

__all__ = ["Passage", "Mode", "search", "rrf", "RRF_K"]

Mode = Literal["hybrid", "lexical", "dense"]
RRF_K = 60          # the paper's constant; results barely move between 5 and 60 on the bench
DEPTH = 50          # how deep each ranking is read before fusing
MIN_COSINE = 0.25   # a dense hit below this is unrelated text for this model


@dataclass(frozen=True)
class Passage:
    chunk: Chunk
    score: float

    @property
    def source(self) -> str:
        return self.chunk.source

    @property
    def heading_path(self) -> str:
        return self.chunk.heading_path

    @property
    def anchor(self) -> str:
        return self.chunk.anchor

    def citation(self) -> Citation:
        return Citation(doc=self.chunk.source, section=self.chunk.heading_path, snippet=self.chunk.snippet(),
                        anchor=self.chunk.anchor)


def rrf(rankings: Sequence[Sequence[Hashable]], k: int = RRF_K) -> list[tuple[Hashable, float]]:
    """Fused (item, score), best first; ties keep the order of first appearance."""
    scores: dict[Hashable, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank + 1)
    return sorted(scores.items(), key=lambda kv: -kv[1])


def _lexical(index: KnowledgeIndex, query: str, origin: str | None) -> list[int]:
    import numpy as np

    scores = index.bm25.scores(query)
    order = np.argsort(-scores, kind="stable")
    ranked = [int(i) for i in order if scores[i] > 0 and (origin is None or index.chunks[i].origin == origin)]
    return ranked[:DEPTH]


def _dense(index: KnowledgeIndex, query: str, origin: str | None) -> list[int]:
    info, embedder = index.info, index.embedder
    if info is None or not info.collection or embedder is None:
        return []
    position = {c.id: i for i, c in enumerate(index.chunks)}
    hits = index.store.query(info.collection, embedder.embed([query])[0], DEPTH, origin)
    return [position[cid] for cid, sim in hits if sim >= MIN_COSINE and cid in position]


def _sections(index: KnowledgeIndex, ranking: list[int], best: dict[tuple[str, str], int]) -> list[tuple[str, str]]:
    """Chunk ranking -> section ranking; `best` keeps each section's first (best) chunk."""
    out = []
    for i in ranking:
        chunk = index.chunks[i]
        key = (chunk.source, chunk.heading_path)
        if key not in best:
            best[key] = i
        if key not in out:
            out.append(key)
    return out


def search(index: KnowledgeIndex, query: str, k: int = 5, mode: Mode = "hybrid",
           origin: str | None = None) -> list[Passage]:
    """The k best distinct sections for `query`; `origin="user"` searches only the user's docs."""
    if not query.strip() or index.info is None:
        return []
    best: dict[tuple[str, str], int] = {}
    rankings = []
    if mode in ("hybrid", "lexical"):
        rankings.append(_sections(index, _lexical(index, query, origin), best))
    if mode in ("hybrid", "dense"):
        rankings.append(_sections(index, _dense(index, query, origin), best))
    return [Passage(index.chunks[best[key]], round(score, 4)) for key, score in rrf(rankings)[:k]]
