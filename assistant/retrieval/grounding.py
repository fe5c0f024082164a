"""What the consultation asks of retrieval, behind one cheap check.

`needs_retrieval(report)` reads only the report and the manifest, so a report
the rules answered, with no user documents registered, never opens the index.
`ground(report)` then either adds the user's most relevant passages to each
diagnosis, or, for a question no rule covers, answers from the docs with
sources. A broken index becomes a warning; the consultation always completes.
"""
from __future__ import annotations

from assistant.report import Diagnosis, Report
from assistant.retrieval.manifest import has_user_docs

__all__ = ["needs_retrieval", "ground", "docs_answer", "USER_CITATIONS", "ANSWER_PASSAGES"]

USER_CITATIONS = 2    # extra citations per diagnosis from the user's documents
ANSWER_PASSAGES = 3   # passages quoted when the docs answer a question no rule covers


def needs_retrieval(report: Report) -> bool:
    """Retrieval runs for user-doc citations, or for a bare question no rule covers.

    When evidence was attached and the rules found nothing in it, that finding is the
    answer (a healthy run); the docs are not searched for it.
    """
    if report.diagnoses:
        return has_user_docs()
    return bool(report.question.strip()) and not report.inputs


def _diagnosis_query(d: Diagnosis) -> str:
    return " ".join([d.title, *(e.text for e in d.evidence[:3])])


def docs_answer(passages: list, templated: str) -> str:
    """The answer to a question no rule covers: the passages (heading path, source,
    snippet each), closed by the templated hint (attach a log...)."""
    lines = ["No rule covers this question; here is what the docs say:"]
    for n, p in enumerate(passages, 1):
        lines.append(f"[{n}] {p.heading_path} ({p.source})")
        lines.append(f"    {p.chunk.snippet(300)}")
    if templated:
        lines.append(templated)
    return "\n".join(lines)


def ground(report: Report) -> None:
    """Attach user-doc citations to diagnoses, or answer an uncovered question from the docs."""
    from assistant.retrieval import get_index
    from assistant.retrieval.search import search

    try:
        index = get_index()
        if report.diagnoses:
            for d in report.diagnoses:
                have = {(c.doc, c.section) for c in d.citations}
                for p in search(index, _diagnosis_query(d), k=USER_CITATIONS, origin="user"):
                    if (p.source, p.heading_path) not in have:
                        d.citations.append(p.citation())
        else:
            passages = search(index, report.question, k=ANSWER_PASSAGES)
            if passages:
                report.answer = docs_answer(passages, report.answer or "")
                report.answer_source = "docs"
        report.warnings.extend(f"[retrieval] {n}" for n in index.notices if f"[retrieval] {n}" not in report.warnings)
    except Exception as e:  # the index is an aid: any failure in it must not cost the user the diagnosis
        report.warnings.append(f"[retrieval] {type(e).__name__}: {e}")
