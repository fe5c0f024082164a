"""The OOM ladder on the estimate: the first rung that fits, its patch, and nothing the fit does not need."""
from __future__ import annotations

from typing import Any

import pytest

from assistant.estimate import assess
from assistant.estimate.ladder import OFFLOAD_CONFIG, RUNGS

QLORA_7B = {"base_model": "meta-llama/Llama-2-7b-hf", "adapter": "qlora", "load_in_4bit": True, "precision": "bf16",
            "micro_batch_size": 1, "sequence_len": 1024, "gradient_checkpointing": True}

# rung -> (config, memory per GPU in GiB, GPUs, expected patch)
LADDER: dict[str, tuple[dict[str, Any], float, int, dict[str, Any]]] = {
    "batch": ({**QLORA_7B, "micro_batch_size": 4, "gradient_accumulation_steps": 4, "gradient_checkpointing": False},
              16, 1, {"micro_batch_size": 1, "gradient_accumulation_steps": 16}),
    "gradient_checkpointing": ({**QLORA_7B, "sequence_len": 4096, "gradient_checkpointing": False}, 12, 1,
                               {"gradient_checkpointing": True, "gradient_checkpointing_kwargs": {"use_reentrant": False}}),
    "quantization": ({**QLORA_7B, "adapter": "lora", "load_in_4bit": False}, 12, 1,
                     {"adapter": "qlora", "load_in_4bit": True}),
    "sequence_length": ({**QLORA_7B, "sequence_len": 16384}, 12, 1, {"sequence_len": 8192}),
    "flash_attention": ({**QLORA_7B, "sequence_len": 8192, "attn_implementation": "eager"}, 10, 1,
                        {"sequence_len": 4096, "attn_implementation": "flash_attention_2"}),
    "offload": ({**QLORA_7B, "base_model": "meta-llama/Meta-Llama-3-70B", "sequence_len": 512}, 24, 1,
                {"deepspeed": OFFLOAD_CONFIG, "gradient_checkpointing_kwargs": {"use_reentrant": True}}),
}


def test_the_rungs_follow_the_guide() -> None:
    """knowledge/oom.md "The Ladder": batch, checkpointing, quantisation, sequence length, flash attention, offload."""
    assert [r.name for r in RUNGS] == ["batch", "gradient_checkpointing", "quantization", "sequence_length",
                                       "flash_attention", "offload"]
    assert [r.diagnosis for r in RUNGS] == ["oom_batch_too_large", "gradient_checkpointing_off", "model_not_quantized",
                                            "sequence_too_long", "attention_not_flash", "needs_offload"]


@pytest.mark.parametrize("rung", sorted(LADDER))
def test_each_rung_is_the_answer_somewhere(rung: str) -> None:
    config, memory, gpus, patch = LADDER[rung]
    result = assess(config, gpus=gpus, memory_gib=memory)
    assert result.fits is False and result.ladder is not None
    assert result.ladder.rung is not None and result.ladder.rung.name == rung
    assert result.ladder.patch == patch
    assert result.ladder.peak_bytes <= memory * 1024 ** 3


def test_a_fitting_config_has_no_ladder() -> None:
    result = assess(QLORA_7B, memory_gib=24)
    assert result.fits is True and result.ladder is None


def test_no_memory_no_verdict() -> None:
    result = assess(QLORA_7B)
    assert result.fits is None and result.ladder is None


def test_unneeded_earlier_rungs_are_dropped() -> None:
    """micro_batch_size 2 at 8192 tokens: batch 1 alone is not enough, batch 1 + checkpointing fits, and so does
    checkpointing alone, so the batch is left as it was."""
    config = {**QLORA_7B, "micro_batch_size": 2, "gradient_checkpointing": False, "sequence_len": 8192}
    result = assess(config, memory_gib=20)
    assert result.ladder.rung.name == "gradient_checkpointing"
    assert result.ladder.applied == ("gradient_checkpointing",)
    assert "micro_batch_size" not in result.ladder.patch


def test_grpo_batch_rung_stops_at_two() -> None:
    """The guide: keep GRPO micro_batch_size at 2-4 (num_generations must still divide the batch)."""
    config = {"base_model": "Qwen/Qwen2.5-1.5B", "rl": "grpo", "precision": "bf16", "micro_batch_size": 8,
              "gradient_accumulation_steps": 1, "gradient_checkpointing": True, "sequence_len": 1024,
              "trl.num_generations": 8}
    result = assess(config, memory_gib=40)
    assert result.ladder.rung.name == "batch"
    assert result.ladder.patch == {"micro_batch_size": 2, "gradient_accumulation_steps": 4}


def test_nothing_is_enough() -> None:
    config = {**QLORA_7B, "base_model": "meta-llama/Meta-Llama-3-70B"}
    result = assess(config, memory_gib=2)
    assert result.ladder.rung is None and result.ladder.fits is False
    assert "deepspeed" in result.ladder.patch


def test_full_finetune_quantisation_switches_to_qlora() -> None:
    """shared/cases/021: full SFT of Qwen2-7B over 4x 24 GB with ZeRO-3 - the next rung is QLoRA."""
    config = {"base_model": "Qwen/Qwen2-7B-Instruct", "precision": "bf16", "gradient_checkpointing": True,
              "attn_implementation": "flash_attention_2", "sequence_len": 128, "deepspeed.zero_stage": 3}
    result = assess(config, gpus=4, memory_gib=24)
    assert result.ladder.rung.name == "quantization"
    assert result.ladder.patch == {"adapter": "qlora", "load_in_4bit": True, "lora_r": 16, "lora_alpha": 32,
                                   "lora_target_linear": True}
