"""An assessment for a person (a table and a YAML patch) or a program (a JSON-ready dict). No logic."""
from __future__ import annotations

from typing import Any

import yaml

from assistant.estimate.assess import Assessment
from assistant.estimate.memory import GIB

__all__ = ["render_text", "to_dict"]

_LABELS = {"weights": "weights", "gathered layers": "gathered layers", "reference model": "reference model", "adapters": "LoRA adapters",
           "gradients": "gradients", "optimizer": "optimizer states", "activations": "activations",
           "attention scores": "attention scores", "logits": "logits", "grpo logits": "GRPO logits",
           "overhead": "CUDA context + reserve"}


def render_text(a: Assessment) -> str:
    est, dims, s = a.estimate, a.estimate.dims, a.estimate.setup
    out = [f"model: {dims.name}, {dims.params / 1e9:.2f}B params, {dims.layers} layers, hidden {dims.hidden}, "
           f"vocab {dims.vocab} (from {dims.source})",
           f"setup: {_method(s)}, {s.precision}, {s.optimizer}, micro_batch_size {s.micro_batch_size}"
           + (f" x {s.num_generations} generations" if s.rl == "grpo" else "")
           + f", sequence {s.sequence_len}, gradient checkpointing {'on' if s.gradient_checkpointing else 'off'}, "
             f"attention {s.attention}, {est.gpus} GPU{'s' if est.gpus > 1 else ''}",
           "", "estimated peak GPU memory per device:"]
    for line in est.lines:
        out.append(f"  {_LABELS.get(line.name, line.name):24} {line.bytes / GIB:9.2f} GiB   {line.note}")
    out.append(f"  {'total':24} {est.peak_bytes / GIB:9.2f} GiB")
    out += [f"note: {n}" for n in est.notes]
    out.append("")
    out.append(_verdict(a))
    if a.ladder is not None:
        out += _ladder(a)
    return "\n".join(out) + "\n"


def to_dict(a: Assessment) -> dict[str, Any]:
    est, dims = a.estimate, a.estimate.dims
    ladder = a.ladder
    return {
        "model": {"name": dims.name, "source": dims.source, "parameters": int(dims.params), "layers": dims.layers,
                  "hidden": dims.hidden, "vocab": dims.vocab},
        "gpus": est.gpus,
        "breakdown": [{"name": x.name, "bytes": int(x.bytes), "gib": round(x.bytes / GIB, 3), "note": x.note}
                      for x in est.lines],
        "allocated_gib": round(est.allocated_bytes / GIB, 2),
        "peak_gib": round(est.peak_bytes / GIB, 2),
        "memory_gib": a.memory_gib,
        "memory_source": a.memory_source or None,
        "fits": a.fits,
        "ladder": None if ladder is None else {
            "rung": ladder.rung.name if ladder.rung else None,
            "diagnosis": ladder.rung.diagnosis if ladder.rung else None,
            "fits": ladder.fits, "applied": list(ladder.applied), "patch": ladder.patch,
            "peak_gib": round(ladder.peak_bytes / GIB, 2)},
        "notes": est.notes,
    }


def _method(s: Any) -> str:
    kind = {"qlora": "QLoRA", "lora": "LoRA"}.get(s.adapter or "", "full fine-tune")
    return f"{kind} ({s.rl.upper()})" if s.rl else kind


def _verdict(a: Assessment) -> str:
    peak = a.estimate.peak_bytes / GIB
    if a.memory_gib is None:
        return ("verdict: unknown - no GPU seen here; give the memory per GPU with --gpu-memory GiB "
                "(or run `assistant probe --save` on the training host)")
    where = f"{a.memory_gib:.1f} GiB per GPU ({a.memory_source})"
    if a.tight:
        return (f"verdict: fits in {where}, but only {a.memory_gib - peak:.1f} GiB to spare, inside the estimate's "
                f"~15% error: an OOM on the real run is plausible")
    if a.fits:
        return f"verdict: fits in {where}, {a.memory_gib - peak:.1f} GiB to spare"
    return f"verdict: DOES NOT FIT in {where}: short by {peak - a.memory_gib:.1f} GiB"


def _ladder(a: Assessment) -> list[str]:
    ladder = a.ladder
    assert ladder is not None
    if ladder.rung is None:
        head = (f"the OOM ladder is not enough: with every rung ({', '.join(ladder.applied) or 'none applies'}) "
                f"the peak is still {ladder.peak_bytes / GIB:.1f} GiB; use more GPUs or a smaller model")
    else:
        goal = "leaves a 15% margin" if a.tight else "fits"
        head = (f"cheapest rung of the OOM ladder that {goal}: {ladder.rung.name} - {ladder.rung.text} "
                f"({ladder.rung.diagnosis}); estimated peak then {ladder.peak_bytes / GIB:.1f} GiB")
    lines = ["", head]
    if ladder.patch:
        lines.append("config patch:")
        lines += ["  " + x for x in yaml.safe_dump(ladder.patch, sort_keys=False).rstrip().splitlines()]
    return lines
