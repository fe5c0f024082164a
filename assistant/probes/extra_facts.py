"""The facts `ask` adds to a consultation: this machine's probe and the memory per GPU given on the command line.

Which machine the facts describe matters more than having them:

- a probe report attached from the training host speaks for that host, so the
  local probe is skipped (two ``probe.gpu.count`` facts would contradict);
- a machine with no GPU is not where the run trains (it is the laptop someone
  asks from), so its probe facts are left out: they would say ``gpu.count 0``
  and turn the effective batch into 0;
- the memory estimate (made by the consultation from whatever it knows, see
  assistant/estimate/facts.py) needs the memory per GPU: ``--gpu-memory``, else
  the question's words, else the probe's free memory.

Attachments are sniffed by content, only to see whether a probe report is among them.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from assistant.engine.facts import Fact
from assistant.errors import AssistantError

__all__ = ["extra_facts"]

_WANTED = ("probe_report",)


def extra_facts(attachments: Iterable[Path], *, probe: bool = True, gpu_memory_gib: float | None = None) -> list[Fact]:
    """Probe facts of this machine (when it has a GPU and no report is attached), and the memory per
    GPU the user gave with --gpu-memory; the consultation estimates from them (assistant/estimate/facts.py)."""
    found = _attached(attachments)
    facts: list[Fact] = []
    if probe and not found["probe_report"]:
        from assistant.probes import probe_facts

        local = probe_facts()
        if _value(local, "probe.gpu.count", 0) > 0:
            facts = local
    if gpu_memory_gib is not None:
        facts.append(Fact("user.gpu_memory_gib", float(gpu_memory_gib), "--gpu-memory"))
    return facts


def _attached(paths: Iterable[Path]) -> dict[str, list[Path]]:
    from assistant.evidence import reader_for
    from assistant.evidence._input import read_head

    found: dict[str, list[Path]] = {kind: [] for kind in _WANTED}
    for path in map(Path, paths):
        try:
            reader = reader_for(read_head(path), path) if path.is_file() else None
        except (AssistantError, OSError):
            continue
        if reader is not None and reader.kind in found:
            found[reader.kind].append(path)
    return found


def _value(facts: list[Fact], name: str, default: Any = None) -> Any:
    return next((f.value for f in facts if f.name == name), default)
