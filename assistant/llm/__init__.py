"""Optional LLM phrasing over an OpenAI-compatible endpoint; off unless configured.

The rules decide the diagnosis: the LLM gets the report and numbered passages,
must cite them, and is rejected if it names a diagnosis the report lacks. This
package's import is cheap; `openai` loads only when a call is made.

    phrase_report(report)                   report.answer from the LLM, or a one-line notice
    AnswerStream(report, settings)          streaming for chat front ends
    LLMSettings.load()                      None when no endpoint is configured
"""
from __future__ import annotations

from assistant.llm.answer import AnswerStream, phrase_report, prompt_passages
from assistant.llm.settings import LLMSettings

__all__ = ["AnswerStream", "LLMSettings", "phrase_report", "prompt_passages"]
