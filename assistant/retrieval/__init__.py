"""Retrieval over knowledge/ and the user's documents: a Chroma index, hybrid search.

This package's import is cheap (no chromadb, numpy, bm25s or tokenizers): the
consultation imports it to ask whether retrieval is needed at all, and each heavy
dependency is imported inside the function that uses it.

    passages_for(report_or_query, k)  -> list[Passage]   the index opened (and built) on demand
    get_index()                        -> KnowledgeIndex   the default index, cached per process
    search(index, query, k, mode, origin)                  hybrid | lexical | dense
"""
from __future__ import annotations

import os
import sys
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if "numpy" not in sys.modules:
    # One BLAS thread unless the user says otherwise: a query embeds a dozen tokens, which
    # threads do not speed up, and OpenBLAS's spinning threads collapse when cores are shared
    # (measured on a busy 2-core box: 22 ms per query with one thread, 290 ms with two).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

if TYPE_CHECKING:
    from assistant.report import Report
    from assistant.retrieval.index import KnowledgeIndex
    from assistant.retrieval.search import Passage

__all__ = ["get_index", "passages_for", "query_for"]


@lru_cache(maxsize=1)
def _cached_index() -> "KnowledgeIndex":
    from assistant.retrieval.index import KnowledgeIndex

    return KnowledgeIndex()


def get_index(progress: Any = None, force: bool = False) -> "KnowledgeIndex":
    """The default index (settings from env/config), brought up to date with its sources."""
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
