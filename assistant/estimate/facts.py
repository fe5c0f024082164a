"""The estimate as facts for the rules: ``estimate.*`` (the verdict) and ``model.*`` (the shape used)."""
from __future__ import annotations

from assistant.engine.facts import Fact
from assistant.estimate.assess import Assessment
from assistant.estimate.memory import GIB

__all__ = ["estimate_facts", "SOURCE"]

SOURCE = "estimate"


def estimate_facts(a: Assessment) -> list[Fact]:
    """Always the peak and the model's shape; the verdict and next rung only when the memory is known."""
    est, dims = a.estimate, a.estimate.dims
    facts = [
        Fact("estimate.peak_gib", round(est.peak_bytes / GIB, 2), SOURCE),
        Fact("estimate.gpus", est.gpus, SOURCE),
        Fact("model.parameters", int(dims.params), SOURCE),
        Fact("model.vocab_size", dims.vocab, SOURCE),
        Fact("model.hidden_size", dims.hidden, SOURCE),
        Fact("model.layers", dims.layers, SOURCE),
    ]
    logits = est.line("grpo logits")
    if logits is not None:
        facts.append(Fact("estimate.grpo_logits_gib", round(logits.bytes / GIB, 2), SOURCE))
    if a.memory_gib is not None:
        facts += [Fact("estimate.memory_gib", a.memory_gib, a.memory_source or SOURCE),
                  Fact("estimate.fits", bool(a.fits), SOURCE)]
    if a.ladder is not None:
        facts.append(Fact("estimate.next_rung", a.ladder.rung.name if a.ladder.rung else "none", SOURCE))
    return facts
