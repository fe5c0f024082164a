"""What each MCP tool does: the same consultations the command line runs, with JSON-able results.

Files named by the client are resolved through ``Roots`` first; everything
returned is redacted. ``diagnose`` is ``ask --json --no-probe`` (the server's host
is rarely the training host: attach a probe report instead), ``explain`` is
``assistant explain``, ``estimate_memory`` is ``assistant estimate --json``,
``search_knowledge`` is ``assistant kb search --json``.
"""
from __future__ import annotations

import json
from typing import Any, Mapping, Sequence

from assistant.consult import Consultation
from assistant.errors import AssistantError
from assistant.mcp_server.roots import Roots
from assistant.redact import redact

__all__ = ["diagnose", "explain", "estimate_memory", "probe", "search_knowledge"]


def _consultation(roots: Roots, question: str, files: Sequence[str], answers: Mapping[str, str]) -> Consultation:
    paths = roots.resolve_all(files)  # every path checked before any is read
    c = Consultation(question=question.strip())
    for path in paths:
        c.attach(path)
    for fact, value in answers.items():
        try:
            c.answer(fact, str(value))
        except ValueError as e:
            raise AssistantError(f"answers: {e}") from None
    return c


def diagnose(roots: Roots, question: str = "", files: Sequence[str] = (),
             answers: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The report `ask --json` prints for the same question, files and answers."""
    from assistant.render.json import render_json

    report = _consultation(roots, question, files, answers or {}).run()
    return json.loads(render_json(report))


def explain(roots: Roots, question: str = "", files: Sequence[str] = (), answers: Mapping[str, str] | None = None,
            how: Sequence[str] = (), why: Sequence[str] = ()) -> str:
    """HOW each diagnosis was reached and WHY each question is asked, as `assistant explain` prints it."""
    from assistant.explain import explanation

    c = _consultation(roots, question, files, answers or {})
    report = c.run()
    assert c.engine is not None
    return redact(explanation(c.engine, report, how, why))


def estimate_memory(roots: Roots, config: str, gpu_memory_gib: float | None = None, gpus: int = 1,
                    params: float | None = None) -> dict[str, Any]:
    """Peak GPU memory per device for an axolotl config, and the OOM-ladder rung that fits."""
    from assistant.estimate import assess, config_from_file
    from assistant.estimate.render import to_dict

    path = roots.resolve(config)
    result = assess(config_from_file(path), gpus=max(1, gpus), memory_gib=gpu_memory_gib,
                    memory_source="gpu_memory_gib" if gpu_memory_gib is not None else "", params=params)
    return json.loads(redact(json.dumps(to_dict(result), default=str)))


def probe() -> dict[str, Any]:
    """What the machine running this server is: GPUs, driver/CUDA, torch, packages, memory, disk."""
    from assistant.probes import report_json, run_probes

    return json.loads(redact(report_json(run_probes())))


def search_knowledge(query: str, k: int = 5) -> list[dict[str, Any]]:
    """The guide's (and the user's registered docs') passages best matching ``query``."""
    from assistant.retrieval import get_index
    from assistant.retrieval.search import search

    passages = search(get_index(), query, k=max(1, min(k, 50)))
    rows = [{"source": p.source, "section": p.heading_path, "anchor": p.anchor, "score": p.score,
             "snippet": p.chunk.snippet()} for p in passages]
    return json.loads(redact(json.dumps(rows, ensure_ascii=False)))
