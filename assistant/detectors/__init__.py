"""Detectors: metric series -> located ``symptom.*`` facts.

Each non-underscore module here registers one detector with
``@detector(name)``; importing this package imports them all. Thresholds live
at the top of each module (with the guide's number where it gives one) or in
``rules/ranges.yaml``.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import replace
from typing import Iterable

from assistant.detectors._base import REGISTRY, DetectContext, Detector, Series, detector, source_of
from assistant.engine.facts import Fact

__all__ = ["DetectContext", "Detector", "REGISTRY", "detector", "infer_run_kind", "run_detectors", "source_of"]

for _m in pkgutil.iter_modules(__path__):
    if not _m.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_m.name}")


def infer_run_kind(metric_names: Iterable[str]) -> str:
    """Guess the trainer from the metric names it logged.

    DPO is tested before GRPO because its ``rewards/chosen`` also starts with ``rewards/``.
    """
    names = set(metric_names)
    if any(n.startswith("ebft/") for n in names):
        return "ebft"
    if names & {"rewards/chosen", "logps/chosen"}:
        return "dpo"
    if "reward" in names or any(n.startswith(("rewards/", "completions/")) for n in names):
        return "grpo"
    if "loss" in names:
        return "sft"
    return "unknown"


def run_detectors(series: Series, ctx: DetectContext | None = None) -> tuple[list[Fact], list[str]]:
    """Run every detector; a detector that raises becomes a warning, not a failed consultation.

    An ``unknown`` run kind is replaced by ``infer_run_kind`` so the healthy ranges apply.
    Returns the facts (duplicates removed, order kept) and the warnings.
    """
    ctx = ctx or DetectContext()
    if ctx.run_kind == "unknown":
        ctx = replace(ctx, run_kind=infer_run_kind(series))
    facts: dict[Fact, None] = {}
    warnings: list[str] = []
    for name in sorted(REGISTRY):
        try:
            found = REGISTRY[name].detect(series, ctx)
        except Exception as exc:  # noqa: BLE001 - one broken detector must not sink the others
            warnings.append(f"detector {name} failed: {type(exc).__name__}: {exc}")
            continue
        facts.update(dict.fromkeys(found))
    return list(facts), warnings
