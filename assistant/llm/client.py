"""Calls to an OpenAI-compatible chat endpoint, with an on-disk response cache.

The `openai` client is imported only here and only when a call is made (about
1 s of import). Retries are off: a slow or failing endpoint should fall back to
the templated answer within the configured timeout, not three times over.
The cache key is a hash of the model and the full prompt, so a repeated
question with the same evidence costs no request.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Iterator

from assistant.llm.settings import LLMSettings
from assistant.paths import cache_dir

__all__ = ["cache_key", "cached", "complete", "stream"]

Messages = list[dict[str, str]]


def cache_key(model: str, messages: Messages) -> str:
    return hashlib.sha256(json.dumps({"model": model, "messages": messages}, sort_keys=True).encode()).hexdigest()


def _cache_file(key: str) -> Path:
    return cache_dir() / "llm" / f"{key}.json"


def cached(settings: LLMSettings, messages: Messages) -> str | None:
    try:
        return json.loads(_cache_file(cache_key(settings.model, messages)).read_text(encoding="utf-8"))["reply"]
    except (OSError, ValueError, KeyError):
        return None


def _store(settings: LLMSettings, messages: Messages, reply: str) -> None:
    path = _cache_file(cache_key(settings.model, messages))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"model": settings.model, "reply": reply}), encoding="utf-8")
    os.replace(tmp, path)


def _client(settings: LLMSettings) -> Any:
    import openai  # lazy: ~1 s, only when an LLM call is actually made

    # A local server (vLLM, Ollama) often needs no key, but the client insists on one.
    return openai.OpenAI(api_key=settings.api_key or "unused", base_url=settings.base_url,
                         timeout=settings.timeout, max_retries=0)


def complete(settings: LLMSettings, messages: Messages) -> str:
    """The reply text (cached). Network errors, timeouts and HTTP errors propagate to the caller."""
    hit = cached(settings, messages)
    if hit is not None:
        return hit
    resp = _client(settings).chat.completions.create(model=settings.model, messages=messages, temperature=0)
    reply = resp.choices[0].message.content or ""
    _store(settings, messages, reply)
    return reply


def stream(settings: LLMSettings, messages: Messages) -> Iterator[str]:
    """Text chunks as they arrive; the whole reply is cached once the stream ends normally."""
    hit = cached(settings, messages)
    if hit is not None:
        yield hit
        return
    parts: list[str] = []
    for event in _client(settings).chat.completions.create(model=settings.model, messages=messages,
                                                           temperature=0, stream=True):
        delta = event.choices[0].delta.content if event.choices else None
        if delta:
            parts.append(delta)
            yield delta
    _store(settings, messages, "".join(parts))
