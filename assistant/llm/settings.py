"""Whether an LLM is configured, and how to reach it. Off unless configured.

Configured by the environment (OPENAI_API_KEY, OPENAI_BASE_URL, TSA_LLM_MODEL)
or the `[llm]` table of the config file (model, base_url, api_key, timeout);
the environment wins. Any OpenAI-compatible endpoint works: OpenAI, vLLM,
Ollama, LiteLLM.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from assistant.errors import AssistantError
from assistant.retrieval.settings import config_section

__all__ = ["LLMSettings", "DEFAULT_MODEL", "DEFAULT_TIMEOUT_S"]

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class LLMSettings:
    model: str
    base_url: str | None = None
    api_key: str | None = None
    timeout: float = DEFAULT_TIMEOUT_S

    @classmethod
    def load(cls) -> "LLMSettings | None":
        """The configured endpoint, or None: then every answer stays templated."""
        cfg = config_section("llm")
        base_url = os.environ.get("OPENAI_BASE_URL") or cfg.get("base_url")
        api_key = os.environ.get("OPENAI_API_KEY") or cfg.get("api_key")
        model = os.environ.get("TSA_LLM_MODEL") or cfg.get("model")
        if not (base_url or api_key or model):
            return None
        try:
            timeout = float(cfg.get("timeout", DEFAULT_TIMEOUT_S))
        except (TypeError, ValueError):
            raise AssistantError(f"llm.timeout '{cfg.get('timeout')}' is not a number of seconds") from None
        return cls(model=str(model or DEFAULT_MODEL), base_url=base_url, api_key=api_key, timeout=timeout)
