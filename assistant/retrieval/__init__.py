"""Retrieval over knowledge/ and the user's documents: hybrid search (BM25 + MiniLM, fused).

This package's import is cheap (no chromadb, numpy, bm25s or tokenizers): the
consultation imports it to ask whether retrieval is needed at all, and each heavy
dependency is imported inside the function that uses it.

Two indexes answer `search`. With no documents of the user's registered, the guide
alone is searched in-process from arrays shipped in the package (`bundled`): no build,
no Chroma, no bm25s. Once `kb add` registered documents, the on-disk index (`index`:
BM25 files plus a Chroma collection, embedded or on a server) holds the guide and them.

    passages_for(report_or_query, k)  -> list[Passage]   the index opened (and built) on demand
    get_index()                        -> the default index, cached per process
    search(index, query, k, mode, origin)                  hybrid | lexical | dense
"""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from assistant.blas import one_blas_thread

one_blas_thread()

if TYPE_CHECKING:
    from assistant.report import Report
    from assistant.retrieval.index import KnowledgeIndex
    from assistant.retrieval.search import Passage, SearchableIndex

__all__ = ["get_index", "passages_for", "query_for"]


@lru_cache(maxsize=1)
def _cached_index() -> "KnowledgeIndex":
    from assistant.retrieval.index import KnowledgeIndex

    return KnowledgeIndex()


def get_index(progress: Any = None, force: bool = False) -> "SearchableIndex":
    """The default index: the shipped guide when the user registered no documents, else the
    on-disk index (settings from env/config) brought up to date with its sources. `force`
    rebuilds the on-disk index."""
    from assistant.retrieval.manifest import has_user_docs

    if not force and not has_user_docs():
        from assistant.retrieval.bundled import bundled_index

        return bundled_index()
    index = _cached_index()
    index.ensure(progress, force=force)
    return index


def query_for(report: "Report") -> str:
    """What to search for a report: the question, else the top diagnoses' titles and evidence."""
    if report.question.strip():
        return report.question
    parts = []
    for d in report.diagnoses[:2]:
        parts.append(d.title)
        parts.extend(e.text for e in d.evidence[:2])
    return " ".join(parts)


def passages_for(report_or_query: "Report | str", k: int = 5, origin: str | None = None) -> list["Passage"]:
    """The k best passages for a question or a report (hybrid search over the default index)."""
    from assistant.retrieval.search import search

    query = report_or_query if isinstance(report_or_query, str) else query_for(report_or_query)
    return search(get_index(), query, k=k, origin=origin)
