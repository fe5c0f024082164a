"""The facts `ask` adds to a consultation: this machine's probe, and the memory estimate of an attached config.

Which machine the facts describe matters more than having them:

- a probe report attached from the training host speaks for that host, so the
  local probe is skipped (two ``probe.gpu.count`` facts would contradict);
- a machine with no GPU is not where the run trains (it is the laptop someone
  asks from), so its probe facts are left out: they would say ``gpu.count 0``
  and turn the effective batch into 0;
- the estimate needs the memory per GPU: ``--gpu-memory``, else the probe's
  free memory (attached report or local GPUs). Without it there is no verdict
  and no ``estimate.*`` facts.

Attachments are sniffed by content like the consultation does; only configs
and probe reports (small by definition) are read here, and any problem with
them is left for the consultation to report.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from assistant.engine.facts import Fact
from assistant.errors import AssistantError

__all__ = ["extra_facts"]

_WANTED = ("axolotl_config", "probe_report")


def extra_facts(attachments: Iterable[Path], *, probe: bool = True, gpu_memory_gib: float | None = None) -> list[Fact]:
    """Probe facts of this machine (when it has a GPU and no report is attached) plus estimate facts."""
    found = _attached(attachments)
    facts: list[Fact] = []
    host = [f for path in found["probe_report"] for f in _read(path)]
    if probe and not host:
        from assistant.probes import probe_facts

        local = probe_facts()
        if _value(local, "probe.gpu.count", 0) > 0:
            facts, host = local, local
    config = [f for path in found["axolotl_config"][:1] for f in _read(path)]
    memory = gpu_memory_gib if gpu_memory_gib is not None else _number(_value(host, "probe.gpu.memory_free_gib"))
    if config and memory is not None:
        facts += _estimate(config, memory, host, gpu_memory_gib is not None)
    return facts


def _estimate(config: list[Fact], memory: float, host: list[Fact], given: bool) -> list[Fact]:
    from assistant.estimate import assess, config_from_facts, estimate_facts

    count = _value(host, "probe.gpu.count", 0)
    gpus = count if isinstance(count, int) and count > 0 else 1
    source = "--gpu-memory" if given else "free GPU memory (probe)"
    try:
        return estimate_facts(assess(config_from_facts((f.name, f.value) for f in config), gpus=gpus,
                                     memory_gib=memory, memory_source=source))
    except Exception:  # an extra: an unknown model (`assistant estimate --params` says more) or a config
        return []      # the estimator cannot handle must not cost the user the diagnosis


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


def _read(path: Path) -> list[Fact]:
    from assistant.evidence import read_attachment

    try:
        return [f for r in read_attachment(path) for f in r.facts]
    except AssistantError:
        return []


def _value(facts: list[Fact], name: str, default: Any = None) -> Any:
    return next((f.value for f in facts if f.name == name), default)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
