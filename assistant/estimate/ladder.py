"""The guide's OOM ladder run on the estimate: the first rung at which the run fits, as a config patch.

Rungs go from least to most disruptive (knowledge/oom.md "The Ladder"):
batch 1 -> gradient checkpointing -> quantisation -> shorter sequences ->
flash attention -> offload. Each applicable rung is applied on top of the
previous ones until the estimate fits; then rungs that turn out unnecessary
(a shorter sequence when offload alone was enough) are dropped again, most
disruptive first, so the patch changes no more than it must.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable

from assistant.estimate.memory import estimate_memory
from assistant.estimate.model import ModelDims
from assistant.estimate.setup import TrainSetup

__all__ = ["Rung", "RUNGS", "LadderResult", "climb"]

OFFLOAD_CONFIG = "deepspeed_configs/zero3_bf16_cpuoffload_all.json"  # axolotl's bundled config, as oom.yaml says
_MIN_SEQUENCE = 256


@dataclass(frozen=True)
class Rung:
    """One step of the ladder: the diagnosis it answers, when it applies, and what it changes."""

    name: str
    diagnosis: str
    text: str
    applies: Callable[[TrainSetup], bool]
    apply: Callable[[TrainSetup], TrainSetup]
    patch: Callable[[TrainSetup], dict[str, Any]]


def _batch_target(s: TrainSetup) -> int:
    return 2 if s.rl == "grpo" else 1  # the guide keeps GRPO at 2-4 (num_generations must still divide)


def _half_lengths(s: TrainSetup) -> dict[str, Any]:
    if s.prompt_len and s.completion_len:
        return {"trl": {"max_prompt_length": s.prompt_len // 2, "max_completion_length": s.completion_len // 2}}
    return {"sequence_len": s.sequence_len // 2}


RUNGS: tuple[Rung, ...] = (
    Rung("batch", "oom_batch_too_large", "reduce micro_batch_size, raising gradient accumulation",
         lambda s: s.micro_batch_size > _batch_target(s),
         lambda s: replace(s, micro_batch_size=_batch_target(s),
                           gradient_accumulation_steps=s.gradient_accumulation_steps * s.micro_batch_size
                           // _batch_target(s)),
         lambda s: {"micro_batch_size": _batch_target(s),
                    "gradient_accumulation_steps": s.gradient_accumulation_steps * s.micro_batch_size
                    // _batch_target(s)}),
    Rung("gradient_checkpointing", "gradient_checkpointing_off", "enable gradient checkpointing",
         lambda s: not s.gradient_checkpointing,
         lambda s: replace(s, gradient_checkpointing=True),
         lambda s: {"gradient_checkpointing": True,
                    "gradient_checkpointing_kwargs": {"use_reentrant": s.zero_stage >= 3}}),
    Rung("quantization", "model_not_quantized", "load the base model in 4-bit (QLoRA)",
         lambda s: s.quant in (None, "8bit"),  # 8-bit still has the 4-bit rung above it
         lambda s: replace(s, quant="4bit", adapter="qlora", ref_model=False,
                           lora_target_linear=s.lora_target_linear or s.adapter is None,
                           lora_r=s.lora_r if s.adapter else 16),
         lambda s: {"adapter": "qlora", "load_in_4bit": True}
         | ({} if s.adapter else {"lora_r": 16, "lora_alpha": 32, "lora_target_linear": True})),
    Rung("sequence_length", "sequence_too_long", "halve the sequence length",
         lambda s: s.sequence_len // 2 >= _MIN_SEQUENCE,
         lambda s: replace(s, sequence_len=s.sequence_len // 2,
                           prompt_len=s.prompt_len // 2 if s.prompt_len else None,
                           completion_len=s.completion_len // 2 if s.completion_len else None),
         _half_lengths),
    Rung("flash_attention", "attention_not_flash", "use flash attention (O(n) attention memory)",
         lambda s: s.quadratic_attention,
         lambda s: replace(s, attention="flash_attention_2"),
         lambda s: {"attn_implementation": "flash_attention_2"}),
    Rung("offload", "needs_offload", "shard and offload to CPU (DeepSpeed ZeRO-3 offload, or FSDP offload)",
         lambda s: not ((s.zero_stage >= 3 and s.offload_optimizer and s.offload_param) or s.fsdp_offload),
         lambda s: replace(s, fsdp_offload=True) if s.fsdp else
         replace(s, zero_stage=3, offload_optimizer=True, offload_param=True),
         lambda s: {"fsdp_config": {"offload_params": True}} if s.fsdp else {"deepspeed": OFFLOAD_CONFIG}),
)


@dataclass(frozen=True)
class LadderResult:
    """``rung`` is None when the run already fits; ``fits`` False when even the last rung is not enough."""

    rung: Rung | None
    fits: bool
    patch: dict[str, Any]
    applied: tuple[str, ...]
    peak_bytes: float


def climb(dims: ModelDims, setup: TrainSetup, gpus: int, memory_bytes: float) -> LadderResult:
    """Walk the ladder from ``setup`` until the estimated peak fits in ``memory_bytes`` per GPU."""
    def fits(s: TrainSetup) -> bool:
        return peak(s) <= memory_bytes

    def peak(s: TrainSetup) -> float:
        return estimate_memory(dims, s, gpus).peak_bytes

    if fits(setup):
        return LadderResult(None, True, {}, (), peak(setup))
    steps: list[Rung] = []
    current = setup
    for rung in RUNGS:
        if not rung.applies(current):
            continue
        steps.append(rung)
        current = rung.apply(current)
        if fits(current):
            kept = _prune(steps, setup, fits)
            return LadderResult(rung, True, _patch(kept, setup), tuple(r.name for r in kept),
                                peak(_replay(kept, setup)))
    return LadderResult(None, False, _patch(steps, setup), tuple(r.name for r in steps), peak(current))


def _replay(rungs: list[Rung], setup: TrainSetup) -> TrainSetup:
    for rung in rungs:
        if rung.applies(setup):
            setup = rung.apply(setup)
    return setup


def _prune(steps: list[Rung], setup: TrainSetup, fits: Callable[[TrainSetup], bool]) -> list[Rung]:
    """Drop earlier rungs the fitting one does not need, trying the most disruptive first."""
    kept = list(steps)
    for rung in reversed(steps[:-1]):
        trial = [r for r in kept if r is not rung]
        if fits(_replay(trial, setup)):
            kept = trial
    return kept


def _patch(rungs: list[Rung], setup: TrainSetup) -> dict[str, Any]:
    """The config changes of ``rungs`` applied in order, nested keys merged."""
    out: dict[str, Any] = {}
    for rung in rungs:
        if not rung.applies(setup):
            continue
        for key, value in rung.patch(setup).items():
            out[key] = {**out[key], **value} if isinstance(value, dict) and isinstance(out.get(key), dict) else value
        setup = rung.apply(setup)
    if setup.gradient_checkpointing and setup.zero_stage >= 3 and ("deepspeed" in out or "gradient_checkpointing" in out):
        out["gradient_checkpointing_kwargs"] = {"use_reentrant": True}  # ZeRO-3 needs reentrant checkpointing
    return out
