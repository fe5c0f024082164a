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
from typing import Any, Hashable, Literal, Protocol, Sequence

from assistant.report import Citation
from assistant.retrieval.chunks import Chunk

__all__ = ["Passage", "Mode", "SearchableIndex", "search", "rrf", "RRF_K"]

Mode = Literal["hybrid", "lexical", "dense"]
RRF_K = 60          # the paper's constant; results barely move between 5 and 60 on the bench
DEPTH = 50          # how deep each ranking is read before fusing
MIN_COSINE = 0.25   # a dense hit below this is unrelated text for this model


class SearchableIndex(Protocol):
    """What search needs of an index: the shipped guide (`bundled.BundledIndex`) or the
    on-disk index with the user's documents (`index.KnowledgeIndex`)."""

    chunks: list[Chunk]
    info: Any            # None until the index is ready
    has_dense: bool      # whether dense_hits can answer

    @property
    def embedder(self) -> Any: ...

    def lexical_scores(self, query: str) -> Any: ...

    def dense_hits(self, vector: Any, n: int, origin: str | None = None) -> list[tuple[int, float]]: ...


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


def _lexical(index: SearchableIndex, query: str, origin: str | None) -> list[int]:
    import numpy as np

    scores = index.lexical_scores(query)
    order = np.argsort(-scores, kind="stable")
    ranked = [int(i) for i in order if scores[i] > 0 and (origin is None or index.chunks[i].origin == origin)]
    return ranked[:DEPTH]


def _dense(index: SearchableIndex, query: str, origin: str | None) -> list[int]:
    embedder = index.embedder
    if embedder is None or not index.has_dense:
        return []
    hits = index.dense_hits(embedder.embed([query])[0], DEPTH, origin)
    return [i for i, sim in hits if sim >= MIN_COSINE]


def _sections(index: SearchableIndex, ranking: list[int], best: dict[tuple[str, str], int]) -> list[tuple[str, str]]:
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


def search(index: SearchableIndex, query: str, k: int = 5, mode: Mode = "hybrid",
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
