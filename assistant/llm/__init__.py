"""Optional LLM phrasing over an OpenAI-compatible endpoint; off unless configured.

The rules decide the diagnosis: the LLM gets the report and numbered passages,
must cite them, and is rejected if it names a diagnosis the report lacks. This
package's import is cheap; `openai` loads only when a call is made.

    phrase_report(report)                   report.answer from the LLM, or a one-line notice
    AnswerStream(report, settings)          streaming for chat front ends
    LLMSettings.load()                      None when no endpoint is configured
"""
from __future__ import annotations

from typing import Any

from assistant.llm.settings import LLMSettings

__all__ = ["AnswerStream", "LLMSettings", "phrase_report", "prompt_passages"]


def phrase_report(report: Any, settings: LLMSettings | None = None) -> None:
    """Set report.answer from the LLM when one is configured; otherwise leave the templated answer.
    The prompt, client and validation modules load only when an endpoint is configured."""
    settings = settings or LLMSettings.load()
    if settings is None:
        return
    from assistant.llm.answer import phrase_report as phrase

    phrase(report, settings)


def __getattr__(name: str) -> Any:
    if name in ("AnswerStream", "prompt_passages"):
        from assistant.llm import answer

        return getattr(answer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
